#include "offline/store_internal.h"
#include "core/dynbuf.h"
#include "core/error.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sections of note ?1 as a JSON array, in order. */
#define SECTIONS_JSON                                                                              \
	"(SELECT json_group_array(json_object('key', key, 'title', title, 'text', text)) "         \
	"FROM (SELECT key, title, text FROM note_sections WHERE note_id = ?1 ORDER BY position))"

/* Renders the sections as the searchable body text. */
static char *render_body(const struct note *n)
{
	struct dynbuf d;
	dynbuf_init(&d, 64u << 20);
	for (size_t i = 0; i < n->nsections; i++) {
		if (dynbuf_printf(&d, "%s%s\n%s\n", i ? "\n" : "", n->sections[i].title,
		                  n->sections[i].text)) {
			dynbuf_free(&d);
			return NULL;
		}
	}
	return dynbuf_take(&d);
}

static int insert_sections(store *s, const struct note *n)
{
	static const char del[] = "DELETE FROM note_sections WHERE note_id = ?1";
	static const char ins[] = "INSERT INTO note_sections(note_id, position, key, title, text) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st = store_stmt(s, del);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, n->id);
	int result = store_step_done(s, st);
	for (size_t i = 0; !result && i < n->nsections; i++) {
		if (!(st = store_stmt(s, ins)))
			return DICTUM_INTERNAL;
		sqlite3_bind_int64(st, 1, n->id);
		sqlite3_bind_int(st, 2, (int)i);
		store_bind_text(st, 3, n->sections[i].key);
		store_bind_text(st, 4, n->sections[i].title);
		store_bind_text(st, 5, n->sections[i].text);
		result = store_step_done(s, st);
	}
	return result;
}

static int add_version(store *s, const struct note *n, const char *author, const char *changed)
{
	static const char sql[] =
	    "INSERT INTO note_versions(note_id, version, author, saved_at, changed, sections) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, " SECTIONS_JSON ")";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, n->id);
	sqlite3_bind_int(st, 2, n->version);
	store_bind_text(st, 3, author);
	store_bind_text(st, 4, n->updated_at);
	store_bind_text(st, 5, changed);
	return store_step_done(s, st);
}

/* Queues the note's current state for the server. */
static int add_outbox(store *s, int64_t note_id, const char *operation, int base_version)
{
	static const char sql[] =
	    "INSERT INTO outbox(entity, entity_id, operation, idempotency_key, payload, "
	    "created_at) SELECT 'note', n.id, ?2, ?3, json_object("
	    "'uid', n.uid, 'encounter', e.uid, 'patient', p.uid, "
	    "'patientName', p.first_name || ' ' || p.last_name, "
	    "'noteType', n.note_type, 'specialty', n.specialty, 'status', n.status, "
	    "'version', n.version, 'baseVersion', ?4, 'serverId', n.server_id, "
	    "'updatedAt', n.updated_at, 'sections', json(" SECTIONS_JSON ")), ?5 "
	    "FROM notes n JOIN encounters e ON e.id = n.encounter_id "
	    "JOIN patients p ON p.id = e.patient_id WHERE n.id = ?1";
	char key[33], now[DICTUM_TIME_LEN];
	if (random_hex(key, 16) != 0)
		return store_failf(s, DICTUM_IO, "cannot make an idempotency key");
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	store_bind_text(st, 2, operation);
	store_bind_text(st, 3, key);
	sqlite3_bind_int(st, 4, base_version);
	store_bind_text(st, 5, now);
	return store_step_done(s, st);
}

/* Appends ,"key" (the comma after the first) with unsafe bytes dropped. */
static int append_key(struct dynbuf *d, const char *key, bool *any)
{
	int result = dynbuf_printf(d, "%s\"", *any ? "," : "");
	for (const char *c = key; !result && *c; c++)
		if (*c != '"' && *c != '\\' && (unsigned char)*c >= 0x20)
			result = dynbuf_add(d, c, 1);
	*any = true;
	return result ? result : dynbuf_addstr(d, "\"");
}

