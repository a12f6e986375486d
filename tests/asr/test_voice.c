/* The voice profile's own parts (asr/voice.c): the words of an enrolment
 * sentence as the dictionaries spell them, the Debian model's compressed
 * mixture weights written as the Sphinx-3 file bw reads (every senone's
 * weights sum to one, and match the bytes they came from), refusals of
 * broken input, and where the engine finds the profile. */
#include "testutil.h"

#include "asr/voice.h"
#include "core/lib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SENDUMP "/usr/share/pocketsphinx/model/en-us/en-us/sendump"

static void test_words(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"The patient's X-ray, clear.", "the patient's x ray clear"},
	    {"  Blood  pressure: 120 ", "blood pressure 120"},
	    {"neighbors' voices", "neighbors voices"},
	    {"'quoted' words", "quoted words"},
	    {"", ""},
	    {"...", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *w = asr_voice_words(cases[i].in);
		assert_non_null(w);
		assert_string_equal(w, cases[i].out);
		free(w);
	}
}

static void tmp_path(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, size, "%s/test_voice_%d_%s", dir && *dir ? dir : "/tmp", (int)getpid(), name);
}

static void test_sendump(void **state)
{
	(void)state;
	if (!path_exists(SENDUMP))
		skip();
	char out[512], err[512] = "";
	tmp_path(out, sizeof(out), "mixw");
	assert_int_equal(asr_voice_sendump_to_mixw(SENDUMP, out, err, sizeof(err)), DICTUM_OK);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(out, (size_t)64 << 20, &data, &len), 0);
	const char *end = strstr(data, "endhdr\n");
	assert_non_null(end);
	assert_int_equal(strncmp(data, "s3\n", 3), 0);
	size_t at = (size_t)(end - data) + 7;
	assert_int_equal(at % 4, 0);
	uint32_t dims[5];
	memcpy(dims, data + at, sizeof(dims));
	assert_int_equal(dims[0], 0x11223344);
	assert_int_equal(dims[1], 5126); /* senones */
	assert_int_equal(dims[2], 3);    /* feature streams */
	assert_int_equal(dims[3], 128);  /* codewords */
	assert_int_equal(dims[4], 5126 * 3 * 128);
	assert_int_equal(len, at + sizeof(dims) + (size_t)dims[4] * sizeof(float));
	const float *w = (const float *)(const void *)(data + at + sizeof(dims));
	for (size_t s = 0; s < dims[1] * dims[2]; s += 97) {
		double sum = 0;
		for (size_t c = 0; c < dims[3]; c++)
			sum += w[s * dims[3] + c];
		if (fabs(sum - 1) > 1e-4)
			fail_msg("senone/stream %zu sums to %f", s, sum);
	}
	/* Ratios between a senone's weights are 1.0001^-(byte << 10). */
	char *raw = NULL;
	size_t rawlen = 0;
	assert_int_equal(file_read_all(SENDUMP, (size_t)8 << 20, &raw, &rawlen), 0);
	const unsigned char *bytes = (const unsigned char *)raw + rawlen - (size_t)dims[4];
	/* feature 0: codewords 0 and 1 of senone 7 */
	double expect = pow(1.0001, -1024.0 * ((int)bytes[7] - (int)bytes[5126 + 7]));
	double got = w[7 * 3 * 128 + 0] / w[7 * 3 * 128 + 1];
	assert_true(fabs(got / expect - 1) < 1e-3);

	/* A truncated copy and a missing file are refused. */
	char cut[512];
	tmp_path(cut, sizeof(cut), "cut");
	assert_int_equal(file_write_atomic(cut, raw, rawlen / 2, 0600), 0);
	assert_int_equal(asr_voice_sendump_to_mixw(cut, out, err, sizeof(err)), DICTUM_INVAL);
	assert_non_null(strstr(err, "not a PocketSphinx sendump"));
	assert_int_equal(file_write_atomic(cut, "hello", 5, 0600), 0);
	assert_int_equal(asr_voice_sendump_to_mixw(cut, out, err, sizeof(err)), DICTUM_INVAL);
	unlink(cut);
	assert_int_equal(asr_voice_sendump_to_mixw("/nonexistent/sendump", out, err, sizeof(err)),
	                 DICTUM_NOTFOUND);
	unlink(out);
	free(raw);
	free(data);
}

