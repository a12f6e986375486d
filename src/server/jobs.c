#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/note_format.h"
#include "core/util.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* The job workers: a fixed number of threads, each with its own database
 * handle, taking the oldest queued row. A job is a row from start to end,
 * so a stop or a crash at any point leaves it queued or processing, and
 * processing rows are queued again on the next start. */

struct job_outcome {
	char *result; /* JSON, malloc'ed, on success */
	char error_code[64];
	char error_message[256];
	bool interrupted; /* the server is stopping: leave the job for the next start */
};

struct job_ctx {
	struct srv *srv;
	srv_store *db;
	struct srv_job *job;
};

typedef int (*job_run)(struct job_ctx *ctx, struct json_object *input, struct job_outcome *out);

struct srv_jobs {
	struct srv *srv;
	pthread_t *threads;
	size_t nthreads;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	unsigned long kicks;
};

static void set_error(struct job_outcome *out, const char *code, const char *message)
{
	str_copy(out->error_code, code, sizeof(out->error_code));
	str_copy(out->error_message, message, sizeof(out->error_message));
}

/* Waits out the test knob's delay in slices, reporting progress; false
 * when the server began stopping meanwhile. */
static bool pace(struct job_ctx *ctx, int from, int to, const char *stage)
{
	unsigned total = ctx->srv->cfg.job_delay_ms, slices = 10;
	for (unsigned i = 0; i < slices; i++) {
		if (atomic_load(&ctx->srv->stopping))
			return false;
		if (total) {
			struct timespec ts = {(time_t)(total / slices / 1000),
			                      (long)(total / slices % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		srv_job_progress(ctx->db, ctx->job->id,
		                 from + (to - from) * (int)(i + 1) / (int)slices, stage);
	}
	return !atomic_load(&ctx->srv->stopping);
}

static int note_from_row(const struct srv_note *row, struct note *n)
{
	memset(n, 0, sizeof(*n));
	n->note_type = strdup(row->note_type);
	n->specialty = str_dup_or_null(row->specialty);
	n->signed_by = str_dup_or_null(row->signed_by);
	n->status = row->is_signed ? NOTE_SIGNED : NOTE_DRAFT;
	n->version = row->version;
	str_copy(n->uid, row->uid, sizeof(n->uid));
	str_copy(n->updated_at, row->updated_at, sizeof(n->updated_at));
	if (!n->note_type)
		return DICTUM_NOMEM;
	struct json_object *sections = json_tokener_parse(row->sections ? row->sections : "[]");
	int result = DICTUM_OK;
	size_t count =
	    json_object_is_type(sections, json_type_array) ? json_object_array_length(sections) : 0;
	for (size_t i = 0; i < count && !result; i++) {
		struct json_object *s = json_object_array_get_idx(sections, i), *k, *t, *x;
		json_object_object_get_ex(s, "key", &k);
		json_object_object_get_ex(s, "title", &t);
		json_object_object_get_ex(s, "text", &x);
		result = note_add_section(n, json_object_get_string(k), json_object_get_string(t),
		                          json_object_get_string(x));
	}
	json_object_put(sections);
	return result;
}

static int run_export(struct job_ctx *ctx, struct json_object *input, struct job_outcome *out)
{
	struct json_object *id = NULL, *format = NULL;
	json_object_object_get_ex(input, "note_id", &id);
	json_object_object_get_ex(input, "format", &format);
	int fmt = note_format_parse(json_object_get_string(format));
	if (!pace(ctx, 0, 50, "loading")) {
		out->interrupted = true;
		return DICTUM_OK;
	}
	struct srv_note row;
	int result = srv_note_get(ctx->db, ctx->job->org_id, json_object_get_string(id), &row);
	if (result == DICTUM_NOTFOUND) {
		set_error(out, "note_not_found", "The note no longer exists");
		return DICTUM_OK;
	}
	if (result)
		return result;
	struct note n;
	struct dynbuf d;
	dynbuf_init(&d, 64u << 20);
	if (!(result = note_from_row(&row, &n)))
		result = note_render(&n, row.patient_uid[0] ? row.patient_uid : NULL,
		                     fmt < 0 ? NOTE_FORMAT_MARKDOWN : (enum note_format)fmt, &d);
	if (!result && !pace(ctx, 50, 95, "rendering"))
		out->interrupted = true;
	if (!result && !out->interrupted) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "note_id", json_object_new_string(row.uid));
		json_object_object_add(o, "version", json_object_new_int(row.version));
		json_object_object_add(
		    o, "format",
		    json_object_new_string(fmt == NOTE_FORMAT_TEXT ? "text" : "markdown"));
		json_object_object_add(o, "content", json_object_new_string(dynbuf_str(&d)));
		out->result =
		    str_dup_or_null(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		if (!out->result)
			result = DICTUM_NOMEM;
	}
	dynbuf_free(&d);
	note_clear(&n);
	srv_note_clear(&row);
	return result;
}

static int run_icd10(struct job_ctx *ctx, struct json_object *input, struct job_outcome *out)
{
	struct json_object *text = NULL;
	json_object_object_get_ex(input, "text", &text);
	if (!pace(ctx, 0, 50, "coding")) {
		out->interrupted = true;
		return DICTUM_OK;
	}
	return srv_engines_icd10(ctx->srv, json_object_get_string(text), &out->result,
	                         out->error_code, sizeof(out->error_code), out->error_message,
	                         sizeof(out->error_message));
}

static int run_audio(struct job_ctx *ctx, struct json_object *input, struct job_outcome *out)
{
	if (!pace(ctx, 0, 10, "transcribing")) {
		out->interrupted = true;
		return DICTUM_OK;
	}
	return srv_audio_job(ctx->srv, ctx->job->type, input, &out->result, out->error_code,
	                     sizeof(out->error_code), out->error_message,
	                     sizeof(out->error_message));
}

static const struct {
	const char *type;
	job_run run;
	const char *event; /* organisation event on success, or NULL */
} job_kinds[] = {
    {"note.export", run_export, "note.exported"},
    {"icd10.text", run_icd10, NULL},
    {"transcribe", run_audio, NULL},
    {"audio.note", run_audio, NULL},
    {"pcr.upload", run_audio, NULL},
};

bool srv_job_type_known(const char *type)
{
	for (size_t i = 0; i < sizeof(job_kinds) / sizeof(job_kinds[0]); i++)
		if (strcmp(job_kinds[i].type, type) == 0)
			return true;
	return false;
}

/* Stores the outcome, the job's webhook delivery and the organisation
 * event in one transaction. */
static int record(struct job_ctx *ctx, const char *event, struct json_object *input,
                  struct job_outcome *out)
{
	struct srv_job *j = ctx->job;
	bool ok = out->result != NULL;
	int result = srv_store_begin(ctx->db);
	if (result)
		return result;
	result = srv_job_finish(ctx->db, j, ok ? SRV_JOB_COMPLETED : SRV_JOB_FAILED, out->result,
	                        ok ? NULL : out->error_code, ok ? NULL : out->error_message);
	if (!result && ok)
		j->result = out->result, out->result = NULL;
	if (!ok && !result) {
		j->error_code = strdup(out->error_code);
		j->error_message = strdup(out->error_message);
	}
	if (!result && j->webhook_url) {
		char *payload = api_job_event_payload(j);
		result = payload ? srv_delivery_add(ctx->db, j->org_id, j->webhook_url,
		                                    ok ? "completed" : "failed", payload)
		                 : DICTUM_NOMEM;
		free(payload);
	}
	struct json_object *note_id = NULL, *key = NULL;
	json_object_object_get_ex(input, "note_id", &note_id);
	json_object_object_get_ex(input, "key_uid", &key);
	if (!result && ok && event && note_id) {
		char hex[25] = "", now[DICTUM_TIME_LEN];
		random_hex(hex, 12);
		time_now_iso(now);
		struct json_object *e = json_object_new_object(), *d = json_object_new_object();
		char evt[32];
		snprintf(evt, sizeof(evt), "evt_%s", hex);
		json_object_object_add(e, "id", json_object_new_string(evt));
		json_object_object_add(e, "type", json_object_new_string(event));
		json_object_object_add(e, "created_at", json_object_new_string(now));
		json_object_object_add(d, "note_id", json_object_get(note_id));
		json_object_object_add(d, "job_id", json_object_new_string(j->uid));
		json_object_object_add(e, "data", d);
		result = srv_event_emit(ctx->db, j->org_id, event,
		                        json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
		json_object_put(e);
		if (!result) {
			struct srv_audit_row row = {0};
			time_now_iso(row.at);
			row.org_id = j->org_id;
			str_copy(row.key_uid, json_object_get_string(key), sizeof(row.key_uid));
			str_copy(row.action, "note.export", sizeof(row.action));
			str_copy(row.entity, json_object_get_string(note_id), sizeof(row.entity));
			str_copy(row.request_id, j->uid, sizeof(row.request_id));
			result = srv_audit_add(ctx->db, &row, 1);
		}
	}
	if (result) {
		srv_store_rollback(ctx->db);
		return result;
	}
	return srv_store_commit(ctx->db);
}

/* A job's own copy of an upload: DB.files/file_* (not a resumable
 * upload's upl_*.part, which is kept for good). */
static bool job_file(const struct srv *srv, const char *path)
{
	size_t n = strlen(srv->files_dir);
	return path && strncmp(path, srv->files_dir, n) == 0 && path[n] == '/' &&
	       strncmp(path + n + 1, "file_", 5) == 0 && !strchr(path + n + 1, '/');
}

void srv_job_files_remove(const struct srv *srv, const char *input_json)
{
	struct json_object *input = json_tokener_parse(input_json ? input_json : ""), *v, *files;
	if (!input)
		return;
	if (json_object_object_get_ex(input, "path", &v) &&
	    job_file(srv, json_object_get_string(v)))
		unlink(json_object_get_string(v));
	size_t n = json_object_object_get_ex(input, "files", &files) &&
	                   json_object_is_type(files, json_type_array)
	               ? json_object_array_length(files)
	               : 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		if (json_object_object_get_ex(f, "path", &v) &&
		    job_file(srv, json_object_get_string(v)))
			unlink(json_object_get_string(v));
	}
	json_object_put(input);
}

void srv_files_sweep(struct srv *srv, srv_store *db)
{
	DIR *dir = opendir(srv->files_dir);
	if (!dir)
		return;
	size_t removed = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		char path[sizeof(srv->files_dir) + 256];
		bool part = strncmp(e->d_name, "part-", 5) == 0;
		snprintf(path, sizeof(path), "%s/%s", srv->files_dir, e->d_name);
		bool live = false;
		if (!part && (!job_file(srv, path) || srv_job_path_live(db, path, &live) || live))
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(dir);
	if (removed)
		log_info("server", "removed %zu file(s) no job needs from %s", removed,
		         srv->files_dir);
}

static void run_one(struct srv *srv, srv_store *db, struct srv_job *job)
{
	struct job_ctx ctx = {srv, db, job};
	struct job_outcome out = {0};
	size_t k = 0, nkinds = sizeof(job_kinds) / sizeof(job_kinds[0]);
	while (k < nkinds && strcmp(job_kinds[k].type, job->type) != 0)
		k++;
	struct json_object *input = json_tokener_parse(job->input);
	int result = DICTUM_OK;
	if (k == nkinds)
		set_error(&out, "unknown_job_type", "This server cannot run jobs of this type");
	else if (!input)
		set_error(&out, "invalid_input", "The job's input is not valid JSON");
	else
		result = job_kinds[k].run(&ctx, input, &out);
	if (result) {
		log_error("server", "job %s: %s", job->uid, srv_store_errmsg(db));
		set_error(&out, "internal_error", "The job failed on the server");
		free(out.result);
		out.result = NULL;
	}
	if (!out.interrupted) {
		if ((result = record(&ctx, k < nkinds ? job_kinds[k].event : NULL, input, &out)))
			log_error("server", "job %s: cannot record the outcome: %s", job->uid,
			          srv_store_errmsg(db));
		else
			srv_hooks_kick(srv->hooks);
		/* A finished job never reads its files again. */
		if (!result)
			srv_job_files_remove(srv, job->input);
	}
	free(out.result);
	json_object_put(input);
}

static void *worker(void *arg)
{
	struct srv_jobs *js = arg;
	struct srv *srv = js->srv;
	srv_store *db = NULL;
	if (srv_open_db(srv, &db))
		return NULL;
	unsigned long seen = 0;
	while (!atomic_load(&srv->stopping)) {
		struct srv_job job;
		int result = srv_job_claim(db, &job);
		if (result == DICTUM_OK) {
			run_one(srv, db, &job);
			srv_job_clear(&job);
			continue;
		}
		if (result != DICTUM_NOTFOUND)
			log_error("server", "jobs: %s", srv_store_errmsg(db));
		pthread_mutex_lock(&js->lock);
		if (js->kicks == seen && !atomic_load(&srv->stopping)) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&js->wake, &js->lock, &until);
		}
		seen = js->kicks;
		pthread_mutex_unlock(&js->lock);
	}
	srv_store_close(&db);
	return NULL;
}

