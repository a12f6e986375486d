/* The sphinx engine: silence and empty recordings give no words, a short
 * clip streams (text while speaking, final after a pause) with word times
 * inside the audio, the same in 20 ms pieces as in 0.1 s ones, with the CPU
 * counted by phase; a text language model is cached as a binary copy; live
 * CMN starts from a file's own mean and from the running mean of the last
 * recordings (cmn_prime, cmn_keep). The speech clips come from
 * ../shared/data/speech and those tests skip when it is absent. */
#include "testutil.h"

#include "asr/asr.h"
#include "asr/sphinx_params.h"
#include "asr/voice.h"
#include "core/lib.h"

#include <sndfile.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static struct asr_engine *engine;

static const char *speech_file(const char *name)
{
	static char path[4096];
	const char *dir = getenv("DICTUM_SPEECH_DATA");
	snprintf(path, sizeof(path), "%s/wav/%s",
	         dir && *dir ? dir : DICTUM_SOURCE_DATADIR "/../shared/data/speech", name);
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

/* The clip named from ../shared/data/speech, or the test is skipped with
 * a message when the data is absent. */
static int16_t *speech_or_skip(const char *name, size_t *n)
{
	const char *path = speech_file(name);
	int16_t *clip = read_clip(path, n);
	if (!clip) {
		fprintf(stderr, "skip: %s absent (set DICTUM_SPEECH_DATA)\n", path);
		skip();
	}
	return clip;
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
	int16_t *clip = speech_or_skip("1089-134686-0001.wav", &n);
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

/* The transcript of pcm by a sphinx engine with [asr.sphinx] utt_max. */
static struct asr_transcript *transcribe(const char *utt_max, const int16_t *pcm, size_t n)
{
	struct config cfg = {0};
	struct asr_engine *e = NULL;
	struct asr_transcript *t = NULL;
	char err[256] = "";
	assert_int_equal(config_set(&cfg, "asr.sphinx", "utt_max", utt_max), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "asr.sphinx", "cmn_keep", "no"), DICTUM_OK);
	assert_int_equal(asr_engine_create("sphinx", &cfg, &e, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(asr_start(e), DICTUM_OK);
	for (size_t at = 0; at < n; at += ASR_SAMPLE_RATE / 10) {
		size_t len = n - at < ASR_SAMPLE_RATE / 10 ? n - at : ASR_SAMPLE_RATE / 10;
		assert_int_equal(asr_feed(e, pcm + at, len), DICTUM_OK);
	}
	assert_int_equal(asr_finish(e, &t), DICTUM_OK);
	asr_engine_free(&e);
	config_free(&cfg);
	return t;
}

/* Ten seconds of read speech without a pause, with utt_max 3 s: broken into
 * utterances at word boundaries, in order, most of the 28 words of the
 * reference, none doubled at a break. */
static void test_long_speech_breaks(void **state)
{
	if (!engine)
		skip();
	size_t n = 0;
	int16_t *clip = speech_or_skip("1089-134686-0000.wav", &n);
	static const char *const ref[] = {
	    "he",     "hoped",   "there",  "would",    "be",    "stew",     "for",
	    "dinner", "turnips", "and",    "carrots",  "and",   "bruised",  "potatoes",
	    "and",    "fat",     "mutton", "pieces",   "to",    "be",       "ladled",
	    "out",    "in",      "thick",  "peppered", "flour", "fattened", "sauce"};
	struct asr_transcript *t = transcribe("3", clip, n);
	if (t->n_segments < 2)
		fail_msg("%zu utterance(s) in %.1f s of speech with utt_max 3", t->n_segments,
		         (double)n / ASR_SAMPLE_RATE);
	double at = 0;
	size_t found = 0;
	for (size_t i = 0; i < t->n_segments; i++) {
		const struct asr_segment *seg = &t->segments[i];
		assert_true(seg->n_words >= 1);
		for (size_t w = 0; w < seg->n_words; w++) {
			if (seg->words[w].start < at - 0.05)
				fail_msg("utterance %zu word %zu starts at %.2f s, before %.2f s",
				         i, w, seg->words[w].start, at);
			at = seg->words[w].end;
			for (size_t r = 0; r < sizeof(ref) / sizeof(ref[0]); r++)
				if (strcmp(seg->words[w].text, ref[r]) == 0) {
					found++;
					break;
				}
		}
		if (i > 0) {
			const struct asr_segment *prev = &t->segments[i - 1];
			assert_string_not_equal(prev->words[prev->n_words - 1].text,
			                        seg->words[0].text);
		}
	}
	assert_true(at <= (double)n / ASR_SAMPLE_RATE + 0.05);
	char *text = asr_transcript_text(t);
	assert_non_null(text);
	if (found * 10 < sizeof(ref) / sizeof(ref[0]) * 6)
		fail_msg("%zu of %zu reference words: \"%s\"", found, sizeof(ref) / sizeof(ref[0]),
		         text);
	free(text);
	asr_transcript_free(&t);
	free(clip);
}

/* Fed as the workstation feeds it (20 ms pieces, a partial after each), a
 * recording gives the same words as in 0.1 s pieces without partials; the
 * engine's CPU is counted by phase, from asr_start on, and the partial
 * hypothesis is searched at most every 0.2 s of audio. */
static void test_small_pieces_and_stats(void **state)
{
	if (!engine)
		skip();
	size_t n = 0;
	int16_t *clip = speech_or_skip("1089-134686-0000.wav", &n);
	/* the reference is streamed too: a whole file (asr_transcribe_pcm)
	 * starts from its own mean, a live recording does not */
	struct asr_transcript *whole = NULL, *t = NULL;
	assert_int_equal(asr_start(engine), DICTUM_OK);
	for (size_t at = 0, tenth = ASR_SAMPLE_RATE / 10; at < n; at += tenth)
		assert_int_equal(asr_feed(engine, clip + at, n - at < tenth ? n - at : tenth),
		                 DICTUM_OK);
	assert_int_equal(asr_finish(engine, &whole), DICTUM_OK);
	struct asr_stats st;
	assert_int_equal(asr_start(engine), DICTUM_OK);
	assert_int_equal(asr_stats(engine, &st), DICTUM_OK);
	assert_int_equal(st.calls[ASR_PHASE_FEED] + st.calls[ASR_PHASE_FINISH], 0);
	const size_t piece = ASR_SAMPLE_RATE / 50;
	unsigned partials = 0;
	for (size_t at = 0; at < n; at += piece) {
		assert_int_equal(asr_feed(engine, clip + at, n - at < piece ? n - at : piece),
		                 DICTUM_OK);
		struct asr_partial p;
		assert_int_equal(asr_partial(engine, &p), DICTUM_OK);
		asr_partial_clear(&p);
		partials++;
	}
	assert_int_equal(asr_finish(engine, &t), DICTUM_OK);
	char *a = asr_transcript_text(whole), *b = asr_transcript_text(t);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a[0]);
	assert_string_equal(a, b);
	assert_int_equal(asr_stats(engine, &st), DICTUM_OK);
	double audio = (double)n / ASR_SAMPLE_RATE;
	assert_int_equal(st.calls[ASR_PHASE_PARTIAL], partials);
	assert_int_equal(st.calls[ASR_PHASE_FINISH], 1);
	assert_true(st.cpu[ASR_PHASE_FEED] > 0 && st.cpu[ASR_PHASE_FINISH] > 0);
	if (st.hyps < 1 || st.hyps > (unsigned)(audio * 5) + 2 * t->n_segments + 2)
		fail_msg("%u hypotheses searched for %u partials over %.1f s", st.hyps, partials,
		         audio);
	assert_true(st.replayed_s >= 0 && st.replayed_s < audio);
	free(a);
	free(b);
	asr_transcript_free(&whole);
	asr_transcript_free(&t);
	free(clip);
}

/* Settings out of range are refused with the key named. */
static void test_bad_break_settings(void **state)
{
	if (!engine)
		skip();
	struct config cfg = {0};
	struct asr_engine *e = NULL;
	char err[256] = "";
	assert_int_equal(config_set(&cfg, "asr.sphinx", "utt_overlap", "0"), DICTUM_OK);
	assert_int_equal(asr_engine_create("sphinx", &cfg, &e, err, sizeof(err)), DICTUM_INVAL);
	assert_null(e);
	assert_non_null(strstr(err, "utt_overlap"));
	config_free(&cfg);
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

/* Writes a small ARPA model of n words (besides <s> and </s>). */
static void write_arpa(const char *path, int n)
{
	static const char *const words[] = {"patient", "denies", "chest", "pain", "period"};
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "\\data\\\nngram 1=%d\n\n\\1-grams:\n-1.0\t</s>\n-99\t<s>\t0\n", n + 2);
	for (int i = 0; i < n; i++)
		fprintf(f, "-1.0\t%s\t0\n", words[i]);
	fprintf(f, "\n\\end\\\n");
	assert_int_equal(fclose(f), 0);
}

/* The one cached binary copy in dir (its name into out); fails on none or
 * more than one. */
static void cached_copy(const char *dir, char *out, size_t size)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "ls '%s'", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), p)) {
		str_copy(out, str_trim(line), size);
		n++;
	}
	pclose(p);
	if (n != 1)
		fail_msg("%d files in %s, expected one cached model", n, dir);
	assert_non_null(strstr(out, ".lm.bin"));
}

