#ifndef DICTUM_OFFLINE_STORE_H
#define DICTUM_OFFLINE_STORE_H

/* The offline store: Dictum's SQLite cache. No SQL lives outside offline/.
 *
 * Every function returns a DICTUM_* status (core/error.h). On failure the
 * store keeps a one-line reason, readable with store_errmsg(), and nothing
 * is half-written: each write is one transaction. A store handle belongs to
 * one thread at a time; open one handle per thread. */

#include "core/types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* Opens (creating if absent) the store at path and runs forward
 * migrations. A file that is not SQLite (DICTUM_NOTDB), an SQLite file
 * that is not a Dictum store (DICTUM_NOTDB), a corrupt file
 * (DICTUM_CORRUPT) or one from a newer schema (DICTUM_NEWER) is left
 * untouched, and err receives a one-line message naming the file and
 * what to do. On success *out must be closed with store_close(). */
int store_open(const char *path, store **out, char *err, size_t errlen);
/* Closes and sets *s to NULL; NULL is fine. */
void store_close(store **s);
/* The reason for the last failure on this handle ("" if none). */
const char *store_errmsg(const store *s);
const char *store_path(const store *s);
/* The schema version this build writes. */
int store_schema_version(void);

/* Groups several writes in one transaction (nestable; inner levels are
 * savepoints). store_rollback undoes everything since the matching begin. */
int store_begin(store *s);
int store_commit(store *s);
int store_rollback(store *s);

/* ---- patients and encounters ---- */

/* Inserts p (first and last name required); sets p->id, uid, created_at. */
int store_patient_add(store *s, struct patient *p);
/* Fills *out (clear it with patient_clear). DICTUM_NOTFOUND if absent. */
int store_patient_get(store *s, int64_t id, struct patient *out);
/* Patients whose name, MRN or email contains query (all if NULL), by name.
 * Free *list with patients_free. */
int store_patient_list(store *s, const char *query, size_t limit, struct patient **list,
                       size_t *count);

/* Inserts e (patient_id required); sets e->id, uid, started_at. */
int store_encounter_add(store *s, struct encounter *e);
int store_encounter_get(store *s, int64_t id, struct encounter *out);
/* Newest first, with patient_name filled in. */
int store_encounter_list(store *s, size_t limit, struct encounter **list, size_t *count);
int store_encounter_set_status(store *s, int64_t id, enum encounter_status status);
/* Where the encounter's speech recognition and note drafting run: "local"
 * (this machine's engines) or "server" (dictum serve, falling back to
 * local when it cannot be reached). DICTUM_INVAL for another value,
 * DICTUM_NOTFOUND for no such encounter. */
int store_encounter_set_engine(store *s, int64_t id, const char *engine);
int store_encounter_engine(store *s, int64_t id, char out[8]);
/* How many notes the encounter has. */
int store_encounter_note_count(store *s, int64_t id, int64_t *count);

/* ---- notes ---- */

/* Saves a note. With n->id == 0 it inserts (n->encounter_id and
 * n->note_type required) as version 1. Otherwise n->version must be the
 * version last read (DICTUM_CONFLICT if the stored one moved on) and the
 * note must be a draft (DICTUM_READONLY once signed). A save that changes
 * nothing writes nothing. In the same transaction: the sections, a
 * note_versions row (author, time, changed sections), and an outbox row
 * with a fresh idempotency key. On success n->id, uid, version and the
 * times are updated. */
int store_note_save(store *s, struct note *n, const char *author);
/* Signs a draft: it becomes read-only. expected_version as for save. */
int store_note_sign(store *s, int64_t id, int expected_version, const char *author);
/* Appends an addendum to a signed note: a new section titled with the
 * time and author, version + 1, the signed text untouched. DICTUM_INVAL for
 * a draft (edit it instead) or empty text; DICTUM_CONFLICT when
 * expected_version is stale. */
