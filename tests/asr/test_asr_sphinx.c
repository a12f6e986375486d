/* The sphinx engine: silence and empty recordings give no words, a short
 * clip streams (text while speaking, final after a pause) with word times
 * inside the audio. The speech clip comes from ../shared/data/speech and
 * those tests skip when it is absent. */
#include "testutil.h"

#include "asr/asr.h"
#include "asr/sphinx_params.h"
#include "core/lib.h"

#include <sndfile.h>

static struct asr_engine *engine;

static const char *speech_clip(void)
{
	static char path[4096];
	const char *dir = getenv("DICTUM_SPEECH_DATA");
	snprintf(path, sizeof(path), "%s/wav/1089-134686-0001.wav",
	         dir && *dir ? dir : DICTUM_SOURCE_DATADIR "/../shared/data/speech");
	return path;
}

static int16_t *read_clip(const char *path, size_t *n)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f)
		return NULL;
	assert_int_equal(info.samplerate, ASR_SAMPLE_RATE);
	assert_int_equal(info.channels, 1);
	int16_t *pcm = malloc((size_t)info.frames * sizeof(*pcm));
	assert_non_null(pcm);
	*n = (size_t)sf_readf_short(f, pcm, info.frames);
	sf_close(f);
	return pcm;
}

static int setup(void **state)
{
	char err[256] = "";
	if (!path_exists(asr_sphinx_param(NULL, "hmm"))) {
		fprintf(stderr,
		        "skip: no PocketSphinx model (apt-get install pocketsphinx-en-us)\n");
		return 0;
	}
	int rc = asr_engine_create("sphinx", NULL, &engine, err, sizeof(err));
	if (rc != DICTUM_OK)
		fprintf(stderr, "engine: %s\n", err);
	assert_int_equal(rc, DICTUM_OK);
	return 0;
}

static int teardown(void **state)
{
	asr_engine_free(&engine);
	assert_null(engine);
	return 0;
}

static void test_unknown_engine(void **state)
{
	struct asr_engine *e = NULL;
	char err[256] = "";
	assert_int_equal(asr_engine_create("nope", NULL, &e, err, sizeof(err)), DICTUM_NOTFOUND);
	assert_null(e);
	assert_non_null(strstr(err, "nope"));
}

static void test_not_started(void **state)
{
	if (!engine)
		skip();
	struct asr_transcript *t = NULL;
	int16_t pcm[10] = {0};
	struct asr_engine *none = NULL;
	asr_engine_free(&none);
	asr_engine_free(NULL);
	assert_int_equal(asr_finish(engine, &t), DICTUM_INVAL);
	assert_int_equal(asr_feed(engine, pcm, 10), DICTUM_INVAL);
}

static void test_empty_recording(void **state)
{
	if (!engine)
		skip();
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_start(engine), DICTUM_OK);
	assert_int_equal(asr_finish(engine, &t), DICTUM_OK);
	assert_non_null(t);
	assert_int_equal(t->n_segments, 0);
	assert_true(t->duration == 0);
	char *text = asr_transcript_text(t);
	assert_string_equal(text, "");
	free(text);
	asr_transcript_free(&t);
}

static void test_silence(void **state)
{
	if (!engine)
		skip();
	/* Digital silence, then very quiet noise: neither is speech. */
	size_t n = 4 * ASR_SAMPLE_RATE;
	int16_t *pcm = calloc(n, sizeof(*pcm));
	assert_non_null(pcm);
	srand(7);
	for (size_t i = n / 2; i < n; i++)
		pcm[i] = (int16_t)(rand() % 21 - 10);
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(engine, pcm, n, &t), DICTUM_OK);
	assert_int_equal(t->n_segments, 0);
	assert_true(t->duration > 3.99 && t->duration < 4.01);
	asr_transcript_free(&t);
	free(pcm);
}

static void test_clip_streams(void **state)
{
	if (!engine)
		skip();
	size_t n = 0;
	int16_t *clip = read_clip(speech_clip(), &n);
	if (!clip) {
		fprintf(stderr, "skip: %s absent (set DICTUM_SPEECH_DATA)\n", speech_clip());
		skip();
	}
	assert_int_equal(asr_start(engine), DICTUM_OK);
	bool pending_seen = false;
	const size_t piece = ASR_SAMPLE_RATE / 10;
	for (size_t at = 0; at < n; at += piece) {
		assert_int_equal(asr_feed(engine, clip + at, n - at < piece ? n - at : piece),
		                 DICTUM_OK);
		struct asr_partial p;
		assert_int_equal(asr_partial(engine, &p), DICTUM_OK);
		if (p.pending[0])
			pending_seen = true;
		asr_partial_clear(&p);
	}
	assert_true(pending_seen);
	/* One second of silence after the last word closes the segment. */
	int16_t *quiet = calloc(ASR_SAMPLE_RATE, sizeof(*quiet));
	assert_non_null(quiet);
	assert_int_equal(asr_feed(engine, quiet, ASR_SAMPLE_RATE), DICTUM_OK);
	struct asr_partial p;
	assert_int_equal(asr_partial(engine, &p), DICTUM_OK);
	assert_true(p.n_final >= 1);
	if (!strstr(p.final, "belly"))
		fail_msg("final text after a pause: \"%s\" pending \"%s\"", p.final, p.pending);
	asr_partial_clear(&p);

	struct asr_transcript *t = NULL;
	assert_int_equal(asr_finish(engine, &t), DICTUM_OK);
	assert_true(t->n_segments >= 1);
	double total = (double)(n + ASR_SAMPLE_RATE) / ASR_SAMPLE_RATE;
	assert_true(t->duration > total - 0.01 && t->duration < total + 0.01);
	for (size_t i = 0; i < t->n_segments; i++) {
		const struct asr_segment *s = &t->segments[i];
		if (!(s->start >= 0 && s->start <= s->end && s->end <= total + 0.05))
			fail_msg("segment %zu at %.3f..%.3f of %.3f s", i, s->start, s->end, total);
		assert_true(s->confidence >= 0 && s->confidence <= 1);
		assert_true(s->n_words >= 1);
		for (size_t w = 0; w < s->n_words; w++) {
			assert_true(s->words[w].start >= s->start - 0.01);
			assert_true(s->words[w].end <= s->end + 0.01);
			assert_true(s->words[w].confidence >= 0 && s->words[w].confidence <= 1);
			assert_true(s->words[w].text[0] != '<' && s->words[w].text[0] != '[');
			assert_null(strchr(s->words[w].text, '('));
		}
	}
	/* The words lie in the clip, not in the silence after it. */
	const struct asr_segment *last = &t->segments[t->n_segments - 1];
	assert_true(last->end < (double)n / ASR_SAMPLE_RATE + 0.3);
	asr_transcript_free(&t);
	free(quiet);
	free(clip);
}

static void test_medical_words_known(void **state)
{
	if (!engine)
		skip();
	/* Missing from the stock dictionary; the medical lexicon adds them. */
	const char *words[] = {"metformin",   "lisinopril",   "echocardiogram", "auscultation",
	                       "gabapentin",  "atorvastatin", "hyperlipidemia", "meloxicam",
	                       "colonoscopy", "palpation"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (asr_engine_knows(engine, words[i]) != 1)
			fail_msg("'%s' is not in the recogniser's dictionary", words[i]);
	}
	assert_int_equal(asr_engine_knows(engine, "zzqxj"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_engine),  cmocka_unit_test(test_not_started),
	    cmocka_unit_test(test_empty_recording), cmocka_unit_test(test_silence),
	    cmocka_unit_test(test_clip_streams),    cmocka_unit_test(test_medical_words_known),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
