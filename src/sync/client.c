#include "sync/client.h"
#include "core/dynbuf.h"
#include "core/error.h"
#include "core/util.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_RESPONSE (64u << 20)

struct sync_client {
	CURL *curl;
	char *url;
	char *auth; /* "Authorization: Bearer ..." */
	char *ca_bundle;
	long connect_timeout_ms, timeout_ms;
	unsigned long requests;
};

/* A malloc'ed formatted string; NULL when out of memory (no abort). */
static char *str_fmt2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

void sync_client_config_from(struct sync_client_config *cfg, const struct config *c)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->url = nonempty(config_get(c, "server", "url", NULL));
	cfg->api_key = nonempty(config_get(c, "server", "api_key", NULL));
	cfg->ca_bundle = nonempty(config_get(c, "server", "ca_bundle", NULL));
	const char *t = config_get(c, "server", "timeout_ms", NULL);
	cfg->timeout_ms = t ? atol(t) : 0;
	const struct {
		const char *name;
		const char **field;
	} env[] = {{"DICTUM_SERVER", &cfg->url},
	           {"DICTUM_API_KEY", &cfg->api_key},
	           {"DICTUM_CA_BUNDLE", &cfg->ca_bundle}};
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		const char *v = nonempty(getenv(env[i].name));
		if (v)
			*env[i].field = v;
	}
}

void sync_response_clear(struct sync_response *r)
{
	free(r->body);
	if (r->json)
		json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

static int global_init(void)
{
	static int done = 0;
	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return DICTUM_INTERNAL;
		done = 1;
	}
	return DICTUM_OK;
}

int sync_client_new(const struct sync_client_config *cfg, struct sync_client **out, char *err,
                    size_t errlen)
{
	int result = DICTUM_NOMEM;
	struct sync_client *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		goto fail;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 5000;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
	if (cfg->url) {
		size_t n = strlen(cfg->url);
		while (n && cfg->url[n - 1] == '/')
			n--;
		if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
			snprintf(err, errlen, "the server URL must start with http:// or https://");
			result = DICTUM_INVAL;
			goto fail;
		}
		if (!(c->url = strndup(cfg->url, n)))
			goto fail;
	}
	if (cfg->api_key && !(c->auth = str_fmt2("Authorization: Bearer ", cfg->api_key)))
		goto fail;
	if (cfg->ca_bundle && !(c->ca_bundle = strdup(cfg->ca_bundle)))
		goto fail;
	if ((result = global_init())) {
		snprintf(err, errlen, "cannot initialise libcurl");
		goto fail;
	}
	if (!(c->curl = curl_easy_init())) {
		result = DICTUM_NOMEM;
		goto fail;
	}
	*out = c;
	return DICTUM_OK;
fail:
	if (result == DICTUM_NOMEM)
		snprintf(err, errlen, "out of memory");
	sync_client_free(&c);
	return result;
}

void sync_client_free(struct sync_client **cp)
{
	struct sync_client *c = cp ? *cp : NULL;
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->url);
	if (c->auth) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c->ca_bundle);
	free(c);
	*cp = NULL;
}

const char *sync_client_url(const struct sync_client *c)
{
	return c && c->url ? c->url : "";
}

unsigned long sync_client_requests(const struct sync_client *c)
{
	return c ? c->requests : 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct dynbuf *d = arg;
	return dynbuf_add(d, data, size * n) ? 0 : size * n;
}

struct headers {
	char retry_after[64];
	char content_type[64];
	char limit[24], remaining[24], reset[24];
};

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct headers *h = arg;
	const struct {
		const char *name;
		char *value;
		size_t size;
	} wanted[] = {
	    {"Retry-After", h->retry_after, sizeof(h->retry_after)},
	    {"Content-Type", h->content_type, sizeof(h->content_type)},
	    {"X-RateLimit-Limit", h->limit, sizeof(h->limit)},
	    {"X-RateLimit-Remaining", h->remaining, sizeof(h->remaining)},
	    {"X-RateLimit-Reset", h->reset, sizeof(h->reset)},
	};
	size_t len = size * n;
	char line[256];
	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = '\0';
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		if (strcasecmp(line, wanted[i].name) == 0)
			str_copy(wanted[i].value, str_trim(colon + 1), wanted[i].size);
	return len;
}

