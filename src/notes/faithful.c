#include "core/error.h"
#include "notes/faithful.h"
#include "notes/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool note_is_drug(const struct note_engine *e, const struct note_toks *ts, size_t i, size_t *words)
{
	const struct tmpl_terms *d = &e->drugs;
	if (!d->count || i >= ts->n)
		return false;
	if (i + 1 < ts->n) {
		char two[2 * NOTE_TOK_LEN + 2];
		strcpy(two, ts->t[i].w);
		strcat(two, " ");
		strcat(two, ts->t[i + 1].w);
		const char *key = two;
		if (bsearch(&key, d->items, d->count, sizeof(d->items[0]), cmp_str)) {
			*words = 2;
			return true;
		}
	}
	const char *key = ts->t[i].w;
	if (bsearch(&key, d->items, d->count, sizeof(d->items[0]), cmp_str)) {
		*words = 1;
		return true;
	}
	return false;
}

static int add_value(struct note_faith *f, long long v)
{
	for (size_t i = 0; i < f->nvalues; i++)
		if (f->values[i] == v)
			return DICTUM_OK;
	if (f->nvalues == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 64;
		long long *p = realloc(f->values, ncap * sizeof(*p));
		if (!p)
			return DICTUM_NOMEM;
		f->values = p;
		f->cap = ncap;
	}
	f->values[f->nvalues++] = v;
	return DICTUM_OK;
}

/* Calls add for each run of digits (with a decimal part) in a token. */
static int digit_values(const char *w, struct note_faith *f, bool check, bool *missing)
{
	const char *p = w;
	while (*p) {
		if (!isdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		char *end;
		double v = strtod(p, &end);
		if (end == p) {
			p++;
			continue;
		}
		long long key = llround(v * 1000.0);
		if (check) {
			bool found = false;
			for (size_t i = 0; i < f->nvalues && !found; i++)
				found = f->values[i] == key;
			if (!found)
				*missing = true;
		} else if (add_value(f, key)) {
			return DICTUM_NOMEM;
		}
		p = end;
		if (*p == '.')
			p++;
	}
	return DICTUM_OK;
}

int note_faith_init(struct note_faith *f, const char *transcript)
{
	memset(f, 0, sizeof(*f));
	f->transcript = transcript;
	struct note_toks ts = {0};
	int result = note_tokenize(transcript, strlen(transcript), &ts);
	for (size_t i = 0; !result && i < ts.n; i++) {
		const char *w = ts.t[i].w;
		long v;
		size_t n;
		if (note_tok_is_number(w)) {
			result = digit_values(w, f, false, NULL);
		} else if ((n = note_number_run(&ts, i, &v))) {
			result = add_value(f, (long long)v * 1000);
			i += n - 1;
		}
	}
	note_toks_free(&ts);
	return result;
}

void note_faith_clear(struct note_faith *f)
{
	free(f->values);
	memset(f, 0, sizeof(*f));
}

size_t note_faith_check(const struct note_engine *e, const struct note_faith *f, const char *text,
                        size_t len, note_found_fn found, void *ctx)
{
	struct note_toks ts = {0};
	size_t count = 0;
	if (note_tokenize(text, len, &ts))
		return 0;
	for (size_t i = 0; i < ts.n; i++) {
		const char *w = ts.t[i].w;
		bool missing = false;
		if (note_tok_is_number(w)) {
			digit_values(w, (struct note_faith *)f, true, &missing);
		} else {
			long v = note_number_word(w);
			if (v >= 0) {
				bool ok = false;
				for (size_t k = 0; k < f->nvalues && !ok; k++)
					ok = f->values[k] == (long long)v * 1000;
				missing = !ok;
			}
		}
		if (missing) {
			count++;
			if (found)
				found(ctx, NOTE_FLAG_NUMBER, w, strlen(w));
			continue;
		}
		static const char *const sides[] = {"left", "right", "bilateral", "bilaterally"};
		bool side = false;
		for (size_t k = 0; k < sizeof(sides) / sizeof(sides[0]); k++)
			side |= strcmp(w, sides[k]) == 0;
		if (side) {
			if (!note_text_has(f->transcript, strlen(f->transcript), w)) {
				count++;
				if (found)
					found(ctx, NOTE_FLAG_SIDE, w, strlen(w));
			}
			continue;
		}
		size_t words = 0;
		if (note_is_drug(e, &ts, i, &words)) {
			char name[2 * NOTE_TOK_LEN + 2];
			strcpy(name, w);
			if (words == 2) {
				strcat(name, " ");
				strcat(name, ts.t[i + 1].w);
			}
			if (!note_text_has(f->transcript, strlen(f->transcript), name)) {
				count++;
				if (found)
					found(ctx, NOTE_FLAG_DRUG, name, strlen(name));
			}
			i += words - 1;
		}
	}
	note_toks_free(&ts);
	return count;
}

size_t note_unsupported(const struct note_engine *e, const char *transcript, const char *text,
                        void (*found)(void *ctx, unsigned kind, const char *term, size_t len),
                        void *ctx)
{
	struct note_faith f;
	if (note_faith_init(&f, transcript)) {
		note_faith_clear(&f);
		return 0;
	}
	size_t n = note_faith_check(e, &f, text, strlen(text), found, ctx);
	note_faith_clear(&f);
	return n;
}

bool note_has_negation(const char *text, size_t len)
{
	static const char *const words[] = {"no",       "not",    "never",   "none",  "nothing",
	                                    "denies",   "denied", "without", "nor",   "neither",
	                                    "negative", "cannot", "nobody",  "absent"};
	struct note_toks ts = {0};
	bool found = false;
	if (note_tokenize(text, len, &ts) == DICTUM_OK)
		for (size_t i = 0; i < ts.n && !found; i++) {
			size_t n = strlen(ts.t[i].w);
			found = n > 3 && strcmp(ts.t[i].w + n - 3, "n't") == 0;
			for (size_t k = 0; k < sizeof(words) / sizeof(words[0]) && !found; k++)
				found = strcmp(ts.t[i].w, words[k]) == 0;
		}
	note_toks_free(&ts);
	return found;
}
