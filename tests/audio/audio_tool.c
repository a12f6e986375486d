/* A helper for the audio shell tests, using Dictum's own decoder:
 *   audio_tool decode FILE [MAX_BYTES]   decode; print frames, seconds, container, codec
 *   audio_tool corr REF GOT              best alignment of REF within GOT and the
 *                                        normalised cross-correlation there
 *   audio_tool header FILE               a WAV whose header counts exactly the file's audio
 * Exit status 0 on success, 1 with a one-line reason on stderr. */
#include "audio/lib.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 64 /* 4 ms envelope blocks for the coarse search */

static int load(const char *path, int16_t **pcm, size_t *n)
{
	char err[1024];
	if (audio_decode_file(path, 0, pcm, n, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}

static double *envelope(const int16_t *x, size_t n, size_t *ne)
{
	*ne = n / BLOCK;
	double *e = calloc(*ne ? *ne : 1, sizeof(double));
	double mean = 0;
	for (size_t i = 0; i < *ne; i++) {
		double s = 0;
		for (size_t j = 0; j < BLOCK; j++)
			s += fabs((double)x[i * BLOCK + j]);
		e[i] = s / BLOCK;
		mean += e[i];
	}
	mean /= *ne ? (double)*ne : 1;
	for (size_t i = 0; i < *ne; i++)
		e[i] -= mean;
	return e;
}

/* Normalised correlation of x against y shifted by d (y[i + d] ~ x[i]). */
static double ncc_d(const double *x, size_t nx, const double *y, size_t ny, long d, size_t *ov)
{
	long from = d < 0 ? -d : 0;
	long to = (long)nx;
	if ((long)ny - d < to)
		to = (long)ny - d;
	double sxy = 0, sxx = 0, syy = 0;
	*ov = to > from ? (size_t)(to - from) : 0;
	for (long i = from; i < to; i++) {
		double a = x[i], b = y[i + d];
		sxy += a * b;
		sxx += a * a;
		syy += b * b;
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static double ncc_s(const int16_t *x, size_t nx, const int16_t *y, size_t ny, long d, size_t *ov)
{
	long from = d < 0 ? -d : 0;
	long to = (long)nx;
	if ((long)ny - d < to)
		to = (long)ny - d;
	double sxy = 0, sxx = 0, syy = 0;
	*ov = to > from ? (size_t)(to - from) : 0;
	for (long i = from; i < to; i++) {
		double a = x[i], b = y[i + d];
		sxy += a * b;
		sxx += a * a;
		syy += b * b;
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median over the 0.5 s windows of the reference that the global alignment
 * puts inside GOT (those with speech in them) of
 * the correlation, each window aligned again within 0.5 s of the global
 * lag: a gap in the playback (a player's underrun on a loaded machine)
 * then costs one window, not everything after it. */
static double windowed(const int16_t *x, size_t nx, const int16_t *y, size_t ny, long d0)
{
	const size_t win = AUDIO_RATE / 2;
	double rms_all = 0, vals[4096];
	size_t nv = 0, ov;
	for (size_t i = 0; i < nx; i++)
		rms_all += (double)x[i] * x[i];
	rms_all = sqrt(rms_all / (nx ? (double)nx : 1));
	for (size_t w0 = 0; w0 + win <= nx && nv < 4096; w0 += win) {
		double e = 0;
		for (size_t i = w0; i < w0 + win; i++)
			e += (double)x[i] * x[i];
		if (sqrt(e / (double)win) < 0.3 * rms_all)
			continue;
		/* Only windows that the global alignment puts inside GOT. */
		if ((long)w0 + d0 < 0 || (long)w0 + d0 + (long)win > (long)ny)
			continue;
		long lo = (long)w0 + d0 - AUDIO_RATE / 2, hi = (long)w0 + d0 + AUDIO_RATE / 2;
		if (lo < 0)
			lo = 0;
		if (hi + (long)win > (long)ny)
			hi = (long)ny - (long)win;
		if (hi < lo)
			continue;
		/* y[pos + i] ~ x[w0 + i] for pos in [lo, hi]: coarse, then fine. */
		size_t ea, eb;
		double *a = envelope(x + w0, win, &ea);
		double *b = envelope(y + lo, (size_t)(hi - lo) + win, &eb);
		double best = -2;
		long bd = 0;
		for (long k = 0; k + (long)ea <= (long)eb; k++) {
			double c = ncc_d(a, ea, b, eb, k, &ov);
			if (c > best) {
				best = c;
				bd = k;
			}
		}
		free(a);
		free(b);
		best = -2;
		long center = lo + bd * BLOCK;
		for (long p = center - 2 * BLOCK; p <= center + 2 * BLOCK; p++) {
			if (p < 0 || p + (long)win > (long)ny)
				continue;
			double c = ncc_s(x + w0, win, y + p, win, 0, &ov);
			if (c > best)
				best = c;
		}
		if (best > -2)
			vals[nv++] = best;
	}
	if (nv == 0)
		return 0;
	qsort(vals, nv, sizeof(vals[0]), cmp_double);
	return vals[nv / 2];
}

static int corr(const char *ref, const char *got)
{
	int16_t *x = NULL, *y = NULL;
	size_t nx, ny, ex, ey, ov;
	if (load(ref, &x, &nx) || load(got, &y, &ny))
		return 1;
	double *a = envelope(x, nx, &ex), *b = envelope(y, ny, &ey);
	size_t need = (ex < ey ? ex : ey) / 2;
	double best = -2;
	long best_d = 0;
	for (long d = -(long)ex + 1; d < (long)ey; d++) {
		double c = ncc_d(a, ex, b, ey, d, &ov);
		if (ov >= need && ov > 0 && c > best) {
			best = c;
			best_d = d;
		}
	}
	best = -2;
	long fine = best_d * BLOCK, fine_d = fine;
	for (long d = fine - 2 * BLOCK; d <= fine + 2 * BLOCK; d++) {
		double c = ncc_s(x, nx, y, ny, d, &ov);
		if (ov > 0 && c > best) {
			best = c;
			fine_d = d;
		}
	}
	ncc_s(x, nx, y, ny, fine_d, &ov);
	double wmed = windowed(x, nx, y, ny, fine_d);
	printf("corr=%.4f lag=%.3f overlap=%.3f ref=%.3f got=%.3f wcorr=%.4f\n", best,
	       (double)fine_d / AUDIO_RATE, (double)ov / AUDIO_RATE, (double)nx / AUDIO_RATE,
	       (double)ny / AUDIO_RATE, wmed);
	free(a);
	free(b);
	free(x);
	free(y);
	return 0;
}

static int decode(const char *path, size_t max)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	char err[1024];
	struct audio_decode_info info;
	if (audio_decode_file_info(path, max, &pcm, &n, &info, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("frames=%zu seconds=%.3f container=%s codec=%s rate=%d channels=%d\n", n,
	       (double)n / AUDIO_RATE, info.container, info.codec, info.source_rate,
	       info.source_channels);
	free(pcm);
	return 0;
}

static int header(const char *path)
{
	struct wav_info wi;
	char err[1024];
	if (wav_read_info(path, &wi, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint64_t avail = wi.file_bytes - wi.data_offset;
	avail -= avail % (uint64_t)wi.block_align;
	if (wi.streamed || wi.data_bytes != avail) {
		fprintf(stderr, "%s: header counts %llu bytes, file holds %llu\n", path,
		        (unsigned long long)wi.data_bytes, (unsigned long long)avail);
		return 1;
	}
	printf("frames=%llu seconds=%.3f rate=%d channels=%d\n",
	       (unsigned long long)(wi.data_bytes / (uint64_t)wi.block_align),
	       (double)wi.data_bytes / wi.block_align / wi.rate, wi.rate, wi.channels);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "decode") == 0)
		return decode(argv[2], argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 0);
	if (argc == 4 && strcmp(argv[1], "corr") == 0)
		return corr(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "header") == 0)
		return header(argv[2]);
	fprintf(stderr, "usage: audio_tool decode FILE [MAX] | corr REF GOT | header FILE\n");
	return 2;
}
