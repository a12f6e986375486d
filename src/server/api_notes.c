#include "server/internal.h"
#include "core/error.h"
#include "core/note_format.h"
#include "core/util.h"
#include "server/cursor.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECTIONS     100
#define MAX_FIELD_LEN    200
#define MAX_SECTION_KEY  64
#define MAX_ADDENDUM_LEN (256u << 10)
#define PAGE_CACHE_MAX   (64u << 10) /* bytes of a list page worth keeping */

/* A JSON string (or null for NULL and ""), escaped for JSON. */
static int put_str(struct dynbuf *d, const char *s)
{
	if (!s || !*s)
		return dynbuf_addstr(d, "null");
	int result = dynbuf_add(d, "\"", 1);
	const char *run = s;
	for (const char *p = s; !result && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((result = dynbuf_add(d, run, (size_t)(p - run))))
			break;
		if (c == '"' || c == '\\')
			result = dynbuf_add(d, (const char[]){'\\', (char)c}, 2);
		else if (c == '\n')
			result = dynbuf_addstr(d, "\\n");
		else
			result = dynbuf_printf(d, "\\u%04x", c);
		run = p + 1;
	}
	if (!result)
		result = dynbuf_addstr(d, run);
	return result ? result : dynbuf_add(d, "\"", 1);
}

/* Answers with text built in d (taken). */
static void answer_text(struct srv_resp *rs, int status, struct dynbuf *d, int result)
{
	free(rs->body);
	rs->body = result ? NULL : dynbuf_take(d);
	rs->status = rs->body ? status : 500;
	dynbuf_free(d);
}

/* An event payload: ids and versions only, never note text. */
static char *note_event(const char *type, const struct srv_note *n)
{
	char evt[DICTUM_UID_LEN] = "evt_", hex[25], now[DICTUM_TIME_LEN];
	if (random_hex(hex, 12) == 0)
		snprintf(evt, sizeof(evt), "evt_%s", hex);
	time_now_iso(now);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(evt));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "created_at", json_object_new_string(now));
	struct json_object *d = json_object_new_object();
	json_object_object_add(d, "note_id", json_object_new_string(n->uid));
	json_object_object_add(d, "version", json_object_new_int(n->version));
	json_object_object_add(d, "status",
	                       json_object_new_string(n->is_signed ? "signed" : "draft"));
	json_object_object_add(o, "data", d);
	char *text = str_dup_or_null(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static void set_etag(struct srv_resp *rs, int version)
{
	snprintf(rs->etag, sizeof(rs->etag), "\"%d\"", version);
}

/* Reads an optional string member; false (with the response set) when it
 * is not a string or too long. *out stays NULL when absent or null. */
static bool opt_string(struct srv_req *rq, struct srv_resp *rs, struct json_object *obj,
                       const char *name, size_t max, const char **out)
{
	struct json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || json_object_is_type(v, json_type_null))
		return true;
	if (!json_object_is_type(v, json_type_string)) {
		api_error(rq, rs, 400, "invalid_field", "'%s' must be a string", name);
		return false;
	}
	if ((size_t)json_object_get_string_len(v) > max) {
		api_error(rq, rs, 400, "invalid_field", "'%s' is longer than %zu characters", name,
		          max);
		return false;
	}
	*out = json_object_get_string(v);
	return true;
}

static bool check_note_type(struct srv_req *rq, struct srv_resp *rs, const char *type)
{
	if (note_type_valid(type))
		return true;
	char list[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < note_type_count && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		                         note_type_keys[i]);
	api_error(rq, rs, 400, "invalid_note_type", "Unknown noteType '%.64s'; use one of: %s",
	          type, list);
	return false;
}

/* Validates "sections" and returns it as canonical JSON text (malloc'ed),
 * or NULL with the response set. */