/* Compares stored sections with n's; writes a JSON array of the keys that
 * changed (added, removed, edited or moved) into d. Returns DICTUM_OK. */
static int diff_sections(store *s, const struct note *n, struct dynbuf *d, bool *any)
{
	static const char sql[] = "SELECT position, key, title, text FROM note_sections "
	                          "WHERE note_id = ?1 ORDER BY position";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, n->id);
	*any = false;
	int result = dynbuf_addstr(d, "["), rc;
	size_t old_count = 0;
	while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t pos = (size_t)sqlite3_column_int(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);
		const char *title = (const char *)sqlite3_column_text(st, 2);
		const char *text = (const char *)sqlite3_column_text(st, 3);
		old_count++;
		bool same = pos < n->nsections && strcmp(n->sections[pos].key, key) == 0 &&
		            strcmp(n->sections[pos].title, title) == 0 &&
		            strcmp(n->sections[pos].text, text) == 0;
		if (!same) {
			result =
			    append_key(d, pos < n->nsections ? n->sections[pos].key : key, any);
		}
	}
	sqlite3_reset(st);
	for (size_t i = old_count; !result && i < n->nsections; i++)
		result = append_key(d, n->sections[i].key, any);
	if (!result)
		result = dynbuf_addstr(d, "]");
	return result;
}

static int insert_note(store *s, struct note *n, const char *author, const char *body)
{
	static const char sql[] =
	    "INSERT INTO notes(uid, encounter_id, note_type, specialty, status, version, body, "
	    "sync_state, created_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, 'draft', 1, ?5, 'queued', ?6, ?6)";
	if (str_empty(n->note_type))
		return store_failf(s, DICTUM_INVAL, "a note needs a note type");
	int result;
	if (!n->uid[0] && (result = store_make_uid(n->uid, "note")))
		return store_failf(s, result, "cannot make an id");
	time_now_iso(n->updated_at);
	memcpy(n->created_at, n->updated_at, sizeof(n->created_at));
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, n->uid);
	sqlite3_bind_int64(st, 2, n->encounter_id);
	store_bind_text(st, 3, n->note_type);
	store_bind_text(st, 4, n->specialty);
	store_bind_text(st, 5, body);
	store_bind_text(st, 6, n->updated_at);
	if ((result = store_step_done(s, st)) != 0) {
		if (result == DICTUM_INVAL)
			return store_failf(s, DICTUM_NOTFOUND,
			                   "no encounter with id %lld (or the note id is taken)",
			                   (long long)n->encounter_id);
		return result;
	}
	n->id = sqlite3_last_insert_rowid(s->db);
	n->version = 1;
	n->status = NOTE_DRAFT;
	n->sync = SYNC_QUEUED;
	if ((result = insert_sections(s, n)))
		return result;
	result = add_version(s, n, author, "[\"created\"]");
	if (!result)
		result = add_outbox(s, n->id, "create", 0);
	return result;
}

static int current_state(store *s, int64_t id, int *version, enum note_status *status)
{
	static const char sql[] = "SELECT version, status FROM notes WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		*status = note_status_parse((const char *)sqlite3_column_text(st, 1)) == NOTE_SIGNED
		              ? NOTE_SIGNED
		              : NOTE_DRAFT;
	} else if (rc == SQLITE_DONE) {
		result = store_failf(s, DICTUM_NOTFOUND, "no note with id %lld", (long long)id);
	} else {
		result = store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}

