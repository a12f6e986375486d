#include "notes/tmpl.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void terms_clear(struct tmpl_terms *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

static int terms_add(struct tmpl_terms *t, const char *s, size_t len)
{
	char **items = realloc(t->items, (t->count + 1) * sizeof(*items));
	if (!items)
		return DICTUM_NOMEM;
	t->items = items;
	char *copy = malloc(len + 1);
	if (!copy)
		return DICTUM_NOMEM;
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)tolower((unsigned char)s[i]);
	copy[len] = '\0';
	t->items[t->count++] = copy;
	return DICTUM_OK;
}

/* Splits value at sep (' ' for key lists, '|' for phrase lists), trimming. */
static int terms_split(struct tmpl_terms *t, const char *value, char sep)
{
	const char *p = value;
	while (*p) {
		while (*p == sep || *p == ' ' || *p == '\t')
			p++;
		const char *start = p;
		while (*p && *p != sep)
			p++;
		const char *end = p;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start) {
			int result = terms_add(t, start, (size_t)(end - start));
			if (result)
				return result;
		}
	}
	return DICTUM_OK;
}

static int set_str(char **dst, const char *value)
{
	char *copy = strdup(value);
	if (!copy)
		return DICTUM_NOMEM;
	free(*dst);
	*dst = copy;
	return DICTUM_OK;
}

static void *grow(void *base, size_t *count, size_t size)
{
	char *p = realloc(base, (*count + 1) * size);
	if (!p)
		return NULL;
	memset(p + *count * size, 0, size);
	(*count)++;
	return p;
}

const struct tmpl_section *tmpl_section_find(const struct tmpl_catalog *c, const char *key)
{
	for (size_t i = 0; key && i < c->nsections; i++)
		if (strcmp(c->sections[i].key, key) == 0)
			return &c->sections[i];
	return NULL;
}

const struct tmpl_type *tmpl_type_find(const struct tmpl_catalog *c, const char *key)
{
	for (size_t i = 0; key && i < c->ntypes; i++)
		if (strcmp(c->types[i].key, key) == 0)
			return &c->types[i];
	return NULL;
}

const struct tmpl_specialty *tmpl_specialty_find(const struct tmpl_catalog *c, const char *name)
{
	for (size_t i = 0; name && i < c->nspecialties; i++) {
		const struct tmpl_specialty *s = &c->specialties[i];
		if (strcasecmp(s->name, name) == 0)
			return s;
		for (size_t j = 0; j < s->alias.count; j++)
			if (strcasecmp(s->alias.items[j], name) == 0)
				return s;
	}
	return NULL;
}

/* What the INI handler is filling in. */
struct parse_ctx {
	struct tmpl_catalog *c;
	char current[128];
	int result;
	int bad_line;
};

static int fail(struct parse_ctx *p, int result, int line)
{
	if (!p->result) {
		p->result = result;
		p->bad_line = line;
	}
	return result == DICTUM_NOMEM ? result : 0;
}

static int parse_adjust(struct tmpl_adjust *a, const char *op, const char *value)
{
	char first[64], word[16];
	int used = 0;
	if (sscanf(value, "%63s %n", first, &used) != 1)
		return DICTUM_INVAL;
	const char *rest = value + used;
	if (strcmp(op, "rename") == 0) {
		if (!*rest)
			return DICTUM_INVAL;
		a->op = TMPL_RENAME;
	} else {
		int used2 = 0;
		if (sscanf(rest, "%15s %n", word, &used2) != 1)
			return DICTUM_INVAL;
		rest += used2;
		static const struct {
			const char *op, *word;
			enum tmpl_adjust_op kind;
		} forms[] = {
		    {"insert", "after", TMPL_INSERT_AFTER},
		    {"insert", "before", TMPL_INSERT_BEFORE},
		    {"replace", "with", TMPL_REPLACE},
		};
		size_t i = 0;
		while (i < sizeof(forms) / sizeof(forms[0]) &&
		       (strcmp(forms[i].op, op) != 0 || strcmp(forms[i].word, word) != 0))
			i++;
		if (i == sizeof(forms) / sizeof(forms[0]) || !*rest || strchr(rest, ' '))
			return DICTUM_INVAL;
		a->op = forms[i].kind;
	}
	a->section = strdup(first);
	a->arg = strdup(rest);
	return a->section && a->arg ? DICTUM_OK : DICTUM_NOMEM;
}

