#include "server/ratelimit.h"

#include <stdlib.h>
#include <string.h>

#define MINUTE_MS   60000
#define DAY_MS      86400000
#define TABLE_SIZE  1024
#define MAX_KEY_LEN 96

void srv_window_init(struct srv_window *w, int64_t span_ms, unsigned nbuckets)
{
	memset(w, 0, sizeof(*w));
	if (nbuckets == 0 || nbuckets > SRV_WINDOW_MAX_BUCKETS)
		nbuckets = SRV_WINDOW_MAX_BUCKETS;
	w->nbuckets = nbuckets;
	w->width_ms = span_ms / nbuckets > 0 ? span_ms / nbuckets : 1;
	w->newest = -1;
}

static void advance(struct srv_window *w, int64_t now_ms)
{
	int64_t idx = now_ms / w->width_ms;
	if (w->newest < 0 || idx - w->newest >= (int64_t)w->nbuckets) {
		memset(w->counts, 0, sizeof(w->counts));
		w->total = 0;
	} else {
		for (int64_t i = w->newest + 1; i <= idx; i++) {
			uint32_t *c = &w->counts[i % w->nbuckets];
			w->total -= *c;
			*c = 0;
		}
	}
	if (idx > w->newest)
		w->newest = idx;
}

uint32_t srv_window_count(struct srv_window *w, int64_t now_ms)
{
	advance(w, now_ms);
	return w->total;
}

bool srv_window_take(struct srv_window *w, int64_t now_ms, uint32_t limit)
{
	advance(w, now_ms);
	if (w->total >= limit)
		return false;
	w->counts[w->newest % w->nbuckets]++;
	w->total++;
	return true;
}

int64_t srv_window_reset_ms(struct srv_window *w, int64_t now_ms)
{
	advance(w, now_ms);
	if (w->total == 0)
		return now_ms;
	for (int64_t i = w->newest - (int64_t)w->nbuckets + 1; i <= w->newest; i++)
		if (i >= 0 && w->counts[i % w->nbuckets])
			return (i + (int64_t)w->nbuckets) * w->width_ms;
	return now_ms;
}

struct entry {
	struct entry *next;
	char key[MAX_KEY_LEN];
	struct srv_window minute;
	struct srv_window day;
};

struct srv_ratelimiter {
	pthread_mutex_t lock;
	struct entry *table[TABLE_SIZE];
};

struct srv_ratelimiter *srv_ratelimiter_new(void)
{
	struct srv_ratelimiter *rl = calloc(1, sizeof(*rl));
	if (rl)
		pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void srv_ratelimiter_free(struct srv_ratelimiter **rlp)
{
	struct srv_ratelimiter *rl = *rlp;
	if (!rl)
		return;
	for (size_t i = 0; i < TABLE_SIZE; i++) {
		struct entry *e = rl->table[i];
		while (e) {
			struct entry *next = e->next;
			free(e);
			e = next;
		}
	}
	pthread_mutex_destroy(&rl->lock);
	free(rl);
	*rlp = NULL;
}

static size_t hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 ^ (unsigned char)*s++;
	return h % TABLE_SIZE;
}

static struct entry *lookup(struct srv_ratelimiter *rl, const char *key)
{
	size_t h = hash(key);
	for (struct entry *e = rl->table[h]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	strncpy(e->key, key, sizeof(e->key) - 1);
	srv_window_init(&e->minute, MINUTE_MS, 60);
	srv_window_init(&e->day, DAY_MS, 144);
	e->next = rl->table[h];
	rl->table[h] = e;
	return e;
}

int srv_ratelimiter_check(struct srv_ratelimiter *rl, const char *key,
                          const struct srv_limits *limits, int64_t now_ms,
                          struct srv_rate_result *out)
{
	memset(out, 0, sizeof(*out));
	out->allowed = true;
	out->limit = limits->per_minute;
	pthread_mutex_lock(&rl->lock);
	struct entry *e = lookup(rl, key);
	if (!e) {
		pthread_mutex_unlock(&rl->lock);
		return -1;
	}
	uint32_t minute_left = UINT32_MAX, day_left = UINT32_MAX;
	if (limits->per_day && srv_window_count(&e->day, now_ms) >= limits->per_day) {
		out->allowed = false;
		out->day_exceeded = true;
	} else if (limits->per_minute &&
	           srv_window_count(&e->minute, now_ms) >= limits->per_minute) {
		out->allowed = false;
	}
	if (out->allowed) {
		if (limits->per_minute)
			srv_window_take(&e->minute, now_ms, limits->per_minute);
		if (limits->per_day)
			srv_window_take(&e->day, now_ms, limits->per_day);
	}
	if (limits->per_minute)
		minute_left = limits->per_minute - srv_window_count(&e->minute, now_ms);
	if (limits->per_day)
		day_left = limits->per_day - srv_window_count(&e->day, now_ms);
	uint32_t left = minute_left < day_left ? minute_left : day_left;
	out->remaining = left == UINT32_MAX ? 0 : left;
	int64_t reset_ms = srv_window_reset_ms(&e->minute, now_ms);
	out->reset_s = (reset_ms + 999) / 1000;
	if (!out->allowed) {
		int64_t free_ms =
		    out->day_exceeded ? srv_window_reset_ms(&e->day, now_ms) : reset_ms;
		int64_t wait = (free_ms - now_ms + 999) / 1000;
		out->retry_after = wait < 1 ? 1 : wait;
	}
	pthread_mutex_unlock(&rl->lock);
	return 0;
}
