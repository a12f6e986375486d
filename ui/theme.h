#ifndef DICTUM_UI_THEME_H
#define DICTUM_UI_THEME_H

#include <stdbool.h>

/* Logical colour slots: every colour on screen is one of these. */
#define THEME_SLOTS(X)                                                                             \
	X(normal)                                                                                  \
	X(title)                                                                                   \
	X(status)                                                                                  \
	X(selected)                                                                                \
	X(dim)                                                                                     \
	X(heading)                                                                                 \
	X(error)

enum theme_slot {
#define THEME_SLOT_ENUM(name) SLOT_##name,
	THEME_SLOTS(THEME_SLOT_ENUM)
#undef THEME_SLOT_ENUM
	    SLOT_COUNT
};

struct theme_color {
	short fg, bg; /* curses colour numbers; -1 is the terminal default */
	int attrs;    /* THEME_BOLD, THEME_REVERSE, THEME_UNDERLINE */
};

enum { THEME_BOLD = 1, THEME_REVERSE = 2, THEME_UNDERLINE = 4 };

struct theme {
	struct theme_color slots[SLOT_COUNT];
};

/* The built-in default (used before and beneath any file). */
void theme_default(struct theme *t);
/* Parses `color <slot> <fg> <bg> [bold|reverse|underline...]` lines into t
 * (pure; no curses). Lines that fail are skipped; the first bad line's
 * number goes to *bad_line. Returns the number of bad lines. */
int theme_parse(struct theme *t, const char *text, int *bad_line);
const char *theme_slot_name(enum theme_slot slot);

#endif