static int update_note(store *s, struct note *n, const char *author, const char *body)
{
	static const char sql[] =
	    "UPDATE notes SET version = ?2, body = ?3, specialty = ?4, "
	    "note_type = ?5, sync_state = CASE sync_state WHEN 'conflict' "
	    "THEN 'conflict' ELSE 'queued' END, updated_at = ?6 WHERE id = ?1";
	int version;
	enum note_status status;
	int result = current_state(s, n->id, &version, &status);
	if (result)
		return result;
	if (status == NOTE_SIGNED)
		return store_failf(s, DICTUM_READONLY,
		                   "note %lld is signed and read-only; write an addendum instead",
		                   (long long)n->id);
	if (version != n->version)
		return store_failf(s, DICTUM_CONFLICT,
		                   "note %lld changed elsewhere (version %d, this edit is based on "
		                   "%d)",
		                   (long long)n->id, version, n->version);
	struct dynbuf changed;
	dynbuf_init(&changed, 1 << 20);
	bool any = false;
	if ((result = diff_sections(s, n, &changed, &any)) || !any)
		goto out; /* nothing changed: nothing to write */
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, n->id);
	sqlite3_bind_int(st, 2, version + 1);
	store_bind_text(st, 3, body);
	store_bind_text(st, 4, n->specialty);
	store_bind_text(st, 5, n->note_type);
	store_bind_text(st, 6, now);
	if ((result = store_step_done(s, st)))
		goto out;
	n->version = version + 1;
	memcpy(n->updated_at, now, sizeof(now));
	if ((result = insert_sections(s, n)) ||
	    (result = add_version(s, n, author, dynbuf_str(&changed))))
		goto out;
	result = add_outbox(s, n->id, "update", version);
	if (!result && n->sync != SYNC_CONFLICT)
		n->sync = SYNC_QUEUED;
out:
	dynbuf_free(&changed);
	return result;
}

int store_note_save(store *s, struct note *n, const char *author)
{
	char *body = render_body(n);
	if (!body)
		return store_failf(s, DICTUM_NOMEM, "note too large to save");
	struct note saved = *n; /* restored if the transaction fails */
	int result = store_begin(s);
	if (!result) {
		result = n->id ? update_note(s, n, author, body) : insert_note(s, n, author, body);
		result = result ? result : store_commit(s);
		if (result) {
			store_rollback(s);
			n->id = saved.id;
			n->version = saved.version;
			n->sync = saved.sync;
			memcpy(n->uid, saved.uid, sizeof(n->uid));
		}
	}
	free(body);
	return result;
}

/* Checks, inside a transaction, that note id is at expected_version and
 * signed (want_signed) or a draft; sets *version. */
static int check_base(store *s, int64_t id, int expected, bool want_signed, int *version)
{
	enum note_status status;
	int result = current_state(s, id, version, &status);
	if (result)
		return result;
	if (want_signed && status != NOTE_SIGNED)
		return store_failf(s, DICTUM_INVAL,
		                   "note %lld is a draft: edit it; only a signed note takes an "
		                   "addendum",
		                   (long long)id);
	if (!want_signed && status == NOTE_SIGNED)
		return store_failf(s, DICTUM_READONLY, "note %lld is already signed",
		                   (long long)id);
	if (*version != expected)
		return store_failf(s, DICTUM_CONFLICT,
		                   "note %lld changed elsewhere (version %d, expected %d)",
		                   (long long)id, *version, expected);
	return DICTUM_OK;
}

