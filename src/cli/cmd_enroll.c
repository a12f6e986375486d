#include "asr/asr.h"
#include "asr/sphinx_params.h"
#include "asr/voice.h"
#include "audio/lib.h"
#include "cli/cli.h"
#include "core/lib.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SENTENCES 200
#define DEFAULT_COUNT 20

struct sentence {
	char *name;
	char *text;
	int16_t *pcm;
	size_t n;
};

struct sentences {
	struct sentence *s;
	size_t n;
};

static void sentences_free(struct sentences *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->s[i].name);
		free(l->s[i].text);
		free(l->s[i].pcm);
	}
	free(l->s);
	memset(l, 0, sizeof(*l));
}

/* Appends a sentence; takes name, text and pcm (freed on failure too). */
static int sentences_add(struct sentences *l, char *name, char *text, int16_t *pcm, size_t n)
{
	struct sentence *grown = name && text && l->n < MAX_SENTENCES
	                             ? realloc(l->s, (l->n + 1) * sizeof(*grown))
	                             : NULL;
	if (!grown) {
		free(name);
		free(text);
		free(pcm);
		return l->n < MAX_SENTENCES ? DICTUM_NOMEM : DICTUM_FULL;
	}
	l->s = grown;
	l->s[l->n++] = (struct sentence){name, text, pcm, n};
	return DICTUM_OK;
}

/* A recording and the words read in it. */
static int add_file(struct sentences *l, const char *wav, char *text, char *err, size_t errlen)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	int result = audio_decode_file(wav, 0, &pcm, &n, err, errlen);
	if (result != DICTUM_OK) {
		free(text);
		return result;
	}
	result = sentences_add(l, strdup(wav), text, pcm, n);
	if (result != DICTUM_OK)
		snprintf(err, errlen, "%s",
		         result == DICTUM_FULL ? "more than 200 sentences"
		                               : dictum_strerror(result));
	return result;
}

static int wav_name(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return len > 4 && strcmp(d->d_name + len - 4, ".wav") == 0;
}

/* DIR/NAME.wav with DIR/NAME.txt, in name order. */
static int add_dir(struct sentences *l, const char *dir, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	int count = scandir(dir, &names, wav_name, alphasort);
	if (count < 0) {
		snprintf(err, errlen, "cannot read the folder %s", dir);
		return DICTUM_NOTFOUND;
	}
	int result = count ? DICTUM_OK : DICTUM_INVAL;
	if (!count)
		snprintf(err, errlen, "no .wav files in %s", dir);
	for (int i = 0; i < count; i++) {
		char wav[2048], txt[2048];
		char *text = NULL;
		snprintf(wav, sizeof(wav), "%s/%s", dir, names[i]->d_name);
		snprintf(txt, sizeof(txt), "%s/%.*s.txt", dir, (int)strlen(names[i]->d_name) - 4,
		         names[i]->d_name);
		if (result == DICTUM_OK && file_read_all(txt, 1 << 16, &text, NULL) != 0) {
			snprintf(err, errlen, "%.280s has no transcript %.280s", wav, txt);
			result = DICTUM_NOTFOUND;
		}
		if (result == DICTUM_OK)
			result = add_file(l, wav, text, err, errlen);
		free(names[i]);
	}
	free(names);
	return result;
}

/* ---- reading prompts aloud ---- */

struct take {
	pthread_mutex_t lock;
	int16_t *pcm;
	size_t n, cap;
	int status;
};

static int on_frames(void *ctx, const int16_t *pcm, size_t n)
{
	struct take *t = ctx;
	int result = DICTUM_OK;
	pthread_mutex_lock(&t->lock);
	if (t->n + n > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : ASR_SAMPLE_RATE * 8;
		while (cap < t->n + n)
			cap *= 2;
		/* Two minutes is far more than a sentence. */
		int16_t *grown = cap <= (size_t)ASR_SAMPLE_RATE * 120
		                     ? realloc(t->pcm, cap * sizeof(*grown))
		                     : NULL;
		if (!grown) {
			result = t->status = DICTUM_FULL;
			goto out;
		}
		t->pcm = grown;
		t->cap = cap;
	}
	memcpy(t->pcm + t->n, pcm, n * sizeof(*pcm));
	t->n += n;
out:
	pthread_mutex_unlock(&t->lock);
	return result;
}

/* A line from the keyboard: its first character, '\n' for Enter, EOF at
 * the end; 0 when cap (may be NULL) ends by itself first (the file
 * backend at the end of its file, a device that disappeared). Reads the
 * descriptor byte by byte so that no line waits in a stdio buffer. */
