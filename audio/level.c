#include "audio/level.h"

#include <math.h>

void level_init(struct level_meter *m, int rate, unsigned window_ms)
{
	*m = (struct level_meter){0};
	m->window = (size_t)rate * window_ms / 1000;
	if (m->window == 0)
		m->window = 1;
}

double level_db(double amplitude)
{
	if (amplitude <= 0)
		return LEVEL_FLOOR_DB;
	double db = 20.0 * log10(amplitude / 32768.0);
	return db < LEVEL_FLOOR_DB ? LEVEL_FLOOR_DB : db;
}

void level_feed(struct level_meter *m, const int16_t *pcm, size_t n,
                void (*cb)(void *ctx, const struct level_reading *r), void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		int32_t s = pcm[i];
		int32_t a = s < 0 ? -s : s;
		m->sum_sq += (double)s * s;
		if (a > m->peak)
			m->peak = a;
		m->frames++;
		if (++m->count == m->window) {
			struct level_reading r = {
			    .rms_db = level_db(sqrt(m->sum_sq / (double)m->count)),
			    .peak_db = level_db(m->peak),
			    .end_frame = m->frames,
			};
			m->count = 0;
			m->sum_sq = 0;
			m->peak = 0;
			if (cb)
				cb(ctx, &r);
		}
	}
}
