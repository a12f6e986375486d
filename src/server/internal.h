#ifndef DICTUM_SERVER_INTERNAL_H
#define DICTUM_SERVER_INTERNAL_H

/* What the server's files share: the server object, requests and
 * responses, the route table, and the workers. Not for other modules. */

#include "core/dynbuf.h"
#include "offline/server_store.h"
#include "server/auth.h"
#include "server/ratelimit.h"
#include "server/route.h"
#include "server/server.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct json_object;
struct note_engine;
struct srv;
struct srv_form;
struct tmpl_template;

/* ---- multipart/form-data (form.c) ---- */

#define SRV_FORM_MAX_FILES 16                 /* file parts in one request */
#define SRV_CHUNK_MAX      ((size_t)16 << 20) /* one chunk of a resumable upload */

struct srv_form_field {
	char *name;
	char *value; /* NUL-terminated, len bytes */
	size_t len;
};

struct srv_form_file {
	char *field;        /* the form field's name */
	char *filename;     /* as the client named it */
	char *content_type; /* as the client declared it, or NULL */
	char path[1200]; /* the temporary file; a handler keeping it renames it and clears this */
	/* The audio decoded to 16 kHz mono, as a WAV next to path, once the
	 * request checked it (api_audio.c): jobs read it instead of decoding
	 * the upload again. "" when none; removed with the form unless kept. */
	char pcm_path[1210];
	size_t size;
	int fd; /* internal: -1 once closed */
};

/* Starts parsing the body of conn (multipart/form-data) as it arrives:
 * files go to temporary files in dir (which must outlive the form), at
 * most max_bytes of them in all. DICTUM_OK or DICTUM_NOMEM; a body that
 * cannot be multipart is reported by srv_form_state. */
int srv_form_new(struct MHD_Connection *conn, const char *dir, size_t max_bytes,
                 struct srv_form **out);
void srv_form_feed(struct srv_form *f, const char *data, size_t size);
/* After the last byte: flushes, closes the files, makes the digest. */
void srv_form_end(struct srv_form *f);
/* DICTUM_OK, DICTUM_FULL (over max_bytes), DICTUM_INVAL (malformed, with
 * a reason), DICTUM_IO (cannot write the files). */
int srv_form_state(const struct srv_form *f, const char **reason);
/* SHA-256 (hex) of every part's name, file name and bytes. */
const char *srv_form_digest(const struct srv_form *f);
/* The first text field called name, or NULL. */
const char *srv_form_value(const struct srv_form *f, const char *name);
const struct srv_form_field *srv_form_fields(const struct srv_form *f, size_t *count);
struct srv_form_file *srv_form_files(struct srv_form *f, size_t *count);
/* The first file part of field, or NULL. */
struct srv_form_file *srv_form_file(struct srv_form *f, const char *field);
/* Deletes the temporary files still named and frees; *f becomes NULL. */
void srv_form_free(struct srv_form **f);

struct srv_req {
	struct srv *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url; /* path without the query */
	struct dynbuf body;
	bool too_large;
	const struct api_route *route; /* NULL: route_status says 404 or 405 (allow) */
	int route_status;
	char allow[64];
	struct srv_route_params params;
	bool authed;
	struct srv_key key; /* the caller, when authed */
	srv_store *db;
	struct json_object *json; /* the parsed body of a JSON route */
	struct srv_form *form;    /* the parsed body of a multipart route */
	char request_id[DICTUM_UID_LEN];
	size_t slot;     /* of db in the pool: indexes per-handle state (srv.pages) */
	bool kick_jobs;  /* a job was queued: wake the workers after commit */
	bool kick_hooks; /* a delivery was queued */
};

struct srv_resp {
	int status;
	char *body; /* malloc'ed */
	char location[160];
	char etag[32];
	char allow[64];
	char content_type[32]; /* "" : application/json */
	bool have_upload;      /* send Upload-Offset and Upload-Length */
	int64_t upload_offset, upload_length;
	bool replayed;
	bool have_rate;
	struct srv_rate_result rate;
};

