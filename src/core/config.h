#ifndef DICTUM_CORE_CONFIG_H
#define DICTUM_CORE_CONFIG_H

#include <stddef.h>

/* INI configuration: [section] headers, key = value lines, '#' or ';'
 * comments. Later keys override earlier ones. */

/* Called for each key; return 0 to go on, non-zero to stop parsing. */
typedef int (*ini_handler)(void *ctx, const char *section, const char *key, const char *value,
                           int line);

/* Parses text (pure, no I/O). Returns DICTUM_OK, the handler's non-zero
 * value, or DICTUM_INVAL with *bad_line set to the first malformed line
 * (parsing goes on past malformed lines so a caller gets what it can). */
int ini_parse(const char *text, ini_handler handler, void *ctx, int *bad_line);

struct config_entry {
	char *section;
	char *key;
	char *value;
};

struct config {
	struct config_entry *entries;
	size_t count;
};

/* Loads path into c (which must be zeroed). A missing file is an empty
 * config, not an error. Returns DICTUM_OK, DICTUM_IO, or DICTUM_INVAL with
 * *bad_line set (entries before and after the bad line are kept). */
int config_load(struct config *c, const char *path, int *bad_line);
/* The value, or def when absent. Owned by c. */
const char *config_get(const struct config *c, const char *section, const char *key,
                       const char *def);
/* Sets or replaces a value. Returns DICTUM_OK or DICTUM_NOMEM. */
int config_set(struct config *c, const char *section, const char *key, const char *value);
/* Writes atomically with mode 0600 (it may hold an API key), creating the
 * parent directory. Returns DICTUM_OK or DICTUM_IO. */
int config_save(const struct config *c, const char *path);
void config_free(struct config *c);

/* Where Dictum keeps things. Precedence for the data directory:
 * the explicit override (--data-dir), DICTUM_DATA_DIR, [store] data_dir in
 * config.ini, $XDG_DATA_HOME/dictum, ~/.local/share/dictum. */
struct dictum_paths {
	char config_dir[1024];
	char config_file[1100];
	char data_dir[1024];
	char db_file[1100];
	char recordings_dir[1100];
};

/* Fills p; does not create anything. Returns DICTUM_OK or DICTUM_INVAL
 * (no HOME and no XDG variables, or a path too long). */
int paths_resolve(struct dictum_paths *p, const struct config *c, const char *data_dir_override);
/* The config file path alone (for loading config before paths_resolve). */
int paths_config_file(char *out, size_t size);

#endif
