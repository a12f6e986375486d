#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>

#define IDEM_TTL_MS     (24LL * 3600 * 1000)
#define SRV_CONN_MEMORY 16384

void srv_config_defaults(struct srv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	str_copy(cfg->host, "127.0.0.1", sizeof(cfg->host));
	cfg->port = 8750;
	cfg->threads = 4;
	cfg->workers = 2;
	cfg->max_body = 1u << 20;
	cfg->max_upload = 100u << 20;
	cfg->conn_limit = 512;
	cfg->conn_timeout_s = 15;
	cfg->team = (struct srv_limits){100, 10000};
	cfg->enterprise = (struct srv_limits){1000, 0};
	cfg->anonymous = (struct srv_limits){600, 0};
	cfg->webhook_attempts = 8;
	cfg->webhook_backoff_ms = 1000;
}

int srv_config_listen(struct srv_config *cfg, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	const char *port = colon ? colon + 1 : listen;
	char *end = NULL;
	errno = 0;
	unsigned long p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p > 65535)
		return DICTUM_INVAL;
	if (colon && colon > listen) {
		size_t n = (size_t)(colon - listen);
		if (n >= sizeof(cfg->host))
			return DICTUM_INVAL;
		memcpy(cfg->host, listen, n);
		cfg->host[n] = '\0';
	}
	cfg->port = (unsigned)p;
	return DICTUM_OK;
}

