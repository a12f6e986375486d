#include "core/error.h"
#include "notes/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The layout slot for a catalogue section: itself, or where its kind goes. */
static int slot_of(const struct tmpl_layout *l, const struct tmpl_section *s)
{
	return note_route(l, s->key);
}

static bool is_sep(char c)
{
	return c == ':' || c == ',' || c == '.' || c == '-' || c == ';' || c == '\n';
}

/* Length of a header cue at the start of text[0, len) followed by a
 * separator, the word "colon" or the end; 0 if none. Sets *skip to the bytes
 * that the cue and its separator take. */
static size_t cue_at(const char *text, size_t len, const char *cue, size_t *skip)
{
	size_t n = strlen(cue);
	if (n > len || strncasecmp(text, cue, n) != 0)
		return 0;
	size_t i = n;
	if (i == len) {
		*skip = i;
		return n;
	}
	if (isalnum((unsigned char)text[i]))
		return 0;
	while (i < len && text[i] == ' ')
		i++;
	if (i == len) {
		*skip = i;
		return n;
	}
	if (is_sep(text[i])) {
		*skip = i + 1;
		return n;
	}
	if (len - i >= 5 && strncasecmp(text + i, "colon", 5) == 0 &&
	    (len - i == 5 || !isalnum((unsigned char)text[i + 5]))) {
		*skip = i + 5;
		return n;
	}
	return 0;
}

/* The section a heading names (by title or header cue), or NULL. */
static const struct tmpl_section *heading_section(const struct note_engine *e,
                                                  const struct tmpl_layout *l, const char *text,
                                                  size_t len, size_t *skip, bool whole)
{
	const struct tmpl_section *best = NULL;
	size_t best_len = 0, best_skip = 0;
	/* Sections of this note type first, then the whole catalogue. */
	for (int pass = 0; pass < 2 && !best; pass++) {
		size_t n = pass ? e->catalog.nsections : l->count;
		for (size_t i = 0; i < n; i++) {
			const struct tmpl_section *s =
			    pass ? &e->catalog.sections[i] : l->section[i];
			const char *title = pass ? s->title : l->title[i];
			size_t k = 0, m;
			if ((m = cue_at(text, len, title, &k)) > best_len && (!whole || k >= len)) {
				best = s;
				best_len = m;
				best_skip = k;
			}
			for (size_t j = 0; j < s->header.count; j++)
				if ((m = cue_at(text, len, s->header.items[j], &k)) > best_len &&
				    (!whole || k >= len)) {
					best = s;
					best_len = m;
					best_skip = k;
				}
		}
	}
	*skip = best_skip;
	return best;
}

/* The slot of the catalogue section whose cue words the text has most of
 * (sections of this note type win ties); -1 when none. */
static int classify(const struct note_engine *e, const struct tmpl_layout *l, const char *text,
                    size_t len)
{
	const struct tmpl_section *best = NULL;
	int best_score = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t n = pass ? e->catalog.nsections : l->count;
		for (size_t i = 0; i < n; i++) {
			const struct tmpl_section *s =
			    pass ? &e->catalog.sections[i] : l->section[i];
			int score = 0;
			for (size_t j = 0; j < s->words.count; j++)
				score += note_text_has(text, len, s->words.items[j]);
			if (score > best_score) {
				best = s;
				best_score = score;
			}
		}
	}
	return best ? slot_of(l, best) : -1;
}

static char *sentence_copy(const char *text, size_t len)
{
	char *s = malloc(len + 2);
	if (!s)
		return NULL;
	memcpy(s, text, len);
	s[len] = '\0';
	if (len && isalpha((unsigned char)s[0]))
		s[0] = (char)toupper((unsigned char)s[0]);
	if (len && !strchr(".?!", s[len - 1])) {
		s[len] = '.';
		s[len + 1] = '\0';
	}
	return s;
}

static void trim(const char *x, size_t *start, size_t *end)
{
	while (*start < *end && (isspace((unsigned char)x[*start]) || is_sep(x[*start])))
		(*start)++;
	while (*end > *start && (isspace((unsigned char)x[*end - 1]) || x[*end - 1] == ','))
		(*end)--;
}

static bool has_alnum(const char *x, size_t start, size_t end)
{
	for (size_t i = start; i < end; i++)
		if (isalnum((unsigned char)x[i]))
			return true;
	return false;
}

static int add_content(const struct note_engine *e, const struct tmpl_layout *l,
                       struct note_builder *b, const char *x, size_t start, size_t end, int current)
{
	trim(x, &start, &end);
	if (!has_alnum(x, start, end))
		return DICTUM_OK;
	int slot = current;
	if (slot < 0)
		slot = classify(e, l, x + start, end - start);
	if (slot < 0)
		slot = note_route(l, "hpi");
	struct note_span span = {start, end};
	return note_builder_add(b, slot, sentence_copy(x + start, end - start), &span, 1, false);
}

int note_dictation(const struct note_engine *e, const struct tmpl_layout *l,
                   const struct note_transcript *t, struct note_builder *b)
{
	const char *x = t->text;
	int current = -1, result = DICTUM_OK;
	for (size_t i = 0; i < t->nsents && !result; i++) {
		size_t start = t->sents[i].start, end = t->sents[i].end, skip = 0;
		if (x[start] == '#') {
			while (start < end && (x[start] == '#' || x[start] == ' '))
				start++;
			size_t hend = end;
			while (hend > start && strchr(".: ", x[hend - 1]))
				hend--;
			const struct tmpl_section *s =
			    heading_section(e, l, x + start, hend - start, &skip, true);
			current = s ? slot_of(l, s) : -1;
			continue;
		}
		const struct tmpl_section *s =
		    heading_section(e, l, x + start, end - start, &skip, false);
		if (s) {
			current = slot_of(l, s);
			start += skip;
		}
		/* "scratch that" removes the sentence it ends, or the one before. */
		for (;;) {
			size_t k = start;
			bool found = false;
			for (; k + 12 <= end; k++)
				if (strncasecmp(x + k, "scratch that", 12) == 0 &&
				    (k == 0 || !isalnum((unsigned char)x[k - 1])) &&
				    (k + 12 == end || !isalnum((unsigned char)x[k + 12]))) {
					found = true;
					break;
				}
			if (!found)
				break;
			if (!has_alnum(x, start, k))
				note_builder_pop(b);
			start = k + 12;
		}
		result = add_content(e, l, b, x, start, end, current);
	}
	return result;
}
