#ifndef DICTUM_UI_WORKER_H
#define DICTUM_UI_WORKER_H

/* The workstation's store thread. Store work runs here, never on the UI
 * thread; the UI submits requests and is woken through a pipe when a
 * result is ready (cmus's job.c). The worker never touches curses.
 *
 * Reads (LIST, OPEN) keep only the newest request of their kind, so fast
 * typing never builds a backlog. Writes (SAVE, SIGN, ADDENDUM, CREATE) run
 * in order, before any read, and are never dropped. */

#include "core/types.h"
#include "offline/store.h"

#include <stdbool.h>
#include <stdint.h>

enum ui_job {
	/* Reads: only the newest of each kind runs. */
	UI_JOB_LIST,        /* query: full-text search, "" for the newest notes */
	UI_JOB_OPEN,        /* note_id */
	UI_JOB_CODES,       /* note_id: suggest codes and bill its text (saved as the
	                       note's suggestions), then apply the clinician's decisions */
	UI_JOB_CODE_SEARCH, /* query: the ICD-10-CM table */
	UI_JOB_CONFLICT,    /* note_id: its unresolved conflict, both versions */
	UI_JOB_FLAGS,       /* note_id: terms of the note its transcript does not support */
	/* Writes: in order, never dropped. */
	UI_JOB_SAVE,     /* note: the edited note (id, version it was based on) */
	UI_JOB_SIGN,     /* note_id, version */
	UI_JOB_ADDENDUM, /* note_id, version, text */
	UI_JOB_CREATE,   /* text: "Last, First" (an existing patient or a new one), note_type */
	UI_JOB_RECOVER,  /* repair recordings cut off by a crash (at start) */
	UI_JOB_CODE_SET, /* note_id, code: accept, reject or add a code; then as CODES */
	UI_JOB_RESOLVE,  /* conflict_id, note_id, resolution; for UI_RESOLVE_MERGE also
	                    note: the merged note (the local one's id and version) */
	UI_JOB_COUNT
};
#define UI_JOB_LAST_READ UI_JOB_FLAGS

struct icd10_row;

enum ui_resolution { UI_RESOLVE_LOCAL, UI_RESOLVE_SERVER, UI_RESOLVE_MERGE };

struct ui_flag {
	unsigned kind; /* an enum note_flag bit (notes/draft.h) */
	char term[64];
};

/* A transcript segment with its times and the recording it is in. */
struct ui_span {
	char *text;
	double start, end; /* seconds from the start of the recording */
	char *wav;         /* the recording's path; NULL when none */
	bool word;         /* one word of a segment that kept its word times */
};

struct ui_request {
	enum ui_job kind;
	char query[128];
	int64_t note_id;
	int version;
	char note_type[64];
	char specialty[64]; /* CREATE: "" for none */
	struct note note; /* owned by the request once submitted */
	char *text;       /* owned by the request once submitted */
	char author[64];
	struct note_code code; /* CODE_SET; its strings owned by the request */
	int64_t conflict_id;   /* RESOLVE */
	enum ui_resolution resolution;
};

struct ui_result {
	enum ui_job kind;
	int status;                 /* DICTUM_OK or the failure */
	char error[512];            /* a one-line reason when status != DICTUM_OK */
	char query[128];            /* LIST: the query this answers */
	char info[256];             /* RECOVER: what was found, "" if nothing */
	struct note_summary *notes; /* LIST */
	size_t count;
	/* OPEN and every write: the note as stored now. A failed SAVE hands
	 * back the clinician's edit here instead, so nothing is lost. */
	struct note note;
	char *patient;
	/* CODES and CODE_SET: the note's stored codes (ICD-10-CM, CPT, HCC,
	 * each suggested, accepted or rejected) and the billing text after
	 * the clinician's decisions, for note_id at version. */
	int64_t note_id;
	int version;
	struct note_code *codes;
	size_t ncodes;
	char *billing;
	/* CODE_SEARCH: matching rows of the code table. */
	struct icd10_row *rows;
	size_t nrows;
	/* FLAGS: numbers, drug names and sides in the note that its encounter's
	 * transcripts do not contain (none when it has no transcript). */
	struct ui_flag *flags;
	size_t nflags;
	bool has_transcript;
	/* FLAGS also: the transcripts' segments, in time order per recording. */
	struct ui_span *spans;
	size_t nspans;
	/* CONFLICT: the local note is in note, the server's copy here. */
	int64_t conflict_id;
	struct note server_note;
};

struct ui_worker;

/* Starts the thread on the store at db_path (opened by the thread).
 * *wake_fd becomes readable whenever a result is ready; poll it and empty
 * it with ui_worker_drain. Returns DICTUM_OK or an error status. */
int ui_worker_start(struct ui_worker **out, const char *db_path, int *wake_fd);
/* Queues a request and takes ownership of req->note and req->text (the
 * caller's copies are zeroed). Returns DICTUM_OK or DICTUM_NOMEM (then the
 * caller still owns them). */
int ui_worker_submit(struct ui_worker *w, struct ui_request *req);
void ui_worker_drain(struct ui_worker *w);
/* Moves the oldest finished result into *out (clear it with
 * ui_result_clear). Returns false when none is ready. */
bool ui_worker_take(struct ui_worker *w, struct ui_result *out);
/* Finishes queued writes, stops and joins the thread, frees everything,
 * sets *w to NULL. */
void ui_worker_stop(struct ui_worker **w);
void ui_result_clear(struct ui_result *r);
void ui_spans_free(struct ui_span **spans, size_t n);
void ui_request_clear(struct ui_request *r);

#endif
