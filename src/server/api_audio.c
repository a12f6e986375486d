#include "server/internal.h"
#include "asr/asr.h"
#include "audio/decode.h"
#include "audio/wav.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"
#include "core/note_format.h"
#include "notes/draft.h"
#include "notes/tmpl.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Audio in: uploads (multipart, files streamed to DB.files by form.c),
 * transcription on the local speech engine, and note drafting from the
 * transcript. Seed 000's transcribe, seed 001's upload and audio-note
 * jobs, and the OpenAI-compatible /v1/audio/transcriptions. Audio is
 * decoded once when it arrives (so unsupported or damaged files are
 * refused at once with 400) and again by the job that transcribes it. */

#define ASR_MAX_ENGINES 4

/* ---- speech engines: made on first use, kept, one user at a time ---- */

struct srv_asr {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct asr_engine *idle[ASR_MAX_ENGINES];
	size_t nidle;
	size_t made;
	int available; /* -1 unknown, 0 no (the model is missing), 1 yes */
	char why[256];
};

int srv_asr_open(struct srv *srv)
{
	struct srv_asr *a = calloc(1, sizeof(*a));
	if (!a)
		return DICTUM_NOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->available = -1;
	srv->asr = a;
	return DICTUM_OK;
}

void srv_asr_close(struct srv *srv)
{
	struct srv_asr *a = srv->asr;
	if (!a)
		return;
	for (size_t i = 0; i < a->nidle; i++)
		asr_engine_free(&a->idle[i]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
	srv->asr = NULL;
}

/* An engine for this thread alone, or NULL (err says why). */
static struct asr_engine *asr_take(struct srv *srv, char *err, size_t errlen)
{
	struct srv_asr *a = srv->asr;
	struct asr_engine *e = NULL;
	pthread_mutex_lock(&a->lock);
	while (!a->nidle && a->made >= ASR_MAX_ENGINES && a->available != 0)
		pthread_cond_wait(&a->cond, &a->lock);
	if (a->available == 0) {
		snprintf(err, errlen, "%s", a->why);
		pthread_mutex_unlock(&a->lock);
		return NULL;
	}
	if (a->nidle) {
		e = a->idle[--a->nidle];
		pthread_mutex_unlock(&a->lock);
		return e;
	}
	a->made++;
	pthread_mutex_unlock(&a->lock);
	/* Loading a model takes a second: not under the lock. */
	int result = asr_engine_create("sphinx", srv->cfg.config, &e, err, errlen);
	pthread_mutex_lock(&a->lock);
	if (result) {
		a->made--;
		if (result == DICTUM_NOTFOUND || result == DICTUM_INVAL) {
			a->available = 0;
			str_copy(a->why, err, sizeof(a->why));
		}
		log_warn("server", "speech engine unavailable: %s", err);
		e = NULL;
	} else {
		a->available = 1;
	}
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return e;
}

static void asr_give(struct srv *srv, struct asr_engine *e)
{
	struct srv_asr *a = srv->asr;
	pthread_mutex_lock(&a->lock);
	a->idle[a->nidle++] = e;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* True when the speech engine can be made (tries once). */
static bool asr_available(struct srv *srv)
{
	struct srv_asr *a = srv->asr;
	pthread_mutex_lock(&a->lock);
	int known = a->available;
	pthread_mutex_unlock(&a->lock);
	if (known >= 0)
		return known == 1;
	char err[256];
	struct asr_engine *e = asr_take(srv, err, sizeof(err));
	if (!e)
		return false;
	asr_give(srv, e);
	return true;
}

/* ---- decoding and transcribing a file ---- */

/* err without the path decode.c puts in front. */
static const char *decode_reason(const char *path, const char *err)
{
	size_t n = strlen(path);
	return strncmp(err, path, n) == 0 && err[n] == ':' ? err + n + 1 + (err[n + 1] == ' ')
	                                                   : err;
}

static struct json_object *dnum(double v)
{
	char text[32];
	snprintf(text, sizeof(text), "%.3f", v);
	return json_object_new_double_s(v, text);
}

static struct json_object *segments_json(const struct asr_transcript *t, bool openai)
{
	struct json_object *segs = json_object_new_array();
	for (size_t i = 0; i < t->n_segments; i++) {
		const struct asr_segment *s = &t->segments[i];
		struct json_object *o = json_object_new_object(), *words = json_object_new_array();
		if (openai)
			json_object_object_add(o, "id", json_object_new_int((int)i));
		json_object_object_add(o, "start", dnum(s->start));
		json_object_object_add(o, "end", dnum(s->end));
		json_object_object_add(o, "text", json_object_new_string(s->text));
		if (openai && s->confidence > 0)
			json_object_object_add(o, "avg_logprob", dnum(log(s->confidence)));
		else if (!openai)
			json_object_object_add(o, "confidence", dnum(s->confidence));
		for (size_t w = 0; w < s->n_words; w++) {
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "word", json_object_new_string(s->words[w].text));
			json_object_object_add(x, "start", dnum(s->words[w].start));
			json_object_object_add(x, "end", dnum(s->words[w].end));
			json_object_object_add(x, "probability", dnum(s->words[w].confidence));
			json_object_array_add(words, x);
		}
		json_object_object_add(o, "words", words);
		json_object_array_add(segs, o);
	}
	return segs;
}

/* Decodes and transcribes path. DICTUM_OK with *out set; otherwise a
 * status with the reason in err: DICTUM_INVAL or DICTUM_UNSUPPORTED for
 * the audio, DICTUM_NOTFOUND when no engine can be made. */
static int transcribe_file(struct srv *srv, const char *path, struct asr_transcript **out,
                           char *err, size_t errlen)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	char why[512] = "";
	int result = audio_decode_file(path, srv->cfg.max_upload, &pcm, &n, why, sizeof(why));
	if (result) {
		snprintf(err, errlen, "%s", decode_reason(path, why));
		return result;
	}
	struct asr_engine *e = asr_take(srv, err, errlen);
	if (!e) {
		free(pcm);
		return DICTUM_NOTFOUND;
	}
	result = asr_transcribe_pcm(e, pcm, n, out);
	if (result) {
		snprintf(err, errlen, "%s", asr_engine_error(e));
		asr_transcript_free(out);
	}
	asr_give(srv, e);
	free(pcm);
	return result;
}

