/* The pure and file-level parts of audio/: WAV writer, header parser,
 * repair, level meter, resampler. */
#include "testutil.h"

#include "audio/lib.h"
#include "core/error.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static int setup(void **state)
{
	dir = test_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	test_rmtree(dir);
	free(dir);
	return 0;
}

static off_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_writer_header_always_valid(void **state)
{
	char path[4200], err[512];
	struct wav_writer *w = NULL;
	struct wav_info wi;
	int16_t pcm[1600] = {0};
	snprintf(path, sizeof(path), "%s/a.wav", dir);
	assert_int_equal(wav_writer_open(path, 16000, 1, 1, &w, err, sizeof(err)), DICTUM_OK);
	/* Right after open: a valid header claiming no audio. */
	assert_int_equal(wav_read_info(path, &wi, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(wi.rate, 16000);
	assert_int_equal(wi.data_bytes, 0);
	assert_int_equal(file_size(path), WAV_HEADER_BYTES);
	/* A second writer on the same path is refused. */
	struct wav_writer *w2 = NULL;
	assert_int_equal(wav_writer_open(path, 16000, 1, 0, &w2, err, sizeof(err)), DICTUM_EXISTS);
	assert_null(w2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(wav_writer_write(w, pcm, 1600), DICTUM_OK);
	usleep(2000);
	assert_int_equal(wav_writer_write(w, pcm, 1600), DICTUM_OK);
	/* flush_ms is 1: the header counts everything written. */
	assert_int_equal(wav_read_info(path, &wi, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(wi.data_bytes, 11 * 1600 * 2);
	assert_false(wav_info_truncated(&wi));
	/* While it is open, repair refuses: the recording is live. */
	struct wav_repair_result rr;
	assert_int_equal(wav_repair(path, 16000, 1, &rr, err, sizeof(err)), DICTUM_BUSY);
	assert_int_equal(wav_writer_close(&w), DICTUM_OK);
	assert_null(w);
	assert_int_equal(wav_writer_close(&w), DICTUM_OK);
}

static void test_repair_from_file_size(void **state)
{
	char path[4200], err[512];
	struct wav_writer *w = NULL;
	struct wav_repair_result rr;
	struct wav_info wi;
	int16_t pcm[3200];
	for (int i = 0; i < 3200; i++)
		pcm[i] = (int16_t)(i * 7);
	snprintf(path, sizeof(path), "%s/b.wav", dir);
	assert_int_equal(wav_writer_open(path, 16000, 1, 2000, &w, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(wav_writer_write(w, pcm, 3200), DICTUM_OK);
	/* Simulate a crash: the writer never updates the header. Drop the
	 * lock by closing a duplicate-free copy: append behind its back. */
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, pcm, 3), 3); /* a partial frame */
	close(fd);
	/* The header still says 0 bytes: readers take it as a streamed WAV. */
	assert_int_equal(wav_read_info(path, &wi, err, sizeof(err)), DICTUM_OK);
	assert_true(wi.streamed);
	/* Free the writer without its final header: only possible from a crash,
	 * so do it the crash's way, in a child killed by SIGKILL. */
	pid_t pid = fork();
	if (pid == 0) {
		struct wav_writer *cw = NULL;
		char p2[4200];
		snprintf(p2, sizeof(p2), "%s/c.wav", dir);
		if (wav_writer_open(p2, 16000, 1, 2000, &cw, err, sizeof(err)))
			_exit(1);
		wav_writer_write(cw, pcm, 3200);
		kill(getpid(), SIGKILL);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	char p2[4200];
	snprintf(p2, sizeof(p2), "%s/c.wav", dir);
	assert_int_equal(wav_repair(p2, 16000, 1, &rr, err, sizeof(err)), DICTUM_OK);
	assert_true(rr.changed);
	assert_int_equal(rr.frames, 3200);
	assert_int_equal(wav_read_info(p2, &wi, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(wi.data_bytes, 6400);
	/* Repairing again changes nothing. */
	assert_int_equal(wav_repair(p2, 16000, 1, &rr, err, sizeof(err)), DICTUM_OK);
	assert_false(rr.changed);
	assert_int_equal(wav_writer_close(&w), DICTUM_OK);
	/* The odd bytes appended behind the writer's back stay in the file. */
	assert_int_equal(wav_repair(path, 16000, 1, &rr, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(file_size(path), WAV_HEADER_BYTES + 6400 + 3);
	assert_int_equal(rr.frames, 3201);
}

static void test_repair_short_and_foreign(void **state)
{
	char path[4200], err[512];
	struct wav_repair_result rr;
	snprintf(path, sizeof(path), "%s/short.wav", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_int_equal(write(fd, "RIFF", 4), 4);
	close(fd);
	assert_int_equal(wav_repair(path, 16000, 1, &rr, err, sizeof(err)), DICTUM_OK);
	assert_true(rr.header_rebuilt);
	assert_int_equal(file_size(path), WAV_HEADER_BYTES);
	snprintf(path, sizeof(path), "%s/text.wav", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	const char text[] = "This is a note, not a recording. It is long enough to be a header.\n";
	assert_int_equal(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	close(fd);
	assert_int_equal(wav_repair(path, 16000, 1, &rr, err, sizeof(err)), DICTUM_INVAL);
	assert_non_null(strstr(err, path));
	assert_int_equal(file_size(path), (off_t)sizeof(text));
	snprintf(path, sizeof(path), "%s/absent.wav", dir);
	assert_int_equal(wav_repair(path, 16000, 1, &rr, err, sizeof(err)), DICTUM_NOTFOUND);
}

static void test_parse_header_edges(void **state)
{
	uint8_t h[64] = {0};
	struct wav_info wi;
	char why[160];
	assert_int_equal(wav_parse_header(h, 0, 0, &wi, why, sizeof(why)), DICTUM_INVAL);
	memcpy(h,
	       "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0"
	       "data\xff\xff\xff\xff",
	       44);
	assert_int_equal(wav_parse_header(h, 44, 1044, &wi, why, sizeof(why)), DICTUM_OK);
	assert_true(wi.streamed);
	assert_int_equal(wi.data_bytes, 1000);
	/* A header claiming 2000 bytes in a file holding 1000. */
	memcpy(h + 40, "\xd0\x07\0\0", 4);
	assert_int_equal(wav_parse_header(h, 44, 1044, &wi, why, sizeof(why)), DICTUM_OK);
	assert_true(wav_info_truncated(&wi));
	/* A chunk size that points past everything. */
	memcpy(h + 16, "\xff\xff\xff\x7f", 4);
	assert_int_equal(wav_parse_header(h, 44, 1044, &wi, why, sizeof(why)), DICTUM_INVAL);
	/* Zero channels. */
	memcpy(h + 16, "\x10\0\0\0", 4);
	memcpy(h + 22, "\0\0", 2);
	assert_int_equal(wav_parse_header(h, 44, 1044, &wi, why, sizeof(why)), DICTUM_INVAL);
}

static void collect(void *ctx, const struct level_reading *r)
{
	struct level_reading *out = ctx;
	out[0] = *r;
	out[1].end_frame++;
}

static void test_level_meter(void **state)
{
	struct level_meter m;
	struct level_reading got[2] = {0};
	int16_t buf[800];
	level_init(&m, 16000, LEVEL_WINDOW_MS);
	assert_int_equal(m.window, 800);
	for (int i = 0; i < 800; i++)
		buf[i] = (int16_t)lrint(16384.0 * sin(2 * M_PI * 1000 * i / 16000.0));
	level_feed(&m, buf, 400, collect, got);
	assert_int_equal(got[1].end_frame, 0);
	level_feed(&m, buf + 400, 400, collect, got);
	assert_int_equal(got[1].end_frame, 1);
	/* A half-scale sine: peak -6.0 dBFS, RMS -9.0 dBFS. */
	assert_true(fabs(got[0].peak_db - -6.02) < 0.1);
	assert_true(fabs(got[0].rms_db - -9.03) < 0.1);
	memset(buf, 0, sizeof(buf));
	level_feed(&m, buf, 800, collect, got);
	assert_true(got[0].rms_db == LEVEL_FLOOR_DB && got[0].peak_db == LEVEL_FLOOR_DB);
}

static void test_resampler_rates(void **state)
{
	static const int rates[] = {8000, 16000, 22050, 44100, 48000};
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		struct resampler *r = NULL;
		int rate = rates[k];
		assert_int_equal(resampler_new(rate, 2, RESAMPLE_FAST, &r), DICTUM_OK);
		int16_t in[2 * 441];
		size_t total = 0;
		for (int block = 0; block < 100; block++) {
			for (int i = 0; i < 441; i++)
				in[2 * i] = in[2 * i + 1] =
				    (int16_t)(1000 * ((block * 441 + i) % 7));
			const int16_t *out;
			size_t n;
			assert_int_equal(resampler_push_s16(r, in, 441, &out, &n), DICTUM_OK);
			total += n;
		}
		const int16_t *out;
		size_t n;
		assert_int_equal(resampler_drain(r, &out, &n), DICTUM_OK);
		total += n;
		double want = 44100.0 * 16000 / rate;
		assert_true(fabs((double)total - want) < 0.01 * want + 64);
		resampler_free(&r);
		assert_null(r);
	}
	struct resampler *r = NULL;
	assert_int_equal(resampler_new(0, 1, RESAMPLE_FAST, &r), DICTUM_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_writer_header_always_valid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repair_from_file_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repair_short_and_foreign, setup, teardown),
	    cmocka_unit_test(test_parse_header_edges),
	    cmocka_unit_test(test_level_meter),
	    cmocka_unit_test(test_resampler_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
