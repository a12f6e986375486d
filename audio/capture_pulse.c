#include "audio/capture_backend.h"
#include "core/error.h"
#include "core/util.h"

#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <pulse/error.h>
#include <pulse/mainloop.h>
#include <pulse/pulseaudio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULSE_TIMEOUT_MS  3000
#define PULSE_FRAGMENT_MS 20

/* The stream runs on libpulse's threaded main loop; the capture thread
 * peeks at what arrived under the loop's lock and waits on its own
 * condition variable (with a timeout) when nothing has. */
struct capture_stream {
	pa_threaded_mainloop *ml;
	pa_context *ctx;
	pa_stream *stream;
	size_t frame_bytes;
	const uint8_t *frag; /* the fragment being consumed */
	size_t frag_len;
	size_t frag_off;
	bool frag_held;
	bool overflow;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready; /* data or a state change since the last look */
	char name[256];
};

/* The one place PulseAudio's error codes become DICTUM_* statuses. */
static int pulse_status(int e)
{
	switch (e) {
	case PA_ERR_NOENTITY:
	case PA_ERR_KILLED:
	case PA_ERR_CONNECTIONTERMINATED:
	case PA_ERR_CONNECTIONREFUSED:
	case PA_ERR_BADSTATE:
	case PA_ERR_NODATA:
		return DICTUM_NOTFOUND;
	case PA_ERR_ACCESS:
	case PA_ERR_AUTHKEY:
		return DICTUM_IO;
	case PA_ERR_BUSY:
		return DICTUM_BUSY;
	case PA_ERR_NOTSUPPORTED:
	case PA_ERR_NOTIMPLEMENTED:
		return DICTUM_UNSUPPORTED;
	case PA_ERR_INVALID:
		return DICTUM_INVAL;
	default:
		return DICTUM_IO;
	}
}

static int pulse_fail(int e, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int pulse_fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "pulse: %s: %s", what, pa_strerror(e));
	return pulse_status(e);
}

struct pulse_conn {
	pa_mainloop *ml;
	pa_context *ctx;
};

static void pulse_disconnect(struct pulse_conn *pc)
{
	if (pc->ctx) {
		pa_context_disconnect(pc->ctx);
		pa_context_unref(pc->ctx);
	}
	if (pc->ml)
		pa_mainloop_free(pc->ml);
	pc->ctx = NULL;
	pc->ml = NULL;
}

/* Runs the loop once, waiting at most 100 ms; false past the deadline. */
static bool pulse_step(struct pulse_conn *pc, uint64_t deadline_ns)
{
	if (time_mono_ns() > deadline_ns)
		return false;
	if (pa_mainloop_prepare(pc->ml, 100000) < 0 || pa_mainloop_poll(pc->ml) < 0 ||
	    pa_mainloop_dispatch(pc->ml) < 0)
		return false;
	return true;
}