int store_note_sign(store *s, int64_t id, int expected_version, const char *author)
{
	static const char sql[] = "UPDATE notes SET status = 'signed', version = ?2, "
	                          "signed_at = ?3, signed_by = ?4, updated_at = ?3, "
	                          "sync_state = 'queued' WHERE id = ?1";
	static const char enc[] = "UPDATE encounters SET status = 'signed', updated_at = ?2 "
	                          "WHERE id = (SELECT encounter_id FROM notes WHERE id = ?1)";
	int version, result = store_begin(s);
	if (result)
		return result;
	if ((result = check_base(s, id, expected_version, false, &version)))
		goto fail;
	struct note n = {.id = id, .version = version + 1};
	time_now_iso(n.updated_at);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, n.version);
	store_bind_text(st, 3, n.updated_at);
	store_bind_text(st, 4, author);
	if ((result = store_step_done(s, st)))
		goto fail;
	if (!(st = store_stmt(s, enc))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, n.updated_at);
	if ((result = store_step_done(s, st)) ||
	    (result = add_version(s, &n, author, "[\"signed\"]")) ||
	    (result = add_outbox(s, id, "sign", version)) || (result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	store_rollback(s);
	return result;
}

int store_note_addendum(store *s, int64_t id, int expected_version, const char *author,
                        const char *text)
{
	static const char sec[] =
	    "INSERT INTO note_sections(note_id, position, key, title, text) "
	    "SELECT ?1, coalesce(max(position) + 1, 0), ?2, ?3, ?4 FROM note_sections "
	    "WHERE note_id = ?1";
	static const char upd[] =
	    "UPDATE notes SET version = ?2, body = body || char(10) || ?3 || char(10) || ?4 || "
	    "char(10), updated_at = ?5, sync_state = CASE sync_state WHEN 'conflict' THEN "
	    "'conflict' ELSE 'queued' END WHERE id = ?1";
	if (str_empty(text))
		return store_failf(s, DICTUM_INVAL, "an addendum needs text");
	int version, result = store_begin(s);
	if (result)
		return result;
	if ((result = check_base(s, id, expected_version, true, &version)))
		goto fail;
	struct note n = {.id = id, .version = version + 1};
	time_now_iso(n.updated_at);
	char key[32], title[160];
	snprintf(key, sizeof(key), "addendum_%d", n.version);
	snprintf(title, sizeof(title), "Addendum (%.10s %.5s, %s)", n.updated_at, n.updated_at + 11,
	         str_empty(author) ? "unknown" : author);
	sqlite3_stmt *st = store_stmt(s, sec);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, title);
	store_bind_text(st, 4, text);
	if ((result = store_step_done(s, st)))
		goto fail;
	if (!(st = store_stmt(s, upd))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, n.version);
	store_bind_text(st, 3, title);
	store_bind_text(st, 4, text);
	store_bind_text(st, 5, n.updated_at);
	if ((result = store_step_done(s, st)) ||
	    (result = add_version(s, &n, author, "[\"addendum\"]")) ||
	    (result = add_outbox(s, id, "addendum", version)) || (result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	store_rollback(s);
	return result;
}

#define NOTE_COLUMNS                                                                               \
	"id, uid, encounter_id, note_type, specialty, status, version, server_id, "                \
	"server_version, sync_state, created_at, updated_at, signed_by"

static int load_note(store *s, sqlite3_stmt *st, struct note *out)
{
	static const char sections[] = "SELECT key, title, text FROM note_sections "
	                               "WHERE note_id = ?1 ORDER BY position";
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int result = rc == SQLITE_DONE ? store_failf(s, DICTUM_NOTFOUND, "no such note")
		                               : store_fail(s, rc);
		sqlite3_reset(st);
		return result;
	}
	struct note n = {0};
	n.id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, n.uid, sizeof(n.uid));
	n.encounter_id = sqlite3_column_int64(st, 2);
	n.note_type = store_col_dup(st, 3);
	n.specialty = store_col_dup(st, 4);
	n.status = note_status_parse((const char *)sqlite3_column_text(st, 5)) == NOTE_SIGNED
	               ? NOTE_SIGNED
	               : NOTE_DRAFT;
	n.version = sqlite3_column_int(st, 6);
	n.server_id = store_col_dup(st, 7);
	n.server_version = sqlite3_column_int(st, 8);
	int sync = sync_state_parse((const char *)sqlite3_column_text(st, 9));
	n.sync = sync < 0 ? SYNC_LOCAL : (enum sync_state)sync;
	store_col_copy(st, 10, n.created_at, sizeof(n.created_at));
	store_col_copy(st, 11, n.updated_at, sizeof(n.updated_at));
	n.signed_by = store_col_dup(st, 12);
	sqlite3_reset(st);
	int result = n.note_type ? DICTUM_OK : DICTUM_NOMEM;

	sqlite3_stmt *sec = result ? NULL : store_stmt(s, sections);
	if (!result && !sec)
		result = DICTUM_INTERNAL;
	if (sec) {
		sqlite3_bind_int64(sec, 1, n.id);
		while (!result && (rc = sqlite3_step(sec)) == SQLITE_ROW)
			result = note_add_section(&n, (const char *)sqlite3_column_text(sec, 0),
			                          (const char *)sqlite3_column_text(sec, 1),
			                          (const char *)sqlite3_column_text(sec, 2));
		if (!result && rc != SQLITE_DONE)
			result = store_fail(s, rc);
		sqlite3_reset(sec);
	}
	if (result) {
		note_clear(&n);
		return result;
	}
	*out = n;
	return DICTUM_OK;
}

