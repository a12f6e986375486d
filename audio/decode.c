#include "audio/decode_internal.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum container { C_UNKNOWN, C_WAV, C_FLAC, C_OGG, C_MP3, C_MP4, C_MATROSKA, C_ADTS };

static const struct {
	enum container c;
	const char *name;
	int (*decode)(const char *path, struct decode_out *o, char *why, size_t whylen);
} containers[] = {
    {C_WAV, "wav", decode_sndfile}, {C_FLAC, "flac", decode_sndfile},
    {C_OGG, "ogg", decode_sndfile}, {C_MP3, "mp3", decode_mpg123},
    {C_MP4, "m4a", decode_ffmpeg},  {C_MATROSKA, "webm", decode_ffmpeg},
    {C_ADTS, "aac", decode_ffmpeg},
};

bool decode_short(uint64_t got_frames, uint64_t promised_frames)
{
	uint64_t slack = promised_frames / 50; /* 2% */
	if (slack < 4800)
		slack = 4800; /* 0.1 s at 48 kHz: codec delay and padding */
	return got_frames + slack < promised_frames;
}

int decode_out_begin(struct decode_out *o, int rate, int channels)
{
	if (rate < 1000 || rate > 768000 || channels < 1 || channels > 64)
		return DICTUM_INVAL;
	if (o->rs) {
		if (rate == o->rate && channels == o->channels)
			return DICTUM_OK;
		return DICTUM_UNSUPPORTED;
	}
	o->rate = rate;
	o->channels = channels;
	if (o->info) {
		o->info->source_rate = rate;
		o->info->source_channels = channels;
	}
	return resampler_new(rate, channels, RESAMPLE_MEDIUM, &o->rs);
}

static int append(struct decode_out *o, const int16_t *pcm, size_t n)
{
	if (n == 0)
		return DICTUM_OK;
	if (o->n + n > o->max)
		return DICTUM_INVAL;
	if (o->n + n > o->cap) {
		size_t cap = o->cap ? o->cap : 16000 * 16;
		while (cap < o->n + n)
			cap *= 2;
		int16_t *p = realloc(o->pcm, cap * sizeof(*p));
		if (!p)
			return DICTUM_NOMEM;
		o->pcm = p;
		o->cap = cap;
	}
	memcpy(o->pcm + o->n, pcm, n * sizeof(*pcm));
	o->n += n;
	return DICTUM_OK;
}

int decode_out_push(struct decode_out *o, const float *in, size_t nframes)
{
	const int16_t *out;
	size_t nout;
	int result = resampler_push_float(o->rs, in, nframes, &out, &nout);
	o->source_frames += nframes;
	return result ? result : append(o, out, nout);
}

int decode_out_end(struct decode_out *o)
{
	const int16_t *out;
	size_t nout;
	if (!o->rs)
		return DICTUM_OK;
	int result = resampler_drain(o->rs, &out, &nout);
	return result ? result : append(o, out, nout);
}

static enum container sniff(const uint8_t *b, size_t n)
{
	if (n >= 12 && (!memcmp(b, "RIFF", 4) || !memcmp(b, "RF64", 4)) &&
	    !memcmp(b + 8, "WAVE", 4))
		return C_WAV;
	if (n >= 4 && !memcmp(b, "fLaC", 4))
		return C_FLAC;
	if (n >= 4 && !memcmp(b, "OggS", 4))
		return C_OGG;
	if (n >= 12 && !memcmp(b + 4, "ftyp", 4))
		return C_MP4;
	if (n >= 4 && b[0] == 0x1A && b[1] == 0x45 && b[2] == 0xDF && b[3] == 0xA3)
		return C_MATROSKA;
	if (n >= 10 && !memcmp(b, "ID3", 3)) {
		/* Skip the ID3v2 tag to see what follows. */
		size_t tag = 10 + ((size_t)(b[6] & 0x7f) << 21 | (size_t)(b[7] & 0x7f) << 14 |
		                   (size_t)(b[8] & 0x7f) << 7 | (size_t)(b[9] & 0x7f));
		if (tag + 2 <= n && b[tag] == 0xFF && (b[tag + 1] & 0xF6) == 0xF0)
			return C_ADTS;
		return C_MP3;
	}
	if (n >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) {
		int layer = (b[1] >> 1) & 3;
		if (layer == 0 && (b[1] & 0x10))
			return C_ADTS;
		if (layer != 0 && ((b[1] >> 3) & 3) != 1)
			return C_MP3;
	}
	return C_UNKNOWN;
}

static bool looks_like_text(const uint8_t *b, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x09 || (b[i] > 0x0d && b[i] < 0x20 && b[i] != 0x1b))
			return false;
	return true;
}

