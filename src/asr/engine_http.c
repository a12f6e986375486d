#include "asr/asr_engine.h"
#include "core/lib.h"

#include <curl/curl.h>
#include <json-c/json.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SECTION      "asr.http"
#define PATH         "/v1/audio/transcriptions"
#define MAX_SAMPLES  ((size_t)8 * 3600 * ASR_SAMPLE_RATE)
#define MAX_RESPONSE ((size_t)64 << 20)

/* [asr.http] keys and their defaults. */
enum { P_URL, P_KEY, P_MODEL, P_LANGUAGE, P_TIMEOUT, P_CONNECT, P_RETRIES, P_DELAY, P_FALLBACK };
static const struct {
	const char *key, *def;
} params[] = {
    [P_URL] = {"url", "http://127.0.0.1:8080"},
    [P_KEY] = {"key", ""},
    [P_MODEL] = {"model", "whisper-1"},
    [P_LANGUAGE] = {"language", ""},
    [P_TIMEOUT] = {"timeout", "120"},       /* seconds for one request */
    [P_CONNECT] = {"connect_timeout", "5"}, /* seconds to connect */
    [P_RETRIES] = {"retries", "2"},         /* tries after the first */
    [P_DELAY] = {"retry_delay_ms", "500"},  /* doubled after each try */
    [P_FALLBACK] = {"fallback", ""},        /* engine to use when the server fails */
};

struct http {
	char *url, *key, *model, *language, *fallback;
	long timeout, connect_timeout, retries, delay_ms;
	const struct config *cfg; /* for creating the fall-back engine */
	struct asr_engine *fallback_engine;
	int16_t *pcm;
	size_t n, cap;
	bool overflow;
};

static const char *param(const struct config *cfg, int which)
{
	return config_get(cfg, SECTION, params[which].key, params[which].def);
}

static int param_long(const struct config *cfg, int which, long min, long *out, char *err,
                      size_t errlen)
{
	const char *v = param(cfg, which);
	char *end = NULL;
	long x = strtol(v, &end, 10);
	if (end == v || *end || x < min) {
		snprintf(err, errlen, "[%s] %s = %s is not a number >= %ld", SECTION,
		         params[which].key, v, min);
		return DICTUM_INVAL;
	}
	*out = x;
	return DICTUM_OK;
}

static void http_destroy(void *state)
{
	struct http *h = state;
	if (!h)
		return;
	free(h->url);
	free(h->key);
	free(h->model);
	free(h->language);
	free(h->fallback);
	free(h->pcm);
	asr_engine_free(&h->fallback_engine);
	free(h);
}

static int http_create(const struct config *cfg, void **state, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct http *h = calloc(1, sizeof(*h));
	if (!h) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	const char *base = param(cfg, P_URL);
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	bool has_path =
	    blen >= strlen(PATH) && strncmp(base + blen - strlen(PATH), PATH, strlen(PATH)) == 0;
	h->url = malloc(blen + strlen(PATH) + 1);
	h->key = strdup(param(cfg, P_KEY));
	h->model = strdup(param(cfg, P_MODEL));
	h->language = strdup(param(cfg, P_LANGUAGE));
	h->fallback = strdup(param(cfg, P_FALLBACK));
	if (!h->url || !h->key || !h->model || !h->language || !h->fallback) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	snprintf(h->url, blen + strlen(PATH) + 1, "%.*s%s", (int)blen, base, has_path ? "" : PATH);
	if (strncmp(h->url, "http://", 7) != 0 && strncmp(h->url, "https://", 8) != 0) {
		snprintf(err, errlen, "[%s] url = %s is not an http:// or https:// address",
		         SECTION, base);
		result = DICTUM_INVAL;
		goto cleanup;
	}
	if (strcmp(h->fallback, "http") == 0) {
		snprintf(err, errlen, "[%s] fallback cannot be http itself", SECTION);
		result = DICTUM_INVAL;
		goto cleanup;
	}
	if ((result = param_long(cfg, P_TIMEOUT, 1, &h->timeout, err, errlen)) ||
	    (result = param_long(cfg, P_CONNECT, 1, &h->connect_timeout, err, errlen)) ||
	    (result = param_long(cfg, P_RETRIES, 0, &h->retries, err, errlen)) ||
	    (result = param_long(cfg, P_DELAY, 0, &h->delay_ms, err, errlen)))
		goto cleanup;
	h->cfg = cfg;
	*state = h;
	h = NULL;
cleanup:
	http_destroy(h);
	return result;
}

static int http_start(void *state)
{
	struct http *h = state;
	h->n = 0;
	h->overflow = false;
	return DICTUM_OK;
}

static int http_feed(void *state, const int16_t *pcm, size_t n)
{
	struct http *h = state;
	if (h->n + n > MAX_SAMPLES) {
		h->overflow = true;
		return DICTUM_FULL;
	}
	if (h->n + n > h->cap) {
		size_t cap = h->cap ? h->cap : ASR_SAMPLE_RATE * 10;
		while (cap < h->n + n)
			cap *= 2;
		int16_t *grown = realloc(h->pcm, cap * sizeof(*grown));
		if (!grown)
			return DICTUM_NOMEM;
		h->pcm = grown;
		h->cap = cap;
	}
	memcpy(h->pcm + h->n, pcm, n * sizeof(*pcm));
	h->n += n;
	return DICTUM_OK;
}