/* A header's number, or -1 when absent or not a number. */
static int64_t header_number(const char *v)
{
	char *end = NULL;
	long long x = strtoll(v, &end, 10);
	return *v && end && !*end && x >= 0 ? (int64_t)x : -1;
}

/* What each state means for the user, when the server gave no message. */
static void describe(struct sync_response *r, const struct sync_client *c, int code,
                     const char *curl_err, const char *content_type)
{
	if (r->state == SYNC_NET_OK)
		return;
	struct json_object *e = NULL, *m = NULL;
	const char *msg = NULL;
	if (r->json && json_object_object_get_ex(r->json, "error", &e)) {
		if (json_object_is_type(e, json_type_object) &&
		    json_object_object_get_ex(e, "message", &m))
			msg = json_object_get_string(m);
		else if (json_object_is_type(e, json_type_string))
			msg = json_object_get_string(e);
	}
	if (!msg && r->json && json_object_object_get_ex(r->json, "detail", &m))
		msg = json_object_get_string(m);
	if (code != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s: %s", c->url,
		         curl_err[0] ? curl_err : curl_easy_strerror((CURLcode)code));
	else if (r->state == SYNC_NET_BAD_RESPONSE)
		snprintf(r->error, sizeof(r->error),
		         "%s answered HTTP %ld with %s, not the Dictum API's JSON (is [server] url "
		         "right?)",
		         c->url, r->status,
		         !r->body || !r->body[0] ? "an empty body"
		         : strstr(content_type, "html") ||
		                 strncasecmp(r->body, "<!doctype", 9) == 0 ||
		                 strncasecmp(r->body, "<html", 5) == 0
		             ? "an HTML page"
		             : "malformed JSON");
	else
		snprintf(r->error, sizeof(r->error), "HTTP %ld: %.200s", r->status,
		         msg ? msg : "no message");
}

int sync_client_request(struct sync_client *c, const char *method, const char *path, int if_match,
                        const char *idempotency_key, const char *body, struct sync_response *out)
{
	struct sync_request rq = {.method = method,
	                          .path = path,
	                          .if_match = if_match,
	                          .idempotency_key = idempotency_key,
	                          .body = body,
	                          .body_len = body ? strlen(body) : 0};
	return sync_client_send(c, &rq, out);
}

