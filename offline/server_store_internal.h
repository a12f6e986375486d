#ifndef DICTUM_OFFLINE_SERVER_STORE_INTERNAL_H
#define DICTUM_OFFLINE_SERVER_STORE_INTERNAL_H

/* Internals of the server database files; not for other modules. */
#include "offline/server_store.h"

#include <sqlite3.h>

#define SRV_STMT_CACHE 128
#define SRV_KEY_CACHE  8
#define SRV_DOC_CACHE  32          /* notes' stored JSON kept per handle */
#define SRV_DOC_MAX    (64u << 10) /* larger notes are not kept */
#define SRV_WAL_HDR    48          /* bytes of the WAL-index header */

struct srv_store {
	sqlite3 *db;
	char *path;
	pthread_mutex_t *write_lock; /* shared by the handles of one process, or NULL */
	int depth;                   /* transaction nesting */
	bool reading;                /* inside srv_store_read_begin */
	bool read_pending;           /* reading, BEGIN not run yet (no statement since) */
	/* Change detection without a transaction: the WAL-index header in
	 * shared memory (SQLite's own, mapped by this connection) changes with
	 * every commit by any connection of any process. epoch counts the
	 * headers this handle has seen change (srv_store_epoch). */
	const volatile unsigned char *shm;
	unsigned char seen[SRV_WAL_HDR];
	uint64_t epoch;
	uint64_t read_epoch; /* the epoch when the read snapshot was asked for */
	char errmsg[512];
	struct {
		const char *sql; /* keyed by the address of a string literal */
		sqlite3_stmt *stmt;
	} cache[SRV_STMT_CACHE];
	/* Keys found by srv_key_find, valid while the epoch is key_epoch
	 * (0: empty). */
	uint64_t key_epoch;
	struct {
		char hash[65];
		struct srv_key key;
	} keys[SRV_KEY_CACHE];
	size_t keys_next;
	/* Notes' stored JSON (srv_note_doc), each valid while the epoch is
	 * its own. */
	struct {
		uint64_t epoch; /* 0: empty */
		int64_t org_id;
		char uid[DICTUM_UID_LEN];
		int version;
		char *doc;
		size_t len;
	} docs[SRV_DOC_CACHE];
	size_t docs_next;
};

int srv_schema_latest(void);
const char *srv_schema_step(int from);

#endif
