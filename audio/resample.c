#include "audio/resample.h"
#include "core/error.h"

#include <samplerate.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct resampler {
	SRC_STATE *src; /* NULL when the input is already 16 kHz */
	int channels;
	double ratio;
	float *mono; /* downmixed input */
	size_t mono_cap;
	float *fout;
	size_t fout_cap;
	int16_t *out;
	size_t out_cap;
};

static int grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return DICTUM_OK;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *p = realloc(*buf, n * elem);
	if (!p)
		return DICTUM_NOMEM;
	*buf = p;
	*cap = n;
	return DICTUM_OK;
}

int resampler_new(int in_rate, int in_channels, enum resample_quality q, struct resampler **out)
{
	int result = DICTUM_OK;
	*out = NULL;
	if (in_rate < 1000 || in_rate > 768000 || in_channels < 1 || in_channels > 64)
		return DICTUM_INVAL;
	struct resampler *r = calloc(1, sizeof(*r));
	if (!r)
		return DICTUM_NOMEM;
	r->channels = in_channels;
	r->ratio = (double)AUDIO_RATE / in_rate;
	if (in_rate != AUDIO_RATE) {
		int e = 0;
		r->src =
		    src_new(q == RESAMPLE_FAST ? SRC_SINC_FASTEST : SRC_SINC_MEDIUM_QUALITY, 1, &e);
		if (!r->src) {
			result = DICTUM_NOMEM;
			goto out;
		}
	}
	*out = r;
	r = NULL;
out:
	resampler_free(&r);
	return result;
}

void resampler_free(struct resampler **rp)
{
	struct resampler *r = rp ? *rp : NULL;
	if (!r)
		return;
	if (r->src)
		src_delete(r->src);
	free(r->mono);
	free(r->fout);
	free(r->out);
	free(r);
	*rp = NULL;
}

static int run(struct resampler *r, size_t n, bool end, const int16_t **out, size_t *nout)
{
	*nout = 0;
	if (!r->src) {
		if (grow((void **)&r->out, &r->out_cap, n, sizeof(int16_t)))
			return DICTUM_NOMEM;
		src_float_to_short_array(r->mono, r->out, (int)n);
		*out = r->out;
		*nout = n;
		return DICTUM_OK;
	}
	size_t cap = (size_t)((double)n * r->ratio) + 256;
	if (grow((void **)&r->fout, &r->fout_cap, cap, sizeof(float)))
		return DICTUM_NOMEM;
	size_t used = 0, made = 0;
	do {
		if (made + 64 > r->fout_cap &&
		    grow((void **)&r->fout, &r->fout_cap, made + 1024, sizeof(float)))
			return DICTUM_NOMEM;
		SRC_DATA d = {
		    .data_in = r->mono + used,
		    .data_out = r->fout + made,
		    .input_frames = (long)(n - used),
		    .output_frames = (long)(r->fout_cap - made),
		    .end_of_input = end,
		    .src_ratio = r->ratio,
		};
		if (src_process(r->src, &d) != 0)
			return DICTUM_INTERNAL;
		used += (size_t)d.input_frames_used;
		made += (size_t)d.output_frames_gen;
		if (d.output_frames_gen == 0 && d.input_frames_used == 0)
			break;
	} while (used < n || (end && made + 64 > r->fout_cap));
	if (grow((void **)&r->out, &r->out_cap, made ? made : 1, sizeof(int16_t)))
		return DICTUM_NOMEM;
	src_float_to_short_array(r->fout, r->out, (int)made);
	*out = r->out;
	*nout = made;
	return DICTUM_OK;
}

int resampler_push_float(struct resampler *r, const float *in, size_t nframes, const int16_t **out,
                         size_t *nout)
{
	if (nframes == 0) {
		*out = r->out;
		*nout = 0;
		return DICTUM_OK;
	}
	if (grow((void **)&r->mono, &r->mono_cap, nframes ? nframes : 1, sizeof(float)))
		return DICTUM_NOMEM;
	int ch = r->channels;
	if (ch == 1) {
		memcpy(r->mono, in, nframes * sizeof(float));
	} else {
		for (size_t i = 0; i < nframes; i++) {
			float s = 0;
			for (int c = 0; c < ch; c++)
				s += in[i * (size_t)ch + (size_t)c];
			r->mono[i] = s / (float)ch;
		}
	}
	return run(r, nframes, false, out, nout);
}

int resampler_push_s16(struct resampler *r, const int16_t *in, size_t nframes, const int16_t **out,
                       size_t *nout)
{
	if (nframes == 0) {
		*out = r->out;
		*nout = 0;
		return DICTUM_OK;
	}
	if (grow((void **)&r->mono, &r->mono_cap, nframes ? nframes : 1, sizeof(float)))
		return DICTUM_NOMEM;
	int ch = r->channels;
	for (size_t i = 0; i < nframes; i++) {
		int32_t s = 0;
		for (int c = 0; c < ch; c++)
			s += in[i * (size_t)ch + (size_t)c];
		r->mono[i] = (float)s / (32768.0f * (float)ch);
	}
	return run(r, nframes, false, out, nout);
}

int resampler_drain(struct resampler *r, const int16_t **out, size_t *nout)
{
	if (!r->src) {
		*nout = 0;
		*out = r->out;
		return DICTUM_OK;
	}
	if (grow((void **)&r->mono, &r->mono_cap, 1, sizeof(float)))
		return DICTUM_NOMEM;
	return run(r, 0, true, out, nout);
}