static void test_matrix_lookup(void **state)
{
	(void)state;
	char dir[512], file[600], buf[1200];
	tmp_path(dir, sizeof(dir), "profile");
	assert_int_equal(mkdir_p(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/mllr_matrix", dir);
	struct config c;
	memset(&c, 0, sizeof(c));
	assert_null(asr_voice_load(NULL, buf, sizeof(buf)));
	assert_int_equal(config_set(&c, "asr", "voice_profile", dir), DICTUM_OK);
	assert_null(asr_voice_load(&c, buf, sizeof(buf)));
	assert_int_equal(file_write_atomic(file, "1\n", 2, 0600), 0);
	assert_string_equal(asr_voice_load(&c, buf, sizeof(buf)), "-mllr");
	assert_string_equal(buf, file);
	/* Adapted means win over the transform alone. */
	char means[600];
	snprintf(means, sizeof(means), "%s/means", dir);
	assert_int_equal(file_write_atomic(means, "1\n", 2, 0600), 0);
	assert_string_equal(asr_voice_load(&c, buf, sizeof(buf)), "-mean");
	assert_string_equal(buf, means);
	unlink(means);
	assert_int_equal(config_set(&c, "asr", "voice_profile", "off"), DICTUM_OK);
	assert_null(asr_voice_load(&c, buf, sizeof(buf)));
	/* The data directory's profile, found through [store] data_dir. */
	char data[512], in_data[700];
	tmp_path(data, sizeof(data), "data");
	snprintf(in_data, sizeof(in_data), "%s/" ASR_VOICE_DIR, data);
	assert_int_equal(mkdir_p(in_data, 0700), 0);
	snprintf(in_data, sizeof(in_data), "%s/" ASR_VOICE_DIR "/mllr_matrix", data);
	assert_int_equal(file_write_atomic(in_data, "1\n", 2, 0600), 0);
	assert_int_equal(config_set(&c, "asr", "voice_profile", "on"), DICTUM_OK);
	assert_int_equal(config_set(&c, "store", "data_dir", data), DICTUM_OK);
	assert_string_equal(asr_voice_load(&c, buf, sizeof(buf)), "-mllr");
	assert_string_equal(buf, in_data);
	bool removed = false;
	assert_int_equal(asr_voice_remove(data, &removed), DICTUM_OK);
	assert_true(removed);
	assert_null(asr_voice_load(&c, buf, sizeof(buf)));
	assert_int_equal(asr_voice_remove(data, &removed), DICTUM_OK);
	assert_false(removed);
	config_free(&c);
	unlink(file);
	rmdir(dir);
}

static void test_cmninit(void **state)
{
	(void)state;
	char dir[512], file[600];
	tmp_path(dir, sizeof(dir), "cmn");
	assert_int_equal(mkdir_p(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/" ASR_VOICE_CMNINIT, dir);
	struct config c;
	memset(&c, 0, sizeof(c));
	float mean[3] = {0};
	assert_false(asr_voice_cmninit(NULL, mean, 3));
	assert_int_equal(config_set(&c, "asr", "voice_profile", dir), DICTUM_OK);
	assert_false(asr_voice_cmninit(&c, mean, 3)); /* no file: the model's mean */
	assert_int_equal(file_write_atomic(file, "57.94,-6.5,0.125\n", 17, 0600), 0);
	assert_true(asr_voice_cmninit(&c, mean, 3));
	assert_float_equal(mean[0], 57.94, 1e-4);
	assert_float_equal(mean[1], -6.5, 1e-6);
	assert_float_equal(mean[2], 0.125, 1e-6);
	/* Too few, too many, or not numbers: not used. */
	assert_false(asr_voice_cmninit(&c, mean, 4));
	assert_false(asr_voice_cmninit(&c, mean, 2));
	assert_int_equal(file_write_atomic(file, "1,x,3\n", 6, 0600), 0);
	assert_false(asr_voice_cmninit(&c, mean, 3));
	assert_int_equal(file_write_atomic(file, "1,nan,3\n", 8, 0600), 0);
	assert_false(asr_voice_cmninit(&c, mean, 3));
	assert_int_equal(config_set(&c, "asr", "voice_profile", "off"), DICTUM_OK);
	assert_int_equal(file_write_atomic(file, "1,2,3\n", 6, 0600), 0);
	assert_false(asr_voice_cmninit(&c, mean, 3));
	config_free(&c);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_sendump),
	    cmocka_unit_test(test_matrix_lookup),
	    cmocka_unit_test(test_cmninit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
