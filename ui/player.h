#ifndef DICTUM_UI_PLAYER_H
#define DICTUM_UI_PLAYER_H

/* Plays a span of a 16-bit PCM WAV recording through paplay (or aplay when
 * PulseAudio's player is missing) as a child process fed from a thread, so
 * the screen never waits on audio. */

#include <stdbool.h>
#include <stddef.h>

struct ui_player;

/* Starts playing seconds start..end of wav. Returns DICTUM_OK, or an error
 * status with a one-line reason in err. */
int ui_player_start(struct ui_player **out, const char *wav, double start, double end, char *err,
                    size_t errlen);
/* True while the player process runs. */
bool ui_player_running(struct ui_player *p);
/* Stops the player (if still running), joins the feeder, frees, sets *p to
 * NULL (NULL is fine). */
void ui_player_stop(struct ui_player **p);

#endif
