#include "offline/server_store_internal.h"
#include "core/dynbuf.h"
#include "offline/db_open.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 'DSRV' in the database header: tells the server database from others. */
#define SRV_APPLICATION_ID 0x44535256

static int failf(srv_store *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(srv_store *s, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return status;
}

/* SQLite results become DICTUM_* statuses here and nowhere else. */
static int fail(srv_store *s, int rc)
{
	int status = db_status(rc);
	if (status == DICTUM_OK)
		return DICTUM_OK;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", s->path,
	         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return status;
}

const char *srv_store_errmsg(const srv_store *s)
{
	return s ? s->errmsg : "";
}

int srv_store_schema_version(void)
{
	return srv_schema_latest();
}

static void key_cache_drop(srv_store *s);
static int exec1(srv_store *s, const char *sql);

static sqlite3_stmt *stmt(srv_store *s, const char *sql)
{
	/* The read snapshot asked for by srv_store_read_begin starts with the
	 * first statement: a request answered from the caches runs none. */
	if (s->read_pending) {
		s->read_pending = false;
		if (exec1(s, "BEGIN") != DICTUM_OK)
			s->reading = false;
	}
	size_t slot = ((uintptr_t)sql >> 3) % SRV_STMT_CACHE;
	for (size_t i = 0; i < SRV_STMT_CACHE; i++) {
		size_t k = (slot + i) % SRV_STMT_CACHE;
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
				fail(s, rc);
				return NULL;
			}
			s->cache[k].sql = sql;
			s->cache[k].stmt = st;
			return st;
		}
	}
	failf(s, DICTUM_INTERNAL, "%s: statement cache full", s->path);
	return NULL;
}

static int step_done(srv_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	int result = rc == SQLITE_DONE || rc == SQLITE_ROW ? DICTUM_OK : fail(s, rc);
	sqlite3_reset(st);
	return result;
}

static void bind_text(sqlite3_stmt *st, int idx, const char *text)
{
	if (text)
		sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

/* A malloc'ed copy of a text column; NULL for NULL. *nomem is set when
 * the copy failed. */
static char *col_dup(sqlite3_stmt *st, int col, bool *nomem)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	if (!t)
		return NULL;
	char *copy = strdup((const char *)t);
	if (!copy)
		*nomem = true;
	return copy;
}

static void col_copy(sqlite3_stmt *st, int col, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	str_copy(buf, t ? (const char *)t : "", size);
}

static int make_uid(srv_store *s, char out[DICTUM_UID_LEN], const char *prefix)
{
	char hex[25];
	if (random_hex(hex, 12) != 0)
		return failf(s, DICTUM_IO, "cannot read random bytes");
	snprintf(out, DICTUM_UID_LEN, "%s_%s", prefix, hex);
	return DICTUM_OK;
}

/* Runs st and reads its first row with row(); NOTFOUND when none. */
static int collect_one(srv_store *s, sqlite3_stmt *st, void *out, size_t size,
                       int (*row)(sqlite3_stmt *st, void *elem))
{
	memset(out, 0, size);
	int rc = sqlite3_step(st), result;
	if (rc == SQLITE_ROW)
		result = row(st, out);
	else
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : fail(s, rc);
	sqlite3_reset(st);
	return result;
}

static int collect(srv_store *s, sqlite3_stmt *st, void **list, size_t *count, size_t size,
                   int (*row)(sqlite3_stmt *st, void *elem))
{
	int result = DICTUM_OK, rc;
	size_t n = 0, cap = 0;
	char *items = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *grown = realloc(items, ncap * size);
			if (!grown) {
				result = DICTUM_NOMEM;
				break;
			}
			items = grown;
			cap = ncap;
		}
		memset(items + n * size, 0, size);
		if ((result = row(st, items + n * size)) != DICTUM_OK) {
			n++;
			break;
		}
		n++;
	}
	if (!result && rc != SQLITE_DONE)
		result = fail(s, rc);
	sqlite3_reset(st);
	*list = items;
	*count = n;
	return result;
}

static int exec(srv_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? DICTUM_OK : fail(s, rc);
}

/* One statement through the statement cache (no parsing each time). */
static int exec1(srv_store *s, const char *sql)
{
	sqlite3_stmt *st = stmt(s, sql);
	return st ? step_done(s, st) : DICTUM_INTERNAL;
}

/* ---- change detection ---- */

/* Maps the connection's WAL index (region 0 of SQLite's shared memory,
 * through the VFS; the same mapping SQLite uses, valid until close). */
static void shm_attach(srv_store *s)
{
	sqlite3_file *f = NULL;
	void volatile *region = NULL;
	s->shm = NULL;
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f ||
	    !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return;
	if (f->pMethods->xShmMap(f, 0, 32768, 0, &region) == SQLITE_OK && region)
		s->shm = region;
}

/* The WAL-index header as SQLite's readers take it (sqlite.org/walformat.html):
 * two copies, written second one first; equal copies are a whole header.
 * A commit rewrites it (its change counter, frame count, checksums), and so
 * do WAL restarts and recovery. False when torn, absent or not initialised. */
static bool wal_header(const srv_store *s, unsigned char out[SRV_WAL_HDR])
{
	if (!s->shm)
		return false;
	unsigned char second[SRV_WAL_HDR];
	for (size_t i = 0; i < SRV_WAL_HDR; i++)
		out[i] = s->shm[i];
	atomic_thread_fence(memory_order_acquire);
	for (size_t i = 0; i < SRV_WAL_HDR; i++)
		second[i] = s->shm[SRV_WAL_HDR + i];
	return memcmp(out, second, SRV_WAL_HDR) == 0 && out[12] /* isInit */;
}

uint64_t srv_store_epoch(srv_store *s)
{
	unsigned char now[SRV_WAL_HDR];
	/* Inside a write transaction this handle sees its own changes before
	 * they are committed: nothing is current then. */
	if (s->depth || !wal_header(s, now)) {
		memset(s->seen, 0, sizeof(s->seen));
		return ++s->epoch;
	}
	if (memcmp(now, s->seen, sizeof(now)) != 0) {
		memcpy(s->seen, now, sizeof(now));
		s->epoch++;
	}
	return s->epoch;
}

/* The one from before the read snapshot was taken: a commit since makes
 * what is kept under it stale at once. */
uint64_t srv_store_keep_epoch(srv_store *s)
{
	if (s->depth)
		return 0;
	return s->reading ? s->read_epoch : srv_store_epoch(s);
}

int srv_store_read_begin(srv_store *s)
{
	if (s->depth || s->reading)
		return DICTUM_OK;
	s->read_epoch = srv_store_epoch(s);
	s->reading = s->read_pending = true;
	return DICTUM_OK;
}

