#include "audio/capture.h"
#include "audio/capture_backend.h"
#include "audio/resample.h"
#include "core/error.h"
#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built from HAVE_ALSA / HAVE_PULSE, best first. */
static const struct capture_ops *const backends[] = {
#ifdef HAVE_PULSE
    &capture_pulse_ops,
#endif
#ifdef HAVE_ALSA
    &capture_alsa_ops,
#endif
    &capture_file_ops,
};
#define BACKEND_COUNT (sizeof(backends) / sizeof(backends[0]))

/* 20 ms at 48 kHz stereo; backends read at most this many frames. */
#define READ_FRAMES 960

struct capture {
	const struct capture_ops *ops;
	struct capture_stream *stream;
	struct capture_callbacks cb;
	char *device;
	int rate;
	int channels;
	struct resampler *rs;
	struct level_meter meter;
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;
	atomic_bool paused;
	atomic_bool ended;
	atomic_uint_fast64_t delivered;
	atomic_uint_fast64_t overruns;
	int end_status;
	int16_t buf[READ_FRAMES * 8];
};

static const struct capture_ops *find_ops(const char *name)
{
	for (size_t i = 0; i < BACKEND_COUNT; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

size_t capture_backend_count(void)
{
	return BACKEND_COUNT;
}

const char *capture_backend_name_at(size_t i)
{
	return i < BACKEND_COUNT ? backends[i]->name : NULL;
}

bool capture_backend_available(const char *backend)
{
	const struct capture_ops *ops = backend ? find_ops(backend) : NULL;
	return ops && ops->available();
}

const char *capture_backend_auto(void)
{
	for (size_t i = 0; i < BACKEND_COUNT; i++)
		if (backends[i]->priority > 0 && backends[i]->available())
			return backends[i]->name;
	return NULL;
}

int capture_device_add(struct capture_device **list, size_t *count, const char *name,
                       const char *description, bool is_default, bool is_monitor)
{
	struct capture_device *l = realloc(*list, (*count + 1) * sizeof(*l));
	if (!l)
		return DICTUM_NOMEM;
	*list = l;
	struct capture_device *d = &l[*count];
	d->name = strdup(name ? name : "");
	d->description = strdup(description ? description : "");
	d->is_default = is_default;
	d->is_monitor = is_monitor;
	if (!d->name || !d->description) {
		free(d->name);
		free(d->description);
		return DICTUM_NOMEM;
	}
	(*count)++;
	return DICTUM_OK;
}

void capture_devices_free(struct capture_device **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++) {
		free((*list)[i].name);
		free((*list)[i].description);
	}
	free(*list);
	*list = NULL;
}

int capture_list_devices(const char *backend, struct capture_device **list, size_t *count,
                         char *err, size_t errlen)
{
	*list = NULL;
	*count = 0;
	const struct capture_ops *ops = backend ? find_ops(backend) : NULL;
	if (!ops) {
		snprintf(err, errlen, "no capture backend '%s'", backend ? backend : "");
		return DICTUM_NOTFOUND;
	}
	if (!ops->list) {
		snprintf(err, errlen, "the %s backend has no devices to list", ops->name);
		return DICTUM_UNSUPPORTED;
	}
	return ops->list(list, count, err, errlen);
}

static void on_level(void *ctx, const struct level_reading *r)
{
	struct capture *c = ctx;
	if (c->cb.level)
		c->cb.level(c->cb.ctx, r);
}

static void post(struct capture *c, enum capture_event ev, int status, const char *msg)
{
	if (c->cb.event)
		c->cb.event(c->cb.ctx, ev, status, msg);
}

static int deliver(struct capture *c, const int16_t *pcm, size_t n)
{
	if (n == 0)
		return DICTUM_OK;
	level_feed(&c->meter, pcm, n, on_level, c);
	if (atomic_load(&c->paused) || !c->cb.frames)
		return DICTUM_OK;
	int rc = c->cb.frames(c->cb.ctx, pcm, n);
	if (rc == DICTUM_OK)
		atomic_fetch_add(&c->delivered, n);
	return rc;
}

static void *capture_thread(void *arg)
{
	struct capture *c = arg;
	char err[256];
	size_t max = sizeof(c->buf) / sizeof(c->buf[0]) / (size_t)c->channels;
	if (max > READ_FRAMES)
		max = READ_FRAMES;
	while (!atomic_load(&c->stop)) {
		size_t got = 0;
		bool overrun = false, end = false;
		const int16_t *out;
		size_t nout;
		err[0] = '\0';
		int rc =
		    c->ops->read(c->stream, c->buf, max, &got, &overrun, &end, err, sizeof(err));
		if (rc != DICTUM_OK) {
			c->end_status = rc;
			post(c,
			     rc == DICTUM_NOTFOUND ? CAPTURE_EVENT_DEVICE_LOST
			                           : CAPTURE_EVENT_ERROR,
			     rc, err);
			break;
		}
		if (overrun) {
			atomic_fetch_add(&c->overruns, 1);
			post(c, CAPTURE_EVENT_OVERRUN, DICTUM_OK, "the device dropped frames");
		}
		if (got) {
			rc = resampler_push_s16(c->rs, c->buf, got, &out, &nout);
			if (rc == DICTUM_OK)
				rc = deliver(c, out, nout);
			if (rc != DICTUM_OK) {
				c->end_status = rc;
				post(c, CAPTURE_EVENT_ERROR, rc, dictum_strerror(rc));
				break;
			}
		}
		if (end) {
			if (resampler_drain(c->rs, &out, &nout) == DICTUM_OK) {
				int drc = deliver(c, out, nout);
				if (drc != DICTUM_OK) {
					c->end_status = drc;
					post(c, CAPTURE_EVENT_ERROR, drc, dictum_strerror(drc));
					break;
				}
			}
			post(c, CAPTURE_EVENT_END, DICTUM_OK, "end of file");
			break;
		}
	}
	atomic_store(&c->ended, true);
	return NULL;
}

static void capture_free(struct capture **cp)
{
	struct capture *c = *cp;
	if (!c)
		return;
	if (c->stream)
		c->ops->close(&c->stream);
	resampler_free(&c->rs);
	free(c->device);
	free(c);
	*cp = NULL;
}

int capture_start(const char *backend, const char *device, const struct capture_callbacks *cb,
                  struct capture **out, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct capture *c = NULL;
	*out = NULL;
	if (!backend || !*backend) {
		backend = capture_backend_auto();
		if (!backend) {
			snprintf(err, errlen,
			         "no audio capture backend is usable (no PulseAudio "
			         "server answers and ALSA has no devices)");
			return DICTUM_NOTFOUND;
		}
	}
	const struct capture_ops *ops = find_ops(backend);
	if (!ops) {
		snprintf(err, errlen, "no capture backend '%s' (this build has:%s%s file)", backend,
#ifdef HAVE_PULSE
		         " pulse",
#else
		         "",
#endif
#ifdef HAVE_ALSA
		         " alsa"
#else
		         ""
#endif
		);
		return DICTUM_NOTFOUND;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->device = strdup(device ? device : ""))) {
		snprintf(err, errlen, "out of memory");
		result = DICTUM_NOMEM;
		goto out;
	}
	c->ops = ops;
	if (cb)
		c->cb = *cb;
	result = ops->open(*c->device ? c->device : NULL, &c->stream, &c->rate, &c->channels, err,
	                   errlen);
	if (result)
		goto out;
	if (c->channels < 1 || c->channels > 8) {
		snprintf(err, errlen, "%s: the device offers %d channels", ops->name, c->channels);
		result = DICTUM_UNSUPPORTED;
		goto out;
	}
	result = resampler_new(c->rate, c->channels, RESAMPLE_FAST, &c->rs);
	if (result) {
		snprintf(err, errlen, "%s: cannot convert from %d Hz: %s", ops->name, c->rate,
		         dictum_strerror(result));
		goto out;
	}
	level_init(&c->meter, AUDIO_RATE, LEVEL_WINDOW_MS);
	if (pthread_create(&c->thread, NULL, capture_thread, c) != 0) {
		snprintf(err, errlen, "cannot start the capture thread");
		result = DICTUM_NOMEM;
		goto out;
	}
	c->thread_started = true;
	log_debug("capture", "%s '%s' opened at %d Hz, %d channels", ops->name, c->device, c->rate,
	          c->channels);
	*out = c;
	c = NULL;
out:
	if (c)
		capture_free(&c);
	return result;
}

void capture_set_paused(struct capture *c, bool paused)
{
	atomic_store(&c->paused, paused);
}

bool capture_paused(const struct capture *c)
{
	return atomic_load(&((struct capture *)c)->paused);
}

bool capture_ended(const struct capture *c)
{
	return atomic_load(&((struct capture *)c)->ended);
}

const char *capture_backend(const struct capture *c)
{
	return c->ops->name;
}

const char *capture_device(const struct capture *c)
{
	return c->device;
}

void capture_native_format(const struct capture *c, int *rate, int *channels)
{
	*rate = c->rate;
	*channels = c->channels;
}

uint64_t capture_frames_delivered(const struct capture *c)
{
	return atomic_load(&((struct capture *)c)->delivered);
}

uint64_t capture_overruns(const struct capture *c)
{
	return atomic_load(&((struct capture *)c)->overruns);
}

int capture_stop(struct capture **cp)
{
	struct capture *c = cp ? *cp : NULL;
	if (!c)
		return DICTUM_OK;
	atomic_store(&c->stop, true);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	int result = c->end_status;
	capture_free(cp);
	return result;
}