static int read_key(struct capture *cap)
{
	int first = -1;
	for (;;) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int rc = poll(&p, 1, 100);
		if (rc < 0 && errno != EINTR)
			return EOF;
		if (rc <= 0) {
			if (cap && first < 0 && capture_ended(cap))
				return 0;
			continue;
		}
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return first >= 0 ? first : EOF;
		if (first < 0)
			first = (unsigned char)c;
		if (c == '\n')
			return first;
	}
}

static int read_prompts(const char *path, char ***out, size_t *count, char *err, size_t errlen)
{
	char *text = NULL;
	if (file_read_all(path, 1 << 20, &text, NULL) != 0) {
		snprintf(err, errlen, "cannot read the prompts %s", path);
		return DICTUM_NOTFOUND;
	}
	char **lines = NULL;
	size_t n = 0;
	int result = DICTUM_OK;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line = str_trim(line);
		if (!*line || *line == '#')
			continue;
		char **grown = realloc(lines, (n + 1) * sizeof(*grown));
		if (!grown || !(grown[n] = strdup(line))) {
			lines = grown ? grown : lines;
			result = DICTUM_NOMEM;
			break;
		}
		lines = grown;
		n++;
	}
	free(text);
	*out = lines;
	*count = n;
	if (result == DICTUM_OK && !n) {
		snprintf(err, errlen, "no prompts in %s", path);
		result = DICTUM_INVAL;
	}
	return result;
}

/* Shows each prompt, records it (Enter starts, Enter stops). */
static int record_prompts(struct sentences *l, const char *prompts, size_t want,
                          const char *backend, const char *device, char *err, size_t errlen)
{
	char buf[1200];
	char **lines = NULL;
	size_t n = 0;
	const char *path =
	    prompts ? prompts : asr_sphinx_data_file("", "enroll_prompts.txt", buf, sizeof(buf));
	int result = read_prompts(path[0] ? path : "enroll_prompts.txt", &lines, &n, err, errlen);
	if (want > n)
		want = n;
	printf("Read each sentence aloud in your usual dictation voice, in a quiet room.\n"
	       "Enter starts a sentence and Enter ends it; s then Enter skips one, q then Enter "
	       "stops early.\n");
	for (size_t i = 0; result == DICTUM_OK && i < want; i++) {
		printf("\nsentence %zu of %zu:\n    %s\n[Enter: record] ", i + 1, want, lines[i]);
		fflush(stdout);
		int k = read_key(NULL);
		if (k == 's')
			continue;
		if (k == 'q' || k == EOF)
			break;
		struct take t = {.lock = PTHREAD_MUTEX_INITIALIZER};
		struct capture_callbacks cb = {.frames = on_frames, .ctx = &t};
		struct capture *cap = NULL;
		if ((result = capture_start(backend, device, &cb, &cap, err, errlen)) != DICTUM_OK)
			break;
		printf("recording... [Enter: done] ");
		fflush(stdout);
		k = read_key(cap);
		if (k == 0)
			printf("(the recording ended) ");
		capture_stop(&cap);
		if (t.status != DICTUM_OK || t.n < ASR_SAMPLE_RATE / 2) {
			printf("%s; skipped\n", t.status != DICTUM_OK ? "too long" : "too short");
			free(t.pcm);
		} else {
			char name[32];
			snprintf(name, sizeof(name), "sentence %zu", i + 1);
			printf("%.1f s\n", (double)t.n / ASR_SAMPLE_RATE);
			fflush(stdout);
			result = sentences_add(l, strdup(name), strdup(lines[i]), t.pcm, t.n);
		}
		if (k == 'q' || k == EOF)
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return result;
}

static struct json_object *num(double x, int digits)
{
	char text[32];
	snprintf(text, sizeof(text), "%.*f", digits, x);
	return json_object_new_double_s(x, text);
}

static void print_report(struct cli_ctx *ctx, const struct asr_voice_report *r)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "profile", json_object_new_string(r->dir));
		json_object_object_add(o, "method",
		                       json_object_new_string(r->map ? "mllr+map" : "mllr"));
		json_object_object_add(o, "sentences", json_object_new_int64((int64_t)r->used));
		json_object_object_add(o, "skipped", json_object_new_int64((int64_t)r->skipped));
		if (r->skipped)
			json_object_object_add(o, "skipped_reason",
			                       json_object_new_string(r->skipped_why));
		json_object_object_add(o, "seconds", num(r->seconds, 2));
		json_object_object_add(o, "frames", json_object_new_int64(r->frames));
		json_object_object_add(o, "loglik_per_frame_before", num(r->loglik_before, 4));
		if (r->map)
			json_object_object_add(o, "loglik_per_frame_mllr", num(r->loglik_mllr, 4));
		json_object_object_add(o, "loglik_per_frame_after", num(r->loglik_after, 4));
		cli_print_json(o);
		return;
	}
	printf("voice profile: %zu sentences, %.1f s of speech -> %s\n"
	       "  fit to your voice (log-likelihood per frame): %.2f before, %.2f after\n"
	       "  used from now on by the sphinx engine ([asr] voice_profile = off turns it off)\n",
	       r->used, r->seconds, r->dir, r->loglik_before, r->loglik_after);
	if (r->skipped)
		printf("  %zu sentences left out (%s)\n", r->skipped, r->skipped_why);
}