/* Creates a sphinx engine from cfg and frees it; it must know word (when
 * not NULL). */
static void start_once(const struct config *cfg, const char *word)
{
	char err[256] = "";
	struct asr_engine *e = NULL;
	assert_int_equal(asr_engine_create("sphinx", cfg, &e, err, sizeof(err)), DICTUM_OK);
	if (word)
		assert_int_equal(asr_engine_knows(e, word), 1);
	asr_engine_free(&e);
}

/* The end of a cache test: DICTUM_DATA_DIR back as it was (old_env, freed),
 * cfg and the test's folder gone. */
static void end_cache_test(char *old_env, struct config *cfg, char *tmp)
{
	if (old_env) {
		setenv("DICTUM_DATA_DIR", old_env, 1);
		free(old_env);
	}
	config_free(cfg);
	test_rmtree(tmp);
	free(tmp);
}

/* A text dictation model is read through a binary copy in
 * DATA_DIR/asr/cache: made at the first start, used at the next, replaced
 * (the old one removed) when the text changes. */
static void test_lm_cache(void **state)
{
	if (!engine)
		skip();
	char *tmp = test_tmpdir();
	char lm[4200], data[4200], cache[4300], first[512], again[512], changed[512];
	snprintf(lm, sizeof(lm), "%s/tiny.lm", tmp);
	snprintf(data, sizeof(data), "%s/data", tmp);
	snprintf(cache, sizeof(cache), "%s/asr/cache", data);
	write_arpa(lm, 4);
	struct config cfg = {0};
	assert_int_equal(config_set(&cfg, "asr.sphinx", "domain_lm", lm), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "store", "data_dir", data), DICTUM_OK);
	/* the binary copy alone, whatever DICTUM_ASR_MERGE_LM says: the merged
	 * model has its own test */
	assert_int_equal(config_set(&cfg, "asr.sphinx", "merge_lm", "no"), DICTUM_OK);
	char *old_env = getenv("DICTUM_DATA_DIR") ? strdup(getenv("DICTUM_DATA_DIR")) : NULL;
	unsetenv("DICTUM_DATA_DIR");
	start_once(&cfg, NULL);
	cached_copy(cache, first, sizeof(first));
	char path[4900];
	snprintf(path, sizeof(path), "%s/%s", cache, first);
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	start_once(&cfg, "denies");
	cached_copy(cache, again, sizeof(again));
	assert_string_equal(first, again);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
	            st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
	write_arpa(lm, 5);
	start_once(&cfg, NULL);
	cached_copy(cache, changed, sizeof(changed));
	assert_string_not_equal(first, changed);
	end_cache_test(old_env, &cfg, tmp);
}

