#ifndef DICTUM_UI_TEXTEDIT_H
#define DICTUM_UI_TEXTEDIT_H

/* The workstation's built-in editor: a text as lines, a cursor, and a
 * multi-level undo (each change keeps a copy of the text before it). No
 * curses here: the view draws the lines and maps keys to these calls. */

#include <stdbool.h>
#include <stddef.h>

#define TEXTEDIT_UNDO_MAX 500

struct textedit {
	char **lines;
	size_t nlines;
	size_t row, col; /* the cursor: line, byte in it (on a character start) */
	struct textedit_undo *undo;
	size_t nundo;
	bool changed;
};

/* Loads text (NULL for none). Returns DICTUM_OK or DICTUM_NOMEM. */
int textedit_load(struct textedit *e, const char *text);
void textedit_clear(struct textedit *e);
/* The text as one malloc'ed string, lines joined by newlines; NULL when
 * out of memory. */
char *textedit_text(const struct textedit *e);

/* Each change returns DICTUM_OK or DICTUM_NOMEM (the text unchanged). */
int textedit_insert(struct textedit *e, const char *bytes, size_t len);
int textedit_newline(struct textedit *e);
int textedit_backspace(struct textedit *e);
int textedit_delete(struct textedit *e);
int textedit_delete_line(struct textedit *e);
/* Undoes the last change; false when there is none. */
bool textedit_undo(struct textedit *e);

void textedit_left(struct textedit *e);
void textedit_right(struct textedit *e);
void textedit_up(struct textedit *e);
void textedit_down(struct textedit *e);
void textedit_home(struct textedit *e);
void textedit_end(struct textedit *e);

#endif
