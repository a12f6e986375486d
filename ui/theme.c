#include "ui/theme.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const slot_names[] = {
#define THEME_SLOT_NAME(name) #name,
    THEME_SLOTS(THEME_SLOT_NAME)
#undef THEME_SLOT_NAME
};

static const struct {
	const char *name;
	short value;
} colors[] = {
    {"default", -1}, {"black", 0},   {"red", 1},  {"green", 2}, {"yellow", 3},
    {"blue", 4},     {"magenta", 5}, {"cyan", 6}, {"white", 7},
};

const char *theme_slot_name(enum theme_slot slot)
{
	return (unsigned)slot < SLOT_COUNT ? slot_names[slot] : "?";
}

void theme_default(struct theme *t)
{
	for (int i = 0; i < SLOT_COUNT; i++)
		t->slots[i] = (struct theme_color){-1, -1, 0};
	t->slots[SLOT_title] = (struct theme_color){7, 4, THEME_BOLD};
	t->slots[SLOT_status] = (struct theme_color){0, 6, 0};
	t->slots[SLOT_selected] = (struct theme_color){-1, -1, THEME_REVERSE};
	t->slots[SLOT_dim] = (struct theme_color){-1, -1, 0};
	t->slots[SLOT_heading] = (struct theme_color){6, -1, THEME_BOLD};
	t->slots[SLOT_error] = (struct theme_color){1, -1, THEME_BOLD};
}

static bool parse_color(const char *s, short *out)
{
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcasecmp(colors[i].name, s) == 0) {
			*out = colors[i].value;
			return true;
		}
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= -1 && v <= 255) {
		*out = (short)v;
		return true;
	}
	return false;
}

static bool parse_line(struct theme *t, char *line)
{
	char *save = NULL;
	char *word = strtok_r(line, " \t", &save);
	if (!word || strcmp(word, "color") != 0)
		return false;
	char *slot = strtok_r(NULL, " \t", &save), *fg = strtok_r(NULL, " \t", &save),
	     *bg = strtok_r(NULL, " \t", &save);
	if (!slot || !fg || !bg)
		return false;
	int idx = -1;
	for (int i = 0; i < SLOT_COUNT; i++)
		if (strcmp(slot_names[i], slot) == 0)
			idx = i;
	struct theme_color c = {-1, -1, 0};
	if (idx < 0 || !parse_color(fg, &c.fg) || !parse_color(bg, &c.bg))
		return false;
	while ((word = strtok_r(NULL, " \t", &save))) {
		if (strcmp(word, "bold") == 0)
			c.attrs |= THEME_BOLD;
		else if (strcmp(word, "reverse") == 0)
			c.attrs |= THEME_REVERSE;
		else if (strcmp(word, "underline") == 0)
			c.attrs |= THEME_UNDERLINE;
		else
			return false;
	}
	t->slots[idx] = c;
	return true;
}

int theme_parse(struct theme *t, const char *text, int *bad_line)
{
	int bad = 0, lineno = 0;
	const char *p = text;
	if (bad_line)
		*bad_line = 0;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];
		lineno++;
		str_copy(line, "", sizeof(line));
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
		}
		p += len + (eol ? 1 : 0);
		str_trim(line);
		if (!*line || *line == '#')
			continue;
		if (len >= sizeof(line) || !parse_line(t, line)) {
			if (!bad++ && bad_line)
				*bad_line = lineno;
		}
	}
	return bad;
}
