#ifndef DICTUM_OFFLINE_DB_OPEN_H
#define DICTUM_OFFLINE_DB_OPEN_H

/* Opening a Dictum SQLite file, shared by the workstation store (store.c)
 * and the server database (server_store.c): look before changing anything
 * (a foreign or newer file is left as it is), switch to WAL, then run the
 * forward migrations in one write transaction. Internal to offline/. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

struct db_kind {
	const char *what;   /* "a Dictum store": names the kind in messages */
	const char *choose; /* the option that picks another file: "--data-dir" */
	const char *log_tag;
	int application_id;            /* in the file's header */
	int (*latest)(void);           /* the newest schema version */
	const char *(*step)(int from); /* the SQL taking the file from `from` to from + 1 */
	const char *pragmas;           /* run after WAL is on, e.g. synchronous */
};

/* The DICTUM_* status of an SQLite result (DICTUM_OK for OK, DONE, ROW). */
int db_status(int rc);

/* The first column of the first row of sql; an SQLite result. */
int db_query_int(sqlite3 *db, const char *sql, int *out);

/* Opens path as a file of kind k (created when create and absent): *db is
 * set even on failure (sqlite3_close it). Returns a DICTUM_* status with a
 * one-line reason naming the file in err. */
int db_open(const char *path, bool create, const struct db_kind *k, sqlite3 **db, char *err,
            size_t errlen);

#endif