void srv_store_read_end(srv_store *s)
{
	if (s->reading && !s->read_pending && s->depth == 0 && exec1(s, "COMMIT") != DICTUM_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->reading = s->read_pending = false;
}

int srv_store_begin(srv_store *s)
{
	if (s->depth == 0)
		srv_store_read_end(s);
	if (s->depth == 0 && s->write_lock)
		pthread_mutex_lock(s->write_lock);
	int result = exec1(s, s->depth ? "SAVEPOINT nest" : "BEGIN IMMEDIATE");
	if (!result)
		s->depth++;
	else if (s->depth == 0 && s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return result;
}

int srv_store_commit(srv_store *s)
{
	if (s->depth <= 0)
		return failf(s, DICTUM_INTERNAL, "%s: commit outside a transaction", s->path);
	int result = exec1(s, s->depth > 1 ? "RELEASE nest" : "COMMIT");
	if (result) {
		srv_store_rollback(s);
		return result;
	}
	if (--s->depth == 0 && s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return DICTUM_OK;
}

int srv_store_rollback(srv_store *s)
{
	if (s->depth <= 0)
		return DICTUM_OK;
	int result = s->depth > 1 ? exec(s, "ROLLBACK TO nest; RELEASE nest") : exec(s, "ROLLBACK");
	if (--s->depth == 0 && s->write_lock)
		pthread_mutex_unlock(s->write_lock);
	return result;
}

/* Ends a one-statement write: commit on success, roll back otherwise. */
static int finish_tx(srv_store *s, int result)
{
	if (result) {
		srv_store_rollback(s);
		return result;
	}
	return srv_store_commit(s);
}

static const struct db_kind server_kind = {
    .what = "a Dictum server database",
    .choose = "--db",
    .log_tag = "server",
    .application_id = SRV_APPLICATION_ID,
    .latest = srv_schema_latest,
    .step = srv_schema_step,
    /* WAL with synchronous=NORMAL survives a crash of the process at any
     * point; only a power cut may lose the last commits. */
    .pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
};

/* Creates the file with mode 0600 before SQLite does (it holds key
 * hashes, the HMAC secret and patient notes). An existing file is never
 * opened here: closing any descriptor of a file drops every POSIX lock the
 * process holds on it, including those of open SQLite connections. */
static int prepare_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return DICTUM_OK;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return DICTUM_IO;
	}
	if (fd >= 0)
		close(fd);
	return DICTUM_OK;
}

int srv_store_open(const char *path, pthread_mutex_t *write_lock, srv_store **out, char *err,
                   size_t errlen)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	*out = NULL;
	int result = prepare_file(path, err, errlen);
	if (result)
		return result;
	srv_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", path);
		return DICTUM_NOMEM;
	}
	s->write_lock = write_lock;
	s->epoch = 1;
	if ((result = db_open(path, false, &server_kind, &s->db, err, errlen)))
		goto fail;
	shm_attach(s);
	*out = s;
	return DICTUM_OK;
fail:
	srv_store_close(&s);
	return result;
}

void srv_store_close(srv_store **sp)
{
	if (!sp || !*sp)
		return;
	srv_store *s = *sp;
	while (s->depth > 0)
		srv_store_rollback(s);
	key_cache_drop(s);
	for (size_t i = 0; i < SRV_DOC_CACHE; i++)
		free(s->docs[i].doc);
	for (size_t i = 0; i < SRV_STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].stmt);
	if (s->db)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
	*sp = NULL;
}

static int hex_decode(const char *hex, unsigned char *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return DICTUM_INVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return DICTUM_INVAL;
		out[i] = (unsigned char)v;
	}
	return DICTUM_OK;
}

int srv_store_secret(srv_store *s, unsigned char out[32])
{
	static const char get[] = "SELECT value FROM meta WHERE key = 'hmac_secret'";
	static const char put[] =
	    "INSERT OR IGNORE INTO meta(key, value) VALUES ('hmac_secret', ?1)";
	int result = srv_store_begin(s);
	if (result)
		return result;
	char hex[65], fresh[65];
	sqlite3_stmt *st = stmt(s, get);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_copy(st, 0, hex, sizeof(hex));
		sqlite3_reset(st);
	} else {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			result = fail(s, rc);
			goto out;
		}
		if (random_hex(fresh, 32) != 0) {
			result = failf(s, DICTUM_IO, "cannot read random bytes");
			goto out;
		}
		if (!(st = stmt(s, put))) {
			result = DICTUM_INTERNAL;
			goto out;
		}
		bind_text(st, 1, fresh);
		if ((result = step_done(s, st)))
			goto out;
		str_copy(hex, fresh, sizeof(hex));
	}
	if (hex_decode(hex, out, 32))
		result = failf(s, DICTUM_CORRUPT, "%s: the stored HMAC secret is damaged", s->path);
out:
	return finish_tx(s, result);
}

/* ---- organisations and keys ---- */

void srv_key_clear(struct srv_key *k)
{
	free(k->org_name);
	free(k->scopes);
	memset(k, 0, sizeof(*k));
}

void srv_keys_free(struct srv_key **list, size_t count)
{
	if (!*list)
		return;
	for (size_t i = 0; i < count; i++)
		srv_key_clear(&(*list)[i]);
	free_and_null(list);
}

#define KEY_COLUMNS                                                                                \
	"k.id, k.uid, k.org_id, o.uid, o.name, k.prefix, k.scopes, k.plan, "                       \
	"k.revoked_at IS NOT NULL, k.created_at FROM api_keys k JOIN orgs o ON o.id = k.org_id "

static int key_row(sqlite3_stmt *st, void *elem)
{
	struct srv_key *k = elem;
	bool nomem = false;
	k->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, k->uid, sizeof(k->uid));
	k->org_id = sqlite3_column_int64(st, 2);
	col_copy(st, 3, k->org_uid, sizeof(k->org_uid));
	k->org_name = col_dup(st, 4, &nomem);
	col_copy(st, 5, k->prefix, sizeof(k->prefix));
	k->scopes = col_dup(st, 6, &nomem);
	const char *plan = (const char *)sqlite3_column_text(st, 7);
	k->plan = plan && strcmp(plan, "enterprise") == 0 ? SRV_PLAN_ENTERPRISE : SRV_PLAN_TEAM;
	k->revoked = sqlite3_column_int(st, 8) != 0;
	col_copy(st, 9, k->created_at, sizeof(k->created_at));
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

static int org_ensure(srv_store *s, const char *name, int64_t *id_out)
{
	static const char find[] = "SELECT id FROM orgs WHERE name = ?1";
	static const char ins[] = "INSERT INTO orgs(uid, name, created_at) VALUES (?1, ?2, ?3)";
	sqlite3_stmt *st = stmt(s, find);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, name);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return DICTUM_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, rc);
	char uid[DICTUM_UID_LEN], now[DICTUM_TIME_LEN];
	int result = make_uid(s, uid, "org");
	if (result)
		return result;
	time_now_iso(now);
	if (!(st = stmt(s, ins)))
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid);
	bind_text(st, 2, name);
	bind_text(st, 3, now);
	if ((result = step_done(s, st)))
		return result;
	*id_out = sqlite3_last_insert_rowid(s->db);
	return DICTUM_OK;
}

int srv_key_add(srv_store *s, const char *org_name, const char *hash_hex, const char *prefix,
                const char *scopes, enum srv_plan plan, struct srv_key *out)
{
	static const char ins[] = "INSERT INTO api_keys(uid, org_id, hash, prefix, scopes, plan, "
	                          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	static const char get[] = "SELECT " KEY_COLUMNS "WHERE k.id = ?1";
	int64_t org_id = 0;
	char uid[DICTUM_UID_LEN], now[DICTUM_TIME_LEN];
	int result = srv_store_begin(s);
	if (result)
		return result;
	if ((result = org_ensure(s, org_name, &org_id)) || (result = make_uid(s, uid, "key")))
		goto out;
	time_now_iso(now);
	sqlite3_stmt *st = stmt(s, ins);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	bind_text(st, 3, hash_hex);
	bind_text(st, 4, prefix);
	bind_text(st, 5, scopes);
	bind_text(st, 6, plan == SRV_PLAN_ENTERPRISE ? "enterprise" : "team");
	bind_text(st, 7, now);
	if ((result = step_done(s, st)))
		goto out;
	if (!(st = stmt(s, get))) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db));
	result = collect_one(s, st, out, sizeof(*out), key_row);
