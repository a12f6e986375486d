#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Reads are audited through a queue so that a GET does not wait for a
 * database write: a writer thread stores what is queued in one transaction
 * at least every AUDIT_FLUSH_MS (sooner when AUDIT_WAKE rows are waiting),
 * and everything on stop. The queue grows (to AUDIT_QUEUE_MAX rows, about
 * 25 MB) rather than make requests wait while a batch is slow: on a busy
 * machine a batch took up to 0.75 s (WAL writes, a checkpoint's fsync, CPU
 * shared with other work), and a queue of 16,384 rows that filled stalled
 * every request (p99 0.55 s). A crash can therefore lose the READ audit
 * rows still queued (normally the last <= 50 ms, at most the rows of such
 * a stall), never those of changes: a change writes its audit row in its
 * own transaction (api_notes.c, api_uploads.c, jobs.c). */
#define AUDIT_QUEUE     16384
#define AUDIT_QUEUE_MAX (AUDIT_QUEUE * 8)
#define AUDIT_BATCH     2048
#define AUDIT_WAKE      1024
#define AUDIT_FLUSH_MS  50

struct srv_audit {
	struct srv *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t space;
	struct srv_audit_row *rows;  /* a ring of cap rows */
	struct srv_audit_row *batch; /* the writer's */
	size_t head, count, cap;
	bool stop;
	srv_store *db;
};

static void rows_free_entities(struct srv_audit_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].entities);
		rows[i].entities = NULL;
	}
}

static void *writer(void *arg)
{
	struct srv_audit *a = arg;
	struct srv_audit_row *batch = a->batch;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		struct timespec due;
		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_nsec += AUDIT_FLUSH_MS * 1000 * 1000;
		if (due.tv_nsec >= 1000 * 1000 * 1000) {
			due.tv_sec++;
			due.tv_nsec -= 1000 * 1000 * 1000;
		}
		while (a->count < AUDIT_WAKE && !a->stop &&
		       pthread_cond_timedwait(&a->wake, &a->lock, &due) != ETIMEDOUT)
			;
		if (!a->count && a->stop)
			break;
		if (!a->count)
			continue;
		size_t n = 0;
		while (n < AUDIT_BATCH && a->count) {
			batch[n++] = a->rows[a->head];
			a->head = (a->head + 1) % a->cap;
			a->count--;
		}
		pthread_cond_broadcast(&a->space);
		pthread_mutex_unlock(&a->lock);
		if (srv_audit_add(a->db, batch, n))
			log_error("server", "audit: %zu rows not written: %s", n,
			          srv_store_errmsg(a->db));
		rows_free_entities(batch, n);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int srv_audit_start(struct srv *srv, struct srv_audit **out)
{
	struct srv_audit *a = calloc(1, sizeof(*a));
	if (!a || !(a->rows = calloc(AUDIT_QUEUE, sizeof(*a->rows))) ||
	    !(a->batch = malloc(AUDIT_BATCH * sizeof(*a->batch)))) {
		if (a)
			free(a->rows);
		free(a);
		return DICTUM_NOMEM;
	}
	a->srv = srv;
	a->cap = AUDIT_QUEUE;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	pthread_cond_init(&a->space, NULL);
	int result = srv_open_db(srv, &a->db);
	if (!result)
		result = srv_store_audit_writer(a->db);
	if (!result && pthread_create(&a->thread, NULL, writer, a) != 0)
		result = DICTUM_INTERNAL;
	if (result) {
		srv_store_close(&a->db);
		free(a->rows);
		free(a->batch);
		free(a);
		return result;
	}
	*out = a;
	return DICTUM_OK;
}

/* Doubles the full ring (under the lock), oldest row first; false when it
 * may not grow or memory is short. */
static bool grow(struct srv_audit *a)
{
	if (a->cap >= AUDIT_QUEUE_MAX)
		return false;
	struct srv_audit_row *rows = malloc(2 * a->cap * sizeof(*rows));
	if (!rows)
		return false;
	for (size_t i = 0; i < a->count; i++)
		rows[i] = a->rows[(a->head + i) % a->cap];
	free(a->rows);
	a->rows = rows;
	a->head = 0;
	a->cap *= 2;
	return true;
}

void srv_audit_push(struct srv_audit *a, const struct srv_audit_row *row)
{
	pthread_mutex_lock(&a->lock);
	if (a->count == a->cap && grow(a))
		log_warn("server", "audit: the writer is behind; the queue holds %zu rows", a->cap);
	while (a->count == a->cap && !a->stop)
		pthread_cond_wait(&a->space, &a->lock);
	if (a->count < a->cap) {
		a->rows[(a->head + a->count) % a->cap] = *row;
		if (++a->count == AUDIT_WAKE)
			pthread_cond_signal(&a->wake);
	} else
		free(row->entities);
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
	for (size_t i = 0; i < a->count; i++)
		free(a->rows[(a->head + i) % a->cap].entities);
	srv_store_close(&a->db);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->space);
	free(a->rows);
	free(a->batch);
	free(a);
	*ap = NULL;
}