/* {"text", "duration", "engine", "segments"} of t (a new object). */
static struct json_object *transcript_json(const struct asr_transcript *t, const char *text)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string(text));
	json_object_object_add(o, "duration", dnum(t->duration));
	json_object_object_add(o, "engine", json_object_new_string(t->engine));
	json_object_object_add(o, "segments", segments_json(t, false));
	return o;
}

/* ---- the jobs ---- */

struct audio_job {
	char *result;
	char *code;
	size_t codelen;
	char *msg;
	size_t msglen;
};

static int job_fail(struct audio_job *j, const char *code, const char *msg)
{
	snprintf(j->code, j->codelen, "%s", code);
	snprintf(j->msg, j->msglen, "%s", msg);
	return DICTUM_OK;
}

static int job_done(struct audio_job *j, struct json_object *o)
{
	j->result = str_dup_or_null(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return j->result ? DICTUM_OK : DICTUM_NOMEM;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : NULL;
}

int srv_draft_text(struct srv *srv, const char *transcript, const char *note_type, char **text,
                   struct json_object **sections)
{
	const struct note_engine *ne = srv_engines_notes(srv);
	if (!ne)
		return DICTUM_NOTFOUND;
	struct note_draft d = {0};
	struct dynbuf b;
	dynbuf_init(&b, 64u << 20);
	int result = note_draft(ne, transcript, note_type, NULL, NOTE_MODE_DICTATION, &d);
	if (sections)
		*sections = json_object_new_array();
	for (size_t i = 0; !result && i < d.note.nsections; i++) {
		const struct note_section *s = &d.note.sections[i];
		result = dynbuf_printf(&b, "%s%s:\n%s\n", i ? "\n" : "", s->title, s->text);
		if (sections) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "key", json_object_new_string(s->key));
			json_object_object_add(o, "title", json_object_new_string(s->title));
			json_object_object_add(o, "text", json_object_new_string(s->text));
			json_object_array_add(*sections, o);
		}
	}
	note_draft_clear(&d);
	if (!result && !(*text = dynbuf_take(&b)))
		result = DICTUM_NOMEM;
	dynbuf_free(&b);
	if (result && sections) {
		json_object_put(*sections);
		*sections = NULL;
	}
	return result;
}

/* Transcribes the job's file: the transcript, or a failed job. */
static int job_transcribe(struct srv *srv, struct audio_job *j, const char *path,
                          struct asr_transcript **t, char **text)
{
	char err[512] = "";
	int result = path ? transcribe_file(srv, path, t, err, sizeof(err)) : DICTUM_INVAL;
	if (result == DICTUM_NOMEM)
		return result;
	if (result) {
		log_warn("server", "transcription failed: %s", err);
		return job_fail(j, "transcription_failed", "Failed to transcribe audio");
	}
	*text = asr_transcript_text(*t);
	return *text ? DICTUM_OK : DICTUM_NOMEM;
}

