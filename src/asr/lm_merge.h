#ifndef DICTUM_ASR_LM_MERGE_H
#define DICTUM_ASR_LM_MERGE_H

/* One language model from an interpolated set (static interpolation).
 *
 * The decoder asks the language model for a score at every word exit; an
 * ngram_model_set asks each of its models and adds the probabilities, about
 * 13% of decode CPU with two models. The merged model holds every n-gram of
 * any component with the set's own probability for it (equal within the
 * trie's 16-bit quantisation), and back-off weights computed again so that
 * each context's distribution sums to one; an n-gram no component holds
 * backs off as in any ARPA model (there the merged model and the set
 * differ, as in any static interpolation).
 *
 * The components are read from their trie binary files (sphinxbase's
 * "Trie Language Model" format, as en-us.lm.bin and the cached copies of
 * text models are): sphinxbase has no n-gram iterator for trie models and
 * cannot write the stock model as ARPA, so the file's trie is loaded with
 * sphinxbase's own reader and walked here. Every walk is checked against the
 * loaded model (each n-gram found must be found again, at its full order, by
 * ngram_ng_prob); on any mismatch the merge fails and the caller keeps the
 * set. */

#include <pocketsphinx.h>
#include <sphinxbase/ngram_model.h>

#include <stddef.h>

struct lm_merge_input {
	const char *bin;      /* the component's trie binary file */
	ngram_model_t *model; /* the same model, loaded (a component of the set) */
};

/* Writes the merged model of set (interpolating in[0..n-1]; lmath is the
 * decoder's) as ARPA text to arpa_path. Returns DICTUM_OK, DICTUM_INVAL (a component is not a trie
 * file or its walk does not match the loaded model), DICTUM_NOMEM or DICTUM_IO; err says why. */
int lm_merge_write_arpa(ngram_model_t *set, logmath_t *lmath, const struct lm_merge_input *in,
                        int n, const char *arpa_path, char *err, size_t errlen);

/* Reads arpa_path and writes it as a trie binary to bin_path (through a
 * temporary file and rename). Returns the model read (the caller frees it),
 * or NULL on failure. */
ngram_model_t *lm_merge_to_bin(cmd_ln_t *c, logmath_t *lmath, const char *arpa_path,
                               const char *bin_path);

#endif
