#include "offline/store_internal.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* The sections of note ?1 as a JSON array, in order (as store_notes.c). */
#define SECTIONS_JSON                                                                              \
	"(SELECT json_group_array(json_object('key', key, 'title', title, 'text', text)) "         \
	"FROM (SELECT key, title, text FROM note_sections WHERE note_id = ?1 ORDER BY position))"

void store_sync_ref_clear(struct store_sync_ref *r)
{
	free(r->server_id);
	free(r->signed_by);
	free(r->provider);
	free(r->first_name);
	free(r->last_name);
	free(r->email);
	memset(r, 0, sizeof(*r));
}

static int ref_row(sqlite3_stmt *st, void *elem)
{
	struct store_sync_ref *r = elem;
	store_col_copy(st, 0, r->uid, sizeof(r->uid));
	r->server_id = store_col_dup(st, 1);
	r->server_version = sqlite3_column_int(st, 2);
	int sync = sync_state_parse((const char *)sqlite3_column_text(st, 3));
	r->sync = sync < 0 ? SYNC_LOCAL : (enum sync_state)sync;
	r->status = note_status_parse((const char *)sqlite3_column_text(st, 4)) == NOTE_SIGNED
	                ? NOTE_SIGNED
	                : NOTE_DRAFT;
	r->signed_by = store_col_dup(st, 5);
	r->provider = store_col_dup(st, 6);
	r->first_name = store_col_dup(st, 7);
	r->last_name = store_col_dup(st, 8);
	r->email = store_col_dup(st, 9);
	return r->first_name && r->last_name ? DICTUM_OK : DICTUM_NOMEM;
}

int store_sync_ref_get(store *s, int64_t note_id, struct store_sync_ref *out)
{
	static const char sql[] =
	    "SELECT n.uid, n.server_id, n.server_version, n.sync_state, n.status, n.signed_by, "
	    "e.provider, p.first_name, p.last_name, p.email FROM notes n "
	    "JOIN encounters e ON e.id = n.encounter_id JOIN patients p ON p.id = e.patient_id "
	    "WHERE n.id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	int result = store_collect_one(s, st, out, sizeof(*out), ref_row);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no note with id %lld", (long long)note_id);
	else if (result)
		store_sync_ref_clear(out);
	return result;
}

/* Replaces note ?1 with the server's copy ?2: fields, sections, body and a
 * version row; the note becomes synced and its outbox rows go. */
static int replace_with_server(store *s, int64_t note_id, const char *json, const char *author)
{
	static const char upd[] =
	    "UPDATE notes SET note_type = coalesce(json_extract(?2, '$.noteType'), note_type), "
	    "specialty = json_extract(?2, '$.specialty'), "
	    "status = CASE json_extract(?2, '$.status') WHEN 'signed' THEN 'signed' "
	    "ELSE 'draft' END, signed_by = json_extract(?2, '$.signed_by'), "
	    "signed_at = CASE json_extract(?2, '$.status') WHEN 'signed' THEN "
	    "coalesce(json_extract(?2, '$.signed_at'), strftime('%Y-%m-%dT%H:%M:%SZ')) END, "
	    "server_id = json_extract(?2, '$.id'), "
	    "server_version = json_extract(?2, '$.version'), version = version + 1, "
	    "sync_state = 'synced', updated_at = strftime('%Y-%m-%dT%H:%M:%SZ') WHERE id = ?1";
	static const char del_sec[] = "DELETE FROM note_sections WHERE note_id = ?1";
	static const char ins_sec[] =
	    "INSERT INTO note_sections(note_id, position, key, title, text) "
	    "SELECT ?1, CAST(key AS INTEGER), coalesce(json_extract(value, '$.key'), 'section'), "
	    "coalesce(json_extract(value, '$.title'), json_extract(value, '$.key'), ''), "
	    "coalesce(json_extract(value, '$.text'), '') FROM json_each(?2, '$.sections')";
	static const char body[] =
	    "UPDATE notes SET body = coalesce((SELECT group_concat(title || char(10) || text || "
	    "char(10), char(10)) FROM (SELECT title, text FROM note_sections WHERE note_id = ?1 "
	    "ORDER BY position)), '') WHERE id = ?1";
	static const char ver[] =
	    "INSERT INTO note_versions(note_id, version, author, saved_at, changed, sections) "
	    "SELECT ?1, version, ?2, updated_at, '[\"server\"]', " SECTIONS_JSON
	    " FROM notes WHERE id = ?1";
	static const char enc[] =
	    "UPDATE encounters SET status = CASE (SELECT status FROM notes WHERE id = ?1) "
	    "WHEN 'signed' THEN 'signed' ELSE 'synced' END, updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ') WHERE id = (SELECT encounter_id FROM notes "
	    "WHERE id = ?1)";
	static const char drop[] = "DELETE FROM outbox WHERE entity = 'note' AND entity_id = ?1";
	int result;
	if ((result = store_exec_id_text(s, upd, note_id, json)) ||
	    (result = store_exec_id_text(s, del_sec, note_id, json)) ||
	    (result = store_exec_id_text(s, ins_sec, note_id, json)) ||
	    (result = store_exec_id_text(s, body, note_id, json)) ||
	    (result = store_exec_id_text(s, ver, note_id, author)) ||
	    (result = store_exec_id_text(s, enc, note_id, json)))
		return result;
	return store_exec_id_text(s, drop, note_id, json);
}