out:
	return finish_tx(s, result);
}

static void key_cache_drop(srv_store *s)
{
	for (size_t i = 0; i < SRV_KEY_CACHE; i++) {
		s->keys[i].hash[0] = '\0';
		srv_key_clear(&s->keys[i].key);
	}
	s->key_epoch = 0;
}

static int key_copy(const struct srv_key *from, struct srv_key *to)
{
	*to = *from;
	to->org_name = from->org_name ? strdup(from->org_name) : NULL;
	to->scopes = from->scopes ? strdup(from->scopes) : NULL;
	if ((from->org_name && !to->org_name) || (from->scopes && !to->scopes)) {
		srv_key_clear(to);
		return DICTUM_NOMEM;
	}
	return DICTUM_OK;
}

/* Every request looks its key up: while the epoch has not moved, no
 * connection of any process has committed, so the keys found before are
 * still live; a revocation by `dictum keys revoke` moves it and is seen by
 * the next request. */
int srv_key_find(srv_store *s, const char *hash_hex, struct srv_key *out)
{
	static const char sql[] =
	    "SELECT " KEY_COLUMNS "WHERE k.hash = ?1 AND k.revoked_at IS NULL";
	if (srv_store_epoch(s) != s->key_epoch)
		key_cache_drop(s);
	for (size_t i = 0; s->key_epoch && i < SRV_KEY_CACHE; i++)
		if (strcmp(s->keys[i].hash, hash_hex) == 0)
			return key_copy(&s->keys[i].key, out);
	uint64_t epoch = srv_store_keep_epoch(s);
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, hash_hex);
	int result = collect_one(s, st, out, sizeof(*out), key_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_key_clear(out);
	if (!result && epoch && strlen(hash_hex) < sizeof(s->keys[0].hash)) {
		if (epoch != s->key_epoch)
			key_cache_drop(s);
		size_t slot = s->keys_next++ % SRV_KEY_CACHE;
		srv_key_clear(&s->keys[slot].key);
		s->keys[slot].hash[0] = '\0';
		if (key_copy(out, &s->keys[slot].key) == DICTUM_OK) {
			str_copy(s->keys[slot].hash, hash_hex, sizeof(s->keys[slot].hash));
			s->key_epoch = epoch;
		}
	}
	return result;
}

int srv_key_list(srv_store *s, struct srv_key **list, size_t *count)
{
	static const char sql[] = "SELECT " KEY_COLUMNS "ORDER BY k.id";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int result = collect(s, st, (void **)list, count, sizeof(**list), key_row);
	if (result)
		srv_keys_free(list, *count);
	return result;
}

int srv_key_revoke(srv_store *s, const char *uid)
{
	static const char sql[] =
	    "UPDATE api_keys SET revoked_at = ?2 WHERE uid = ?1 AND revoked_at IS NULL";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, uid);
	bind_text(st, 2, now);
	if (!(result = step_done(s, st)) && sqlite3_changes(s->db) == 0)
		result = failf(s, DICTUM_NOTFOUND, "no live key %s", uid);
out:
	return finish_tx(s, result);
}

/* ---- patients ---- */

int srv_patient_resolve(srv_store *s, int64_t org_id, const char *first, const char *last,
                        const char *email, int64_t *id_out, char uid_out[DICTUM_UID_LEN])
{
	static const char by_email[] =
	    "SELECT id, uid FROM patients WHERE org_id = ?1 AND email = ?2 COLLATE NOCASE "
	    "ORDER BY id LIMIT 1";
	static const char by_name[] =
	    "SELECT id, uid FROM patients WHERE org_id = ?1 AND "
	    "((first_name = ?2 COLLATE NOCASE AND last_name = ?3 COLLATE NOCASE) OR "
	    " (first_name = ?3 COLLATE NOCASE AND last_name = ?2 COLLATE NOCASE)) "
	    "ORDER BY id LIMIT 1";
	static const char ins[] = "INSERT INTO patients(uid, org_id, first_name, last_name, email, "
	                          "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = stmt(s, email ? by_email : by_name);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, org_id);
	if (email) {
		bind_text(st, 2, email);
	} else {
		bind_text(st, 2, first);
		bind_text(st, 3, last);
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(st, 0);
		col_copy(st, 1, uid_out, DICTUM_UID_LEN);
		sqlite3_reset(st);
		return DICTUM_OK;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(s, rc);
	char now[DICTUM_TIME_LEN];
	int result = make_uid(s, uid_out, "pat");
	if (result)
		return result;
	time_now_iso(now);
	if (!(st = stmt(s, ins)))
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid_out);
	sqlite3_bind_int64(st, 2, org_id);
	bind_text(st, 3, first);
	bind_text(st, 4, last);
	bind_text(st, 5, email);
	bind_text(st, 6, now);
	if ((result = step_done(s, st)))
		return result;
	*id_out = sqlite3_last_insert_rowid(s->db);
	return DICTUM_OK;
}

int srv_patient_find(srv_store *s, int64_t org_id, const char *uid, int64_t *id_out)
{
	static const char sql[] = "SELECT id FROM patients WHERE uid = ?1 AND org_id = ?2";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : fail(s, rc);
	sqlite3_reset(st);
	return result;
}

/* ---- notes ---- */

void srv_note_clear(struct srv_note *n)
{
	free(n->note_type);
	free(n->specialty);
	free(n->provider);
	free(n->external_id);
	free(n->sections);
	free(n->signed_by);
	memset(n, 0, sizeof(*n));
}

void srv_notes_free(struct srv_note **list, size_t count)
{
	if (!*list)
		return;
	for (size_t i = 0; i < count; i++)
		srv_note_clear(&(*list)[i]);
	free_and_null(list);
}

#define NOTE_COLUMNS                                                                               \
	"n.id, n.uid, n.org_id, p.uid, n.note_type, n.specialty, n.provider, n.external_id, "      \
	"n.sections, n.status = 'signed', n.version, n.seq, n.created_at, n.updated_at, "          \
	"n.signed_at, n.signed_by FROM notes n LEFT JOIN patients p ON p.id = n.patient_id "

static int note_row(sqlite3_stmt *st, void *elem)
{
	struct srv_note *n = elem;
	bool nomem = false;
	n->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, n->uid, sizeof(n->uid));
	n->org_id = sqlite3_column_int64(st, 2);
	col_copy(st, 3, n->patient_uid, sizeof(n->patient_uid));
	n->note_type = col_dup(st, 4, &nomem);
	n->specialty = col_dup(st, 5, &nomem);
	n->provider = col_dup(st, 6, &nomem);
	n->external_id = col_dup(st, 7, &nomem);
	n->sections = col_dup(st, 8, &nomem);
	n->is_signed = sqlite3_column_int(st, 9) != 0;
	n->version = sqlite3_column_int(st, 10);
	n->seq = sqlite3_column_int64(st, 11);
	col_copy(st, 12, n->created_at, sizeof(n->created_at));
	col_copy(st, 13, n->updated_at, sizeof(n->updated_at));
	col_copy(st, 14, n->signed_at, sizeof(n->signed_at));
	n->signed_by = col_dup(st, 15, &nomem);
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

static int next_seq(srv_store *s, int64_t *out)
{
	static const char sql[] = "SELECT coalesce(max(seq), 0) + 1 FROM notes";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st);
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : fail(s, rc);
}

