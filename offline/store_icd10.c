#include "offline/store_icd10.h"
#include "offline/store_internal.h"
#include "core/dynbuf.h"
#include "core/error.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void icd10_row_clear(struct icd10_row *r)
{
	if (!r)
		return;
	free(r->code);
	free(r->description);
	free(r->synonyms);
	memset(r, 0, sizeof(*r));
}

void icd10_rows_free(struct icd10_row **rows, size_t count)
{
	if (!rows || !*rows)
		return;
	for (size_t i = 0; i < count; i++)
		icd10_row_clear(&(*rows)[i]);
	free(*rows);
	*rows = NULL;
}

static void code_key(const char *code, char out[16])
{
	size_t n = 0;
	for (; *code && n < 15; code++)
		if (*code != '.' && !isspace((unsigned char)*code))
			out[n++] = (char)toupper((unsigned char)*code);
	out[n] = '\0';
}

/* The code tables prepare their own statements (finalized after use) so
 * that they never crowd the store's statement cache; only the two search
 * statements, run on every key press of a search box, are cached. */
static sqlite3_stmt *prep(store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		store_fail(s, rc);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static int exec_sql(store *s, const char *sql)
{
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int result = store_step_done(s, st);
	sqlite3_finalize(st);
	return result;
}

static int rebuild_fts(store *s)
{
	static const char sql[] = "INSERT INTO icd10_fts(icd10_fts) VALUES ('rebuild')";
	return exec_sql(s, sql);
}

int store_icd10_load_curated(store *s, const struct icd10_row *rows, size_t count,
                             const char *version)
{
	static const char unmark[] = "UPDATE icd10_codes SET curated = 0, synonyms = ''";
	static const char upsert[] =
	    "INSERT INTO icd10_codes(code, description, synonyms, curated) VALUES (?1, ?2, ?3, 1) "
	    "ON CONFLICT(code) DO UPDATE SET synonyms = excluded.synonyms, curated = 1, "
	    "description = CASE WHEN official THEN description ELSE excluded.description END";
	static const char prune[] = "DELETE FROM icd10_codes WHERE curated = 0 AND official = 0";
	int result = store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = NULL;
	if ((result = exec_sql(s, unmark)))
		goto fail;
	if (!(st = prep(s, upsert))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	for (size_t i = 0; i < count; i++) {
		char key[16];
		code_key(rows[i].code, key);
		sqlite3_clear_bindings(st);
		store_bind_text(st, 1, key);
		store_bind_text(st, 2, rows[i].description);
		store_bind_text(st, 3, rows[i].synonyms ? rows[i].synonyms : "");
		if ((result = store_step_done(s, st)))
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((result = exec_sql(s, prune)) || (result = rebuild_fts(s)) ||
	    (result = store_meta_set(s, "icd10_curated_version", version ? version : "")))
		goto fail;
	if ((result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return result;
}

int store_icd10_import(store *s, const struct icd10_row *rows, size_t count,
                       const char *fiscal_year, const char *source)
{
	static const char unmark[] = "UPDATE icd10_codes SET official = 0";
	static const char upsert[] =
	    "INSERT INTO icd10_codes(code, description, official) VALUES (?1, ?2, 1) "
	    "ON CONFLICT(code) DO UPDATE SET description = excluded.description, official = 1";
	static const char prune[] = "DELETE FROM icd10_codes WHERE official = 0 AND curated = 0";
	if (count == 0)
		return store_failf(s, DICTUM_INVAL, "no codes to import");
	int result = store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = NULL;
	if ((result = exec_sql(s, unmark)))
		goto fail;
	if (!(st = prep(s, upsert))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	for (size_t i = 0; i < count; i++) {
		char key[16];
		code_key(rows[i].code, key);
		sqlite3_clear_bindings(st);
		store_bind_text(st, 1, key);
		store_bind_text(st, 2, rows[i].description);
		if ((result = store_step_done(s, st)))
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((result = exec_sql(s, prune)) || (result = rebuild_fts(s)) ||
	    (result = store_meta_set(s, "icd10_fiscal_year", fiscal_year ? fiscal_year : "")) ||
	    (result = store_meta_set(s, "icd10_source", source ? source : "")))
		goto fail;
	if ((result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return result;
}

int store_icd10_count(store *s, int64_t *total, int64_t *curated)
{
	static const char sql[] = "SELECT count(*), coalesce(sum(curated), 0) FROM icd10_codes";
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (total)
			*total = sqlite3_column_int64(st, 0);
		if (curated)
			*curated = sqlite3_column_int64(st, 1);
	}
	int result = rc == SQLITE_ROW ? DICTUM_OK : store_fail(s, rc);
	sqlite3_finalize(st);
	return result;
}

static int row_fill(sqlite3_stmt *st, void *elem)
{
	struct icd10_row *r = elem;
	r->code = store_col_dup(st, 0);
	r->description = store_col_dup(st, 1);
	r->synonyms = store_col_dup(st, 2);
	r->curated = sqlite3_column_int(st, 3) != 0;
	return r->code && r->description && r->synonyms ? DICTUM_OK : DICTUM_NOMEM;
}

int store_icd10_get(store *s, const char *code, struct icd10_row *out)
{
	static const char sql[] = "SELECT code, description, synonyms, curated FROM icd10_codes "
	                          "WHERE code = ?1";
	char key[16];
	code_key(code ? code : "", key);
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, key);
	int result = store_collect_one(s, st, out, sizeof(*out), row_fill);
	sqlite3_finalize(st);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no ICD-10-CM code %s", key);
	if (result)
		icd10_row_clear(out);
	return result;
}

static bool looks_like_code(const char *q)
{
	char key[16];
	if (strlen(q) > 9)
		return false;
	code_key(q, key);
	size_t n = strlen(key);
	if (n < 2 || !isupper((unsigned char)key[0]) ||
	    !(isdigit((unsigned char)key[1]) ||
	      (n >= 3 && isupper((unsigned char)key[1]) && isdigit((unsigned char)key[2]))))
		return false;
	for (size_t i = 2; i < n; i++)
		if (!isalnum((unsigned char)key[i]))
			return false;
	return true;
}

/* Words that narrow nothing ("fracture of" is "fracture"); kept only when
 * the query has no other word. */
static bool is_filler(const char *w, size_t n)
{
	static const char *const words[] = {"of", "for", "by", "the", "a",   "an",   "and",
	                                    "in", "on",  "to", "at",  "due", "with", "other"};
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return true;
	return false;
}

/* Builds an FTS5 query of quoted words joined by op; the last word is a
 * prefix. Returns NULL when the query has no words or on OOM. */
static char *fts_query(const char *q, const char *op, bool prefix)
{
	struct dynbuf b;
	dynbuf_init(&b, 4096);
	const char *p = q;
	int words = 0;
	size_t last_len = 0;
	bool last_digit = false;
	while (*p) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *w = p;
		while (*p && isalnum((unsigned char)*p))
			p++;
		if (p == w)
			break;
		if (is_filler(w, (size_t)(p - w)) && (*p || words))
			continue;
		last_len = (size_t)(p - w);
		last_digit = isdigit((unsigned char)*w);
		if ((words && dynbuf_addstr(&b, op)) || dynbuf_addstr(&b, "\"") ||
		    dynbuf_add(&b, w, (size_t)(p - w)) || dynbuf_addstr(&b, "\""))
			goto oom;
		words++;
	}
	/* A prefix of fewer than 3 letters would expand to thousands of terms;
	 * a number expands to a few ("stage 3" -> 3a, 3b). */
	if (!words || (prefix && (last_len >= 3 || last_digit) && dynbuf_addstr(&b, "*")))
		goto oom;
	return dynbuf_take(&b);
oom:
	dynbuf_free(&b);
	return NULL;
}

int store_icd10_search(store *s, const char *query, size_t limit, struct icd10_row **list,
                       size_t *count)
{
	static const char by_code[] =
	    "SELECT code, description, synonyms, curated FROM icd10_codes "
	    "WHERE code >= ?1 AND code < ?1 || '~' ORDER BY length(code), code LIMIT ?2";
	/* The inner query stops after a bounded number of matches, taken in
	 * rowid order: the curated (commonly used) codes were inserted first.
	 * No bm25: it counts every match of every term, and a query such as
	 * "fracture" has 17,000. Order: an exact synonym, an exact description,
	 * a curated code whose synonyms contain the query, then the shortest
	 * description (the most general code). */
	static const char by_words[] =
	    "SELECT c.code, c.description, c.synonyms, c.curated FROM (SELECT rowid AS id "
	    "FROM icd10_fts WHERE icd10_fts MATCH ?1 LIMIT 250) m JOIN icd10_codes c ON c.id = "
	    "m.id "
	    "ORDER BY instr('|' || c.synonyms || '|', '|' || ?3 || '|') = 0, "
	    "lower(c.description) != ?3, instr(c.synonyms, ?3) = 0, c.curated = 0, "
	    "length(c.description), c.code LIMIT ?2";
	*list = NULL;
	*count = 0;
	if (str_empty(query))
		return store_failf(s, DICTUM_INVAL, "an empty search");
	if (limit == 0)
		limit = 20;
	int result = DICTUM_OK;
	if (looks_like_code(query)) {
		char key[16];
		code_key(query, key);
		sqlite3_stmt *st = store_stmt(s, by_code);
		if (!st)
			return DICTUM_INTERNAL;
		store_bind_text(st, 1, key);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
		result = store_collect(s, st, (void **)list, count, sizeof(**list), row_fill);
		if (result || *count)
			goto out;
		icd10_rows_free(list, *count);
		*count = 0;
	}
	/* An exact synonym or description ranks first. */
	char lowered[256];
	size_t k = 0;
	for (const char *p = query; *p && k < sizeof(lowered) - 1; p++)
		lowered[k++] = (char)tolower((unsigned char)*p);
	lowered[k] = '\0';
	str_trim(lowered);
	/* Whole words first; the last word as a prefix only when that finds
	 * fewer than limit (a prefix of a common word merges large lists);
	 * any word as a last resort. */
	static const struct {
		const char *op;
		bool prefix;
	} passes[] = {{" AND ", false}, {" AND ", true}, {" OR ", true}};
	for (size_t i = 0; i < 3 && !result && *count < limit; i++) {
		if (i == 2 && *count)
			break;
		char *fq = fts_query(query, passes[i].op, passes[i].prefix);
		if (!fq) {
			result = store_failf(s, DICTUM_INVAL, "no words to search for");
			break;
		}
		sqlite3_stmt *st = store_stmt(s, by_words);
		if (!st) {
			free(fq);
			result = DICTUM_INTERNAL;
			break;
		}
		store_bind_text(st, 1, fq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
		store_bind_text(st, 3, lowered);
		struct icd10_row *rows = NULL;
		size_t n = 0;
		result = store_collect(s, st, (void **)&rows, &n, sizeof(*rows), row_fill);
		free(fq);
		if (!result && n >= *count) {
			icd10_rows_free(list, *count);
			*list = rows;
			*count = n;
		} else {
			icd10_rows_free(&rows, n);
		}
	}
out:
	if (result) {
		icd10_rows_free(list, *count);
		*count = 0;
	}
	return result;
}

int store_icd10_each(store *s,
                     int (*fn)(void *ctx, const char *code, const char *description,
                               const char *synonyms, bool curated),
                     void *ctx)
{
	static const char sql[] = "SELECT code, description, synonyms, curated FROM icd10_codes "
	                          "ORDER BY code";
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc, result = DICTUM_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		result =
		    fn(ctx, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1),
		       (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3) != 0);
		if (result)
			break;
	}
	if (!result && rc != SQLITE_DONE)
		result = store_fail(s, rc);
	sqlite3_finalize(st);
	return result;
}

int store_hcc_load(store *s, const char *model, const char *source, const struct hcc_map_row *rows,
                   size_t count)
{
	static const char clear[] = "DELETE FROM hcc_map WHERE model = ?1 AND source = ?2";
	static const char ins[] = "INSERT OR IGNORE INTO hcc_map(code, hcc, model, source) "
	                          "VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	int result = store_begin(s);
	if (result)
		return result;
	if (!(st = prep(s, clear))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	store_bind_text(st, 1, model);
	store_bind_text(st, 2, source);
	result = store_step_done(s, st);
	sqlite3_finalize(st);
	st = NULL;
	if (result)
		goto fail;
	if (!(st = prep(s, ins))) {
		result = DICTUM_INTERNAL;
		goto fail;
	}
	for (size_t i = 0; i < count; i++) {
		char key[16];
		code_key(rows[i].code, key);
		store_bind_text(st, 1, key);
		sqlite3_bind_int(st, 2, rows[i].hcc);
		store_bind_text(st, 3, model);
		store_bind_text(st, 4, source);
		if ((result = store_step_done(s, st)))
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	sqlite3_finalize(st);
	store_rollback(s);
	return result;
}

static int hcc_row(sqlite3_stmt *st, void *elem)
{
	struct hcc_map_row *r = elem;
	store_col_copy(st, 0, r->code, sizeof(r->code));
	r->hcc = sqlite3_column_int(st, 1);
	return DICTUM_OK;
}

int store_hcc_all(store *s, const char *model, struct hcc_map_row **rows, size_t *count)
{
	static const char sql[] =
	    "SELECT code, hcc FROM hcc_map m WHERE model = ?1 AND (source = 'cms' OR NOT EXISTS "
	    "(SELECT 1 FROM hcc_map c WHERE c.model = m.model AND c.code = m.code AND "
	    "c.source = 'cms')) GROUP BY code, hcc ORDER BY code, hcc";
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, model);
	int result = store_collect(s, st, (void **)rows, count, sizeof(**rows), hcc_row);
	sqlite3_finalize(st);
	if (result)
		free_and_null(rows);
	return result;
}

int store_hcc_count(store *s, const char *model, const char *source, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM hcc_map WHERE model = ?1 AND source = ?2";
	sqlite3_stmt *st = prep(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, model);
	store_bind_text(st, 2, source);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	int result = rc == SQLITE_ROW ? DICTUM_OK : store_fail(s, rc);
	sqlite3_finalize(st);
	return result;
}