int srv_jobs_start(struct srv *srv, struct srv_jobs **out)
{
	struct srv_jobs *js = calloc(1, sizeof(*js));
	if (!js)
		return DICTUM_NOMEM;
	js->srv = srv;
	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->wake, NULL);
	*out = js;
	if (!srv->cfg.workers)
		return DICTUM_OK;
	if (!(js->threads = calloc(srv->cfg.workers, sizeof(*js->threads))))
		return DICTUM_NOMEM;
	for (unsigned i = 0; i < srv->cfg.workers; i++) {
		if (pthread_create(&js->threads[i], NULL, worker, js) != 0)
			return DICTUM_INTERNAL;
		js->nthreads++;
	}
	return DICTUM_OK;
}

void srv_jobs_kick(struct srv_jobs *js)
{
	if (!js)
		return;
	pthread_mutex_lock(&js->lock);
	js->kicks++;
	pthread_cond_broadcast(&js->wake);
	pthread_mutex_unlock(&js->lock);
}

void srv_jobs_stop(struct srv_jobs **jp)
{
	struct srv_jobs *js = *jp;
	if (!js)
		return;
	atomic_store(&js->srv->stopping, true);
	srv_jobs_kick(js);
	for (size_t i = 0; i < js->nthreads; i++)
		pthread_join(js->threads[i], NULL);
	free(js->threads);
	pthread_mutex_destroy(&js->lock);
	pthread_cond_destroy(&js->wake);
	free(js);
	*jp = NULL;
}
