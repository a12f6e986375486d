#ifndef DICTUM_AUDIO_CAPTURE_BACKEND_H
#define DICTUM_AUDIO_CAPTURE_BACKEND_H

/* The whole contract a capture backend fulfils (cmus's op.h is the model).
 * Only capture.c calls these. Each backend translates its library's errors
 * to DICTUM_* codes in one function and keeps the library quiet on stderr. */

#include "audio/capture.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture_stream; /* the backend's own */

struct capture_ops {
	const char *name;
	/* Higher is preferred by capture_backend_auto; 0 never chosen automatically. */
	int priority;
	/* True when usable now. */
	bool (*available)(void);
	/* See capture_list_devices. */
	int (*list)(struct capture_device **list, size_t *count, char *err, size_t errlen);
	/* Opens device (NULL for the default) and starts it. Sets *rate and
	 * *channels to the interleaved s16 format read() will return. */
	int (*open)(const char *device, struct capture_stream **out, int *rate, int *channels,
	            char *err, size_t errlen);
	/* Reads up to max frames, waiting at most about 100 ms; *got may be 0.
	 * *overrun is set when frames were dropped before these. Returns
	 * DICTUM_OK, DICTUM_NOTFOUND when the device is gone, DICTUM_IO on
	 * other failures; a file at its end returns DICTUM_OK with *end set. */
	int (*read)(struct capture_stream *s, int16_t *buf, size_t max, size_t *got, bool *overrun,
	            bool *end, char *err, size_t errlen);
	/* Stops and frees; sets *s to NULL. */
	void (*close)(struct capture_stream **s);
};

#ifdef HAVE_ALSA
extern const struct capture_ops capture_alsa_ops;
#endif
#ifdef HAVE_PULSE
extern const struct capture_ops capture_pulse_ops;
#endif
extern const struct capture_ops capture_file_ops;

/* Shared by the backends: a device list entry (strings copied). Returns
 * DICTUM_OK or DICTUM_NOMEM. */
int capture_device_add(struct capture_device **list, size_t *count, const char *name,
                       const char *description, bool is_default, bool is_monitor);

#endif
