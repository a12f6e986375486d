#include "audio/capture_backend.h"
#include "audio/decode.h"
#include "audio/resample.h"
#include "core/error.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A file played as if it were a microphone, in real time: for demos,
 * tests and benchmarks without a sound card. */

/* Files over this are refused (about 4 hours of CD audio). */
#define FILE_MAX_BYTES ((size_t)2 << 30)

struct capture_stream {
	int16_t *pcm;
	size_t n;
	size_t pos;
	uint64_t start_ns;
};

static bool file_available(void)
{
	return true;
}

static void file_close(struct capture_stream **sp)
{
	struct capture_stream *s = *sp;
	if (!s)
		return;
	free(s->pcm);
	free(s);
	*sp = NULL;
}

static int file_open(const char *device, struct capture_stream **out, int *rate, int *channels,
                     char *err, size_t errlen)
{
	char why[512];
	if (!device) {
		snprintf(err, errlen, "file: name the audio file to play as the device");
		return DICTUM_NOTFOUND;
	}
	struct capture_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "file: out of memory");
		return DICTUM_NOMEM;
	}
	int result = audio_decode_file(device, FILE_MAX_BYTES, &s->pcm, &s->n, why, sizeof(why));
	if (result) {
		snprintf(err, errlen, "file: %s", why);
		file_close(&s);
		return result;
	}
	s->start_ns = time_mono_ns();
	*rate = AUDIO_RATE;
	*channels = 1;
	*out = s;
	return DICTUM_OK;
}

static int file_read(struct capture_stream *s, int16_t *buf, size_t max, size_t *got, bool *overrun,
                     bool *end, char *err, size_t errlen)
{
	*got = 0;
	if (s->pos >= s->n) {
		*end = true;
		return DICTUM_OK;
	}
	uint64_t due =
	    (s->pos + (max < s->n - s->pos ? max : s->n - s->pos)) * 1000000000ull / AUDIO_RATE;
	uint64_t now = time_mono_ns() - s->start_ns;
	if (due > now) {
		uint64_t wait = due - now;
		if (wait > 100000000u)
			wait = 100000000u;
		struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
		nanosleep(&ts, NULL);
		return DICTUM_OK;
	}
	size_t n = s->n - s->pos < max ? s->n - s->pos : max;
	memcpy(buf, s->pcm + s->pos, n * sizeof(*buf));
	s->pos += n;
	*got = n;
	return DICTUM_OK;
}

const struct capture_ops capture_file_ops = {
    .name = "file",
    .priority = 0,
    .available = file_available,
    .list = NULL,
    .open = file_open,
    .read = file_read,
    .close = file_close,
};