/* Route flags. */
enum {
	API_NOAUTH = 1 << 0,     /* no key needed */
	API_JSON_BODY = 1 << 1,  /* a JSON object body is required */
	API_IDEMPOTENT = 1 << 2, /* Idempotency-Key replays the response */
	API_SEED001 = 1 << 3,    /* errors as seed 001's {"detail": ...} */
	API_MULTIPART = 1 << 4,  /* a multipart/form-data body is required (files to disk) */
	API_CHUNK = 1 << 5,      /* a raw body of up to SRV_CHUNK_MAX bytes (upload chunks) */
};

typedef void (*api_handler)(struct srv_req *rq, struct srv_resp *rs);

struct api_route {
	const char *method;
	const char *pattern;
	unsigned scope; /* enum srv_scope mask needed, 0: any key */
	unsigned flags;
	api_handler handler;
	/* Runs first, outside the idempotency transaction (slow checks such
	 * as decoding an upload); an error response it sets ends the request. */
	api_handler check;
};
extern const struct api_route api_routes[];
extern const size_t api_route_count;

/* The routing decision for method and path: the route, or NULL with
 * *status 404 (no such path) or 405 (path known, method not; allow
 * lists the methods). Pure. */
const struct api_route *api_route_find(const char *method, const char *path,
                                       struct srv_route_params *params, int *status, char *allow,
                                       size_t allowlen);

/* ---- responses ---- */

/* Sets a JSON response (takes the object). */
void api_json(struct srv_resp *rs, int status, struct json_object *obj);
/* Sets an error in the route's envelope:
 * {"error": {"code", "message", "request_id"}} or, on seed 001 routes,
 * {"detail": message}. */
