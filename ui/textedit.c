#include "ui/textedit.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

struct textedit_undo {
	char *text;
	size_t row, col;
};

static void free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* Splits text into lines (one empty line for an empty text). */
static int split(const char *text, char ***out, size_t *n)
{
	size_t count = 1;
	for (const char *p = text; *p; p++)
		count += *p == '\n';
	char **lines = calloc(count, sizeof(*lines));
	if (!lines)
		return DICTUM_NOMEM;
	const char *p = text;
	for (size_t i = 0; i < count; i++) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (!(lines[i] = strndup(p, len))) {
			free_lines(lines, count);
			return DICTUM_NOMEM;
		}
		p += len + (eol != NULL);
	}
	*out = lines;
	*n = count;
	return DICTUM_OK;
}

int textedit_load(struct textedit *e, const char *text)
{
	memset(e, 0, sizeof(*e));
	return split(text ? text : "", &e->lines, &e->nlines);
}

void textedit_clear(struct textedit *e)
{
	free_lines(e->lines, e->nlines);
	for (size_t i = 0; i < e->nundo; i++)
		free(e->undo[i].text);
	free(e->undo);
	memset(e, 0, sizeof(*e));
}

char *textedit_text(const struct textedit *e)
{
	size_t len = 0;
	for (size_t i = 0; i < e->nlines; i++)
		len += strlen(e->lines[i]) + 1;
	char *out = malloc(len + 1), *p = out;
	for (size_t i = 0; out && i < e->nlines; i++) {
		size_t n = strlen(e->lines[i]);
		memcpy(p, e->lines[i], n);
		p += n;
		if (i + 1 < e->nlines)
			*p++ = '\n';
	}
	if (out)
		*p = '\0';
	return out;
}

/* Keeps the text as it is before a change (the oldest copy goes when the
 * stack is full). */
static int remember(struct textedit *e)
{
	char *text = textedit_text(e);
	if (!text)
		return DICTUM_NOMEM;
	if (e->nundo == TEXTEDIT_UNDO_MAX) {
		free(e->undo[0].text);
		memmove(e->undo, e->undo + 1, (e->nundo - 1) * sizeof(*e->undo));
		e->nundo--;
	}
	struct textedit_undo *grown = realloc(e->undo, (e->nundo + 1) * sizeof(*grown));
	if (!grown) {
		free(text);
		return DICTUM_NOMEM;
	}
	e->undo = grown;
	e->undo[e->nundo++] = (struct textedit_undo){.text = text, .row = e->row, .col = e->col};
	e->changed = true;
	return DICTUM_OK;
}

bool textedit_undo(struct textedit *e)
{
	if (!e->nundo)
		return false;
	struct textedit_undo *u = &e->undo[e->nundo - 1];
	char **lines;
	size_t n;
	if (split(u->text, &lines, &n) != DICTUM_OK)
		return false;
	free_lines(e->lines, e->nlines);
	e->lines = lines;
	e->nlines = n;
	e->row = u->row < n ? u->row : n - 1;
	size_t len = strlen(e->lines[e->row]);
	e->col = u->col < len ? u->col : len;
	free(u->text);
	e->nundo--;
	return true;
}

int textedit_insert(struct textedit *e, const char *bytes, size_t len)
{
	char *line = e->lines[e->row];
	size_t n = strlen(line);
	char *grown = malloc(n + len + 1);
	if (!grown || remember(e) != DICTUM_OK) {
		free(grown);
		return DICTUM_NOMEM;
	}
	memcpy(grown, line, e->col);
	memcpy(grown + e->col, bytes, len);
	memcpy(grown + e->col + len, line + e->col, n - e->col + 1);
	free(line);
	e->lines[e->row] = grown;
	e->col += len;
	return DICTUM_OK;
}

/* Opens an empty slot for a line after row. */
static int open_line(struct textedit *e)
{
	char **grown = realloc(e->lines, (e->nlines + 1) * sizeof(*grown));
	if (!grown)
		return DICTUM_NOMEM;
	e->lines = grown;
	memmove(e->lines + e->row + 2, e->lines + e->row + 1,
	        (e->nlines - e->row - 1) * sizeof(*e->lines));
	e->lines[e->row + 1] = NULL;
	e->nlines++;
	return DICTUM_OK;
}