static int http_partial(void *state, struct asr_partial *p)
{
	(void)state;
	p->final = strdup("");
	p->pending = strdup("");
	return p->final && p->pending ? DICTUM_OK : DICTUM_NOMEM;
}

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A 16 kHz mono 16-bit WAV of the samples, malloc'ed. */
static unsigned char *make_wav(const struct http *h, size_t *len)
{
	size_t data = h->n * 2;
	unsigned char *w = malloc(44 + data);
	if (!w)
		return NULL;
	memcpy(w, "RIFF", 4);
	put_le(w + 4, (uint32_t)(36 + data), 4);
	memcpy(w + 8, "WAVEfmt ", 8);
	put_le(w + 16, 16, 4);
	put_le(w + 20, 1, 2);
	put_le(w + 22, 1, 2);
	put_le(w + 24, ASR_SAMPLE_RATE, 4);
	put_le(w + 28, ASR_SAMPLE_RATE * 2, 4);
	put_le(w + 32, 2, 2);
	put_le(w + 34, 16, 2);
	memcpy(w + 36, "data", 4);
	put_le(w + 40, (uint32_t)data, 4);
	for (size_t i = 0; i < h->n; i++)
		put_le(w + 44 + 2 * i, (uint16_t)h->pcm[i], 2);
	*len = 44 + data;
	return w;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct dynbuf *d = ctx;
	return dynbuf_add(d, data, size * nmemb) == DICTUM_OK ? size * nmemb : 0;
}

static double jnum(struct json_object *o, const char *key, double def)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return def;
	return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)
	           ? json_object_get_double(v)
	           : def;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Copies s without leading and trailing white space; NULL on OOM. */
static char *trimmed(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return strndup(s, n);
}

static int add_words(struct asr_transcript *t, struct json_object *words, double from, double to)
{
	size_t n = words ? json_object_array_length(words) : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(words, i);
		const char *text = jstr(w, "word");
		double start = jnum(w, "start", -1), end = jnum(w, "end", -1);
		if (!text || start < from || start >= to)
			continue;
		char *clean = trimmed(text);
		int result = clean ? asr_transcript_add_word(t, clean, start, end,
		                                             jnum(w, "probability", -1))
		                   : DICTUM_NOMEM;
		free(clean);
		if (result != DICTUM_OK)
			return result;
	}
	return DICTUM_OK;
}

/* verbose_json: {"text", "duration", "segments": [{"start", "end", "text",
 * "avg_logprob", "words"?}], "words"?: [{"word", "start", "end"}]}. */
static int parse_response(const char *body, struct asr_transcript *t, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct json_object *root = json_tokener_parse(body);
	struct json_object *segs = NULL, *top_words = NULL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		snprintf(err, errlen, "speech server: the answer is not JSON");
		result = DICTUM_NETWORK;
		goto cleanup;
	}
	json_object_object_get_ex(root, "words", &top_words);
	if (top_words && !json_object_is_type(top_words, json_type_array))
		top_words = NULL;
	if (!json_object_object_get_ex(root, "segments", &segs) ||
	    !json_object_is_type(segs, json_type_array)) {
		const char *text = jstr(root, "text");
		char *clean = text ? trimmed(text) : NULL;
		if (text && !clean)
			result = DICTUM_NOMEM;
		else if (clean && clean[0])
			result =
			    asr_transcript_add_segment(t, clean, 0, jnum(root, "duration", 0), -1);
		free(clean);
		goto cleanup;
	}
	size_t n = json_object_array_length(segs);
	for (size_t i = 0; i < n && result == DICTUM_OK; i++) {
		struct json_object *s = json_object_array_get_idx(segs, i);
		const char *text = jstr(s, "text");
		char *clean = text ? trimmed(text) : NULL;
		if (!clean) {
			result = text ? DICTUM_NOMEM : DICTUM_OK;
			continue;
		}
		double lp = jnum(s, "avg_logprob", NAN);
		double start = jnum(s, "start", 0), end = jnum(s, "end", start);
		if (clean[0])
			result = asr_transcript_add_segment(t, clean, start, end,
			                                    isnan(lp) ? -1 : exp(lp));
		free(clean);
		if (result != DICTUM_OK || !t->n_segments ||
		    t->segments[t->n_segments - 1].start != start)
			continue;
		struct json_object *words = NULL;
		if (json_object_object_get_ex(s, "words", &words) &&
		    json_object_is_type(words, json_type_array))
			result = add_words(t, words, start, INFINITY);
		else
			result = add_words(t, top_words, start, i + 1 < n ? end : INFINITY);
	}
cleanup:
	json_object_put(root);
	return result;
}

