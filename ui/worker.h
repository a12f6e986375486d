#ifndef DICTUM_UI_WORKER_H
#define DICTUM_UI_WORKER_H

/* The workstation's store thread. Store queries run here, never on the UI
 * thread; the UI submits requests and is woken through a pipe when a
 * result is ready (cmus's job.c). The worker never touches curses. */

#include "core/types.h"

#include <stdbool.h>
#include <stdint.h>

enum ui_job { UI_JOB_LIST, UI_JOB_OPEN, UI_JOB_COUNT };

struct ui_request {
	enum ui_job kind;
	char query[128]; /* LIST: full-text search, "" for the newest notes */
	int64_t note_id; /* OPEN */
};

struct ui_result {
	enum ui_job kind;
	int status;                 /* DICTUM_OK or the failure */
	char error[512];            /* a one-line reason when status != DICTUM_OK */
	char query[128];            /* LIST: the query this answers */
	struct note_summary *notes; /* LIST */
	size_t count;
	struct note note; /* OPEN */
	char *patient;
};

struct ui_worker;

/* Starts the thread on the store at db_path (opened by the thread).
 * *wake_fd becomes readable whenever a result is ready; the caller polls
 * it and reads it empty with ui_worker_drain. Returns DICTUM_OK or an
 * error status. */
int ui_worker_start(struct ui_worker **out, const char *db_path, int *wake_fd);
/* Queues a request. A newer request of the same kind replaces one not
 * yet started, so typing fast never builds a backlog. */
void ui_worker_submit(struct ui_worker *w, const struct ui_request *req);
/* Empties the wake pipe. */
void ui_worker_drain(struct ui_worker *w);
/* Moves one finished result into *out (the caller clears it with
 * ui_result_clear). Returns false when none is ready. */
bool ui_worker_take(struct ui_worker *w, struct ui_result *out);
/* Stops and joins the thread, frees everything, sets *w to NULL. */
void ui_worker_stop(struct ui_worker **w);
void ui_result_clear(struct ui_result *r);

#endif
