#include "audio/decode_internal.h"
#include "core/error.h"

#include <mpg123.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one place libmpg123's errors become DICTUM_* statuses. */
static int mpg123_status(int e)
{
	switch (e) {
	case MPG123_OK:
	case MPG123_DONE:
		return DICTUM_OK;
	case MPG123_OUT_OF_MEM:
		return DICTUM_NOMEM;
	case MPG123_BAD_FILE:
	case MPG123_NO_SPACE:
		return DICTUM_IO;
	default:
		return DICTUM_INVAL;
	}
}

static void mpg123_init_once(void)
{
#if MPG123_API_VERSION < 46
	mpg123_init();
#endif
}

int decode_mpg123(const char *path, struct decode_out *o, char *why, size_t whylen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int result = DICTUM_OK;
	int e = MPG123_OK;
	long rate = 0;
	int channels = 0, enc = 0;
	unsigned char buf[65536];
	uint64_t frames = 0;
	off_t promised = 0;
	bool opened = false;

	pthread_once(&once, mpg123_init_once);
	mpg123_handle *mh = mpg123_new(NULL, &e);
	if (!mh) {
		snprintf(why, whylen, "cannot start the MP3 decoder (%s)",
		         mpg123_plain_strerror(e));
		return mpg123_status(e) ? mpg123_status(e) : DICTUM_NOMEM;
	}
	/* Quiet on stderr; float output in whatever rate and channels the file has. */
	mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET | MPG123_GAPLESS, 0.0);
	mpg123_param(mh, MPG123_RESYNC_LIMIT, 65536, 0.0);
	mpg123_format_none(mh);
	const long *rates = NULL;
	size_t nrates = 0;
	mpg123_rates(&rates, &nrates);
	for (size_t i = 0; i < nrates; i++)
		mpg123_format(mh, rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
	if ((e = mpg123_open(mh, path)) != MPG123_OK) {
		result = DICTUM_IO;
		snprintf(why, whylen, "cannot open (%s)", mpg123_strerror(mh));
		goto out;
	}
	opened = true;
	if ((e = mpg123_getformat(mh, &rate, &channels, &enc)) != MPG123_OK) {
		result = DICTUM_INVAL;
		snprintf(why, whylen, "not a playable MP3 stream (%s)", mpg123_strerror(mh));
		goto out;
	}
	if (o->info)
		snprintf(o->info->codec, sizeof(o->info->codec), "mp3");
	if ((result = decode_out_begin(o, (int)rate, channels)) != DICTUM_OK) {
		snprintf(why, whylen, "impossible format (%ld Hz, %d channels)", rate, channels);
		goto out;
	}
	promised = mpg123_length(mh);
	for (;;) {
		size_t done = 0;
		e = mpg123_read(mh, buf, sizeof(buf), &done);
		if (done) {
			size_t n = done / (sizeof(float) * (size_t)channels);
			frames += n;
			if ((result = decode_out_push(o, (const float *)(void *)buf, n)) !=
			    DICTUM_OK)
				goto out;
		}
		if (e == MPG123_NEW_FORMAT) {
			long r2;
			int c2, enc2;
			mpg123_getformat(mh, &r2, &c2, &enc2);
			if (r2 != rate || c2 != channels) {
				result = DICTUM_UNSUPPORTED;
				snprintf(why, whylen, "the MP3 stream changes format midway");
				goto out;
			}
			continue;
		}
		if (e == MPG123_DONE)
			break;
		if (e != MPG123_OK) {
			result = DICTUM_INVAL;
			snprintf(why, whylen, "damaged MP3 (%s)", mpg123_strerror(mh));
			goto out;
		}
	}
	if (frames == 0) {
		result = DICTUM_INVAL;
		snprintf(why, whylen, "no MP3 frames in the file");
		goto out;
	}
	if (promised > 0 && decode_short(frames, (uint64_t)promised)) {
		result = DICTUM_INVAL;
		snprintf(why, whylen,
		         "truncated: the header promises %.2f s but the file holds %.2f s",
		         (double)promised / (double)rate, (double)frames / (double)rate);
		goto out;
	}
out:
	if (opened)
		mpg123_close(mh);
	mpg123_delete(mh);
	return result;
}