static char *sections_text(struct srv_req *rq, struct srv_resp *rs, struct json_object *v)
{
	if (!json_object_is_type(v, json_type_array)) {
		api_error(rq, rs, 400, "invalid_field",
		          "'sections' must be an array of {key, title, text}");
		return NULL;
	}
	size_t n = json_object_array_length(v);
	if (n > MAX_SECTIONS) {
		api_error(rq, rs, 400, "invalid_field", "A note has at most %d sections",
		          MAX_SECTIONS);
		return NULL;
	}
	struct json_object *out = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(v, i), *f;
		const char *key = NULL, *title = NULL, *text = NULL;
		if (!json_object_is_type(s, json_type_object)) {
			api_error(rq, rs, 400, "invalid_field", "sections[%zu] must be an object",
			          i);
			goto fail;
		}
		if (!opt_string(rq, rs, s, "key", MAX_SECTION_KEY, &key) ||
		    !opt_string(rq, rs, s, "title", MAX_FIELD_LEN, &title) ||
		    !opt_string(rq, rs, s, "text", rq->srv->cfg.max_body, &text))
			goto fail;
		if (str_empty(key) || !json_object_object_get_ex(s, "text", &f) || !text) {
			api_error(rq, rs, 400, "invalid_field",
			          "sections[%zu] needs a non-empty 'key' and a 'text' string", i);
			goto fail;
		}
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "key", json_object_new_string(key));
		json_object_object_add(c, "title", json_object_new_string(title ? title : key));
		json_object_object_add(c, "text", json_object_new_string(text));
		json_object_array_add(out, c);
	}
	char *text = str_dup_or_null(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	if (!text)
		api_error(rq, rs, 500, "internal_error", "Out of memory");
	return text;
fail:
	json_object_put(out);
	return NULL;
}

static bool note_id_param(struct srv_req *rq, struct srv_resp *rs, const char **id)
{
	*id = rq->params.value[0];
	if (srv_id_valid("note", *id))
		return true;
	api_error(rq, rs, 400, "invalid_id",
	          "Invalid note id format: expected note_ and 24 hex digits");
	return false;
}

static void not_found(struct srv_req *rq, struct srv_resp *rs, const char *what, const char *id)
{
	api_error(rq, rs, 404, "not_found", "No %s %s", what, id);
}

/* Writes the audit row of a change, the event, and answers with the
 * note; rolls back on failure. Called inside the change's transaction. */
static void finish_change(struct srv_req *rq, struct srv_resp *rs, struct srv_note *n,
                          const char *action, const char *event, int status)
{
	struct srv_audit_row row;
	api_audit_row(rq, action, n->uid, &row);
	char *payload = note_event(event, n);
	int result = payload ? DICTUM_OK : DICTUM_NOMEM, version = 0;
	char *doc = NULL;
	/* The answer is the note as stored (rendered by the triggers). */
	if (!result && !(result = srv_audit_add(rq->db, &row, 1)) &&
	    !(result = srv_event_emit(rq->db, rq->key.org_id, event, payload)) &&
	    !(result = srv_note_doc(rq->db, rq->key.org_id, n->uid, &doc, &version)))
		result = srv_store_commit(rq->db);
	free(payload);
	if (result) {
		free(doc);
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		return;
	}
	rq->kick_hooks = true;
	set_etag(rs, version);
	if (status == 201)
		snprintf(rs->location, sizeof(rs->location), "/api/clinical/notes/%s", n->uid);
	free(rs->body);
	rs->body = doc;
	rs->status = status;
}

