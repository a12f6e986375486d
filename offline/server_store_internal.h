#ifndef DICTUM_OFFLINE_SERVER_STORE_INTERNAL_H
#define DICTUM_OFFLINE_SERVER_STORE_INTERNAL_H

/* Internals of the server database files; not for other modules. */
#include "offline/server_store.h"

#include <sqlite3.h>

#define SRV_STMT_CACHE 128
#define SRV_KEY_CACHE  8

struct srv_store {
	sqlite3 *db;
	char *path;
	pthread_mutex_t *write_lock; /* shared by the handles of one process, or NULL */
	int depth;                   /* transaction nesting */
	bool reading;                /* inside srv_store_read_begin */
	char errmsg[512];
	struct {
		const char *sql; /* keyed by the address of a string literal */
		sqlite3_stmt *stmt;
	} cache[SRV_STMT_CACHE];
	/* Keys found by srv_key_find, valid while PRAGMA data_version says no
	 * other connection has committed and this one has not written since
	 * (key_version -1: empty). */
	int64_t key_version;
	struct {
		char hash[65];
		struct srv_key key;
	} keys[SRV_KEY_CACHE];
	size_t keys_next;
};

int srv_schema_latest(void);
const char *srv_schema_step(int from);

#endif
