#include "offline/store_internal.h"
#include "offline/db_open.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 'DICT' in the database header: tells our stores from other SQLite files. */
#define STORE_APPLICATION_ID 0x44494354

int store_schema_version(void)
{
	return store_schema_latest();
}

const char *store_errmsg(const store *s)
{
	return s ? s->errmsg : "";
}

const char *store_path(const store *s)
{
	return s->path;
}

int store_failf(store *s, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return status;
}

int store_fail(store *s, int rc)
{
	int status = db_status(rc);
	if (status == DICTUM_OK)
		return DICTUM_OK;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", s->path,
	         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return status;
}

sqlite3_stmt *store_stmt(store *s, const char *sql)
{
	size_t slot = ((uintptr_t)sql >> 3) % STORE_STMT_CACHE;
	for (size_t i = 0; i < STORE_STMT_CACHE; i++) {
		size_t k = (slot + i) % STORE_STMT_CACHE;
		if (s->cache[k].sql == sql) {
			sqlite3_reset(s->cache[k].stmt);
			sqlite3_clear_bindings(s->cache[k].stmt);
			return s->cache[k].stmt;
		}
		if (!s->cache[k].sql) {
			sqlite3_stmt *st = NULL;
			int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			                            NULL);
			if (rc != SQLITE_OK) {
				store_fail(s, rc);
				return NULL;
			}
			s->cache[k].sql = sql;
			s->cache[k].stmt = st;
			return st;
		}
	}
	/* Cache full: should not happen with the fixed set of queries. */
	store_failf(s, DICTUM_INTERNAL, "%s: statement cache full", s->path);
	return NULL;
}

int store_step_done(store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int status = rc == SQLITE_DONE || rc == SQLITE_ROW ? DICTUM_OK : store_fail(s, rc);
	sqlite3_reset(st);
	return status;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	return text ? sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT)
	            : sqlite3_bind_null(st, idx);
}

int store_exec_id_text(store *s, const char *sql, int64_t id, const char *text)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, text);
	return store_step_done(s, st);
}

char *store_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? strdup((const char *)t) : NULL;
}

void store_col_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	str_copy(buf, t ? (const char *)t : "", size);
}

int store_make_uid(char out[DICTUM_UID_LEN], const char *prefix)
{
	char hex[25];
	if (random_hex(hex, 12) != 0)
		return DICTUM_IO;
	snprintf(out, DICTUM_UID_LEN, "%s_%s", prefix, hex);
	return DICTUM_OK;
}

int store_collect_one(store *s, sqlite3_stmt *st, void *out, size_t elem_size,
                      int (*row)(sqlite3_stmt *st, void *elem))
{
	memset(out, 0, elem_size);
	int rc = sqlite3_step(st), result;
	if (rc == SQLITE_ROW)
		result = row(st, out);
	else
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : store_fail(s, rc);
	sqlite3_reset(st);
	return result;
}

int store_collect(store *s, sqlite3_stmt *st, void **list, size_t *count, size_t elem_size,
                  int (*row)(sqlite3_stmt *st, void *elem))
{
	int result = DICTUM_OK, rc;
	size_t n = 0, cap = 0;
	char *items = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *ni = realloc(items, ncap * elem_size);
			if (!ni) {
				result = DICTUM_NOMEM;
				break;
			}
			items = ni;
			cap = ncap;
		}
		memset(items + n * elem_size, 0, elem_size);
		if ((result = row(st, items + n * elem_size)) != DICTUM_OK)
			break;
		n++;
	}
	if (!result && rc != SQLITE_DONE)
		result = store_fail(s, rc);
	sqlite3_reset(st);
	*list = items;
	*count = n;
	return result;
}

static int exec(store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? DICTUM_OK : store_fail(s, rc);
}

int store_begin(store *s)
{
	int result = exec(s, s->depth ? "SAVEPOINT nest" : "BEGIN IMMEDIATE");
	if (!result)
		s->depth++;
	return result;
}

int store_commit(store *s)
{
	if (s->depth <= 0)
		return store_failf(s, DICTUM_INTERNAL, "%s: commit outside a transaction", s->path);
	int result = exec(s, s->depth > 1 ? "RELEASE nest" : "COMMIT");
	if (!result)
		s->depth--;
	return result;
}