void api_notes_create(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *body = rq->json, *v = NULL;
	struct srv_note n = {0};
	const char *type, *specialty, *provider, *external, *status, *signed_by, *patient_uid;
	int64_t patient_id = 0;
	int result;
	if (!opt_string(rq, rs, body, "noteType", 64, &type) ||
	    !opt_string(rq, rs, body, "specialty", MAX_FIELD_LEN, &specialty) ||
	    !opt_string(rq, rs, body, "provider", MAX_FIELD_LEN, &provider) ||
	    !opt_string(rq, rs, body, "external_id", MAX_FIELD_LEN, &external) ||
	    !opt_string(rq, rs, body, "status", 16, &status) ||
	    !opt_string(rq, rs, body, "signed_by", MAX_FIELD_LEN, &signed_by) ||
	    !opt_string(rq, rs, body, "patient_id", 64, &patient_uid))
		return;
	if (!type) {
		api_error(rq, rs, 400, "missing_field", "'noteType' is required");
		return;
	}
	if (!check_note_type(rq, rs, type))
		return;
	if (status && strcmp(status, "draft") != 0 && strcmp(status, "signed") != 0) {
		api_error(rq, rs, 400, "invalid_field", "'status' must be draft or signed");
		return;
	}
	if (!json_object_object_get_ex(body, "sections", &v)) {
		api_error(rq, rs, 400, "missing_field", "'sections' is required (it may be [])");
		return;
	}
	if (!(n.sections = sections_text(rq, rs, v)))
		return;
	struct json_object *patient = NULL;
	json_object_object_get_ex(body, "patient", &patient);
	const char *first = NULL, *last = NULL, *email = NULL;
	if (patient && !json_object_is_type(patient, json_type_null)) {
		if (!json_object_is_type(patient, json_type_object)) {
			api_error(rq, rs, 400, "invalid_field",
			          "'patient' must be an object with first_name, last_name, email");
			goto out;
		}
		if (!opt_string(rq, rs, patient, "first_name", MAX_FIELD_LEN, &first) ||
		    !opt_string(rq, rs, patient, "last_name", MAX_FIELD_LEN, &last) ||
		    !opt_string(rq, rs, patient, "email", MAX_FIELD_LEN, &email))
			goto out;
		if (!email && (str_empty(first) || str_empty(last))) {
			api_error(rq, rs, 400, "invalid_field",
			          "'patient' needs an email or both first_name and last_name");
			goto out;
		}
	}
	if (patient_uid && !srv_id_valid("pat", patient_uid)) {
		api_error(rq, rs, 400, "invalid_id", "Invalid patient_id format");
		goto out;
	}
	n.org_id = rq->key.org_id;
	n.is_signed = status && strcmp(status, "signed") == 0;
	if (!(n.note_type = strdup(type)) || (specialty && !(n.specialty = strdup(specialty))) ||
	    (provider && !(n.provider = strdup(provider))) ||
	    (external && !(n.external_id = strdup(external))) ||
	    (n.is_signed && !(n.signed_by = strdup(signed_by  ? signed_by
	                                           : provider ? provider
	                                                      : rq->key.uid)))) {
		api_error(rq, rs, 500, "internal_error", "Out of memory");
		goto out;
	}
	if ((result = srv_store_begin(rq->db))) {
		api_store_error(rq, rs, result);
		goto out;
	}
	if (patient_uid) {
		result = srv_patient_find(rq->db, rq->key.org_id, patient_uid, &patient_id);
		if (result == DICTUM_NOTFOUND) {
			srv_store_rollback(rq->db);
			not_found(rq, rs, "patient", patient_uid);
			goto out;
		}
		str_copy(n.patient_uid, patient_uid, sizeof(n.patient_uid));
	} else if (first || last || email) {
		result = srv_patient_resolve(rq->db, rq->key.org_id, first, last, email,
		                             &patient_id, n.patient_uid);
	}
	if (!result)
		result = srv_note_insert(rq->db, &n, patient_id);
	if (result) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		goto out;
	}
	finish_change(rq, rs, &n, "note.create", "note.created", 201);
out:
	srv_note_clear(&n);
}

void api_notes_get(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id;
	if (!note_id_param(rq, rs, &id))
		return;
	char *doc = NULL;
	int version = 0;
	int result = srv_note_doc(rq->db, rq->key.org_id, id, &doc, &version);
	if (result == DICTUM_NOTFOUND) {
		not_found(rq, rs, "note", id);
		return;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	struct srv_audit_row row;
	api_audit_row(rq, "note.read", id, &row);
	srv_audit_push(rq->srv->audit, &row);
	set_etag(rs, version);
	free(rs->body);
	rs->body = doc;
	rs->status = 200;
}

/* The JSON array of the ids of a list page (the entities of its audit
 * row), or NULL when out of memory. */
static char *page_ids(const struct srv_note_ref *list, size_t n)
{
	char *ids = malloc(n * (DICTUM_UID_LEN + 3) + 3), *p = ids;
	if (!ids)
		return NULL;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		/* Note uids are a prefix and hex digits: nothing to escape. */
		size_t len = strlen(list[i].uid);
		if (i)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, list[i].uid, len);
		p += len;
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	return ids;
}

