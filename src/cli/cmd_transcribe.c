#include "asr/asr.h"
#include "audio/decode.h"
#include "asr/postprocess.h"
#include "cli/cli.h"
#include "cli/transcribe.h"
#include "core/lib.h"

#include <getopt.h>
#include <json-c/json.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A WAV that holds no samples is an empty recording, not an error. */
static bool empty_recording(const char *path)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	if (!f)
		return false;
	sf_close(f);
	return info.frames == 0;
}

/* Standard input copied to a temporary file, for the decoder. */
static int stdin_to_file(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, size, "%s/dictum-transcribe-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return DICTUM_IO;
	char buf[65536];
	ssize_t n;
	int result = DICTUM_OK;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			result = DICTUM_IO;
	if (n < 0 || close(fd) != 0)
		result = DICTUM_IO;
	return result;
}

/* Any format audio/ decodes, as 16 kHz mono s16 (*out NULL when empty). */
static int decode(const char *path, int16_t **out, size_t *n, char *err, size_t errlen)
{
	char tmp[4096] = "";
	int result = DICTUM_OK;
	*out = NULL;
	*n = 0;
	if (strcmp(path, "-") == 0) {
		if ((result = stdin_to_file(tmp, sizeof(tmp))) != DICTUM_OK) {
			snprintf(err, errlen, "cannot read standard input");
			goto cleanup;
		}
		path = tmp;
	}
	if (empty_recording(path))
		goto cleanup;
	result = audio_decode_file(path, 0, out, n, err, errlen);
cleanup:
	if (tmp[0])
		unlink(tmp);
	return result;
}

/* The transcript's words in order, for the dictation post-processor. */
static const struct asr_word **word_list(const struct asr_transcript *t, size_t *n)
{
	size_t total = 0;
	for (size_t i = 0; i < t->n_segments; i++)
		total += t->segments[i].n_words;
	const struct asr_word **w = calloc(total ? total : 1, sizeof(*w));
	if (!w)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < t->n_segments; i++)
		for (size_t j = 0; j < t->segments[i].n_words; j++)
			w[k++] = &t->segments[i].words[j];
	*n = total;
	return w;
}

static int run_dictation(const struct asr_transcript *t, struct dictation_result **out,
                         const struct asr_word ***words, size_t *nwords)
{
	const struct asr_word **w = word_list(t, nwords);
	if (!w)
		return DICTUM_NOMEM;
	int result = DICTUM_OK;
	if (*nwords) {
		const char **texts = calloc(*nwords, sizeof(*texts));
		if (!texts) {
			free(w);
			return DICTUM_NOMEM;
		}
		for (size_t i = 0; i < *nwords; i++)
			texts[i] = w[i]->text;
		result = dictation_process_words(texts, *nwords, out);
		free(texts);
	} else {
		/* An engine without word times: its segment text is the stream. */
		char *text = asr_transcript_text(t);
		result = text ? dictation_process(text, out) : DICTUM_NOMEM;
		free(text);
	}
	if (result != DICTUM_OK)
		free(w);
	else
		*words = w;
	return result;
}

static struct json_object *dnum(double x)
{
	char text[32];
	snprintf(text, sizeof(text), "%.3f", x);
	return json_object_new_double_s(x, text);
}

static struct json_object *segments_json(const struct asr_transcript *t, double low)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < t->n_segments; i++) {
		const struct asr_segment *s = &t->segments[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "start", dnum(s->start));
		json_object_object_add(o, "end", dnum(s->end));
		json_object_object_add(o, "text", json_object_new_string(s->text));
		json_object_object_add(o, "confidence",
		                       s->confidence < 0 ? NULL : dnum(s->confidence));
		struct json_object *words = json_object_new_array();
		for (size_t j = 0; j < s->n_words; j++) {
			const struct asr_word *w = &s->words[j];
			struct json_object *wo = json_object_new_object();
			json_object_object_add(wo, "word", json_object_new_string(w->text));
			json_object_object_add(wo, "start", dnum(w->start));
			json_object_object_add(wo, "end", dnum(w->end));
			json_object_object_add(wo, "confidence",
			                       w->confidence < 0 ? NULL : dnum(w->confidence));
			json_object_object_add(
			    wo, "low_confidence",
			    json_object_new_boolean(w->confidence >= 0 && w->confidence < low));
			json_object_array_add(words, wo);
		}
		json_object_object_add(o, "words", words);
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *cli_transcript_json(const struct asr_transcript *t, double low)
{
	char *text = asr_transcript_text(t);
	if (!text)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "engine", json_object_new_string(t->engine));
	json_object_object_add(o, "voice_profile", json_object_new_boolean(t->voice_profile));
	if (t->fell_back) {
		json_object_object_add(o, "fell_back", json_object_new_boolean(1));
		json_object_object_add(o, "fallback_reason", json_object_new_string(t->note));
	}
	json_object_object_add(o, "duration", dnum(t->duration));
	json_object_object_add(o, "low_confidence_below", dnum(low));
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "segments", segments_json(t, low));
	free(text);
	return o;
}

