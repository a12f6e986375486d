#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Webhook deliveries: rows of the deliveries table, sent one at a time by
 * one thread with libcurl, signed with the organisation's secret, retried
 * with exponential backoff, kept across restarts. */

#define BACKOFF_CAP_MS (3600LL * 1000)

struct srv_hooks {
	struct srv *srv;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	unsigned long kicks;
};

void srv_hooks_sign(const char *secret, int64_t unix_s, const char *body, char *out, size_t size)
{
	struct dynbuf d;
	dynbuf_init(&d, 64u << 20);
	char mac[SRV_HEX_LEN] = "";
	if (dynbuf_printf(&d, "%" PRId64 ".", unix_s) == 0 && dynbuf_addstr(&d, body) == 0)
		srv_hmac_hex(secret, strlen(secret), d.buf, d.len, mac);
	dynbuf_free(&d);
	snprintf(out, size, "t=%" PRId64 ",v1=%s", unix_s, mac);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

/* Returns the HTTP status, or 0 with err set when no answer came. */
static long post(struct srv_hooks *h, CURL *curl, const struct srv_delivery *d, const char *secret,
                 char *err, size_t errlen)
{
	char sig[128], header[160], delivery[64], event[96];
	srv_hooks_sign(secret, time_wall_ms() / 1000, d->payload, sig, sizeof(sig));
	snprintf(header, sizeof(header), "X-Dictum-Signature: %s", sig);
	snprintf(delivery, sizeof(delivery), "X-Dictum-Delivery: dlv_%" PRId64, d->id);
	snprintf(event, sizeof(event), "X-Dictum-Event: %s", d->event);
	struct curl_slist *headers = NULL, *next;
	const char *lines[] = {"Content-Type: application/json",
	                       "User-Agent: dictum-webhooks/" DICTUM_VERSION, header, delivery,
	                       event};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!(next = curl_slist_append(headers, lines[i]))) {
			curl_slist_free_all(headers);
			snprintf(err, errlen, "out of memory");
			return 0;
		}
		headers = next;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, d->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(d->payload));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
	curl_slist_free_all(headers);
	(void)h;
	return status;
}

static int64_t backoff_ms(const struct srv_config *cfg, int attempts)
{
	int64_t ms = cfg->webhook_backoff_ms ? cfg->webhook_backoff_ms : 1;
	for (int i = 0; i < attempts && ms < BACKOFF_CAP_MS; i++)
		ms *= 2;
	return ms < BACKOFF_CAP_MS ? ms : BACKOFF_CAP_MS;
}

static void deliver(struct srv_hooks *h, srv_store *db, CURL *curl, struct srv_delivery *d)
{
	char secret[80] = "", err[256] = "";
	int result = srv_org_webhook_secret(db, d->org_id, secret);
	long status = result ? 0 : post(h, curl, d, secret, err, sizeof(err));
	if (result)
		snprintf(err, sizeof(err), "no signing secret: %s", dictum_strerror(result));
	if (status >= 200 && status < 300) {
		result = srv_delivery_done(db, d->id, (int)status);
	} else {
		if (status)
			snprintf(err, sizeof(err), "HTTP %ld", status);
		int tried = d->attempts + 1;
		int64_t next = tried >= (int)h->srv->cfg.webhook_attempts
		                   ? -1
		                   : time_wall_ms() + backoff_ms(&h->srv->cfg, d->attempts);
		log_info("server", "webhook delivery %" PRId64 " (%s) attempt %d failed: %s%s",
		         d->id, d->event, tried, err, next < 0 ? "; giving up" : "");
		result = srv_delivery_retry(db, d->id, next, err);
	}
	if (result)
		log_error("server", "webhooks: %s", srv_store_errmsg(db));
}

static void *sender(void *arg)
{
	struct srv_hooks *h = arg;
	struct srv *srv = h->srv;
	srv_store *db = NULL;
	CURL *curl = curl_easy_init();
	if (!curl || srv_open_db(srv, &db)) {
		log_error("server", "webhooks: cannot start the sender");
		if (curl)
			curl_easy_cleanup(curl);
		return NULL;
	}
	unsigned long seen = 0;
	while (!atomic_load(&srv->stopping)) {
		struct srv_delivery d;
		int result = srv_delivery_next(db, time_wall_ms(), &d);
		if (result == DICTUM_OK) {
			deliver(h, db, curl, &d);
			srv_delivery_clear(&d);
			continue;
		}
		int64_t due = INT64_MAX;
		srv_delivery_next_due(db, &due);
		int64_t wait = due == INT64_MAX ? 1000 : due - time_wall_ms();
		if (wait > 1000)
			wait = 1000;
		pthread_mutex_lock(&h->lock);
		if (h->kicks == seen && wait > 0 && !atomic_load(&srv->stopping)) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			int64_t ns = until.tv_nsec + wait * 1000000LL;
			until.tv_sec += (time_t)(ns / 1000000000LL);
			until.tv_nsec = (long)(ns % 1000000000LL);
			pthread_cond_timedwait(&h->wake, &h->lock, &until);
		}
		seen = h->kicks;
		pthread_mutex_unlock(&h->lock);
	}
	curl_easy_cleanup(curl);
	srv_store_close(&db);
	return NULL;
}

int srv_hooks_start(struct srv *srv, struct srv_hooks **out)
{
	struct srv_hooks *h = calloc(1, sizeof(*h));
	if (!h)
		return DICTUM_NOMEM;
	h->srv = srv;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	*out = h;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (pthread_create(&h->thread, NULL, sender, h) != 0)
		return DICTUM_INTERNAL;
	h->started = true;
	return DICTUM_OK;
}

void srv_hooks_kick(struct srv_hooks *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->kicks++;
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

void srv_hooks_stop(struct srv_hooks **hp)
{
	struct srv_hooks *h = *hp;
	if (!h)
		return;
	atomic_store(&h->srv->stopping, true);
	srv_hooks_kick(h);
	if (h->started)
		pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->wake);
	free(h);
	*hp = NULL;
	curl_global_cleanup();
}