int store_note_addendum(store *s, int64_t id, int expected_version, const char *author,
                        const char *text);
/* Loads a note with its sections. Clear with note_clear. */
int store_note_get(store *s, int64_t id, struct note *out);
int store_note_get_by_uid(store *s, const char *uid, struct note *out);

struct note_filter {
	size_t limit;      /* 0 means 50 */
	int64_t before_id; /* page: only notes older than this one (0: from the newest) */
	int64_t patient_id;
	const char *note_type;
	int status; /* -1 any, else enum note_status */
};
/* Newest first (by last change). Free with note_summaries_free. */
int store_note_list(store *s, const struct note_filter *f, struct note_summary **list,
                    size_t *count);
/* Full-text search over notes; newest matches first, with a snippet.
 * Free with note_summaries_free. query is plain words (prefix with a
 * trailing '*'); no search syntax reaches SQLite. */
int store_note_search(store *s, const char *query, size_t limit, struct note_summary **list,
                      size_t *count);

/* For learning the clinician's words (`dictum asr adapt --signed-notes`):
 * calls fn with the text of each signed note signed after signed_after (an
 * ISO-8601 UTC time; NULL or "" for all), oldest first, as "# Title" lines
 * each followed by its section's text. fn may be NULL to only count. Stops
 * when fn returns non-zero and returns that value; *count gets the number
 * of notes seen. */
int store_signed_notes_each(store *s, const char *signed_after,
                            int (*fn)(const char *text, void *ctx), void *ctx, size_t *count);

struct note_version_info {
	int version;
	char *author;
	char saved_at[DICTUM_TIME_LEN];
	char *changed; /* JSON array of what changed */
};
int store_note_versions(store *s, int64_t note_id, struct note_version_info **list, size_t *count);
void note_versions_free(struct note_version_info **list, size_t count);

/* ---- recordings and transcripts ---- */

enum recording_state { RECORDING_RECORDING, RECORDING_COMPLETE, RECORDING_RECOVERED };

struct recording {
	int64_t id;
	char uid[DICTUM_UID_LEN];
	int64_t encounter_id; /* 0 when none */
	char *path;
	char sha256[65];
	int64_t duration_ms;
	int sample_rate;
	int channels;
	enum recording_state state;
	char created_at[DICTUM_TIME_LEN];
};
const char *recording_state_name(enum recording_state st);
void recordings_free(struct recording **list, size_t count);

/* Registers a recording as it starts (state recording). Sets r->id, uid. */
int store_recording_begin(store *s, struct recording *r);
/* Records the final facts: duration, checksum (may be NULL), state. */
int store_recording_finish(store *s, int64_t id, int64_t duration_ms, const char *sha256,
                           enum recording_state state);
/* Recordings in a state (or all with state < 0), newest first. */
int store_recording_list(store *s, int state, struct recording **list, size_t *count);

/* A finished recording, or a transcript made here, that the server does
 * not have yet. */
struct media_upload {
	int64_t id; /* of the recording or the transcript */
	char uid[DICTUM_UID_LEN];
	bool transcript;      /* a transcript: text holds it, path is NULL */
	char *path;           /* a recording's file */
	char *text;           /* a transcript's text */
	char *upload_id;      /* the server's upl_ id once made, else NULL */
	char *note_server_id; /* its encounter's note on the server, or NULL */
};
void media_uploads_free(struct media_upload **list, size_t count);
/* Complete or recovered recordings, then transcripts made here (not those
 * that came from the server), not yet uploaded, whose encounter has no
 * note waiting to reach the server (media go after their note), oldest
 * first. */
int store_uploads_pending(store *s, struct media_upload **list, size_t *count);
/* Keeps the server's upload id of one (NULL forgets it). */
int store_upload_set_id(store *s, const struct media_upload *m, const char *upload_id);
/* The server has every byte and checked them. */
int store_upload_done(store *s, const struct media_upload *m);

