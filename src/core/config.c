#include "core/config.h"
#include "core/error.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ini_parse(const char *text, ini_handler handler, void *ctx, int *bad_line)
{
	int result = DICTUM_OK;
	char section[128] = "";
	int lineno = 0;
	const char *p = text;
	if (bad_line)
		*bad_line = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[2048];
		lineno++;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = eol ? eol + 1 : p + strlen(p);

		str_trim(line);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');
			if (!close || close[1] != '\0') {
				if (!result && bad_line)
					*bad_line = lineno;
				result = result ? result : DICTUM_INVAL;
				continue;
			}
			*close = '\0';
			str_copy(section, str_trim(line + 1), sizeof(section));
			continue;
		}
		char *eq = strchr(line, '=');
		if (!eq || eq == line) {
			if (!result && bad_line)
				*bad_line = lineno;
			result = result ? result : DICTUM_INVAL;
			continue;
		}
		*eq = '\0';
		char *key = str_trim(line), *value = str_trim(eq + 1);
		size_t vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		int stop = handler(ctx, section, key, value, lineno);
		if (stop)
			return stop;
	}
	return result;
}

static struct config_entry *find(const struct config *c, const char *section, const char *key)
{
	for (size_t i = c->count; i-- > 0;)
		if (strcmp(c->entries[i].section, section) == 0 &&
		    strcmp(c->entries[i].key, key) == 0)
			return &c->entries[i];
	return NULL;
}

int config_set(struct config *c, const char *section, const char *key, const char *value)
{
	struct config_entry *e = find(c, section, key);
	if (e) {
		char *v = strdup(value);
		if (!v)
			return DICTUM_NOMEM;
		free(e->value);
		e->value = v;
		return DICTUM_OK;
	}
	struct config_entry *n = realloc(c->entries, (c->count + 1) * sizeof(*n));
	if (!n)
		return DICTUM_NOMEM;
	c->entries = n;
	e = &n[c->count];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return DICTUM_NOMEM;
	}
	c->count++;
	return DICTUM_OK;
}

static int load_entry(void *ctx, const char *section, const char *key, const char *value, int line)
{
	return config_set(ctx, section, key, value);
}

int config_load(struct config *c, const char *path, int *bad_line)
{
	char *text = NULL;
	int rc = file_read_all(path, 1 << 20, &text, NULL);
	if (rc == -ENOENT)
		return DICTUM_OK;
	if (rc)
		return DICTUM_IO;
	int result = ini_parse(text, load_entry, c, bad_line);
	free(text);
	return result;
}

const char *config_get(const struct config *c, const char *section, const char *key,
                       const char *def)
{
	const struct config_entry *e = c ? find(c, section, key) : NULL;
	return e ? e->value : def;
}

int config_save(const struct config *c, const char *path)
{
	if (mkdir_parent(path, 0700) != 0)
		return DICTUM_IO;
	/* Group by section, in order of first appearance. */
	size_t len = 0;
	char *out = NULL;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return DICTUM_NOMEM;
	for (size_t i = 0; i < c->count; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(c->entries[j].section, c->entries[i].section) == 0;
		if (seen)
			continue;
		if (*c->entries[i].section)
			fprintf(f, "%s[%s]\n", i ? "\n" : "", c->entries[i].section);
		for (size_t j = i; j < c->count; j++)
			if (strcmp(c->entries[j].section, c->entries[i].section) == 0)
				fprintf(f, "%s = %s\n", c->entries[j].key, c->entries[j].value);
	}
	fclose(f);
	int rc = file_write_atomic(path, out, len, 0600);
	free(out);
	return rc ? DICTUM_IO : DICTUM_OK;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->entries[i].section);
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	c->entries = NULL;
	c->count = 0;
}

static int base_dir(char *out, size_t size, const char *xdg_var, const char *home_suffix)
{
	const char *xdg = getenv(xdg_var);
	if (!str_empty(xdg) && xdg[0] == '/')
		return (size_t)snprintf(out, size, "%s/dictum", xdg) < size ? DICTUM_OK
		                                                            : DICTUM_INVAL;
	const char *home = getenv("HOME");
	if (str_empty(home))
		return DICTUM_INVAL;
	return (size_t)snprintf(out, size, "%s/%s/dictum", home, home_suffix) < size ? DICTUM_OK
	                                                                             : DICTUM_INVAL;
}

int paths_config_file(char *out, size_t size)
{
	char dir[1024];
	int result = base_dir(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config");
	if (result)
		return result;
	return (size_t)snprintf(out, size, "%s/config.ini", dir) < size ? DICTUM_OK : DICTUM_INVAL;
}

int paths_resolve(struct dictum_paths *p, const struct config *c, const char *data_dir_override)
{
	memset(p, 0, sizeof(*p));
	int result = base_dir(p->config_dir, sizeof(p->config_dir), "XDG_CONFIG_HOME", ".config");
	if (result)
		return result;
	snprintf(p->config_file, sizeof(p->config_file), "%s/config.ini", p->config_dir);

	const char *data = data_dir_override;
	if (str_empty(data))
		data = getenv("DICTUM_DATA_DIR");
	if (str_empty(data))
		data = config_get(c, "store", "data_dir", NULL);
	if (!str_empty(data)) {
		if (str_copy(p->data_dir, data, sizeof(p->data_dir)) >= sizeof(p->data_dir))
			return DICTUM_INVAL;
	} else if ((result = base_dir(p->data_dir, sizeof(p->data_dir), "XDG_DATA_HOME",
	                              ".local/share")) != 0) {
		return result;
	}
	snprintf(p->db_file, sizeof(p->db_file), "%s/dictum.db", p->data_dir);
	snprintf(p->recordings_dir, sizeof(p->recordings_dir), "%s/recordings", p->data_dir);
	return DICTUM_OK;
}
