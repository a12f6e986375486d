#ifndef DICTUM_CORE_LOG_H
#define DICTUM_CORE_LOG_H

/* Logging to stderr (or a file). The default level is WARN.
 * Patient text (transcripts, note text) and API keys may only be logged at
 * LOG_TRACE, which is never the default. DICTUM_LOG=error|warn|info|debug|trace
 * sets the level. */
#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Reads DICTUM_LOG; unknown values are ignored. */
void log_init_from_env(void);
/* Parses a level name; returns -1 when unknown. */
int log_level_parse(const char *name);

/* Sends log lines to the file at path (appended, created 0600) instead of
 * stderr, for as long as a full-screen interface owns the terminal; 0, or a
 * negative errno (lines then stay on stderr). log_to_stderr goes back. */
int log_to_file(const char *path);
void log_to_stderr(void);

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A line for the person at the terminal about long work ("preparing the
 * speech model, once"), written to stderr as "dictum: ..." at the default
 * level (not at error). A full-screen interface turns notices off while it
 * owns the terminal. */
void log_notices(bool on);
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

#endif