int srv_note_insert(srv_store *s, struct srv_note *n, int64_t patient_id)
{
	static const char sql[] =
	    "INSERT INTO notes(uid, org_id, patient_id, note_type, specialty, provider, "
	    "external_id, status, version, sections, seq, created_at, updated_at, signed_at, "
	    "signed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?11, ?12, ?13)";
	int result = srv_store_begin(s);
	if (result)
		return result;
	if ((result = make_uid(s, n->uid, "note")) || (result = next_seq(s, &n->seq)))
		goto out;
	time_now_iso(n->created_at);
	str_copy(n->updated_at, n->created_at, sizeof(n->updated_at));
	if (n->is_signed)
		str_copy(n->signed_at, n->created_at, sizeof(n->signed_at));
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, n->uid);
	sqlite3_bind_int64(st, 2, n->org_id);
	if (patient_id > 0)
		sqlite3_bind_int64(st, 3, patient_id);
	bind_text(st, 4, n->note_type);
	bind_text(st, 5, n->specialty);
	bind_text(st, 6, n->provider);
	bind_text(st, 7, n->external_id);
	bind_text(st, 8, n->is_signed ? "signed" : "draft");
	bind_text(st, 9, n->sections);
	sqlite3_bind_int64(st, 10, n->seq);
	bind_text(st, 11, n->created_at);
	bind_text(st, 12, n->is_signed ? n->signed_at : NULL);
	bind_text(st, 13, n->is_signed ? n->signed_by : NULL);
	if ((result = step_done(s, st)))
		goto out;
	n->id = sqlite3_last_insert_rowid(s->db);
	n->version = 1;
out:
	return finish_tx(s, result);
}

int srv_note_get(srv_store *s, int64_t org_id, const char *uid, struct srv_note *out)
{
	static const char sql[] = "SELECT " NOTE_COLUMNS "WHERE n.uid = ?1 AND n.org_id = ?2";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	int result = collect_one(s, st, out, sizeof(*out), note_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_note_clear(out);
	return result;
}

int srv_note_update(srv_store *s, struct srv_note *n, int expected_version)
{
	static const char check[] = "SELECT version, status = 'signed' FROM notes WHERE id = ?1";
	static const char upd[] =
	    "UPDATE notes SET note_type = ?2, specialty = ?3, provider = ?4, sections = ?5, "
	    "status = ?6, version = version + 1, seq = ?7, updated_at = ?8, "
	    "signed_at = ?9, signed_by = ?10 WHERE id = ?1";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, check);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, n->id);
	int rc = sqlite3_step(st);
	int stored = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	bool was_signed = rc == SQLITE_ROW && sqlite3_column_int(st, 1) != 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : fail(s, rc);
		goto out;
	}
	if (was_signed) {
		result = failf(s, DICTUM_READONLY, "note %s is signed", n->uid);
		goto out;
	}
	if (stored != expected_version) {
		result = failf(s, DICTUM_CONFLICT, "note %s is at version %d, not %d", n->uid,
		               stored, expected_version);
		goto out;
	}
	if ((result = next_seq(s, &n->seq)))
		goto out;
	time_now_iso(n->updated_at);
	if (n->is_signed)
		str_copy(n->signed_at, n->updated_at, sizeof(n->signed_at));
	if (!(st = stmt(s, upd))) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, n->id);
	bind_text(st, 2, n->note_type);
	bind_text(st, 3, n->specialty);
	bind_text(st, 4, n->provider);
	bind_text(st, 5, n->sections);
	bind_text(st, 6, n->is_signed ? "signed" : "draft");
	sqlite3_bind_int64(st, 7, n->seq);
	bind_text(st, 8, n->updated_at);
	bind_text(st, 9, n->is_signed ? n->signed_at : NULL);
	bind_text(st, 10, n->is_signed ? n->signed_by : NULL);
	if (!(result = step_done(s, st)))
		n->version = stored + 1;
out:
	return finish_tx(s, result);
}

int srv_note_add_addendum(srv_store *s, struct srv_note *n, const char *section)
{
	static const char upd[] =
	    "UPDATE notes SET sections = json_insert(sections, '$[#]', json(?2)), "
	    "version = version + 1, seq = ?3, updated_at = ?4 WHERE id = ?1 AND status = 'signed' "
	    "RETURNING version, sections";
	int result = srv_store_begin(s);
	if (result)
		return result;
	if ((result = next_seq(s, &n->seq)))
		goto out;
	time_now_iso(n->updated_at);
	sqlite3_stmt *st = stmt(s, upd);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, n->id);
	bind_text(st, 2, section);
	sqlite3_bind_int64(st, 3, n->seq);
	bind_text(st, 4, n->updated_at);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		bool nomem = false;
		n->version = sqlite3_column_int(st, 0);
		free(n->sections);
		n->sections = col_dup(st, 1, &nomem);
		result = nomem ? DICTUM_NOMEM : DICTUM_OK;
	} else {
		result = rc == SQLITE_DONE
		             ? failf(s, DICTUM_CONFLICT, "note %s is not signed", n->uid)
		             : fail(s, rc);
	}
	sqlite3_reset(st);
out:
	return finish_tx(s, result);
}

/* ?1..?7 filter a note list; the page is ?8 (ids below) or ?9 (seq
 * above), ?10 the row limit. */
#define NOTE_FILTERS                                                                               \
	"WHERE n.org_id = ?1 AND (?2 IS NULL OR n.created_at >= ?2) "                              \
	"AND (?3 IS NULL OR substr(n.created_at, 1, length(?3)) <= ?3) "                           \
	"AND (?4 = 0 OR n.patient_id = ?4) AND (?5 IS NULL OR n.note_type = ?5) "                  \
	"AND (?6 IS NULL OR n.provider = ?6 COLLATE NOCASE) "                                      \
	"AND (?7 < 0 OR (n.status = 'signed') = ?7) "
#define NOTE_NEWEST  "AND (?8 = 0 OR n.id < ?8) ORDER BY n.id DESC LIMIT ?10"
#define NOTE_CHANGES "AND n.seq > ?9 ORDER BY n.seq LIMIT ?10"

static void bind_filter(sqlite3_stmt *st, const struct srv_note_filter *f)
{
	sqlite3_bind_int64(st, 1, f->org_id);
	bind_text(st, 2, f->from);
	bind_text(st, 3, f->to);
	sqlite3_bind_int64(st, 4, f->patient_id);
	bind_text(st, 5, f->note_type);
	bind_text(st, 6, f->provider);
	sqlite3_bind_int(st, 7, f->status);
	sqlite3_bind_int64(st, 8, f->before_id);
	sqlite3_bind_int64(st, 9, f->after_seq);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)(f->limit ? f->limit : 20) + 1);
}

int srv_note_list(srv_store *s, const struct srv_note_filter *f, struct srv_note **list,
                  size_t *count)
{
	static const char newest[] = "SELECT " NOTE_COLUMNS NOTE_FILTERS NOTE_NEWEST;
	static const char changes[] = "SELECT " NOTE_COLUMNS NOTE_FILTERS NOTE_CHANGES;
	sqlite3_stmt *st = stmt(s, f->after_seq >= 0 ? changes : newest);
	if (!st)
		return DICTUM_INTERNAL;
	bind_filter(st, f);
	int result = collect(s, st, (void **)list, count, sizeof(**list), note_row);
	if (result)
		srv_notes_free(list, *count);
	return result;
}

/* ---- notes as stored JSON ---- */