static int on_section_key(struct parse_ctx *p, struct tmpl_section *s, const char *key,
                          const char *value, int line)
{
	int result = DICTUM_INVAL;
	if (strcmp(key, "title") == 0)
		result = set_str(&s->title, value);
	else if (strcmp(key, "header") == 0)
		result = terms_split(&s->header, value, '|');
	else if (strcmp(key, "words") == 0)
		result = terms_split(&s->words, value, '|');
	else if (strcmp(key, "takes") == 0)
		result = terms_split(&s->takes, value, ' ');
	return result ? fail(p, result, line) : 0;
}

static int on_type_key(struct parse_ctx *p, struct tmpl_type *t, const char *key, const char *value,
                       int line)
{
	int result = DICTUM_INVAL;
	if (strcmp(key, "title") == 0)
		result = set_str(&t->title, value);
	else if (strcmp(key, "group") == 0)
		result = set_str(&t->group, value);
	else if (strcmp(key, "sections") == 0)
		result = terms_split(&t->sections, value, ' ');
	return result ? fail(p, result, line) : 0;
}

static int on_specialty_key(struct parse_ctx *p, struct tmpl_specialty *s, const char *key,
                            const char *value, int line)
{
	int result;
	if (strcmp(key, "alias") == 0) {
		result = terms_split(&s->alias, value, '|');
	} else if (strcmp(key, "rename") == 0 || strcmp(key, "insert") == 0 ||
	           strcmp(key, "replace") == 0) {
		struct tmpl_adjust a = {0};
		result = parse_adjust(&a, key, value);
		if (!result) {
			struct tmpl_adjust *arr = grow(s->adjust, &s->nadjust, sizeof(*arr));
			if (!arr) {
				result = DICTUM_NOMEM;
			} else {
				s->adjust = arr;
				arr[s->nadjust - 1] = a;
				return 0;
			}
		}
		free(a.section);
		free(a.arg);
	} else {
		result = DICTUM_INVAL;
	}
	return result ? fail(p, result, line) : 0;
}

/* Finds or adds the entry named by the current [kind name] header. */
static int on_key(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct parse_ctx *p = ctx;
	struct tmpl_catalog *c = p->c;
	char kind[32], name[96];
	if (sscanf(section, "%31s %95[^\n]", kind, name) != 2)
		return fail(p, DICTUM_INVAL, line);
	str_trim(name);
	if (strcmp(kind, "section") == 0) {
		struct tmpl_section *s = (struct tmpl_section *)tmpl_section_find(c, name);
		if (!s) {
			struct tmpl_section *arr = grow(c->sections, &c->nsections, sizeof(*arr));
			if (!arr)
				return fail(p, DICTUM_NOMEM, line);
			c->sections = arr;
			s = &arr[c->nsections - 1];
			if (!(s->key = strdup(name)))
				return fail(p, DICTUM_NOMEM, line);
		}
		return on_section_key(p, s, key, value, line);
	}
	if (strcmp(kind, "type") == 0) {
		struct tmpl_type *t = (struct tmpl_type *)tmpl_type_find(c, name);
		if (!t) {
			struct tmpl_type *arr = grow(c->types, &c->ntypes, sizeof(*arr));
			if (!arr)
				return fail(p, DICTUM_NOMEM, line);
			c->types = arr;
			t = &arr[c->ntypes - 1];
			if (!(t->key = strdup(name)))
				return fail(p, DICTUM_NOMEM, line);
		}
		return on_type_key(p, t, key, value, line);
	}
	if (strcmp(kind, "specialty") == 0) {
		struct tmpl_specialty *s = NULL;
		for (size_t i = 0; i < c->nspecialties; i++)
			if (strcmp(c->specialties[i].name, name) == 0)
				s = &c->specialties[i];
		if (!s) {
			struct tmpl_specialty *arr =
			    grow(c->specialties, &c->nspecialties, sizeof(*arr));
			if (!arr)
				return fail(p, DICTUM_NOMEM, line);
			c->specialties = arr;
			s = &arr[c->nspecialties - 1];
			if (!(s->name = strdup(name)))
				return fail(p, DICTUM_NOMEM, line);
		}
		return on_specialty_key(p, s, key, value, line);
	}
	return fail(p, DICTUM_INVAL, line);
}

