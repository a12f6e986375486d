#include "audio/decode_internal.h"
#include "core/error.h"

#include <fcntl.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_FRAMES 4096

/* The one place libsndfile's errors become DICTUM_* statuses. */
static int sndfile_status(int e)
{
	switch (e) {
	case SF_ERR_NO_ERROR:
		return DICTUM_OK;
	case SF_ERR_UNRECOGNISED_FORMAT:
	case SF_ERR_UNSUPPORTED_ENCODING:
		return DICTUM_UNSUPPORTED;
	case SF_ERR_SYSTEM:
		return DICTUM_IO;
	default:
		/* SF_ERR_MALFORMED_FILE and libsndfile's many internal format codes. */
		return DICTUM_INVAL;
	}
}

/* An Ogg stream that stops before its end-of-stream page was cut off. */
static bool ogg_missing_eos(const char *path)
{
	uint8_t buf[65536];
	bool missing = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		goto out;
	off_t from = st.st_size > (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) : 0;
	ssize_t n = pread(fd, buf, sizeof(buf), from);
	if (n < 27)
		goto out;
	for (ssize_t i = n - 27; i >= 0; i--) {
		if (!memcmp(buf + i, "OggS", 4) && buf[i + 4] == 0) {
			missing = !(buf[i + 5] & 0x04);
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return missing;
}

int decode_sndfile(const char *path, struct decode_out *o, char *why, size_t whylen)
{
	int result = DICTUM_OK;
	SF_INFO sfi = {0};
	float *buf = NULL;
	sf_count_t got = 0;
	SNDFILE *sf = sf_open(path, SFM_READ, &sfi);
	if (!sf) {
		int e = sf_error(NULL);
		result = sndfile_status(e);
		if (result == DICTUM_UNSUPPORTED)
			snprintf(why, whylen, "unsupported codec or format (%s)",
			         sf_error_number(e));
		else
			snprintf(why, whylen, "damaged or truncated (%s)", sf_error_number(e));
		return result;
	}
	SF_FORMAT_INFO fi = {.format = sfi.format & SF_FORMAT_SUBMASK};
	if (o->info && sf_command(sf, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name)
		snprintf(o->info->codec, sizeof(o->info->codec), "%s", fi.name);
	if ((result = decode_out_begin(o, sfi.samplerate, sfi.channels)) != DICTUM_OK) {
		snprintf(why, whylen, "impossible format (%d Hz, %d channels)", sfi.samplerate,
		         sfi.channels);
		goto out;
	}
	buf = malloc((size_t)CHUNK_FRAMES * (size_t)sfi.channels * sizeof(float));
	if (!buf) {
		result = DICTUM_NOMEM;
		goto out;
	}
	for (;;) {
		sf_count_t n = sf_readf_float(sf, buf, CHUNK_FRAMES);
		if (n <= 0)
			break;
		got += n;
		if ((result = decode_out_push(o, buf, (size_t)n)) != DICTUM_OK)
			goto out;
	}
	int e = sf_error(sf);
	if (e != SF_ERR_NO_ERROR) {
		result = DICTUM_INVAL;
		snprintf(why, whylen, "damaged or truncated (%s)", sf_strerror(sf));
		goto out;
	}
	if (sfi.frames > 0 && sfi.frames != SF_COUNT_MAX &&
	    decode_short((uint64_t)got, (uint64_t)sfi.frames)) {
		result = DICTUM_INVAL;
		snprintf(why, whylen,
		         "truncated: the header promises %.2f s but the file holds %.2f s",
		         (double)sfi.frames / sfi.samplerate, (double)got / sfi.samplerate);
		goto out;
	}
	if ((sfi.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG && ogg_missing_eos(path)) {
		result = DICTUM_INVAL;
		snprintf(why, whylen, "truncated: the Ogg stream has no end");
		goto out;
	}
out:
	free(buf);
	sf_close(sf);
	return result;
}
