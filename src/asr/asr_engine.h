#ifndef DICTUM_ASR_ASR_ENGINE_H
#define DICTUM_ASR_ASR_ENGINE_H

/* What an engine fills in (like cmus's op.h): only asr.c calls these.
 * Engines are listed in a static table in asr.c. Not for other modules. */

#include "asr/asr.h"

struct asr_engine_ops {
	const char *name;
	/* Loads the engine. Returns a status and writes a reason into err. */
	int (*create)(const struct config *cfg, void **state, char *err, size_t errlen);
	int (*start)(void *state);
	/* Optional: the whole recording is known before it is fed (a file),
	 * and the engine may look ahead at it. Called after start, before the
	 * first feed, with all of it. */
	int (*prime)(void *state, const int16_t *pcm, size_t n);
	int (*feed)(void *state, const int16_t *pcm, size_t n);
	/* Fills p (strings malloc'ed, freed by the caller). */
	int (*partial)(void *state, struct asr_partial *p);
	/* Returns a new transcript in *out; err gets a reason on failure. */
	int (*finish)(void *state, struct asr_transcript **out, char *err, size_t errlen);
	void (*destroy)(void *state);
	/* Optional (NULL when the engine cannot tell): 1 when word is in the
	 * recogniser's vocabulary, else 0. */
	int (*knows)(void *state, const char *word);
	/* Optional: the statistics since start. */
	void (*stats)(const void *state, struct asr_stats *st);
};

extern const struct asr_engine_ops asr_sphinx_ops;
extern const struct asr_engine_ops asr_http_ops;

/* Transcript building shared by the engines. All return DICTUM_OK or
 * DICTUM_NOMEM and keep the transcript valid on failure. */
struct asr_transcript *asr_transcript_new(const char *engine);
/* Appends a segment with a copy of text (no words yet). */
int asr_transcript_add_segment(struct asr_transcript *t, const char *text, double start, double end,
                               double confidence);
/* Appends a word to the last segment (which must exist). */
int asr_transcript_add_word(struct asr_transcript *t, const char *text, double start, double end,
                            double confidence);

#endif
