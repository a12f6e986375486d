#ifndef DICTUM_SYNC_SYNC_H
#define DICTUM_SYNC_SYNC_H

/* The outbox worker: pushes the store's outbox to a Dictum server in
 * order, each row with its Idempotency-Key, and pulls the notes changed on
 * the server since the last cursor (kept in the store's meta table as
 * "sync.cursor"). Nothing local is ever lost:
 * - a row leaves the outbox only when the server has answered 2xx for it;
 * - offline, TLS failure or a response that is not the API stop the run
 *   with the outbox untouched (offline does not count as an attempt);
 * - a rejected change (4xx) or a server error (5xx) is retried later with
 *   exponential backoff and jitter (sync_backoff_ms);
 * - 429 waits for Retry-After (within max_wait_ms) and goes on, and the
 *   X-RateLimit-* headers slow requests down before the limit is hit;
 * - 409 keeps both: store_sync_conflict_add;
 * - a pulled note never overwrites local changes not yet pushed, nor a
 *   signed note (store_sync_apply).
 * One call is one pass; a worker thread may call it with its own store
 * handle and client, and stop it early through cancel. */

#include "offline/store.h"
#include "sync/client.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sync_options {
	bool no_pull;                  /* push only */
	int64_t max_wait_ms;           /* the most a pass sleeps for rate limits; 0: 120 s */
	volatile sig_atomic_t *cancel; /* when it becomes non-zero the pass stops soon */
	uint32_t (*random)(void *arg); /* jitter source; NULL: xorshift seeded by clock and pid */
	void *random_arg;
	size_t chunk_bytes; /* recording upload chunk; 0: 1 MiB */
	/* Called after each chunk of a recording upload; may be NULL. */
	void (*progress)(void *arg, const char *recording_uid, int64_t done, int64_t total);
	void *progress_arg;
};

struct sync_report {
	enum sync_net_state state;      /* the state the pass ended in */
	char message[320];              /* one line when state is not ok ("" otherwise) */
	size_t pushed;                  /* outbox rows the server took */
	size_t pulled;                  /* server notes read */
	size_t pulled_new;              /* ... stored here as new notes */
	size_t pulled_updated;          /* ... that replaced a synced local copy */
	size_t kept_local;              /* ... not applied: local changes or signed here */
	size_t conflicts;               /* new conflicts recorded in this pass */
	size_t rejected;                /* rows the server refused (kept, retried later) */
	size_t retried;                 /* rows put off by backoff in this pass */
	size_t rate_limited;            /* 429 answers met */
	int64_t waited_ms;              /* time slept for rate limits */
	unsigned long requests;         /* HTTP requests sent */
	size_t uploaded;                /* recordings and transcripts the server now has whole */
	size_t uploads_resumed;         /* ... of which continued a partial upload */
	int64_t upload_bytes;           /* recording bytes sent in this pass */
	int64_t upload_skipped_bytes;   /* bytes the server had already: not sent again */
	size_t uploads_left;            /* recordings and transcripts still to upload */
	struct store_sync_counts after; /* the store after the pass */
};

/* Runs one pass. Returns DICTUM_OK whatever the network did (see
 * report->state); a DICTUM_* status when the store failed (with the
 * reason in report->message; the outbox is as it was). */
int sync_once(store *s, struct sync_client *c, const struct sync_options *opt,
              struct sync_report *report);

/* The size and SHA-256 (lowercase hex) of a file, as uploads declare
 * them. DICTUM_OK, DICTUM_NOTFOUND, DICTUM_IO or DICTUM_NOMEM. */
int sync_file_sha256(const char *path, int64_t *size, char out[65]);

/* The exit status a command should use for a pass: 0 for ok, offline,
 * rate_limited and conflict (normal outcomes), 1 otherwise; with strict,
 * offline is 1 too. */
int sync_exit_status(const struct sync_report *report, bool strict);

#endif
