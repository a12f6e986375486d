/* The merged language model (asr/lm_merge.h): two small trigram models
 * interpolated by an ngram_model_set, merged into one. Every n-gram of
 * either model scores the same in the merged model as in the set, each
 * history's distribution in the merged model sums to one, and a component
 * that is not a trie file makes the merge fail (the engine then keeps the
 * set). */
#include "testutil.h"

#include "asr/lm_merge.h"
#include "core/lib.h"

#include <math.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>
#include <unistd.h>

/* Two small models (log10 probabilities; the unigrams of each sum to one):
 * they share "<s> patient" and "patient denies" and differ elsewhere. */
static const char MODEL_A[] = "\\data\\\n"
                              "ngram 1=7\n"
                              "ngram 2=7\n"
                              "ngram 3=3\n"
                              "\n"
                              "\\1-grams:\n"
                              "-0.69897\t</s>\n"
                              "-99\t<s>\t-0.30\n"
                              "-0.69897\tpatient\t-0.25\n"
                              "-0.823909\tdenies\t-0.20\n"
                              "-0.823909\tchest\t-0.15\n"
                              "-1.0\tpain\t-0.10\n"
                              "-0.69897\tthe\t-0.35\n"
                              "\n"
                              "\\2-grams:\n"
                              "-0.4\t<s> patient\t-0.1\n"
                              "-0.5\t<s> the\t-0.1\n"
                              "-0.3\tpatient denies\t-0.05\n"
                              "-0.6\tdenies chest\t-0.05\n"
                              "-0.2\tchest pain\t-0.05\n"
                              "-0.3\tpain </s>\n"
                              "-0.5\tthe patient\t-0.05\n"
                              "\n"
                              "\\3-grams:\n"
                              "-0.2\t<s> patient denies\n"
                              "-0.3\tpatient denies chest\n"
                              "-0.1\tdenies chest pain\n"
                              "\n"
                              "\\end\\\n";

static const char MODEL_B[] = "\\data\\\n"
                              "ngram 1=7\n"
                              "ngram 2=6\n"
                              "ngram 3=2\n"
                              "\n"
                              "\\1-grams:\n"
                              "-0.69897\t</s>\n"
                              "-99\t<s>\t-0.30\n"
                              "-0.69897\tpatient\t-0.25\n"
                              "-0.69897\tdenies\t-0.20\n"
                              "-0.823909\tdyspnea\t-0.15\n"
                              "-0.823909\tperiod\t-0.10\n"
                              "-1.0\tmetformin\t-0.2\n"
                              "\n"
                              "\\2-grams:\n"
                              "-0.4\t<s> patient\t-0.1\n"
                              "-0.3\tpatient denies\t-0.05\n"
                              "-0.4\tdenies dyspnea\t-0.05\n"
                              "-0.2\tdyspnea period\t-0.05\n"
                              "-0.2\tperiod </s>\n"
                              "-0.6\t<s> metformin\n"
                              "\n"
                              "\\3-grams:\n"
                              "-0.1\tpatient denies dyspnea\n"
                              "-0.2\tdenies dyspnea period\n"
                              "\n"
                              "\\end\\\n";

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Reads an ARPA text and writes it as the trie binary bin; returns the
 * model read back from bin. */
static ngram_model_t *trie_model(const char *arpa, const char *bin, logmath_t *lmath)
{
	ngram_model_t *lm = ngram_model_read(NULL, arpa, NGRAM_ARPA, lmath);
	assert_non_null(lm);
	assert_true(ngram_model_write(lm, bin, NGRAM_BIN) >= 0);
	ngram_model_free(lm);
	lm = ngram_model_read(NULL, bin, NGRAM_BIN, lmath);
	assert_non_null(lm);
	return lm;
}

/* P(words[n-1] | words[0..n-2]) in a model, logmath units. */
static int32 prob(ngram_model_t *lm, const char *const *words, int n)
{
	int32 hist[2], used;
	for (int i = 0; i < n - 1; i++)
		hist[i] = ngram_wid(lm, words[n - 2 - i]);
	return ngram_ng_prob(lm, ngram_wid(lm, words[n - 1]), hist, n - 1, &used);
}