/* Sections with the byte spans of their text that came from an uncertain word. */
static struct json_object *dictation_json(const struct dictation_result *r,
                                          const struct asr_word **words, size_t nwords, double low)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < r->n_sections; i++) {
		const struct dictation_section *s = &r->sections[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "key", json_object_new_string(s->key));
		json_object_object_add(o, "title", json_object_new_string(s->title));
		json_object_object_add(o, "text", json_object_new_string(s->text));
		struct json_object *marks = json_object_new_array();
		for (size_t p = 0; p < s->n_pieces; p++) {
			const struct dictation_span *sp = &s->pieces[p];
			double worst = 2;
			for (size_t w = sp->first_word; w <= sp->last_word && w < nwords; w++)
				if (words[w]->confidence >= 0 && words[w]->confidence < worst)
					worst = words[w]->confidence;
			if (worst >= low)
				continue;
			struct json_object *m = json_object_new_object();
			json_object_object_add(m, "start",
			                       json_object_new_int64((int64_t)sp->start));
			json_object_object_add(m, "end", json_object_new_int64((int64_t)sp->end));
			json_object_object_add(
			    m, "text",
			    json_object_new_string_len(s->text + sp->start,
			                               (int)(sp->end - sp->start)));
			json_object_object_add(m, "confidence", dnum(worst));
			json_object_array_add(marks, m);
		}
		json_object_object_add(o, "low_confidence", marks);
		json_object_array_add(arr, o);
	}
	return arr;
}

static int print_result(struct cli_ctx *ctx, const struct asr_transcript *t, bool dictation)
{
	int result = DICTUM_OK;
	double low = asr_low_confidence(&ctx->config);
	struct dictation_result *dr = NULL;
	const struct asr_word **words = NULL;
	size_t nwords = 0;
	char *text = NULL;
	if (dictation && (result = run_dictation(t, &dr, &words, &nwords)) != DICTUM_OK)
		goto cleanup;
	if (ctx->json) {
		struct json_object *o = cli_transcript_json(t, low);
		if (!o) {
			result = DICTUM_NOMEM;
			goto cleanup;
		}
		if (dr)
			json_object_object_add(o, "dictation",
			                       dictation_json(dr, words, nwords, low));
		cli_print_json(o);
	} else if (dr) {
		if ((result = dictation_render(dr, &text)) != DICTUM_OK)
			goto cleanup;
		if (text[0])
			puts(text);
	} else {
		for (size_t i = 0; i < t->n_segments; i++)
			puts(t->segments[i].text);
	}
	if (t->fell_back)
		fprintf(stderr, "dictum: warning: used the %s engine: %s\n", t->engine, t->note);
cleanup:
	dictation_result_free(&dr);
	free(words);
	free(text);
	return result;
}

int cli_transcribe_file(struct cli_ctx *ctx, const char *path, const char *engine,
                        struct asr_transcript **out, char *err, size_t errlen)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	struct asr_engine *e = NULL;
	int result = decode(path, &pcm, &n, err, errlen);
	if (result != DICTUM_OK) {
		if (!err[0])
			snprintf(err, errlen, "%s: cannot decode the audio", path);
		goto cleanup;
	}
	if ((result = asr_engine_create(engine, &ctx->config, &e, err, errlen)) != DICTUM_OK)
		goto cleanup;
	if ((result = asr_transcribe_pcm(e, pcm, n, out)) != DICTUM_OK) {
		snprintf(err, errlen, "%s", asr_engine_error(e));
		asr_transcript_free(out);
	}
cleanup:
	asr_engine_free(&e);
	free(pcm);
	return result;
}

int cmd_transcribe(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"engine", required_argument, NULL, 'e'},
	                                     {"dictation", no_argument, NULL, 'd'},
	                                     {NULL, 0, NULL, 0}};
	const char *engine = NULL;
	bool dictation = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:d", opts, NULL)) != -1) {
		if (c == 'e')
			engine = optarg;
		else if (c == 'd')
			dictation = true;
		else
			return cli_usage("transcribe");
	}
	if (optind + 1 != argc)
		return cli_usage("transcribe");
	const char *path = argv[optind];

	int status = 0;
	struct asr_transcript *t = NULL;
	char err[512] = "";
	int rc = cli_transcribe_file(ctx, path, engine, &t, err, sizeof(err));
	if (rc != DICTUM_OK) {
		status = cli_fail("transcribe: %s", err);
		goto cleanup;
	}
	rc = print_result(ctx, t, dictation);
	if (rc != DICTUM_OK)
		status = cli_fail("transcribe: %s", dictum_strerror(rc));
cleanup:
	asr_transcript_free(&t);
	return status;
}