/* One audit row for a list page: entity "notes", entities the ids shown
 * (a copy of ids is queued). */
static int audit_list_read(struct srv_req *rq, const char *ids)
{
	struct srv_audit_row row;
	api_audit_row(rq, "note.read", "notes", &row);
	if (!(row.entities = strdup(ids)))
		return DICTUM_NOMEM;
	srv_audit_push(rq->srv->audit, &row);
	return DICTUM_OK;
}

void srv_pages_free(struct srv_pages *p)
{
	for (size_t i = 0; i < SRV_PAGE_CACHE; i++) {
		free(p->page[i].body);
		free(p->page[i].ids);
	}
	memset(p, 0, sizeof(*p));
}

static struct srv_page *page_find(struct srv_pages *pc, int64_t org_id, const char *key)
{
	for (size_t i = 0; i < SRV_PAGE_CACHE; i++) {
		struct srv_page *p = &pc->page[i];
		if (p->body && p->org_id == org_id && strcmp(p->key, key) == 0) {
			p->used = ++pc->clock;
			return p;
		}
	}
	return NULL;
}

/* Keeps copies of a page's body and ids in place of its stale copy, else
 * of the least recently used page (nothing when out of memory). */
static void page_keep(struct srv_pages *pc, int64_t org_id, int64_t seq, uint64_t epoch,
                      const char *key, const char *body, const char *ids)
{
	struct srv_page *p = page_find(pc, org_id, key);
	if (!p) {
		p = &pc->page[0];
		for (size_t i = 1; i < SRV_PAGE_CACHE; i++)
			if (pc->page[i].used < p->used)
				p = &pc->page[i];
	}
	free(p->body);
	free(p->ids);
	p->body = strdup(body);
	p->ids = ids ? strdup(ids) : NULL;
	if (!p->body || (ids && !p->ids)) {
		free(p->body);
		free(p->ids);
		p->body = p->ids = NULL;
		return;
	}
	p->org_id = org_id;
	p->seq = seq;
	p->epoch = epoch;
	str_copy(p->key, key, sizeof(p->key));
	p->used = ++pc->clock;
}

/* Answers a page from the cache; false when it holds none. */
static bool page_answer(struct srv_req *rq, struct srv_resp *rs, const struct srv_page *p)
{
	char *body = strdup(p->body);
	if (!body || (p->ids && audit_list_read(rq, p->ids))) {
		free(body);
		return false;
	}
	free(rs->body);
	rs->body = body;
	rs->status = 200;
	return true;
}

/* A list page's query, canonical: each filter after a '|', '=' before a
 * string given (none for one absent). Made by hand: snprintf with this many
 * arguments showed in the profile of a cached page. */
struct page_key {
	char text[sizeof(((struct srv_page *)0)->key)];
	size_t len;
	bool full; /* did not fit: not cached */
};

static void key_add(struct page_key *k, const char *text, size_t n)
{
	if (k->full || k->len + n >= sizeof(k->text)) {
		k->full = true;
		return;
	}
	memcpy(k->text + k->len, text, n);
	k->len += n;
	k->text[k->len] = '\0';
}

static void key_str(struct page_key *k, const char *v)
{
	key_add(k, v ? "|=" : "|", v ? 2 : 1);
	if (v)
		key_add(k, v, strlen(v));
}

static void key_int(struct page_key *k, int64_t v)
{
	char digits[24];
	key_add(k, v < 0 ? "|-" : "|", v < 0 ? 2 : 1);
	key_add(k, digits, fmt_u64(digits, v < 0 ? 0 - (uint64_t)v : (uint64_t)v));
}