/* Counts the files of dir whose names start with prefix; the last one's
 * name into out. */
static int count_files(const char *dir, const char *prefix, char *out, size_t size)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			str_copy(out, e->d_name, size);
			n++;
		}
	if (d)
		closedir(d);
	return n;
}

/* With [asr.sphinx] merge_lm (the default outside the tests), the models
 * are merged into one at the first start and cached: the next start reads
 * the same file, a changed model gives a new one and the old one goes. Two
 * small models stand for the stock and the dictation ones (merging the stock
 * model takes tens of seconds). */
static void test_lm_merged_cache(void **state)
{
	if (!engine)
		skip();
	char *tmp = test_tmpdir();
	char stock[4200], lm[4200], data[4200], cache[4300], first[512], again[512], changed[512];
	snprintf(stock, sizeof(stock), "%s/stock.lm", tmp);
	snprintf(lm, sizeof(lm), "%s/tiny.lm", tmp);
	snprintf(data, sizeof(data), "%s/data", tmp);
	snprintf(cache, sizeof(cache), "%s/asr/cache", data);
	write_arpa(stock, 5);
	write_arpa(lm, 3);
	struct config cfg = {0};
	assert_int_equal(config_set(&cfg, "asr.sphinx", "lm", stock), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "asr.sphinx", "domain_lm", lm), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "asr.sphinx", "merge_lm", "yes"), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "store", "data_dir", data), DICTUM_OK);
	char *old_env = getenv("DICTUM_DATA_DIR") ? strdup(getenv("DICTUM_DATA_DIR")) : NULL;
	unsetenv("DICTUM_DATA_DIR");
	start_once(&cfg, "pain");
	assert_int_equal(count_files(cache, "merged-", first, sizeof(first)), 1);
	char path[4900];
	snprintf(path, sizeof(path), "%s/%s", cache, first);
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	start_once(&cfg, NULL);
	assert_int_equal(count_files(cache, "merged-", again, sizeof(again)), 1);
	assert_string_equal(first, again);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
	            st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
	/* Another weight is another model. */
	assert_int_equal(config_set(&cfg, "asr.sphinx", "domain_weight", "0.4"), DICTUM_OK);
	start_once(&cfg, NULL);
	assert_int_equal(count_files(cache, "merged-", changed, sizeof(changed)), 1);
	assert_string_not_equal(first, changed);
	/* A changed model too. */
	write_arpa(lm, 4);
	start_once(&cfg, "pain");
	assert_int_equal(count_files(cache, "merged-", again, sizeof(again)), 1);
	assert_string_not_equal(again, changed);
	end_cache_test(old_env, &cfg, tmp);
}

