#ifndef DICTUM_CORE_UTIL_H
#define DICTUM_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Aborting allocators for scratch memory only (UI strings, argument lists).
 * Anything that holds unsaved audio or notes uses malloc and returns
 * DICTUM_NOMEM instead. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a new xmalloc'ed string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees *p and sets it to NULL. */
void free_and_null(void *pp);

/* strdup that returns NULL for NULL. Returns NULL on allocation failure too. */
char *str_dup_or_null(const char *s);
bool str_empty(const char *s);
/* Whether s is NULL, empty or only white space. */
bool str_blank(const char *s);
/* Whether needle occurs in hay, ignoring ASCII case. */
bool str_icontains(const char *hay, const char *needle);
/* Who is at the keyboard, for note versions: $USER, else "clinician". */
const char *user_name(void);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);
/* Removes leading and trailing white space in place; returns s. */
char *str_trim(char *s);

/* Creates a directory and its parents with the given mode.
 * Returns 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);
/* Creates the folder that holds path (and its parents): mkdir_p of all but
 * the last component; 0 when path names no folder. Returns 0 or -errno. */
int mkdir_parent(const char *path, unsigned mode);

/* Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. Returns 0 or -errno. */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Reads a whole file (or standard input for "-") into a NUL-terminated
 * malloc'ed buffer, refusing files over max bytes (-EFBIG).
 * Returns 0 or -errno; *out is set only on success. */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

bool path_exists(const char *path);

/* Current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-23T16:50:12.345Z. */
void time_now_iso(char out[32]);
/* The same form for a given time (a file's mtime, say). */
void time_iso(const struct timespec *ts, char out[32]);
/* Monotonic clock in nanoseconds. */
uint64_t time_mono_ns(void);
/* Wall clock in milliseconds since the epoch. */
int64_t time_wall_ms(void);

/* Fills out with 2*nbytes lowercase hex digits from the kernel's random
 * source and a terminating NUL. Returns 0 or -errno. */
int random_hex(char *out, size_t nbytes);
/* Writes v in decimal and a NUL to out (at least 21 bytes); returns the
 * length. For hot paths where snprintf shows in profiles. */
size_t fmt_u64(char *out, uint64_t v);

#endif
