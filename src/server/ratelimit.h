#ifndef DICTUM_SERVER_RATELIMIT_H
#define DICTUM_SERVER_RATELIMIT_H

/* Sliding-window rate limits. A window counts requests in n buckets of
 * width_ms each, so it slides with the bucket width's granularity
 * (1 s buckets for a minute, 10 min buckets for a day). */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SRV_WINDOW_MAX_BUCKETS 144

struct srv_window {
	int64_t width_ms;
	unsigned nbuckets;
	int64_t newest; /* bucket index (time / width) of the newest bucket */
	uint32_t total;
	uint32_t counts[SRV_WINDOW_MAX_BUCKETS];
};

/* span_ms / nbuckets is the bucket width; nbuckets <= SRV_WINDOW_MAX_BUCKETS. */
void srv_window_init(struct srv_window *w, int64_t span_ms, unsigned nbuckets);
/* Requests counted in the window ending at now_ms. */
uint32_t srv_window_count(struct srv_window *w, int64_t now_ms);
/* Counts one request if fewer than limit are in the window; returns
 * whether it was counted. */
bool srv_window_take(struct srv_window *w, int64_t now_ms, uint32_t limit);
/* When the oldest counted request leaves the window (ms since the epoch);
 * now_ms when the window is empty. */
int64_t srv_window_reset_ms(struct srv_window *w, int64_t now_ms);

struct srv_limits {
	uint32_t per_minute; /* 0: no limit */
	uint32_t per_day;    /* 0: no limit */
};

struct srv_rate_result {
	bool allowed;
	uint32_t limit;      /* the per-minute limit (X-RateLimit-Limit) */
	uint32_t remaining;  /* what is left of the tighter window */
	int64_t reset_s;     /* epoch seconds when the minute window frees a slot */
	int64_t retry_after; /* seconds, when refused */
	bool day_exceeded;   /* refused by the daily window */
};

/* A table of windows keyed by a string (a key id, or an address for
 * requests without a key); safe to call from several threads. */
struct srv_ratelimiter;
/* NULL when out of memory. */
struct srv_ratelimiter *srv_ratelimiter_new(void);
void srv_ratelimiter_free(struct srv_ratelimiter **rl);
/* Counts a request for key under limits at now_ms. Returns 0, or -1 when
 * out of memory (the request is then allowed, uncounted). */
int srv_ratelimiter_check(struct srv_ratelimiter *rl, const char *key,
                          const struct srv_limits *limits, int64_t now_ms,
                          struct srv_rate_result *out);

#endif