int tmpl_parse(struct tmpl_catalog *c, const char *text, int *bad_line)
{
	struct parse_ctx p = {.c = c};
	int ini_bad = 0;
	int rc = ini_parse(text, on_key, &p, &ini_bad);
	int result = p.result;
	int line = p.bad_line;
	if (rc && (!result || (ini_bad && ini_bad < line))) {
		result = rc;
		line = ini_bad;
	}
	if (bad_line)
		*bad_line = result ? line : 0;
	return result;
}

int tmpl_validate(const struct tmpl_catalog *c, char *msg, size_t msglen)
{
	for (size_t i = 0; i < c->nsections; i++)
		if (!c->sections[i].title) {
			snprintf(msg, msglen, "section '%s' has no title", c->sections[i].key);
			return DICTUM_INVAL;
		}
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct tmpl_type *t = &c->types[i];
		if (!t->sections.count || t->sections.count > TMPL_MAX_LAYOUT) {
			snprintf(msg, msglen, "note type '%s' has %zu sections", t->key,
			         t->sections.count);
			return DICTUM_INVAL;
		}
		for (size_t j = 0; j < t->sections.count; j++)
			if (!tmpl_section_find(c, t->sections.items[j])) {
				snprintf(msg, msglen, "note type '%s' names unknown section '%s'",
				         t->key, t->sections.items[j]);
				return DICTUM_INVAL;
			}
	}
	for (size_t i = 0; i < c->nspecialties; i++)
		for (size_t j = 0; j < c->specialties[i].nadjust; j++) {
			const struct tmpl_adjust *a = &c->specialties[i].adjust[j];
			if (!tmpl_section_find(c, a->section) ||
			    (a->op != TMPL_RENAME && !tmpl_section_find(c, a->arg))) {
				snprintf(msg, msglen, "specialty '%s' names an unknown section",
				         c->specialties[i].name);
				return DICTUM_INVAL;
			}
		}
	return DICTUM_OK;
}

static bool dir_has_types(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/notes/types.ini", dir);
	return path_exists(path);
}

const char *tmpl_data_dir(void)
{
	const char *env = getenv("DICTUM_SHARE_DIR");
	if (env && *env)
		return env;
	if (dir_has_types(DICTUM_DATADIR))
		return DICTUM_DATADIR;
	return DICTUM_SOURCE_DATADIR "/data";
}

static int load_file(struct tmpl_catalog *c, const char *dir, const char *name, char *err,
                     size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/notes/%s", dir, name);
	char *text = NULL;
	int rc = file_read_all(path, 4u << 20, &text, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return DICTUM_IO;
	}
	int bad = 0;
	int result = tmpl_parse(c, text, &bad);
	if (result == DICTUM_INVAL)
		snprintf(err, errlen, "%s:%d: not a valid line", path, bad);
	else if (result)
		snprintf(err, errlen, "%s: %s", path, dictum_strerror(result));
	free(text);
	return result;
}

int tmpl_catalog_load(struct tmpl_catalog *c, const char *dir, char *err, size_t errlen)
{
	if (!dir)
		dir = tmpl_data_dir();
	int result = load_file(c, dir, "sections.ini", err, errlen);
	if (!result)
		result = load_file(c, dir, "types.ini", err, errlen);
	if (!result)
		result = tmpl_validate(c, err, errlen);
	if (result)
		tmpl_catalog_clear(c);
	return result;
}