/* Finds the local note of a server note: by server id, else by the uid the
 * server keeps as external_id (a note pushed from here). */
static int find_local(store *s, const char *json, int64_t *id, int *server_version,
                      bool *signed_here, char *sync, size_t synclen)
{
	static const char sql[] =
	    "SELECT id, server_version, status, sync_state FROM notes WHERE server_id = "
	    "json_extract(?1, '$.id') OR uid = json_extract(?1, '$.external_id') "
	    "ORDER BY server_id IS NULL LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, json);
	int rc = sqlite3_step(st), result = DICTUM_NOTFOUND;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*server_version = sqlite3_column_int(st, 1);
		*signed_here = strcmp((const char *)sqlite3_column_text(st, 2), "signed") == 0;
		store_col_copy(st, 3, sync, synclen);
		result = DICTUM_OK;
	} else if (rc != SQLITE_DONE) {
		result = store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}

/* Inserts a note made elsewhere with its patient and encounter. */
static int insert_remote(store *s, const char *json)
{
	static const char find_pat[] =
	    "SELECT id FROM patients WHERE uid = json_extract(?1, '$.patient_id')";
	static const char ins_pat[] =
	    "INSERT INTO patients(uid, first_name, last_name, created_at, updated_at) "
	    "VALUES (?1, 'Unknown', 'Patient ' || substr(?1, 5, 8), ?2, ?2)";
	static const char ins_enc[] =
	    "INSERT INTO encounters(uid, patient_id, note_type, specialty, provider, status, "
	    "started_at, updated_at) VALUES (?1, ?2, json_extract(?3, '$.noteType'), "
	    "json_extract(?3, '$.specialty'), json_extract(?3, '$.provider'), "
	    "CASE json_extract(?3, '$.status') WHEN 'signed' THEN 'signed' ELSE 'synced' END, "
	    "coalesce(json_extract(?3, '$.created_at'), ?4), ?4)";
	static const char uid_free[] = "SELECT count(*) FROM notes WHERE uid = ?1";
	static const char ins_note[] =
	    "INSERT INTO notes(uid, encounter_id, note_type, status, version, sync_state, "
	    "created_at, updated_at) VALUES (?1, ?2, coalesce(json_extract(?3, '$.noteType'), "
	    "'soap'), 'draft', 0, 'synced', ?4, ?4)";
	char now[DICTUM_TIME_LEN], pat_uid[DICTUM_UID_LEN] = "", uid[DICTUM_UID_LEN];
	int64_t patient_id = 0;
	int result = DICTUM_OK;
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, find_pat);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, json);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		patient_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, rc);
	if (!patient_id) {
		/* the server's patient id, when it has one, names the local patient */
		if (!(st = store_stmt(s, "SELECT json_extract(?1, '$.patient_id')")))
			return DICTUM_INTERNAL;
		store_bind_text(st, 1, json);
		if (sqlite3_step(st) == SQLITE_ROW)
			store_col_copy(st, 0, pat_uid, sizeof(pat_uid));
		sqlite3_reset(st);
		if (strncmp(pat_uid, "pat_", 4) != 0 && (result = store_make_uid(pat_uid, "pat")))
			return store_failf(s, result, "cannot make an id");
		if (!(st = store_stmt(s, ins_pat)))
			return DICTUM_INTERNAL;
		store_bind_text(st, 1, pat_uid);
		store_bind_text(st, 2, now);
		if ((result = store_step_done(s, st)))
			return result;
		patient_id = sqlite3_last_insert_rowid(s->db);
	}
	char enc_uid[DICTUM_UID_LEN];
	if ((result = store_make_uid(enc_uid, "enc")))
		return store_failf(s, result, "cannot make an id");
	if (!(st = store_stmt(s, ins_enc)))
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, enc_uid);
	sqlite3_bind_int64(st, 2, patient_id);
	store_bind_text(st, 3, json);
	store_bind_text(st, 4, now);
	if ((result = store_step_done(s, st)))
		return result;
	int64_t encounter_id = sqlite3_last_insert_rowid(s->db);

	/* keep the origin's uid (the server's external_id) when it is free */
	uid[0] = '\0';
	if (!(st = store_stmt(s, "SELECT json_extract(?1, '$.external_id')")))
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, json);
	if (sqlite3_step(st) == SQLITE_ROW)
		store_col_copy(st, 0, uid, sizeof(uid));
	sqlite3_reset(st);
	bool taken = true;
	if (strncmp(uid, "note_", 5) == 0 && strlen(uid) == 29) {
		if (!(st = store_stmt(s, uid_free)))
			return DICTUM_INTERNAL;
		store_bind_text(st, 1, uid);
		if (sqlite3_step(st) == SQLITE_ROW)
			taken = sqlite3_column_int(st, 0) != 0;
		sqlite3_reset(st);
	}
	if (taken && (result = store_make_uid(uid, "note")))
		return store_failf(s, result, "cannot make an id");
	if (!(st = store_stmt(s, ins_note)))
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, encounter_id);
	store_bind_text(st, 3, json);
	store_bind_text(st, 4, now);
	if ((result = store_step_done(s, st)))
		return result;
	return replace_with_server(s, sqlite3_last_insert_rowid(s->db), json, "server");
}

