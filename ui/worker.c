#include "ui/worker.h"
#include "core/lib.h"
#include "coding/coding.h"
#include "notes/draft.h"
#include "offline/store.h"
#include "offline/store_icd10.h"
#include "recordings/recover.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct queued {
	struct ui_request req;
	struct queued *next;
};

struct done {
	struct ui_result res;
	struct done *next;
};

struct ui_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	bool read_pending[UI_JOB_LAST_READ + 1];
	struct ui_request reads[UI_JOB_LAST_READ + 1];
	struct queued *writes, *writes_tail;
	struct done *results, *results_tail;
	char *db_path;
	int pipe[2];
};

void ui_result_clear(struct ui_result *r)
{
	note_summaries_free(&r->notes, r->count);
	note_clear(&r->note);
	free(r->patient);
	note_codes_free(&r->codes, r->ncodes);
	free(r->billing);
	icd10_rows_free(&r->rows, r->nrows);
	note_clear(&r->server_note);
	free(r->flags);
	ui_spans_free(&r->spans, r->nspans);
	memset(r, 0, sizeof(*r));
}

void ui_request_clear(struct ui_request *r)
{
	note_clear(&r->note);
	free(r->text);
	free(r->code.code);
	free(r->code.name);
	free(r->code.evidence);
	memset(r, 0, sizeof(*r));
}

/* Loads note id and its patient's name into r. */
static void reload_note(store *s, int64_t id, struct ui_result *r)
{
	note_clear(&r->note);
	free_and_null(&r->patient);
	int status = store_note_get(s, id, &r->note);
	struct encounter e = {0};
	if (!status && store_encounter_get(s, r->note.encounter_id, &e) == DICTUM_OK) {
		r->patient = e.patient_name;
		e.patient_name = NULL;
	}
	encounter_clear(&e);
	if (status && !r->status) {
		r->status = status;
		str_copy(r->error, store_errmsg(s), sizeof(r->error));
	}
}

/* Finds the patient named "Last, First" (any case) or adds them. */
static int find_or_add_patient(store *s, const char *spec, int64_t *id)
{
	char last[128], first[128];
	const char *comma = strchr(spec, ',');
	if (!comma)
		return DICTUM_INVAL;
	snprintf(last, sizeof(last), "%.*s", (int)(comma - spec), spec);
	str_copy(first, comma + 1, sizeof(first));
	str_trim(last);
	str_trim(first);
	if (!*last || !*first)
		return DICTUM_INVAL;
	struct patient *list = NULL;
	size_t n = 0;
	int result = store_patient_list(s, last, 0, &list, &n);
	for (size_t i = 0; !result && i < n && !*id; i++)
		if (strcasecmp(list[i].last_name, last) == 0 &&
		    strcasecmp(list[i].first_name, first) == 0)
			*id = list[i].id;
	patients_free(&list, n);
	if (result || *id)
		return result;
	struct patient p = {.first_name = strdup(first), .last_name = strdup(last)};
	result = p.first_name && p.last_name ? store_patient_add(s, &p) : DICTUM_NOMEM;
	*id = p.id;
	patient_clear(&p);
	return result;
}

static int create_encounter(store *s, struct ui_request *req, int64_t *note_id, struct ui_result *r)
{
	int64_t patient = 0;
	int result = store_begin(s);
	if (result)
		return result;
	if ((result = find_or_add_patient(s, req->text ? req->text : "", &patient))) {
		if (result == DICTUM_INVAL)
			str_copy(r->error, "give the patient as 'Last, First'", sizeof(r->error));
		goto fail;
	}
	struct encounter e = {.patient_id = patient, .note_type = strdup(req->note_type)};
	struct note n = {.note_type = strdup(req->note_type)};
	if (req->specialty[0]) {
		e.specialty = strdup(req->specialty);
		n.specialty = strdup(req->specialty);
	}
	if (!e.note_type || !n.note_type || (req->specialty[0] && (!e.specialty || !n.specialty))) {
		result = DICTUM_NOMEM;
	} else if (!(result = store_encounter_add(s, &e))) {
		n.encounter_id = e.id;
		result = store_note_save(s, &n, req->author);
		*note_id = n.id;
	}
	encounter_clear(&e);
	note_clear(&n);
	if (result || (result = store_commit(s)))
		goto fail;
	return DICTUM_OK;
fail:
	store_rollback(s);
	return result;
}