static bool date_valid(const char *s)
{
	/* YYYY-MM-DD, optionally followed by a time. */
	static const char shape[] = "dddd-dd-dd";
	size_t n = strlen(s);
	if (n < 10 || n > 32)
		return false;
	for (size_t i = 0; i < 10; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	for (size_t i = 10; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(":.+-", s[i]))
			return false;
	return n == 10 || s[10] == 'T';
}

static bool parse_limit(struct srv_req *rq, struct srv_resp *rs, size_t *limit)
{
	const char *l = api_query(rq, "limit");
	*limit = 20;
	if (!l)
		return true;
	char *end = NULL;
	long v = strtol(l, &end, 10);
	if (!*l || *end || v < 1 || v > 100) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "'limit' must be an integer from 1 to 100");
		return false;
	}
	*limit = (size_t)v;
	return true;
}

void api_notes_list(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_note_filter f = {.org_id = rq->key.org_id, .status = -1, .after_seq = -1};
	const char *cursor = api_query(rq, "cursor"), *since = api_query(rq, "updated_since");
	const char *patient = api_query(rq, "patient_id"), *status = api_query(rq, "status");
	f.from = api_query(rq, "from");
	f.to = api_query(rq, "to");
	f.note_type = api_query(rq, "noteType");
	f.provider = api_query(rq, "provider");
	if (!parse_limit(rq, rs, &f.limit))
		return;
	if ((f.from && !date_valid(f.from)) || (f.to && !date_valid(f.to))) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "'from' and 'to' must be dates (YYYY-MM-DD) or ISO 8601 times");
		return;
	}
	if (f.note_type && !check_note_type(rq, rs, f.note_type))
		return;
	if (status) {
		if (strcmp(status, "draft") != 0 && strcmp(status, "signed") != 0) {
			api_error(rq, rs, 400, "invalid_parameter",
			          "'status' must be draft or signed");
			return;
		}
		f.status = strcmp(status, "signed") == 0;
	}
	if (cursor && since) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "Use either 'cursor' or 'updated_since', not both");
		return;
	}
	if (cursor && (srv_cursor_decode(cursor, 'n', &f.before_id) || f.before_id <= 0)) {
		api_error(rq, rs, 400, "invalid_cursor",
		          "'cursor' is not a cursor this list returned");
		return;
	}
	if (since) {
		if (strcmp(since, "0") == 0)
			f.after_seq = 0;
		else if (srv_cursor_decode(since, 's', &f.after_seq)) {
			api_error(rq, rs, 400, "invalid_cursor",
			          "'updated_since' must be 0 or a next_cursor of an earlier pull");
			return;
		}
	}
	int result;
	if (patient) {
		if (!srv_id_valid("pat", patient)) {
			api_error(rq, rs, 400, "invalid_id", "Invalid patient_id format");
			return;
		}
		result = srv_patient_find(rq->db, rq->key.org_id, patient, &f.patient_id);
		if (result == DICTUM_NOTFOUND)
			f.patient_id = -1;
		else if (result) {
			api_store_error(rq, rs, result);
			return;
		}
	}
	const char *include = api_query(rq, "include");
	if (include && strcmp(include, "sections") != 0) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "'include' must be sections (full notes in the list)");
		return;
	}
	/* A page of list entries is the same while no note of the
	 * organisation changed: every change gives the note a new, higher
	 * seq. While the store's epoch has not moved, nothing changed at all
	 * and the seq need not be asked. A page of full notes is kept only
	 * while the epoch stands: they also show recordings, which change
	 * without a new seq. */
	struct page_key key = {0};
	int64_t seq = 0;
	uint64_t epoch = 0;
	struct srv_pages *pc = &rq->srv->pages[rq->slot];
	key_int(&key, (int64_t)f.limit);
	key_str(&key, f.from);
	key_str(&key, f.to);
	key_str(&key, f.note_type);
	key_str(&key, f.provider);
	key_int(&key, f.patient_id);
	key_int(&key, f.status);
	key_int(&key, f.before_id);
	key_int(&key, f.after_seq);
	key_str(&key, include);
	bool cacheable = !key.full;
	if (cacheable) {
		struct srv_page *hit = page_find(pc, f.org_id, key.text);
		bool current = hit && hit->epoch == srv_store_epoch(rq->db);
		epoch = srv_store_keep_epoch(rq->db);
		if (current) {
			seq = hit->seq;
		} else if (include) {
			hit = NULL;
		} else {
			if ((result = srv_note_org_seq(rq->db, f.org_id, &seq))) {
				api_store_error(rq, rs, result);
				return;
			}
			if (hit && hit->seq == seq)
				hit->epoch = epoch;
			else
				hit = NULL;
		}
		if (hit && page_answer(rq, rs, hit))
			return;
	}
	struct srv_note_docs page;
	if ((result = srv_note_docs(rq->db, &f, include != NULL, &page))) {
		api_store_error(rq, rs, result);
		return;
	}
	bool more = page.count > f.limit;
	size_t shown = more ? f.limit : page.count;
	struct srv_note_ref *list = page.refs;
	struct dynbuf d;
	dynbuf_init(&d, 256u << 20);
	size_t bytes = shown ? list[shown - 1].offset + list[shown - 1].len : 0;
	result = dynbuf_reserve(&d, bytes + shown + 160);
	if (!result)
		result = dynbuf_addstr(&d, "{\"object\":\"list\",\"data\":[");
	for (size_t i = 0; i < shown && !result; i++) {
		if (i)
			result = dynbuf_add(&d, ",", 1);
		if (!result)
			result = dynbuf_add(&d, page.json + list[i].offset, list[i].len);
	}
	char *ids = NULL;
	if (!result && shown && !(ids = page_ids(list, shown)))
		result = DICTUM_NOMEM;
	if (!result && ids)
		result = audit_list_read(rq, ids);
	char next[SRV_CURSOR_LEN] = "";
	if (f.after_seq >= 0)
		srv_cursor_encode('s', shown ? list[shown - 1].seq : f.after_seq, next);
	else if (more)
		srv_cursor_encode('n', list[shown - 1].id, next);
	if (!result)
		result = dynbuf_printf(&d, "],\"pagination\":{\"has_more\":%s,\"next_cursor\":",
		                       more ? "true" : "false");
	if (!result)
		result = put_str(&d, next);
	if (!result)
		result = dynbuf_addstr(&d, "}}");
	srv_note_docs_free(&page);
	answer_text(rs, 200, &d, result);
	if (cacheable && rs->status == 200 && rs->body && strlen(rs->body) <= PAGE_CACHE_MAX)
		page_keep(pc, f.org_id, seq, epoch, key.text, rs->body, ids);
	free(ids);
}