/* A note without sections (a list summary, say) is refused: applying it
 * would empty the local copy. */
static int check_server_note(store *s, const char *json)
{
	static const char sql[] = "SELECT json_valid(?1) AND json_type(?1, '$.id') = 'text' AND "
	                          "json_type(?1, '$.version') = 'integer' AND "
	                          "json_type(?1, '$.sections') = 'array'";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, json);
	int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_reset(st);
	return ok ? DICTUM_OK
	          : store_failf(s, DICTUM_INVAL,
	                        "a server note needs an id, a version and sections");
}

int store_sync_apply(store *s, const char *note_json, enum store_apply_outcome *outcome)
{
	int result = check_server_note(s, note_json);
	if (result)
		return result;
	sqlite3_stmt *st = store_stmt(
	    s, "SELECT json_extract(?1, '$.version'), json_extract(?1, '$.status') = 'signed'");
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, note_json);
	bool row = sqlite3_step(st) == SQLITE_ROW;
	int version = row ? sqlite3_column_int(st, 0) : 0;
	bool server_signed = row && sqlite3_column_int(st, 1) == 1;
	sqlite3_reset(st);
	if ((result = store_begin(s)))
		return result;
	int64_t id = 0;
	int known = 0;
	bool signed_here = false;
	char sync[16] = "";
	result = find_local(s, note_json, &id, &known, &signed_here, sync, sizeof(sync));
	if (result == DICTUM_NOTFOUND) {
		if ((result = insert_remote(s, note_json)))
			goto fail;
		*outcome = STORE_APPLY_INSERTED;
	} else if (result) {
		goto fail;
	} else if (version <= known) {
		*outcome = STORE_APPLY_SKIPPED;
	} else if (strcmp(sync, "synced") != 0 || (signed_here && !server_signed)) {
		/* A signed note changes on the server only by addenda (appended
		 * sections), so a newer signed copy of a synced one is taken. */
		*outcome = STORE_APPLY_KEPT;
	} else {
		if ((result = replace_with_server(s, id, note_json, "server")))
			goto fail;
		*outcome = STORE_APPLY_UPDATED;
	}
	return store_commit(s);
