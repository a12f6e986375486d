/* The capture pipeline (worker thread, conversion, level meter, pause,
 * events) through the file backend, which plays a WAV in real time: no
 * sound server needed, so it also runs under the sanitizers everywhere. */
#include "testutil.h"

#include "audio/lib.h"
#include "core/error.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct sink {
	atomic_size_t frames;
	atomic_int levels;
	atomic_int ends;
	atomic_int errors;
	double max_peak;
};

static int on_frames(void *ctx, const int16_t *pcm, size_t n)
{
	struct sink *s = ctx;
	atomic_fetch_add(&s->frames, n);
	return DICTUM_OK;
}

static void on_level(void *ctx, const struct level_reading *r)
{
	struct sink *s = ctx;
	atomic_fetch_add(&s->levels, 1);
	if (r->peak_db > s->max_peak)
		s->max_peak = r->peak_db;
}

static void on_event(void *ctx, enum capture_event ev, int status, const char *msg)
{
	struct sink *s = ctx;
	if (ev == CAPTURE_EVENT_END)
		atomic_fetch_add(&s->ends, 1);
	else if (ev != CAPTURE_EVENT_OVERRUN)
		atomic_fetch_add(&s->errors, 1);
}

/* A 44.1 kHz stereo WAV of a half-scale 440 Hz tone. */
static void make_tone(const char *path, double seconds)
{
	char err[512];
	struct wav_writer *w = NULL;
	size_t n = (size_t)(44100 * seconds);
	int16_t *buf = malloc(n * 2 * sizeof(*buf));
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[2 * i] = buf[2 * i + 1] =
		    (int16_t)lrint(16384 * sin(2 * M_PI * 440 * i / 44100.0));
	assert_int_equal(wav_writer_open(path, 44100, 2, 0, &w, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(wav_writer_write(w, buf, n), DICTUM_OK);
	assert_int_equal(wav_writer_close(&w), DICTUM_OK);
	free(buf);
}

static void wait_end(struct capture *c, struct sink *s)
{
	for (int i = 0; i < 400 && !capture_ended(c); i++)
		usleep(10000);
	assert_true(capture_ended(c));
	assert_int_equal(atomic_load(&s->ends), 1);
}

static void test_file_capture_delivers_16k_mono(void **state)
{
	char *dir = test_tmpdir(), path[4200], err[512];
	struct sink s = {.max_peak = -200};
	struct capture *c = NULL;
	snprintf(path, sizeof(path), "%s/tone.wav", dir);
	make_tone(path, 1.0);
	struct capture_callbacks cb = {on_frames, on_level, on_event, &s};
	assert_int_equal(capture_start("file", path, &cb, &c, err, sizeof(err)), DICTUM_OK);
	int rate, ch;
	capture_native_format(c, &rate, &ch);
	assert_int_equal(rate, 16000);
	wait_end(c, &s);
	size_t frames = atomic_load(&s.frames);
	assert_true(frames >= 15900 && frames <= 16100);
	assert_int_equal(capture_frames_delivered(c), frames);
	/* One reading per 50 ms; a half-scale tone peaks near -6 dBFS. */
	assert_true(atomic_load(&s.levels) >= 19 && atomic_load(&s.levels) <= 20);
	assert_true(fabs(s.max_peak - -6.0) < 0.5);
	assert_int_equal(atomic_load(&s.errors), 0);
	assert_int_equal(capture_stop(&c), DICTUM_OK);
	assert_null(c);
	test_rmtree(dir);
	free(dir);
}

static void test_pause_drops_frames_keeps_levels(void **state)
{
	char *dir = test_tmpdir(), path[4200], err[512];
	struct sink s = {.max_peak = -200};
	struct capture *c = NULL;
	snprintf(path, sizeof(path), "%s/tone.wav", dir);
	make_tone(path, 1.0);
	struct capture_callbacks cb = {on_frames, on_level, on_event, &s};
	assert_int_equal(capture_start("file", path, &cb, &c, err, sizeof(err)), DICTUM_OK);
	capture_set_paused(c, true);
	assert_true(capture_paused(c));
	usleep(500000);
	capture_set_paused(c, false);
	wait_end(c, &s);
	size_t frames = atomic_load(&s.frames);
	assert_true(frames > 3000 && frames < 13000);
	assert_true(atomic_load(&s.levels) >= 19);
	assert_int_equal(capture_stop(&c), DICTUM_OK);
	test_rmtree(dir);
	free(dir);
}

static void test_bad_backend_and_device(void **state)
{
	char err[512];
	struct capture *c = NULL;
	struct capture_callbacks cb = {0};
	assert_int_equal(capture_start("jack", NULL, &cb, &c, err, sizeof(err)), DICTUM_NOTFOUND);
	assert_non_null(strstr(err, "jack"));
	assert_null(c);
	assert_int_not_equal(capture_start("file", "/nonexistent/x.wav", &cb, &c, err, sizeof(err)),
	                     DICTUM_OK);
	assert_non_null(strstr(err, "/nonexistent/x.wav"));
	assert_null(c);
	assert_int_equal(capture_stop(&c), DICTUM_OK);
	bool found_file = false;
	for (size_t i = 0; i < capture_backend_count(); i++)
		found_file |= strcmp(capture_backend_name_at(i), "file") == 0;
	assert_true(found_file);
	struct capture_device *list = NULL;
	size_t n = 0;
	assert_int_equal(capture_list_devices("file", &list, &n, err, sizeof(err)),
	                 DICTUM_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_capture_delivers_16k_mono),
	    cmocka_unit_test(test_pause_drops_frames_keeps_levels),
	    cmocka_unit_test(test_bad_backend_and_device),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