static int pulse_connect(struct pulse_conn *pc, char *err, size_t errlen)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)PULSE_TIMEOUT_MS * 1000000u;
	pc->ctx = NULL;
	pc->ml = pa_mainloop_new();
	if (!pc->ml || !(pc->ctx = pa_context_new(pa_mainloop_get_api(pc->ml), "Dictum"))) {
		snprintf(err, errlen, "pulse: out of memory");
		pulse_disconnect(pc);
		return DICTUM_NOMEM;
	}
	if (pa_context_connect(pc->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
		goto failed;
	for (;;) {
		pa_context_state_t st = pa_context_get_state(pc->ctx);
		if (st == PA_CONTEXT_READY)
			return DICTUM_OK;
		if (!PA_CONTEXT_IS_GOOD(st))
			goto failed;
		if (!pulse_step(pc, deadline)) {
			snprintf(err, errlen, "pulse: the server did not answer in %d s",
			         PULSE_TIMEOUT_MS / 1000);
			pulse_disconnect(pc);
			return DICTUM_IO;
		}
	}
failed:;
	int e = pa_context_errno(pc->ctx);
	int result = pulse_fail(e, err, errlen, "no server answers");
	pulse_disconnect(pc);
	return result == DICTUM_NOTFOUND ? DICTUM_IO : result;
}

static int pulse_wait(struct pulse_conn *pc, pa_operation *op, char *err, size_t errlen)
{
	uint64_t deadline = time_mono_ns() + (uint64_t)PULSE_TIMEOUT_MS * 1000000u;
	int result = DICTUM_OK;
	if (!op)
		return pulse_fail(pa_context_errno(pc->ctx), err, errlen, "request failed");
	while (pa_operation_get_state(op) == PA_OPERATION_RUNNING) {
		if (!pulse_step(pc, deadline)) {
			snprintf(err, errlen, "pulse: the server did not answer");
			result = DICTUM_IO;
			break;
		}
	}
	pa_operation_unref(op);
	return result;
}

static bool pulse_available(void)
{
	struct pulse_conn pc;
	char err[256];
	if (pulse_connect(&pc, err, sizeof(err)) != DICTUM_OK)
		return false;
	pulse_disconnect(&pc);
	return true;
}

struct source_query {
	struct capture_device **list;
	size_t *count;
	char default_name[256];
	int status;
	/* for one source */
	pa_threaded_mainloop *ml;
	bool found;
	pa_sample_spec spec;
};

static void on_server_info(pa_context *c, const pa_server_info *i, void *userdata)
{
	struct source_query *q = userdata;
	if (i && i->default_source_name)
		str_copy(q->default_name, i->default_source_name, sizeof(q->default_name));
}

static void on_source(pa_context *c, const pa_source_info *i, int eol, void *userdata)
{
	struct source_query *q = userdata;
	if (eol || !i)
		return;
	q->found = true;
	q->spec = i->sample_spec;
	if (q->list && q->status == DICTUM_OK)
		q->status = capture_device_add(q->list, q->count, i->name, i->description,
		                               strcmp(i->name, q->default_name) == 0,
		                               i->monitor_of_sink != PA_INVALID_INDEX);
}

static int pulse_list(struct capture_device **list, size_t *count, char *err, size_t errlen)
{
	struct pulse_conn pc;
	struct source_query q = {.list = list, .count = count};
	int result = pulse_connect(&pc, err, errlen);
	if (result)
		return result;
	if ((result = pulse_wait(&pc, pa_context_get_server_info(pc.ctx, on_server_info, &q), err,
	                         errlen)) != DICTUM_OK)
		goto out;
	result =
	    pulse_wait(&pc, pa_context_get_source_info_list(pc.ctx, on_source, &q), err, errlen);
	if (!result && q.status) {
		result = q.status;
		snprintf(err, errlen, "pulse: out of memory");
	}
out:
	pulse_disconnect(&pc);
	return result;
}

static void wake(struct capture_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->ready = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pa_threaded_mainloop_signal(s->ml, 0);
}

static void on_context_state(pa_context *c, void *userdata)
{
	wake(userdata);
}

static void on_stream_state(pa_stream *st, void *userdata)
{
	wake(userdata);
}

static void on_stream_read(pa_stream *st, size_t nbytes, void *userdata)
{
	wake(userdata);
}

static void on_stream_overflow(pa_stream *st, void *userdata)
{
	struct capture_stream *s = userdata;
	s->overflow = true;
}

static void on_source_locked(pa_context *c, const pa_source_info *i, int eol, void *userdata)
{
	struct source_query *q = userdata;
	on_source(c, i, eol, q);
	pa_threaded_mainloop_signal(q->ml, 0);
}

static void pulse_close(struct capture_stream **sp)
{
	struct capture_stream *s = *sp;
	if (!s)
		return;
	if (s->ml) {
		pa_threaded_mainloop_lock(s->ml);
		if (s->stream) {
			pa_stream_set_state_callback(s->stream, NULL, NULL);
			pa_stream_set_read_callback(s->stream, NULL, NULL);
			pa_stream_set_overflow_callback(s->stream, NULL, NULL);
			pa_stream_disconnect(s->stream);
			pa_stream_unref(s->stream);
		}
		if (s->ctx) {
			pa_context_set_state_callback(s->ctx, NULL, NULL);
			pa_context_disconnect(s->ctx);
			pa_context_unref(s->ctx);
		}
		pa_threaded_mainloop_unlock(s->ml);
		pa_threaded_mainloop_stop(s->ml);
		pa_threaded_mainloop_free(s->ml);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
	*sp = NULL;
}

static int pulse_open(const char *device, struct capture_stream **out, int *rate, int *channels,
                      char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct source_query q = {0};
	const char *env = getenv("PULSE_SOURCE");
	const char *dev = device ? device : (env && *env ? env : NULL);
	const char *lookup = dev ? dev : "@DEFAULT_SOURCE@";
	bool locked = false;
	pa_context_state_t cst;
	pa_stream_state_t sst;

	struct capture_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "pulse: out of memory");
		return DICTUM_NOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->ml = pa_threaded_mainloop_new();
	if (!s->ml || !(s->ctx = pa_context_new(pa_threaded_mainloop_get_api(s->ml), "Dictum"))) {
		snprintf(err, errlen, "pulse: out of memory");
		result = DICTUM_NOMEM;
		goto out;
	}
	pa_context_set_state_callback(s->ctx, on_context_state, s);
	if (pa_context_connect(s->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0 ||
	    pa_threaded_mainloop_start(s->ml) < 0) {
		result = pulse_fail(pa_context_errno(s->ctx), err, errlen, "no server answers");
		result = result == DICTUM_NOTFOUND ? DICTUM_IO : result;
		goto out;
	}
	pa_threaded_mainloop_lock(s->ml);
	locked = true;
	while ((cst = pa_context_get_state(s->ctx)) != PA_CONTEXT_READY) {
		if (!PA_CONTEXT_IS_GOOD(cst)) {
			result =
			    pulse_fail(pa_context_errno(s->ctx), err, errlen, "no server answers");
			result = result == DICTUM_NOTFOUND ? DICTUM_IO : result;
			goto out;
		}
		pa_threaded_mainloop_wait(s->ml);
	}
	/* Ask for the source's own rate; libsamplerate does the conversion. */
	q.ml = s->ml;
	str_copy(s->name, lookup, sizeof(s->name));
	pa_operation *op = pa_context_get_source_info_by_name(s->ctx, lookup, on_source_locked, &q);
	if (!op) {
		result = pulse_fail(pa_context_errno(s->ctx), err, errlen, "request failed");
		goto out;
	}
	while (pa_operation_get_state(op) == PA_OPERATION_RUNNING)
		pa_threaded_mainloop_wait(s->ml);
	pa_operation_unref(op);
	if (!q.found) {
		snprintf(err, errlen, "pulse: no source named '%s' (see 'dictum devices')", lookup);
		result = DICTUM_NOTFOUND;
		goto out;
	}
	pa_sample_spec ss = {
	    .format = PA_SAMPLE_S16LE,
	    .rate = q.spec.rate,
	    .channels = (uint8_t)(q.spec.channels > 2 ? 2 : q.spec.channels),
	};
	if (!pa_sample_spec_valid(&ss))
		ss = (pa_sample_spec){.format = PA_SAMPLE_S16LE, .rate = 48000, .channels = 1};
	s->frame_bytes = pa_frame_size(&ss);
	pa_buffer_attr attr = {
	    .maxlength = (uint32_t)-1,
	    .tlength = (uint32_t)-1,
	    .prebuf = (uint32_t)-1,
	    .minreq = (uint32_t)-1,
	    .fragsize = (uint32_t)pa_usec_to_bytes(PULSE_FRAGMENT_MS * 1000, &ss),
	};
	s->stream = pa_stream_new(s->ctx, "recording", &ss, NULL);
	if (!s->stream) {
		result = pulse_fail(pa_context_errno(s->ctx), err, errlen, "cannot make a stream");
		goto out;
	}
	pa_stream_set_state_callback(s->stream, on_stream_state, s);
	pa_stream_set_read_callback(s->stream, on_stream_read, s);
	pa_stream_set_overflow_callback(s->stream, on_stream_overflow, s);
	/* Never let the server move us to another source: a vanished
	 * microphone must be reported, not silently replaced. */
	if (pa_stream_connect_record(s->stream, lookup, &attr,
	                             PA_STREAM_DONT_MOVE | PA_STREAM_ADJUST_LATENCY) < 0) {
		result = pulse_fail(pa_context_errno(s->ctx), err, errlen,
		                    "cannot record from '%s'", lookup);
		goto out;
	}
	while ((sst = pa_stream_get_state(s->stream)) != PA_STREAM_READY) {
		if (!PA_STREAM_IS_GOOD(sst)) {
			result = pulse_fail(pa_context_errno(s->ctx), err, errlen,
			                    "cannot record from '%s'", lookup);
			goto out;
		}
		pa_threaded_mainloop_wait(s->ml);
	}
	pa_threaded_mainloop_unlock(s->ml);
	locked = false;
	*rate = (int)ss.rate;
	*channels = ss.channels;
	*out = s;
	s = NULL;
out:
	if (locked)
		pa_threaded_mainloop_unlock(s->ml);
	pulse_close(&s);
	return result;
}

static int pulse_read(struct capture_stream *s, int16_t *buf, size_t max, size_t *got,
                      bool *overrun, bool *end, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	*got = 0;
	pthread_mutex_lock(&s->lock);
	s->ready = false;
	pthread_mutex_unlock(&s->lock);

	pa_threaded_mainloop_lock(s->ml);
	if (pa_context_get_state(s->ctx) != PA_CONTEXT_READY ||
	    pa_stream_get_state(s->stream) != PA_STREAM_READY) {
		snprintf(err, errlen, "pulse: the source '%s' is gone", s->name);
		result = DICTUM_NOTFOUND;
		goto unlock;
	}
	if (s->overflow) {
		*overrun = true;
		s->overflow = false;
	}
	if (!s->frag_held) {
		const void *data = NULL;
		size_t len = 0;
		if (pa_stream_peek(s->stream, &data, &len) < 0) {
			result =
			    pulse_fail(pa_context_errno(s->ctx), err, errlen, "reading failed");
			goto unlock;
		}
		if (len == 0)
			goto unlock; /* nothing yet: wait below */
		if (!data) {
			/* A hole in the stream: skip it. */
			pa_stream_drop(s->stream);
			*overrun = true;
			goto unlock;
		}
		s->frag = data;
		s->frag_len = len - len % s->frame_bytes;
		s->frag_off = 0;
		s->frag_held = true;
	}
	size_t want = max * s->frame_bytes;
	size_t have = s->frag_len - s->frag_off;
	size_t n = want < have ? want : have;
	memcpy(buf, s->frag + s->frag_off, n);
	s->frag_off += n;
	*got = n / s->frame_bytes;
	if (s->frag_off >= s->frag_len) {
		pa_stream_drop(s->stream);
		s->frag_held = false;
	}
unlock:
	pa_threaded_mainloop_unlock(s->ml);
	if (result == DICTUM_OK && *got == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&s->lock);
		while (!s->ready)
			if (pthread_cond_timedwait(&s->cond, &s->lock, &ts) != 0)
				break;
		pthread_mutex_unlock(&s->lock);
	}
	return result;
}

const struct capture_ops capture_pulse_ops = {
    .name = "pulse",
    .priority = 2,
    .available = pulse_available,
    .list = pulse_list,
    .open = pulse_open,
    .read = pulse_read,
    .close = pulse_close,
};
