#include "ui/recorder.h"
#include "asr/asr.h"
#include "asr/lm_build.h"
#include "asr/postprocess.h"
#include "audio/lib.h"
#include "core/lib.h"
#include "notes/draft.h"
#include "offline/store.h"
#include "recordings/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How often the live transcript is refreshed while audio flows. */
#define PARTIAL_MS 250

struct done {
	struct rec_result res;
	struct done *next;
};

struct ui_recorder {
	pthread_t thread, loader;
	bool loader_started, load_asked; /* (the UI thread's) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pipe[2];
	const struct config *cfg;
	char *db_path, *recordings_dir;

	/* Requests from the UI (under lock). */
	bool want_start, want_pause, want_stop, want_devices, want_adapt, quitting;
	bool want_offer; /* the loader finished: see whether to offer adapting */
	struct rec_target target, next_target;

	/* The speech and note engines, set by the loader (under lock). */
	struct asr_engine *asr;
	struct note_engine notes;
	bool loaded; /* the loader finished, well or not */

	/* Shared with the capture thread (under lock). */
	struct wav_writer *writer;
	int16_t *pcm; /* audio not yet fed to the speech engine */
	size_t npcm, cappcm;
	bool pcm_lost;     /* memory ran out: the transcript misses audio */
	bool capture_over; /* the device was lost or failed */
	int silent_windows;
	uint64_t clip_until; /* frames */
	char capture_error[320];

	struct rec_status status; /* (under lock) */
	char *final, *pending;    /* the live transcript (under lock) */
	char *preview;            /* the note drafted from final so far (under lock) */
	size_t preview_len;       /* the length of final it was drafted from (recorder thread) */
	struct done *results, *results_tail;
};

void rec_result_clear(struct rec_result *r)
{
	note_clear(&r->note);
	capture_devices_free(&r->devices, r->ndevices);
	memset(r, 0, sizeof(*r));
}