/* A copy of a kept note's JSON when it is still current (DICTUM_OK),
 * DICTUM_NOTFOUND when none is kept. */
static int doc_cached(srv_store *s, int64_t org_id, const char *uid, char **doc, int *version)
{
	uint64_t now = srv_store_epoch(s);
	for (size_t i = 0; i < SRV_DOC_CACHE; i++) {
		if (s->docs[i].epoch != now || s->docs[i].org_id != org_id ||
		    strcmp(s->docs[i].uid, uid) != 0)
			continue;
		if (!(*doc = malloc(s->docs[i].len + 1)))
			return DICTUM_NOMEM;
		memcpy(*doc, s->docs[i].doc, s->docs[i].len + 1);
		*version = s->docs[i].version;
		return DICTUM_OK;
	}
	return DICTUM_NOTFOUND;
}

static void doc_keep(srv_store *s, uint64_t epoch, int64_t org_id, const char *uid, const char *doc,
                     size_t len, int version)
{
	if (!epoch || len > SRV_DOC_MAX || strlen(uid) >= sizeof(s->docs[0].uid))
		return;
	/* A stale copy of the same note first, else the next slot in turn. */
	size_t slot = s->docs_next % SRV_DOC_CACHE;
	for (size_t i = 0; i < SRV_DOC_CACHE; i++)
		if (s->docs[i].org_id == org_id && strcmp(s->docs[i].uid, uid) == 0)
			slot = i;
	if (slot == s->docs_next % SRV_DOC_CACHE)
		s->docs_next++;
	char *copy = realloc(s->docs[slot].doc, len + 1);
	if (!copy)
		return; /* the old buffer stays, its entry unchanged */
	memcpy(copy, doc, len + 1);
	s->docs[slot].doc = copy;
	s->docs[slot].len = len;
	s->docs[slot].epoch = epoch;
	s->docs[slot].org_id = org_id;
	s->docs[slot].version = version;
	str_copy(s->docs[slot].uid, uid, sizeof(s->docs[slot].uid));
}

int srv_note_doc(srv_store *s, int64_t org_id, const char *uid, char **doc, int *version)
{
	static const char sql[] = "SELECT doc, version FROM notes WHERE uid = ?1 AND org_id = ?2";
	*doc = NULL;
	int result = doc_cached(s, org_id, uid, doc, version);
	if (result != DICTUM_NOTFOUND)
		return result;
	uint64_t epoch = srv_store_keep_epoch(s);
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	int rc = sqlite3_step(st);
	result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		const void *text = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		*version = sqlite3_column_int(st, 1);
		if (!text)
			result = failf(s, DICTUM_CORRUPT, "%s: note %s has no stored JSON", s->path,
			               uid);
		else if (!(*doc = malloc(len + 1)))
			result = DICTUM_NOMEM;
		else {
			memcpy(*doc, text, len);
			(*doc)[len] = '\0';
			doc_keep(s, epoch, org_id, uid, *doc, len, *version);
		}
	} else {
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}

int srv_note_org_seq(srv_store *s, int64_t org_id, int64_t *seq)
{
	static const char sql[] = "SELECT coalesce(max(seq), 0) FROM note_list WHERE org_id = ?1";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, org_id);
	int rc = sqlite3_step(st);
	*seq = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : fail(s, rc);
}

void srv_note_docs_free(struct srv_note_docs *d)
{
	free(d->refs);
	free(d->json);
	memset(d, 0, sizeof(*d));
}

int srv_note_docs(srv_store *s, const struct srv_note_filter *f, bool full,
                  struct srv_note_docs *out)
{
	static const char newest_doc[] =
	    "SELECT n.id, n.seq, n.uid, n.doc FROM notes n " NOTE_FILTERS NOTE_NEWEST;
	static const char changes_doc[] =
	    "SELECT n.id, n.seq, n.uid, n.doc FROM notes n " NOTE_FILTERS NOTE_CHANGES;
	/* note_list has the columns NOTE_FILTERS names. */
	static const char newest_item[] =
	    "SELECT n.id, n.seq, n.uid, n.item FROM note_list n " NOTE_FILTERS NOTE_NEWEST;
	static const char changes_item[] =
	    "SELECT n.id, n.seq, n.uid, n.item FROM note_list n " NOTE_FILTERS NOTE_CHANGES;
	memset(out, 0, sizeof(*out));
	size_t limit = (f->limit ? f->limit : 20) + 1;
	if (!(out->refs = calloc(limit, sizeof(*out->refs))))
		return DICTUM_NOMEM;
	sqlite3_stmt *st = stmt(s, f->after_seq >= 0 ? (full ? changes_doc : changes_item)
	                                             : (full ? newest_doc : newest_item));
	if (!st) {
		srv_note_docs_free(out);
		return DICTUM_INTERNAL;
	}
	bind_filter(st, f);
	struct dynbuf d;
	dynbuf_init(&d, 256u << 20);
	int rc = SQLITE_DONE, result = DICTUM_OK;
	while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW && out->count < limit) {
		struct srv_note_ref *r = &out->refs[out->count];
		r->id = sqlite3_column_int64(st, 0);
		r->seq = sqlite3_column_int64(st, 1);
		col_copy(st, 2, r->uid, sizeof(r->uid));
		const void *text = sqlite3_column_blob(st, 3);
		r->offset = d.len;
		if (!text)
			result = failf(s, DICTUM_CORRUPT, "%s: note %s has no stored JSON", s->path,
			               r->uid);
		else
			result = dynbuf_add(&d, text, (size_t)sqlite3_column_bytes(st, 3));
		r->len = d.len - r->offset;
		out->count++;
	}
	if (!result && rc != SQLITE_DONE && rc != SQLITE_ROW)
		result = fail(s, rc);
	sqlite3_reset(st);
	if (!result && !(out->json = dynbuf_take(&d)))
		result = DICTUM_NOMEM;
	dynbuf_free(&d);
	if (result)
		srv_note_docs_free(out);
	return result;
}
#undef NOTE_FILTERS
#undef NOTE_NEWEST
#undef NOTE_CHANGES

/* ---- audit ---- */

