#include "ui/worker.h"
#include "core/lib.h"
#include "offline/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ui_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	bool pending[UI_JOB_COUNT];
	struct ui_request requests[UI_JOB_COUNT];
	bool ready[UI_JOB_COUNT];
	struct ui_result results[UI_JOB_COUNT];
	char *db_path;
	int pipe[2];
};

void ui_result_clear(struct ui_result *r)
{
	note_summaries_free(&r->notes, r->count);
	note_clear(&r->note);
	free(r->patient);
	memset(r, 0, sizeof(*r));
}

static void run(store *s, const struct ui_request *req, struct ui_result *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = req->kind;
	if (!s) {
		r->status = DICTUM_IO;
		str_copy(r->error, "the store is not open", sizeof(r->error));
		return;
	}
	if (req->kind == UI_JOB_LIST) {
		str_copy(r->query, req->query, sizeof(r->query));
		struct note_filter f = {.limit = 200, .status = -1};
		r->status = req->query[0]
		                ? store_note_search(s, req->query, 200, &r->notes, &r->count)
		                : store_note_list(s, &f, &r->notes, &r->count);
	} else {
		r->status = store_note_get(s, req->note_id, &r->note);
		struct encounter e = {0};
		if (!r->status && store_encounter_get(s, r->note.encounter_id, &e) == DICTUM_OK) {
			r->patient = e.patient_name;
			e.patient_name = NULL;
		}
		encounter_clear(&e);
	}
	if (r->status)
		str_copy(r->error, store_errmsg(s), sizeof(r->error));
}

static void *worker_main(void *arg)
{
	struct ui_worker *w = arg;
	store *s = NULL;
	char err[512];
	if (store_open(w->db_path, &s, err, sizeof(err)) != DICTUM_OK)
		s = NULL;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		int kind = -1;
		for (int k = 0; k < UI_JOB_COUNT && kind < 0; k++)
			if (w->pending[k])
				kind = k;
		if (kind < 0) {
			if (w->stopping)
				break;
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		struct ui_request req = w->requests[kind];
		w->pending[kind] = false;
		pthread_mutex_unlock(&w->lock);

		struct ui_result r;
		run(s, &req, &r);
		if (!s)
			str_copy(r.error, err, sizeof(r.error));

		pthread_mutex_lock(&w->lock);
		ui_result_clear(&w->results[kind]); /* an untaken older result */
		w->results[kind] = r;
		w->ready[kind] = true;
		char byte = 1;
		if (write(w->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&w->lock);
	store_close(&s);
	return NULL;
}

int ui_worker_start(struct ui_worker **out, const char *db_path, int *wake_fd)
{
	struct ui_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return DICTUM_NOMEM;
	w->pipe[0] = w->pipe[1] = -1;
	if (!(w->db_path = strdup(db_path)) || pipe(w->pipe) != 0) {
		free(w->db_path);
		free(w);
		return DICTUM_IO;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		close(w->pipe[0]);
		close(w->pipe[1]);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w->db_path);
		free(w);
		return DICTUM_INTERNAL;
	}
	*wake_fd = w->pipe[0];
	*out = w;
	return DICTUM_OK;
}

void ui_worker_submit(struct ui_worker *w, const struct ui_request *req)
{
	pthread_mutex_lock(&w->lock);
	w->requests[req->kind] = *req;
	w->pending[req->kind] = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void ui_worker_drain(struct ui_worker *w)
{
	char buf[64];
	while (read(w->pipe[0], buf, sizeof(buf)) > 0)
		;
}

bool ui_worker_take(struct ui_worker *w, struct ui_result *out)
{
	bool got = false;
	pthread_mutex_lock(&w->lock);
	for (int k = 0; k < UI_JOB_COUNT && !got; k++) {
		if (!w->ready[k])
			continue;
		*out = w->results[k];
		memset(&w->results[k], 0, sizeof(w->results[k]));
		w->ready[k] = false;
		got = true;
	}
	pthread_mutex_unlock(&w->lock);
	return got;
}

void ui_worker_stop(struct ui_worker **wp)
{
	struct ui_worker *w = wp ? *wp : NULL;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	for (int k = 0; k < UI_JOB_COUNT; k++)
		w->pending[k] = false;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (int k = 0; k < UI_JOB_COUNT; k++)
		ui_result_clear(&w->results[k]);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->db_path);
	free(w);
	*wp = NULL;
}