/* Finished recordings of encounters whose engine is engine ("local" or
 * "server") that no transcript was made from yet, oldest first. */
int store_recordings_untranscribed(store *s, const char *engine, struct recording **list,
                                   size_t *count);

/* Stores a transcript; segments_json is a JSON array (NULL for []). */
int store_transcript_add(store *s, int64_t encounter_id, int64_t recording_id, const char *engine,
                         const char *text, const char *segments_json, int64_t *id_out);
/* All transcripts of an encounter, oldest first, joined by newlines, into
 * *text_out (malloc'ed). DICTUM_NOTFOUND when it has none. */
int store_transcript_for_encounter(store *s, int64_t encounter_id, char **text_out);
/* Calls each(ctx, segments_json, wav_path) for every transcript of an
 * encounter, oldest first; wav_path is NULL when the transcript has no
 * recording. Stops at the first nonzero return of each and returns it;
 * else DICTUM_OK (also when there is none) or a store error. */
int store_transcript_segments(store *s, int64_t encounter_id,
                              int (*each)(void *ctx, const char *segments_json,
                                          const char *wav_path),
                              void *ctx);
/* The transcript text of an id; *text_out is malloc'ed. */
int store_transcript_get(store *s, int64_t id, char **text_out, char **segments_out);

/* ---- codes and billing ---- */

enum code_status { CODE_SUGGESTED, CODE_ACCEPTED, CODE_REJECTED };

struct note_code {
	char system[8]; /* icd10, cpt, hcc */
	char *code;
	char *name;
	char *evidence;
	int span_start, span_end; /* character offsets of the evidence, -1 if none */
	double score;
	enum code_status status;
};
void note_codes_free(struct note_code **list, size_t count);
const char *code_status_name(enum code_status st);

/* Replaces the suggested codes of a note; accepted and rejected ones stay. */
int store_note_codes_suggest(store *s, int64_t note_id, const struct note_code *codes,
                             size_t count);
/* Accepts, rejects or re-suggests one code (adding it if absent, as a
 * clinician adding a code from search does). */
int store_note_code_set(store *s, int64_t note_id, const struct note_code *code);
int store_note_codes_list(store *s, int64_t note_id, struct note_code **list, size_t *count);

int store_billing_save(store *s, int64_t note_id, int note_version, const char *em_level,
                       const char *result_json);
/* *json_out is malloc'ed. DICTUM_NOTFOUND when none. */
int store_billing_get(store *s, int64_t note_id, int *note_version, char **json_out);

/* ---- outbox ---- */

struct outbox_row {
	int64_t id;
	char *entity;
	int64_t entity_id;
	char *operation;
	char *idempotency_key;
	char *payload;
	int attempts;
	int64_t next_attempt_at; /* ms since the epoch */
	char *last_error;
};
void outbox_row_clear(struct outbox_row *r);

/* The oldest row due at now_ms. DICTUM_NOTFOUND when none is due. */
int store_outbox_next(store *s, int64_t now_ms, struct outbox_row *out);
/* The row reached the server. When it was a note's last queued change the
 * note becomes synced, with the server's id and version. */
int store_outbox_done(store *s, int64_t id, const char *server_id, int server_version);
/* The push failed: count the attempt and set when to try again. */
int store_outbox_retry(store *s, int64_t id, int64_t next_attempt_ms, const char *error);
int store_outbox_count(store *s, size_t *count);

/* ---- meta and checks ---- */

int store_meta_set(store *s, const char *key, const char *value);
/* *value_out is malloc'ed; DICTUM_NOTFOUND when absent. */
int store_meta_get(store *s, const char *key, char **value_out);

struct store_check_result {
	bool ok;
	char integrity[256]; /* "ok" or the first problems found */
	int schema_version;
	char journal_mode[16];
	int64_t patients, encounters, notes, note_versions, recordings, transcripts, codes, outbox;
};
/* Runs PRAGMA integrity_check and the FTS integrity checks, and counts rows. */
int store_check(store *s, struct store_check_result *out);

