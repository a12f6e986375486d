#include "offline/store_internal.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const code_states[] = {"suggested", "accepted", "rejected"};

const char *code_status_name(enum code_status st)
{
	return (unsigned)st < 3 ? code_states[st] : "unknown";
}

void note_codes_free(struct note_code **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++) {
		free((*list)[i].code);
		free((*list)[i].name);
		free((*list)[i].evidence);
	}
	free(*list);
	*list = NULL;
}

static int upsert(store *s, int64_t note_id, const struct note_code *c, bool keep_decision)
{
	/* keep_decision: a new suggestion never overrides the clinician's
	 * accept or reject of the same code. */
	static const char sql[] =
	    "INSERT INTO note_codes(note_id, system, code, name, evidence, span_start, span_end, "
	    "score, status, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT(note_id, system, code) DO UPDATE SET name = coalesce(excluded.name, "
	    "name), evidence = coalesce(excluded.evidence, evidence), span_start = "
	    "coalesce(excluded.span_start, span_start), span_end = coalesce(excluded.span_end, "
	    "span_end), score = coalesce(excluded.score, score), status = CASE WHEN ?11 AND "
	    "status != 'suggested' THEN status ELSE excluded.status END, updated_at = "
	    "excluded.updated_at";
	if (str_empty(c->code) || str_empty(c->system))
		return store_failf(s, DICTUM_INVAL, "a code needs a system and a code");
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	store_bind_text(st, 2, c->system);
	store_bind_text(st, 3, c->code);
	store_bind_text(st, 4, c->name);
	store_bind_text(st, 5, c->evidence);
	if (c->span_start >= 0 && c->span_end >= c->span_start) {
		sqlite3_bind_int(st, 6, c->span_start);
		sqlite3_bind_int(st, 7, c->span_end);
	}
	sqlite3_bind_double(st, 8, c->score);
	store_bind_text(st, 9, code_status_name(c->status));
	store_bind_text(st, 10, now);
	sqlite3_bind_int(st, 11, keep_decision);
	int result = store_step_done(s, st);
	if (result == DICTUM_INVAL)
		store_failf(s, result, "no note with id %lld, or bad code system '%s'",
		            (long long)note_id, c->system);
	return result;
}

int store_note_codes_suggest(store *s, int64_t note_id, const struct note_code *codes, size_t count)
{
	static const char clear[] = "DELETE FROM note_codes WHERE note_id = ?1 AND "
	                            "status = 'suggested'";
	int result = store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = store_stmt(s, clear);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, note_id);
	if ((result = store_step_done(s, st)))
		goto fail;
	for (size_t i = 0; i < count; i++) {
		struct note_code c = codes[i];
		c.status = CODE_SUGGESTED;
		if ((result = upsert(s, note_id, &c, true)))
			goto fail;
	}
	if ((result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	store_rollback(s);
	return result;
}

int store_note_code_set(store *s, int64_t note_id, const struct note_code *code)
{
	return upsert(s, note_id, code, false);
}

static int code_row(sqlite3_stmt *st, void *elem)
{
	struct note_code *c = elem;
	store_col_copy(st, 0, c->system, sizeof(c->system));
	c->code = store_col_dup(st, 1);
	c->name = store_col_dup(st, 2);
	c->evidence = store_col_dup(st, 3);
	c->span_start = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
	c->span_end = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 5);
	c->score = sqlite3_column_double(st, 6);
	const char *status = (const char *)sqlite3_column_text(st, 7);
	c->status = CODE_SUGGESTED;
	for (int i = 0; status && i < 3; i++)
		if (strcmp(status, code_states[i]) == 0)
			c->status = (enum code_status)i;
	return c->code ? DICTUM_OK : DICTUM_NOMEM;
}

int store_note_codes_list(store *s, int64_t note_id, struct note_code **list, size_t *count)
{
	static const char sql[] = "SELECT system, code, name, evidence, span_start, span_end, "
	                          "score, status FROM note_codes WHERE note_id = ?1 "
	                          "ORDER BY system, status = 'rejected', score DESC, code";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), code_row);
	if (result)
		note_codes_free(list, *count);
	return result;
}

int store_billing_save(store *s, int64_t note_id, int note_version, const char *em_level,
                       const char *result_json)
{
	static const char sql[] =
	    "INSERT INTO billing_results(note_id, note_version, em_level, result, computed_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(note_id) DO UPDATE SET "
	    "note_version = excluded.note_version, em_level = excluded.em_level, "
	    "result = excluded.result, computed_at = excluded.computed_at";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	sqlite3_bind_int(st, 2, note_version);
	store_bind_text(st, 3, em_level);
	store_bind_text(st, 4, result_json ? result_json : "{}");
	store_bind_text(st, 5, now);
	int result = store_step_done(s, st);
	if (result == DICTUM_INVAL)
		store_failf(s, result, "no note with id %lld, or the billing result is not JSON",
		            (long long)note_id);
	return result;
}

int store_billing_get(store *s, int64_t note_id, int *note_version, char **json_out)
{
	static const char sql[] = "SELECT note_version, result FROM billing_results "
	                          "WHERE note_id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, note_id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		if (note_version)
			*note_version = sqlite3_column_int(st, 0);
		if (!(*json_out = store_col_dup(st, 1)))
			result = DICTUM_NOMEM;
	} else {
		result = rc == SQLITE_DONE
		             ? store_failf(s, DICTUM_NOTFOUND, "no billing result for note %lld",
		                           (long long)note_id)
		             : store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}