static int run_transcribe(struct srv *srv, struct json_object *in, struct audio_job *j)
{
	struct asr_transcript *t = NULL;
	char *text = NULL;
	int result = job_transcribe(srv, j, jstr(in, "path"), &t, &text);
	if (!result && t)
		result = job_done(j, transcript_json(t, text));
	asr_transcript_free(&t);
	free(text);
	return result;
}

static int run_audio_note(struct srv *srv, struct json_object *in, struct audio_job *j)
{
	struct asr_transcript *t = NULL;
	char *text = NULL, *note = NULL;
	struct json_object *sections = NULL;
	int result = job_transcribe(srv, j, jstr(in, "path"), &t, &text);
	if (result || !t)
		goto out;
	const char *type = jstr(in, "note_type");
	result = srv_draft_text(srv, text, type ? type : "clinicNote", &note, &sections);
	if (result == DICTUM_NOMEM)
		goto out;
	if (result) {
		result = job_fail(j, "note_generation_failed", "Failed to generate the note");
		goto out;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "transcript", json_object_new_string(text));
	json_object_object_add(o, "note", json_object_new_string(note));
	json_object_object_add(o, "template_id",
	                       json_object_get(json_object_object_get(in, "template_id")));
	json_object_object_add(o, "note_type", json_object_new_string(type ? type : "clinicNote"));
	json_object_object_add(o, "duration", dnum(t->duration));
	json_object_object_add(o, "sections", sections);
	sections = NULL;
	result = job_done(j, o);
out:
	json_object_put(sections);
	asr_transcript_free(&t);
	free(text);
	free(note);
	return result;
}

