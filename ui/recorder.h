#ifndef DICTUM_UI_RECORDER_H
#define DICTUM_UI_RECORDER_H

/* The workstation's record panel engine: capture to a crash-safe WAV,
 * streaming speech recognition and, when the clinician stops, the
 * transcript stored and the note drafted into the encounter's note. All of
 * it runs on threads of its own (the capture thread, a recorder thread
 * that owns a store handle and the speech engine, and a loader thread that
 * loads the speech model at start so the first screen never waits for
 * it). None of them touches curses: the UI reads a status snapshot and
 * takes results, woken through a pipe (cmus's player thread). */

#include "audio/capture.h"
#include "core/config.h"
#include "core/types.h"

#include <stdbool.h>
#include <stdint.h>

enum rec_state {
	REC_IDLE,
	REC_STARTING,  /* opening the device and the file */
	REC_RECORDING, /* audio flowing to the file and the speech engine */
	REC_PAUSED,
	REC_FINISHING, /* file closed; transcribing the rest and drafting */
};

/* The input counts as silent after this long under REC_SILENT_DB, and as
 * clipping for a while after a peak over REC_CLIP_DB. */
#define REC_SILENT_DB    (-60.0)
#define REC_SILENT_MS    2000
#define REC_CLIP_DB      (-0.3)
#define REC_CLIP_HOLD_MS 1500

/* What to record into: the encounter's note and how to draft it. */
struct rec_target {
	int64_t note_id;
	int64_t encounter_id;
	char note_type[64];
	char specialty[64]; /* "" for none */
	char backend[16];   /* "" for the automatic choice */
	char device[256];   /* "" for the backend's default */
	char author[64];
};

struct rec_status {
	enum rec_state state;
	bool engine_ready;      /* the speech model is loaded */
	char engine[32];        /* its name, "" while loading */
	char engine_error[200]; /* why it could not load, "" if it did */
	int64_t note_id;        /* the note being recorded into (0 when idle) */
	double elapsed_s;       /* audio in the file */
	double rms_db, peak_db; /* the last 50 ms window */
	bool silent, clipping;
	unsigned text_gen; /* changes whenever the live transcript does */
};

enum rec_result_kind {
	REC_RESULT_DRAFTED, /* note: the note as stored after drafting */
	REC_RESULT_DEVICES, /* devices, ndevices, backend */
	REC_RESULT_MESSAGE, /* only message (an error when status != DICTUM_OK) */
};

struct rec_result {
	enum rec_result_kind kind;
	int status;
	char message[320];
	struct note note;
	struct capture_device *devices;
	size_t ndevices;
	char backend[16];
};
void rec_result_clear(struct rec_result *r);

struct ui_recorder;

/* Starts the recorder on the store at db_path, writing recordings into
 * recordings_dir; cfg (which must outlive the recorder) chooses the speech
 * engine, loaded in the background from ui_recorder_load on. *wake_fd
 * becomes readable when the status or a result changes: poll it and empty
 * it with ui_recorder_drain. Returns DICTUM_OK, DICTUM_NOMEM or
 * DICTUM_INTERNAL. */
int ui_recorder_start(struct ui_recorder **out, const char *db_path, const char *recordings_dir,
                      const struct config *cfg, int *wake_fd);
/* Starts loading the speech model and the note engine on a thread of their
 * own (once; later calls do nothing). The workstation calls it after its
 * first full screen, so loading never competes with it. */
void ui_recorder_load(struct ui_recorder *r);
/* Asks to start recording into t (copied); loads the model if not yet. Ignored unless idle. The
 * outcome shows in the status (or a REC_RESULT_MESSAGE for a failure). */
void ui_recorder_record(struct ui_recorder *r, const struct rec_target *t);
/* Pauses or resumes the recording in progress. */
void ui_recorder_pause(struct ui_recorder *r);
/* Stops: the file is finished, the transcript stored and the note drafted
 * (then a REC_RESULT_DRAFTED). */
void ui_recorder_stop(struct ui_recorder *r);
/* Asks for the capture devices of the automatic backend (a
 * REC_RESULT_DEVICES). */
void ui_recorder_list_devices(struct ui_recorder *r);
/* Learns the clinician's words and phrasing from every signed note (the
 * user's language model, as `dictum asr adapt --signed-notes` builds it,
 * replacing the one there), then reloads the speech engine with it. Not
 * while recording (a REC_RESULT_MESSAGE says so); the outcome is a
 * REC_RESULT_MESSAGE. Once the model has loaded, the recorder also offers
 * this itself (a REC_RESULT_MESSAGE) when at least [ui] adapt_after notes
 * (10; 0 never) were signed since the user's model was last built. */
void ui_recorder_adapt(struct ui_recorder *r);

void ui_recorder_drain(struct ui_recorder *r);
void ui_recorder_status(struct ui_recorder *r, struct rec_status *out);
/* When the live transcript changed since *gen, replaces *final, *pending
 * and *preview (malloc'ed; the caller frees them) and updates *gen. Returns
 * true when it did. final is text that will not change, pending the
 * current hypothesis, preview the note drafted from final so far ("# Title"
 * lines and their text; NULL before there is any), redrafted on the
 * recorder thread whenever final grows. */
bool ui_recorder_text(struct ui_recorder *r, unsigned *gen, char **final, char **pending,
                      char **preview);
/* Moves the oldest result into *out (clear it with rec_result_clear).
 * Returns false when there is none. */
bool ui_recorder_take(struct ui_recorder *r, struct rec_result *out);

/* Finishes a recording in progress (file, transcript and draft are saved),
 * joins the threads and frees; sets *r to NULL (NULL is fine). */
void ui_recorder_free(struct ui_recorder **r);

#endif