/* dictum asr enroll: the voice profile. */
int cmd_asr_enroll(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *from = NULL, *prompts = NULL, *backend = NULL, *device = NULL;
	const char *audio[MAX_SENTENCES], *texts[MAX_SENTENCES];
	size_t n_audio = 0, n_text = 0, want = DEFAULT_COUNT;
	bool remove = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has = i + 1 < argc;
		if (strcmp(a, "--remove") == 0) {
			remove = true;
		} else if (strcmp(a, "--from") == 0 && has) {
			from = argv[++i];
		} else if (strcmp(a, "--audio") == 0 && has && n_audio < MAX_SENTENCES) {
			audio[n_audio++] = argv[++i];
		} else if (strcmp(a, "--text") == 0 && has && n_text < MAX_SENTENCES) {
			texts[n_text++] = argv[++i];
		} else if (strcmp(a, "--prompts") == 0 && has) {
			prompts = argv[++i];
		} else if (strcmp(a, "--count") == 0 && has) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > MAX_SENTENCES)
				return cli_fail("asr enroll: --count takes 1 to %d", MAX_SENTENCES);
			want = (size_t)v;
		} else if ((strcmp(a, "-b") == 0 || strcmp(a, "--backend") == 0) && has) {
			backend = argv[++i];
		} else if ((strcmp(a, "-d") == 0 || strcmp(a, "--device") == 0) && has) {
			device = argv[++i];
		} else {
			return cli_usage("asr");
		}
	}
	if (n_audio != n_text || (remove && (from || n_audio)) || (from && n_audio))
		return cli_usage("asr");
	if (remove) {
		bool had = false;
		if (asr_voice_remove(ctx->paths.data_dir, &had) != DICTUM_OK)
			return cli_fail("asr enroll: cannot remove the voice profile in %s",
			                ctx->paths.data_dir);
		if (ctx->json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "removed", json_object_new_boolean(had));
			cli_print_json(o);
		} else {
			printf(had ? "voice profile removed\n" : "no voice profile\n");
		}
		return 0;
	}

	int status = 0;
	char err[600] = "";
	struct sentences l = {0};
	struct asr_voice_utt *utts = NULL;
	int result = DICTUM_OK;
	if (from) {
		result = add_dir(&l, from, err, sizeof(err));
	} else if (n_audio) {
		for (size_t i = 0; result == DICTUM_OK && i < n_audio; i++)
			result = add_file(&l, audio[i], strdup(texts[i]), err, sizeof(err));
	} else {
		result = record_prompts(&l, prompts, want, backend, device, err, sizeof(err));
		if (result == DICTUM_OK && l.n < 3)
			snprintf(err, sizeof(err), "%zu sentences recorded; at least 3 are needed",
			         l.n);
		if (result == DICTUM_OK && l.n < 3)
			result = DICTUM_INVAL;
	}
	if (result != DICTUM_OK) {
		status = cli_fail("asr enroll: %s", err[0] ? err : dictum_strerror(result));
		goto cleanup;
	}
	if (!(utts = calloc(l.n, sizeof(*utts)))) {
		status = cli_fail("asr enroll: out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < l.n; i++)
		utts[i] = (struct asr_voice_utt){l.s[i].name, l.s[i].pcm, l.s[i].n, l.s[i].text};
	if (!ctx->json)
		printf("adapting to your voice (%zu sentences)...\n", l.n);
	struct asr_voice_report rep;
	result =
	    asr_voice_enroll(&ctx->config, ctx->paths.data_dir, utts, l.n, &rep, err, sizeof(err));
	if (result != DICTUM_OK) {
		status = cli_fail("asr enroll: %s", err);
		goto cleanup;
	}
	print_report(ctx, &rep);
cleanup:
	free(utts);
	sentences_free(&l);
	return status;
}
