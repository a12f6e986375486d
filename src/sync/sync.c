#include "sync/sync.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PULL_PAGE        100
#define DEFAULT_WAIT_MS  (120 * 1000)
#define CURSOR_KEY       "sync.cursor"
#define REJECT_BACKOFF_N 6  /* a malformed row waits as if it had failed this often */
#define BATCH_ROWS       50 /* rows marked done per local transaction ... */
#define BATCH_NS         (250 * 1000000ull) /* ... or this long, whichever comes first */

struct pass {
	store *s;
	struct sync_client *c;
	const struct sync_options *opt;
	struct sync_report *r;
	uint64_t rng;
	bool stop; /* offline, TLS, bad response, cancelled or out of wait budget */
	bool in_batch;
	size_t batch_rows;
	uint64_t batch_start;
};

/* Pushed rows are marked done in small batches: one local commit (fsync)
 * per batch rather than per row. A crash loses only the marks, and the
 * rows go again with the same Idempotency-Key: the server replays its
 * first answer, so nothing is duplicated. */
static int batch_end(struct pass *p, int result)
{
	if (!p->in_batch)
		return result;
	p->in_batch = false;
	if (result) {
		store_rollback(p->s);
		return result;
	}
	return store_commit(p->s);
}

static int batch_begin(struct pass *p)
{
	if (p->in_batch)
		return DICTUM_OK;
	int result = store_begin(p->s);
	p->in_batch = result == DICTUM_OK;
	p->batch_rows = 0;
	p->batch_start = time_mono_ns();
	return result;
}

static uint32_t next_random(struct pass *p)
{
	if (p->opt->random)
		return p->opt->random(p->opt->random_arg);
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return (uint32_t)(p->rng >> 32);
}

static bool cancelled(const struct pass *p)
{
	return p->opt->cancel && *p->opt->cancel;
}

static void note_state(struct pass *p, enum sync_net_state st, const char *msg)
{
	if (st >= p->r->state) {
		p->r->state = st;
		if (msg)
			str_copy(p->r->message, msg, sizeof(p->r->message));
	}
}

/* Sleeps ms within the pass's wait budget; false (and the pass stops as
 * rate limited) when the budget would be exceeded or it was cancelled. */
static bool wait_for(struct pass *p, int64_t ms, const char *why)
{
	int64_t budget = p->opt->max_wait_ms > 0 ? p->opt->max_wait_ms : DEFAULT_WAIT_MS;
	if (ms <= 0)
		return true;
	if (p->r->waited_ms + ms > budget) {
		char msg[200];
		snprintf(msg, sizeof(msg), "%s: the server asks to wait %lld ms more; stopped", why,
		         (long long)ms);
		note_state(p, SYNC_NET_RATE_LIMITED, msg);
		p->stop = true;
		return false;
	}
	log_msg(LOG_DEBUG, "sync", "%s: waiting %lld ms", why, (long long)ms);
	if (p->in_batch && batch_end(p, DICTUM_OK) == DICTUM_OK)
		batch_begin(p); /* never hold the store's write lock while asleep */
	int64_t left = ms;
	while (left > 0 && !cancelled(p)) {
		int64_t step = left > 50 ? 50 : left;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
		nanosleep(&ts, NULL);
		left -= step;
	}
	p->r->waited_ms += ms - left;
	if (cancelled(p)) {
		p->stop = true;
		return false;
	}
	return true;
}

/* Slows down before the limit is hit: X-RateLimit-Remaining of
 * X-RateLimit-Limit left until X-RateLimit-Reset. */
static void pace(struct pass *p, const struct sync_response *rs)
{
	if (rs->rate_limit <= 0 || rs->rate_remaining < 0 || rs->rate_reset_s < 0)
		return;
	/* Remaining counts the tighter of the minute and day windows, Reset
	 * the minute's: pace only when few requests are left. */
	int64_t until = rs->rate_reset_s * 1000 - time_wall_ms();
	if (until <= 0 || rs->rate_remaining * 10 >= rs->rate_limit || rs->rate_remaining >= 50)
		return;
	if (until > 60000)
		until = 60000;
	wait_for(p, rs->rate_remaining == 0 ? until : until / (rs->rate_remaining + 1),
	         "rate limit nearly reached");
}

