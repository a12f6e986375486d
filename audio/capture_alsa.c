#include "audio/capture_backend.h"
#include "core/error.h"
#include "core/log.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Frames the device may hold while we are busy (an fsync, say): 1 s. */
#define ALSA_BUFFER_US 1000000u
#define ALSA_PERIOD_US 20000u
#define ALSA_WAIT_MS   100
/* No data at all for this long means the device is gone. */
#define ALSA_STALL_MS 3000

struct capture_stream {
	snd_pcm_t *pcm;
	int channels;
	unsigned rate;
	size_t period; /* frames */
	int stalled_ms;
};

/* alsa-lib writes its own complaints to stderr; keep them out of the terminal. */
static void alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt,
                       ...)
{
}

static void alsa_init_once(void)
{
	snd_lib_error_set_handler(alsa_quiet);
}

static void alsa_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, alsa_init_once);
}

/* The one place ALSA's negative errno codes become DICTUM_* statuses. */
static int alsa_status(int err)
{
	switch (-err) {
	case ENODEV:
	case ENOENT:
	case ENXIO:
	case EBADFD:
	case ESHUTDOWN:
	case ENOTTY:
		return DICTUM_NOTFOUND;
	case EBUSY:
		return DICTUM_BUSY;
	case ENOMEM:
		return DICTUM_NOMEM;
	case EINVAL:
		return DICTUM_UNSUPPORTED;
	default:
		return DICTUM_IO;
	}
}

static int alsa_fail(int e, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int alsa_fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "alsa: %s: %s", what, snd_strerror(e));
	return alsa_status(e);
}

static bool alsa_available(void)
{
	alsa_init();
	void **hints = NULL;
	bool any = false;
	if (snd_device_name_hint(-1, "pcm", &hints) == 0) {
		for (void **h = hints; *h && !any; h++) {
			char *io = snd_device_name_get_hint(*h, "IOID");
			any = !io || strcmp(io, "Input") == 0;
			free(io);
		}
		snd_device_name_free_hint(hints);
	}
	return any;
}

static int alsa_list(struct capture_device **list, size_t *count, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	void **hints = NULL;
	alsa_init();
	int e = snd_device_name_hint(-1, "pcm", &hints);
	if (e < 0)
		return alsa_fail(e, err, errlen, "cannot list devices");
	for (void **h = hints; *h && result == DICTUM_OK; h++) {
		char *name = snd_device_name_get_hint(*h, "NAME");
		char *desc = snd_device_name_get_hint(*h, "DESC");
		char *io = snd_device_name_get_hint(*h, "IOID");
		if (name && strcmp(name, "null") != 0 && (!io || strcmp(io, "Input") == 0)) {
			if (desc)
				for (char *p = desc; *p; p++)
					if (*p == '\n')
						*p = ' ';
			result = capture_device_add(list, count, name, desc,
			                            strcmp(name, "default") == 0, false);
		}
		free(name);
		free(desc);
		free(io);
	}
	snd_device_name_free_hint(hints);
	if (result)
		snprintf(err, errlen, "alsa: out of memory");
	return result;
}

static void alsa_close(struct capture_stream **sp)
{
	struct capture_stream *s = *sp;
	if (!s)
		return;
	if (s->pcm) {
		snd_pcm_drop(s->pcm);
		snd_pcm_close(s->pcm);
	}
	free(s);
	*sp = NULL;
}