/* True when b holds well-formed UTF-8. */
static bool utf8_valid(const char *b, size_t n)
{
	const unsigned char *p = (const unsigned char *)b, *end = p + n;
	while (p < end) {
		size_t more = *p < 0x80             ? 0
		              : (*p & 0xe0) == 0xc0 ? 1
		              : (*p & 0xf0) == 0xe0 ? 2
		              : (*p & 0xf8) == 0xf0 ? 3
		                                    : 4;
		if (more == 4 || (size_t)(end - p) <= more || (more == 1 && *p < 0xc2))
			return false;
		for (size_t i = 1; i <= more; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += more + 1;
	}
	return true;
}

/* True when the file is text (UTF-8 without NUL bytes); reads it into *out. */
static bool read_text_file(const char *path, size_t max, char **out)
{
	size_t len = 0;
	char *data = NULL;
	if (file_read_all(path, max, &data, &len) != DICTUM_OK)
		return false;
	if (memchr(data, '\0', len) || !utf8_valid(data, len)) {
		free(data);
		return false;
	}
	*out = data;
	return true;
}

static int run_pcr_upload(struct srv *srv, struct json_object *in, struct audio_job *j)
{
	struct json_object *files = NULL;
	json_object_object_get_ex(in, "files", &files);
	size_t n =
	    json_object_is_type(files, json_type_array) ? json_object_array_length(files) : 0;
	struct dynbuf all;
	dynbuf_init(&all, 64u << 20);
	int result = DICTUM_OK;
	for (size_t i = 0; i < n && !result; i++) {
		const char *path = jstr(json_object_array_get_idx(files, i), "path");
		char *text = NULL;
		struct asr_transcript *t = NULL;
		char err[512] = "";
		if (path && read_text_file(path, 16u << 20, &text)) {
			result = dynbuf_printf(&all, "%s%s", all.len ? "\n\n" : "", text);
		} else if (path && !(result = transcribe_file(srv, path, &t, err, sizeof(err)))) {
			text = asr_transcript_text(t);
			result = text ? dynbuf_printf(&all, "%s%s", all.len ? "\n\n" : "", text)
			              : DICTUM_NOMEM;
		} else if (result != DICTUM_NOMEM) {
			log_warn("server", "upload file %zu: %s", i + 1, err);
			result = job_fail(j, "unreadable_file",
			                  "A file is neither text nor audio the server can decode");
			free(text);
			goto out;
		}
		asr_transcript_free(&t);
		free(text);
	}
	if (result)
		goto out;
	if (str_blank(dynbuf_str(&all))) {
		result = job_fail(j, "empty_input", "The files hold no text or speech");
		goto out;
	}
	char *summary = NULL;
	result = srv_draft_text(srv, dynbuf_str(&all), "clinicNote", &summary, NULL);
	if (result == DICTUM_NOMEM)
		goto out;
	if (result) {
		result =
		    job_fail(j, "summarization_failed", "Summarization service is not configured");
		goto out;
	}
	struct json_object *o = json_object_new_object(), *v = NULL;
	json_object_object_add(o, "response", json_object_new_string(summary));
	free(summary);
	const char *keep[] = {"extra_information", "metadata", "patient_id"};
	for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
		if (json_object_object_get_ex(in, keep[k], &v))
			json_object_object_add(o, keep[k], json_object_get(v));
	result = job_done(j, o);
out:
	dynbuf_free(&all);
	return result;
}

int srv_audio_job(struct srv *srv, const char *type, struct json_object *input, char **result_json,
                  char *error_code, size_t codelen, char *error_message, size_t msglen)
{
	struct audio_job j = {NULL, error_code, codelen, error_message, msglen};
	int result;
	if (strcmp(type, "transcribe") == 0)
		result = run_transcribe(srv, input, &j);
	else if (strcmp(type, "audio.note") == 0)
		result = run_audio_note(srv, input, &j);
	else
		result = run_pcr_upload(srv, input, &j);
	*result_json = j.result;
	return result;
}

/* ---- requests ---- */

bool api_webhook_url_ok(const char *h)
{
	return h && strlen(h) <= 2000 &&
	       (strncmp(h, "http://", 7) == 0 || strncmp(h, "https://", 8) == 0);
}

/* The webhook_url form field; NULL when absent or empty. */
static const char *form_hook(struct srv_req *rq)
{
	const char *url = srv_form_value(rq->form, "webhook_url");
	return url && *url ? url : NULL;
}

/* The optional webhook_url form field: true when absent or valid. */
static bool form_webhook(struct srv_req *rq, struct srv_resp *rs, const char **url)
{
	*url = form_hook(rq);
	if (*url && !api_webhook_url_ok(*url)) {
		api_error(rq, rs, 400, "invalid_webhook_url", "webhook_url must be an http(s) URL");
		return false;
	}
	return true;
}

/* Declared types a client may send audio as; the bytes decide in the end. */
static bool audio_type_ok(const char *type)
{
	static const char *const ok[] = {"audio/", "video/webm", "video/mp4",
	                                 "application/octet-stream", "application/ogg"};
	if (!type || !*type)
		return true;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncasecmp(type, ok[i], strlen(ok[i])) == 0)
			return true;
	return false;
}

/* Writes the decoded audio of f as a 16 kHz mono WAV next to it
 * (f->pcm_path) so that the job need not decode the upload again. On
 * failure pcm_path stays "" and the job decodes the upload itself. */
static void keep_pcm(struct srv_form_file *f, const int16_t *pcm, size_t n)
{
	struct wav_writer *w = NULL;
	char path[sizeof(f->pcm_path)], err[256] = "";
	snprintf(path, sizeof(path), "%s.wav", f->path);
	int result = wav_writer_open(path, 16000, 1, 0, &w, err, sizeof(err));
	if (!result)
		result = wav_writer_write(w, pcm, n);
	if (w) {
		int closed = wav_writer_close(&w);
		if (!result)
			result = closed;
	}
	if (result) {
		log_warn("server", "cannot keep the decoded audio (%s): %s",
		         dictum_strerror(result), err);
		unlink(path);
		return;
	}
	str_copy(f->pcm_path, path, sizeof(f->pcm_path));
}

/* The audio file part called field: present, declared as audio, and
 * decodable. Sets an error response otherwise. */
static struct srv_form_file *check_audio(struct srv_req *rq, struct srv_resp *rs, const char *field)
{
	struct srv_form_file *f = srv_form_file(rq->form, field);
	if (!f || f->size == 0) {
		api_error(rq, rs, 400, "missing_file", "Invalid file: '%s' (an audio file) is %s",
		          field, f ? "empty" : "required");
		return NULL;
	}
	if (!audio_type_ok(f->content_type)) {
		api_error(rq, rs, 400, "unsupported_audio",
		          "Invalid file type %s: send WAV, MP3, M4A, WebM, FLAC or OGG audio",
		          f->content_type);
		return NULL;
	}
	int16_t *pcm = NULL;
	size_t n = 0;
	char err[512] = "";
	int result =
	    audio_decode_file(f->path, rq->srv->cfg.max_upload, &pcm, &n, err, sizeof(err));
	if (!result)
		keep_pcm(f, pcm, n);
	free(pcm);
	if (result == DICTUM_NOMEM || result == DICTUM_IO) {
		api_error(rq, rs, 500, "internal_error", "Cannot read the upload (request %s)",
		          rq->request_id);
		return NULL;
	}
	if (result) {
		api_error(rq, rs, 400, "unsupported_audio",
		          "Invalid file type: not audio the server can decode (%s)",
		          decode_reason(f->path, err));
		return NULL;
	}
	return f;
}