/* Every n-gram line of an ARPA text, scored by the set and the merged model. */
static void same_scores(const char *text, ngram_model_t *set, ngram_model_t *merged,
                        logmath_t *lmath, int *checked)
{
	int order = 0;
	char line[128];
	for (const char *at = text; *at; at += strcspn(at, "\n") + 1) {
		size_t len = strcspn(at, "\n");
		str_copy(line, at, len + 1 < sizeof(line) ? len + 1 : sizeof(line));
		if (sscanf(line, "\\%d-grams:", &order) == 1 || !strchr(line, '\t'))
			continue;
		char buf[128];
		str_copy(buf, strchr(line, '\t') + 1, sizeof(buf));
		char *tab = strchr(buf, '\t');
		if (tab)
			*tab = '\0';
		const char *words[3];
		int n = 0;
		for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && n < 3;
		     w = strtok_r(NULL, " ", &save))
			words[n++] = w;
		assert_int_equal(n, order);
		if (strcmp(words[n - 1], "<s>") == 0)
			continue;
		double a = logmath_log_to_log10(lmath, prob(set, words, n));
		double b = logmath_log_to_log10(lmath, prob(merged, words, n));
		if (fabs(a - b) > 0.0001) /* two logmath units */
			fail_msg("'%s': set %.5f, merged %.5f", line, a, b);
		(*checked)++;
	}
}

static void test_merge(void **state)
{
	(void)state;
	err_set_logfp(NULL);
	char *tmp = test_tmpdir();
	char arpa[2][4200], bin[2][4200], out[4200], outbin[4200], err[256] = "";
	logmath_t *lmath = logmath_init(1.0001, 0, 0);
	ngram_model_t *models[2];
	for (int i = 0; i < 2; i++) {
		snprintf(arpa[i], sizeof(arpa[i]), "%s/m%d.lm", tmp, i);
		snprintf(bin[i], sizeof(bin[i]), "%s/m%d.lm.bin", tmp, i);
		write_text(arpa[i], i ? MODEL_B : MODEL_A);
		models[i] = trie_model(arpa[i], bin[i], lmath);
	}
	char *names[2] = {"a", "b"};
	float32 weights[2] = {0.6f, 0.4f};
	ngram_model_t *set = ngram_model_set_init(NULL, models, names, weights, 2);
	assert_non_null(set);
	struct lm_merge_input in[2] = {{bin[0], models[0]}, {bin[1], models[1]}};
	snprintf(out, sizeof(out), "%s/merged.arpa", tmp);
	snprintf(outbin, sizeof(outbin), "%s/merged.lm.bin", tmp);
	assert_int_equal(lm_merge_write_arpa(set, lmath, in, 2, out, err, sizeof(err)), DICTUM_OK);
	ngram_model_t *m = lm_merge_to_bin(NULL, lmath, out, outbin);
	assert_non_null(m);
	ngram_model_free(m);
	m = ngram_model_read(NULL, outbin, NGRAM_BIN, lmath);
	assert_non_null(m);
	const uint32 *counts = ngram_model_get_counts(m);
	assert_int_equal(counts[0], 10); /* the union of the words */
	assert_int_equal(counts[1], 11); /* "<s> patient", "patient denies" shared */
	assert_int_equal(counts[2], 5);
	int checked = 0;
	same_scores(MODEL_A, set, m, lmath, &checked);
	same_scores(MODEL_B, set, m, lmath, &checked);
	assert_int_equal(checked, 6 + 7 + 3 + 6 + 6 + 2);
	/* Each history's distribution sums to one, explicit or backed off. */
	static const char *const hists[][2] = {{"patient", NULL},     {"denies", NULL},
	                                       {"patient", "denies"}, {"denies", "dyspnea"},
	                                       {"<s>", NULL},         {"<s>", "patient"}};
	for (size_t h = 0; h < sizeof(hists) / sizeof(hists[0]); h++) {
		double sum = 0;
		for (int32 w = 0; w < (int32)counts[0]; w++) {
			if (strcmp(ngram_word(m, w), "<s>") == 0)
				continue;
			const char *words[3] = {hists[h][0], hists[h][1], ngram_word(m, w)};
			int n = hists[h][1] ? 3 : 2;
			if (n == 2)
				words[1] = words[2];
			sum += logmath_exp(lmath, prob(m, words, n));
		}
		if (fabs(sum - 1) > 0.01)
			fail_msg("history %s %s sums to %.4f", hists[h][0],
			         hists[h][1] ? hists[h][1] : "", sum);
	}
	ngram_model_free(m);
	/* A component that is not a trie file: the merge fails, nothing crashes. */
	in[1].bin = arpa[1];
	err[0] = '\0';
	assert_int_equal(lm_merge_write_arpa(set, lmath, in, 2, out, err, sizeof(err)),
	                 DICTUM_INVAL);
	assert_true(err[0] != '\0');
	ngram_model_free(set);
	for (int i = 0; i < 2; i++)
		ngram_model_free(models[i]);
	logmath_free(lmath);
	test_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_merge)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