int store_note_get(store *s, int64_t id, struct note *out)
{
	static const char sql[] = "SELECT " NOTE_COLUMNS " FROM notes WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int result = load_note(s, st, out);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no note with id %lld", (long long)id);
	return result;
}

int store_note_get_by_uid(store *s, const char *uid, struct note *out)
{
	static const char sql[] = "SELECT " NOTE_COLUMNS " FROM notes WHERE uid = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, uid);
	int result = load_note(s, st, out);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no note with id %s", uid);
	return result;
}

static int summary_row(sqlite3_stmt *st, void *elem)
{
	struct note_summary *n = elem;
	n->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, n->uid, sizeof(n->uid));
	n->encounter_id = sqlite3_column_int64(st, 2);
	n->patient_name = store_col_dup(st, 3);
	n->note_type = store_col_dup(st, 4);
	n->status = note_status_parse((const char *)sqlite3_column_text(st, 5)) == NOTE_SIGNED
	                ? NOTE_SIGNED
	                : NOTE_DRAFT;
	int sync = sync_state_parse((const char *)sqlite3_column_text(st, 6));
	n->sync = sync < 0 ? SYNC_LOCAL : (enum sync_state)sync;
	n->version = sqlite3_column_int(st, 7);
	store_col_copy(st, 8, n->updated_at, sizeof(n->updated_at));
	if (sqlite3_column_count(st) > 9)
		n->snippet = store_col_dup(st, 9);
	return n->patient_name && n->note_type ? DICTUM_OK : DICTUM_NOMEM;
}

#define SUMMARY_COLUMNS                                                                            \
	"n.id, n.uid, n.encounter_id, p.last_name || ', ' || p.first_name, n.note_type, "          \
	"n.status, n.sync_state, n.version, n.updated_at"

int store_note_list(store *s, const struct note_filter *f, struct note_summary **list,
                    size_t *count)
{
	static const char sql[] =
	    "SELECT " SUMMARY_COLUMNS " FROM notes n "
	    "JOIN encounters e ON e.id = n.encounter_id JOIN patients p ON p.id = e.patient_id "
	    "WHERE (?1 = 0 OR (n.updated_at, n.id) < "
	    "  (SELECT updated_at, id FROM notes WHERE id = ?1)) "
	    "AND (?2 = 0 OR e.patient_id = ?2) AND (?3 IS NULL OR n.note_type = ?3) "
	    "AND (?4 IS NULL OR n.status = ?4) "
	    "ORDER BY n.updated_at DESC, n.id DESC LIMIT ?5";
	struct note_filter none = {.status = -1};
	if (!f)
		f = &none;
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, f->before_id);
	sqlite3_bind_int64(st, 2, f->patient_id);
	store_bind_text(st, 3, f->note_type);
	store_bind_text(st, 4,
	                f->status < 0 ? NULL : note_status_name((enum note_status)f->status));
	sqlite3_bind_int64(st, 5, f->limit ? (int64_t)f->limit : 50);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), summary_row);
	if (result)
		note_summaries_free(list, *count);
	return result;
}