static bool check_asr(struct srv_req *rq, struct srv_resp *rs)
{
	if (asr_available(rq->srv))
		return true;
	api_error(rq, rs, 503, "service_unavailable",
	          "Transcribe service configuration is missing");
	return false;
}

/* Moves an uploaded file out of the temporary name into DB.files for a
 * job to read; path gets the new name. */
static int keep_file(struct srv_req *rq, struct srv_form_file *f, char *path, size_t size)
{
	char hex[25];
	if (random_hex(hex, 12) != 0)
		return DICTUM_IO;
	/* The decoded audio, when the request made it, is all a job needs. */
	bool pcm = f->pcm_path[0] != '\0';
	snprintf(path, size, "%s/file_%s%s", rq->srv->files_dir, hex, pcm ? ".wav" : "");
	if (rename(pcm ? f->pcm_path : f->path, path) != 0) {
		log_error("server", "cannot keep an upload as %s: %s", path, strerror(errno));
		return DICTUM_IO;
	}
	if (pcm) {
		f->pcm_path[0] = '\0';
		unlink(f->path);
	}
	f->path[0] = '\0';
	return DICTUM_OK;
}

/* keep_file for a job's one audio file, answering 500 when it fails: the
 * job's input with the kept file's path and the upload's filename, or NULL
 * (the answer is sent). */
static struct json_object *keep_upload(struct srv_req *rq, struct srv_resp *rs,
                                       struct srv_form_file *f, char *path, size_t size)
{
	if (keep_file(rq, f, path, size)) {
		api_error(rq, rs, 500, "internal_error", "Cannot store the upload");
		return NULL;
	}
	struct json_object *in = json_object_new_object();
	json_object_object_add(in, "path", json_object_new_string(path));
	json_object_object_add(in, "filename", json_object_new_string(f->filename));
	return in;
}

/* Queues j (with its "queued" webhook when queued_event) in one
 * transaction. DICTUM_OK or the store's status. */
int api_job_submit(struct srv_req *rq, struct srv_job *j, bool queued_event)
{
	int result = srv_store_begin(rq->db);
	if (!result && !(result = srv_job_insert(rq->db, j)) && j->webhook_url && queued_event) {
		char *payload = api_job_event_payload(j);
		result =
		    payload ? srv_delivery_add(rq->db, j->org_id, j->webhook_url, "queued", payload)
		            : DICTUM_NOMEM;
		free(payload);
	}
	if (!result)
		result = srv_store_commit(rq->db);
	if (result) {
		srv_store_rollback(rq->db);
		return result;
	}
	rq->kick_jobs = true;
	rq->kick_hooks = rq->kick_hooks || (j->webhook_url && queued_event);
	return DICTUM_OK;
}

/* Builds the job of type from in (takes it), queuing it; sets an error
 * response and returns false on failure. */
static bool queue_job(struct srv_req *rq, struct srv_resp *rs, const char *type,
                      const char *alias_prefix, struct json_object *in, const char *hook,
                      bool queued_event, struct srv_job *j)
{
	memset(j, 0, sizeof(*j));
	j->org_id = rq->key.org_id;
	j->type = strdup(type);
	j->input = str_dup_or_null(json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN));
	j->webhook_url = str_dup_or_null(hook);
	if (alias_prefix)
		str_copy(j->alias, alias_prefix, sizeof(j->alias));
	json_object_put(in);
	int result = !j->type || !j->input || (hook && !j->webhook_url) ? DICTUM_NOMEM : DICTUM_OK;
	if (!result)
		result = api_job_submit(rq, j, queued_event);
	if (result) {
		api_store_error(rq, rs, result);
		srv_job_clear(j);
		return false;
	}
	return true;
}

/* ---- seed 000: transcriptions ---- */

void api_transcribe_check(struct srv_req *rq, struct srv_resp *rs)
{
	const char *hook;
	if (check_audio(rq, rs, "file") && form_webhook(rq, rs, &hook))
		check_asr(rq, rs);
}

