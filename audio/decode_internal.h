#ifndef DICTUM_AUDIO_DECODE_INTERNAL_H
#define DICTUM_AUDIO_DECODE_INTERNAL_H

/* Shared by decode.c and the per-library decoders; not for other modules. */

#include "audio/decode.h"
#include "audio/resample.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a decoder puts what it decodes: downmixed, resampled, appended. */
struct decode_out {
	struct resampler *rs;
	int rate;
	int channels;
	int16_t *pcm;
	size_t n;
	size_t cap;
	size_t max; /* frames */
	uint64_t source_frames;
	struct audio_decode_info *info;
};

/* Sets the source format. DICTUM_OK, DICTUM_INVAL (impossible format),
 * DICTUM_UNSUPPORTED (format change mid-stream), DICTUM_NOMEM. */
int decode_out_begin(struct decode_out *o, int rate, int channels);
/* Appends interleaved float frames. DICTUM_OK, DICTUM_NOMEM, or
 * DICTUM_INVAL when the output would pass AUDIO_DECODE_MAX_SECONDS. */
int decode_out_push(struct decode_out *o, const float *in, size_t nframes);
int decode_out_end(struct decode_out *o);

/* Each returns a DICTUM_* status and, on failure, a reason without the
 * path in why ("truncated: ...", "unsupported codec ..."). */
int decode_sndfile(const char *path, struct decode_out *o, char *why, size_t whylen);
int decode_mpg123(const char *path, struct decode_out *o, char *why, size_t whylen);
int decode_ffmpeg(const char *path, struct decode_out *o, char *why, size_t whylen);

/* The output falls short of what the container promised by more than a
 * little: a truncated file. */
bool decode_short(uint64_t got_frames, uint64_t promised_frames);

#endif