/* Handles a 429: waits Retry-After (or a backoff). True to try again. */
static bool rate_limited(struct pass *p, const struct sync_response *rs, int tries)
{
	p->r->rate_limited++;
	int64_t ms =
	    rs->retry_after_ms >= 0 ? rs->retry_after_ms : sync_backoff_ms(tries, next_random(p));
	if (ms < 100)
		ms = 100;
	note_state(p, SYNC_NET_RATE_LIMITED, NULL);
	return wait_for(p, ms, "rate limited (429)");
}

/* Sends one request, waiting out 429s. */
static int request(struct pass *p, const char *method, const char *path, int if_match,
                   const char *idem, const char *body, struct sync_response *rs)
{
	for (int tries = 0;; tries++) {
		int result = sync_client_request(p->c, method, path, if_match, idem, body, rs);
		if (result)
			return result;
		if (rs->state != SYNC_NET_RATE_LIMITED) {
			pace(p, rs);
			return DICTUM_OK;
		}
		if (!rate_limited(p, rs, tries))
			return DICTUM_OK;
		sync_response_clear(rs);
	}
}

static struct json_object *member(struct json_object *o, const char *name)
{
	struct json_object *v = NULL;
	return o && json_object_object_get_ex(o, name, &v) ? v : NULL;
}

