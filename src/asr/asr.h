#ifndef DICTUM_ASR_ASR_H
#define DICTUM_ASR_ASR_H

/* Speech engines behind one contract: start, feed(pcm, n), partial(),
 * finish() -> transcript. Audio is 16 kHz mono signed 16-bit PCM.
 *
 * An engine is chosen by name ("sphinx", the default, or "http"; see
 * asr_engine_names). Creating one may load a large model and take a second
 * or more: call asr_engine_create on a worker thread, never on a path that
 * must show a screen quickly. An engine is used by one thread at a time.
 *
 * Configuration (config.ini, all optional; defaults are in one table per
 * engine, see engine_sphinx.c and engine_http.c):
 *   [asr]        engine = sphinx|http, low_confidence = 0.5, voice_profile,
 *                voice_map, sphinxtrain (the voice profile: asr/voice.h)
 *   [asr.sphinx] model tuning and the medical lexicon / language model
 *   [asr.http]   url, key, model, timeout, retries, fallback = sphinx
 *
 * Nothing here logs transcript text above LOG_TRACE. */

#include "core/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASR_SAMPLE_RATE 16000
/* The user's language model (`dictum asr adapt`), under the data directory. */
#define ASR_USER_LM "asr/user.lm"

struct asr_word {
	char *text;   /* owned by the transcript */
	double start; /* seconds from the start of the audio fed */
	double end;
	double confidence; /* 0..1; negative when the engine gives none */
};

struct asr_segment {
	char *text;             /* words separated by single spaces; never NULL */
	double start, end;      /* seconds from the start of the audio fed */
	double confidence;      /* 0..1; negative when the engine gives none */
	struct asr_word *words; /* NULL when the engine gives no word times */
	size_t n_words;
};

struct asr_transcript {
	struct asr_segment *segments; /* in time order; NULL when none */
	size_t n_segments;
	double duration;    /* seconds of audio fed */
	char engine[32];    /* name of the engine that produced it */
	bool fell_back;     /* produced by the fall-back engine after an error */
	char note[160];     /* why it fell back; "" otherwise */
	bool voice_profile; /* recognised with the user's voice profile (asr/voice.h) */
};

/* What a streaming caller shows while the clinician speaks. */
struct asr_partial {
	char *final;    /* malloc'ed: text of the segments already closed by a
	                   pause (will not change); "" when none */
	char *pending;  /* malloc'ed: the current hypothesis of the segment in
	                   progress (may still change); "" when none */
	size_t n_final; /* segments closed so far */
};

/* Where an engine's CPU time went since asr_start (thread CPU seconds of
 * the calling thread), for the streaming benchmark. */
enum asr_phase {
	ASR_PHASE_FEED,    /* first pass over the stream's audio */
	ASR_PHASE_PARTIAL, /* partial hypotheses */
	ASR_PHASE_PAUSE,   /* closing an utterance at a pause (second pass) */
	ASR_PHASE_BREAK,   /* closing a long utterance at a break (second pass) */
	ASR_PHASE_REPLAY,  /* first pass again over the audio after a break */
	ASR_PHASE_FINISH,  /* the last utterance, in asr_finish */
	ASR_PHASE_COUNT
};

struct asr_stats {
	double cpu[ASR_PHASE_COUNT]; /* seconds */
	unsigned calls[ASR_PHASE_COUNT];
	unsigned hyps;     /* partial hypotheses actually searched (ps_get_hyp) */
	double replayed_s; /* audio seconds decoded twice after breaks */
};

extern const char *const asr_phase_names[ASR_PHASE_COUNT];

struct asr_engine;

/* Where the user's model (`dictum asr adapt`) is read and written:
 * [asr.sphinx] user_lm when set, else DATA_DIR/asr/user.lm (buf holds it);
 * "" when no data directory resolves. */
const char *asr_user_lm_file(const struct config *cfg, char *buf, size_t size);

/* Names of the engines built in, NULL-terminated; the first is the default. */
extern const char *const asr_engine_names[];

/* Creates the engine called name (NULL: [asr] engine from cfg, else
 * "sphinx"). cfg may be NULL (defaults only); otherwise it must outlive
 * the engine (the http engine reads it again to create its fall-back). On success sets *out and
 * returns DICTUM_OK; the caller frees it with asr_engine_free. On failure
 * returns DICTUM_NOTFOUND (no such engine, or a model file missing),
 * DICTUM_INVAL (a bad config value), DICTUM_NOMEM or DICTUM_IO, writes a
 * one-line reason into err (when errlen > 0) and leaves *out untouched. */
int asr_engine_create(const char *name, const struct config *cfg, struct asr_engine **out,
                      char *err, size_t errlen);
void asr_engine_free(struct asr_engine **e);
const char *asr_engine_name(const struct asr_engine *e);

/* Begins a new recording; drops anything of a previous one not finished.
 * Returns DICTUM_OK or an error status. */
int asr_start(struct asr_engine *e);
/* Feeds n samples (may be 0). The engine keeps what it needs: pcm is the
 * caller's after return. Returns DICTUM_OK, DICTUM_INVAL (not started),
 * DICTUM_NOMEM or DICTUM_INTERNAL; after an error the segments closed
 * before it are still returned by asr_finish. */
int asr_feed(struct asr_engine *e, const int16_t *pcm, size_t n);
/* Fills *p with new strings the caller frees with asr_partial_clear.
 * Returns DICTUM_OK, DICTUM_INVAL (not started) or DICTUM_NOMEM. */
int asr_partial(struct asr_engine *e, struct asr_partial *p);
/* Ends the recording and sets *out to the transcript (the caller frees it
 * with asr_transcript_free). Silence gives a transcript with no segments.
 * Returns DICTUM_OK, DICTUM_INVAL (not started), DICTUM_NOMEM, or the
 * engine's error (DICTUM_NETWORK for an unreachable server without a
 * fall-back); asr_engine_error then holds a one-line reason. With an error
 * *out may still be set to what was recognised before it (free it too);
 * it is NULL-checked by the caller, never left pointing at freed memory. */
int asr_finish(struct asr_engine *e, struct asr_transcript **out);
/* Copies the engine's statistics since the last asr_start into *st;
 * DICTUM_NOTFOUND when the engine keeps none. */
int asr_stats(const struct asr_engine *e, struct asr_stats *st);
/* The last error's reason ("" when none); owned by the engine. */
const char *asr_engine_error(const struct asr_engine *e);

/* Whether the engine can produce word (lower case): 1 yes, 0 no, -1 when
 * the engine cannot tell (http). */
int asr_engine_knows(struct asr_engine *e, const char *word);

/* Transcribes a whole buffer: start, feed in 0.1 s pieces, finish. The
 * engine sees all of it first (sphinx: live CMN starts from its own mean
 * cepstrum, [asr.sphinx] cmn_prime). */
int asr_transcribe_pcm(struct asr_engine *e, const int16_t *pcm, size_t n,
                       struct asr_transcript **out);

/* The segments' text joined by single spaces into a malloc'ed string the
 * caller frees ("" when none); NULL when memory runs out. */
char *asr_transcript_text(const struct asr_transcript *t);
/* The confidence under which a word is marked uncertain: [asr]
 * low_confidence, default 0.5. */
double asr_low_confidence(const struct config *cfg);
void asr_transcript_free(struct asr_transcript **t);
void asr_partial_clear(struct asr_partial *p);

#endif