void tmpl_catalog_clear(struct tmpl_catalog *c)
{
	for (size_t i = 0; i < c->nsections; i++) {
		free(c->sections[i].key);
		free(c->sections[i].title);
		terms_clear(&c->sections[i].header);
		terms_clear(&c->sections[i].words);
		terms_clear(&c->sections[i].takes);
	}
	free(c->sections);
	for (size_t i = 0; i < c->ntypes; i++) {
		free(c->types[i].key);
		free(c->types[i].title);
		free(c->types[i].group);
		terms_clear(&c->types[i].sections);
	}
	free(c->types);
	for (size_t i = 0; i < c->nspecialties; i++) {
		struct tmpl_specialty *s = &c->specialties[i];
		free(s->name);
		terms_clear(&s->alias);
		for (size_t j = 0; j < s->nadjust; j++) {
			free(s->adjust[j].section);
			free(s->adjust[j].arg);
		}
		free(s->adjust);
	}
	free(c->specialties);
	memset(c, 0, sizeof(*c));
}

int tmpl_layout_index(const struct tmpl_layout *l, const char *key)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->section[i]->key, key) == 0)
			return (int)i;
	return -1;
}

static void layout_insert(struct tmpl_layout *l, size_t at, const struct tmpl_section *s)
{
	if (l->count >= TMPL_MAX_LAYOUT || tmpl_layout_index(l, s->key) >= 0)
		return;
	memmove(&l->section[at + 1], &l->section[at], (l->count - at) * sizeof(l->section[0]));
	memmove(&l->title[at + 1], &l->title[at], (l->count - at) * sizeof(l->title[0]));
	l->section[at] = s;
	l->title[at] = s->title;
	l->count++;
}

int tmpl_layout_make(const struct tmpl_catalog *c, const char *type, const char *specialty,
                     struct tmpl_layout *out)
{
	const struct tmpl_type *t = tmpl_type_find(c, type);
	memset(out, 0, sizeof(*out));
	if (!t)
		return DICTUM_NOTFOUND;
	for (size_t i = 0; i < t->sections.count && i < TMPL_MAX_LAYOUT; i++) {
		const struct tmpl_section *s = tmpl_section_find(c, t->sections.items[i]);
		if (s)
			layout_insert(out, out->count, s);
	}
	const struct tmpl_specialty *sp = tmpl_specialty_find(c, specialty);
	for (size_t i = 0; sp && i < sp->nadjust; i++) {
		const struct tmpl_adjust *a = &sp->adjust[i];
		/* rename and replace act on a->section; inserts put a->section next
		 * to a->arg */
		bool at_section = a->op == TMPL_RENAME || a->op == TMPL_REPLACE;
		int at = tmpl_layout_index(out, at_section ? a->section : a->arg);
		const struct tmpl_section *s =
		    tmpl_section_find(c, a->op == TMPL_REPLACE ? a->arg : a->section);
		if (at < 0 || !s)
			continue;
		switch (a->op) {
		case TMPL_RENAME:
			out->title[at] = a->arg;
			break;
		case TMPL_INSERT_AFTER:
			layout_insert(out, (size_t)at + 1, s);
			break;
		case TMPL_INSERT_BEFORE:
			layout_insert(out, (size_t)at, s);
			break;
		case TMPL_REPLACE:
			if (tmpl_layout_index(out, s->key) < 0) {
				out->section[at] = s;
				out->title[at] = s->title;
			}
			break;
		}
	}
	return DICTUM_OK;
}

/* ---- templates ---- */

struct tmpl_parse_ctx {
	struct tmpl_list *l;
	bool user;
	int result;
	int bad_line;
	char current[128];
};

