/* Seconds from the end of a dictation's audio to the finished note.
 *
 * usage: bench_dictation_latency [--realtime] [--words] TYPE FILE.wav...
 *
 * Loads the speech engine (with the user's config.ini, as `dictum note`
 * does) and the note engine once, before any audio, as the workstation does.
 * Then, per file: feeds the audio in 0.1 s pieces (with --realtime, as the
 * workstation does: 20 ms pieces, each no earlier than its time in the
 * recording, as PulseAudio delivers them, and a partial hypothesis every
 * 250 ms), and from the moment the last piece has been fed times what is left:
 * asr_finish, the dictation post-processing and note_draft of TYPE. Prints
 * one line per file: audio seconds, CPU seconds spent while feeding per
 * audio second, seconds after the end of the audio, the file; then the
 * seconds of that spent in asr_finish (the last utterance's second pass),
 * in the post-processing and in note_draft, and the CPU seconds of the
 * whole file (feed and finish). With --words, the recognised words too (a
 * tab-separated last column), for parameter sweeps. CPU is this thread's
 * (the engine runs on the caller's thread). On stderr, one line per file:
 * "phases", the file, then per phase "NAME CPU-PER-AUDIO-S CALLS" (see
 * asr_phase_names), the hypotheses searched and the audio seconds decoded
 * twice after breaks. */
#include "asr/asr.h"
#include "asr/postprocess.h"
#include "audio/decode.h"
#include "core/lib.h"
#include "notes/draft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIECE      (ASR_SAMPLE_RATE / 10)
#define PIECE_RT   (ASR_SAMPLE_RATE / 50) /* audio/capture_pulse.c's fragment */
#define PARTIAL_NS 250000000u             /* ui/recorder.c's PARTIAL_MS */

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(uint64_t t_ns)
{
	uint64_t now = time_mono_ns();
	if (t_ns <= now)
		return;
	struct timespec ts = {(time_t)((t_ns - now) / 1000000000u),
	                      (long)((t_ns - now) % 1000000000u)};
	nanosleep(&ts, NULL);
}

struct timings {
	uint64_t finished, processed; /* time_mono_ns after asr_finish, post-processing */
	char *words;                  /* the recognised words (malloc'ed) */
};

/* The chain after the last sample: transcript, spoken commands, note. */
static int finish_note(struct asr_engine *asr, const struct note_engine *notes, const char *type,
                       struct timings *tm)
{
	struct asr_transcript *t = NULL;
	struct dictation_result *r = NULL;
	struct note_draft d = {0};
	char *raw = NULL, *text = NULL;
	int result = asr_finish(asr, &t);
	if (result != DICTUM_OK)
		goto cleanup;
	tm->finished = time_mono_ns();
	raw = asr_transcript_text(t);
	if (!raw) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	if ((result = dictation_process(raw, &r)) != DICTUM_OK ||
	    (result = dictation_render(r, &text)) != DICTUM_OK)
		goto cleanup;
	tm->processed = time_mono_ns();
	tm->words = strdup(raw);
	result = note_draft(notes, text, type, NULL, NOTE_MODE_DICTATION, &d);
cleanup:
	note_draft_clear(&d);
	dictation_result_free(&r);
	asr_transcript_free(&t);
	free(raw);
	free(text);
	return result;
}

