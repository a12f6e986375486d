#ifndef DICTUM_UI_SYNCER_H
#define DICTUM_UI_SYNCER_H

/* The workstation's background sync: a thread with its own store handle
 * and sync client (config.ini [server], or DICTUM_SERVER and
 * DICTUM_API_KEY) that runs sync_once periodically, soon after a local
 * change, and when the clinician asks. Offline is a normal state, shown in
 * the status bar. The thread never touches curses: the UI reads a snapshot
 * and is woken through a pipe. */

#include "core/config.h"
#include "offline/store.h"
#include "sync/policy.h"

#include <stdbool.h>
#include <stdint.h>

/* How often a pass runs when nothing asks for one: [ui] sync_interval_s
 * (seconds), default 30. */
#define SYNCER_INTERVAL_DEFAULT_S 30
/* A local change is pushed this long after it (changes close together go
 * in one pass). */
#define SYNCER_NUDGE_MS 500

struct syncer_status {
	bool configured;                 /* a server URL is set */
	bool running;                    /* a pass is under way */
	unsigned passes;                 /* passes finished so far */
	enum sync_net_state state;       /* how the last pass ended */
	char message[320];               /* its one line when not ok ("" otherwise) */
	int64_t last_ok_ms;              /* wall time the server last answered a pass; 0: never */
	size_t pushed, pulled;           /* by the last pass */
	size_t new_conflicts;            /* found by the last pass */
	struct store_sync_counts counts; /* the store now: queued changes, conflicts */
};

struct ui_syncer;

/* Starts the thread on the store at db_path; cfg must outlive the syncer.
 * A first pass runs at once. Returns DICTUM_OK, DICTUM_NOMEM or
 * DICTUM_INTERNAL. */
int ui_syncer_start(struct ui_syncer **out, const char *db_path, const struct config *cfg,
                    int *wake_fd);
/* A pass now (the clinician asked). */
void ui_syncer_now(struct ui_syncer *s);
/* Something local changed: the counts are read again and a pass follows
 * shortly. */
void ui_syncer_nudge(struct ui_syncer *s);
void ui_syncer_status(struct ui_syncer *s, struct syncer_status *out);
void ui_syncer_drain(struct ui_syncer *s);
/* Cancels a pass under way (it stops at the next request), joins the
 * thread and frees; sets *s to NULL (NULL is fine). */
void ui_syncer_free(struct ui_syncer **s);

#endif
