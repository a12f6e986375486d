#include "offline/db_open.h"
#include "core/error.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DB_BUSY_TIMEOUT_MS 10000

int db_status(int rc)
{
	static const struct {
		int sqlite;
		int status;
	} map[] = {
	    {SQLITE_OK, DICTUM_OK},        {SQLITE_DONE, DICTUM_OK},
	    {SQLITE_ROW, DICTUM_OK},       {SQLITE_NOMEM, DICTUM_NOMEM},
	    {SQLITE_BUSY, DICTUM_BUSY},    {SQLITE_LOCKED, DICTUM_BUSY},
	    {SQLITE_NOTADB, DICTUM_NOTDB}, {SQLITE_CORRUPT, DICTUM_CORRUPT},
	    {SQLITE_FULL, DICTUM_FULL},    {SQLITE_CONSTRAINT, DICTUM_INVAL},
	    {SQLITE_READONLY, DICTUM_IO},  {SQLITE_PERM, DICTUM_IO},
	    {SQLITE_CANTOPEN, DICTUM_IO},  {SQLITE_IOERR, DICTUM_IO},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].sqlite == (rc & 0xff))
			return map[i].status;
	return DICTUM_INTERNAL;
}

int db_query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Switching to WAL needs a moment alone with the file; another opener may
 * hold it, so try for a while. */
static int set_wal(sqlite3 *db)
{
	for (int attempt = 0; attempt < 200; attempt++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		bool wal = rc == SQLITE_ROW &&
		           strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
		if (wal)
			return SQLITE_OK;
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_ROW)
			return rc;
		usleep(25000);
	}
	return SQLITE_BUSY;
}

/* Runs the pending migrations in one write transaction. Another opener
 * may have migrated meanwhile, so the version is read again inside it. */
static int migrate(sqlite3 *db, const char *path, const struct db_kind *k, char *err, size_t errlen)
{
	int version = 0;
	int rc = db_query_int(db, "PRAGMA user_version", &version);
	if (!rc && version >= k->latest())
		return rc; /* up to date: opening takes no write lock */
	if (rc || (rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		return rc;
	}
	rc = db_query_int(db, "PRAGMA user_version", &version);
	for (int v = version; !rc && v < k->latest(); v++) {
		log_info(k->log_tag, "migrating %s from schema %d to %d", path, v, v + 1);
		rc = sqlite3_exec(db, k->step(v), NULL, NULL, NULL);
	}
	if (!rc && version < k->latest()) {
		char sql[96];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		         k->latest(), k->application_id);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (!rc)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

int db_open(const char *path, bool create, const struct db_kind *k, sqlite3 **db, char *err,
            size_t errlen)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(path, db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		return db_status(rc);
	}
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, DB_BUSY_TIMEOUT_MS);

	/* Look before changing anything: a newer or foreign file stays as it is. */
	int version = 0, app_id = 0, tables = 0;
	if ((rc = db_query_int(*db, "PRAGMA user_version", &version)) ||
	    (rc = db_query_int(*db, "PRAGMA application_id", &app_id)) ||
	    (rc = db_query_int(*db, "SELECT count(*) FROM sqlite_schema", &tables))) {
		int status = db_status(rc);
		if (status == DICTUM_NOTDB)
			snprintf(err, errlen,
			         "%s is not %s (not an SQLite database); move it aside or choose "
			         "another %s",
			         path, k->what, k->choose);
		else if (status == DICTUM_CORRUPT)
			snprintf(err, errlen,
			         "%s is corrupt (%s); restore it from a backup or move it aside",
			         path, sqlite3_errmsg(*db));
		else
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*db));
		return status;
	}
	if (tables > 0 && app_id != k->application_id) {
		snprintf(err, errlen, "%s is an SQLite database but not %s; choose another %s",
		         path, k->what, k->choose);
		return DICTUM_NOTDB;
	}
	if (version > k->latest()) {
		snprintf(err, errlen,
		         "%s has schema version %d but this Dictum knows only up to %d; upgrade "
		         "Dictum (the file was left untouched)",
		         path, version, k->latest());
		return DICTUM_NEWER;
	}
	if ((rc = set_wal(*db)) == SQLITE_BUSY) {
		snprintf(err, errlen, "%s: could not switch to WAL mode (busy)", path);
		return DICTUM_BUSY;
	}
	if (rc || (rc = sqlite3_exec(*db, k->pragmas, NULL, NULL, NULL))) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*db));
		return db_status(rc);
	}
	return db_status(migrate(*db, path, k, err, errlen));
}