/* Suggests and bills the note's text (saved as its suggestions, the
 * clinician's decisions kept), then bills it again with those decisions
 * for the panel. The code table is loaded on first use. */
static int code_note(store *s, struct coding **c, int64_t id, struct ui_result *r)
{
	struct note n = {0};
	struct billing_result plain = {0}, decided = {0};
	struct dynbuf text, out;
	dynbuf_init(&text, (size_t)8 << 20);
	dynbuf_init(&out, (size_t)1 << 20);
	int result = store_note_get(s, id, &n);
	if (result)
		goto out;
	if (!*c && (result = coding_open(s, c, r->error, sizeof(r->error))))
		goto out;
	if ((result = note_render(&n, NULL, NOTE_FORMAT_TEXT, &text)))
		goto out;
	struct billing_options bo = {em_setting_for_note_type(n.note_type), EM_PATIENT_AUTO, false};
	if ((result = coding_billing(*c, dynbuf_str(&text), &bo, &plain)))
		goto out;
	/* A signed note's codes are the record: they are not re-suggested. */
	if (n.status != NOTE_SIGNED && (result = coding_billing_save(s, n.id, n.version, &plain)))
		goto out;
	if ((result = store_note_codes_list(s, n.id, &r->codes, &r->ncodes)))
		goto out;
	if ((result = coding_billing_decided(*c, dynbuf_str(&text), &bo, r->codes, r->ncodes,
	                                     &decided)) ||
	    (result = billing_result_text(&decided, false, &out)))
		goto out;
	r->billing = dynbuf_take(&out);
	r->note_id = n.id;
	r->version = n.version;
	result = r->billing ? DICTUM_OK : DICTUM_NOMEM;
out:
	billing_result_free(&plain);
	billing_result_free(&decided);
	note_clear(&n);
	dynbuf_free(&text);
	dynbuf_free(&out);
	return result;
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : NULL;
}

/* The server's copy of a note (dictum serve's JSON) as a note to show. */
static int parse_server_note(const char *json, struct note *out)
{
	struct json_object *root = json_tokener_parse(json), *v, *secs;
	int result = root && json_object_is_type(root, json_type_object) ? DICTUM_OK : DICTUM_INVAL;
	memset(out, 0, sizeof(*out));
	if (!result) {
		out->note_type = str_dup_or_null(json_str(root, "noteType"));
		const char *st = json_str(root, "status");
		out->status = st && strcmp(st, "signed") == 0 ? NOTE_SIGNED : NOTE_DRAFT;
		if (json_object_object_get_ex(root, "version", &v))
			out->version = json_object_get_int(v);
		out->signed_by = str_dup_or_null(json_str(root, "signed_by"));
	}
	if (!result && json_object_object_get_ex(root, "sections", &secs) &&
	    json_object_is_type(secs, json_type_array)) {
		for (size_t i = 0; !result && i < json_object_array_length(secs); i++) {
			struct json_object *sec = json_object_array_get_idx(secs, i);
			const char *key = json_str(sec, "key"), *title = json_str(sec, "title");
			result =
			    note_add_section(out, key ? key : "section",
			                     title ? title
			                     : key ? key
			                           : "",
			                     json_str(sec, "text") ? json_str(sec, "text") : "");
		}
	}
	json_object_put(root);
	return result;
}

static void add_flag(void *ctx, unsigned kind, const char *term, size_t len)
{
	struct ui_result *r = ctx;
	char t[64];
	snprintf(t, sizeof(t), "%.*s", (int)(len < 63 ? len : 63), term);
	for (size_t i = 0; i < r->nflags; i++)
		if (strcmp(r->flags[i].term, t) == 0)
			return;
	struct ui_flag *grown = realloc(r->flags, (r->nflags + 1) * sizeof(*grown));
	if (!grown)
		return; /* a flag fewer, not a failure */
	r->flags = grown;
	r->flags[r->nflags].kind = kind;
	str_copy(r->flags[r->nflags].term, t, sizeof(t));
	r->nflags++;
}

void ui_spans_free(struct ui_span **spans, size_t n)
{
	for (size_t i = 0; *spans && i < n; i++) {
		free((*spans)[i].text);
		free((*spans)[i].wav);
	}
	free(*spans);
	*spans = NULL;
}