static const char *member_str(struct json_object *o, const char *name)
{
	struct json_object *v = member(o, name);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Adds name: a copy of the payload's member (null when absent). */
static void copy_member(struct json_object *to, struct json_object *from, const char *name,
                        const char *as)
{
	struct json_object *v = member(from, name);
	json_object_object_add(to, as ? as : name, v ? json_object_get(v) : NULL);
}

/* The request body for a row; NULL when out of memory. */
static char *row_body(const struct outbox_row *row, struct json_object *payload,
                      const struct store_sync_ref *ref, bool create)
{
	struct json_object *b = json_object_new_object();
	if (!b)
		return NULL;
	copy_member(b, payload, "noteType", NULL);
	copy_member(b, payload, "specialty", NULL);
	copy_member(b, payload, "sections", NULL);
	const char *status = member_str(payload, "status");
	bool sign = strcmp(row->operation, "sign") == 0 || (status && !strcmp(status, "signed"));
	if (create) {
		if (ref->provider)
			json_object_object_add(b, "provider",
			                       json_object_new_string(ref->provider));
		copy_member(b, payload, "uid", "external_id");
		struct json_object *pt = json_object_new_object();
		json_object_object_add(pt, "first_name", json_object_new_string(ref->first_name));
		json_object_object_add(pt, "last_name", json_object_new_string(ref->last_name));
		if (ref->email)
			json_object_object_add(pt, "email", json_object_new_string(ref->email));
		json_object_object_add(b, "patient", pt);
		json_object_object_add(b, "status",
		                       json_object_new_string(sign ? "signed" : "draft"));
	} else if (sign) {
		json_object_object_add(b, "status", json_object_new_string("signed"));
	}
	if (sign && ref->signed_by)
		json_object_object_add(b, "signed_by", json_object_new_string(ref->signed_by));
	char *text = str_dup_or_null(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
	json_object_put(b);
	return text;
}

/* The body of an addendum row: the section the addendum added (key
 * addendum_VERSION of the note's snapshot, else the last one), which the
 * server appends to its signed copy. NULL when out of memory. */
static char *addendum_body(struct json_object *payload)
{
	struct json_object *sections = member(payload, "sections"), *found = NULL;
	struct json_object *v = member(payload, "version");
	char want[32];
	snprintf(want, sizeof(want), "addendum_%d", v ? json_object_get_int(v) : 0);
	size_t n =
	    json_object_is_type(sections, json_type_array) ? json_object_array_length(sections) : 0;
	for (size_t i = 0; i < n && !found; i++) {
		const char *key = member_str(json_object_array_get_idx(sections, i), "key");
		if (key && strcmp(key, want) == 0)
			found = json_object_array_get_idx(sections, i);
	}
	if (!found && n)
		found = json_object_array_get_idx(sections, n - 1);
	struct json_object *b = json_object_new_object();
	if (!b)
		return NULL;
	copy_member(b, found, "key", NULL);
	copy_member(b, found, "title", NULL);
	copy_member(b, found, "text", NULL);
	char *text = str_dup_or_null(json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
	json_object_put(b);
	return text;
}

/* Puts a row off with backoff. */
static int retry_later(struct pass *p, const struct outbox_row *row, int extra, const char *error)
{
	p->r->retried++;
	int64_t at = time_wall_ms() + sync_backoff_ms(row->attempts + extra, next_random(p));
	return store_outbox_retry(p->s, row->id, at, error);
}

static int on_success(struct pass *p, const struct outbox_row *row, struct sync_response *rs)
{
	const char *id = member_str(rs->json, "id");
	struct json_object *v = member(rs->json, "version");
	if (!id || !v || !json_object_is_type(v, json_type_int)) {
		note_state(p, SYNC_NET_BAD_RESPONSE,
		           "the server's answer has no note id and version: not the Dictum API?");
		p->stop = true;
		return retry_later(p, row, 0, "bad response");
	}
	int result = store_outbox_done(p->s, row->id, id, json_object_get_int(v));
	if (!result)
		p->r->pushed++;
	return result;
}

static int on_conflict(struct pass *p, const struct outbox_row *row, struct sync_response *rs)
{
	struct json_object *note = member(rs->json, "note");
	if (!note || !json_object_is_type(note, json_type_object)) {
		note_state(p, SYNC_NET_BAD_RESPONSE, "a 409 without the server's note");
		p->stop = true;
		return retry_later(p, row, 0, "bad response");
	}
	int result = store_sync_conflict_add(
	    p->s, row->entity_id, json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN));
	if (!result) {
		p->r->conflicts++;
		note_state(p, SYNC_NET_CONFLICT, NULL);
	}
	return result;
}

static int push_row(struct pass *p, const struct outbox_row *row)
{
	struct store_sync_ref ref;
	struct sync_response rs = {0};
	struct json_object *payload = NULL;
	char *body = NULL, path[160];
	int result = store_sync_ref_get(p->s, row->entity_id, &ref);
	if (result == DICTUM_NOTFOUND) /* the note is gone: nothing to send */
		return store_outbox_done(p->s, row->id, NULL, 0);
	if (result)
		return result;
	bool create = strcmp(row->operation, "create") == 0;
	bool addendum = strcmp(row->operation, "addendum") == 0;
	if (strcmp(row->entity, "note") != 0 || !(payload = json_tokener_parse(row->payload)) ||
	    !json_object_is_type(payload, json_type_object)) {
		p->r->rejected++;
		result =
		    retry_later(p, row, REJECT_BACKOFF_N, "not a note change this client can send");
		goto out;
	}
	if (!create && !ref.server_id) {
		result = retry_later(p, row, 0, "waiting for the server to have the note");
		goto out;
	}
	if (!(body = addendum ? addendum_body(payload) : row_body(row, payload, &ref, create))) {
		result = DICTUM_NOMEM;
		goto out;
	}
	if (create)
		str_copy(path, "/api/clinical/notes", sizeof(path));
	else
		snprintf(path, sizeof(path), "/api/clinical/notes/%.64s%s", ref.server_id,
		         addendum ? "/addenda" : "");
	result =
	    request(p, create || addendum ? "POST" : "PATCH", path,
	            create || addendum ? 0 : ref.server_version, row->idempotency_key, body, &rs);
	if (result)
		goto out;
	switch (rs.state) {
	case SYNC_NET_OK:
		result = on_success(p, row, &rs);
		break;
	case SYNC_NET_CONFLICT:
		result = on_conflict(p, row, &rs);
		break;
	case SYNC_NET_REJECTED:
		p->r->rejected++;
		note_state(p, SYNC_NET_REJECTED, rs.error);
		if (rs.status == 401 || rs.status == 403)
			p->stop = true; /* the key, not the row: every row would fail */
		else
			result = retry_later(p, row, 0, rs.error);
		break;
	case SYNC_NET_SERVER_ERROR:
	case SYNC_NET_BAD_RESPONSE:
		note_state(p, rs.state, rs.error);
		result = retry_later(p, row, 0, rs.error);
		p->stop = true;
		break;
	case SYNC_NET_RATE_LIMITED: /* the wait budget ran out: the row stays due */
		p->stop = true;
		break;
	default: /* offline, TLS: the row stays as it is */
		note_state(p, rs.state, rs.error);
		p->stop = true;
		break;
	}
out:
	if (payload)
		json_object_put(payload);
	free(body);
	sync_response_clear(&rs);
	store_sync_ref_clear(&ref);
	return result;
}

static int push(struct pass *p)
{
	int result = DICTUM_OK;
	while (!result && !p->stop && !cancelled(p)) {
		struct outbox_row row;
		if ((result = batch_begin(p)))
			break;
		result = store_outbox_next(p->s, time_wall_ms(), &row);
		if (result == DICTUM_NOTFOUND) {
			result = DICTUM_OK;
			break;
		}
		if (result)
			break;
		result = push_row(p, &row);
		outbox_row_clear(&row);
		if (!result &&
		    (++p->batch_rows >= BATCH_ROWS || time_mono_ns() - p->batch_start >= BATCH_NS))
			result = batch_end(p, result);
	}
	return batch_end(p, result);
}

static bool cursor_ok(const char *c)
{
	size_t n = strlen(c);
	if (!n || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~=",
		            c[i]))
			return false;
	return true;
}

static int apply_page(struct pass *p, struct json_object *data)
{
	int result = DICTUM_OK;
	size_t n = json_object_array_length(data);
	for (size_t i = 0; !result && i < n; i++) {
		struct json_object *note = json_object_array_get_idx(data, i);
		enum store_apply_outcome how;
		result = store_sync_apply(
		    p->s, json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN), &how);
		if (result == DICTUM_INVAL) {
			note_state(p, SYNC_NET_BAD_RESPONSE,
			           "the server sent a note without id or version");
			p->stop = true;
			return DICTUM_OK;
		}
		if (result)
			break;
		p->r->pulled++;
		size_t *counts[] = {[STORE_APPLY_INSERTED] = &p->r->pulled_new,
		                    [STORE_APPLY_UPDATED] = &p->r->pulled_updated,
		                    [STORE_APPLY_SKIPPED] = NULL,
		                    [STORE_APPLY_KEPT] = &p->r->kept_local};
		if (counts[how])
			(*counts[how])++;
	}
	return result;
}

