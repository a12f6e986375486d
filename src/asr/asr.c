#include "asr/asr.h"
#include "asr/asr_engine.h"
#include "core/lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct asr_engine_ops *const engines[] = {&asr_sphinx_ops, &asr_http_ops};

const char *const asr_engine_names[] = {"sphinx", "http", NULL};

struct asr_engine {
	const struct asr_engine_ops *ops;
	void *state;
	bool started;
	char error[256];
};

int asr_engine_create(const char *name, const struct config *cfg, struct asr_engine **out,
                      char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct asr_engine *e = NULL;
	char why[256] = "";
	if (!out) {
		result = DICTUM_INVAL;
		goto cleanup;
	}
	if (!name)
		name = config_get(cfg, "asr", "engine", asr_engine_names[0]);
	const struct asr_engine_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (strcmp(engines[i]->name, name) == 0)
			ops = engines[i];
	if (!ops) {
		snprintf(why, sizeof(why), "no speech engine called '%s' (sphinx, http)", name);
		result = DICTUM_NOTFOUND;
		goto cleanup;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	e->ops = ops;
	result = ops->create(cfg, &e->state, why, sizeof(why));
	if (result != DICTUM_OK)
		goto cleanup;
	*out = e;
	e = NULL;
cleanup:
	free(e);
	if (result != DICTUM_OK && err && errlen)
		snprintf(err, errlen, "%s", why[0] ? why : dictum_strerror(result));
	return result;
}

void asr_engine_free(struct asr_engine **e)
{
	if (!e || !*e)
		return;
	(*e)->ops->destroy((*e)->state);
	free(*e);
	*e = NULL;
}

const char *asr_engine_name(const struct asr_engine *e)
{
	return e ? e->ops->name : "";
}

const char *asr_engine_error(const struct asr_engine *e)
{
	return e ? e->error : "";
}

static int set_error(struct asr_engine *e, int status, const char *why)
{
	if (status != DICTUM_OK)
		snprintf(e->error, sizeof(e->error), "%s",
		         why && *why ? why : dictum_strerror(status));
	return status;
}

const char *const asr_phase_names[ASR_PHASE_COUNT] = {"feed",  "partial", "pause",
                                                      "break", "replay",  "finish"};

int asr_stats(const struct asr_engine *e, struct asr_stats *st)
{
	if (!e || !st)
		return DICTUM_INVAL;
	memset(st, 0, sizeof(*st));
	if (!e->ops->stats)
		return DICTUM_NOTFOUND;
	e->ops->stats(e->state, st);
	return DICTUM_OK;
}

int asr_engine_knows(struct asr_engine *e, const char *word)
{
	if (!e || !word || !e->ops->knows)
		return -1;
	return e->ops->knows(e->state, word);
}

int asr_start(struct asr_engine *e)
{
	if (!e)
		return DICTUM_INVAL;
	e->error[0] = '\0';
	int result = e->ops->start(e->state);
	e->started = result == DICTUM_OK;
	return set_error(e, result, NULL);
}

int asr_feed(struct asr_engine *e, const int16_t *pcm, size_t n)
{
	if (!e || !e->started || (!pcm && n))
		return DICTUM_INVAL;
	if (n == 0)
		return DICTUM_OK;
	return set_error(e, e->ops->feed(e->state, pcm, n), NULL);
}

int asr_partial(struct asr_engine *e, struct asr_partial *p)
{
	if (!e || !p || !e->started)
		return DICTUM_INVAL;
	memset(p, 0, sizeof(*p));
	int result = e->ops->partial(e->state, p);
	if (result != DICTUM_OK)
		asr_partial_clear(p);
	return result;
}

int asr_finish(struct asr_engine *e, struct asr_transcript **out)
{
	if (!e || !out || !e->started)
		return DICTUM_INVAL;
	char why[256] = "";
	*out = NULL;
	e->started = false;
	return set_error(e, e->ops->finish(e->state, out, why, sizeof(why)), why);
}

int asr_transcribe_pcm(struct asr_engine *e, const int16_t *pcm, size_t n,
                       struct asr_transcript **out)
{
	const size_t piece = ASR_SAMPLE_RATE / 10;
	int result = asr_start(e);
	if (result == DICTUM_OK && e->ops->prime)
		result = set_error(e, e->ops->prime(e->state, pcm, n), NULL);
	for (size_t at = 0; result == DICTUM_OK && at < n; at += piece)
		result = asr_feed(e, pcm + at, n - at < piece ? n - at : piece);
	if (result != DICTUM_OK) {
		/* Keep what was recognised before the error. */
		struct asr_transcript *t = NULL;
		if (asr_finish(e, &t) == DICTUM_OK)
			asr_transcript_free(&t);
		return result;
	}
	return asr_finish(e, out);
}

char *asr_transcript_text(const struct asr_transcript *t)
{
	struct dynbuf d;
	dynbuf_init(&d, (size_t)1 << 30);
	for (size_t i = 0; t && i < t->n_segments; i++) {
		if (!t->segments[i].text[0])
			continue;
		if ((d.len && dynbuf_add(&d, " ", 1) != DICTUM_OK) ||
		    dynbuf_addstr(&d, t->segments[i].text) != DICTUM_OK) {
			dynbuf_free(&d);
			return NULL;
		}
	}
	return dynbuf_take(&d);
}

double asr_low_confidence(const struct config *cfg)
{
	const char *v = config_get(cfg, "asr", "low_confidence", "0.5");
	char *end = NULL;
	double x = strtod(v, &end);
	return end != v && x >= 0 && x <= 1 ? x : 0.5;
}

struct asr_transcript *asr_transcript_new(const char *engine)
{
	struct asr_transcript *t = calloc(1, sizeof(*t));
	if (t)
		snprintf(t->engine, sizeof(t->engine), "%s", engine ? engine : "");
	return t;
}

int asr_transcript_add_segment(struct asr_transcript *t, const char *text, double start, double end,
                               double confidence)
{
	char *copy = strdup(text ? text : "");
	struct asr_segment *grown =
	    copy ? realloc(t->segments, (t->n_segments + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(copy);
		return DICTUM_NOMEM;
	}
	t->segments = grown;
	t->segments[t->n_segments++] = (struct asr_segment){
	    .text = copy, .start = start, .end = end, .confidence = confidence};
	return DICTUM_OK;
}

int asr_transcript_add_word(struct asr_transcript *t, const char *text, double start, double end,
                            double confidence)
{
	if (!t->n_segments)
		return DICTUM_INVAL;
	struct asr_segment *s = &t->segments[t->n_segments - 1];
	char *copy = strdup(text ? text : "");
	struct asr_word *grown = copy ? realloc(s->words, (s->n_words + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(copy);
		return DICTUM_NOMEM;
	}
	s->words = grown;
	s->words[s->n_words++] =
	    (struct asr_word){.text = copy, .start = start, .end = end, .confidence = confidence};
	return DICTUM_OK;
}

void asr_transcript_free(struct asr_transcript **t)
{
	if (!t || !*t)
		return;
	for (size_t i = 0; i < (*t)->n_segments; i++) {
		struct asr_segment *s = &(*t)->segments[i];
		for (size_t w = 0; w < s->n_words; w++)
			free(s->words[w].text);
		free(s->words);
		free(s->text);
	}
	free((*t)->segments);
	free(*t);
	*t = NULL;
}

void asr_partial_clear(struct asr_partial *p)
{
	if (!p)
		return;
	free(p->final);
	free(p->pending);
	memset(p, 0, sizeof(*p));
}