static int run_file(struct asr_engine *asr, const struct note_engine *notes, const char *type,
                    const char *path, bool realtime, bool words)
{
	struct timings tm = {0};
	int16_t *pcm = NULL;
	size_t n = 0;
	char err[512] = "";
	int result = audio_decode_file(path, (size_t)1 << 30, &pcm, &n, err, sizeof(err));
	if (result != DICTUM_OK) {
		fprintf(stderr, "bench_dictation_latency: %s: %s\n", path, err);
		goto cleanup;
	}
	if ((result = asr_start(asr)) != DICTUM_OK)
		goto cleanup;
	uint64_t t0 = time_mono_ns(), last_partial = t0;
	double c0 = cpu_seconds();
	size_t piece = realtime ? PIECE_RT : PIECE;
	for (size_t at = 0; at < n && result == DICTUM_OK; at += piece) {
		size_t len = n - at < piece ? n - at : piece;
		/* A microphone hands over a piece once all of it has been spoken. */
		if (realtime)
			sleep_until(t0 + (uint64_t)((at + len) * (1000000000.0 / ASR_SAMPLE_RATE)));
		result = asr_feed(asr, pcm + at, len);
		if (result == DICTUM_OK && realtime &&
		    time_mono_ns() - last_partial >= PARTIAL_NS) {
			struct asr_partial p;
			result = asr_partial(asr, &p);
			asr_partial_clear(&p);
			last_partial = time_mono_ns();
		}
	}
	double feed_cpu = cpu_seconds() - c0;
	uint64_t t_end = time_mono_ns();
	if (result == DICTUM_OK)
		result = finish_note(asr, notes, type, &tm);
	uint64_t t_note = time_mono_ns();
	double all_cpu = cpu_seconds() - c0;
	if (result != DICTUM_OK) {
		fprintf(stderr, "bench_dictation_latency: %s: %s\n", path, dictum_strerror(result));
		goto cleanup;
	}
	double audio = (double)n / ASR_SAMPLE_RATE;
	printf("%.2f\t%.3f\t%.3f\t%s\t%.3f\t%.3f\t%.3f\t%.3f", audio, feed_cpu / audio,
	       (double)(t_note - t_end) / 1e9, path, (double)(tm.finished - t_end) / 1e9,
	       (double)(tm.processed - tm.finished) / 1e9, (double)(t_note - tm.processed) / 1e9,
	       all_cpu);
	if (words)
		printf("\t%s", tm.words ? tm.words : "");
	printf("\n");
	fflush(stdout);
	struct asr_stats st;
	if (asr_stats(asr, &st) == DICTUM_OK) {
		fprintf(stderr, "phases\t%s", path);
		for (int i = 0; i < ASR_PHASE_COUNT; i++)
			fprintf(stderr, "\t%s %.4f %u", asr_phase_names[i], st.cpu[i] / audio,
			        st.calls[i]);
		fprintf(stderr, "\thyps %u\treplayed %.2f\n", st.hyps, st.replayed_s);
	}
cleanup:
	free(tm.words);
	free(pcm);
	return result;
}

int main(int argc, char **argv)
{
	int first = 1;
	bool realtime = false, words = false;
	for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
		if (strcmp(argv[first], "--realtime") == 0)
			realtime = true;
		else if (strcmp(argv[first], "--words") == 0)
			words = true;
		else
			break;
	}
	if (argc - first < 2) {
		fprintf(stderr,
		        "usage: bench_dictation_latency [--realtime] [--words] TYPE FILE.wav...\n");
		return 2;
	}
	const char *type = argv[first++];
	struct config cfg = {0};
	char path[1100], err[512] = "";
	int bad_line = 0;
	if (paths_config_file(path, sizeof(path)) == DICTUM_OK &&
	    config_load(&cfg, path, &bad_line) == DICTUM_INVAL) {
		fprintf(stderr, "bench_dictation_latency: %s: line %d is not valid\n", path,
		        bad_line);
		return 1;
	}
	struct asr_engine *asr = NULL;
	struct note_engine notes;
	int status = 1;
	if (asr_engine_create("sphinx", &cfg, &asr, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "bench_dictation_latency: %s\n", err);
		goto out_cfg;
	}
	if (note_engine_load(&notes, NULL, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "bench_dictation_latency: %s\n", err);
		goto out_asr;
	}
	status = 0;
	for (int i = first; i < argc && !status; i++)
		status = run_file(asr, &notes, type, argv[i], realtime, words) != DICTUM_OK;
	note_engine_clear(&notes);
out_asr:
	asr_engine_free(&asr);
out_cfg:
	config_free(&cfg);
	return status;
}