int textedit_newline(struct textedit *e)
{
	char *line = e->lines[e->row];
	char *tail = strdup(line + e->col);
	if (!tail || remember(e) != DICTUM_OK || open_line(e) != DICTUM_OK) {
		free(tail);
		return DICTUM_NOMEM;
	}
	e->lines[e->row][e->col] = '\0';
	e->lines[++e->row] = tail;
	e->col = 0;
	return DICTUM_OK;
}

/* Joins line row + 1 onto row. */
static int join_next(struct textedit *e)
{
	char *a = e->lines[e->row], *b = e->lines[e->row + 1];
	size_t na = strlen(a), nb = strlen(b);
	char *joined = malloc(na + nb + 1);
	if (!joined || remember(e) != DICTUM_OK) {
		free(joined);
		return DICTUM_NOMEM;
	}
	memcpy(joined, a, na);
	memcpy(joined + na, b, nb + 1);
	free(a);
	free(b);
	e->lines[e->row] = joined;
	memmove(e->lines + e->row + 1, e->lines + e->row + 2,
	        (e->nlines - e->row - 2) * sizeof(*e->lines));
	e->nlines--;
	e->col = na;
	return DICTUM_OK;
}

static bool continuation(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

int textedit_delete(struct textedit *e)
{
	char *line = e->lines[e->row];
	size_t n = strlen(line);
	if (e->col == n)
		return e->row + 1 < e->nlines ? join_next(e) : DICTUM_OK;
	size_t end = e->col + 1;
	while (end < n && continuation(line[end]))
		end++;
	if (remember(e) != DICTUM_OK)
		return DICTUM_NOMEM;
	memmove(line + e->col, line + end, n - end + 1);
	return DICTUM_OK;
}

int textedit_backspace(struct textedit *e)
{
	if (e->col == 0) {
		if (e->row == 0)
			return DICTUM_OK;
		e->row--;
		e->col = strlen(e->lines[e->row]);
		int result = join_next(e);
		if (result) { /* nothing changed: the cursor goes back */
			e->row++;
			e->col = 0;
		}
		return result;
	}
	textedit_left(e);
	return textedit_delete(e);
}

int textedit_delete_line(struct textedit *e)
{
	if (remember(e) != DICTUM_OK)
		return DICTUM_NOMEM;
	if (e->nlines == 1) {
		e->lines[0][0] = '\0';
	} else {
		free(e->lines[e->row]);
		memmove(e->lines + e->row, e->lines + e->row + 1,
		        (e->nlines - e->row - 1) * sizeof(*e->lines));
		e->nlines--;
		if (e->row == e->nlines)
			e->row--;
	}
	e->col = 0;
	return DICTUM_OK;
}

void textedit_left(struct textedit *e)
{
	if (e->col == 0) {
		if (e->row > 0)
			e->col = strlen(e->lines[--e->row]);
		return;
	}
	do
		e->col--;
	while (e->col > 0 && continuation(e->lines[e->row][e->col]));
}

void textedit_right(struct textedit *e)
{
	const char *line = e->lines[e->row];
	if (!line[e->col]) {
		if (e->row + 1 < e->nlines) {
			e->row++;
			e->col = 0;
		}
		return;
	}
	do
		e->col++;
	while (line[e->col] && continuation(line[e->col]));
}

/* Puts the cursor on a character start at or before col in its line. */
static void clamp(struct textedit *e)
{
	const char *line = e->lines[e->row];
	size_t n = strlen(line);
	if (e->col > n)
		e->col = n;
	while (e->col > 0 && continuation(line[e->col]))
		e->col--;
}

void textedit_up(struct textedit *e)
{
	if (e->row > 0)
		e->row--;
	clamp(e);
}

void textedit_down(struct textedit *e)
{
	if (e->row + 1 < e->nlines)
		e->row++;
	clamp(e);
}

void textedit_home(struct textedit *e)
{
	e->col = 0;
}

void textedit_end(struct textedit *e)
{
	e->col = strlen(e->lines[e->row]);
}
