#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads are audited through a queue so that a GET does not wait for a
 * database write; a writer thread stores the queued rows in batches
 * within a fraction of a second (and all of them on stop). Changes are
 * audited in their own transaction instead (api_notes.c). */
#define AUDIT_QUEUE 16384
#define AUDIT_BATCH 2048

struct srv_audit {
	struct srv *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t space;
	struct srv_audit_row *rows;
	size_t head, count;
	bool stop;
	srv_store *db;
};

static void *writer(void *arg)
{
	struct srv_audit *a = arg;
	struct srv_audit_row *batch = malloc(AUDIT_BATCH * sizeof(*batch));
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->count && !a->stop)
			pthread_cond_wait(&a->wake, &a->lock);
		if (!a->count && a->stop)
			break;
		size_t n = 0;
		while (batch && n < AUDIT_BATCH && a->count) {
			batch[n++] = a->rows[a->head];
			a->head = (a->head + 1) % AUDIT_QUEUE;
			a->count--;
		}
		pthread_cond_broadcast(&a->space);
		pthread_mutex_unlock(&a->lock);
		int result = batch ? srv_audit_add(a->db, batch, n) : DICTUM_NOMEM;
		if (result)
			log_error("server", "audit: %zu rows not written: %s", n,
			          srv_store_errmsg(a->db));
		/* A short pause after a small batch lets rows gather; a full
		 * batch means the queue is busy, so go on at once. */
		struct timespec pause = {0, 5 * 1000 * 1000};
		if (!a->stop && n < AUDIT_BATCH / 8)
			nanosleep(&pause, NULL);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	free(batch);
	return NULL;
}

int srv_audit_start(struct srv *srv, struct srv_audit **out)
{
	struct srv_audit *a = calloc(1, sizeof(*a));
	if (!a || !(a->rows = calloc(AUDIT_QUEUE, sizeof(*a->rows)))) {
		free(a);
		return DICTUM_NOMEM;
	}
	a->srv = srv;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->space, NULL);
	int result = srv_open_db(srv, &a->db);
	if (!result && pthread_create(&a->thread, NULL, writer, a) != 0)
		result = DICTUM_INTERNAL;
	if (result) {
		srv_store_close(&a->db);
		free(a->rows);
		free(a);
		return result;
	}
	*out = a;
	return DICTUM_OK;
}

void srv_audit_push(struct srv_audit *a, const struct srv_audit_row *row)
{
	pthread_mutex_lock(&a->lock);
	while (a->count == AUDIT_QUEUE && !a->stop)
		pthread_cond_wait(&a->space, &a->lock);
	if (a->count < AUDIT_QUEUE) {
		a->rows[(a->head + a->count) % AUDIT_QUEUE] = *row;
		a->count++;
		pthread_cond_signal(&a->wake);
	}
	pthread_mutex_unlock(&a->lock);
}

void srv_audit_stop(struct srv_audit **ap)
{
	struct srv_audit *a = *ap;
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->wake);
	pthread_cond_broadcast(&a->space);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	srv_store_close(&a->db);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->space);
	free(a->rows);
	free(a);
	*ap = NULL;
}