int sync_client_send(struct sync_client *c, const struct sync_request *rq,
                     struct sync_response *out)
{
	const char *method = rq->method, *path = rq->path, *idempotency_key = rq->idempotency_key;
	const char *body = rq->body;
	int if_match = rq->if_match;
	memset(out, 0, sizeof(*out));
	out->retry_after_ms = -1;
	out->rate_limit = out->rate_remaining = -1;
	out->rate_reset_s = -1;
	out->state = SYNC_NET_OFFLINE;
	if (!c->url) {
		snprintf(out->error, sizeof(out->error),
		         "no server configured ([server] url in config.ini or DICTUM_SERVER)");
		return DICTUM_OK;
	}
	int result = DICTUM_OK;
	struct curl_slist *hdrs = NULL;
	curl_mime *mime = NULL;
	struct dynbuf resp;
	dynbuf_init(&resp, MAX_RESPONSE);
	struct headers h = {0};
	char *url = str_fmt2(c->url, path);
	char extra[3][320];
	char curl_err[CURL_ERROR_SIZE] = "";
	snprintf(extra[0], sizeof(extra[0]), "If-Match: \"%d\"", if_match);
	snprintf(extra[1], sizeof(extra[1]), "Idempotency-Key: %.255s",
	         idempotency_key ? idempotency_key : "");
	snprintf(extra[2], sizeof(extra[2]), "Content-Type: %.200s",
	         rq->content_type ? rq->content_type : "application/json");
	const char *lines[] = {extra[2],
	                       "Accept: application/json",
	                       c->auth,
	                       if_match > 0 ? extra[0] : NULL,
	                       idempotency_key ? extra[1] : NULL,
	                       rq->header};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!lines[i] || (i == 0 && (!body || rq->form_file)))
			continue;
		struct curl_slist *n = curl_slist_append(hdrs, lines[i]);
		if (!n) {
			result = DICTUM_NOMEM;
			goto out;
		}
		hdrs = n;
	}
	if (!url) {
		result = DICTUM_NOMEM;
		goto out;
	}
	CURL *k = c->curl;
	curl_easy_reset(k);
	curl_easy_setopt(k, CURLOPT_URL, url);
	curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(k, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(k, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_bundle)
		curl_easy_setopt(k, CURLOPT_CAINFO, c->ca_bundle);
	curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(k, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(k, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(k, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(k, CURLOPT_USERAGENT, "dictum-sync/" DICTUM_VERSION);
	if (rq->form_file) {
		curl_mimepart *part = (mime = curl_mime_init(k)) ? curl_mime_addpart(mime) : NULL;
		if (!part || curl_mime_name(part, "file") != CURLE_OK ||
		    curl_mime_filedata(part, rq->form_file) != CURLE_OK) {
			result = DICTUM_NOMEM;
			goto out;
		}
		for (const char *const *f = rq->form_fields; f && f[0] && f[1]; f += 2) {
			if (!(part = curl_mime_addpart(mime)) ||
			    curl_mime_name(part, f[0]) != CURLE_OK ||
			    curl_mime_data(part, f[1], CURL_ZERO_TERMINATED) != CURLE_OK) {
				result = DICTUM_NOMEM;
				goto out;
			}
		}
		curl_easy_setopt(k, CURLOPT_MIMEPOST, mime);
	} else if (body) {
		curl_easy_setopt(k, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(k, CURLOPT_HTTPGET, 1L);
	}
	c->requests++;
	CURLcode code = curl_easy_perform(k);
	if (code == CURLE_OK)
		curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &out->status);
	if (resp.len && !(out->body = dynbuf_take(&resp))) {
		result = DICTUM_NOMEM;
		goto out;
	}
	bool json_ok = false;
	if (code == CURLE_OK && out->body) {
		struct json_tokener *tok = json_tokener_new();
		if (!tok) {
			result = DICTUM_NOMEM;
			goto out;
		}
		struct json_object *j =
		    json_tokener_parse_ex(tok, out->body, (int)strlen(out->body));
		bool whole = j && json_tokener_get_error(tok) == json_tokener_success &&
		             (size_t)json_tokener_get_parse_end(tok) == strlen(out->body);
		json_tokener_free(tok);
		if (whole && json_object_is_type(j, json_type_object)) {
			out->json = j;
			json_ok = true;
		} else if (j) {
			json_object_put(j);
		}
	}
	out->state = sync_classify((int)code, out->status, json_ok);
	out->retry_after_ms =
	    sync_retry_after_ms(h.retry_after[0] ? h.retry_after : NULL, time_wall_ms());
	out->rate_limit = (long)header_number(h.limit);
	out->rate_remaining = (long)header_number(h.remaining);
	out->rate_reset_s = header_number(h.reset);
	describe(out, c, (int)code, curl_err, h.content_type);
out:
	if (result) {
		out->state = SYNC_NET_OFFLINE;
		snprintf(out->error, sizeof(out->error), "out of memory");
	}
	curl_slist_free_all(hdrs);
	curl_mime_free(mime);
	dynbuf_free(&resp);
	free(url);
	return result;
}
