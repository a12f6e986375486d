#ifndef DICTUM_OFFLINE_STORE_INTERNAL_H
#define DICTUM_OFFLINE_STORE_INTERNAL_H

/* Internals shared by the offline/ files; not for other modules. */
#include "offline/store.h"

#include <sqlite3.h>

#define STORE_STMT_CACHE 48

struct store {
	sqlite3 *db;
	char *path;
	int depth; /* transaction nesting */
	char errmsg[512];
	struct {
		const char *sql; /* keyed by the address of a string literal */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
};

int store_schema_latest(void);
const char *store_schema_step(int from);

/* A prepared, reset statement for a SQL string literal (cached by address).
 * NULL on failure with the reason in s->errmsg. Never finalize it. */
sqlite3_stmt *store_stmt(store *s, const char *sql);
/* Translates an SQLite result into a DICTUM_* status and keeps the
 * message. Returns DICTUM_OK for SQLITE_OK, SQLITE_DONE and SQLITE_ROW. */
int store_fail(store *s, int rc);
/* Sets a message and returns status. */
int store_failf(store *s, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs a statement to completion. */
int store_step_done(store *s, sqlite3_stmt *st);

/* Binds text, or NULL for NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *text);
/* Runs one statement with ?1 = an id and ?2 = a text (either may be unused). */
int store_exec_id_text(store *s, const char *sql, int64_t id, const char *text);
/* A malloc'ed copy of a text column, NULL for NULL or out of memory. */
char *store_col_dup(sqlite3_stmt *st, int col);
/* Copies a text column into a fixed buffer ("" for NULL). */
void store_col_copy(sqlite3_stmt *st, int col, char *buf, size_t size);
/* Makes a typed id: prefix + '_' + 24 hex digits. */
int store_make_uid(char out[DICTUM_UID_LEN], const char *prefix);

/* Reads the first row of st into *out (zeroed first) with row().
 * DICTUM_NOTFOUND when there is none. On other failures *out may hold
 * part of a row: the caller clears it. */
int store_collect_one(store *s, sqlite3_stmt *st, void *out, size_t elem_size,
                      int (*row)(sqlite3_stmt *st, void *elem));
/* Runs one of the list queries: calls row() for each result row, growing
 * *list of elem_size elements. */
int store_collect(store *s, sqlite3_stmt *st, void **list, size_t *count, size_t elem_size,
                  int (*row)(sqlite3_stmt *st, void *elem));

#endif