static int pull(struct pass *p)
{
	char *stored = NULL, cursor[256] = "0";
	int result = store_meta_get(p->s, CURSOR_KEY, &stored);
	if (result && result != DICTUM_NOTFOUND)
		return result;
	if (stored && cursor_ok(stored))
		str_copy(cursor, stored, sizeof(cursor));
	free(stored);
	result = DICTUM_OK;
	while (!result && !p->stop && !cancelled(p)) {
		char path[400];
		struct sync_response rs;
		snprintf(path, sizeof(path),
		         "/api/clinical/notes?updated_since=%s&limit=%d&include=sections", cursor,
		         PULL_PAGE);
		if ((result = request(p, "GET", path, 0, NULL, NULL, &rs)))
			break;
		if (rs.state != SYNC_NET_OK) {
			if (rs.state != SYNC_NET_RATE_LIMITED)
				note_state(p, rs.state, rs.error);
			p->stop = true;
			sync_response_clear(&rs);
			break;
		}
		struct json_object *data = member(rs.json, "data"),
		                   *page = member(rs.json, "pagination");
		const char *next = member_str(page, "next_cursor");
		struct json_object *more = member(page, "has_more");
		if (!data || !json_object_is_type(data, json_type_array) || !page ||
		    (next && !cursor_ok(next))) {
			note_state(p, SYNC_NET_BAD_RESPONSE,
			           "the server's note list is not the Dictum API's shape");
			p->stop = true;
			sync_response_clear(&rs);
			break;
		}
		/* a page and the cursor after it: one transaction */
		if (!(result = store_begin(p->s))) {
			result = apply_page(p, data);
			if (!result && !p->stop && next && strcmp(next, cursor) != 0) {
				str_copy(cursor, next, sizeof(cursor));
				result = store_meta_set(p->s, CURSOR_KEY, cursor);
			}
			result = result ? (store_rollback(p->s), result) : store_commit(p->s);
		}
		bool again = more && json_object_get_boolean(more) && next;
		sync_response_clear(&rs);
		if (!again)
			break;
	}
	return result;
}