static int set_uint(const char *text, unsigned *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (!*text || *end || errno || v > 0xffffffffUL || text[0] == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

int srv_config_apply(struct srv_config *cfg, const struct config *c, char *bad, size_t badlen)
{
	unsigned max_body = (unsigned)cfg->max_body, max_upload = (unsigned)cfg->max_upload;
	const struct {
		const char *key;
		unsigned *dst;
	} knobs[] = {
	    {"rate_team_minute", &cfg->team.per_minute},
	    {"rate_team_day", &cfg->team.per_day},
	    {"rate_enterprise_minute", &cfg->enterprise.per_minute},
	    {"rate_anon_minute", &cfg->anonymous.per_minute},
	    {"max_body", &max_body},
	    {"max_upload", &max_upload},
	    {"threads", &cfg->threads},
	    {"workers", &cfg->workers},
	    {"conn_timeout", &cfg->conn_timeout_s},
	    {"conn_limit", &cfg->conn_limit},
	    {"webhook_attempts", &cfg->webhook_attempts},
	    {"webhook_backoff_ms", &cfg->webhook_backoff_ms},
	    {"job_delay_ms", &cfg->job_delay_ms},
	};
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		const char *v = c ? config_get(c, "server", knobs[i].key, NULL) : NULL;
		char env[64];
		snprintf(env, sizeof(env), "DICTUM_SERVE_%s", knobs[i].key);
		for (char *p = env; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		const char *e = getenv(env);
		if (e && *e)
			v = e;
		if (v && set_uint(v, knobs[i].dst)) {
			snprintf(bad, badlen, "%s", e && v == e ? env : knobs[i].key);
			return DICTUM_INVAL;
		}
	}
	cfg->max_body = max_body;
	cfg->max_upload = max_upload;
	if (cfg->threads == 0 || cfg->threads > 64) {
		snprintf(bad, badlen, "threads (1..64)");
		return DICTUM_INVAL;
	}
	if (cfg->workers > 32) {
		snprintf(bad, badlen, "workers (0..32)");
		return DICTUM_INVAL;
	}
	const char *listen = c ? config_get(c, "server", "listen", NULL) : NULL;
	if (listen && srv_config_listen(cfg, listen)) {
		snprintf(bad, badlen, "listen");
		return DICTUM_INVAL;
	}
	return DICTUM_OK;
}

/* ---- responses ---- */

void api_json(struct srv_resp *rs, int status, struct json_object *obj)
{
	free(rs->body);
	const char *text = obj ? json_object_to_json_string_ext(
	                             obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
	                       : NULL;
	rs->body = text ? strdup(text) : NULL;
	rs->status = rs->body ? status : 500;
	json_object_put(obj);
}

void api_error(struct srv_req *rq, struct srv_resp *rs, int status, const char *code,
               const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct json_object *o = json_object_new_object();
	if (rq->route && (rq->route->flags & API_SEED001)) {
		json_object_object_add(o, "detail", json_object_new_string(msg));
	} else {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string(code));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(e, "request_id", json_object_new_string(rq->request_id));
		json_object_object_add(o, "error", e);
		if (status == 429)
			json_object_object_add(o, "detail", json_object_new_string(msg));
	}
	api_json(rs, status, o);
}

void api_store_error(struct srv_req *rq, struct srv_resp *rs, int status)
{
	log_error("server", "%s %s (%s): %s: %s", rq->method, rq->url, rq->request_id,
	          dictum_strerror(status), srv_store_errmsg(rq->db));
	if (status == DICTUM_BUSY)
		api_error(rq, rs, 503, "unavailable", "The database is busy; try again");
	else
		api_error(rq, rs, 500, "internal_error", "Internal error (request %s)",
		          rq->request_id);
}

const char *api_query(struct srv_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(struct srv_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void api_audit_row(struct srv_req *rq, const char *action, const char *entity,
                   struct srv_audit_row *row)
{
	memset(row, 0, sizeof(*row));
	time_now_iso(row->at);
	row->org_id = rq->key.org_id;
	str_copy(row->key_uid, rq->key.uid, sizeof(row->key_uid));
	str_copy(row->action, action, sizeof(row->action));
	str_copy(row->entity, entity, sizeof(row->entity));
	str_copy(row->request_id, rq->request_id, sizeof(row->request_id));
}

/* ---- the database pool: one handle per HTTP thread ---- */

int srv_open_db(struct srv *srv, srv_store **out)
{
	char err[512];
	int result = srv_store_open(srv->cfg.db_path, &srv->write_lock, out, err, sizeof(err));
	if (result)
		log_error("server", "%s", err);
	return result;
}

/* Each HTTP thread keeps the handle it got first while it is free (the
 * pool has one per thread, so it always is): no lock and no wait per
 * request, and the thread's prepared statements stay warm. */
static srv_store *pool_take(struct srv *srv, size_t *slot)
{
	static _Thread_local struct srv *owner;
	static _Thread_local size_t mine;
	if (owner == srv && mine < srv->npool) {
		bool expected = false;
		if (atomic_compare_exchange_strong(&srv->pool_busy[mine], &expected, true)) {
			*slot = mine;
			return srv->pool[mine];
		}
	}
	/* Counted before looking, so a give that races with the look signals. */
	pthread_mutex_lock(&srv->pool_lock);
	atomic_fetch_add(&srv->pool_waiting, 1);
	for (;;) {
		for (size_t i = 0; i < srv->npool; i++) {
			bool expected = false;
			if (atomic_compare_exchange_strong(&srv->pool_busy[i], &expected, true)) {
				*slot = i;
				if (owner != srv && !srv->pool_owned[i]) {
					srv->pool_owned[i] = true;
					owner = srv;
					mine = i;
				}
				atomic_fetch_sub(&srv->pool_waiting, 1);
				pthread_mutex_unlock(&srv->pool_lock);
				return srv->pool[i];
			}
		}
		pthread_cond_wait(&srv->pool_cond, &srv->pool_lock);
	}
}

static void pool_give(struct srv *srv, size_t slot)
{
	atomic_store(&srv->pool_busy[slot], false);
	/* Someone waits only when every handle was taken. */
	if (atomic_load(&srv->pool_waiting)) {
		pthread_mutex_lock(&srv->pool_lock);
		pthread_cond_signal(&srv->pool_cond);
		pthread_mutex_unlock(&srv->pool_lock);
	}
}

/* ---- the request pipeline ---- */

static void rate_limit(struct srv_req *rq, struct srv_resp *rs, const char *who,
                       const struct srv_limits *limits)
{
	if (srv_ratelimiter_check(rq->srv->rl, who, limits, time_wall_ms(), &rs->rate) == 0)
		rs->have_rate = true;
}

static void refuse_rate(struct srv_req *rq, struct srv_resp *rs)
{
	if (rs->rate.day_exceeded)
		api_error(rq, rs, 429, "rate_limited",
		          "Rate limit of %u requests per day exceeded. Please try again in %" PRId64
		          " seconds.",
		          rq->key.plan == SRV_PLAN_ENTERPRISE ? rq->srv->cfg.enterprise.per_day
		                                              : rq->srv->cfg.team.per_day,
		          rs->rate.retry_after);
	else
		api_error(rq, rs, 429, "rate_limited",
		          "Rate limit of %u requests per minute exceeded. Please try again in "
		          "%" PRId64 " seconds.",
		          rs->rate.limit, rs->rate.retry_after);
}

/* The HMAC of a key, remembered per HTTP thread for the last few keys
 * seen: the same clients call again and again. Only the hash is cached;
 * whether the key is live is asked of the database every time. */
static void key_hash_cached(const unsigned char secret[32], const char *key, char out[SRV_HEX_LEN])
{
	static _Thread_local struct {
		char key[SRV_KEY_LEN];
		char hash[SRV_HEX_LEN];
	} cache[8];
	static _Thread_local unsigned next;
	size_t n = strlen(key);
	for (size_t i = 0; n < SRV_KEY_LEN && i < 8; i++) {
		if (cache[i].hash[0] && strcmp(cache[i].key, key) == 0) {
			memcpy(out, cache[i].hash, SRV_HEX_LEN);
			return;
		}
	}
	srv_key_hash(secret, key, out);
	if (n < SRV_KEY_LEN) {
		memcpy(cache[next].key, key, n + 1);
		memcpy(cache[next].hash, out, SRV_HEX_LEN);
		next = (next + 1) % 8;
	}
}

static bool authenticate(struct srv_req *rq, struct srv_resp *rs)
{
	const char *key = srv_key_from_headers(api_header(rq, MHD_HTTP_HEADER_AUTHORIZATION),
	                                       api_header(rq, "X-API-KEY"));
	if (!key) {
		api_error(rq, rs, 401, "unauthorized",
		          "Missing API key: send it as 'Authorization: Bearer KEY' or "
		          "'X-API-KEY: KEY'");
		return false;
	}
	char hash[SRV_HEX_LEN];
	key_hash_cached(rq->srv->secret, key, hash);
	int result = srv_key_find(rq->db, hash, &rq->key);
	if (result == DICTUM_NOTFOUND) {
		api_error(rq, rs, 401, "invalid_api_key",
		          "The API key is not valid or was revoked");
		return false;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return false;
	}
	rq->authed = true;
	return true;
}

static bool content_type_json(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, "; ");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

static bool parse_body(struct srv_req *rq, struct srv_resp *rs)
{
	if (!content_type_json(api_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		api_error(rq, rs, 415, "unsupported_media_type",
		          "Send the body as JSON with 'Content-Type: application/json'");
		return false;
	}
	if (rq->body.len == 0) {
		api_error(rq, rs, 400, "invalid_json",
		          "The request body is empty; send a JSON object");
		return false;
	}
	if (strlen(dynbuf_str(&rq->body)) != rq->body.len) {
		api_error(rq, rs, 400, "invalid_json", "The body holds a NUL byte");
		return false;
	}
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok) {
		api_error(rq, rs, 500, "internal_error", "Out of memory");
		return false;
	}
	rq->json = json_tokener_parse_ex(tok, dynbuf_str(&rq->body), (int)rq->body.len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	bool trailing = false;
	for (size_t i = used; rq->json && i < rq->body.len; i++)
		if (!strchr(" \t\r\n", rq->body.buf[i]))
			trailing = true;
	if (!rq->json || jerr != json_tokener_success || trailing) {
		api_error(rq, rs, 400, "invalid_json", "The body is not valid JSON: %s",
		          trailing ? "text after the value" : json_tokener_error_desc(jerr));
		return false;
	}
	if (!json_object_is_type(rq->json, json_type_object)) {
		api_error(rq, rs, 400, "invalid_json", "The body must be a JSON object");
		return false;
	}
	return true;
}

static bool content_type_multipart(const char *ct)
{
	return ct && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

/* The state of a multipart body: too large, malformed, or not multipart. */
static bool check_form(struct srv_req *rq, struct srv_resp *rs)
{
	const char *why = "";
	int state = !rq->form       ? DICTUM_UNSUPPORTED
	            : rq->too_large ? DICTUM_FULL
	                            : srv_form_state(rq->form, &why);
	bool seed001 = rq->route->flags & API_SEED001;
	switch (state) {
	case DICTUM_OK:
		return true;
	case DICTUM_FULL:
		api_error(rq, rs, seed001 ? 400 : 413, "payload_too_large",
		          "File too large: uploads are limited to %zu bytes",
		          rq->srv->cfg.max_upload);
		return false;
	case DICTUM_INVAL:
		api_error(rq, rs, 400, "invalid_multipart", "The form is not valid: %s", why);
		return false;
	case DICTUM_IO:
		api_error(rq, rs, 500, "internal_error", "Cannot store the upload (request %s)",
		          rq->request_id);
		return false;
	default:
		api_error(rq, rs, 415, "unsupported_media_type",
		          "Send the body as multipart/form-data");
		return false;
	}
}

static bool idem_key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return false;
	return true;
}

/* Runs the handler inside one transaction with the idempotency record:
 * a retried write replays the first answer, a reused key with another
 * request is refused, and two racing requests cannot both write. */
static void run_idempotent(struct srv_req *rq, struct srv_resp *rs, const char *idem)
{
	char fp[SRV_HEX_LEN];
	const char *body = rq->form ? srv_form_digest(rq->form) : dynbuf_str(&rq->body);
	const char *parts[] = {rq->method, rq->url, body};
	size_t lens[] = {strlen(rq->method), strlen(rq->url),
	                 rq->form ? strlen(body) : rq->body.len};
	srv_sha256_parts_hex(parts, lens, 3, fp);
	int result = srv_store_begin(rq->db);
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	struct srv_idem prior;
	result = srv_idem_get(rq->db, rq->key.id, idem, time_wall_ms() - IDEM_TTL_MS, &prior);
	if (result == DICTUM_OK) {
		srv_store_rollback(rq->db);
		if (strcmp(prior.fingerprint, fp) != 0) {
			api_error(
			    rq, rs, 422, "idempotency_key_reused",
			    "This Idempotency-Key was used with a different request in the last "
			    "24 hours; use a new key");
		} else {
			free(rs->body);
			rs->body = prior.body;
			prior.body = NULL;
			rs->status = prior.status;
			str_copy(rs->location, prior.location ? prior.location : "",
			         sizeof(rs->location));
			rs->replayed = true;
		}
		srv_idem_clear(&prior);
		return;
	}
	if (result != DICTUM_NOTFOUND) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		return;
	}
	rq->route->handler(rq, rs);
	if (rs->status >= 200 && rs->status < 300) {
		struct srv_idem rec = {.status = rs->status,
		                       .body = rs->body,
		                       .location = rs->location[0] ? rs->location : NULL,
		                       .created_ms = time_wall_ms()};
		str_copy(rec.fingerprint, fp, sizeof(rec.fingerprint));
		if ((result = srv_idem_put(rq->db, rq->key.id, idem, &rec)) ||
		    (result = srv_store_commit(rq->db))) {
			srv_store_rollback(rq->db);
			rq->kick_jobs = rq->kick_hooks = false;
			api_store_error(rq, rs, result);
		}
		return;
	}
	/* An error wrote nothing (handlers roll their own work back). */
	srv_store_commit(rq->db);
}

/* Requests without a (valid) key are limited per client address. */
static bool limit_anonymous(struct srv_req *rq, struct srv_resp *rs)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char who[80] = "ip:?";
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		const unsigned char *a =
		    (const unsigned char *)&((const struct sockaddr_in *)ci->client_addr)->sin_addr;
		snprintf(who, sizeof(who), "ip:%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	}
	rate_limit(rq, rs, who, &rq->srv->cfg.anonymous);
	if (rs->have_rate && !rs->rate.allowed) {
		refuse_rate(rq, rs);
		return false;
	}
	return true;
}

static void dispatch(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv *srv = rq->srv;
	int status = rq->route_status;
	str_copy(rs->allow, rq->allow, sizeof(rs->allow));
	if (!rq->route) {
		if (!limit_anonymous(rq, rs))
			return;
		if (status == 405)
			api_error(rq, rs, 405, "method_not_allowed", "%s is not allowed on %s",
			          rq->method, rq->url);
		else
			api_error(rq, rs, 404, "not_found", "No such endpoint: %s", rq->url);
		return;
	}
	size_t slot = 0;
	rq->db = pool_take(srv, &slot);
	rq->slot = slot;
	/* A read (GET): the key and the data from one snapshot. */
	if (strcmp(rq->method, "GET") == 0)
		srv_store_read_begin(rq->db);
	if (rq->route->flags & API_NOAUTH) {
		if (!limit_anonymous(rq, rs))
			goto out;
	} else {
		if (!authenticate(rq, rs)) {
			struct srv_resp refused = *rs;
			refused.body = NULL;
			if (!limit_anonymous(rq, &refused)) {
				free(rs->body);
				*rs = refused;
			} else {
				rs->rate = refused.rate;
				rs->have_rate = refused.have_rate;
				free(refused.body);
			}
			goto out;
		}
		rate_limit(rq, rs, rq->key.uid,
		           rq->key.plan == SRV_PLAN_ENTERPRISE ? &srv->cfg.enterprise
		                                               : &srv->cfg.team);
		if (rs->have_rate && !rs->rate.allowed) {
			refuse_rate(rq, rs);
			goto out;
		}
		unsigned have = 0;
		char bad[64];
		srv_scopes_parse(rq->key.scopes, &have, bad, sizeof(bad));
		if ((have & rq->route->scope) != rq->route->scope) {
			char need[96];
			srv_scopes_format(rq->route->scope & ~have, need, sizeof(need));
			api_error(rq, rs, 403, "insufficient_scope", "This key lacks the %s scope",
			          need);
			goto out;
		}
	}
	if ((rq->route->flags & API_MULTIPART) && !check_form(rq, rs))
		goto out;
	if (rq->too_large) {
		api_error(rq, rs, 413, "payload_too_large", "The body is larger than %zu bytes",
		          rq->body.max);
		goto out;
	}
	if ((rq->route->flags & API_JSON_BODY) && !parse_body(rq, rs))
		goto out;
	if (rq->route->check) {
		rq->route->check(rq, rs);
		if (rs->status)
			goto out;
	}
	const char *idem = (rq->route->flags & API_IDEMPOTENT) && rq->authed
	                       ? api_header(rq, "Idempotency-Key")
	                       : NULL;
	if (idem && !idem_key_valid(idem)) {
		api_error(rq, rs, 400, "invalid_idempotency_key",
		          "Idempotency-Key must be 1 to 255 visible ASCII characters");
		goto out;
	}
	if (idem)
		run_idempotent(rq, rs, idem);
	else
		rq->route->handler(rq, rs);
	if (rq->kick_jobs)
		srv_jobs_kick(srv->jobs);
	if (rq->kick_hooks)
		srv_hooks_kick(srv->hooks);
out:
	srv_store_read_end(rq->db);
	pool_give(srv, slot);
	rq->db = NULL;
}

static void add_header(struct MHD_Response *r, const char *name, const char *value)
{
	if (value && *value)
		MHD_add_response_header(r, name, value);
}

static enum MHD_Result send_response(struct srv_req *rq, struct srv_resp *rs)
{
	if (!rs->body) {
		rs->status = 500;
		rs->body = strdup("{\"error\":{\"code\":\"internal_error\",\"message\":\"Out of "
		                  "memory\"}}");
	}
	size_t len = rs->body ? strlen(rs->body) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, rs->body ? rs->body : (char *)"",
	    rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	rs->body = NULL;
	if (len)
		add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		           rs->content_type[0] ? rs->content_type : "application/json");
	add_header(r, "X-Request-Id", rq->request_id);
	add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	add_header(r, MHD_HTTP_HEADER_LOCATION, rs->location);
	add_header(r, MHD_HTTP_HEADER_ETAG, rs->etag);
	add_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->replayed)
		add_header(r, "Idempotent-Replayed", "true");
	if (rs->have_upload) {
		char v[32];
		snprintf(v, sizeof(v), "%" PRId64, rs->upload_offset);
		add_header(r, "Upload-Offset", v);
		snprintf(v, sizeof(v), "%" PRId64, rs->upload_length);
		add_header(r, "Upload-Length", v);
	}
	if (rs->have_rate) {
		char v[32];
		fmt_u64(v, rs->rate.limit);
		add_header(r, "X-RateLimit-Limit", v);
		fmt_u64(v, rs->rate.remaining);
		add_header(r, "X-RateLimit-Remaining", v);
		fmt_u64(v, rs->rate.reset_s > 0 ? (uint64_t)rs->rate.reset_s : 0);
		add_header(r, "X-RateLimit-Reset", v);
		if (!rs->rate.allowed) {
			snprintf(v, sizeof(v), "%" PRId64, rs->rate.retry_after);
			add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
		}
	}
	enum MHD_Result ret = MHD_queue_response(rq->conn, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void req_free(struct srv_req *rq)
{
	if (!rq)
		return;
	dynbuf_free(&rq->body);
	json_object_put(rq->json);
	srv_form_free(&rq->form);
	srv_key_clear(&rq->key);
	free(rq);
}

/* "req_" and 24 random hex digits. The random bytes come from getrandom
 * in blocks per thread: one system call every 40 requests, not each. */
static void request_id(char out[DICTUM_UID_LEN])
{
	static _Thread_local unsigned char pool[480];
	static _Thread_local size_t used = sizeof(pool);
	static const char hex[] = "0123456789abcdef";
	out[0] = '\0';
	if (used + 12 > sizeof(pool)) {
		if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
			return;
		used = 0;
	}
	memcpy(out, "req_", 4);
	for (size_t i = 0; i < 12; i++) {
		out[4 + 2 * i] = hex[pool[used + i] >> 4];
		out[5 + 2 * i] = hex[pool[used + i] & 15];
	}
	out[28] = '\0';
	explicit_bzero(pool + used, 12);
	used += 12;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct srv *srv = cls;
	struct srv_req *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		rq->srv = srv;
		rq->conn = conn;
		rq->method = method;
		rq->url = url;
		dynbuf_init(&rq->body, srv->cfg.max_body);
		request_id(rq->request_id);
		*con_cls = rq;
		/* Routed once, here: the body's handling depends on the route. */
		const struct api_route *route = rq->route = api_route_find(
		    method, url, &rq->params, &rq->route_status, rq->allow, sizeof(rq->allow));
		size_t limit = srv->cfg.max_body;
		if (route && (route->flags & API_CHUNK) && limit < SRV_CHUNK_MAX) {
			limit = SRV_CHUNK_MAX;
			dynbuf_free(&rq->body);
			dynbuf_init(&rq->body, limit);
		}
		if (route && (route->flags & API_MULTIPART) &&
		    content_type_multipart(MHD_lookup_connection_value(
		        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
			if (srv_form_new(conn, srv->files_dir, srv->cfg.max_upload, &rq->form))
				return MHD_NO;
			/* The parts' headers and boundaries come on top of the files. */
			limit = srv->cfg.max_upload + srv->cfg.max_body;
		}
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > limit)
			rq->too_large = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (rq->form && !rq->too_large)
			srv_form_feed(rq->form, upload_data, *upload_data_size);
		else if (!rq->too_large && dynbuf_add(&rq->body, upload_data, *upload_data_size))
			rq->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->form)
		srv_form_end(rq->form);
	struct srv_resp rs = {0};
	dispatch(rq, &rs);
	enum MHD_Result ret = send_response(rq, &rs);
	free(rs.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	req_free(*con_cls);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (log_get_level() < LOG_DEBUG)
		return;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	log_debug("mhd", "%s", str_trim(line));
}

static int open_pool(struct srv *srv, char *err, size_t errlen)
{
	srv->npool = srv->cfg.threads;
	srv->pool = calloc(srv->npool, sizeof(*srv->pool));
	srv->pool_busy = calloc(srv->npool, sizeof(*srv->pool_busy));
	srv->pool_owned = calloc(srv->npool, sizeof(*srv->pool_owned));
	srv->pages = calloc(srv->npool, sizeof(*srv->pages));
	if (!srv->pool || !srv->pool_busy || !srv->pool_owned || !srv->pages) {
		snprintf(err, errlen, "out of memory");
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < srv->npool; i++) {
		int result =
		    srv_store_open(srv->cfg.db_path, &srv->write_lock, &srv->pool[i], err, errlen);
		if (result)
			return result;
	}
	int result = srv_store_secret(srv->pool[0], srv->secret);
	if (result) {
		snprintf(err, errlen, "%s", srv_store_errmsg(srv->pool[0]));
		return result;
	}
	size_t requeued = 0;
	if ((result = srv_job_requeue_stale(srv->pool[0], &requeued))) {
		snprintf(err, errlen, "%s", srv_store_errmsg(srv->pool[0]));
		return result;
	}
	if (requeued)
		log_warn("server", "%zu job(s) interrupted by the last stop are queued again",
		         requeued);
	srv_idem_purge(srv->pool[0], time_wall_ms() - IDEM_TTL_MS);
	return DICTUM_OK;
}

static void close_all(struct srv *srv)
{
	if (srv->daemon) {
		MHD_stop_daemon(srv->daemon);
		srv->daemon = NULL;
	}
	srv_jobs_stop(&srv->jobs);
	srv_hooks_stop(&srv->hooks);
	srv_audit_stop(&srv->audit);
	srv_engines_close(srv);
	srv_asr_close(srv);
	for (size_t i = 0; srv->pool && i < srv->npool; i++)
		srv_store_close(&srv->pool[i]);
	free(srv->pool);
	free(srv->pool_busy);
	free(srv->pool_owned);
	for (size_t i = 0; srv->pages && i < srv->npool; i++)
		srv_pages_free(&srv->pages[i]);
	free(srv->pages);
	srv_ratelimiter_free(&srv->rl);
}

int srv_run(const struct srv_config *cfg, char *err, size_t errlen)
{
	static struct srv zero;
	struct srv *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return DICTUM_NOMEM;
	}
	*srv = zero;
	srv->cfg = *cfg;
	pthread_mutex_init(&srv->write_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_cond_init(&srv->pool_cond, NULL);
	atomic_init(&srv->stopping, false);

	/* Every thread started from here on inherits the blocked signals;
	 * this thread alone waits for them. */
	sigset_t stop_signals, old_mask;
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
	signal(SIGPIPE, SIG_IGN);

	int result = open_pool(srv, err, errlen);
	if (result)
		goto out;
	if (!(srv->rl = srv_ratelimiter_new())) {
		result = DICTUM_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	snprintf(srv->files_dir, sizeof(srv->files_dir), "%s.files", cfg->db_path);
	if (mkdir(srv->files_dir, 0700) != 0 && errno != EEXIST) {
		result = DICTUM_IO;
		snprintf(err, errlen, "cannot create %s: %s", srv->files_dir, strerror(errno));
		goto out;
	}
	srv_files_sweep(srv, srv->pool[0]);
	if ((result = srv_engines_open(srv)) || (result = srv_asr_open(srv)) ||
	    (result = srv_audit_start(srv, &srv->audit)) ||
	    (result = srv_hooks_start(srv, &srv->hooks)) ||
	    (result = srv_jobs_start(srv, &srv->jobs))) {
		snprintf(err, errlen, "cannot start the worker threads: %s",
		         dictum_strerror(result));
		goto out;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
	if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1) {
		result = DICTUM_INVAL;
		snprintf(err, errlen, "--listen: %s is not an IPv4 address", cfg->host);
		goto out;
	}
	/* Each connection's memory (request headers, the answer's headers, the
	 * read buffer of a body) is cleared for every request on it: 16 kB
	 * holds any sane header set and costs half the clearing of 32 kB. */
	srv->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)cfg->conn_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)cfg->conn_limit, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SRV_CONN_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
	    srv, MHD_OPTION_END);
	if (!srv->daemon) {
		result = DICTUM_IO;
		snprintf(err, errlen, "cannot listen on %s:%u (in use, or not allowed)", cfg->host,
		         cfg->port);
		goto out;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	printf("listening on http://%s:%u\n", cfg->host, info ? info->port : cfg->port);
	fflush(stdout);
	int sig = 0;
	sigwait(&stop_signals, &sig);
	log_info("server", "signal %d: stopping", sig);
	atomic_store(&srv->stopping, true);
out:
	close_all(srv);
	pthread_mutex_destroy(&srv->write_lock);
	pthread_mutex_destroy(&srv->pool_lock);
	pthread_cond_destroy(&srv->pool_cond);
	free(srv);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return result;
}