/* If-Match: 3, "3" or W/"3". -1 when malformed. */
static int parse_if_match(const char *v)
{
	if (strncmp(v, "W/", 2) == 0)
		v += 2;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n > 9)
		return -1;
	int version = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		version = version * 10 + (v[i] - '0');
	}
	return version;
}

/* 409 with the server's version and the note as stored. */
static void conflict(struct srv_req *rq, struct srv_resp *rs, const struct srv_note *current,
                     const char *code, const char *message)
{
	char *doc = NULL;
	int version = 0;
	int result = srv_note_doc(rq->db, rq->key.org_id, current->uid, &doc, &version);
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "request_id", json_object_new_string(rq->request_id));
	json_object_object_add(o, "error", e);
	json_object_object_add(o, "current_version", json_object_new_int(version));
	const char *head = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
	struct dynbuf d;
	dynbuf_init(&d, 256u << 20);
	/* head is an object: its closing brace makes way for the note. */
	result = head ? dynbuf_add(&d, head, strlen(head) - 1) : DICTUM_NOMEM;
	if (!result)
		result = dynbuf_addstr(&d, ",\"note\":");
	if (!result)
		result = dynbuf_addstr(&d, doc);
	if (!result)
		result = dynbuf_add(&d, "}", 1);
	json_object_put(o);
	free(doc);
	set_etag(rs, version);
	answer_text(rs, 409, &d, result);
}

/* Replaces *field with a copy of value. */
static int replace(char **field, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return DICTUM_NOMEM;
	free(*field);
	*field = copy;
	return DICTUM_OK;
}

