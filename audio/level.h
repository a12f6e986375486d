#ifndef DICTUM_AUDIO_LEVEL_H
#define DICTUM_AUDIO_LEVEL_H

/* The level meter: RMS and peak in dBFS over fixed windows (50 ms for the
 * UI). Pure arithmetic, no allocation. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEVEL_WINDOW_MS 50
#define LEVEL_FLOOR_DB  (-96.0)

struct level_reading {
	double rms_db; /* LEVEL_FLOOR_DB for digital silence, 0 at full scale */
	double peak_db;
	uint64_t end_frame; /* frames fed before this reading's end */
};

struct level_meter {
	size_t window; /* frames per reading */
	size_t count;  /* frames in the current window */
	double sum_sq;
	int32_t peak;
	uint64_t frames;
};

void level_init(struct level_meter *m, int rate, unsigned window_ms);
/* Feeds frames; calls cb once per completed window, in order. */
void level_feed(struct level_meter *m, const int16_t *pcm, size_t n,
                void (*cb)(void *ctx, const struct level_reading *r), void *ctx);
/* dBFS of a linear amplitude relative to 32768, floored at LEVEL_FLOOR_DB. */
double level_db(double amplitude);

#endif
