#ifndef DICTUM_ASR_VOICE_H
#define DICTUM_ASR_VOICE_H

/* The voice profile (`dictum asr enroll`): an MLLR transform of the
 * acoustic model's means, estimated from sentences the clinician read, that
 * the sphinx engine loads from then on.
 *
 * Enrolment calls Debian's tools as subprocesses: sphinx_fe
 * (sphinxbase-utils) for the features, pocketsphinx_mdef_convert for a text
 * model definition, and sphinxtrain's bw (Baum-Welch statistics over the
 * known transcripts) and mllr_solve (one global transform). The Debian
 * en-us model ships its mixture weights only in PocketSphinx's compressed
 * form (sendump); bw needs them as a Sphinx-3 mixture weight file, which we
 * write from the sendump ourselves.
 *
 * With [asr] voice_map = yes (the default) the transformed means are then
 * moved further by MAP (sphinxtrain's mllr_transform and map_adapt) and
 * the profile holds the adapted means; with no, only the transform.
 *
 * The profile is the folder DATA_DIR/asr/voice holding mllr_matrix, means
 * (with MAP), cmninit (the mean cepstrum of the enrolment audio, where the
 * engine's live cepstral mean normalisation starts) and profile.json (what it was made from, and
 * the average log-likelihood per frame of the enrolment audio before and after the transform). It
 * is built in a temporary folder beside it and renamed into place: a failure or a crash never
 * leaves a half-made profile where the engine looks.
 *
 * Config: [asr] voice_profile = on (default) | off | FOLDER; voice_map;
 * [asr] sphinxtrain = folder of bw and mllr_solve (/usr/lib/sphinxtrain). */

#include "core/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The profile folder, under the data directory. */
#define ASR_VOICE_DIR "asr/voice"

/* What the engine loads: sets buf to the profile's file and returns the
 * PocketSphinx flag that loads it ("-mean" for adapted means, "-mllr" for
 * a transform alone); NULL when cfg is NULL, [asr] voice_profile is off or
 * there is no profile. */
const char *asr_voice_load(const struct config *cfg, char *buf, size_t size);

/* The speaker's mean cepstrum in the profile folder (text, comma-separated
 * as the model's feat.params -cmninit). */
#define ASR_VOICE_CMNINIT "cmninit"

/* Fills mean[0..n) with the profile's mean cepstrum, the live cepstral
 * mean normalisation's starting point for this voice; false when there is
 * no profile in use, it has none (made before it was kept) or it does not
 * hold n numbers. */
bool asr_voice_cmninit(const struct config *cfg, float *mean, size_t n);

/* A mean cepstrum file (one line of n comma-separated numbers): reads it
 * into mean[0..n), false when it is missing or does not hold n finite
 * numbers; writes it atomically (mode 0600), DICTUM_OK or DICTUM_IO. */
bool asr_mean_read(const char *path, float *mean, size_t n);
int asr_mean_write(const char *path, const double *mean, size_t n);

/* One enrolment sentence: 16 kHz mono PCM and the words read. */
struct asr_voice_utt {
	const char *name; /* for messages; may be NULL */
	const int16_t *pcm;
	size_t n;
	const char *text;
};

struct asr_voice_report {
	char dir[1300];                     /* where the profile went */
	size_t used;                        /* sentences adapted on */
	size_t skipped;                     /* sentences left out (a word with no pronunciation) */
	char skipped_why[256];              /* the first reason, "" when none */
	double seconds;                     /* audio used */
	long frames;                        /* feature frames bw aligned */
	bool map;                           /* MAP of the means on top of the transform */
	double loglik_before, loglik_after; /* per frame, enrolment audio */
	double loglik_mllr;                 /* after the transform alone (with map) */
};

/* Estimates a profile from utts and puts it in DATA_DIR/asr/voice,
 * replacing the one there. Sentences with a word the dictionaries lack are
 * left out (counted in rep). Returns DICTUM_OK; DICTUM_NOTFOUND when a tool
 * or the model is missing, DICTUM_INVAL when no sentence is usable,
 * DICTUM_IO when a tool fails or a file cannot be written, DICTUM_NOMEM;
 * err says why in one line. On failure the old profile, if any, is kept
 * and nothing else is left behind. */
int asr_voice_enroll(const struct config *cfg, const char *data_dir,
                     const struct asr_voice_utt *utts, size_t n, struct asr_voice_report *rep,
                     char *err, size_t errlen);

/* Removes DATA_DIR/asr/voice. Sets *removed to whether there was one.
 * Returns DICTUM_OK or DICTUM_IO. */
int asr_voice_remove(const char *data_dir, bool *removed);

/* The words of text as the dictionaries spell them (lower case, letters,
 * digits and in-word apostrophes; hyphens split words), separated by single
 * spaces, into a malloc'ed string; NULL when memory runs out. For tests. */
char *asr_voice_words(const char *text);

/* Writes PocketSphinx's compressed mixture weights (sendump) as a
 * Sphinx-3 mixture weight file, normalised. Returns DICTUM_OK,
 * DICTUM_NOTFOUND, DICTUM_UNSUPPORTED (a clustered sendump), DICTUM_INVAL
 * (not a sendump), DICTUM_IO or DICTUM_NOMEM; err says why. */
int asr_voice_sendump_to_mixw(const char *sendump, const char *out, char *err, size_t errlen);

#endif