void api_error(struct srv_req *rq, struct srv_resp *rs, int status, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 500 with the store's reason logged (not sent). */
void api_store_error(struct srv_req *rq, struct srv_resp *rs, int status);
/* A query argument, or NULL. */
const char *api_query(struct srv_req *rq, const char *name);
const char *api_header(struct srv_req *rq, const char *name);

/* ---- handlers ---- */

void api_health(struct srv_req *rq, struct srv_resp *rs);
void api_health_auth(struct srv_req *rq, struct srv_resp *rs);
void api_workspace_me(struct srv_req *rq, struct srv_resp *rs);
void api_notes_create(struct srv_req *rq, struct srv_resp *rs);
void api_notes_get(struct srv_req *rq, struct srv_resp *rs);
void api_notes_list(struct srv_req *rq, struct srv_resp *rs);
void api_notes_patch(struct srv_req *rq, struct srv_resp *rs);
void api_notes_export(struct srv_req *rq, struct srv_resp *rs);
void api_notes_addendum(struct srv_req *rq, struct srv_resp *rs);
void api_uploads_create(struct srv_req *rq, struct srv_resp *rs);
void api_uploads_get(struct srv_req *rq, struct srv_resp *rs);
void api_uploads_patch(struct srv_req *rq, struct srv_resp *rs);
void api_jobs_list(struct srv_req *rq, struct srv_resp *rs);
void api_jobs_get(struct srv_req *rq, struct srv_resp *rs);
void api_jobs_cancel(struct srv_req *rq, struct srv_resp *rs);
void api_webhooks_create(struct srv_req *rq, struct srv_resp *rs);
void api_webhooks_list(struct srv_req *rq, struct srv_resp *rs);
void api_webhooks_delete(struct srv_req *rq, struct srv_resp *rs);
void api_notes_generate(struct srv_req *rq, struct srv_resp *rs);
void api_templates_community(struct srv_req *rq, struct srv_resp *rs);
void api_icd10_submit(struct srv_req *rq, struct srv_resp *rs);
void api_icd10_get(struct srv_req *rq, struct srv_resp *rs);
void api_notes_billing(struct srv_req *rq, struct srv_resp *rs);
void api_upload_text(struct srv_req *rq, struct srv_resp *rs);
void api_transcribe_check(struct srv_req *rq, struct srv_resp *rs);
void api_transcribe_submit(struct srv_req *rq, struct srv_resp *rs);
void api_transcription_get(struct srv_req *rq, struct srv_resp *rs);
void api_pcr_upload_check(struct srv_req *rq, struct srv_resp *rs);
void api_pcr_upload(struct srv_req *rq, struct srv_resp *rs);
void api_pcr_upload_get(struct srv_req *rq, struct srv_resp *rs);
void api_audio_notes_check(struct srv_req *rq, struct srv_resp *rs);
void api_audio_notes_submit(struct srv_req *rq, struct srv_resp *rs);
void api_audio_notes_get(struct srv_req *rq, struct srv_resp *rs);
void api_openai_transcriptions(struct srv_req *rq, struct srv_resp *rs);

/* Queues j (its "queued" webhook too when queued_event and j has a
 * webhook_url) in one transaction and marks the workers to be woken.
 * Returns DICTUM_OK or the store's status. */
int api_job_submit(struct srv_req *rq, struct srv_job *j, bool queued_event);
/* Loads the job named by the route's first parameter into *j when it is
 * this organisation's and of this type, and returns true; otherwise answers
 * 400 ("Invalid <id_name> format") for an id without the prefix, or 404
 * ("No <thing> found for the given ID"), and returns false. With alias the
 * id is the job's typed alias (trn_, upl_) rather than its job_ id. */
bool api_job_of_type(struct srv_req *rq, struct srv_resp *rs, const char *prefix, bool alias,
                     const char *type, const char *id_name, const char *thing, struct srv_job *j);
/* Seed 001's view of a job's state: job_id, status, created_at and
 * updated_at, for the caller to add its outcome to. */
struct json_object *api_job_status_json(const struct srv_job *j);
/* Answers 202 for a queued seed-001 job: "<what> request accepted; ...". */
void api_job_accepted(struct srv_resp *rs, const struct srv_job *j, const char *what,
                      const char *hook);
/* An http(s) URL of at most 2,000 bytes. */
bool api_webhook_url_ok(const char *url);
/* The text of the caller's completed transcription id: DICTUM_OK with
 * *text (malloc'ed), DICTUM_NOTFOUND, DICTUM_BUSY (not completed). */
int api_transcription_text(struct srv_req *rq, const char *id, char **text);
/* Drafts a note of note_type from transcript: *text gets the sections as
 * "Title:\ntext" paragraphs (malloc'ed), *sections (when not NULL) the
 * [{key, title, text}] array. DICTUM_NOTFOUND when the note engine is
 * missing or the type unknown, DICTUM_NOMEM. */
int srv_draft_text(struct srv *srv, const char *transcript, const char *note_type, char **text,
                   struct json_object **sections);

/* ---- speech (api_audio.c): engines made on first use, shared ---- */

struct srv_asr;
int srv_asr_open(struct srv *srv);
void srv_asr_close(struct srv *srv);
/* Job kinds on audio: type is "transcribe", "audio.note" or "pcr.upload".
 * On success *result_json gets the job's result (malloc'ed); otherwise
 * error_code/error_message say why. Returns DICTUM_OK or DICTUM_NOMEM. */
int srv_audio_job(struct srv *srv, const char *type, struct json_object *input, char **result_json,
                  char *error_code, size_t codelen, char *error_message, size_t msglen);
/* The note engine and the template catalogue (api_engines.c), or NULL. */
const struct note_engine *srv_engines_notes(struct srv *srv);
const struct tmpl_template *srv_engines_template(struct srv *srv, const char *id);

/* ---- engines (api_engines.c): loaded once; missing ones answer 503 ---- */

struct srv_engines;
/* Loads what is available (logging what is not); DICTUM_NOMEM only. */
int srv_engines_open(struct srv *srv);
void srv_engines_close(struct srv *srv);
/* Runs ICD-10 coding on text for a job: *result_json gets
 * {"icd10_codes": [...]} (malloc'ed), or error_code/error_message are set
 * (engine missing or failing). Returns DICTUM_OK or DICTUM_NOMEM. */
int srv_engines_icd10(struct srv *srv, const char *text, char **result_json, char *error_code,
                      size_t codelen, char *error_message, size_t msglen);

/* The JSON of a job as GET /jobs/{id} shows it (new object). */
struct json_object *api_job_json(const struct srv_job *j);
/* The seed 001 webhook payload for a job event (malloc'ed string). */
char *api_job_event_payload(const struct srv_job *j);

/* ---- audit (reads are written in batches by a writer thread) ---- */

struct srv_audit;
int srv_audit_start(struct srv *srv, struct srv_audit **out);
/* Queues a row (blocks briefly when the queue is full); takes ownership of
 * row->entities (malloc'ed or NULL). */
void srv_audit_push(struct srv_audit *a, const struct srv_audit_row *row);
/* Writes what is queued and stops the thread. */
void srv_audit_stop(struct srv_audit **a);
/* Fills a row for the caller of rq. */
void api_audit_row(struct srv_req *rq, const char *action, const char *entity,
                   struct srv_audit_row *row);

/* ---- jobs ---- */

struct srv_jobs;
int srv_jobs_start(struct srv *srv, struct srv_jobs **out);
void srv_jobs_kick(struct srv_jobs *j);
/* Removes the DB.files copies of uploads a job's input names (once the job
 * is finished or cancelled). */
void srv_job_files_remove(const struct srv *srv, const char *input_json);
/* At start: removes form parts left by a stop and job files that no
 * queued or running job names. */
void srv_files_sweep(struct srv *srv, srv_store *db);
void srv_jobs_stop(struct srv_jobs **j);
/* True when type names a job kind the workers can run. */
bool srv_job_type_known(const char *type);

/* ---- webhooks ---- */

struct srv_hooks;
int srv_hooks_start(struct srv *srv, struct srv_hooks **out);
void srv_hooks_kick(struct srv_hooks *h);
void srv_hooks_stop(struct srv_hooks **h);
/* The signature header value for body: "t=UNIX,v1=HEX" where HEX is
 * HMAC-SHA-256(secret, "UNIX." + body). Pure. */
void srv_hooks_sign(const char *secret, int64_t unix_s, const char *body, char *out, size_t size);

/* The last note-list pages a database handle's requests answered
 * (api_notes.c): a page is the same bytes while its organisation's newest
 * change (seq) is the same. Only the handle's holder touches them. */
#define SRV_PAGE_CACHE 4
struct srv_page {
	int64_t org_id;
	int64_t seq;
	uint64_t epoch; /* the store's epoch when seq was last the organisation's */
	char key[224];  /* the page's query, canonical */
	char *body;
	char *ids; /* the audit row's entities, NULL for an empty page */
	unsigned used;
};
struct srv_pages {
	struct srv_page page[SRV_PAGE_CACHE];
	unsigned clock;
};
void srv_pages_free(struct srv_pages *p);

/* ---- the server ---- */

struct srv {
	struct srv_config cfg;
	struct MHD_Daemon *daemon;
	unsigned char secret[32];
	pthread_mutex_t write_lock;
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	srv_store **pool;
	atomic_bool *pool_busy;
	bool *pool_owned;         /* taken for good by an HTTP thread (pool_lock) */
	atomic_uint pool_waiting; /* threads in pool_take's slow path */
	struct srv_pages *pages;  /* one per pool handle */
	size_t npool;
	struct srv_ratelimiter *rl;
	struct srv_audit *audit;
	struct srv_jobs *jobs;
	struct srv_hooks *hooks;
	struct srv_engines *engines;
	struct srv_asr *asr;
	char files_dir[1200]; /* DB.files: uploads and recordings */
	atomic_bool stopping;
};

/* Opens another handle on the server database (for a worker thread). */
int srv_open_db(struct srv *srv, srv_store **out);

#endif