static int add_span_list(struct ui_result *r, struct json_object *arr, const char *wav, bool words);

/* Adds one transcript's segments (a JSON array) to r->spans: a segment
 * with word times as its words. */
static int add_spans(void *ctx, const char *segments_json, const char *wav)
{
	struct json_object *arr = json_tokener_parse(segments_json ? segments_json : "[]");
	int result = add_span_list(ctx, arr, wav, false);
	json_object_put(arr);
	return result;
}

static int add_span_list(struct ui_result *r, struct json_object *arr, const char *wav, bool words)
{
	int result = DICTUM_OK;
	size_t n =
	    arr && json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	for (size_t i = 0; !result && i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		if (!words && json_object_object_get_ex(o, "words", &v) &&
		    json_object_is_type(v, json_type_array) && json_object_array_length(v)) {
			result = add_span_list(r, v, wav, true);
			continue;
		}
		const char *text =
		    json_object_object_get_ex(o, "text", &v) ? json_object_get_string(v) : NULL;
		if (!text)
			continue;
		struct ui_span *grown = realloc(r->spans, (r->nspans + 1) * sizeof(*grown));
		if (!grown) {
			result = DICTUM_NOMEM;
			break;
		}
		r->spans = grown;
		struct ui_span *sp = &r->spans[r->nspans];
		*sp = (struct ui_span){
		    .text = strdup(text),
		    .start =
		        json_object_object_get_ex(o, "start", &v) ? json_object_get_double(v) : 0,
		    .end = json_object_object_get_ex(o, "end", &v) ? json_object_get_double(v) : 0,
		    .wav = wav ? strdup(wav) : NULL,
		    .word = words,
		};
		r->nspans++;
		if (!sp->text || (wav && !sp->wav))
			result = DICTUM_NOMEM;
	}
	return result;
}

/* The faithfulness check of the note against its encounter's transcripts
 * (the note engine is loaded on first use). */
static int flag_note(store *s, struct note_engine **ne, int64_t id, struct ui_result *r)
{
	struct note n = {0};
	char *transcript = NULL;
	int result = store_note_get(s, id, &n);
	if (!result)
		result = store_transcript_for_encounter(s, n.encounter_id, &transcript);
	if (result == DICTUM_NOTFOUND && n.id) {
		result = DICTUM_OK; /* no transcript: nothing to check against */
		goto out;
	}
	if (result)
		goto out;
	r->has_transcript = true;
	if (!*ne) {
		struct note_engine *e = calloc(1, sizeof(*e));
		if (!e || (result = note_engine_load(e, NULL, r->error, sizeof(r->error)))) {
			free(e);
			result = result ? result : DICTUM_NOMEM;
			goto out;
		}
		*ne = e;
	}
	for (size_t i = 0; i < n.nsections; i++)
		note_unsupported(*ne, transcript, n.sections[i].text, add_flag, r);
	result = store_transcript_segments(s, n.encounter_id, add_spans, r);
out:
	r->note_id = id;
	free(transcript);
	note_clear(&n);
	return result;
}

static int find_conflict(store *s, int64_t note_id, struct ui_result *r)
{
	struct store_conflict *list = NULL;
	size_t n = 0;
	int result = store_sync_conflict_list(s, &list, &n);
	const struct store_conflict *c = NULL;
	for (size_t i = 0; !result && i < n; i++)
		if (list[i].note_id == note_id)
			c = &list[i];
	if (!result && !c) {
		result = DICTUM_NOTFOUND;
		str_copy(r->error, "this note has no unresolved conflict", sizeof(r->error));
	}
	if (!result) {
		r->conflict_id = c->id;
		result = parse_server_note(c->server_note, &r->server_note);
		if (result == DICTUM_INVAL)
			str_copy(r->error, "the server's copy is not a note", sizeof(r->error));
	}
	store_conflicts_free(&list, n);
	return result;
}

/* Keep local, keep the server's, or a merge: the merge is saved as a new
 * local version over the kept local one, in one transaction, so both
 * are pushed in order. A signed note is never overwritten (the store
 * refuses). */
