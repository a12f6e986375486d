#ifndef DICTUM_CORE_DYNBUF_H
#define DICTUM_CORE_DYNBUF_H

#include <stddef.h>

/* A growable, size-capped byte buffer that fails cleanly (curl's dynbuf).
 * The contents are always NUL-terminated once anything was added. */
struct dynbuf {
	char *buf;
	size_t len;
	size_t cap;
	size_t max; /* the most bytes it may ever hold */
};

void dynbuf_init(struct dynbuf *d, size_t max);
/* Frees the memory and leaves an empty buffer with the same cap. */
void dynbuf_free(struct dynbuf *d);
void dynbuf_reset(struct dynbuf *d);
/* These return DICTUM_OK, DICTUM_NOMEM, or DICTUM_FULL when max would be
 * exceeded; on failure the buffer holds what it held before. */
int dynbuf_add(struct dynbuf *d, const void *data, size_t len);
/* Makes room for extra more bytes, so that adding them does not move it. */
int dynbuf_reserve(struct dynbuf *d, size_t extra);
int dynbuf_addstr(struct dynbuf *d, const char *s);
int dynbuf_printf(struct dynbuf *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents ("" when empty); owned by the buffer. */
const char *dynbuf_str(const struct dynbuf *d);
/* Hands the memory to the caller (free it) and empties the buffer;
 * returns a malloc'ed "" when empty, NULL only if that allocation fails. */
char *dynbuf_take(struct dynbuf *d);

#endif
