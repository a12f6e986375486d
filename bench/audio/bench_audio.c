/* Audio figures:
 *   1. CPU time per second of captured audio while recording (capture
 *      thread, conversion to 16 kHz, level meter, crash-safe WAV writer),
 *      for each backend that works here; the goal is under 2% of one core.
 *   2. Decode + resample speed per format, as a multiple of real time.
 * usage: bench_audio [SECONDS] [SOURCE.wav]
 * The capture part needs a PulseAudio server (PULSE_SERVER) for pulse and
 * ALSA's pulse plugin; the decode part makes its inputs with sox and ffmpeg. */
#include "audio/lib.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int on_frames(void *ctx, const int16_t *pcm, size_t n)
{
	return wav_writer_write(ctx, pcm, n);
}

static void bench_capture(const char *backend, const char *device, double seconds, const char *dir)
{
	char path[4200], err[1024];
	struct wav_writer *w = NULL;
	struct capture *c = NULL;
	snprintf(path, sizeof(path), "%s/capture-%s.wav", dir, backend);
	unlink(path);
	if (wav_writer_open(path, AUDIO_RATE, 1, 0, &w, err, sizeof(err)) != DICTUM_OK) {
		printf("capture %-6s skipped: %s\n", backend, err);
		return;
	}
	struct capture_callbacks cb = {.frames = on_frames, .ctx = w};
	if (capture_start(backend, device, &cb, &c, err, sizeof(err)) != DICTUM_OK) {
		printf("capture %-6s skipped: %s\n", backend, err);
		wav_writer_close(&w);
		return;
	}
	/* Let the device settle, then measure. */
	usleep(1500000);
	uint64_t f0 = capture_frames_delivered(c);
	double c0 = cpu_seconds(), t0 = wall_seconds();
	while (wall_seconds() - t0 < seconds && !capture_ended(c))
		usleep(100000);
	double cpu = cpu_seconds() - c0, wall = wall_seconds() - t0;
	double audio = (double)(capture_frames_delivered(c) - f0) / AUDIO_RATE;
	int rate, ch;
	capture_native_format(c, &rate, &ch);
	capture_stop(&c);
	wav_writer_close(&w);
	if (audio <= 0) {
		printf("capture %-6s %-24s no audio arrived in %.1f s\n", backend,
		       device ? device : "default", wall);
		return;
	}
	printf("capture %-6s %-24s %5d Hz %d ch: %6.2f ms CPU per s of audio (%.2f%% of one "
	       "core) over %.1f s\n",
	       backend, device ? device : "default", rate, ch, 1000 * cpu / audio,
	       100 * cpu / audio, audio);
}

static void bench_decode(const char *label, const char *path)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	char err[1024];
	struct audio_decode_info info;
	double best = 1e9;
	for (int i = 0; i < 3; i++) {
		double t0 = wall_seconds();
		if (audio_decode_file_info(path, 0, &pcm, &n, &info, err, sizeof(err)) !=
		    DICTUM_OK) {
			printf("decode  %-10s failed: %s\n", label, err);
			return;
		}
		double t = wall_seconds() - t0;
		if (t < best)
			best = t;
		free(pcm);
		pcm = NULL;
	}
	double secs = (double)n / AUDIO_RATE;
	printf("decode  %-10s %-22s %5d Hz %d ch -> 16 kHz mono: %7.1fx real time (%.1f s in %.3f "
	       "s)\n",
	       label, info.codec, info.source_rate, info.source_channels, secs / best, secs, best);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	const char *source = argc > 2 ? argv[2] : NULL;
	char dir[] = "/tmp/dictum-bench-audio-XXXXXX";
	char cmd[16384];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (seconds <= 0)
		seconds = 10;

	printf("== capture (recording to a crash-safe WAV, %.0f s each)\n", seconds);
	const char *pulse_dev = getenv("BENCH_PULSE_SOURCE");
	bench_capture("pulse", pulse_dev, seconds, dir);
	bench_capture("alsa", getenv("BENCH_ALSA_DEVICE") ? getenv("BENCH_ALSA_DEVICE") : "default",
	              seconds, dir);

	printf("== decode + resample to 16 kHz mono (best of 3)\n");
	char src[4200];
	snprintf(src, sizeof(src), "%s/src.wav", dir);
	if (source)
		snprintf(cmd, sizeof(cmd), "sox '%s' -r 44100 -c 2 '%s' repeat 6", source, src);
	else
		snprintf(cmd, sizeof(cmd),
		         "sox -n -r 44100 -c 2 -b 16 '%s' synth 60 pinknoise tremolo 3 80 vol 0.5",
		         src);
	if (system(cmd) != 0) {
		printf("decode skipped: sox could not make the 60 s source\n");
		return 0;
	}
	static const char ff[] = "ffmpeg -nostdin -loglevel error -y -i";
	static const struct {
		const char *label, *ext, *tool, *opts;
	} formats[] = {
	    {"wav", "wav", NULL, NULL},
	    {"flac", "flac", "sox", ""},
	    {"ogg", "ogg", "sox", "-C 3"},
	    {"mp3", "mp3", ff, "-b:a 128k"},
	    {"m4a", "m4a", ff, "-c:a aac -b:a 128k"},
	    {"webm", "webm", ff, "-c:a libopus -b:a 64k"},
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char out[4300];
		snprintf(out, sizeof(out), "%s/in.%s", dir, formats[i].ext);
		if (formats[i].tool) {
			snprintf(cmd, sizeof(cmd), "%s '%s' %s '%s'", formats[i].tool, src,
			         formats[i].opts, out);
			if (system(cmd) != 0) {
				printf("decode  %-10s skipped: could not make the input\n",
				       formats[i].label);
				continue;
			}
		} else {
			snprintf(out, sizeof(out), "%s", src);
		}
		bench_decode(formats[i].label, out);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