static int on_template_key(void *ctx, const char *section, const char *key, const char *value,
                           int line)
{
	struct tmpl_parse_ctx *p = ctx;
	char kind[32], id[96];
	if (sscanf(section, "%31s %95s", kind, id) != 2 || strcmp(kind, "template") != 0) {
		if (!p->result) {
			p->result = DICTUM_INVAL;
			p->bad_line = line;
		}
		return 0;
	}
	struct tmpl_list *l = p->l;
	struct tmpl_template *t = NULL;
	if (strcmp(p->current, section) == 0 && l->count)
		t = &l->items[l->count - 1];
	if (!t) {
		struct tmpl_template *arr = grow(l->items, &l->count, sizeof(*arr));
		if (!arr)
			return DICTUM_NOMEM;
		l->items = arr;
		t = &arr[l->count - 1];
		t->user = p->user;
		if (!(t->id = strdup(id)))
			return DICTUM_NOMEM;
		str_copy(p->current, section, sizeof(p->current));
	}
	int result = DICTUM_INVAL;
	if (strcmp(key, "name") == 0)
		result = set_str(&t->name, value);
	else if (strcmp(key, "short_description") == 0)
		result = set_str(&t->short_description, value);
	else if (strcmp(key, "note_type") == 0)
		result = set_str(&t->note_type, value);
	else if (strcmp(key, "sections") == 0)
		result = terms_split(&t->sections, value, ' ');
	if (result == DICTUM_NOMEM)
		return result;
	if (result && !p->result) {
		p->result = result;
		p->bad_line = line;
	}
	return 0;
}

int tmpl_templates_parse(struct tmpl_list *l, const char *text, bool user, int *bad_line)
{
	size_t first = l->count;
	struct tmpl_parse_ctx p = {.l = l, .user = user};
	int ini_bad = 0;
	int rc = ini_parse(text, on_template_key, &p, &ini_bad);
	int result = rc == DICTUM_NOMEM ? rc : p.result;
	int line = p.bad_line;
	if (!result && rc) {
		result = rc;
		line = ini_bad;
	}
	for (size_t i = first; !result && i < l->count; i++)
		if (!l->items[i].name) {
			result = DICTUM_INVAL;
			line = 0;
		}
	if (bad_line)
		*bad_line = line;
	return result;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct tmpl_list *l, const char *dir, bool user, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return user || errno == ENOENT ? DICTUM_OK : DICTUM_IO;
	struct tmpl_terms names = {0};
	int result = DICTUM_OK;
	struct dirent *e;
	while (!result && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".ini") == 0)
			result = terms_add(&names, e->d_name, n);
	}
	closedir(d);
	if (names.count)
		qsort(names.items, names.count, sizeof(names.items[0]), cmp_str);
	for (size_t i = 0; !result && i < names.count; i++) {
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", dir, names.items[i]);
		char *text = NULL;
		if (file_read_all(path, 1u << 20, &text, NULL) != 0) {
			if (!user) {
				snprintf(err, errlen, "cannot read %s", path);
				result = DICTUM_IO;
			}
			continue;
		}
		int bad = 0;
		int rc = tmpl_templates_parse(l, text, user, &bad);
		free(text);
		if (rc == DICTUM_NOMEM) {
			result = rc;
		} else if (rc && user) {
			log_warn("notes", "skipping template file %s (line %d does not parse)",
			         path, bad);
		} else if (rc) {
			snprintf(err, errlen, "%s:%d: not a valid template", path, bad);
			result = rc;
		}
	}
	terms_clear(&names);
	return result;
}

int tmpl_templates_load(struct tmpl_list *l, const char *data_dir, const char *user_dir, char *err,
                        size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/templates", data_dir ? data_dir : tmpl_data_dir());
	int result = load_dir(l, path, false, err, errlen);
	if (result == DICTUM_IO && !*err)
		snprintf(err, errlen, "cannot open %s", path);
	if (!result && user_dir)
		result = load_dir(l, user_dir, true, err, errlen);
	return result;
}

static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; p && *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

bool tmpl_template_matches(const struct tmpl_template *t, const char *word)
{
	if (!word || !*word)
		return true;
	return contains_ci(t->name, word) || contains_ci(t->short_description, word);
}

void tmpl_list_clear(struct tmpl_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		struct tmpl_template *t = &l->items[i];
		free(t->id);
		free(t->name);
		free(t->short_description);
		free(t->note_type);
		terms_clear(&t->sections);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}