int srv_audit_add(srv_store *s, const struct srv_audit_row *rows, size_t count)
{
	static const char sql[] = "INSERT INTO audit(at, org_id, key_uid, action, entity, "
	                          "request_id, entities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	int result = srv_store_begin(s);
	if (result)
		return result;
	for (size_t i = 0; i < count && !result; i++) {
		sqlite3_stmt *st = stmt(s, sql);
		if (!st) {
			result = DICTUM_INTERNAL;
			break;
		}
		/* The row outlives the step: no copies. */
		sqlite3_bind_text(st, 1, rows[i].at, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, rows[i].org_id);
		sqlite3_bind_text(st, 3, rows[i].key_uid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rows[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rows[i].entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, rows[i].request_id, -1, SQLITE_STATIC);
		if (rows[i].entities)
			sqlite3_bind_text(st, 7, rows[i].entities, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 7);
		result = step_done(s, st);
	}
	return finish_tx(s, result);
}

int srv_store_audit_writer(srv_store *s)
{
	return exec(s, "PRAGMA ignore_check_constraints = ON");
}

/* ---- idempotency ---- */

void srv_idem_clear(struct srv_idem *r)
{
	free(r->body);
	free(r->location);
	memset(r, 0, sizeof(*r));
}

static int idem_row(sqlite3_stmt *st, void *elem)
{
	struct srv_idem *r = elem;
	bool nomem = false;
	col_copy(st, 0, r->fingerprint, sizeof(r->fingerprint));
	r->status = sqlite3_column_int(st, 1);
	r->body = col_dup(st, 2, &nomem);
	r->location = col_dup(st, 3, &nomem);
	r->created_ms = sqlite3_column_int64(st, 4);
	return nomem || !r->body ? DICTUM_NOMEM : DICTUM_OK;
}

int srv_idem_get(srv_store *s, int64_t key_id, const char *idem_key, int64_t since_ms,
                 struct srv_idem *out)
{
	static const char sql[] = "SELECT fingerprint, status, body, location, created_ms FROM "
	                          "idempotency WHERE key_id = ?1 AND idem_key = ?2 AND "
	                          "created_ms >= ?3";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, key_id);
	bind_text(st, 2, idem_key);
	sqlite3_bind_int64(st, 3, since_ms);
	int result = collect_one(s, st, out, sizeof(*out), idem_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_idem_clear(out);
	return result;
}

int srv_idem_put(srv_store *s, int64_t key_id, const char *idem_key, const struct srv_idem *r)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO idempotency(key_id, idem_key, fingerprint, status, body, "
	    "location, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, key_id);
	bind_text(st, 2, idem_key);
	bind_text(st, 3, r->fingerprint);
	sqlite3_bind_int(st, 4, r->status);
	bind_text(st, 5, r->body ? r->body : "");
	bind_text(st, 6, r->location);
	sqlite3_bind_int64(st, 7, r->created_ms);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

int srv_idem_purge(srv_store *s, int64_t before_ms)
{
	static const char sql[] = "DELETE FROM idempotency WHERE created_ms < ?1";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, before_ms);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

/* ---- jobs ---- */

static const char *const job_status_names[] = {"queued", "processing", "completed", "failed",
                                               "cancelled"};

const char *srv_job_status_name(enum srv_job_status st)
{
	return (unsigned)st < 5 ? job_status_names[st] : "unknown";
}

int srv_job_status_parse(const char *name)
{
	for (int i = 0; name && i < 5; i++)
		if (strcmp(job_status_names[i], name) == 0)
			return i;
	return -1;
}

void srv_job_clear(struct srv_job *j)
{
	free(j->type);
	free(j->stage);
	free(j->input);
	free(j->result);
	free(j->error_code);
	free(j->error_message);
	free(j->webhook_url);
	memset(j, 0, sizeof(*j));
}

void srv_jobs_free(struct srv_job **list, size_t count)
{
	if (!*list)
		return;
	for (size_t i = 0; i < count; i++)
		srv_job_clear(&(*list)[i]);
	free_and_null(list);
}

#define JOB_COLUMNS                                                                                \
	"id, uid, org_id, type, status, progress, stage, input, result, error_code, "              \
	"error_message, webhook_url, attempts, created_at, updated_at, alias FROM jobs "

static int job_row(sqlite3_stmt *st, void *elem)
{
	struct srv_job *j = elem;
	bool nomem = false;
	j->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, j->uid, sizeof(j->uid));
	j->org_id = sqlite3_column_int64(st, 2);
	j->type = col_dup(st, 3, &nomem);
	int status = srv_job_status_parse((const char *)sqlite3_column_text(st, 4));
	j->status = status < 0 ? SRV_JOB_FAILED : (enum srv_job_status)status;
	j->progress = sqlite3_column_int(st, 5);
	j->stage = col_dup(st, 6, &nomem);
	j->input = col_dup(st, 7, &nomem);
	j->result = col_dup(st, 8, &nomem);
	j->error_code = col_dup(st, 9, &nomem);
	j->error_message = col_dup(st, 10, &nomem);
	j->webhook_url = col_dup(st, 11, &nomem);
	j->attempts = sqlite3_column_int(st, 12);
	col_copy(st, 13, j->created_at, sizeof(j->created_at));
	col_copy(st, 14, j->updated_at, sizeof(j->updated_at));
	col_copy(st, 15, j->alias, sizeof(j->alias));
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

int srv_job_insert(srv_store *s, struct srv_job *j)
{
	static const char sql[] =
	    "INSERT INTO jobs(uid, org_id, type, status, progress, stage, input, webhook_url, "
	    "created_at, updated_at, alias) VALUES (?1, ?2, ?3, 'queued', 0, 'queued', ?4, ?5, ?6, "
	    "?6, ?7)";
	int result = srv_store_begin(s);
	if (result)
		return result;
	if ((result = make_uid(s, j->uid, "job")))
		goto out;
	if (j->alias[0] && !strchr(j->alias, '_')) {
		char prefix[8];
		str_copy(prefix, j->alias, sizeof(prefix));
		if ((result = make_uid(s, j->alias, prefix)))
			goto out;
	}
	time_now_iso(j->created_at);
	str_copy(j->updated_at, j->created_at, sizeof(j->updated_at));
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, j->uid);
	sqlite3_bind_int64(st, 2, j->org_id);
	bind_text(st, 3, j->type);
	bind_text(st, 4, j->input);
	bind_text(st, 5, j->webhook_url);
	bind_text(st, 6, j->created_at);
	bind_text(st, 7, j->alias[0] ? j->alias : NULL);
	if (!(result = step_done(s, st))) {
		j->id = sqlite3_last_insert_rowid(s->db);
		j->status = SRV_JOB_QUEUED;
	}
out:
	return finish_tx(s, result);
}

static int job_get_where(srv_store *s, const char *sql, int64_t org_id, const char *id,
                         struct srv_job *out)
{
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, org_id);
	int result = collect_one(s, st, out, sizeof(*out), job_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_job_clear(out);
	return result;
}

int srv_job_get(srv_store *s, int64_t org_id, const char *uid, struct srv_job *out)
{
	static const char sql[] = "SELECT " JOB_COLUMNS "WHERE uid = ?1 AND org_id = ?2";
	return job_get_where(s, sql, org_id, uid, out);
}

int srv_job_get_alias(srv_store *s, int64_t org_id, const char *alias, struct srv_job *out)
{
	static const char sql[] = "SELECT " JOB_COLUMNS "WHERE alias = ?1 AND org_id = ?2";
	return job_get_where(s, sql, org_id, alias, out);
}

int srv_job_list(srv_store *s, int64_t org_id, int status, int64_t before_id, size_t limit,
                 struct srv_job **list, size_t *count)
{
	static const char sql[] =
	    "SELECT " JOB_COLUMNS "WHERE org_id = ?1 AND (?2 IS NULL OR status = ?2) AND "
	    "(?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, org_id);
	bind_text(st, 2, status >= 0 ? srv_job_status_name((enum srv_job_status)status) : NULL);
	sqlite3_bind_int64(st, 3, before_id);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)(limit ? limit : 20) + 1);
	int result = collect(s, st, (void **)list, count, sizeof(**list), job_row);
	if (result)
		srv_jobs_free(list, *count);
	return result;
}

int srv_job_cancel(srv_store *s, int64_t org_id, const char *uid, struct srv_job *out)
{
	static const char sql[] = "UPDATE jobs SET status = 'cancelled', stage = 'cancelled', "
	                          "updated_at = ?3 WHERE uid = ?1 AND org_id = ?2 AND "
	                          "status = 'queued'";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	int result = srv_store_begin(s), changed = 0;
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	bind_text(st, 3, now);
	if ((result = step_done(s, st)))
		goto out;
	changed = sqlite3_changes(s->db);
	if ((result = srv_job_get(s, org_id, uid, out)))
		goto out;
	if (!changed)
		result = failf(s, DICTUM_CONFLICT, "job %s is %s", uid,
		               srv_job_status_name(out->status));
out:
	return finish_tx(s, result);
}