void api_notes_patch(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id, *type, *specialty, *provider, *status, *signed_by;
	struct json_object *body = rq->json, *v = NULL;
	char *sections = NULL;
	struct srv_note n = {0};
	if (!note_id_param(rq, rs, &id))
		return;
	const char *if_match = api_header(rq, MHD_HTTP_HEADER_IF_MATCH);
	if (!if_match) {
		api_error(rq, rs, 428, "precondition_required",
		          "Send If-Match with the note version you last saw");
		return;
	}
	int expected = parse_if_match(if_match);
	if (expected < 1) {
		api_error(rq, rs, 400, "invalid_if_match",
		          "If-Match must be the note version, e.g. \"3\"");
		return;
	}
	if (!opt_string(rq, rs, body, "noteType", 64, &type) ||
	    !opt_string(rq, rs, body, "specialty", MAX_FIELD_LEN, &specialty) ||
	    !opt_string(rq, rs, body, "provider", MAX_FIELD_LEN, &provider) ||
	    !opt_string(rq, rs, body, "status", 16, &status) ||
	    !opt_string(rq, rs, body, "signed_by", MAX_FIELD_LEN, &signed_by))
		return;
	if (type && !check_note_type(rq, rs, type))
		return;
	if (status && strcmp(status, "signed") != 0 && strcmp(status, "draft") != 0) {
		api_error(rq, rs, 400, "invalid_field", "'status' must be draft or signed");
		return;
	}
	if (json_object_object_get_ex(body, "sections", &v) &&
	    !(sections = sections_text(rq, rs, v)))
		return;
	if (!type && !specialty && !provider && !status && !sections) {
		api_error(
		    rq, rs, 400, "invalid_request",
		    "Nothing to change: send sections, noteType, specialty, provider or status");
		return;
	}
	int result = srv_store_begin(rq->db);
	if (result) {
		api_store_error(rq, rs, result);
		goto out;
	}
	if ((result = srv_note_get(rq->db, rq->key.org_id, id, &n))) {
		srv_store_rollback(rq->db);
		if (result == DICTUM_NOTFOUND)
			not_found(rq, rs, "note", id);
		else
			api_store_error(rq, rs, result);
		goto out;
	}
	if (n.is_signed) {
		srv_store_rollback(rq->db);
		conflict(rq, rs, &n, "note_signed",
		         "The note is signed and can no longer be changed");
		goto out;
	}
	if (n.version != expected) {
		srv_store_rollback(rq->db);
		char msg[160];
		snprintf(
		    msg, sizeof(msg),
		    "The note changed on the server: it is at version %d, you edited version %d",
		    n.version, expected);
		conflict(rq, rs, &n, "version_conflict", msg);
		goto out;
	}
	bool sign = status && strcmp(status, "signed") == 0;
	if ((type && (result = replace(&n.note_type, type))) ||
	    (specialty && (result = replace(&n.specialty, specialty))) ||
	    (provider && (result = replace(&n.provider, provider))) ||
	    (sign && (result = replace(&n.signed_by, signed_by    ? signed_by
	                                             : n.provider ? n.provider
	                                                          : rq->key.uid)))) {
		srv_store_rollback(rq->db);
		api_error(rq, rs, 500, "internal_error", "Out of memory");
		goto out;
	}
	if (sections) {
		free(n.sections);
		n.sections = sections;
		sections = NULL;
	}
	n.is_signed = sign;
	if ((result = srv_note_update(rq->db, &n, expected))) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		goto out;
	}
	finish_change(rq, rs, &n, "note.update", "note.updated", 200);
out:
	free(sections);
	srv_note_clear(&n);
}