/* Turns plain words into an FTS5 query: each word quoted (so no search
 * syntax reaches SQLite), a trailing '*' kept as a prefix search. */
static int fts_query(const char *query, struct dynbuf *d)
{
	int result = DICTUM_OK;
	const char *p = query;
	bool any = false;
	while (*p && !result) {
		while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80)
			p++;
		const char *start = p;
		while (*p && (isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80))
			p++;
		if (p == start)
			continue;
		result = dynbuf_printf(d, "%s\"%.*s\"%s", any ? " " : "", (int)(p - start), start,
		                       *p == '*' ? "*" : "");
		any = true;
	}
	return result ? result : (any ? DICTUM_OK : DICTUM_INVAL);
}

int store_note_search(store *s, const char *query, size_t limit, struct note_summary **list,
                      size_t *count)
{
	static const char sql[] =
	    "SELECT " SUMMARY_COLUMNS ", snippet(notes_fts, 0, '[', ']', '...', 12) "
	    "FROM notes_fts JOIN notes n ON n.id = notes_fts.rowid "
	    "JOIN encounters e ON e.id = n.encounter_id JOIN patients p ON p.id = e.patient_id "
	    "WHERE notes_fts MATCH ?1 ORDER BY notes_fts.rowid DESC LIMIT ?2";
	struct dynbuf q;
	dynbuf_init(&q, 4096);
	*list = NULL;
	*count = 0;
	int result = fts_query(query ? query : "", &q);
	if (result) {
		dynbuf_free(&q);
		return store_failf(s, result == DICTUM_INVAL ? DICTUM_INVAL : result,
		                   "search needs at least one word");
	}
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st) {
		dynbuf_free(&q);
		return DICTUM_INTERNAL;
	}
	store_bind_text(st, 1, dynbuf_str(&q));
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : 50);
	result = store_collect(s, st, (void **)list, count, sizeof(**list), summary_row);
	dynbuf_free(&q);
	if (result)
		note_summaries_free(list, *count);
	return result;
}

int store_signed_notes_each(store *s, const char *signed_after,
                            int (*fn)(const char *text, void *ctx), void *ctx, size_t *count)
{
	static const char sql[] =
	    "SELECT (SELECT group_concat('# ' || title || char(10) || text, char(10)) "
	    "FROM (SELECT title, text FROM note_sections WHERE note_id = n.id ORDER BY position)) "
	    "FROM notes n WHERE n.status = 'signed' AND coalesce(n.signed_at, '') > ?1 "
	    "ORDER BY n.signed_at, n.id";
	*count = 0;
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, signed_after ? signed_after : "");
	int rc, result = DICTUM_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		++*count;
		if (fn && (result = fn(text ? text : "", ctx)))
			break;
	}
	if (!result && rc != SQLITE_DONE)
		result = store_fail(s, rc);
	sqlite3_reset(st);
	return result;
}

static int version_row(sqlite3_stmt *st, void *elem)
{
	struct note_version_info *v = elem;
	v->version = sqlite3_column_int(st, 0);
	v->author = store_col_dup(st, 1);
	store_col_copy(st, 2, v->saved_at, sizeof(v->saved_at));
	v->changed = store_col_dup(st, 3);
	return v->changed ? DICTUM_OK : DICTUM_NOMEM;
}

int store_note_versions(store *s, int64_t note_id, struct note_version_info **list, size_t *count)
{
	static const char sql[] = "SELECT version, author, saved_at, changed FROM note_versions "
	                          "WHERE note_id = ?1 ORDER BY version";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), version_row);
	if (result)
		note_versions_free(list, *count);
	return result;
}

void note_versions_free(struct note_version_info **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++) {
		free((*list)[i].author);
		free((*list)[i].changed);
	}
	free(*list);
	*list = NULL;
}
