#ifndef DICTUM_AUDIO_WAV_H
#define DICTUM_AUDIO_WAV_H

/* WAV files: a crash-safe writer for recordings, a header reader, and the
 * repair of a recording cut off by a crash.
 *
 * The writer keeps the file valid at every instant that matters: the
 * 44-byte PCM header is written (and fsync'ed with the folder) before any
 * audio, every write() goes straight to the kernel, and at least every
 * flush_ms the header's sizes are updated and the file is fsync'ed. A
 * SIGKILL therefore loses nothing that was written (the next repair fixes
 * the header from the file size) and a power cut loses at most flush_ms. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAV_HEADER_BYTES     44
#define WAV_FLUSH_MS_MAX     2000
#define WAV_FLUSH_MS_DEFAULT 1000

struct wav_writer;

/* Creates path (it must not exist; mode 0600), writes a header claiming no
 * audio, fsyncs the file and its folder, and takes an exclusive flock() on
 * it that lasts until wav_writer_close (so wav_repair can tell a live
 * recording from one cut off by a crash). flush_ms is clamped to
 * 1..WAV_FLUSH_MS_MAX; 0 means WAV_FLUSH_MS_DEFAULT.
 * Returns DICTUM_OK with *out set, DICTUM_EXISTS, DICTUM_FULL (no space for
 * the header), DICTUM_IO or DICTUM_NOMEM; err gets a line naming the file. */
int wav_writer_open(const char *path, int rate, int channels, unsigned flush_ms,
                    struct wav_writer **out, char *err, size_t errlen);

/* Appends interleaved 16-bit frames and flushes when flush_ms has passed.
 * Returns DICTUM_OK, DICTUM_FULL when the disk (or the file size limit, or
 * the 4 GiB WAV limit) is full: what fit is kept, trimmed to whole frames,
 * with a valid header, or DICTUM_IO. After a failure every later write
 * returns the same status without writing. */
int wav_writer_write(struct wav_writer *w, const int16_t *pcm, size_t nframes);

/* Updates the header and fsyncs now. Same returns as wav_writer_write. */
int wav_writer_flush(struct wav_writer *w);

/* Frames written so far (all of them are in the kernel's hands). */
uint64_t wav_writer_frames(const struct wav_writer *w);
/* Frames known to be on disk with a header that counts them. */
uint64_t wav_writer_synced_frames(const struct wav_writer *w);
int wav_writer_rate(const struct wav_writer *w);
/* The reason for the last failure ("" if none). */
const char *wav_writer_errmsg(const struct wav_writer *w);

/* Writes the final header, fsyncs, unlocks, closes and frees; sets *w to
 * NULL (NULL is fine). The file always stays. Returns DICTUM_OK or the
 * first error the writer met. */
int wav_writer_close(struct wav_writer **w);

struct wav_info {
	uint16_t format_tag; /* 1 PCM, 3 IEEE float, 0xFFFE extensible, ... */
	int channels;
	int rate;
	int bits;
	int block_align;
	uint64_t data_offset; /* where the samples start */
	uint64_t data_bytes;  /* what the header claims */
	uint64_t file_bytes;
	bool streamed; /* data size 0 or 0xFFFFFFFF with audio after it */
};

/* Parses a RIFF/WAVE header from the first len bytes of a file of
 * file_bytes bytes. Pure; safe on any input. Returns DICTUM_OK, or
 * DICTUM_INVAL with a reason in err (no RIFF/WAVE signature, no fmt or
 * data chunk, impossible values). It does not compare data_bytes with the
 * file size: see wav_info_truncated. */
int wav_parse_header(const uint8_t *buf, size_t len, uint64_t file_bytes, struct wav_info *out,
                     char *err, size_t errlen);

/* True when the header claims more audio than the file holds. */
bool wav_info_truncated(const struct wav_info *info);

/* Reads and parses the header of path. Returns DICTUM_OK, DICTUM_NOTFOUND,
 * DICTUM_IO or DICTUM_INVAL; err names the file. */
int wav_read_info(const char *path, struct wav_info *out, char *err, size_t errlen);

struct wav_repair_result {
	uint64_t frames; /* whole frames the repaired header counts */
	int rate;
	int channels;
	bool changed;        /* the header was rewritten */
	bool header_rebuilt; /* the header was unreadable and written anew */
};

/* Repairs a recording left by a crash: the header's sizes are recomputed
 * from the file size (rounded down to whole frames). A file too short to
 * hold a header gets a fresh 16-bit PCM header for rate and channels; a
 * file that is longer but not a 16-bit PCM WAV is left untouched
 * (DICTUM_INVAL). Nothing is ever deleted or truncated.
 * Returns DICTUM_OK, DICTUM_BUSY (a running writer still holds the file),
 * DICTUM_NOTFOUND, DICTUM_INVAL or DICTUM_IO; err names the file. */
int wav_repair(const char *path, int rate, int channels, struct wav_repair_result *out, char *err,
               size_t errlen);

/* SHA-256 of a file as 64 lowercase hex digits. Returns DICTUM_OK,
 * DICTUM_NOTFOUND or DICTUM_IO. */
int audio_file_sha256(const char *path, char out[65]);

#endif