static int resolve(store *s, struct ui_request *req)
{
	int result = store_begin(s);
	if (result)
		return result;
	result = store_sync_conflict_resolve(
	    s, req->conflict_id,
	    req->resolution == UI_RESOLVE_SERVER ? STORE_KEEP_SERVER : STORE_KEEP_LOCAL,
	    req->author);
	if (!result && req->resolution == UI_RESOLVE_MERGE)
		result = store_note_save(s, &req->note, req->author);
	if (!result)
		return store_commit(s);
	store_rollback(s);
	return result;
}

static void run(store *s, struct coding **coding, struct note_engine **ne, struct ui_request *req,
                struct ui_result *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = req->kind;
	if (!s) {
		r->status = DICTUM_IO;
		str_copy(r->error, "the store is not open", sizeof(r->error));
		if (req->kind == UI_JOB_SAVE || req->kind == UI_JOB_RESOLVE) {
			r->note = req->note;
			memset(&req->note, 0, sizeof(req->note));
		}
		return;
	}
	int64_t id = req->note_id;
	switch (req->kind) {
	case UI_JOB_LIST: {
		str_copy(r->query, req->query, sizeof(r->query));
		struct note_filter f = {.limit = 200, .status = -1};
		r->status = req->query[0]
		                ? store_note_search(s, req->query, 200, &r->notes, &r->count)
		                : store_note_list(s, &f, &r->notes, &r->count);
		break;
	}
	case UI_JOB_OPEN:
		break;
	case UI_JOB_CODE_SET:
		r->status = store_note_code_set(s, id, &req->code);
		if (!r->status)
			r->status = code_note(s, coding, id, r);
		break;
	case UI_JOB_CODES:
		r->status = code_note(s, coding, id, r);
		break;
	case UI_JOB_CONFLICT:
		r->status = find_conflict(s, id, r);
		break;
	case UI_JOB_FLAGS:
		r->status = flag_note(s, ne, id, r);
		break;
	case UI_JOB_RESOLVE:
		r->status = resolve(s, req);
		break;
	case UI_JOB_CODE_SEARCH:
		str_copy(r->query, req->query, sizeof(r->query));
		if (!*coding && (r->status = coding_open(s, coding, r->error, sizeof(r->error))))
			break;
		r->status = store_icd10_search(s, req->query, 50, &r->rows, &r->nrows);
		break;
	case UI_JOB_SAVE:
		id = req->note.id;
		r->status = store_note_save(s, &req->note, req->author);
		break;
	case UI_JOB_SIGN:
		r->status = store_note_sign(s, id, req->version, req->author);
		break;
	case UI_JOB_ADDENDUM:
		r->status = store_note_addendum(s, id, req->version, req->author, req->text);
		break;
	case UI_JOB_CREATE:
		r->status = create_encounter(s, req, &id, r);
		break;
	case UI_JOB_RECOVER: {
		struct recover_report rep;
		r->status = recordings_recover(s, &rep);
		if (!r->status && (rep.recovered || rep.failed || rep.missing))
			snprintf(
			    r->info, sizeof(r->info),
			    "A crash cut off %zu recording(s): %zu recovered, %zu missing, %zu "
			    "could not be repaired (run 'dictum recover' for details).",
			    rep.recovered + rep.failed + rep.missing, rep.recovered, rep.missing,
			    rep.failed);
		if (!r->status)
			recover_report_clear(&rep);
		break;
	}
	case UI_JOB_COUNT:
		break;
	}
	if (r->status) {
		if (!r->error[0])
			str_copy(r->error, store_errmsg(s), sizeof(r->error));
		if (req->kind == UI_JOB_SAVE || req->kind == UI_JOB_RESOLVE) {
			r->note = req->note; /* the edit goes back to the clinician */
			memset(&req->note, 0, sizeof(req->note));
		}
		return;
	}
	if (req->kind == UI_JOB_OPEN || req->kind == UI_JOB_CONFLICT ||
	    req->kind > UI_JOB_LAST_READ)
		if (req->kind != UI_JOB_RECOVER && req->kind != UI_JOB_CODE_SET)
			reload_note(s, id, r);
}

static void post(struct ui_worker *w, struct done *d)
{
	if (w->results_tail)
		w->results_tail->next = d;
	else
		w->results = d;
	w->results_tail = d;
	char byte = 1;
	if (write(w->pipe[1], &byte, 1) < 0 && errno != EAGAIN)
		log_warn("ui", "cannot wake the screen: %s", strerror(errno));
}