/* Word errors (substitutions, insertions, deletions) of t against ref. */
static size_t word_errors(const struct asr_transcript *t, const char *const *ref, size_t nref)
{
	size_t row[64], n = 0;
	const char *hyp[64];
	for (size_t i = 0; i < t->n_segments; i++)
		for (size_t w = 0; w < t->segments[i].n_words && n < 64; w++)
			hyp[n++] = t->segments[i].words[w].text;
	assert_true(nref < 64);
	for (size_t j = 0; j <= n; j++)
		row[j] = j;
	for (size_t i = 1; i <= nref; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= n; j++) {
			size_t up = row[j];
			size_t best = diag + (strcmp(ref[i - 1], hyp[j - 1]) != 0);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[n];
}

/* Streams pcm through e as a live recording (no look-ahead) and returns the
 * transcript's word errors against ref. */
static size_t stream_words(struct asr_engine *e, const int16_t *pcm, size_t n,
                           const char *const *ref, size_t nref)
{
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_start(e), DICTUM_OK);
	for (size_t at = 0; at < n; at += ASR_SAMPLE_RATE / 10) {
		size_t len = n - at < ASR_SAMPLE_RATE / 10 ? n - at : ASR_SAMPLE_RATE / 10;
		assert_int_equal(asr_feed(e, pcm + at, len), DICTUM_OK);
	}
	assert_int_equal(asr_finish(e, &t), DICTUM_OK);
	size_t errors = word_errors(t, ref, nref);
	asr_transcript_free(&t);
	return errors;
}

/* LJ001-0004 and its words. */
static const char *const lj4_ref[] = {"produced", "the",  "block",     "books",        "which",
                                      "were",     "the",  "immediate", "predecessors", "of",
                                      "the",      "true", "printed",   "book"};
#define LJ4_WORDS (sizeof(lj4_ref) / sizeof(lj4_ref[0]))

/* cmn_keep: a live recording of a voice far from the model's mean (LJ's c0
 * about 58 against the model's 41) leaves DATA_DIR/asr/cmn_mean near the
 * voice's mean, and the next recording starts from it: fewer word errors on
 * another sentence of the same voice than its first recording made from
 * the model's mean (which a whole file, starting from its own mean, beats
 * too). Silence and cmn_keep = no leave the file alone. */