void api_transcribe_submit(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_form_file *f = srv_form_file(rq->form, "file");
	const char *hook = form_hook(rq);
	char path[1300];
	struct json_object *in = keep_upload(rq, rs, f, path, sizeof(path));
	if (!in)
		return;
	json_object_object_add(in, "bytes", json_object_new_int64((int64_t)f->size));
	struct srv_job j;
	if (!queue_job(rq, rs, "transcribe", "trn", in, hook, true, &j)) {
		unlink(path);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(j.alias));
	json_object_object_add(o, "object", json_object_new_string("transcription"));
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "job_id", json_object_new_string(j.uid));
	json_object_object_add(o, "filename", json_object_new_string(f->filename));
	json_object_object_add(o, "created_at", json_object_new_string(j.created_at));
	json_object_object_add(o, "webhook_url", hook ? json_object_new_string(hook) : NULL);
	snprintf(rs->location, sizeof(rs->location), "/api/clinical/transcriptions/%s", j.alias);
	api_json(rs, 202, o);
	srv_job_clear(&j);
}

/* The job behind an aliased resource (trn_, upl_) of the caller's
 * organisation, or an error response. */
/* Adds the job's outcome (result fields, or error_code/error_message). */
static void add_outcome(struct json_object *o, const struct srv_job *j, const char *const *keys,
                        size_t nkeys)
{
	struct json_object *res = j->status == SRV_JOB_COMPLETED && j->result
	                              ? json_tokener_parse(j->result)
	                              : NULL,
	                   *v = NULL;
	for (size_t i = 0; res && i < nkeys; i++)
		if (json_object_object_get_ex(res, keys[i], &v))
			json_object_object_add(o, keys[i], json_object_get(v));
	json_object_put(res);
	if (j->status == SRV_JOB_FAILED) {
		json_object_object_add(
		    o, "error_code",
		    json_object_new_string(j->error_code ? j->error_code : "error"));
		json_object_object_add(
		    o, "error_message",
		    json_object_new_string(j->error_message ? j->error_message : ""));
	}
}