int srv_job_claim(srv_store *s, struct srv_job *out)
{
	static const char pick[] =
	    "SELECT " JOB_COLUMNS "WHERE status = 'queued' ORDER BY id LIMIT 1";
	static const char take[] = "UPDATE jobs SET status = 'processing', stage = 'processing', "
	                           "attempts = attempts + 1, updated_at = ?2 WHERE id = ?1";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, pick);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	if ((result = collect_one(s, st, out, sizeof(*out), job_row)))
		goto out;
	time_now_iso(out->updated_at);
	if (!(st = stmt(s, take))) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, out->id);
	bind_text(st, 2, out->updated_at);
	if (!(result = step_done(s, st))) {
		out->status = SRV_JOB_PROCESSING;
		out->attempts++;
	}
out:
	if (result)
		srv_job_clear(out);
	return finish_tx(s, result);
}

int srv_job_progress(srv_store *s, int64_t id, int progress, const char *stage)
{
	static const char sql[] = "UPDATE jobs SET progress = ?2, stage = ?3, updated_at = ?4 "
	                          "WHERE id = ?1 AND status = 'processing'";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, progress);
	bind_text(st, 3, stage);
	bind_text(st, 4, now);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

int srv_job_finish(srv_store *s, struct srv_job *j, enum srv_job_status status,
                   const char *result_json, const char *error_code, const char *error_message)
{
	static const char sql[] = "UPDATE jobs SET status = ?2, progress = ?3, stage = ?2, "
	                          "result = ?4, error_code = ?5, error_message = ?6, "
	                          "updated_at = ?7 WHERE id = ?1 AND status = 'processing'";
	time_now_iso(j->updated_at);
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, j->id);
	bind_text(st, 2, srv_job_status_name(status));
	sqlite3_bind_int(st, 3, status == SRV_JOB_COMPLETED ? 100 : j->progress);
	bind_text(st, 4, result_json);
	bind_text(st, 5, error_code);
	bind_text(st, 6, error_message);
	bind_text(st, 7, j->updated_at);
	if (!(result = step_done(s, st)))
		j->status = status;
out:
	return finish_tx(s, result);
}

int srv_job_path_live(srv_store *s, const char *path, bool *live)
{
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM jobs, json_tree(jobs.input) t WHERE jobs.status IN "
	    "('queued', 'processing') AND t.key = 'path' AND t.atom = ?1)";
	*live = true;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, path);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*live = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : fail(s, rc);
}

int srv_job_requeue_stale(srv_store *s, size_t *count)
{
	static const char sql[] = "UPDATE jobs SET status = 'queued', stage = 'requeued', "
	                          "progress = 0 WHERE status = 'processing'";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	if (!(result = step_done(s, st)))
		*count = (size_t)sqlite3_changes(s->db);
out:
	return finish_tx(s, result);
}

/* ---- webhooks ---- */

void srv_webhooks_free(struct srv_webhook **list, size_t count)
{
	if (!*list)
		return;
	for (size_t i = 0; i < count; i++) {
		free((*list)[i].url);
		free((*list)[i].events);
	}
	free_and_null(list);
}

static int webhook_row(sqlite3_stmt *st, void *elem)
{
	struct srv_webhook *w = elem;
	bool nomem = false;
	col_copy(st, 0, w->uid, sizeof(w->uid));
	w->url = col_dup(st, 1, &nomem);
	w->events = col_dup(st, 2, &nomem);
	col_copy(st, 3, w->created_at, sizeof(w->created_at));
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

int srv_webhook_add(srv_store *s, int64_t org_id, const char *url, const char *events,
                    struct srv_webhook *out)
{
	static const char sql[] = "INSERT INTO webhooks(uid, org_id, url, events, created_at) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5)";
	memset(out, 0, sizeof(*out));
	int result = srv_store_begin(s);
	if (result)
		return result;
	if ((result = make_uid(s, out->uid, "whk")))
		goto out;
	time_now_iso(out->created_at);
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, out->uid);
	sqlite3_bind_int64(st, 2, org_id);
	bind_text(st, 3, url);
	bind_text(st, 4, events);
	bind_text(st, 5, out->created_at);
	if ((result = step_done(s, st)))
		goto out;
	out->url = strdup(url);
	out->events = strdup(events);
	if (!out->url || !out->events)
		result = DICTUM_NOMEM;
out:
	if (result) {
		free(out->url);
		free(out->events);
		memset(out, 0, sizeof(*out));
	}
	return finish_tx(s, result);
}

int srv_webhook_list(srv_store *s, int64_t org_id, struct srv_webhook **list, size_t *count)
{
	static const char sql[] =
	    "SELECT uid, url, events, created_at FROM webhooks WHERE org_id = ?1 ORDER BY id";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, org_id);
	int result = collect(s, st, (void **)list, count, sizeof(**list), webhook_row);
	if (result)
		srv_webhooks_free(list, *count);
	return result;
}

int srv_webhook_delete(srv_store *s, int64_t org_id, const char *uid)
{
	static const char sql[] = "DELETE FROM webhooks WHERE uid = ?1 AND org_id = ?2";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	if (!(result = step_done(s, st)) && sqlite3_changes(s->db) == 0)
		result = DICTUM_NOTFOUND;
out:
	return finish_tx(s, result);
}

int srv_org_webhook_secret(srv_store *s, int64_t org_id, char out[80])
{
	static const char get[] = "SELECT webhook_secret FROM orgs WHERE id = ?1";
	static const char set[] = "UPDATE orgs SET webhook_secret = ?2 WHERE id = ?1 AND "
	                          "webhook_secret IS NULL";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, get);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, org_id);
	int rc = sqlite3_step(st);
	bool have = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (have)
		col_copy(st, 0, out, 80);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		result = rc == SQLITE_DONE ? DICTUM_NOTFOUND : fail(s, rc);
		goto out;
	}
	if (have)
		goto out;
	char hex[49];
	if (random_hex(hex, 24) != 0) {
		result = failf(s, DICTUM_IO, "cannot read random bytes");
		goto out;
	}
	snprintf(out, 80, "whsec_%s", hex);
	if (!(st = stmt(s, set))) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, org_id);
	bind_text(st, 2, out);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

int srv_delivery_add(srv_store *s, int64_t org_id, const char *url, const char *event,
                     const char *payload)
{
	static const char sql[] =
	    "INSERT INTO deliveries(org_id, url, event, payload, status, next_attempt_ms, "
	    "created_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6)";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, org_id);
	bind_text(st, 2, url);
	bind_text(st, 3, event);
	bind_text(st, 4, payload);
	sqlite3_bind_int64(st, 5, time_wall_ms());
	bind_text(st, 6, now);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

int srv_event_emit(srv_store *s, int64_t org_id, const char *event, const char *payload)
{
	static const char sql[] =
	    "INSERT INTO deliveries(org_id, url, event, payload, status, next_attempt_ms, "
	    "created_at) SELECT org_id, url, ?2, ?3, 'pending', ?4, ?5 FROM webhooks "
	    "WHERE org_id = ?1 AND (' ' || events || ' ') LIKE ('% ' || ?2 || ' %')";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, org_id);
	bind_text(st, 2, event);
	bind_text(st, 3, payload);
	sqlite3_bind_int64(st, 4, time_wall_ms());
	bind_text(st, 5, now);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

