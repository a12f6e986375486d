#include "ui/syncer.h"
#include "core/lib.h"
#include "sync/client.h"
#include "sync/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct ui_syncer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pipe[2];
	char *db_path;
	const struct config *cfg;
	int64_t interval_ms;
	bool want_now, nudged, quitting; /* (under lock) */
	volatile sig_atomic_t cancel;
	struct syncer_status status; /* (under lock) */
};

static void wake(struct ui_syncer *s)
{
	char byte = 1;
	if (write(s->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
		log_warn("ui", "cannot wake the screen: %s", strerror(errno));
}

static void read_counts(struct ui_syncer *s, store *st)
{
	struct store_sync_counts c;
	if (!st || store_sync_counts(st, &c) != DICTUM_OK)
		return;
	pthread_mutex_lock(&s->lock);
	s->status.counts = c;
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

static void pass(struct ui_syncer *s, store *st, struct sync_client *client)
{
	struct sync_options opt = {.cancel = &s->cancel, .max_wait_ms = 30000};
	struct sync_report rep;
	memset(&rep, 0, sizeof(rep));
	pthread_mutex_lock(&s->lock);
	s->status.running = true;
	pthread_mutex_unlock(&s->lock);
	wake(s);
	int rc = st ? sync_once(st, client, &opt, &rep) : DICTUM_IO;
	pthread_mutex_lock(&s->lock);
	s->status.running = false;
	s->status.passes++;
	if (rc) {
		s->status.state = SYNC_NET_BAD_RESPONSE;
		snprintf(s->status.message, sizeof(s->status.message), "the store failed: %.280s",
		         st ? rep.message : "it could not be opened");
	} else {
		s->status.state = rep.state;
		str_copy(s->status.message, rep.message, sizeof(s->status.message));
		s->status.counts = rep.after;
		if (rep.state < SYNC_NET_OFFLINE)
			s->status.last_ok_ms = time_wall_ms();
	}
	s->status.pushed = rep.pushed;
	s->status.pulled = rep.pulled;
	s->status.new_conflicts = rep.conflicts;
	pthread_mutex_unlock(&s->lock);
	wake(s);
}

static void *syncer_main(void *arg)
{
	struct ui_syncer *s = arg;
	store *st = NULL;
	struct sync_client *client = NULL;
	struct sync_client_config cc;
	char err[512];
	if (store_open(s->db_path, &st, err, sizeof(err)) != DICTUM_OK) {
		log_error("ui", "sync: %s", err);
		st = NULL;
	}
	sync_client_config_from(&cc, s->cfg);
	if (sync_client_new(&cc, &client, err, sizeof(err)) != DICTUM_OK) {
		pthread_mutex_lock(&s->lock);
		str_copy(s->status.message, err, sizeof(s->status.message));
		s->status.configured = false;
		pthread_mutex_unlock(&s->lock);
	}
	read_counts(s, st);
	int64_t next = time_wall_ms(); /* a first pass at once */
	pthread_mutex_lock(&s->lock);
	while (!s->quitting) {
		int64_t now = time_wall_ms();
		if (s->want_now || now >= next) {
			s->want_now = false;
			pthread_mutex_unlock(&s->lock);
			if (client && s->status.configured)
				pass(s, st, client);
			else
				read_counts(s, st);
			pthread_mutex_lock(&s->lock);
			next = time_wall_ms() + s->interval_ms;
		} else if (s->nudged) {
			s->nudged = false;
			pthread_mutex_unlock(&s->lock);
			read_counts(s, st);
			pthread_mutex_lock(&s->lock);
			if (s->status.configured && next > now + SYNCER_NUDGE_MS)
				next = now + SYNCER_NUDGE_MS;
		} else {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wait = next - now;
			ts.tv_sec += (time_t)(wait / 1000);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->cond, &s->lock, &ts);
		}
	}
	pthread_mutex_unlock(&s->lock);
	sync_client_free(&client);
	store_close(&st);
	return NULL;
}

static void destroy(struct ui_syncer *s)
{
	for (int i = 0; i < 2; i++)
		if (s->pipe[i] >= 0)
			close(s->pipe[i]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->db_path);
	free(s);
}

int ui_syncer_start(struct ui_syncer **out, const char *db_path, const struct config *cfg,
                    int *wake_fd)
{
	struct ui_syncer *s = calloc(1, sizeof(*s));
	if (!s)
		return DICTUM_NOMEM;
	s->pipe[0] = s->pipe[1] = -1;
	s->cfg = cfg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	const char *iv = config_get(cfg, "ui", "sync_interval_s", NULL);
	double secs = iv ? atof(iv) : SYNCER_INTERVAL_DEFAULT_S;
	s->interval_ms = (int64_t)((secs > 0 ? secs : SYNCER_INTERVAL_DEFAULT_S) * 1000);
	struct sync_client_config cc;
	sync_client_config_from(&cc, cfg);
	s->status.configured = cc.url != NULL;
	s->status.state = SYNC_NET_OFFLINE;
	if (!s->status.configured)
		str_copy(s->status.message, "no server configured", sizeof(s->status.message));
	if (!(s->db_path = strdup(db_path)) || pipe(s->pipe) != 0) {
		destroy(s);
		return DICTUM_NOMEM;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(s->pipe[i], F_SETFL, fcntl(s->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(s->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	if (pthread_create(&s->thread, NULL, syncer_main, s) != 0) {
		destroy(s);
		return DICTUM_INTERNAL;
	}
	*wake_fd = s->pipe[0];
	*out = s;
	return DICTUM_OK;
}

static void ask(struct ui_syncer *s, bool *flag)
{
	pthread_mutex_lock(&s->lock);
	*flag = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void ui_syncer_now(struct ui_syncer *s)
{
	ask(s, &s->want_now);
}

void ui_syncer_nudge(struct ui_syncer *s)
{
	ask(s, &s->nudged);
}

void ui_syncer_status(struct ui_syncer *s, struct syncer_status *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->status;
	pthread_mutex_unlock(&s->lock);
}

void ui_syncer_drain(struct ui_syncer *s)
{
	char buf[64];
	while (read(s->pipe[0], buf, sizeof(buf)) > 0)
		;
}

void ui_syncer_free(struct ui_syncer **sp)
{
	struct ui_syncer *s = sp ? *sp : NULL;
	if (!s)
		return;
	s->cancel = 1;
	ask(s, &s->quitting);
	pthread_join(s->thread, NULL);
	destroy(s);
	*sp = NULL;
}
