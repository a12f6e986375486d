#ifndef DICTUM_SYNC_POLICY_H
#define DICTUM_SYNC_POLICY_H

/* The pure parts of sync: what a transfer's outcome means, how long to
 * wait before trying again, and Retry-After. No I/O; unit tested. */

#include <stdbool.h>
#include <stdint.h>

/* Where a sync stands, worst last. Every failed transfer is translated
 * into one of these by sync_classify, in one place. */
enum sync_net_state {
	SYNC_NET_OK,
	SYNC_NET_CONFLICT,     /* 409: the note changed on the server too */
	SYNC_NET_RATE_LIMITED, /* 429 (Retry-After says when to come back) */
	SYNC_NET_OFFLINE,      /* no server configured, DNS, refused, timeout, cut off */
	SYNC_NET_REJECTED,     /* another 4xx: this change was refused */
	SYNC_NET_SERVER_ERROR, /* 5xx with the API's JSON error envelope */
	SYNC_NET_TLS,          /* certificate or handshake failure */
	SYNC_NET_BAD_RESPONSE, /* not the Dictum API: HTML, malformed JSON, odd status */
	SYNC_NET_STATE_COUNT
};

/* "ok", "conflict", "rate_limited", "offline", "rejected", "server_error",
 * "tls", "bad_response"; never NULL. */
const char *sync_net_state_name(enum sync_net_state st);

/* Translates a transfer: curl_code is the CURLcode (0 when the transfer
 * completed), http_status the status line's code, json_ok whether the body
 * parsed as a JSON object. A failed transfer is classified by curl_code
 * alone; unknown curl codes count as offline. */
enum sync_net_state sync_classify(int curl_code, long http_status, bool json_ok);

#define SYNC_BACKOFF_BASE_MS 1000
#define SYNC_BACKOFF_CAP_MS  (5 * 60 * 1000)

/* The wait before retry number attempts + 1 of a row that has failed
 * attempts times: exponential (base * 2^attempts, capped at
 * SYNC_BACKOFF_CAP_MS), with "equal jitter": a value in [d/2, d] chosen by
 * random. Negative attempts count as 0. */
int64_t sync_backoff_ms(int attempts, uint32_t random);

/* Parses a Retry-After value: delay-seconds ("120") or an HTTP date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", IMF-fixdate). Returns the wait in ms
 * from now_ms (0 for a date in the past), or -1 when unparseable. */
int64_t sync_retry_after_ms(const char *value, int64_t now_ms);

#endif
