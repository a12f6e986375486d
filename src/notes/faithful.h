#ifndef DICTUM_NOTES_FAITHFUL_H
#define DICTUM_NOTES_FAITHFUL_H

/* The faithfulness check, prepared once per transcript. Internal to
 * src/notes; the public entry point is note_unsupported() in draft.h. */

#include "notes/draft.h"

#include <stdbool.h>
#include <stddef.h>

typedef void (*note_found_fn)(void *ctx, unsigned kind, const char *term, size_t len);

/* The numeric values a transcript contains (digits and number words, each
 * value times 1000). transcript is not copied: it must outlive f. */
struct note_faith {
	const char *transcript;
	long long *values;
	size_t nvalues;
	size_t cap;
};

/* Returns DICTUM_OK or DICTUM_NOMEM; clear f either way. */
int note_faith_init(struct note_faith *f, const char *transcript);
void note_faith_clear(struct note_faith *f);
/* Calls found for each unsupported number or drug name in text[0, len);
 * returns how many. */
size_t note_faith_check(const struct note_engine *e, const struct note_faith *f, const char *text,
                        size_t len, note_found_fn found, void *ctx);

/* True when text[0, len) holds a negation (no, not, never, denies, -n't ...). */
bool note_has_negation(const char *text, size_t len);

#endif
