#ifndef DICTUM_NOTES_INTERNAL_H
#define DICTUM_NOTES_INTERNAL_H

/* Shared by the files of src/notes only; not part of the public interface. */

#include "notes/draft.h"
#include "notes/tmpl.h"

#include <stdbool.h>
#include <stddef.h>

enum note_speaker { NOTE_SPK_UNKNOWN, NOTE_SPK_CLINICIAN, NOTE_SPK_PATIENT, NOTE_SPK_OTHER };

/* A speaker turn (or a line of an untagged transcript): bytes [start, end)
 * of the text after the speaker tag. */
struct note_turn {
	enum note_speaker who;
	size_t start;
	size_t end;
};

/* A sentence: bytes [start, end), trimmed. */
struct note_sent {
	size_t turn;
	size_t start;
	size_t end;
	bool question;
};

struct note_transcript {
	const char *text; /* not owned */
	struct note_turn *turns;
	size_t nturns;
	struct note_sent *sents;
	size_t nsents;
	bool tagged; /* at least one speaker tag */
};

/* Splits text into turns and sentences. Returns DICTUM_OK or DICTUM_NOMEM. */
int note_transcript_split(const char *text, struct note_transcript *t);
void note_transcript_clear(struct note_transcript *t);

/* ---- tokens ---- */

#define NOTE_TOK_LEN 48

struct note_tok {
	char w[NOTE_TOK_LEN]; /* lower case; punctuation is a token of its own */
};

struct note_toks {
	struct note_tok *t;
	size_t n;
	size_t cap;
};

/* Appends the tokens of text[0, len) to out, lower-cased, with "do n't"
 * style splits joined. Returns DICTUM_OK or DICTUM_NOMEM. */
int note_tokenize(const char *text, size_t len, struct note_toks *out);
int note_toks_push(struct note_toks *ts, const char *w);
void note_toks_free(struct note_toks *ts);
bool note_tok_is_punct(const char *w);
bool note_tok_is_number(const char *w);
/* Value of a number word ("three" -> 3, "twenty-five" -> 25), or -1
 * ("half" is -2). */
long note_number_word(const char *w);
/* A run of number words at i ("one hundred and twenty five"): sets *value
 * and returns how many tokens it takes, 0 when ts[i] starts none. */
size_t note_number_run(const struct note_toks *ts, size_t i, long *value);
/* Joins tokens [from, to) as a sentence: capitalised, spaces fixed,
 * ending in a full stop. Returns a malloc'ed string or NULL (no memory). */
char *note_toks_sentence(const struct note_toks *ts, size_t from, size_t to);
/* True when tokens at i spell phrase (space-separated words). */
bool note_toks_match(const struct note_toks *ts, size_t i, const char *phrase);
/* Index of the first occurrence of phrase at or after from, or -1. */
long note_toks_find(const struct note_toks *ts, size_t from, const char *phrase);

/* Case-insensitive phrase match in raw text at word boundaries: the offset
 * of the first match, or -1. */
long note_text_find(const char *text, size_t len, const char *phrase);
bool note_text_has(const char *text, size_t len, const char *phrase);

/* ---- the draft being built ---- */

struct note_piece {
	int slot; /* index into the layout */
	char *text;
	struct note_span spans[NOTE_MAX_SPANS];
	size_t nspans;
	size_t seq;
	bool extract; /* see note_sentence.extract */
};

struct note_builder {
	struct note_piece *p;
	size_t n;
	size_t cap;
	size_t seq;
};

/* Adds a sentence (takes ownership of text, even on failure); extract: a
 * fragment lifted out of its source (a dose, a vital sign). Duplicates of
 * a sentence already in the slot are dropped. Returns DICTUM_OK or
 * DICTUM_NOMEM. */
int note_builder_add(struct note_builder *b, int slot, char *text, const struct note_span *spans,
                     size_t nspans, bool extract);
/* Removes the last sentence added ("scratch that"). */
void note_builder_pop(struct note_builder *b);
void note_builder_free(struct note_builder *b);

/* The layout slot that content of a kind goes to: the section with that key,
 * else one that takes it, else a fall-back kind's slot, else -1. */
int note_route(const struct tmpl_layout *l, const char *kind);

/* Glosses lay words with their standard clinical term, once per note: the
 * first mention of a phrase of data/notes/glosses.txt gets " (term)" after
 * it unless the note already uses the term. Pieces must be in note order.
 * Returns DICTUM_OK or DICTUM_NOMEM. */
int note_gloss(const struct note_engine *e, struct note_builder *b);

int note_dictation(const struct note_engine *e, const struct tmpl_layout *l,
                   const struct note_transcript *t, struct note_builder *b);
int note_ambient(const struct note_engine *e, const struct tmpl_layout *l,
                 const struct note_transcript *t, struct note_builder *b);

/* True when the drug lexicon holds tokens at i (single or two words);
 * sets *words to how many tokens matched. */
bool note_is_drug(const struct note_engine *e, const struct note_toks *ts, size_t i, size_t *words);

#endif
