#include "audio/wav.h"
#include "core/error.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAV_MAX_DATA_BYTES (0xFFFFFFFFull - (WAV_HEADER_BYTES - 8))

struct wav_writer {
	int fd;
	char *path;
	int rate;
	int channels;
	unsigned flush_ms;
	uint64_t frames;
	uint64_t synced_frames;
	uint64_t last_flush_ns;
	int status; /* sticky failure */
	char errmsg[256];
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void build_header(uint8_t h[WAV_HEADER_BYTES], int rate, int channels, uint32_t data_bytes)
{
	uint16_t block = (uint16_t)(channels * 2);
	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	put_le16(h + 20, 1);
	put_le16(h + 22, (uint16_t)channels);
	put_le32(h + 24, (uint32_t)rate);
	put_le32(h + 28, (uint32_t)rate * block);
	put_le16(h + 32, block);
	put_le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data_bytes);
}

static int errno_status(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return DICTUM_FULL;
	case ENOENT:
		return DICTUM_NOTFOUND;
	case EEXIST:
		return DICTUM_EXISTS;
	case ENOMEM:
		return DICTUM_NOMEM;
	default:
		return DICTUM_IO;
	}
}

static int write_all(int fd, const void *buf, size_t len, size_t *done)
{
	const uint8_t *p = buf;
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return ENOSPC;
		*done += (size_t)n;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, p + done, len - done, off + (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		done += (size_t)n;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return ENOMEM;
	int result = 0;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		result = errno;
	} else {
		if (fsync(fd) != 0 && errno != EINVAL)
			result = errno;
		close(fd);
	}
	free(copy);
	return result;
}

static const char *full_reason(int e)
{
	if (e == EFBIG)
		return "the file size limit was reached";
	return "the disk is full";
}

