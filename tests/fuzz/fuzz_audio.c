/* Fuzzing of the audio decoders and the WAV header reader and repair.
 *
 * Built as a libFuzzer target with clang and -DDICTUM_FUZZ=ON; otherwise a
 * plain driver that mutates seed files (bit flips, byte runs, truncation,
 * header-field overwrites) for a bounded time:
 *   fuzz_audio SECONDS SEED... [--save DIR]
 * Any input that crashes is the last file written to $TMPDIR/fuzz-audio-input
 * (kept by the plain driver on a crash); copy it to tests/fuzz/regressions/,
 * where tests/audio/decode.sh decodes every file on each test run.
 * In a sanitizer build, run it with
 *   LSAN_OPTIONS=suppressions=tests/audio/lsan.supp
 * (libsndfile leaks libvorbis state on malformed Ogg headers). */
#include "audio/lib.h"
#include "core/error.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char input_path[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	struct wav_info wi;
	struct wav_repair_result rr;
	int16_t *pcm = NULL;
	size_t n = 0;

	if (!input_path[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(input_path, sizeof(input_path), "%s/fuzz-audio-input-%d",
		         t && *t ? t : "/tmp", (int)getpid());
	}
	wav_parse_header(data, size, size, &wi, err, sizeof(err));
	int fd = open(input_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	ssize_t w = write(fd, data, size);
	close(fd);
	if (w != (ssize_t)size)
		return 0;
	if (audio_decode_file(input_path, 1 << 24, &pcm, &n, err, sizeof(err)) == DICTUM_OK)
		free(pcm);
	wav_repair(input_path, 16000, 1, &rr, err, sizeof(err));
	return 0;
}

#ifndef DICTUM_LIBFUZZER
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void mutate(uint8_t *b, size_t *len, size_t cap)
{
	int kind = rand() % 5;
	size_t n = *len;
	if (n == 0)
		return;
	switch (kind) {
	case 0: /* flip bits anywhere, mostly in the first kilobyte (headers) */
		for (int i = 0, k = 1 + rand() % 8; i < k; i++) {
			size_t at = rand() % 2 ? (size_t)rand() % (n < 1024 ? n : 1024)
			                       : (size_t)rand() % n;
			b[at] ^= (uint8_t)(1u << (rand() % 8));
		}
		break;
	case 1: /* a run of one byte value */
	{
		size_t at = (size_t)rand() % n, run = 1 + (size_t)rand() % 64;
		uint8_t v = (uint8_t)(rand() % 2 ? 0xff : rand());
		for (size_t i = at; i < n && i < at + run; i++)
			b[i] = v;
		break;
	}
	case 2: /* truncate */
		*len = (size_t)rand() % n;
		break;
	case 3: /* overwrite a 32-bit field with an extreme value */
	{
		static const uint32_t vals[] = {0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 44};
		size_t at = (size_t)rand() % (n < 256 ? n : 256);
		uint32_t v = vals[rand() % 6];
		for (int i = 0; i < 4 && at + (size_t)i < n; i++)
			b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
		break;
	}
	default: /* duplicate a block (grow) */
	{
		size_t from = (size_t)rand() % n, k = 1 + (size_t)rand() % 512;
		if (from + k > n)
			k = n - from;
		if (n + k <= cap) {
			memmove(b + from + k, b + from, n - from);
			*len = n + k;
		}
		break;
	}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fuzz_audio SECONDS SEED...\n");
		return 2;
	}
	double seconds = atof(argv[1]);
	unsigned seed = (unsigned)time(NULL);
	srand(seed);
	printf("fuzz_audio: seed %u, %.0f s, %d seed files\n", seed, seconds, argc - 2);
	time_t end = time(NULL) + (time_t)seconds;
	unsigned long runs = 0;
	while (time(NULL) < end) {
		const char *path = argv[2 + rand() % (argc - 2)];
		size_t len = 0;
		uint8_t *orig = read_file(path, &len);
		if (!orig)
			continue;
		size_t cap = len + 4096;
		uint8_t *b = malloc(cap);
		if (!b) {
			free(orig);
			break;
		}
		memcpy(b, orig, len);
		for (int i = 0, k = 1 + rand() % 4; i < k; i++)
			mutate(b, &len, cap);
		LLVMFuzzerTestOneInput(b, len);
		runs++;
		free(b);
		free(orig);
	}
	unlink(input_path);
	printf("fuzz_audio: %lu inputs, no crash\n", runs);
	return 0;
}
#endif