void api_transcription_get(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_job j;
	if (!api_job_of_type(rq, rs, "trn", true, "transcribe", "transcription id", "transcription",
	                     &j))
		return;
	struct json_object *o = json_object_new_object(), *in = json_tokener_parse(j.input);
	json_object_object_add(o, "id", json_object_new_string(j.alias));
	json_object_object_add(o, "object", json_object_new_string("transcription"));
	json_object_object_add(o, "status", json_object_new_string(srv_job_status_name(j.status)));
	json_object_object_add(o, "job_id", json_object_new_string(j.uid));
	json_object_object_add(o, "filename", json_object_new_string(jstr(in, "filename")));
	json_object_object_add(o, "created_at", json_object_new_string(j.created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(j.updated_at));
	json_object_put(in);
	static const char *const keys[] = {"text", "duration", "engine", "segments"};
	add_outcome(o, &j, keys, sizeof(keys) / sizeof(keys[0]));
	api_json(rs, 200, o);
	srv_job_clear(&j);
}

int api_transcription_text(struct srv_req *rq, const char *id, char **text)
{
	struct srv_job j;
	int result = srv_job_get_alias(rq->db, rq->key.org_id, id, &j);
	if (result)
		return result;
	struct json_object *res = NULL;
	if (strcmp(j.type, "transcribe") != 0)
		result = DICTUM_NOTFOUND;
	else if (j.status != SRV_JOB_COMPLETED || !(res = json_tokener_parse(j.result)))
		result = DICTUM_BUSY;
	else if (!(*text = str_dup_or_null(jstr(res, "text"))))
		result = DICTUM_NOMEM;
	json_object_put(res);
	srv_job_clear(&j);
	return result;
}

/* ---- seed 001: uploads ---- */

void api_pcr_upload_check(struct srv_req *rq, struct srv_resp *rs)
{
	size_t n = 0;
	struct srv_form_file *files = srv_form_files(rq->form, &n);
	const char *hook;
	if (!n) {
		api_error(rq, rs, 400, "missing_file", "files: at least one file is required");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (files[i].size == 0) {
			api_error(rq, rs, 400, "missing_file", "files: %s is empty",
			          files[i].filename);
			return;
		}
	}
	form_webhook(rq, rs, &hook);
}

void api_pcr_upload(struct srv_req *rq, struct srv_resp *rs)
{
	size_t nfiles = 0, nfields = 0;
	struct srv_form_file *files = srv_form_files(rq->form, &nfiles);
	const struct srv_form_field *fields = srv_form_fields(rq->form, &nfields);
	const char *hook = srv_form_value(rq->form, "webhook_url");
	const char *extra = srv_form_value(rq->form, "extra_information");
	const char *email = srv_form_value(rq->form, "email");
	const char *first = srv_form_value(rq->form, "first_name");
	const char *last = srv_form_value(rq->form, "last_name");
	if (hook && !*hook)
		hook = NULL;
	struct json_object *meta = json_object_new_object(), *list = json_object_new_array();
	for (size_t i = 0; i < nfields; i++)
		if (strcmp(fields[i].name, "webhook_url") != 0 &&
		    strcmp(fields[i].name, "extra_information") != 0)
			json_object_object_add(meta, fields[i].name,
			                       json_object_new_string(fields[i].value));
	int result = srv_store_begin(rq->db);
	char patient[DICTUM_UID_LEN] = "";
	int64_t patient_id = 0;
	if (!result && ((!str_blank(first) && !str_blank(last)) || !str_blank(email)))
		result = srv_patient_resolve(rq->db, rq->key.org_id, first, last, email,
		                             &patient_id, patient);
	char kept[SRV_FORM_MAX_FILES][1300];
	size_t nkept = 0;
	for (size_t i = 0; !result && i < nfiles && i < SRV_FORM_MAX_FILES; i++) {
		if ((result = keep_file(rq, &files[i], kept[nkept], sizeof(kept[0]))))
			break;
		nkept++;
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(kept[nkept - 1]));
		json_object_object_add(f, "filename", json_object_new_string(files[i].filename));
		json_object_object_add(f, "bytes", json_object_new_int64((int64_t)files[i].size));
		json_object_array_add(list, f);
	}
	struct json_object *in = json_object_new_object();
	json_object_object_add(in, "files", list);
	json_object_object_add(in, "extra_information",
	                       extra ? json_object_new_string(extra) : NULL);
	json_object_object_add(in, "metadata", json_object_get(meta));
	json_object_object_add(in, "patient_id",
	                       patient[0] ? json_object_new_string(patient) : NULL);
	struct srv_job j = {0};
	if (result || !queue_job(rq, rs, "pcr.upload", "upl", in, hook, false, &j)) {
		if (result) {
			json_object_put(in);
			api_store_error(rq, rs, result);
		}
		srv_store_rollback(rq->db);
		for (size_t i = 0; i < nkept; i++)
			unlink(kept[i]);
		json_object_put(meta);
		return;
	}
	if ((result = srv_store_commit(rq->db))) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		json_object_put(meta);
		srv_job_clear(&j);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(
	    o, "message",
	    json_object_new_string("Files uploaded successfully; processing is underway."));
	json_object_object_add(o, "upload_id", json_object_new_string(j.alias));
	json_object_object_add(o, "webhook_url", hook ? json_object_new_string(hook) : NULL);
	json_object_object_add(o, "extra_information",
	                       extra ? json_object_new_string(extra) : NULL);
	json_object_object_add(o, "metadata", meta);
	if (patient[0])
		json_object_object_add(o, "patient_id", json_object_new_string(patient));
	api_json(rs, 200, o);
	srv_job_clear(&j);
}