/* ---- recordings: resumable uploads after their note ---- */

#define UPLOAD_CHUNK_DEFAULT ((size_t)1 << 20)

int sync_file_sha256(const char *path, int64_t *size, char sha[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DICTUM_NOTFOUND : DICTUM_IO;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int result =
	    md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? DICTUM_OK : DICTUM_NOMEM;
	unsigned char buf[1 << 15];
	*size = 0;
	for (ssize_t n; !result && (n = read(fd, buf, sizeof(buf))) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			result = DICTUM_IO;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		*size += n;
	}
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	if (!result && EVP_DigestFinal_ex(md, d, &dn) == 1)
		for (unsigned i = 0; i < dn && i < 32; i++)
			snprintf(sha + 2 * i, 3, "%02x", d[i]);
	EVP_MD_CTX_free(md);
	close(fd);
	return result;
}

/* The size and SHA-256 of what m uploads (a file, or a transcript's text). */
static int media_facts(const struct media_upload *m, int64_t *size, char sha[65])
{
	if (!m->transcript)
		return sync_file_sha256(m->path, size, sha);
	size_t n = strlen(m->text);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	if (EVP_Digest(m->text, n, d, &dn, EVP_sha256(), NULL) != 1)
		return DICTUM_NOMEM;
	for (unsigned i = 0; i < dn && i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", d[i]);
	*size = (int64_t)n;
	return DICTUM_OK;
}

/* Up to len bytes of m at offset into buf; fd is the open file of a recording. */
static ssize_t media_read(const struct media_upload *m, int fd, unsigned char *buf, size_t len,
                          int64_t offset)
{
	if (m->transcript) {
		memcpy(buf, m->text + offset, len);
		return (ssize_t)len;
	}
	return pread(fd, buf, len, (off_t)offset);
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int64_t member_int(struct json_object *o, const char *name, int64_t def)
{
	struct json_object *v = member(o, name);
	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

/* A transfer that did not give an answer the upload can use: stop the
 * pass (offline, server error) with its state. */
static bool upload_answered(struct pass *p, struct sync_response *rs)
{
	if (rs->status >= 200 && rs->status < 500 && rs->json)
		return true;
	note_state(p, rs->state == SYNC_NET_OK ? SYNC_NET_BAD_RESPONSE : rs->state,
	           rs->error[0] ? rs->error : "the upload got no usable answer");
	p->stop = true;
	return false;
}

/* The server's upload for r: the one it began (*offset its offset) or a
 * new one. Sets *id (malloc'ed) or stops the pass. */
static int upload_open(struct pass *p, const struct media_upload *r, int64_t size, const char *sha,
                       char **id, int64_t *offset, bool *done)
{
	struct sync_response rs = {0};
	char path[160];
	int result = DICTUM_OK;
	*offset = 0;
	if (r->upload_id) {
		snprintf(path, sizeof(path), "/api/clinical/uploads/%.64s", r->upload_id);
		if ((result = request(p, "GET", path, 0, NULL, NULL, &rs)) ||
		    !upload_answered(p, &rs))
			goto out;
		const char *hash = member_str(rs.json, "sha256");
		if (rs.status == 200 && hash && strcmp(hash, sha) == 0 &&
		    member_int(rs.json, "size", -1) == size) {
			*offset = member_int(rs.json, "offset", 0);
			*done = str_eq(member_str(rs.json, "status"), "complete");
			*id = str_dup_or_null(r->upload_id);
			result = *id ? DICTUM_OK : DICTUM_NOMEM;
			goto out;
		}
		sync_response_clear(&rs); /* gone, or the file changed: a new upload */
	}
	struct json_object *b = json_object_new_object();
	const char *base = r->path ? strrchr(r->path, '/') : NULL;
	json_object_object_add(b, "size", json_object_new_int64(size));
	json_object_object_add(b, "sha256", json_object_new_string(sha));
	char name[80];
	snprintf(name, sizeof(name), "%s.txt", r->uid);
	json_object_object_add(b, "kind",
	                       json_object_new_string(r->transcript ? "transcript" : "recording"));
	json_object_object_add(b, "filename",
	                       json_object_new_string(r->transcript ? name
	                                              : base        ? base + 1
	                                                            : r->path));
	json_object_object_add(
	    b, "note_id", r->note_server_id ? json_object_new_string(r->note_server_id) : NULL);
	char idem[128];
	snprintf(idem, sizeof(idem), "upload-%s-%.16s", r->uid, sha);
	result = request(p, "POST", "/api/clinical/uploads", 0, idem,
	                 json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN), &rs);
	json_object_put(b);
	if (result || !upload_answered(p, &rs))
		goto out;
	const char *made = member_str(rs.json, "id");
	if (rs.status != 201 || !made) {
		p->r->rejected++;
		note_state(p, SYNC_NET_REJECTED, rs.error[0] ? rs.error : "the upload was refused");
		p->stop = rs.status == 401 || rs.status == 403;
		goto out;
	}
	if (!(*id = strdup(made)))
		result = DICTUM_NOMEM;
	else
		result = store_upload_set_id(p->s, r, made);
out:
	sync_response_clear(&rs);
	return result;
}

static int upload_one(struct pass *p, const struct media_upload *r, unsigned char *chunk,
                      size_t chunk_len)
{
	int64_t size = 0, offset = 0;
	char sha[65] = "", path[160], hdr[64], *id = NULL;
	bool done = false;
	int result = media_facts(r, &size, sha);
	if (result == DICTUM_NOTFOUND || (!result && size == 0)) {
		log_warn("sync", "%s %s is %s; not uploaded",
		         r->transcript ? "transcript" : "recording", r->uid,
		         result ? "missing" : "empty");
		return DICTUM_OK;
	}
	if (result)
		return result == DICTUM_IO ? DICTUM_OK : result;
	if ((result = upload_open(p, r, size, sha, &id, &offset, &done)) || !id)
		goto out;
	if (offset > 0 && !done) {
		p->r->uploads_resumed++;
		p->r->upload_skipped_bytes += offset;
	}
	int fd = done || r->transcript ? -1 : open(r->path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/api/clinical/uploads/%.64s", id);
	while (!done && (fd >= 0 || r->transcript) && !p->stop && !cancelled(p)) {
		ssize_t n = media_read(r, fd, chunk,
		                       (size_t)(size - offset) < chunk_len ? (size_t)(size - offset)
		                                                           : chunk_len,
		                       offset);
		if (n <= 0) {
			result = n < 0 && errno == EINTR ? DICTUM_OK : DICTUM_IO;
			if (result)
				break;
			continue;
		}
		snprintf(hdr, sizeof(hdr), "Upload-Offset: %" PRId64, offset);
		struct sync_request rq = {.method = "PATCH",
		                          .path = path,
		                          .body = (const char *)chunk,
		                          .body_len = (size_t)n,
		                          .content_type = "application/offset+octet-stream",
		                          .header = hdr};
		struct sync_response rs = {0};
		if ((result = sync_client_send(p->c, &rq, &rs))) {
			sync_response_clear(&rs);
			break;
		}
		pace(p, &rs);
		if (upload_answered(p, &rs)) {
			if (rs.status == 200) {
				p->r->upload_bytes += n;
				offset = member_int(rs.json, "offset", offset + n);
			} else if (rs.status == 409 && member(rs.json, "offset")) {
				offset = member_int(rs.json, "offset", offset); /* resume there */
			} else if (rs.status == 409) {
				done = true; /* upload_complete */
			} else {
				p->r->rejected++;
				note_state(p, SYNC_NET_REJECTED, rs.error);
				p->stop = true;
			}
			done = done || str_eq(member_str(rs.json, "status"), "complete");
			if (p->opt->progress)
				p->opt->progress(p->opt->progress_arg, r->uid, offset, size);
		}
		sync_response_clear(&rs);
	}
	if (fd >= 0)
		close(fd);
	if (!result && done && !(result = store_upload_done(p->s, r)))
		p->r->uploaded++;
out:
	free(id);
	return result;
}

static int upload(struct pass *p)
{
	struct media_upload *list = NULL;
	size_t n = 0;
	int result = store_uploads_pending(p->s, &list, &n);
	size_t chunk_len = p->opt->chunk_bytes ? p->opt->chunk_bytes : UPLOAD_CHUNK_DEFAULT;
	unsigned char *chunk = result || !n ? NULL : malloc(chunk_len);
	if (!result && n && !chunk)
		result = DICTUM_NOMEM;
	size_t i = 0;
	for (; i < n && !result && !p->stop && !cancelled(p); i++)
		result = upload_one(p, &list[i], chunk, chunk_len);
	free(chunk);
	media_uploads_free(&list, n);
	if (!result && !store_uploads_pending(p->s, &list, &n)) {
		p->r->uploads_left = n;
		media_uploads_free(&list, n);
	}
	return result;
}

int sync_once(store *s, struct sync_client *c, const struct sync_options *opt,
              struct sync_report *report)
{
	static const struct sync_options defaults = {0};
	struct pass p = {.s = s, .c = c, .opt = opt ? opt : &defaults, .r = report};
	memset(report, 0, sizeof(*report));
	p.rng = time_mono_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
	unsigned long before = sync_client_requests(c);
	int result = push(&p);
	if (!result && !p.stop)
		result = upload(&p);
	if (!result && !p.stop && !p.opt->no_pull)
		result = pull(&p);
	report->requests = sync_client_requests(c) - before;
	if (result)
		snprintf(report->message, sizeof(report->message), "the local store: %s",
		         store_errmsg(s)[0] ? store_errmsg(s) : dictum_strerror(result));
	int counted = store_sync_counts(s, &report->after);
	return result ? result : counted;
}

int sync_exit_status(const struct sync_report *report, bool strict)
{
	static const int status[SYNC_NET_STATE_COUNT] = {
	    [SYNC_NET_OK] = 0,      [SYNC_NET_CONFLICT] = 0,     [SYNC_NET_RATE_LIMITED] = 0,
	    [SYNC_NET_OFFLINE] = 0, [SYNC_NET_REJECTED] = 1,     [SYNC_NET_SERVER_ERROR] = 1,
	    [SYNC_NET_TLS] = 1,     [SYNC_NET_BAD_RESPONSE] = 1,
	};
	if (strict && report->state == SYNC_NET_OFFLINE)
		return 1;
	return report->state < SYNC_NET_STATE_COUNT ? status[report->state] : 1;
}