int audio_decode_file_info(const char *path, size_t max_bytes, int16_t **pcm, size_t *nframes,
                           struct audio_decode_info *info, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct decode_out o = {.max = (size_t)AUDIO_DECODE_MAX_SECONDS * AUDIO_RATE};
	struct audio_decode_info scratch;
	uint8_t head[4096];
	ssize_t nhead = 0;
	struct stat st;
	char why[256] = "";
	int fd = -1;
	enum container c;
	unsigned wav_tag = 0;

	*pcm = NULL;
	*nframes = 0;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	o.info = info;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		result = errno == ENOENT ? DICTUM_NOTFOUND : DICTUM_IO;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		result = DICTUM_IO;
		snprintf(why, sizeof(why), "not a regular file");
		goto out;
	}
	if (st.st_size == 0) {
		result = DICTUM_INVAL;
		snprintf(why, sizeof(why), "empty file");
		goto out;
	}
	if (max_bytes && (uint64_t)st.st_size > max_bytes) {
		result = DICTUM_INVAL;
		snprintf(why, sizeof(why), "%lld bytes, over the limit of %zu bytes",
		         (long long)st.st_size, max_bytes);
		goto out;
	}
	nhead = pread(fd, head, sizeof(head), 0);
	if (nhead < 0) {
		result = DICTUM_IO;
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto out;
	}
	c = sniff(head, (size_t)nhead);
	if (c == C_UNKNOWN) {
		result = looks_like_text(head, (size_t)nhead) ? DICTUM_INVAL : DICTUM_UNSUPPORTED;
		snprintf(why, sizeof(why), "%s (Dictum reads WAV, FLAC, OGG, MP3, M4A and WebM)",
		         result == DICTUM_INVAL ? "a text file, not audio"
		                                : "not a recognised audio format");
		goto out;
	}
	if (c == C_WAV) {
		struct wav_info wi;
		wav_tag = 0;
		char wwhy[160];
		if (wav_parse_header(head, (size_t)nhead, (uint64_t)st.st_size, &wi, wwhy,
		                     sizeof(wwhy)) != DICTUM_OK) {
			result = DICTUM_INVAL;
			snprintf(why, sizeof(why), "%s", wwhy);
			goto out;
		}
		if (wav_info_truncated(&wi)) {
			result = DICTUM_INVAL;
			snprintf(why, sizeof(why),
			         "truncated or lying header: it claims %llu bytes of audio but the "
			         "file holds %llu",
			         (unsigned long long)wi.data_bytes,
			         (unsigned long long)(wi.file_bytes > wi.data_offset
			                                  ? wi.file_bytes - wi.data_offset
			                                  : 0));
			goto out;
		}
		wav_tag = wi.format_tag;
	}
	for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
		if (containers[i].c != c)
			continue;
		str_copy(info->container, containers[i].name, sizeof(info->container));
		result = containers[i].decode(path, &o, why, sizeof(why));
		/* libsndfile does not know every codec a WAV or an Ogg may hold. */
		if ((result == DICTUM_UNSUPPORTED || (c == C_WAV && result == DICTUM_INVAL)) &&
		    containers[i].decode == decode_sndfile) {
			char fwhy[256];
			resampler_free(&o.rs);
			o.n = 0;
			o.source_frames = 0;
			int r2 = decode_ffmpeg(path, &o, fwhy, sizeof(fwhy));
			if (r2 == DICTUM_OK) {
				result = DICTUM_OK;
			} else if (c == C_WAV && wav_tag != 1 && wav_tag != 3 && wav_tag != 6 &&
			           wav_tag != 7) {
				result = DICTUM_UNSUPPORTED;
				snprintf(why, sizeof(why),
				         "unsupported codec (WAV format tag 0x%04x)", wav_tag);
			}
		}
		break;
	}
	if (result == DICTUM_OK)
		result = decode_out_end(&o);
	if (result == DICTUM_OK && o.n == 0) {
		result = DICTUM_INVAL;
		snprintf(why, sizeof(why), "no audio in the file");
	}
	if (result == DICTUM_INVAL && !why[0])
		snprintf(why, sizeof(why), "longer than %d hours", AUDIO_DECODE_MAX_SECONDS / 3600);
	if (result == DICTUM_NOMEM && !why[0])
		snprintf(why, sizeof(why), "out of memory");
	if (result && !why[0])
		snprintf(why, sizeof(why), "%s", dictum_strerror(result));
out:
	if (fd >= 0)
		close(fd);
	resampler_free(&o.rs);
	if (result) {
		free(o.pcm);
		snprintf(err, errlen, "%s: %s", path, why);
		return result;
	}
	info->seconds = (double)o.n / AUDIO_RATE;
	/* Give back what was over-allocated; keep the larger block if that fails. */
	int16_t *shrunk = realloc(o.pcm, o.n * sizeof(*o.pcm));
	*pcm = shrunk ? shrunk : o.pcm;
	*nframes = o.n;
	return DICTUM_OK;
}

int audio_decode_file(const char *path, size_t max_bytes, int16_t **pcm, size_t *nframes, char *err,
                      size_t errlen)
{
	return audio_decode_file_info(path, max_bytes, pcm, nframes, NULL, err, errlen);
}