void api_pcr_upload_get(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_job j;
	if (!api_job_of_type(rq, rs, "upl", true, "pcr.upload", "upload_id", "upload", &j))
		return;
	struct json_object *o = json_object_new_object(), *in = json_tokener_parse(j.input), *v;
	json_object_object_add(o, "upload_id", json_object_new_string(j.alias));
	json_object_object_add(o, "status", json_object_new_string(srv_job_status_name(j.status)));
	json_object_object_add(o, "created_at", json_object_new_string(j.created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(j.updated_at));
	static const char *const from_input[] = {"extra_information", "metadata", "patient_id"};
	for (size_t i = 0; i < sizeof(from_input) / sizeof(from_input[0]); i++)
		if (json_object_object_get_ex(in, from_input[i], &v))
			json_object_object_add(o, from_input[i], json_object_get(v));
	json_object_put(in);
	static const char *const keys[] = {"response"};
	add_outcome(o, &j, keys, 1);
	if (!json_object_object_get_ex(o, "response", NULL))
		json_object_object_add(o, "response", NULL);
	api_json(rs, 200, o);
	srv_job_clear(&j);
}

/* ---- seed 001: audio notes ---- */

void api_audio_notes_check(struct srv_req *rq, struct srv_resp *rs)
{
	const char *hook;
	if (!check_audio(rq, rs, "file"))
		return;
	const char *tid = srv_form_value(rq->form, "template_id");
	const char *type = srv_form_value(rq->form, "noteType");
	if (!tid && type && !note_type_valid(type)) {
		api_error(rq, rs, 400, "invalid_note_type", "Unknown noteType %s", type);
		return;
	}
	if (!(!tid && type) && !srv_engines_template(rq->srv, tid)) {
		api_error(rq, rs, 400, "invalid_template",
		          "Invalid template selection: template_id must name a community template");
		return;
	}
	if (form_webhook(rq, rs, &hook) && check_asr(rq, rs) && !srv_engines_notes(rq->srv))
		api_error(rq, rs, 503, "service_unavailable",
		          "Note service configuration is missing");
}

void api_audio_notes_submit(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_form_file *f = srv_form_file(rq->form, "file");
	const struct tmpl_template *t =
	    srv_engines_template(rq->srv, srv_form_value(rq->form, "template_id"));
	/* Dictum's own clients may name the note type instead of a template. */
	const char *type = t && t->note_type ? t->note_type : srv_form_value(rq->form, "noteType");
	const char *hook = form_hook(rq);
	char path[1300];
	struct json_object *in = keep_upload(rq, rs, f, path, sizeof(path));
	if (!in)
		return;
	json_object_object_add(in, "template_id", t ? json_object_new_string(t->id) : NULL);
	json_object_object_add(in, "note_type", json_object_new_string(type ? type : "clinicNote"));
	struct srv_job j;
	if (!queue_job(rq, rs, "audio.note", NULL, in, hook, true, &j)) {
		unlink(path);
		return;
	}
	api_job_accepted(rs, &j, "Audio note", hook);
	srv_job_clear(&j);
}

void api_audio_notes_get(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_job j;
	if (!api_job_of_type(rq, rs, "job", false, "audio.note", "job_id", "audio-note job", &j))
		return;
	struct json_object *o = api_job_status_json(&j);
	static const char *const keys[] = {"transcript", "note", "template_id", "note_type",
	                                   "sections"};
	add_outcome(o, &j, keys, sizeof(keys) / sizeof(keys[0]));
	api_json(rs, 200, o);
	srv_job_clear(&j);
}

/* ---- OpenAI-compatible, synchronous ---- */

void api_openai_transcriptions(struct srv_req *rq, struct srv_resp *rs)
{
	const char *format = srv_form_value(rq->form, "response_format");
	if (!format || !*format)
		format = "json";
	if (strcmp(format, "json") != 0 && strcmp(format, "text") != 0 &&
	    strcmp(format, "verbose_json") != 0) {
		api_error(rq, rs, 400, "invalid_field",
		          "response_format must be json, text or verbose_json");
		return;
	}
	struct srv_form_file *f = check_audio(rq, rs, "file");
	if (!f || !check_asr(rq, rs))
		return;
	struct asr_transcript *t = NULL;
	char err[512] = "";
	int result =
	    transcribe_file(rq->srv, f->pcm_path[0] ? f->pcm_path : f->path, &t, err, sizeof(err));
	char *text = result ? NULL : asr_transcript_text(t);
	if (!result && !text)
		result = DICTUM_NOMEM;
	if (result) {
		log_warn("server", "transcription failed: %s", err);
		asr_transcript_free(&t);
		api_error(rq, rs, 500, "transcription_failed", "Failed to transcribe audio");
		return;
	}
	if (strcmp(format, "text") == 0) {
		free(rs->body);
		size_t n = strlen(text);
		rs->body = realloc(text, n + 2);
		if (rs->body)
			memcpy(rs->body + n, "\n", 2);
		else
			free(text);
		text = NULL;
		rs->status = 200;
		str_copy(rs->content_type, "text/plain; charset=utf-8", sizeof(rs->content_type));
	} else {
		struct json_object *o = json_object_new_object();
		if (strcmp(format, "verbose_json") == 0) {
			json_object_object_add(o, "task", json_object_new_string("transcribe"));
			json_object_object_add(o, "language", json_object_new_string("english"));
			json_object_object_add(o, "duration", dnum(t->duration));
			json_object_object_add(o, "segments", segments_json(t, true));
		}
		json_object_object_add(o, "text", json_object_new_string(text));
		api_json(rs, 200, o);
	}
	free(text);
	asr_transcript_free(&t);
}