static int alsa_open(const char *device, struct capture_stream **out, int *rate, int *channels,
                     char *err, size_t errlen)
{
	int result = DICTUM_OK;
	snd_pcm_hw_params_t *hw = NULL;
	const char *dev = device ? device : "default";
	unsigned r = 16000, ch = 1, buffer_us = ALSA_BUFFER_US, period_us = ALSA_PERIOD_US;
	int e;
	alsa_init();
	struct capture_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "alsa: out of memory");
		return DICTUM_NOMEM;
	}
	if ((e = snd_pcm_open(&s->pcm, dev, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)) < 0) {
		s->pcm = NULL;
		result = alsa_fail(e, err, errlen, "cannot open '%s'", dev);
		goto out;
	}
	if ((e = snd_pcm_hw_params_malloc(&hw)) < 0 ||
	    (e = snd_pcm_hw_params_any(s->pcm, hw)) < 0) {
		result = alsa_fail(e, err, errlen, "'%s' has no usable format", dev);
		goto out;
	}
	/* Take the device's own rate (nearest 16 kHz); libsamplerate converts. */
	snd_pcm_hw_params_set_rate_resample(s->pcm, hw, 0);
	if ((e = snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (e = snd_pcm_hw_params_set_format(s->pcm, hw, SND_PCM_FORMAT_S16)) < 0 ||
	    (e = snd_pcm_hw_params_set_channels_near(s->pcm, hw, &ch)) < 0 ||
	    (e = snd_pcm_hw_params_set_rate_near(s->pcm, hw, &r, NULL)) < 0 ||
	    (e = snd_pcm_hw_params_set_buffer_time_near(s->pcm, hw, &buffer_us, NULL)) < 0 ||
	    (e = snd_pcm_hw_params_set_period_time_near(s->pcm, hw, &period_us, NULL)) < 0 ||
	    (e = snd_pcm_hw_params(s->pcm, hw)) < 0) {
		result = alsa_fail(e, err, errlen, "'%s' refuses 16-bit capture", dev);
		goto out;
	}
	if ((e = snd_pcm_prepare(s->pcm)) < 0 || (e = snd_pcm_start(s->pcm)) < 0) {
		result = alsa_fail(e, err, errlen, "cannot start '%s'", dev);
		goto out;
	}
	snd_pcm_uframes_t period = 0;
	snd_pcm_hw_params_get_period_size(hw, &period, NULL);
	s->channels = (int)ch;
	s->rate = r;
	s->period = period ? (size_t)period : r / 50;
	*rate = (int)r;
	*channels = (int)ch;
	*out = s;
	s = NULL;
out:
	if (hw)
		snd_pcm_hw_params_free(hw);
	alsa_close(&s);
	return result;
}

static int alsa_recover(struct capture_stream *s, int n, bool *overrun, char *err, size_t errlen)
{
	*overrun = true;
	int e = n == -ESTRPIPE ? snd_pcm_resume(s->pcm) : 0;
	if (e < 0 || n == -EPIPE)
		e = snd_pcm_prepare(s->pcm);
	if (e >= 0)
		e = snd_pcm_start(s->pcm);
	if (e < 0)
		return alsa_fail(e, err, errlen, "cannot recover from an overrun");
	return DICTUM_OK;
}

static int alsa_read(struct capture_stream *s, int16_t *buf, size_t max, size_t *got, bool *overrun,
                     bool *end, char *err, size_t errlen)
{
	*got = 0;
	size_t want = max < s->period ? max : s->period;
	snd_pcm_sframes_t avail = snd_pcm_avail_update(s->pcm);
	if (avail == -EPIPE || avail == -ESTRPIPE)
		return alsa_recover(s, (int)avail, overrun, err, errlen);
	if (avail >= 0 && (size_t)avail < want) {
		/* Some plugins (pulse) wake poll() for any data: sleep to a period instead. */
		int w = snd_pcm_wait(s->pcm, ALSA_WAIT_MS);
		if (w == 0) {
			s->stalled_ms += ALSA_WAIT_MS;
			if (s->stalled_ms >= ALSA_STALL_MS) {
				snprintf(err, errlen, "alsa: the device sent nothing for %d s",
				         ALSA_STALL_MS / 1000);
				return DICTUM_NOTFOUND;
			}
			return DICTUM_OK;
		}
		if (w > 0) {
			avail = snd_pcm_avail_update(s->pcm);
			if (avail >= 0 && (size_t)avail < want) {
				unsigned us =
				    (unsigned)((want - (size_t)avail) * 1000000u / s->rate);
				struct timespec ts = {0, (long)(us < 100000 ? us : 100000) * 1000};
				nanosleep(&ts, NULL);
				return DICTUM_OK;
			}
		} else {
			avail = w;
		}
	}
	if (avail < 0 && avail != -EAGAIN) {
		if (avail == -EPIPE || avail == -ESTRPIPE)
			return alsa_recover(s, (int)avail, overrun, err, errlen);
		int status = alsa_status((int)avail);
		snprintf(err, errlen, "alsa: %s", snd_strerror((int)avail));
		return status == DICTUM_IO ? DICTUM_NOTFOUND : status;
	}
	snd_pcm_sframes_t n = snd_pcm_readi(s->pcm, buf, max);
	if (n == -EAGAIN)
		return DICTUM_OK;
	if (n == -EPIPE || n == -ESTRPIPE)
		return alsa_recover(s, (int)n, overrun, err, errlen);
	if (n < 0) {
		int status = alsa_status((int)n);
		snprintf(err, errlen, "alsa: %s", snd_strerror((int)n));
		/* A read failing for any reason but an overrun means the device went away. */
		return status == DICTUM_IO ? DICTUM_NOTFOUND : status;
	}
	s->stalled_ms = 0;
	*got = (size_t)n;
	return DICTUM_OK;
}

const struct capture_ops capture_alsa_ops = {
    .name = "alsa",
    .priority = 1,
    .available = alsa_available,
    .list = alsa_list,
    .open = alsa_open,
    .read = alsa_read,
    .close = alsa_close,
};
