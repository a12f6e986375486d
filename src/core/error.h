#ifndef DICTUM_CORE_ERROR_H
#define DICTUM_CORE_ERROR_H

/* Status codes shared by every module, with their messages in one list.
 * Functions return DICTUM_OK (0) or one of these; never a bare -1. */
#define DICTUM_ERRORS(X)                                                                           \
	X(OK, "success")                                                                           \
	X(NOMEM, "out of memory")                                                                  \
	X(INVAL, "invalid argument")                                                               \
	X(IO, "input/output error")                                                                \
	X(NOTFOUND, "not found")                                                                   \
	X(EXISTS, "already exists")                                                                \
	X(NOTDB, "not a Dictum store (not an SQLite database)")                                    \
	X(CORRUPT, "store is corrupt")                                                             \
	X(NEWER, "store was written by a newer version of Dictum")                                 \
	X(BUSY, "store is busy (locked by another process)")                                       \
	X(READONLY, "read-only (a signed note cannot be changed)")                                 \
	X(CONFLICT, "version conflict (changed elsewhere)")                                        \
	X(FULL, "disk full")                                                                       \
	X(UNSUPPORTED, "unsupported")                                                              \
	X(NETWORK, "network error")                                                                \
	X(INTERNAL, "internal error")

enum dictum_status {
#define DICTUM_ERR_ENUM(name, msg) DICTUM_##name,
	DICTUM_ERRORS(DICTUM_ERR_ENUM)
#undef DICTUM_ERR_ENUM
	    DICTUM_STATUS_COUNT
};

/* Message for a status code; never NULL. */
const char *dictum_strerror(int status);

#endif