int store_rollback(store *s)
{
	if (s->depth <= 0)
		return DICTUM_OK;
	int result = s->depth > 1 ? exec(s, "ROLLBACK TO nest; RELEASE nest") : exec(s, "ROLLBACK");
	s->depth--;
	return result;
}

static const struct db_kind store_kind = {
    .what = "a Dictum store",
    .choose = "--data-dir",
    .log_tag = "store",
    .application_id = STORE_APPLICATION_ID,
    .latest = store_schema_latest,
    .step = store_schema_step,
    .pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL",
};

int store_open(const char *path, store **out, char *err, size_t errlen)
{
	*out = NULL;
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	/* The file is only ever read through SQLite: opening and closing a
	 * descriptor of it here would drop the POSIX locks that another handle
	 * of this process holds on it. */
	store *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", path);
		return DICTUM_NOMEM;
	}
	int result = db_open(path, true, &store_kind, &s->db, err, errlen);
	if (result) {
		store_close(&s);
		return result;
	}
	*out = s;
	return DICTUM_OK;
}

void store_close(store **sp)
{
	if (!sp || !*sp)
		return;
	store *s = *sp;
	for (size_t i = 0; i < STORE_STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].stmt);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
	*sp = NULL;
}

int store_meta_set(store *s, const char *key, const char *value)
{
	static const char sql[] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	                          "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, key);
	store_bind_text(st, 2, value);
	return store_step_done(s, st);
}

int store_meta_get(store *s, const char *key, char **value_out)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, key);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		*value_out = store_col_dup(st, 0);
		if (!*value_out)
			result = DICTUM_NOMEM;
	} else {
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}

static int count_rows(store *s, const char *sql, int64_t *out)
{
	int v = 0;
	int rc = db_query_int(s->db, sql, &v);
	*out = v;
	return rc ? store_fail(s, rc) : DICTUM_OK;
}

int store_check(store *s, struct store_check_result *out)
{
	int result;
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check(10)", -1, &st, NULL);
	size_t used = 0;
	if (rc != SQLITE_OK)
		return store_fail(s, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		used += (size_t)snprintf(out->integrity + used, sizeof(out->integrity) - used,
		                         "%s%s", used ? "; " : "", line ? line : "");
		if (used >= sizeof(out->integrity))
			used = sizeof(out->integrity) - 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc);
	out->ok = strcmp(out->integrity, "ok") == 0;
	/* The full-text indexes must agree with their tables. */
	static const char *const fts_checks[] = {
	    "INSERT INTO notes_fts(notes_fts, rank) VALUES ('integrity-check', 1)",
	    "INSERT INTO transcripts_fts(transcripts_fts, rank) VALUES ('integrity-check', 1)",
	};
	for (size_t i = 0; i < 2; i++) {
		rc = sqlite3_exec(s->db, fts_checks[i], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			out->ok = false;
			snprintf(out->integrity, sizeof(out->integrity), "full-text index: %s",
			         sqlite3_errmsg(s->db));
		}
	}
	if ((rc = db_query_int(s->db, "PRAGMA user_version", &out->schema_version)))
		return store_fail(s, rc);
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		store_col_copy(st, 0, out->journal_mode, sizeof(out->journal_mode));
	sqlite3_finalize(st);
	struct {
		const char *sql;
		int64_t *dst;
	} counts[] = {
	    {"SELECT count(*) FROM patients", &out->patients},
	    {"SELECT count(*) FROM encounters", &out->encounters},
	    {"SELECT count(*) FROM notes", &out->notes},
	    {"SELECT count(*) FROM note_versions", &out->note_versions},
	    {"SELECT count(*) FROM recordings", &out->recordings},
	    {"SELECT count(*) FROM transcripts", &out->transcripts},
	    {"SELECT count(*) FROM note_codes", &out->codes},
	    {"SELECT count(*) FROM outbox", &out->outbox},
	};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((result = count_rows(s, counts[i].sql, counts[i].dst)))
			return result;
	return DICTUM_OK;
}
