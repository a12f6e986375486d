/* The user language model builder (dictum asr adapt): written text becomes
 * dictation words, and the Kneser-Ney model it writes is a proper ARPA
 * model PocketSphinx reads, whose every history's distribution sums to one
 * and which prefers the user's phrases. */
#include "testutil.h"

#include "asr/lm_build.h"
#include "core/lib.h"

#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/ngram_model.h>
#include <unistd.h>

static void test_spoken_line(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"Lisinopril 40 mg daily.", "lisinopril forty milligrams daily period"},
	    {"# Assessment and Plan", "assessment and plan colon"},
	    {"BP 120/80, HR 72.", "bp one hundred twenty over eighty comma hr seventy two period"},
	    {"Warfarin 2.5mg; INR 2.1", "warfarin two point five milligrams semicolon inr two point one"},
	    {"Sat 98% on 1,500 mcg", "sat ninety eight percent on one comma five hundred micrograms"},
	    {"Patient's knee: stable!", "patient's knee colon stable exclamation point"},
	    {"  ", ""},
	    {"1999", "one thousand nine hundred ninety nine"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = lm_build_spoken_line(cases[i].in, strlen(cases[i].in));
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static const char *CORPUS = "# Plan\n"
                            "Start lisinopril 10 mg daily.\n"
                            "Continue lisinopril.\n"
                            "\n"
                            "Zorblax tango fixes the knee.\n"
                            "The knee is stable, the hip is stable.\n"
                            "Plan: recheck in 2 weeks.\n";

static int count_word(const char *w, void *ctx)
{
	size_t *n = ctx;
	(*n)++;
	return strcmp(w, "zorblax") == 0 ? 1 : 0; /* stops at zorblax */
}

static void test_model(void **state)
{
	(void)state;
	struct lm_build *b = lm_build_new();
	assert_non_null(b);
	char path[4096], err[256] = "";
	snprintf(path, sizeof(path), "%s/test_lm_build-%d.lm", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
	         (int)getpid());
	struct lm_build_stats st;
	assert_int_equal(lm_build_write(b, path, &st, err, sizeof(err)), DICTUM_INVAL);
	assert_int_equal(lm_build_add_text(b, CORPUS), DICTUM_OK);
	size_t seen = 0;
	lm_build_each_word(b, count_word, &seen);
	assert_true(seen > 3);
	assert_int_equal(lm_build_write(b, path, &st, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(st.sentences, 6);
	assert_true(st.ngrams[2] > 10);

	err_set_logfp(NULL);
	logmath_t *lmath = logmath_init(1.0001, 0, 0);
	ngram_model_t *lm = ngram_model_read(NULL, path, NGRAM_ARPA, lmath);
	assert_non_null(lm);
	int32 nvocab = (int32)ngram_model_get_counts(lm)[0];
	assert_int_equal((size_t)nvocab, st.vocab);
	/* Every history's distribution sums to one, back-off included. */
	static const char *const hists[][2] = {
	    {NULL, NULL},     {"the", NULL},   {"<s>", NULL},       {"knee", "the"},
	    {"is", "knee"},   {"tango", NULL}, {"stable", "is"},    {"lisinopril", "start"},
	    {"period", NULL}, {"hip", "the"},  {"zorblax", "<s>"},
	};
	int32 n_used;
	for (size_t h = 0; h < sizeof(hists) / sizeof(hists[0]); h++) {
		int32 hist[2];
		int32 nh = 0;
		for (int k = 0; k < 2 && hists[h][k]; k++)
			hist[nh++] = ngram_wid(lm, hists[h][k]);
		double total = 0;
		for (int32 w = 0; w < nvocab; w++) {
			if (strcmp(ngram_word(lm, w), "<s>") == 0)
				continue;
			total += logmath_exp(lmath, ngram_ng_prob(lm, w, hist, nh, &n_used));
		}
		if (!(total > 0.99 && total < 1.01))
			fail_msg("history %zu sums to %f", h, total);
	}
	/* The user's phrase is likelier than the same words in another order. */
	int32 h1[2] = {ngram_wid(lm, "zorblax"), ngram_wid(lm, "<s>")};
	int32 h2[2] = {ngram_wid(lm, "knee"), ngram_wid(lm, "the")};
	int32 tango = ngram_wid(lm, "tango");
	assert_true(ngram_ng_prob(lm, tango, h1, 2, &n_used) > ngram_ng_prob(lm, tango, h2, 2, &n_used));
	assert_int_equal(n_used, 1);
	ngram_model_free(lm);
	logmath_free(lmath);
	unlink(path);
	lm_build_free(&b);
	assert_null(b);
	lm_build_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spoken_line),
	    cmocka_unit_test(test_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