/* One POST. Returns DICTUM_OK with the body, or DICTUM_NETWORK and whether a
 * retry could help. */
static int post_once(struct http *h, const unsigned char *wav, size_t wavlen, struct dynbuf *body,
                     bool *retry, char *err, size_t errlen)
{
	int result = DICTUM_NETWORK;
	struct curl_slist *headers = NULL;
	curl_mime *mime = NULL;
	CURL *c = curl_easy_init();
	char curl_err[CURL_ERROR_SIZE] = "";
	*retry = false;
	if (!c) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	mime = curl_mime_init(c);
	curl_mimepart *part = curl_mime_addpart(mime);
	curl_mime_name(part, "file");
	curl_mime_filename(part, "audio.wav");
	curl_mime_type(part, "audio/wav");
	curl_mime_data(part, (const char *)wav, wavlen);
	const char *fields[][2] = {{"model", h->model},
	                           {"response_format", "verbose_json"},
	                           {"timestamp_granularities[]", "segment"},
	                           {"timestamp_granularities[]", "word"},
	                           {"language", h->language}};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!fields[i][1][0])
			continue;
		part = curl_mime_addpart(mime);
		curl_mime_name(part, fields[i][0]);
		curl_mime_data(part, fields[i][1], CURL_ZERO_TERMINATED);
	}
	if (h->key[0]) {
		char auth[600];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->key);
		headers = curl_slist_append(headers, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dictum/" DICTUM_VERSION);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "speech server %s unreachable: %s", h->url,
		         curl_err[0] ? curl_err : curl_easy_strerror(rc));
		*retry = rc != CURLE_WRITE_ERROR;
	} else if (status != 200) {
		snprintf(err, errlen, "speech server %s answered HTTP %ld", h->url, status);
		*retry = status == 429 || status >= 500;
	} else {
		result = DICTUM_OK;
	}
cleanup:
	curl_slist_free_all(headers);
	curl_mime_free(mime);
	if (c)
		curl_easy_cleanup(c);
	return result;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int transcribe_remote(struct http *h, struct asr_transcript *t, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	struct dynbuf body;
	dynbuf_init(&body, MAX_RESPONSE);
	size_t wavlen = 0;
	unsigned char *wav = make_wav(h, &wavlen);
	if (!wav) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	long delay = h->delay_ms;
	for (long attempt = 0;; attempt++) {
		bool retry = false;
		dynbuf_reset(&body);
		result = post_once(h, wav, wavlen, &body, &retry, err, errlen);
		if (result == DICTUM_OK || !retry || attempt >= h->retries)
			break;
		sleep_ms(delay);
		delay *= 2;
	}
	if (result == DICTUM_NETWORK && h->retries > 0) {
		size_t len = strlen(err);
		snprintf(err + len, errlen > len ? errlen - len : 0, " (after %ld tries)",
		         h->retries + 1);
	}
	if (result == DICTUM_OK)
		result = parse_response(dynbuf_str(&body), t, err, errlen);
cleanup:
	free(wav);
	dynbuf_free(&body);
	return result;
}

static int transcribe_fallback(struct http *h, const char *why, struct asr_transcript **out,
                               char *err, size_t errlen)
{
	char reason[160];
	snprintf(reason, sizeof(reason), "%s", why);
	int result = DICTUM_OK;
	if (!h->fallback_engine)
		result = asr_engine_create(h->fallback, h->cfg, &h->fallback_engine, err, errlen);
	if (result == DICTUM_OK)
		result = asr_transcribe_pcm(h->fallback_engine, h->pcm, h->n, out);
	if (result != DICTUM_OK) {
		if (h->fallback_engine)
			snprintf(err, errlen, "%s; fall-back: %s", reason,
			         asr_engine_error(h->fallback_engine));
		return result;
	}
	(*out)->fell_back = true;
	snprintf((*out)->note, sizeof((*out)->note), "%s", reason);
	return DICTUM_OK;
}

static int http_finish(void *state, struct asr_transcript **out, char *err, size_t errlen)
{
	struct http *h = state;
	int result = DICTUM_OK;
	struct asr_transcript *t = asr_transcript_new("http");
	if (!t)
		return DICTUM_NOMEM;
	t->duration = (double)h->n / ASR_SAMPLE_RATE;
	if (h->overflow) {
		snprintf(err, errlen, "recording longer than the HTTP engine accepts");
		result = DICTUM_FULL;
	} else if (h->n > 0) {
		result = transcribe_remote(h, t, err, errlen);
	}
	if (result == DICTUM_NETWORK && h->fallback[0]) {
		asr_transcript_free(&t);
		result = transcribe_fallback(h, err, &t, err, errlen);
	}
	if (result != DICTUM_OK)
		asr_transcript_free(&t);
	*out = t;
	return result;
}

const struct asr_engine_ops asr_http_ops = {
    .name = "http",
    .create = http_create,
    .start = http_start,
    .feed = http_feed,
    .partial = http_partial,
    .finish = http_finish,
    .destroy = http_destroy,
};