fail:
	store_rollback(s);
	return result;
}

int store_sync_conflict_add(store *s, int64_t note_id, const char *server_note_json)
{
	static const char del[] =
	    "DELETE FROM note_conflicts WHERE note_id = ?1 AND resolved_at IS NULL";
	static const char ins[] =
	    "INSERT INTO note_conflicts(note_id, server_version, server_note, created_at) "
	    "VALUES (?1, json_extract(?2, '$.version'), ?2, strftime('%Y-%m-%dT%H:%M:%SZ'))";
	static const char note[] = "UPDATE notes SET sync_state = 'conflict' WHERE id = ?1";
	static const char enc[] =
	    "UPDATE encounters SET status = 'conflict', updated_at = "
	    "strftime('%Y-%m-%dT%H:%M:%SZ') WHERE id = (SELECT encounter_id FROM notes "
	    "WHERE id = ?1)";
	static const char drop[] = "DELETE FROM outbox WHERE entity = 'note' AND entity_id = ?1";
	int result = check_server_note(s, server_note_json);
	if (result)
		return result;
	if ((result = store_begin(s)))
		return result;
	if ((result = store_exec_id_text(s, del, note_id, NULL)) ||
	    (result = store_exec_id_text(s, ins, note_id, server_note_json)) ||
	    (result = store_exec_id_text(s, note, note_id, NULL)) ||
	    (result = store_exec_id_text(s, enc, note_id, NULL)) ||
	    (result = store_exec_id_text(s, drop, note_id, NULL)))
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return result;
}

static int conflict_row(sqlite3_stmt *st, void *elem)
{
	struct store_conflict *c = elem;
	c->id = sqlite3_column_int64(st, 0);
	c->note_id = sqlite3_column_int64(st, 1);
	store_col_copy(st, 2, c->note_uid, sizeof(c->note_uid));
	c->local_version = sqlite3_column_int(st, 3);
	c->server_version = sqlite3_column_int(st, 4);
	c->server_note = store_col_dup(st, 5);
	store_col_copy(st, 6, c->created_at, sizeof(c->created_at));
	return c->server_note ? DICTUM_OK : DICTUM_NOMEM;
}

int store_sync_conflict_list(store *s, struct store_conflict **list, size_t *count)
{
	static const char sql[] =
	    "SELECT c.id, c.note_id, n.uid, n.version, c.server_version, c.server_note, "
	    "c.created_at FROM note_conflicts c JOIN notes n ON n.id = c.note_id "
	    "WHERE c.resolved_at IS NULL ORDER BY c.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), conflict_row);
	if (result)
		store_conflicts_free(list, *count);
	return result;
}

void store_conflicts_free(struct store_conflict **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++)
		free((*list)[i].server_note);
	free(*list);
	*list = NULL;
}

/* Queues the note's current state as an update on top of the server's
 * version (the payload has the shape store_notes.c writes). */
static int queue_keep_local(store *s, int64_t note_id, int server_version)
{
	static const char upd[] =
	    "UPDATE notes SET server_version = ?2, sync_state = 'queued' WHERE id = ?1";
	static const char enc[] =
	    "UPDATE encounters SET status = CASE (SELECT status FROM notes WHERE id = ?1) "
	    "WHEN 'signed' THEN 'signed' ELSE 'draft' END WHERE id = (SELECT encounter_id "
	    "FROM notes WHERE id = ?1)";
	static const char ins[] =
	    "INSERT INTO outbox(entity, entity_id, operation, idempotency_key, payload, "
	    "created_at) SELECT 'note', n.id, CASE n.status WHEN 'signed' THEN 'sign' ELSE "
	    "'update' END, ?2, json_object("
	    "'uid', n.uid, 'encounter', e.uid, 'patient', p.uid, "
	    "'patientName', p.first_name || ' ' || p.last_name, "
	    "'noteType', n.note_type, 'specialty', n.specialty, 'status', n.status, "
	    "'version', n.version, 'baseVersion', n.version, 'serverId', n.server_id, "
	    "'updatedAt', n.updated_at, 'sections', json(" SECTIONS_JSON ")), "
	    "strftime('%Y-%m-%dT%H:%M:%SZ') "
	    "FROM notes n JOIN encounters e ON e.id = n.encounter_id "
	    "JOIN patients p ON p.id = e.patient_id WHERE n.id = ?1";
	char key[33];
	if (random_hex(key, 16) != 0)
		return store_failf(s, DICTUM_IO, "cannot make an idempotency key");
	sqlite3_stmt *st = store_stmt(s, upd);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	sqlite3_bind_int(st, 2, server_version);
	int result = store_step_done(s, st);
	if (!result)
		result = store_exec_id_text(s, enc, note_id, NULL);
	if (!result)
		result = store_exec_id_text(s, ins, note_id, key);
	return result;
}