void api_notes_addendum(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id, *text, *author, *key, *title;
	struct srv_note n = {0};
	if (!note_id_param(rq, rs, &id) ||
	    !opt_string(rq, rs, rq->json, "text", MAX_ADDENDUM_LEN, &text) ||
	    !opt_string(rq, rs, rq->json, "author", MAX_FIELD_LEN, &author) ||
	    !opt_string(rq, rs, rq->json, "key", MAX_SECTION_KEY, &key) ||
	    !opt_string(rq, rs, rq->json, "title", MAX_FIELD_LEN, &title))
		return;
	if (str_blank(text)) {
		api_error(rq, rs, 400, "missing_field",
		          "'text' (the addendum) is required and must not be blank");
		return;
	}
	int result = srv_store_begin(rq->db);
	if (!result && (result = srv_note_get(rq->db, rq->key.org_id, id, &n)) == DICTUM_NOTFOUND) {
		srv_store_rollback(rq->db);
		not_found(rq, rs, "note", id);
		return;
	}
	if (!result && !n.is_signed) {
		srv_store_rollback(rq->db);
		conflict(rq, rs, &n, "note_not_signed",
		         "Only a signed note takes an addendum; change the draft with PATCH");
		srv_note_clear(&n);
		return;
	}
	char made_key[32], made_title[160], now[DICTUM_TIME_LEN];
	time_now_iso(now);
	snprintf(made_key, sizeof(made_key), "addendum_%d", n.version + 1);
	snprintf(made_title, sizeof(made_title), "Addendum (%.10s %.5s, %s)", now, now + 11,
	         author ? author : rq->key.uid);
	struct json_object *sec = json_object_new_object();
	json_object_object_add(sec, "key", json_object_new_string(key ? key : made_key));
	json_object_object_add(sec, "title", json_object_new_string(title ? title : made_title));
	json_object_object_add(sec, "text", json_object_new_string(text));
	if (!result)
		result = srv_note_add_addendum(
		    rq->db, &n, json_object_to_json_string_ext(sec, JSON_C_TO_STRING_PLAIN));
	json_object_put(sec);
	if (result) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
	} else {
		finish_change(rq, rs, &n, "note.addendum", "note.updated", 201);
	}
	srv_note_clear(&n);
}

void api_notes_export(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id, *format, *hook;
	if (!note_id_param(rq, rs, &id) || !opt_string(rq, rs, rq->json, "format", 16, &format) ||
	    !opt_string(rq, rs, rq->json, "webhook_url", 2000, &hook))
		return;
	if (format && note_format_parse(format) < 0) {
		api_error(rq, rs, 400, "invalid_field", "'format' must be text or markdown");
		return;
	}
	if (hook && strncmp(hook, "http://", 7) != 0 && strncmp(hook, "https://", 8) != 0) {
		api_error(rq, rs, 400, "invalid_webhook_url",
		          "'webhook_url' must be an http(s) URL");
		return;
	}
	struct srv_note n;
	struct srv_job j = {0};
	int result = srv_note_get(rq->db, rq->key.org_id, id, &n);
	if (result == DICTUM_NOTFOUND) {
		not_found(rq, rs, "note", id);
		return;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	srv_note_clear(&n);
	struct json_object *in = json_object_new_object();
	json_object_object_add(in, "note_id", json_object_new_string(id));
	json_object_object_add(in, "format", json_object_new_string(format ? format : "markdown"));
	json_object_object_add(in, "key_uid", json_object_new_string(rq->key.uid));
	j.org_id = rq->key.org_id;
	j.type = strdup("note.export");
	j.input = str_dup_or_null(json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN));
	j.webhook_url = str_dup_or_null(hook);
	json_object_put(in);
	if (!j.type || !j.input || (hook && !j.webhook_url)) {
		api_error(rq, rs, 500, "internal_error", "Out of memory");
		goto out;
	}
	char *payload = NULL;
	if ((result = srv_store_begin(rq->db)))
		goto fail;
	if ((result = srv_job_insert(rq->db, &j)))
		goto fail;
	if (hook) {
		if (!(payload = api_job_event_payload(&j)))
			result = DICTUM_NOMEM;
		else
			result = srv_delivery_add(rq->db, j.org_id, hook, "queued", payload);
		free(payload);
		if (result)
			goto fail;
	}
	if ((result = srv_store_commit(rq->db)))
		goto fail;
	rq->kick_jobs = true;
	rq->kick_hooks = hook != NULL;
	snprintf(rs->location, sizeof(rs->location), "/jobs/%s", j.uid);
	api_json(rs, 202, api_job_json(&j));
	goto out;
fail:
	srv_store_rollback(rq->db);
	api_store_error(rq, rs, result);
out:
	srv_job_clear(&j);
}
