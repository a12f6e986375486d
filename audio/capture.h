#ifndef DICTUM_AUDIO_CAPTURE_H
#define DICTUM_AUDIO_CAPTURE_H

/* Live capture. A capture opens a device on a backend (ALSA, PulseAudio,
 * or a file played in real time) and runs one worker thread that reads the
 * device in its native format, converts it to 16 kHz mono signed 16-bit,
 * and hands it to the caller's callbacks. The callbacks run on that worker
 * thread: they must not touch curses; copy what they need and wake the UI
 * (cmus's player thread is the model). */

#include "audio/level.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;

enum capture_event {
	CAPTURE_EVENT_DEVICE_LOST, /* the device disappeared; the thread ended */
	CAPTURE_EVENT_ERROR,       /* a read or a frames callback failed; the thread ended */
	CAPTURE_EVENT_END,         /* the file backend reached the end of its file */
	CAPTURE_EVENT_OVERRUN,     /* the device dropped frames (we were too slow); going on */
};

struct capture_callbacks {
	/* 16 kHz mono frames; pcm belongs to the capture and is valid only
	 * during the call. Not called while paused. Return DICTUM_OK to go
	 * on; any other status stops the capture with CAPTURE_EVENT_ERROR
	 * (a full disk stops it this way). May be NULL. */
	int (*frames)(void *ctx, const int16_t *pcm, size_t nframes);
	/* One reading every LEVEL_WINDOW_MS of audio, paused or not. May be NULL. */
	void (*level)(void *ctx, const struct level_reading *reading);
	/* status is a DICTUM_* code; message is one line, valid during the call. May be NULL. */
	void (*event)(void *ctx, enum capture_event ev, int status, const char *message);
	void *ctx;
};

struct capture_device {
	char *name;        /* what capture_start's device takes */
	char *description; /* may be "" */
	bool is_default;
	bool is_monitor; /* PulseAudio: the monitor of an output */
};
void capture_devices_free(struct capture_device **list, size_t count);

/* Names of the compiled-in backends, best first ("pulse", "alsa", "file"). */
size_t capture_backend_count(void);
const char *capture_backend_name_at(size_t i);
/* True when the backend can be used now (PulseAudio: a server answers). */
bool capture_backend_available(const char *backend);
/* The backend chosen when none is named: PulseAudio when a server answers,
 * else ALSA. NULL when none is usable. */
const char *capture_backend_auto(void);

/* Lists a backend's capture devices. *list is malloc'ed: free it with
 * capture_devices_free. Returns DICTUM_OK, DICTUM_NOTFOUND (no such
 * backend), DICTUM_UNSUPPORTED (the file backend), DICTUM_IO (the server
 * or driver refused; err says why). */
int capture_list_devices(const char *backend, struct capture_device **list, size_t *count,
                         char *err, size_t errlen);

/* Opens device (NULL or "" for the backend's default; a path for "file")
 * on backend (NULL for capture_backend_auto) and starts the worker.
 * cb is copied. Returns DICTUM_OK with *out set; DICTUM_NOTFOUND (no such
 * backend or device), DICTUM_BUSY, DICTUM_IO, DICTUM_NOMEM; err says why
 * in one line naming the backend and device. Stop it with capture_stop. */
int capture_start(const char *backend, const char *device, const struct capture_callbacks *cb,
                  struct capture **out, char *err, size_t errlen);

/* While paused the device is still read (so it does not overrun) and the
 * level is still reported, but no frames reach the frames callback. */
void capture_set_paused(struct capture *c, bool paused);
bool capture_paused(const struct capture *c);
/* True once the worker has ended by itself (device lost, error, end). */
bool capture_ended(const struct capture *c);

const char *capture_backend(const struct capture *c);
const char *capture_device(const struct capture *c); /* "" for the default */
/* The device's native format that the capture converts from. */
void capture_native_format(const struct capture *c, int *rate, int *channels);
/* 16 kHz frames delivered to the frames callback so far. */
uint64_t capture_frames_delivered(const struct capture *c);
uint64_t capture_overruns(const struct capture *c);

/* Stops the worker, joins it, closes the device and frees; sets *c to NULL
 * (NULL is fine). Frames already delivered stay delivered. Returns
 * DICTUM_OK when the worker was still running or reached the end of a
 * file, else the status that ended it (DICTUM_NOTFOUND for a lost device,
 * or the frames callback's status). To go on after a lost device, start a
 * new capture on another device with the same callbacks. */
int capture_stop(struct capture **c);

#endif