int store_sync_conflict_resolve(store *s, int64_t conflict_id, enum store_resolution how,
                                const char *author)
{
	static const char get[] =
	    "SELECT c.note_id, c.server_version, c.server_note, n.status, "
	    "json_extract(c.server_note, '$.status') FROM note_conflicts c "
	    "JOIN notes n ON n.id = c.note_id WHERE c.id = ?1 AND c.resolved_at IS NULL";
	static const char done[] =
	    "UPDATE note_conflicts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%SZ'), "
	    "resolution = ?2 WHERE id = ?1";
	int result = store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = store_stmt(s, get);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, conflict_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		result = rc == SQLITE_DONE
		             ? store_failf(s, DICTUM_NOTFOUND, "no unresolved conflict %lld",
		                           (long long)conflict_id)
		             : store_fail(s, rc);
		sqlite3_reset(st);
		goto fail;
	}
	int64_t note_id = sqlite3_column_int64(st, 0);
	int server_version = sqlite3_column_int(st, 1);
	char *json = store_col_dup(st, 2);
	bool local_signed = strcmp((const char *)sqlite3_column_text(st, 3), "signed") == 0;
	const char *sst = (const char *)sqlite3_column_text(st, 4);
	bool server_signed = sst && strcmp(sst, "signed") == 0;
	sqlite3_reset(st);
	if (!json) {
		result = store_failf(s, DICTUM_NOMEM, "out of memory");
		goto fail;
	}
	if (how == STORE_KEEP_LOCAL && server_signed)
		result = store_failf(s, DICTUM_READONLY,
		                     "the server's copy is signed; keep it and add an addendum");
	else if (how == STORE_KEEP_SERVER && local_signed)
		result = store_failf(s, DICTUM_READONLY,
		                     "the local note is signed and is never overwritten");
	else if (how == STORE_KEEP_LOCAL)
		result = queue_keep_local(s, note_id, server_version);
	else
		result = replace_with_server(s, note_id, json, author ? author : "server");
	free(json);
	if (!result)
		result = store_exec_id_text(s, done, conflict_id,
		                            how == STORE_KEEP_LOCAL ? "local" : "server");
	if (result)
		goto fail;
	return store_commit(s);
fail:
	store_rollback(s);
	return result;
}

int store_sync_counts(store *s, struct store_sync_counts *out)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM notes WHERE sync_state = 'local'), "
	                          "(SELECT count(*) FROM notes WHERE sync_state = 'queued'), "
	                          "(SELECT count(*) FROM notes WHERE sync_state = 'synced'), "
	                          "(SELECT count(*) FROM notes WHERE sync_state = 'conflict'), "
	                          "(SELECT count(*) FROM outbox), "
	                          "(SELECT count(*) FROM note_conflicts WHERE resolved_at IS NULL)";
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t *fields[] = {&out->local,    &out->queued, &out->synced,
		                    &out->conflict, &out->outbox, &out->conflicts};
		for (int i = 0; i < 6; i++)
			*fields[i] = (size_t)sqlite3_column_int64(st, i);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : store_fail(s, rc);
}

int store_sync_outbox_next_due(store *s, int64_t *due_ms)
{
	static const char sql[] = "SELECT min(next_attempt_at) FROM outbox";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st), result = DICTUM_NOTFOUND;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*due_ms = sqlite3_column_int64(st, 0);
		result = DICTUM_OK;
	} else if (rc != SQLITE_ROW) {
		result = store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}