/* ---- sync: applying server notes and keeping conflicts (store_sync.c) ----
 * Used by src/sync. A server note is the JSON object that dictum serve
 * returns for a note (id, version, noteType, specialty, provider,
 * patient_id, external_id, status, sections, signed_by). None of these
 * functions writes an outbox row, except a conflict resolved by keeping
 * the local note, which queues one update. */

/* What a push needs besides the outbox payload: the note's current server
 * id and version (the payload's may be stale), its state and patient. */
struct store_sync_ref {
	char uid[DICTUM_UID_LEN];
	char *server_id; /* NULL until the server has the note */
	int server_version;
	enum sync_state sync;
	enum note_status status;
	char *signed_by;
	char *provider;
	char *first_name, *last_name, *email; /* the patient */
};
/* DICTUM_NOTFOUND when the note is gone. Clear with store_sync_ref_clear. */
int store_sync_ref_get(store *s, int64_t note_id, struct store_sync_ref *out);
void store_sync_ref_clear(struct store_sync_ref *r);

enum store_apply_outcome {
	STORE_APPLY_INSERTED, /* a note made elsewhere, now stored here as synced */
	STORE_APPLY_UPDATED,  /* a synced note replaced by the server's newer copy
	                         (a signed one only by a signed one: addenda) */
	STORE_APPLY_SKIPPED,  /* nothing newer than what is here */
	STORE_APPLY_KEPT,     /* local changes wait to be pushed, or the note is
	                         signed here and not on the server: the local
	                         copy stays untouched */
};
/* Applies one pulled server note in one transaction. A note made
 * elsewhere gets a local patient (by the server's patient id), encounter
 * and note. DICTUM_INVAL when note_json lacks an id or version. */
int store_sync_apply(store *s, const char *note_json, enum store_apply_outcome *outcome);

/* The server refused a change because its copy moved on (or is signed):
 * keeps both. The local note stays as it is; the server's copy is stored
 * (replacing an earlier unresolved one of the same note); the note and its
 * encounter are marked conflict; the note's queued outbox rows are
 * dropped (their content is the local note itself, kept). */
int store_sync_conflict_add(store *s, int64_t note_id, const char *server_note_json);

struct store_conflict {
	int64_t id;
	int64_t note_id;
	char note_uid[DICTUM_UID_LEN];
	int local_version;
	int server_version;
	char *server_note; /* the server's JSON */
	char created_at[DICTUM_TIME_LEN];
};
/* Unresolved conflicts, oldest first. Free with store_conflicts_free. */
int store_sync_conflict_list(store *s, struct store_conflict **list, size_t *count);
void store_conflicts_free(struct store_conflict **list, size_t count);

enum store_resolution { STORE_KEEP_LOCAL, STORE_KEEP_SERVER };
/* Keep local: queues an update based on the server's version (refused
 * with DICTUM_READONLY when the server's copy is signed). Keep server:
 * replaces the local note with the server's copy (DICTUM_READONLY when the
 * local note is signed: a signed note is never overwritten). Either way
 * the conflict is marked resolved. DICTUM_NOTFOUND for an unknown or
 * resolved conflict. */
int store_sync_conflict_resolve(store *s, int64_t conflict_id, enum store_resolution how,
                                const char *author);

struct store_sync_counts {
	size_t local, queued, synced, conflict; /* notes by sync state */
	size_t outbox;                          /* rows waiting */
	size_t conflicts;                       /* unresolved conflicts */
};
int store_sync_counts(store *s, struct store_sync_counts *out);
/* The earliest next_attempt_at of the outbox (ms); DICTUM_NOTFOUND if empty. */
int store_sync_outbox_next_due(store *s, int64_t *due_ms);

#endif