/* The pending read to run next (in enum order), or -1. */
static int next_read(const struct ui_worker *w)
{
	for (int k = 0; k <= UI_JOB_LAST_READ; k++)
		if (w->read_pending[k])
			return k;
	return -1;
}

static void *worker_main(void *arg)
{
	struct ui_worker *w = arg;
	struct coding *coding = NULL;
	struct note_engine *ne = NULL;
	int read;
	store *s = NULL;
	char err[512];
	if (store_open(w->db_path, &s, err, sizeof(err)) != DICTUM_OK)
		s = NULL;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct ui_request req;
		struct queued *q = w->writes;
		if (q) {
			w->writes = q->next;
			if (!w->writes)
				w->writes_tail = NULL;
			req = q->req;
			free(q);
		} else if (!w->stopping && (read = next_read(w)) >= 0) {
			req = w->reads[read];
			w->read_pending[read] = false;
		} else if (w->stopping) {
			break;
		} else {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		pthread_mutex_unlock(&w->lock);

		struct done *d = calloc(1, sizeof(*d));
		if (d) {
			run(s, &coding, &ne, &req, &d->res);
			if (!s)
				str_copy(d->res.error, err, sizeof(d->res.error));
		} else {
			log_error("ui", "out of memory: a store request was dropped");
		}
		ui_request_clear(&req);

		pthread_mutex_lock(&w->lock);
		if (d)
			post(w, d);
	}
	pthread_mutex_unlock(&w->lock);
	coding_close(&coding);
	if (ne)
		note_engine_clear(ne);
	free(ne);
	store_close(&s);
	return NULL;
}

int ui_worker_start(struct ui_worker **out, const char *db_path, int *wake_fd)
{
	struct ui_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return DICTUM_NOMEM;
	w->pipe[0] = w->pipe[1] = -1;
	if (!(w->db_path = strdup(db_path)) || pipe(w->pipe) != 0) {
		free(w->db_path);
		free(w);
		return DICTUM_IO;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(w->pipe[i], F_SETFL, fcntl(w->pipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(w->pipe[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		w->stopping = true;
		*out = w;
		w->thread = pthread_self();
		ui_worker_stop(out);
		return DICTUM_INTERNAL;
	}
	*wake_fd = w->pipe[0];
	*out = w;
	return DICTUM_OK;
}

int ui_worker_submit(struct ui_worker *w, struct ui_request *req)
{
	struct queued *q = NULL;
	if (req->kind > UI_JOB_LAST_READ && !(q = calloc(1, sizeof(*q))))
		return DICTUM_NOMEM;
	pthread_mutex_lock(&w->lock);
	if (q) {
		q->req = *req;
		if (w->writes_tail)
			w->writes_tail->next = q;
		else
			w->writes = q;
		w->writes_tail = q;
	} else {
		ui_request_clear(&w->reads[req->kind]);
		w->reads[req->kind] = *req;
		w->read_pending[req->kind] = true;
	}
	memset(&req->note, 0, sizeof(req->note));
	memset(&req->code, 0, sizeof(req->code));
	req->text = NULL;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return DICTUM_OK;
}

void ui_worker_drain(struct ui_worker *w)
{
	char buf[64];
	while (read(w->pipe[0], buf, sizeof(buf)) > 0)
		;
}

bool ui_worker_take(struct ui_worker *w, struct ui_result *out)
{
	pthread_mutex_lock(&w->lock);
	struct done *d = w->results;
	if (d) {
		w->results = d->next;
		if (!w->results)
			w->results_tail = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	if (!d)
		return false;
	*out = d->res;
	free(d);
	return true;
}

void ui_worker_stop(struct ui_worker **wp)
{
	struct ui_worker *w = wp ? *wp : NULL;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	bool started = !w->stopping;
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (started)
		pthread_join(w->thread, NULL);
	for (int k = 0; k <= UI_JOB_LAST_READ; k++)
		ui_request_clear(&w->reads[k]);
	while (w->writes) { /* only when the thread never ran */
		struct queued *q = w->writes;
		w->writes = q->next;
		ui_request_clear(&q->req);
		free(q);
	}
	struct ui_result r;
	while (ui_worker_take(w, &r))
		ui_result_clear(&r);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->db_path);
	free(w);
	*wp = NULL;
}
