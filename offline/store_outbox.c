#include "offline/store_internal.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

void outbox_row_clear(struct outbox_row *r)
{
	free(r->entity);
	free(r->operation);
	free(r->idempotency_key);
	free(r->payload);
	free(r->last_error);
	memset(r, 0, sizeof(*r));
}

static int outbox_row(sqlite3_stmt *st, void *elem)
{
	struct outbox_row *r = elem;
	r->id = sqlite3_column_int64(st, 0);
	r->entity = store_col_dup(st, 1);
	r->entity_id = sqlite3_column_int64(st, 2);
	r->operation = store_col_dup(st, 3);
	r->idempotency_key = store_col_dup(st, 4);
	r->payload = store_col_dup(st, 5);
	r->attempts = sqlite3_column_int(st, 6);
	r->next_attempt_at = sqlite3_column_int64(st, 7);
	r->last_error = store_col_dup(st, 8);
	return r->entity && r->operation && r->idempotency_key && r->payload ? DICTUM_OK
	                                                                     : DICTUM_NOMEM;
}

int store_outbox_next(store *s, int64_t now_ms, struct outbox_row *out)
{
	/* Rows go in order: a row waits while an older row of the same entity
	 * is still queued, so an update never overtakes its create. */
	static const char sql[] =
	    "SELECT id, entity, entity_id, operation, idempotency_key, payload, attempts, "
	    "next_attempt_at, last_error FROM outbox o WHERE next_attempt_at <= ?1 AND NOT "
	    "EXISTS (SELECT 1 FROM outbox p WHERE p.entity = o.entity AND p.entity_id = "
	    "o.entity_id AND p.id < o.id) ORDER BY id LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, now_ms);
	int result = store_collect_one(s, st, out, sizeof(*out), outbox_row);
	if (result && result != DICTUM_NOTFOUND)
		outbox_row_clear(out);
	return result;
}

int store_outbox_done(store *s, int64_t id, const char *server_id, int server_version)
{
	static const char del[] = "DELETE FROM outbox WHERE id = ?1 RETURNING entity, entity_id";
	static const char synced[] =
	    "UPDATE notes SET server_id = coalesce(?2, server_id), server_version = ?3, "
	    "sync_state = CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE entity = 'note' AND "
	    "entity_id = ?1) THEN sync_state ELSE 'synced' END WHERE id = ?1";
	int result = store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = store_stmt(s, del);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	bool is_note = false;
	int64_t entity_id = 0;
	if (rc == SQLITE_ROW) {
		is_note = strcmp((const char *)sqlite3_column_text(st, 0), "note") == 0;
		entity_id = sqlite3_column_int64(st, 1);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		result = store_fail(s, rc);
		goto fail;
	}
	if (is_note) {
		if (!(st = store_stmt(s, synced))) {
			result = DICTUM_INTERNAL;
			goto fail;
		}
		sqlite3_bind_int64(st, 1, entity_id);
		store_bind_text(st, 2, server_id);
		sqlite3_bind_int(st, 3, server_version);
		if ((result = store_step_done(s, st)))
			goto fail;
	}
	return store_commit(s);
fail:
	store_rollback(s);
	return result;
}

int store_outbox_retry(store *s, int64_t id, int64_t next_attempt_ms, const char *error)
{
	static const char sql[] =
	    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, "
	    "last_error = ?3 WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_attempt_ms);
	store_bind_text(st, 3, error);
	return store_step_done(s, st);
}

int store_outbox_count(store *s, size_t *count)
{
	static const char sql[] = "SELECT count(*) FROM outbox";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : store_fail(s, rc);
}
