#ifndef DICTUM_AUDIO_DECODE_H
#define DICTUM_AUDIO_DECODE_H

/* Decoding of uploaded audio files to 16 kHz mono signed 16-bit PCM.
 * WAV, FLAC and OGG go through libsndfile, MP3 through libmpg123, M4A and
 * WebM (and what libsndfile cannot read) through FFmpeg's libavformat and
 * libavcodec; the rate is converted with libsamplerate. The format is
 * found from the file's first bytes, never from its name. */

#include <stddef.h>
#include <stdint.h>

/* Longest audio a decode returns (8 hours); longer input is refused. */
#define AUDIO_DECODE_MAX_SECONDS (8 * 3600)

struct audio_decode_info {
	char container[16]; /* "wav", "flac", "ogg", "mp3", "m4a", "webm", ... */
	char codec[32];     /* as the decoding library names it */
	int source_rate;
	int source_channels;
	double seconds; /* of the 16 kHz output */
};

/* Decodes path (at most max_bytes long; 0 means no limit) into a malloc'ed
 * array of 16 kHz mono samples; the caller frees *pcm. On failure *pcm is
 * NULL, *nframes 0, and err gets one line starting with the path and
 * saying why: DICTUM_NOTFOUND (no such file), DICTUM_IO (cannot read it),
 * DICTUM_INVAL (empty, over max_bytes, not audio, truncated, a header that
 * claims more audio than the file holds, damaged), DICTUM_UNSUPPORTED (an
 * audio format or codec Dictum does not decode), DICTUM_NOMEM. A file
 * that decodes to no samples at all is DICTUM_INVAL. info may be NULL. */
int audio_decode_file_info(const char *path, size_t max_bytes, int16_t **pcm, size_t *nframes,
                           struct audio_decode_info *info, char *err, size_t errlen);
int audio_decode_file(const char *path, size_t max_bytes, int16_t **pcm, size_t *nframes, char *err,
                      size_t errlen);

#endif