static void test_running_mean(void **state)
{
	if (!engine)
		skip();
	size_t na = 0, nb = 0;
	int16_t *a = read_clip(speech_file("LJ001-0001.wav"), &na);
	int16_t *b = read_clip(speech_file("LJ001-0004.wav"), &nb);
	if (!a || !b) {
		fprintf(stderr, "skip: speech data absent (set DICTUM_SPEECH_DATA)\n");
		free(a);
		free(b);
		skip();
	}
	char *tmp = test_tmpdir();
	char data[4200], mean_file[4300];
	snprintf(data, sizeof(data), "%s/data", tmp);
	snprintf(mean_file, sizeof(mean_file), "%s/asr/cmn_mean", data);
	struct config cfg = {0};
	assert_int_equal(config_set(&cfg, "store", "data_dir", data), DICTUM_OK);
	assert_int_equal(config_set(&cfg, "asr.sphinx", "cmn_keep", "no"), DICTUM_OK);
	char *old_env = getenv("DICTUM_DATA_DIR") ? strdup(getenv("DICTUM_DATA_DIR")) : NULL;
	unsetenv("DICTUM_DATA_DIR");
	char err[256] = "";
	struct asr_engine *e = NULL;

	/* cmn_keep = no: the first recording of b, from the model's mean, and
	 * no file. */
	assert_int_equal(asr_engine_create("sphinx", &cfg, &e, err, sizeof(err)), DICTUM_OK);
	size_t cold = stream_words(e, b, nb, lj4_ref, LJ4_WORDS);
	assert_false(path_exists(mean_file));
	/* The same audio as a whole buffer (asr_transcribe_pcm) starts from its
	 * own mean: fewer errors. */
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(e, b, nb, &t), DICTUM_OK);
	size_t whole = word_errors(t, lj4_ref, LJ4_WORDS);
	asr_transcript_free(&t);
	if (whole >= cold)
		fail_msg("%zu word errors of %zu from the file's mean, %zu live from the model's",
		         whole, LJ4_WORDS, cold);
	asr_engine_free(&e);

	assert_int_equal(config_set(&cfg, "asr.sphinx", "cmn_keep", "yes"), DICTUM_OK);
	assert_int_equal(asr_engine_create("sphinx", &cfg, &e, err, sizeof(err)), DICTUM_OK);
	/* Two seconds of silence: no file. */
	int16_t *quiet = calloc(2 * ASR_SAMPLE_RATE, sizeof(*quiet));
	assert_non_null(quiet);
	stream_words(e, quiet, 2 * ASR_SAMPLE_RATE, lj4_ref, LJ4_WORDS);
	assert_false(path_exists(mean_file));
	/* A recording of a: the file holds about LJ's mean. */
	stream_words(e, a, na, lj4_ref, LJ4_WORDS);
	float mean[13], after[13];
	assert_true(asr_mean_read(mean_file, mean, 13));
	if (mean[0] < 50 || mean[0] > 66)
		fail_msg("running mean c0 %.1f after LJ001-0011, expected about 58",
		         (double)mean[0]);
	/* Silence leaves it as it was. */
	stream_words(e, quiet, 2 * ASR_SAMPLE_RATE, lj4_ref, LJ4_WORDS);
	assert_true(asr_mean_read(mean_file, after, 13));
	assert_memory_equal(mean, after, sizeof(mean));
	/* The next recording of b starts from it. */
	size_t warm = stream_words(e, b, nb, lj4_ref, LJ4_WORDS);
	if (warm >= cold)
		fail_msg(
		    "%zu word errors of %zu after the first recording, %zu from the model's mean",
		    warm, LJ4_WORDS, cold);
	/* ... and moves it on. */
	assert_true(asr_mean_read(mean_file, after, 13));
	assert_memory_not_equal(mean, after, sizeof(mean));
	asr_engine_free(&e);
	if (old_env) {
		setenv("DICTUM_DATA_DIR", old_env, 1);
		free(old_env);
	}
	config_free(&cfg);
	free(quiet);
	free(a);
	free(b);
	test_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_engine),
	    cmocka_unit_test(test_not_started),
	    cmocka_unit_test(test_empty_recording),
	    cmocka_unit_test(test_silence),
	    cmocka_unit_test(test_clip_streams),
	    cmocka_unit_test(test_long_speech_breaks),
	    cmocka_unit_test(test_bad_break_settings),
	    cmocka_unit_test(test_medical_words_known),
	    cmocka_unit_test(test_lm_cache),
	    cmocka_unit_test(test_lm_merged_cache),
	    cmocka_unit_test(test_small_pieces_and_stats),
	    cmocka_unit_test(test_running_mean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
