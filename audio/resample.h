#ifndef DICTUM_AUDIO_RESAMPLE_H
#define DICTUM_AUDIO_RESAMPLE_H

/* Conversion of any rate and channel count to what the rest of Dictum
 * takes: 16 kHz mono signed 16-bit. Channels are averaged; the rate is
 * converted with libsamplerate. */

#include <stddef.h>
#include <stdint.h>

#define AUDIO_RATE 16000

enum resample_quality {
	RESAMPLE_FAST,   /* SRC_SINC_FASTEST: live capture */
	RESAMPLE_MEDIUM, /* SRC_SINC_MEDIUM_QUALITY: decoding files */
};

struct resampler;

/* Returns DICTUM_OK with *out set, DICTUM_INVAL (bad rate or channels) or
 * DICTUM_NOMEM. Free with resampler_free. */
int resampler_new(int in_rate, int in_channels, enum resample_quality q, struct resampler **out);
void resampler_free(struct resampler **r);

/* Converts nframes interleaved float frames (s16 in resampler_push_s16).
 * *out points to converted frames owned by the resampler, valid until the
 * next call; *nout may be 0. Returns DICTUM_OK, DICTUM_NOMEM or
 * DICTUM_INTERNAL. */
int resampler_push_float(struct resampler *r, const float *in, size_t nframes, const int16_t **out,
                         size_t *nout);
int resampler_push_s16(struct resampler *r, const int16_t *in, size_t nframes, const int16_t **out,
                       size_t *nout);
/* Flushes what the filter still holds (end of input). */
int resampler_drain(struct resampler *r, const int16_t **out, size_t *nout);

#endif
