#ifndef DICTUM_SYNC_CLIENT_H
#define DICTUM_SYNC_CLIENT_H

/* The HTTP client of the Dictum API on libcurl: one connection reused
 * across requests, TLS verification always on (a CA bundle may be
 * configured), timeouts on connect and on the whole request. The API key
 * goes only into the Authorization header; it is never logged. */

#include "core/config.h"
#include "sync/policy.h"

#include <stddef.h>
#include <stdint.h>

struct json_object;

struct sync_client_config {
	const char *url;       /* base URL, e.g. https://dictum.example:8750; NULL: none */
	const char *api_key;   /* NULL: none (the server will answer 401) */
	const char *ca_bundle; /* PEM file of trusted CAs; NULL: the system's */
	long connect_timeout_ms;
	long timeout_ms;
};

/* Fills cfg from config.ini [server] url, api_key, ca_bundle, timeout_ms,
 * then the environment: DICTUM_SERVER, DICTUM_API_KEY, DICTUM_CA_BUNDLE.
 * The strings point into c or the environment. Empty values count as
 * absent. */
void sync_client_config_from(struct sync_client_config *cfg, const struct config *c);

struct sync_response {
	enum sync_net_state state;
	long status;              /* HTTP status, 0 when the transfer failed */
	char *body;               /* NUL-terminated, may be NULL */
	struct json_object *json; /* the body when it is a JSON object, else NULL */
	int64_t retry_after_ms;   /* from Retry-After, -1 when absent */
	long rate_limit;          /* X-RateLimit-Limit, -1 when absent */
	long rate_remaining;      /* X-RateLimit-Remaining, -1 when absent */
	int64_t rate_reset_s;     /* X-RateLimit-Reset (epoch seconds), -1 when absent */
	char error[256];          /* one line for a state other than ok: what went wrong,
	                             never the key and never note text */
};
void sync_response_clear(struct sync_response *r);

struct sync_client;

/* A client for cfg (copied). With no URL it is still made: every request
 * then answers SYNC_NET_OFFLINE "no server configured". Returns DICTUM_OK
 * or DICTUM_NOMEM / DICTUM_INVAL with a reason in err. Free with
 * sync_client_free. */
int sync_client_new(const struct sync_client_config *cfg, struct sync_client **out, char *err,
                    size_t errlen);
void sync_client_free(struct sync_client **c);
/* The base URL ("" when none), for messages. */
const char *sync_client_url(const struct sync_client *c);
/* How many HTTP requests this client has sent. */
unsigned long sync_client_requests(const struct sync_client *c);

/* Sends one request: path is appended to the base URL; if_match and
 * idempotency_key (NULL to omit) become If-Match: "N" and
 * Idempotency-Key; body (NULL for none) is sent as application/json.
 * *out is always filled (clear it with sync_response_clear) with the state
 * of the transfer. Returns DICTUM_OK, or DICTUM_NOMEM (out->state is then
 * SYNC_NET_OFFLINE and nothing was sent). */
int sync_client_request(struct sync_client *c, const char *method, const char *path, int if_match,
                        const char *idempotency_key, const char *body, struct sync_response *out);

/* The general form: any body (body_len bytes; NULL for none) with its
 * content type (NULL: application/json) and one more header line (e.g.
 * "Upload-Offset: 1048576", or NULL), or a form with a file. */
struct sync_request {
	const char *method;
	const char *path;
	int if_match;
	const char *idempotency_key;
	const char *body;
	size_t body_len;
	const char *content_type;
	const char *header;
	/* A multipart/form-data body instead: the file at form_file as the
	 * part "file", and the NULL-terminated name, value pairs of form_fields. */
	const char *form_file;
	const char *const *form_fields;
};
int sync_client_send(struct sync_client *c, const struct sync_request *rq,
                     struct sync_response *out);

#endif