int wav_writer_open(const char *path, int rate, int channels, unsigned flush_ms,
                    struct wav_writer **out, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct wav_writer *w = NULL;
	uint8_t h[WAV_HEADER_BYTES];
	size_t done;
	int e;

	*out = NULL;
	if (!path || rate <= 0 || rate > 768000 || channels < 1 || channels > 16) {
		set_err(err, errlen, "cannot create a recording: bad format");
		return DICTUM_INVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		result = DICTUM_NOMEM;
		set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	w->rate = rate;
	w->channels = channels;
	w->flush_ms = flush_ms == 0 ? WAV_FLUSH_MS_DEFAULT
	                            : (flush_ms > WAV_FLUSH_MS_MAX ? WAV_FLUSH_MS_MAX : flush_ms);
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		e = errno;
		result = errno_status(e);
		set_err(err, errlen, "%s: cannot create: %s", path, strerror(e));
		goto out;
	}
	if (flock(w->fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		result = DICTUM_IO;
		set_err(err, errlen, "%s: cannot lock: %s", path, strerror(e));
		goto out;
	}
	build_header(h, rate, channels, 0);
	if ((e = write_all(w->fd, h, sizeof(h), &done)) != 0 || (e = fdatasync(w->fd)) != 0 ||
	    (e = fsync_dir_of(path)) != 0) {
		if (e < 0)
			e = errno;
		result = errno_status(e);
		set_err(err, errlen, "%s: cannot write the header: %s", path,
		        result == DICTUM_FULL ? full_reason(e) : strerror(e));
		/* Only this empty file of ours exists: do not leave it half-made. */
		close(w->fd);
		w->fd = -1;
		unlink(path);
		goto out;
	}
	w->last_flush_ns = time_mono_ns();
	*out = w;
	w = NULL;
out:
	if (w) {
		if (w->fd >= 0)
			close(w->fd);
		free(w->path);
		free(w);
	}
	return result;
}

static int writer_fail(struct wav_writer *w, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int writer_fail(struct wav_writer *w, int status, const char *fmt, ...)
{
	if (w->status == DICTUM_OK) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
		va_end(ap);
		w->status = status;
	}
	return w->status;
}

static int writer_sync(struct wav_writer *w)
{
	uint64_t bytes = w->frames * (uint64_t)w->channels * 2;
	uint8_t h[WAV_HEADER_BYTES];
	int e;

	/* Data first, then the header that counts it. */
	if (fdatasync(w->fd) != 0) {
		e = errno;
		return writer_fail(w, errno_status(e), "%s: cannot sync: %s", w->path, strerror(e));
	}
	build_header(h, w->rate, w->channels, (uint32_t)bytes);
	if ((e = pwrite_all(w->fd, h + 4, 4, 4)) != 0 || (e = pwrite_all(w->fd, h + 40, 4, 40)) ||
	    (fdatasync(w->fd) != 0 && (e = errno) != 0))
		return writer_fail(w, errno_status(e), "%s: cannot update the header: %s", w->path,
		                   strerror(e));
	w->synced_frames = w->frames;
	w->last_flush_ns = time_mono_ns();
	return DICTUM_OK;
}

int wav_writer_write(struct wav_writer *w, const int16_t *pcm, size_t nframes)
{
	if (w->status)
		return w->status;
	size_t frame_bytes = (size_t)w->channels * 2;
	uint64_t have = w->frames * frame_bytes;
	size_t len = nframes * frame_bytes;
	bool limit = false;
	if (have + len > WAV_MAX_DATA_BYTES) {
		len = (size_t)((WAV_MAX_DATA_BYTES - have) / frame_bytes * frame_bytes);
		limit = true;
	}
	size_t done = 0;
	int e = write_all(w->fd, pcm, len, &done);
	w->frames += done / frame_bytes;
	if (e || limit) {
		if (done % frame_bytes) {
			/* Drop the partial frame so the data stays whole frames. */
			off_t keep = (off_t)(WAV_HEADER_BYTES + w->frames * frame_bytes);
			if (ftruncate(w->fd, keep) != 0 || lseek(w->fd, keep, SEEK_SET) < 0)
				e = errno;
		}
		int status = limit && !e ? DICTUM_FULL : errno_status(e);
		/* The header update overwrites bytes already on disk: it works on a full disk. */
		writer_sync(w);
		w->status = DICTUM_OK; /* the reason that stopped the writing wins */
		if (limit && !e)
			return writer_fail(w, status, "%s: the 4 GiB WAV limit was reached",
			                   w->path);
		return writer_fail(w, status, "%s: %s", w->path,
		                   status == DICTUM_FULL ? full_reason(e) : strerror(e));
	}
	if ((time_mono_ns() - w->last_flush_ns) / 1000000u >= w->flush_ms)
		return writer_sync(w);
	return DICTUM_OK;
}

int wav_writer_flush(struct wav_writer *w)
{
	if (w->status)
		return w->status;
	return writer_sync(w);
}

uint64_t wav_writer_frames(const struct wav_writer *w)
{
	return w->frames;
}

uint64_t wav_writer_synced_frames(const struct wav_writer *w)
{
	return w->synced_frames;
}

int wav_writer_rate(const struct wav_writer *w)
{
	return w->rate;
}

const char *wav_writer_errmsg(const struct wav_writer *w)
{
	return w->errmsg;
}

int wav_writer_close(struct wav_writer **wp)
{
	struct wav_writer *w = wp ? *wp : NULL;
	if (!w)
		return DICTUM_OK;
	int result = w->status;
	if (result == DICTUM_OK)
		result = writer_sync(w);
	if (close(w->fd) != 0 && result == DICTUM_OK)
		result = writer_fail(w, DICTUM_IO, "%s: close: %s", w->path, strerror(errno));
	free(w->path);
	free(w);
	*wp = NULL;
	return result;
}

int wav_parse_header(const uint8_t *buf, size_t len, uint64_t file_bytes, struct wav_info *out,
                     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->file_bytes = file_bytes;
	if (len < 12 || (memcmp(buf, "RIFF", 4) != 0 && memcmp(buf, "RF64", 4) != 0) ||
	    memcmp(buf + 8, "WAVE", 4) != 0) {
		set_err(err, errlen, "not a WAV file (no RIFF/WAVE signature)");
		return DICTUM_INVAL;
	}
	bool have_fmt = false;
	size_t pos = 12;
	while (pos + 8 <= len) {
		const uint8_t *c = buf + pos;
		uint32_t size = get_le32(c + 4);
		if (memcmp(c, "fmt ", 4) == 0) {
			if (size < 16 || pos + 8 + 16 > len) {
				set_err(err, errlen, "damaged WAV header (short fmt chunk)");
				return DICTUM_INVAL;
			}
			out->format_tag = get_le16(c + 8);
			out->channels = get_le16(c + 10);
			out->rate = (int)get_le32(c + 12);
			out->block_align = get_le16(c + 20);
			out->bits = get_le16(c + 22);
			if (out->format_tag == 0xFFFE && size >= 40 && pos + 8 + 26 <= len)
				out->format_tag = get_le16(c + 8 + 24);
			if (out->channels < 1 || out->rate < 1 || out->rate > 768000 ||
			    out->block_align < 1) {
				set_err(err, errlen,
				        "damaged WAV header (channels %d, rate %d, block %d)",
				        out->channels, out->rate, out->block_align);
				return DICTUM_INVAL;
			}
			have_fmt = true;
		} else if (memcmp(c, "data", 4) == 0) {
			if (!have_fmt) {
				set_err(err, errlen, "damaged WAV header (data before fmt)");
				return DICTUM_INVAL;
			}
			out->data_offset = pos + 8;
			out->data_bytes = size;
			uint64_t avail =
			    file_bytes > out->data_offset ? file_bytes - out->data_offset : 0;
			if ((size == 0 || size == 0xFFFFFFFFu) && avail > 0) {
				out->streamed = true;
				out->data_bytes = avail;
			}
			return DICTUM_OK;
		}
		uint64_t next = (uint64_t)pos + 8 + size + (size & 1);
		if (next > len)
			break;
		pos = (size_t)next;
	}
	set_err(err, errlen,
	        have_fmt ? "damaged WAV header (no data chunk)"
	                 : "damaged WAV header (no fmt chunk)");
	return DICTUM_INVAL;
}

bool wav_info_truncated(const struct wav_info *info)
{
	return info->data_offset + info->data_bytes > info->file_bytes;
}

static int read_head(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = pread(fd, buf + *len, cap - *len, (off_t)*len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

int wav_read_info(const char *path, struct wav_info *out, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	uint8_t buf[4096];
	size_t len;
	struct stat st;
	char why[160] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		result = errno_status(errno);
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return result == DICTUM_NOTFOUND ? result : DICTUM_IO;
	}
	int e = fstat(fd, &st) != 0 ? errno : read_head(fd, buf, sizeof(buf), &len);
	if (e) {
		result = DICTUM_IO;
		set_err(err, errlen, "%s: %s", path, strerror(e));
		goto out;
	}
	result = wav_parse_header(buf, len, (uint64_t)st.st_size, out, why, sizeof(why));
	if (result)
		set_err(err, errlen, "%s: %s", path, why);
out:
	close(fd);
	return result;
}

int wav_repair(const char *path, int rate, int channels, struct wav_repair_result *out, char *err,
               size_t errlen)
{
	int result = DICTUM_OK;
	uint8_t buf[4096];
	size_t len = 0;
	struct stat st;
	struct wav_info info;
	char why[160];
	int e;

	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		set_err(err, errlen, "%s: %s", path, strerror(e));
		return e == ENOENT ? DICTUM_NOTFOUND : DICTUM_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		e = errno;
		result = e == EWOULDBLOCK ? DICTUM_BUSY : DICTUM_IO;
		set_err(err, errlen, "%s: %s", path,
		        result == DICTUM_BUSY ? "still being recorded by a running dictum"
		                              : strerror(e));
		goto out;
	}
	if (fstat(fd, &st) != 0 || (e = read_head(fd, buf, sizeof(buf), &len)) != 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		result = DICTUM_IO;
		goto out;
	}
	if ((uint64_t)st.st_size < WAV_HEADER_BYTES) {
		/* Cut off while the header was being written: it holds no audio. */
		if (rate <= 0 || channels <= 0) {
			set_err(err, errlen, "%s: no header and no known format", path);
			result = DICTUM_INVAL;
			goto out;
		}
		uint8_t h[WAV_HEADER_BYTES];
		build_header(h, rate, channels, 0);
		if ((e = pwrite_all(fd, h, sizeof(h), 0)) != 0) {
			result = errno_status(e);
			set_err(err, errlen, "%s: cannot write a header: %s", path, strerror(e));
			goto out;
		}
		out->header_rebuilt = out->changed = true;
		out->rate = rate;
		out->channels = channels;
	} else {
		if (wav_parse_header(buf, len, (uint64_t)st.st_size, &info, why, sizeof(why))) {
			set_err(err, errlen, "%s: %s; left untouched", path, why);
			result = DICTUM_INVAL;
			goto out;
		}
		if (info.format_tag != 1 || info.bits != 16 ||
		    info.block_align != info.channels * 2) {
			set_err(err, errlen, "%s: not a 16-bit PCM recording; left untouched",
			        path);
			result = DICTUM_INVAL;
			goto out;
		}
		uint64_t avail = (uint64_t)st.st_size - info.data_offset;
		if (avail > WAV_MAX_DATA_BYTES)
			avail = WAV_MAX_DATA_BYTES;
		avail -= avail % (uint64_t)info.block_align;
		uint32_t riff = (uint32_t)(info.data_offset - 8 + avail);
		uint8_t cur_riff[4], cur_data[4], v[4];
		memcpy(cur_riff, buf + 4, 4);
		memcpy(cur_data, buf + info.data_offset - 4, 4);
		put_le32(v, riff);
		if (memcmp(v, cur_riff, 4) != 0) {
			if ((e = pwrite_all(fd, v, 4, 4)) != 0)
				goto write_failed;
			out->changed = true;
		}
		put_le32(v, (uint32_t)avail);
		if (memcmp(v, cur_data, 4) != 0) {
			if ((e = pwrite_all(fd, v, 4, (off_t)info.data_offset - 4)) != 0)
				goto write_failed;
			out->changed = true;
		}
		out->rate = info.rate;
		out->channels = info.channels;
		out->frames = avail / (uint64_t)info.block_align;
	}
	if (out->changed && fsync(fd) != 0) {
		e = errno;
		goto write_failed;
	}
	goto out;
write_failed:
	result = errno_status(e);
	set_err(err, errlen, "%s: cannot update the header: %s", path, strerror(e));
out:
	close(fd);
	return result;
}

int audio_file_sha256(const char *path, char out[65])
{
	int result = DICTUM_OK;
	uint8_t buf[65536];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DICTUM_NOTFOUND : DICTUM_IO;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		result = DICTUM_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			result = DICTUM_IO;
			goto out;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1) {
		result = DICTUM_INTERNAL;
		goto out;
	}
	for (unsigned i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return result;
}
