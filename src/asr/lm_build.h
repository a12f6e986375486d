#ifndef DICTUM_ASR_LM_BUILD_H
#define DICTUM_ASR_LM_BUILD_H

/* A domain language model from the user's own text (`dictum asr adapt`).
 *
 * Text is first turned into what a clinician would say to dictate it:
 * lower case words; ". ? !" become "period", "," "comma", ":" "colon",
 * ";" "semicolon"; a markdown heading ("# Plan") becomes its words and
 * "colon"; numbers are spoken ("40" -> "forty", "2.5" -> "two point five",
 * "120/80" -> "one twenty over eighty" is not attempted: "/" between numbers
 * becomes "over"); "%" -> "percent"; the unit abbreviations mg, mcg, g, kg,
 * ml, mL -> their spoken names. Each line is one sentence (<s> ... </s>).
 *
 * Estimation: interpolated Kneser-Ney trigram (Chen & Goodman 1998), one
 * discount per order D = n1 / (n1 + 2 n2) (clamped to [0.1, 0.9]), written
 * as a back-off ARPA file, the same method as scripts/asr_lm.py. */

#include <stddef.h>

struct lm_build;

struct lm_build_stats {
	size_t sentences, tokens, vocab;
	size_t ngrams[3];
};

/* A new, empty builder; NULL when memory runs out. */
struct lm_build *lm_build_new(void);
/* Adds text (a whole file's contents; NUL-terminated). Returns DICTUM_OK,
 * DICTUM_NOMEM, or DICTUM_FULL past 16 million tokens in all. */
int lm_build_add_text(struct lm_build *b, const char *text);
/* lm_build_add_text for callers that hand out texts one by one (ctx is the
 * builder), such as store_signed_notes_each. */
int lm_build_add_text_cb(const char *text, void *ctx);
/* Estimates the model and writes it to path (atomically: a temporary file
 * then rename; its folder is created when missing). Returns DICTUM_OK, DICTUM_INVAL when no word was added,
 * DICTUM_NOMEM or DICTUM_IO (err says why). st may be NULL. */
int lm_build_write(struct lm_build *b, const char *path, struct lm_build_stats *st, char *err,
                   size_t errlen);
/* The words added so far (sorted, unique), for a caller to check against a
 * dictionary: calls fn for each; stops early when fn returns non-zero. */
void lm_build_each_word(const struct lm_build *b, int (*fn)(const char *word, void *ctx),
                        void *ctx);
/* Frees b and sets *b to NULL; accepts NULL. */
void lm_build_free(struct lm_build **b);

/* The dictation words of one line of text, separated by single spaces, into
 * a malloc'ed string ("" for none); NULL when memory runs out. Exposed for
 * tests. */
char *lm_build_spoken_line(const char *line, size_t len);

#endif