void srv_delivery_clear(struct srv_delivery *d)
{
	free(d->url);
	free(d->event);
	free(d->payload);
	memset(d, 0, sizeof(*d));
}

static int delivery_row(sqlite3_stmt *st, void *elem)
{
	struct srv_delivery *d = elem;
	bool nomem = false;
	d->id = sqlite3_column_int64(st, 0);
	d->org_id = sqlite3_column_int64(st, 1);
	d->url = col_dup(st, 2, &nomem);
	d->event = col_dup(st, 3, &nomem);
	d->payload = col_dup(st, 4, &nomem);
	d->attempts = sqlite3_column_int(st, 5);
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

int srv_delivery_next(srv_store *s, int64_t now_ms, struct srv_delivery *out)
{
	static const char sql[] = "SELECT id, org_id, url, event, payload, attempts FROM "
	                          "deliveries WHERE status = 'pending' AND next_attempt_ms <= ?1 "
	                          "ORDER BY next_attempt_ms, id LIMIT 1";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, now_ms);
	int result = collect_one(s, st, out, sizeof(*out), delivery_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_delivery_clear(out);
	return result;
}

int srv_delivery_next_due(srv_store *s, int64_t *due_ms)
{
	static const char sql[] =
	    "SELECT min(next_attempt_ms) FROM deliveries WHERE status = 'pending'";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int rc = sqlite3_step(st);
	*due_ms = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
	              ? sqlite3_column_int64(st, 0)
	              : INT64_MAX;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DICTUM_OK : fail(s, rc);
}

int srv_delivery_done(srv_store *s, int64_t id, int http_status)
{
	static const char sql[] = "UPDATE deliveries SET status = 'delivered', attempts = "
	                          "attempts + 1, last_status = ?2, last_error = NULL WHERE id = ?1";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, http_status);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

int srv_delivery_retry(srv_store *s, int64_t id, int64_t next_ms, const char *error)
{
	static const char sql[] =
	    "UPDATE deliveries SET attempts = attempts + 1, last_error = ?3, "
	    "status = CASE WHEN ?2 < 0 THEN 'failed' ELSE 'pending' END, "
	    "next_attempt_ms = CASE WHEN ?2 < 0 THEN next_attempt_ms ELSE ?2 END WHERE id = ?1";
	int result = srv_store_begin(s);
	if (result)
		return result;
	sqlite3_stmt *st = stmt(s, sql);
	if (!st) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_ms);
	bind_text(st, 3, error);
	result = step_done(s, st);
out:
	return finish_tx(s, result);
}

/* ---- resumable uploads ---- */

void srv_upload_clear(struct srv_upload *u)
{
	free(u->filename);
	free(u->note_uid);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

int srv_upload_insert(srv_store *s, struct srv_upload *u)
{
	static const char sql[] =
	    "INSERT INTO uploads(uid, org_id, kind, filename, note_uid, size, sha256, status, "
	    "path, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8, ?9, ?9)";
	int result = make_uid(s, u->uid, "rup");
	if (result)
		return result;
	char *path = NULL;
	if (u->path && strstr(u->path, "%s")) {
		size_t n = strlen(u->path) + strlen(u->uid) + 1;
		if (!(path = malloc(n)))
			return failf(s, DICTUM_NOMEM, "out of memory");
		const char *at = strstr(u->path, "%s");
		snprintf(path, n, "%.*s%s%s", (int)(at - u->path), u->path, u->uid, at + 2);
		free(u->path);
		u->path = path;
	}
	time_now_iso(u->created_at);
	str_copy(u->updated_at, u->created_at, sizeof(u->updated_at));
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, u->uid);
	sqlite3_bind_int64(st, 2, u->org_id);
	bind_text(st, 3, u->kind);
	bind_text(st, 4, u->filename);
	bind_text(st, 5, u->note_uid);
	sqlite3_bind_int64(st, 6, u->size);
	bind_text(st, 7, u->sha256);
	bind_text(st, 8, u->path);
	bind_text(st, 9, u->created_at);
	if ((result = step_done(s, st)))
		return result;
	u->id = sqlite3_last_insert_rowid(s->db);
	return DICTUM_OK;
}

static int upload_row(sqlite3_stmt *st, void *elem)
{
	struct srv_upload *u = elem;
	bool nomem = false;
	u->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, u->uid, sizeof(u->uid));
	u->org_id = sqlite3_column_int64(st, 2);
	col_copy(st, 3, u->kind, sizeof(u->kind));
	u->filename = col_dup(st, 4, &nomem);
	u->note_uid = col_dup(st, 5, &nomem);
	u->size = sqlite3_column_int64(st, 6);
	col_copy(st, 7, u->sha256, sizeof(u->sha256));
	u->received = sqlite3_column_int64(st, 8);
	u->bytes_in = sqlite3_column_int64(st, 9);
	u->chunks = sqlite3_column_int64(st, 10);
	u->complete = strcmp((const char *)sqlite3_column_text(st, 11), "complete") == 0;
	u->path = col_dup(st, 12, &nomem);
	col_copy(st, 13, u->created_at, sizeof(u->created_at));
	col_copy(st, 14, u->updated_at, sizeof(u->updated_at));
	col_copy(st, 15, u->completed_at, sizeof(u->completed_at));
	return nomem ? DICTUM_NOMEM : DICTUM_OK;
}

int srv_upload_get(srv_store *s, int64_t org_id, const char *uid, struct srv_upload *out)
{
	static const char sql[] =
	    "SELECT id, uid, org_id, kind, filename, note_uid, size, sha256, received, bytes_in, "
	    "chunks, status, path, created_at, updated_at, completed_at FROM uploads "
	    "WHERE uid = ?1 AND org_id = ?2";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	bind_text(st, 1, uid);
	sqlite3_bind_int64(st, 2, org_id);
	int result = collect_one(s, st, out, sizeof(*out), upload_row);
	if (result && result != DICTUM_NOTFOUND)
		srv_upload_clear(out);
	return result;
}

int srv_upload_advance(srv_store *s, int64_t id, int64_t from, int64_t nbytes)
{
	static const char sql[] =
	    "UPDATE uploads SET received = received + ?3, bytes_in = bytes_in + ?3, "
	    "chunks = chunks + 1, updated_at = ?4 WHERE id = ?1 AND received = ?2 AND "
	    "status = 'open'";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, nbytes);
	bind_text(st, 4, now);
	int result = step_done(s, st);
	if (!result && sqlite3_changes(s->db) == 0)
		result = failf(s, DICTUM_CONFLICT, "the upload moved on from offset %lld",
		               (long long)from);
	return result;
}

int srv_upload_set_media(srv_store *s, int64_t id, const char *content_type, int64_t duration_ms)
{
	static const char sql[] =
	    "UPDATE uploads SET content_type = ?2, duration_ms = ?3 WHERE id = ?1";
	sqlite3_stmt *st = stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, content_type);
	if (duration_ms >= 0)
		sqlite3_bind_int64(st, 3, duration_ms);
	else
		sqlite3_bind_null(st, 3);
	return step_done(s, st);
}

int srv_upload_finish(srv_store *s, int64_t id, bool complete)
{
	static const char done[] = "UPDATE uploads SET status = 'complete', completed_at = ?2, "
	                           "updated_at = ?2 WHERE id = ?1";
	static const char reset[] =
	    "UPDATE uploads SET received = 0, updated_at = ?2 WHERE id = ?1";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = stmt(s, complete ? done : reset);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, now);
	return step_done(s, st);
}
