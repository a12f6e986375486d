#ifndef DICTUM_SERVER_SERVER_H
#define DICTUM_SERVER_SERVER_H

/* `dictum serve`: the REST API of the seed documents on libmicrohttpd.
 * srv_run blocks until SIGINT or SIGTERM, then stops accepting, lets the
 * requests in flight finish, stops the job and webhook workers (jobs left
 * half done are queued again on the next start) and closes the database. */

#include "core/config.h"
#include "server/ratelimit.h"

#include <stddef.h>

struct srv_config {
	char host[64]; /* address to bind, e.g. 127.0.0.1 */
	unsigned port; /* 0: any free port (printed when listening) */
	char db_path[1100];
	unsigned threads;        /* HTTP threads */
	unsigned workers;        /* job workers; 0 leaves jobs queued */
	size_t max_body;         /* bytes; larger bodies get 413 */
	size_t max_upload;       /* bytes of files in a multipart body (audio uploads) */
	unsigned conn_limit;     /* simultaneous connections */
	unsigned conn_timeout_s; /* an idle or stalled connection is closed after this */
	struct srv_limits team, enterprise, anonymous;
	unsigned webhook_attempts;   /* tries before a delivery is given up */
	unsigned webhook_backoff_ms; /* first retry delay; doubles each time */
	unsigned job_delay_ms;       /* test knob: each job takes at least this long */
	/* config.ini as the CLI loaded it, or NULL: the speech engine's [asr]
	 * and [asr.sphinx] tuning, as the workstation and CLI use it. Borrowed:
	 * it must outlive srv_run. */
	const struct config *config;
};

/* The defaults: 127.0.0.1:8750, 4 threads, 2 workers, 1 MiB bodies, the
 * plan limits of seed 000 (team 100/min and 10,000/day, enterprise
 * 1,000/min). */
void srv_config_defaults(struct srv_config *cfg);
/* Applies [server] keys of config.ini, then DICTUM_SERVE_* environment
 * variables (RATE_TEAM_MINUTE, RATE_TEAM_DAY, RATE_ENTERPRISE_MINUTE,
 * RATE_ANON_MINUTE, MAX_BODY, MAX_UPLOAD, THREADS, WORKERS, CONN_TIMEOUT,
 * WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_MS, JOB_DELAY_MS). Returns DICTUM_OK
 * or DICTUM_INVAL with the offending name in bad. */
int srv_config_apply(struct srv_config *cfg, const struct config *c, char *bad, size_t badlen);
/* Parses HOST:PORT (or :PORT, or PORT) into cfg. DICTUM_INVAL if bad. */
int srv_config_listen(struct srv_config *cfg, const char *listen);

/* Runs the server until SIGINT/SIGTERM. Prints "listening on
 * http://HOST:PORT" to stdout once ready. Returns DICTUM_OK, or a status
 * with a one-line reason in err (database, bind failure). */
int srv_run(const struct srv_config *cfg, char *err, size_t errlen);

#endif
