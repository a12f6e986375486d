/* Glosses: the standard clinical term after the lay words a clinician said.
 *
 * A scribe writes "pruritus" where the patient's "itchy" was dictated, and a
 * coder or a reader searching the note looks for the standard term. The note
 * keeps the clinician's words and adds the term once, in parentheses, right
 * after its first mention ("itchy (pruritus) patches"): in place, so the
 * context that qualifies it (negation, family history, a side) is the one
 * that was dictated, and nothing is added that was not said in other words.
 * The pairs are data/notes/glosses.txt (ours): a phrase and a term that
 * means the same finding, never a diagnosis drawn from a symptom. */
#include "core/error.h"
#include "notes/internal.h"

#include <stdlib.h>
#include <string.h>

static bool note_uses(const struct note_builder *b, const char *term)
{
	for (size_t i = 0; i < b->n; i++)
		if (note_text_has(b->p[i].text, strlen(b->p[i].text), term))
			return true;
	return false;
}

/* Inserts " (term)" into piece p after [at, at + n). */
static int insert_gloss(struct note_piece *p, size_t at, size_t n, const char *term)
{
	size_t len = strlen(p->text), tlen = strlen(term);
	char *text = malloc(len + tlen + 4);
	if (!text)
		return DICTUM_NOMEM;
	memcpy(text, p->text, at + n);
	char *w = text + at + n;
	*w++ = ' ';
	*w++ = '(';
	memcpy(w, term, tlen);
	w += tlen;
	*w++ = ')';
	memcpy(w, p->text + at + n, len - at - n + 1);
	free(p->text);
	p->text = text;
	return DICTUM_OK;
}

/* The earliest mention in b of a phrase glossed with term: sets *piece,
 * *at and *len (the longest phrase at that place); false when none. */
static bool first_mention(const struct note_engine *e, const struct note_builder *b,
                          const char *term, size_t *piece, size_t *at, size_t *len)
{
	for (size_t i = 0; i < b->n; i++) {
		const char *text = b->p[i].text;
		bool found = false;
		for (size_t g = 0; g < e->said.count; g++) {
			if (strcmp(e->standard.items[g], term) != 0)
				continue;
			long k = note_text_find(text, strlen(text), e->said.items[g]);
			size_t n = strlen(e->said.items[g]);
			if (k >= 0 &&
			    (!found || (size_t)k < *at || ((size_t)k == *at && n > *len))) {
				found = true;
				*at = (size_t)k;
				*len = n;
			}
		}
		if (found) {
			*piece = i;
			return true;
		}
	}
	return false;
}

int note_gloss(const struct note_engine *e, struct note_builder *b)
{
	for (size_t g = 0; g < e->said.count; g++) {
		const char *term = e->standard.items[g];
		size_t piece = 0, at = 0, len = 0;
		if (note_uses(b, term) || !first_mention(e, b, term, &piece, &at, &len))
			continue;
		int result = insert_gloss(&b->p[piece], at, len, term);
		if (result)
			return result;
	}
	return DICTUM_OK;
}