static void wake(struct ui_recorder *r)
{
	char byte = 1;
	if (write(r->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
		log_warn("ui", "cannot wake the screen: %s", strerror(errno));
}

/* Queues a result for the UI; takes what res owns. Call without the lock. */
static void post(struct ui_recorder *r, struct rec_result *res)
{
	struct done *d = calloc(1, sizeof(*d));
	if (!d) {
		log_error("ui", "out of memory: a recorder result was dropped");
		rec_result_clear(res);
		return;
	}
	d->res = *res;
	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&r->lock);
	if (r->results_tail)
		r->results_tail->next = d;
	else
		r->results = d;
	r->results_tail = d;
	pthread_mutex_unlock(&r->lock);
	wake(r);
}

static void post_message(struct ui_recorder *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void post_message(struct ui_recorder *r, int status, const char *fmt, ...)
{
	struct rec_result res = {.kind = REC_RESULT_MESSAGE, .status = status};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res.message, sizeof(res.message), fmt, ap);
	va_end(ap);
	post(r, &res);
}

/* ---- the capture thread's callbacks ---- */

static int on_frames(void *ctx, const int16_t *pcm, size_t n)
{
	struct ui_recorder *r = ctx;
	int result = DICTUM_OK;
	pthread_mutex_lock(&r->lock);
	if (!r->writer)
		goto out;
	result = wav_writer_write(r->writer, pcm, n);
	if (result)
		snprintf(r->capture_error, sizeof(r->capture_error), "%s",
		         wav_writer_errmsg(r->writer));
	r->status.elapsed_s = (double)wav_writer_frames(r->writer) / AUDIO_RATE;
	if (r->npcm + n > r->cappcm) {
		size_t cap = r->cappcm ? r->cappcm * 2 : AUDIO_RATE;
		while (cap < r->npcm + n)
			cap *= 2;
		int16_t *p = realloc(r->pcm, cap * sizeof(*p));
		if (!p) {
			r->pcm_lost = true;
			goto out;
		}
		r->pcm = p;
		r->cappcm = cap;
	}
	memcpy(r->pcm + r->npcm, pcm, n * sizeof(*pcm));
	r->npcm += n;
	pthread_cond_signal(&r->cond);
out:
	pthread_mutex_unlock(&r->lock);
	return result;
}

static void on_level(void *ctx, const struct level_reading *lv)
{
	struct ui_recorder *r = ctx;
	pthread_mutex_lock(&r->lock);
	r->status.rms_db = lv->rms_db;
	r->status.peak_db = lv->peak_db;
	r->silent_windows = lv->rms_db < REC_SILENT_DB ? r->silent_windows + 1 : 0;
	r->status.silent = r->silent_windows * LEVEL_WINDOW_MS >= REC_SILENT_MS;
	if (lv->peak_db > REC_CLIP_DB)
		r->clip_until = lv->end_frame + (uint64_t)AUDIO_RATE * REC_CLIP_HOLD_MS / 1000;
	r->status.clipping = lv->end_frame < r->clip_until;
	pthread_mutex_unlock(&r->lock);
	wake(r);
}

static void on_event(void *ctx, enum capture_event ev, int status, const char *message)
{
	struct ui_recorder *r = ctx;
	if (ev == CAPTURE_EVENT_OVERRUN) {
		log_warn("ui", "%s", message);
		return;
	}
	pthread_mutex_lock(&r->lock);
	r->capture_over = true;
	if (ev != CAPTURE_EVENT_END)
		snprintf(r->capture_error, sizeof(r->capture_error), "%s (%s)", message,
		         dictum_strerror(status ? status : DICTUM_IO));
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* ---- the loader thread ---- */

static void *loader_main(void *arg)
{
	struct ui_recorder *r = arg;
	char err[200] = "";
	struct asr_engine *e = NULL;
	struct note_engine notes;
	int rc = asr_engine_create(NULL, r->cfg, &e, err, sizeof(err));
	char nerr[200] = "";
	int nrc = note_engine_load(&notes, NULL, nerr, sizeof(nerr));
	pthread_mutex_lock(&r->lock);
	if (rc == DICTUM_OK && nrc == DICTUM_OK) {
		r->asr = e;
		r->notes = notes;
		r->status.engine_ready = true;
		str_copy(r->status.engine, asr_engine_name(e), sizeof(r->status.engine));
	} else {
		if (e)
			asr_engine_free(&e);
		if (nrc == DICTUM_OK)
			note_engine_clear(&notes);
		snprintf(r->status.engine_error, sizeof(r->status.engine_error), "%s",
		         rc ? err : nerr);
	}
	r->loaded = true;
	r->want_offer = rc == DICTUM_OK && nrc == DICTUM_OK;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	wake(r);
	return NULL;
}

/* ---- the recorder thread ---- */

/* One recording from start to draft, as the recorder thread sees it. */
struct session {
	struct capture *cap;
	struct recording rec;
	char path[1200];
	bool asr_started;
	bool fed_since_partial;
	uint64_t last_partial_ns;
};

static void set_state(struct ui_recorder *r, enum rec_state st)
{
	pthread_mutex_lock(&r->lock);
	r->status.state = st;
	if (st == REC_IDLE)
		r->status.note_id = 0;
	pthread_mutex_unlock(&r->lock);
	wake(r);
}

static int begin(struct ui_recorder *r, store *s, struct session *ss)
{
	char err[512];
	struct wav_writer *w = NULL;
	const struct rec_target *t = &r->target;
	struct capture_callbacks cb = {on_frames, on_level, on_event, r};
	int result = recording_new_path(r->recordings_dir, ss->path, sizeof(ss->path));
	if (result) {
		post_message(r, DICTUM_IO, "Cannot record: cannot create %s: %s", r->recordings_dir,
		             strerror(-result));
		return DICTUM_IO;
	}
	if (!s) {
		post_message(r, DICTUM_IO, "Cannot record: the store is not open");
		return DICTUM_IO;
	}
	result = capture_start(t->backend[0] ? t->backend : NULL, t->device[0] ? t->device : NULL,
	                       &cb, &ss->cap, err, sizeof(err));
	if (result) {
		post_message(r, result, "Cannot record: %s; press D to choose a device", err);
		return result;
	}
	result =
	    wav_writer_open(ss->path, AUDIO_RATE, 1, WAV_FLUSH_MS_DEFAULT, &w, err, sizeof(err));
	if (result) {
		post_message(r, result, "Cannot record: %s", err);
		goto fail;
	}
	ss->rec = (struct recording){.path = ss->path,
	                             .encounter_id = t->encounter_id,
	                             .sample_rate = AUDIO_RATE,
	                             .channels = 1};
	if ((result = store_recording_begin(s, &ss->rec))) {
		/* Not registered, so it could not be recovered: do not record. */
		post_message(r, result, "Cannot register the recording: %s", store_errmsg(s));
		wav_writer_close(&w);
		unlink(ss->path);
		goto fail;
	}
	pthread_mutex_lock(&r->lock);
	r->writer = w;
	r->npcm = 0;
	r->pcm_lost = r->capture_over = false;
	r->capture_error[0] = '\0';
	r->silent_windows = 0;
	r->clip_until = 0;
	r->status.state = REC_RECORDING;
	r->status.note_id = t->note_id;
	r->status.elapsed_s = 0;
	r->status.rms_db = r->status.peak_db = LEVEL_FLOOR_DB;
	r->status.silent = r->status.clipping = false;
	r->status.text_gen++;
	free(r->final);
	free(r->pending);
	free(r->preview);
	r->final = r->pending = r->preview = NULL;
	r->preview_len = 0;
	pthread_mutex_unlock(&r->lock);
	wake(r);
	return DICTUM_OK;
fail:
	capture_stop(&ss->cap);
	return result;
}

/* The note as it would be drafted from the final text so far, section by
 * section as "# Title" lines, so the clinician sees the draft grow while
 * dictating; nothing is stored until the recording stops. NULL when there is
 * nothing to show (or no memory: the preview is only a view). */
static char *draft_preview(struct ui_recorder *r, const char *final)
{
	if (!final || str_blank(final))
		return NULL;
	char *spoken = dictation_spoken_text(final);
	struct note_draft d = {0};
	struct dynbuf b;
	dynbuf_init(&b, 64 * 1024);
	if (note_draft(&r->notes, spoken ? spoken : final, r->target.note_type,
	               r->target.specialty[0] ? r->target.specialty : NULL, NOTE_MODE_DICTATION,
	               &d) == DICTUM_OK) {
		for (size_t i = 0; i < d.note.nsections; i++) {
			const struct note_section *sec = &d.note.sections[i];
			if (dynbuf_printf(&b, "%s# %s\n%s\n", i ? "\n" : "", sec->title,
			                  sec->text ? sec->text : "") != DICTUM_OK)
				break;
		}
	}
	note_draft_clear(&d);
	free(spoken);
	return dynbuf_take(&b);
}

/* Feeds the speech engine what the capture queued, and refreshes the live
 * transcript now and then (or now, with force). */
static void feed(struct ui_recorder *r, struct session *ss, bool force)
{
	pthread_mutex_lock(&r->lock);
	struct asr_engine *e = r->asr;
	int16_t *pcm = r->pcm;
	size_t n = r->npcm;
	r->pcm = NULL;
	r->npcm = r->cappcm = 0;
	pthread_mutex_unlock(&r->lock);
	if (!e) { /* callers feed only once the model is loaded */
		free(pcm);
		return;
	}
	if (!ss->asr_started)
		ss->asr_started = asr_start(e) == DICTUM_OK;
	if (ss->asr_started && n && asr_feed(e, pcm, n) == DICTUM_OK)
		ss->fed_since_partial = true;
	free(pcm);
	uint64_t now = time_mono_ns();
	if (!ss->asr_started || !ss->fed_since_partial ||
	    (!force && now - ss->last_partial_ns < (uint64_t)PARTIAL_MS * 1000000u))
		return;
	struct asr_partial p = {0};
	if (asr_partial(e, &p) != DICTUM_OK)
		return;
	ss->last_partial_ns = now;
	ss->fed_since_partial = false;
	char *preview = NULL;
	size_t flen = p.final ? strlen(p.final) : 0;
	bool redraft = flen != r->preview_len;
	if (redraft) {
		preview = draft_preview(r, p.final);
		r->preview_len = flen;
	}
	pthread_mutex_lock(&r->lock);
	free(r->final);
	free(r->pending);
	r->final = p.final;
	r->pending = p.pending;
	if (redraft) {
		free(r->preview);
		r->preview = preview;
	}
	r->status.text_gen++;
	pthread_mutex_unlock(&r->lock);
	wake(r);
}

static struct json_object *segments_json(const struct asr_transcript *t)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; arr && i < t->n_segments; i++) {
		const struct asr_segment *sg = &t->segments[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "text", json_object_new_string(sg->text));
		json_object_object_add(o, "start", json_object_new_double(sg->start));
		json_object_object_add(o, "end", json_object_new_double(sg->end));
		/* Word times let the note view find a sentence's span of audio. */
		struct json_object *words = sg->n_words ? json_object_new_array() : NULL;
		for (size_t k = 0; words && k < sg->n_words; k++) {
			struct json_object *wd = json_object_new_object();
			json_object_object_add(wd, "text",
			                       json_object_new_string(sg->words[k].text));
			json_object_object_add(wd, "start",
			                       json_object_new_double(sg->words[k].start));
			json_object_object_add(wd, "end", json_object_new_double(sg->words[k].end));
			json_object_array_add(words, wd);
		}
		if (words)
			json_object_object_add(o, "words", words);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The drafted sections go into the note: an empty section is filled, one
 * the clinician already wrote keeps its text and gets the draft after it,
 * so nothing written before the recording is lost. */
static int merge_draft(const struct note *cur, const struct note *draft, struct note *out)
{
	int result = note_copy_identity(out, cur);
	for (size_t i = 0; !result && i < cur->nsections; i++)
		result = note_add_section(out, cur->sections[i].key, cur->sections[i].title,
		                          cur->sections[i].text);
	for (size_t i = 0; !result && i < draft->nsections; i++) {
		const struct note_section *d = &draft->sections[i];
		struct note_section *same = NULL;
		for (size_t k = 0; k < out->nsections && !same; k++)
			if (strcmp(out->sections[k].key, d->key) == 0)
				same = &out->sections[k];
		if (!same) {
			result = note_add_section(out, d->key, d->title, d->text);
			continue;
		}
		char *text = str_blank(same->text) ? strdup(d->text)
		             : str_blank(d->text)  ? NULL
		                                   : xasprintf("%s\n\n%s", same->text, d->text);
		if (!text && !str_blank(d->text))
			result = DICTUM_NOMEM;
		if (text) {
			free(same->text);
			same->text = text;
		}
	}
	return result;
}

/* Stores the transcript and drafts it into the note; the result goes to
 * the UI. */
static void draft_into_note(struct ui_recorder *r, store *s, struct session *ss,
                            struct asr_transcript *t)
{
	struct rec_result res = {.kind = REC_RESULT_DRAFTED};
	struct note cur = {0}, merged = {0};
	struct note_draft d = {0};
	char *raw = asr_transcript_text(t);
	char *spoken = raw ? dictation_spoken_text(raw) : NULL;
	const char *text = spoken ? spoken : raw;
	struct json_object *segs = segments_json(t);
	int64_t tid = 0;
	if (!text) {
		res.status = DICTUM_NOMEM;
		snprintf(res.message, sizeof(res.message), "out of memory; the recording is kept");
		goto out;
	}
	res.status = store_transcript_add(
	    s, r->target.encounter_id, ss->rec.id, t->engine, text,
	    segs ? json_object_to_json_string_ext(segs, JSON_C_TO_STRING_PLAIN) : NULL, &tid);
	if (res.status) {
		snprintf(res.message, sizeof(res.message),
		         "Cannot store the transcript: %s; the recording is kept", store_errmsg(s));
		goto out;
	}
	if (str_blank(text)) {
		res.kind = REC_RESULT_MESSAGE;
		snprintf(res.message, sizeof(res.message),
		         "No speech recognised in %.1f s; the recording is kept.", t->duration);
		goto out;
	}
	res.status = note_draft(&r->notes, text, r->target.note_type,
	                        r->target.specialty[0] ? r->target.specialty : NULL,
	                        NOTE_MODE_DICTATION, &d);
	if (res.status) {
		snprintf(res.message, sizeof(res.message),
		         "Cannot draft the note: %s; the transcript is stored",
		         dictum_strerror(res.status));
		goto out;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		note_clear(&cur);
		note_clear(&merged);
		if ((res.status = store_note_get(s, r->target.note_id, &cur)))
			break;
		if (cur.status == NOTE_SIGNED) {
			res.status = DICTUM_READONLY;
			snprintf(res.message, sizeof(res.message),
			         "The note was signed meanwhile; the transcript is stored, the "
			         "note left as signed");
			goto out;
		}
		if ((res.status = merge_draft(&cur, &d.note, &merged)))
			break;
		res.status = store_note_save(s, &merged, r->target.author);
		if (res.status != DICTUM_CONFLICT)
			break;
	}
	if (res.status) {
		snprintf(res.message, sizeof(res.message),
		         "Cannot save the draft: %s; the transcript is stored", store_errmsg(s));
		goto out;
	}
	if ((res.status = store_note_get(s, r->target.note_id, &res.note)) == DICTUM_OK)
		snprintf(res.message, sizeof(res.message),
		         "Drafted %zu section(s) from %.1f s of %s (version %d).", d.note.nsections,
		         t->duration, t->engine, res.note.version);
out:
	json_object_put(segs);
	note_draft_clear(&d);
	note_clear(&cur);
	note_clear(&merged);
	free(spoken);
	free(raw);
	post(r, &res);
}

static void finish(struct ui_recorder *r, store *s, struct session *ss)
{
	set_state(r, REC_FINISHING);
	capture_stop(&ss->cap);
	pthread_mutex_lock(&r->lock);
	struct wav_writer *w = r->writer;
	r->writer = NULL;
	char why[320];
	str_copy(why, r->capture_error, sizeof(why));
	bool lost = r->pcm_lost;
	pthread_mutex_unlock(&r->lock);
	uint64_t frames = wav_writer_frames(w);
	int rc = wav_writer_close(&w);
	char sha[65] = "";
	if (audio_file_sha256(ss->path, sha) != DICTUM_OK)
		sha[0] = '\0';
	if (store_recording_finish(s, ss->rec.id, (int64_t)(frames * 1000 / AUDIO_RATE),
	                           sha[0] ? sha : NULL, RECORDING_COMPLETE) != DICTUM_OK)
		post_message(r, DICTUM_IO, "%s; 'dictum recover' will finish the recording",
		             store_errmsg(s));
	if (rc || why[0])
		post_message(r, rc ? rc : DICTUM_IO, "The recording stopped early: %s; %.1f s kept",
		             why[0] ? why : dictum_strerror(rc), (double)frames / AUDIO_RATE);
	if (lost)
		post_message(r, DICTUM_NOMEM,
		             "Memory ran short: the transcript misses some audio; the recording "
		             "has it all");

	/* The rest of the audio, once the model is there. */
	pthread_mutex_lock(&r->lock);
	while (!r->loaded)
		pthread_cond_wait(&r->cond, &r->lock);
	bool ready = r->asr != NULL;
	pthread_mutex_unlock(&r->lock);
	struct asr_transcript *t = NULL;
	if (!ready) {
		post_message(r, DICTUM_NOTFOUND,
		             "No speech engine (%s); the recording is kept in %s",
		             r->status.engine_error, ss->path);
	} else {
		feed(r, ss, true);
		int frc = ss->asr_started ? asr_finish(r->asr, &t) : DICTUM_INTERNAL;
		if (t)
			draft_into_note(r, s, ss, t);
		else
			post_message(r, frc, "Speech recognition failed: %s; the recording is kept",
			             asr_engine_error(r->asr));
	}
	asr_transcript_free(&t);
	pthread_mutex_lock(&r->lock);
	free(r->pcm);
	r->pcm = NULL;
	r->npcm = r->cappcm = 0;
	pthread_mutex_unlock(&r->lock);
	memset(ss, 0, sizeof(*ss));
	set_state(r, REC_IDLE);
}

static void list_devices(struct ui_recorder *r)
{
	struct rec_result res = {.kind = REC_RESULT_DEVICES};
	const char *backend = capture_backend_auto();
	if (!backend) {
		res.status = DICTUM_NOTFOUND;
		snprintf(res.message, sizeof(res.message),
		         "No capture backend can be used (no PulseAudio server, no ALSA)");
	} else {
		str_copy(res.backend, backend, sizeof(res.backend));
		res.status = capture_list_devices(backend, &res.devices, &res.ndevices, res.message,
		                                  sizeof(res.message));
	}
	post(r, &res);
}

/* ---- learning from signed notes ---- */

/* When the user's model was last built, as the store writes times (""
 * when there is none yet). */
static void user_lm_time(const struct ui_recorder *r, char out[DICTUM_TIME_LEN])
{
	char where[1200];
	const char *path = asr_user_lm_file(r->cfg, where, sizeof(where));
	struct stat sb;
	out[0] = '\0';
	if (!path[0] || stat(path, &sb) != 0)
		return;
	time_iso(&sb.st_mtim, out);
}

static void offer_adapt(struct ui_recorder *r, store *s)
{
	long after = strtol(config_get(r->cfg, "ui", "adapt_after", "10"), NULL, 10);
	char since[DICTUM_TIME_LEN];
	size_t n = 0;
	user_lm_time(r, since);
	if (!s || after <= 0 || store_signed_notes_each(s, since, NULL, NULL, &n) != DICTUM_OK ||
	    n < (size_t)after)
		return;
	post_message(r, DICTUM_OK,
	             "%zu notes signed since speech last learned your words: press L to learn "
	             "from them",
	             n);
}

static void adapt(struct ui_recorder *r, store *s)
{
	char where[1200];
	const char *path = asr_user_lm_file(r->cfg, where, sizeof(where));
	char err[512] = "";
	size_t n = 0;
	struct lm_build_stats st;
	struct asr_engine *e = NULL, *old = NULL;
	struct lm_build *b = lm_build_new();
	int rc =
	    b && s ? store_signed_notes_each(s, NULL, lm_build_add_text_cb, b, &n) : DICTUM_NOMEM;
	if (rc) {
		post_message(r, rc, "Cannot read the signed notes: %s",
		             s && rc != DICTUM_FULL ? store_errmsg(s) : dictum_strerror(rc));
		goto cleanup;
	}
	if (!n) {
		post_message(r, DICTUM_INVAL,
		             "No signed notes yet: speech learns from signed notes");
		goto cleanup;
	}
	if (!path[0]) {
		post_message(r, DICTUM_INVAL,
		             "No place for the user's model ([asr.sphinx] user_lm)");
		goto cleanup;
	}
	if ((rc = lm_build_write(b, path, &st, err, sizeof(err))) != DICTUM_OK) {
		post_message(r, rc, "Cannot learn from the signed notes: %s", err);
		goto cleanup;
	}
	/* The engine reads the model when it is created: load it again. */
	if ((rc = asr_engine_create(NULL, r->cfg, &e, err, sizeof(err))) != DICTUM_OK) {
		post_message(r, rc,
		             "Learned from %zu signed notes, but reloading speech failed: %s", n,
		             err);
		goto cleanup;
	}
	pthread_mutex_lock(&r->lock);
	old = r->asr;
	r->asr = e;
	pthread_mutex_unlock(&r->lock);
	asr_engine_free(&old);
	post_message(r, DICTUM_OK,
	             "Speech learned your words from %zu signed notes (%zu words, %zu distinct)", n,
	             st.tokens, st.vocab);
cleanup:
	lm_build_free(&b);
}

static void *recorder_main(void *arg)
{
	struct ui_recorder *r = arg;
	struct session ss = {0};
	store *s = NULL;
	char err[512];
	if (store_open(r->db_path, &s, err, sizeof(err)) != DICTUM_OK) {
		log_error("ui", "recorder: %s", err);
		s = NULL;
	}
	pthread_mutex_lock(&r->lock);
	for (;;) {
		enum rec_state st = r->status.state;
		bool recording = st == REC_RECORDING || st == REC_PAUSED;
		if (r->want_devices) {
			r->want_devices = false;
			pthread_mutex_unlock(&r->lock);
			list_devices(r);
		} else if (r->want_offer && !recording) {
			r->want_offer = false;
			pthread_mutex_unlock(&r->lock);
			offer_adapt(r, s);
		} else if (r->want_adapt && !recording && r->loaded) {
			r->want_adapt = false;
			bool ready = r->status.engine_ready;
			char why[sizeof(r->status.engine_error)];
			str_copy(why, r->status.engine_error, sizeof(why));
			pthread_mutex_unlock(&r->lock);
			if (ready)
				adapt(r, s);
			else
				post_message(r, DICTUM_INVAL, "No speech engine: %s", why);
		} else if (r->want_start && !recording) {
			r->want_start = false;
			r->target = r->next_target;
			r->status.state = REC_STARTING;
			pthread_mutex_unlock(&r->lock);
			wake(r);
			if (begin(r, s, &ss) != DICTUM_OK)
				set_state(r, REC_IDLE);
		} else if (recording && (r->want_stop || r->quitting || r->capture_over)) {
			r->want_stop = r->want_pause = false;
			pthread_mutex_unlock(&r->lock);
			finish(r, s, &ss);
		} else if (recording && r->want_pause) {
			r->want_pause = false;
			bool paused = st == REC_RECORDING;
			r->status.state = paused ? REC_PAUSED : REC_RECORDING;
			pthread_mutex_unlock(&r->lock);
			capture_set_paused(ss.cap, paused);
			wake(r);
		} else if (recording && r->npcm && r->asr) {
			pthread_mutex_unlock(&r->lock);
			feed(r, &ss, false);
		} else if (r->quitting) {
			break;
		} else {
			r->want_pause = r->want_pause && recording;
			r->want_stop = false;
			if (recording && r->asr) {
				/* Wake for the next partial even if no audio comes. */
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += PARTIAL_MS * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&r->cond, &r->lock, &ts);
			} else {
				pthread_cond_wait(&r->cond, &r->lock);
			}
			continue;
		}
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	store_close(&s);
	return NULL;
}

/* ---- the UI's side ---- */

/* Frees what the threads have left (they are joined or never ran). */
static void destroy(struct ui_recorder *r)
{
	free(r->pcm);
	free(r->final);
	free(r->pending);
	free(r->preview);
	for (int i = 0; i < 2; i++)
		if (r->pipe[i] >= 0)
			close(r->pipe[i]);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r->db_path);
	free(r->recordings_dir);
	free(r);
}

int ui_recorder_start(struct ui_recorder **out, const char *db_path, const char *recordings_dir,
                      const struct config *cfg, int *wake_fd)
{
	struct ui_recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return DICTUM_NOMEM;
	r->pipe[0] = r->pipe[1] = -1;
	r->cfg = cfg;
	r->status.rms_db = r->status.peak_db = LEVEL_FLOOR_DB;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (!(r->db_path = strdup(db_path)) || !(r->recordings_dir = strdup(recordings_dir)) ||
	    pipe(r->pipe) != 0) {
		destroy(r);
		return DICTUM_NOMEM;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(r->pipe[i], F_SETFL, fcntl(r->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(r->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	if (pthread_create(&r->thread, NULL, recorder_main, r) != 0) {
		destroy(r);
		return DICTUM_INTERNAL;
	}
	*wake_fd = r->pipe[0];
	*out = r;
	return DICTUM_OK;
}

void ui_recorder_load(struct ui_recorder *r)
{
	if (r->load_asked)
		return;
	r->load_asked = true;
	r->loader_started = pthread_create(&r->loader, NULL, loader_main, r) == 0;
	if (!r->loader_started) {
		pthread_mutex_lock(&r->lock);
		r->loaded = true;
		str_copy(r->status.engine_error, "cannot start the loader thread",
		         sizeof(r->status.engine_error));
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
}

void ui_recorder_record(struct ui_recorder *r, const struct rec_target *t)
{
	ui_recorder_load(r);
	pthread_mutex_lock(&r->lock);
	if (r->status.state == REC_IDLE) {
		r->next_target = *t;
		r->want_start = true;
		r->status.state = REC_STARTING;
		r->status.note_id = t->note_id;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Raises one of the request flags and wakes the recorder thread. */
static void ask(struct ui_recorder *r, bool *flag)
{
	pthread_mutex_lock(&r->lock);
	*flag = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void ui_recorder_pause(struct ui_recorder *r)
{
	ask(r, &r->want_pause);
}

void ui_recorder_stop(struct ui_recorder *r)
{
	ask(r, &r->want_stop);
}

void ui_recorder_list_devices(struct ui_recorder *r)
{
	ask(r, &r->want_devices);
}

void ui_recorder_adapt(struct ui_recorder *r)
{
	ui_recorder_load(r);
	ask(r, &r->want_adapt);
}

void ui_recorder_drain(struct ui_recorder *r)
{
	char buf[64];
	while (read(r->pipe[0], buf, sizeof(buf)) > 0)
		;
}

void ui_recorder_status(struct ui_recorder *r, struct rec_status *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->status;
	pthread_mutex_unlock(&r->lock);
}

bool ui_recorder_text(struct ui_recorder *r, unsigned *gen, char **final, char **pending,
                      char **preview)
{
	bool changed = false;
	pthread_mutex_lock(&r->lock);
	if (*gen != r->status.text_gen) {
		free(*final);
		free(*pending);
		*final = str_dup_or_null(r->final ? r->final : "");
		*pending = str_dup_or_null(r->pending ? r->pending : "");
		free(*preview);
		*preview = r->preview ? str_dup_or_null(r->preview) : NULL;
		*gen = r->status.text_gen;
		changed = true;
	}
	pthread_mutex_unlock(&r->lock);
	return changed;
}

bool ui_recorder_take(struct ui_recorder *r, struct rec_result *out)
{
	pthread_mutex_lock(&r->lock);
	struct done *d = r->results;
	if (d) {
		r->results = d->next;
		if (!r->results)
			r->results_tail = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (!d)
		return false;
	*out = d->res;
	free(d);
	return true;
}

void ui_recorder_free(struct ui_recorder **rp)
{
	struct ui_recorder *r = rp ? *rp : NULL;
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->quitting = true;
	if (!r->loader_started)
		r->loaded = true; /* never asked for: a recording in progress cannot be */
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->loader_started)
		pthread_join(r->loader, NULL);
	pthread_join(r->thread, NULL);
	struct rec_result res;
	while (ui_recorder_take(r, &res))
		rec_result_clear(&res);
	asr_engine_free(&r->asr);
	if (r->status.engine_ready)
		note_engine_clear(&r->notes);
	destroy(r);
	*rp = NULL;
}
