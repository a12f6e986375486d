#ifndef DICTUM_OFFLINE_SERVER_STORE_H
#define DICTUM_OFFLINE_SERVER_STORE_H

/* The server's own SQLite database (`dictum serve`), apart from the
 * workstation's store: organisations, hashed API keys, notes, jobs,
 * idempotency records, webhook deliveries and the audit log.
 *
 * Every function returns a DICTUM_* status (core/error.h) and keeps a
 * one-line reason readable with srv_store_errmsg(). Each write is one
 * transaction. A handle belongs to one thread at a time; handles opened on
 * the same file with the same writer lock (srv_store_open) take turns at
 * writing inside the process instead of waiting on SQLite's busy handler.
 * Strings in the records below are malloc'ed and owned by the record;
 * each *_clear frees them and zeroes the record. */

#include "core/types.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct srv_store srv_store;

/* Opens (creating with mode 0600 if absent) the server database at path,
 * sets WAL mode and runs forward migrations. A file that is not SQLite or
 * not a Dictum server database is DICTUM_NOTDB, one from a newer schema
 * DICTUM_NEWER; err gets a one-line message. write_lock may be NULL (one
 * handle alone); otherwise every handle on the file shares it. */
int srv_store_open(const char *path, pthread_mutex_t *write_lock, srv_store **out, char *err,
                   size_t errlen);
/* Closes and sets *s to NULL; NULL is fine. */
void srv_store_close(srv_store **s);
const char *srv_store_errmsg(const srv_store *s);
int srv_store_schema_version(void);

/* One write transaction (nestable: inner levels are savepoints). */
int srv_store_begin(srv_store *s);
int srv_store_commit(srv_store *s);
int srv_store_rollback(srv_store *s);

/* One read snapshot for the several queries of a request (fewer lock
 * round trips than one per statement). srv_store_begin inside it ends it
 * first. Outside a write transaction only; end it with read_end. */
int srv_store_read_begin(srv_store *s);
void srv_store_read_end(srv_store *s);

/* Change detection for caches, with no transaction and no system call
 * (it compares SQLite's WAL-index header in shared memory): the epoch
 * stays the same while the database is unchanged, and moves with every
 * commit by any connection of any process (and inside this handle's write
 * transactions, where nothing is current). Keep what you read under the
 * number srv_store_keep_epoch gave before the query (0: keep nothing), and
 * use it again only while srv_store_epoch returns that number. */
uint64_t srv_store_epoch(srv_store *s);
uint64_t srv_store_keep_epoch(srv_store *s);

/* The server's HMAC secret (32 random bytes made on first use and kept in
 * the database). */
int srv_store_secret(srv_store *s, unsigned char out[32]);

/* ---- organisations and keys ---- */

enum srv_plan { SRV_PLAN_TEAM, SRV_PLAN_ENTERPRISE };

struct srv_key {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* key_... */
	int64_t org_id;
	char org_uid[DICTUM_UID_LEN]; /* org_... */
	char *org_name;
	char prefix[16]; /* the first characters of the key, for lists */
	char *scopes;    /* space-separated */
	enum srv_plan plan;
	bool revoked;
	char created_at[DICTUM_TIME_LEN];
};
void srv_key_clear(struct srv_key *k);
void srv_keys_free(struct srv_key **list, size_t count);

/* Creates the organisation named org_name if new, then a key row with
 * the given HMAC (hex) of the key. Fills out (uid, org uid, ...). */
int srv_key_add(srv_store *s, const char *org_name, const char *hash_hex, const char *prefix,
                const char *scopes, enum srv_plan plan, struct srv_key *out);
/* The live (not revoked) key with this hash; DICTUM_NOTFOUND otherwise. */
int srv_key_find(srv_store *s, const char *hash_hex, struct srv_key *out);
/* Every key, revoked ones too, oldest first. */
int srv_key_list(srv_store *s, struct srv_key **list, size_t *count);
/* DICTUM_NOTFOUND when no live key has this uid. */
int srv_key_revoke(srv_store *s, const char *uid);

/* ---- patients ---- */

/* Looks up a patient of the organisation by email (when given) or by
 * first and last name in either order, creating one when none matches.
 * uid_out receives the pat_... id. */
int srv_patient_resolve(srv_store *s, int64_t org_id, const char *first, const char *last,
                        const char *email, int64_t *id_out, char uid_out[DICTUM_UID_LEN]);
/* The row id of a patient uid in the organisation; DICTUM_NOTFOUND otherwise. */
int srv_patient_find(srv_store *s, int64_t org_id, const char *uid, int64_t *id_out);

/* ---- notes ---- */

struct srv_note {
	int64_t id;
	char uid[DICTUM_UID_LEN];
	int64_t org_id;
	char patient_uid[DICTUM_UID_LEN]; /* "" when none */
	char *note_type;
	char *specialty;
	char *provider;
	char *external_id;
	char *sections; /* JSON array of {key, title, text} */
	bool is_signed;
	int version;
	int64_t seq; /* rises with every change, across all notes */
	char created_at[DICTUM_TIME_LEN];
	char updated_at[DICTUM_TIME_LEN];
	char signed_at[DICTUM_TIME_LEN]; /* "" when a draft */
	char *signed_by;
};
void srv_note_clear(struct srv_note *n);
void srv_notes_free(struct srv_note **list, size_t count);

/* Inserts n as version 1 (org_id, note_type, sections required;
 * patient_id is a row id or 0). Sets uid, version, seq, times. Call
 * inside a transaction together with the audit row and events. */
int srv_note_insert(srv_store *s, struct srv_note *n, int64_t patient_id);
/* Fills out with the note uid of the organisation; DICTUM_NOTFOUND if
 * absent or another organisation's. */
int srv_note_get(srv_store *s, int64_t org_id, const char *uid, struct srv_note *out);
/* Writes the changed fields of n (looked up by id) as version
 * expected_version + 1. DICTUM_CONFLICT when the stored version is not
 * expected_version, DICTUM_READONLY when the note is signed. On success
 * n's version, seq and times are updated. */
int srv_note_update(srv_store *s, struct srv_note *n, int expected_version);

/* Appends section (a JSON object {key, title, text}) to the signed note n
 * (looked up by id) as a new version: an addendum. DICTUM_CONFLICT when
 * the note is not signed. On success n's sections, version, seq and
 * times are those stored. */
int srv_note_add_addendum(srv_store *s, struct srv_note *n, const char *section);

struct srv_note_filter {
	int64_t org_id;
	const char *from;   /* created on or after (ISO date or time), or NULL */
	const char *to;     /* created on or before (prefix compare), or NULL */
	int64_t patient_id; /* 0: any; -1: matches none */
	const char *note_type;
	const char *provider;
	int status;        /* -1 any, 0 draft, 1 signed */
	int64_t before_id; /* page of the newest-first list: ids below this (0: from the top) */
	int64_t after_seq; /* >= 0: changes after this seq, oldest change first */
	size_t limit;
};
/* Lists notes newest first, or by change when after_seq >= 0; returns up
 * to limit + 1 rows so the caller can tell whether there are more. */
int srv_note_list(srv_store *s, const struct srv_note_filter *f, struct srv_note **list,
                  size_t *count);

/* A note as stored JSON: doc is the note as GET /api/clinical/notes/:id
 * shows it (malloc'ed), version its version. DICTUM_NOTFOUND if absent or
 * another organisation's. The last notes read are kept per handle (by
 * organisation and id) while the epoch stays the same. */
int srv_note_doc(srv_store *s, int64_t org_id, const char *uid, char **doc, int *version);

/* A page of stored note JSON: the notes' texts one after another in json,
 * refs[i] telling where note i is and which note it is. */
struct srv_note_ref {
	int64_t id;
	int64_t seq;
	char uid[DICTUM_UID_LEN];
	size_t offset; /* of its JSON in srv_note_docs.json */
	size_t len;
};
struct srv_note_docs {
	struct srv_note_ref *refs;
	size_t count;
	char *json;
};
/* As srv_note_list, but the stored JSON: the full note (full) or its list
 * entry without sections. */
int srv_note_docs(srv_store *s, const struct srv_note_filter *f, bool full,
                  struct srv_note_docs *out);
void srv_note_docs_free(struct srv_note_docs *d);
/* The seq of the organisation's latest note change (0: none): any change
 * to any of its notes raises it. */
int srv_note_org_seq(srv_store *s, int64_t org_id, int64_t *seq);

/* ---- audit ---- */

struct srv_audit_row {
	char at[DICTUM_TIME_LEN];
	int64_t org_id;
	char key_uid[DICTUM_UID_LEN];
	char action[24]; /* note.read, note.create, note.update, note.export */
	char entity[DICTUM_UID_LEN];
	char request_id[DICTUM_UID_LEN];
	/* A JSON array of the ids a request touched when there were several
	 * (entity then names the collection, e.g. "notes"), or NULL. Not
	 * owned by the row: whoever fills it frees it. */
	char *entities;
};
/* Appends rows (one transaction for all). */
int srv_audit_add(srv_store *s, const struct srv_audit_row *rows, size_t count);
/* Makes s a handle that only appends audit rows the server made itself:
 * their entities are JSON arrays by construction, so the schema's
 * json_valid check (about a microsecond for a list page's row, a fifth of
 * the row's cost) is skipped on it. No other writes on this handle. */
int srv_store_audit_writer(srv_store *s);

/* ---- idempotency ---- */

struct srv_idem {
	char fingerprint[65]; /* SHA-256 hex of method, path and body */
	int status;
	char *body;
	char *location; /* NULL when none */
	int64_t created_ms;
};
void srv_idem_clear(struct srv_idem *r);
/* The stored response for (key row id, Idempotency-Key) newer than
 * since_ms; DICTUM_NOTFOUND otherwise. */
int srv_idem_get(srv_store *s, int64_t key_id, const char *idem_key, int64_t since_ms,
                 struct srv_idem *out);
/* Stores (or replaces an expired) response; call in the write's transaction. */
int srv_idem_put(srv_store *s, int64_t key_id, const char *idem_key, const struct srv_idem *r);
/* Deletes records older than before_ms. */
int srv_idem_purge(srv_store *s, int64_t before_ms);

/* ---- jobs ---- */

enum srv_job_status {
	SRV_JOB_QUEUED,
	SRV_JOB_PROCESSING,
	SRV_JOB_COMPLETED,
	SRV_JOB_FAILED,
	SRV_JOB_CANCELLED,
};
const char *srv_job_status_name(enum srv_job_status st);
/* -1 when unknown. */
int srv_job_status_parse(const char *name);

struct srv_job {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* job_... */
	int64_t org_id;
	char *type;
	enum srv_job_status status;
	int progress; /* 0..100 */
	char *stage;
	char *input;  /* JSON */
	char *result; /* JSON or NULL */
	char *error_code;
	char *error_message;
	char *webhook_url;
	int attempts;
	char created_at[DICTUM_TIME_LEN];
	char updated_at[DICTUM_TIME_LEN];
	/* The typed id of the resource the job makes (trn_..., upl_...), ""
	 * when none. On insert, a bare prefix ("trn") asks for a new one. */
	char alias[DICTUM_UID_LEN];
};
void srv_job_clear(struct srv_job *j);
void srv_jobs_free(struct srv_job **list, size_t count);

/* Inserts j as queued (org_id, type, input required); sets uid and times. */
int srv_job_insert(srv_store *s, struct srv_job *j);
int srv_job_get(srv_store *s, int64_t org_id, const char *uid, struct srv_job *out);
/* The job of the organisation whose alias is alias; DICTUM_NOTFOUND otherwise. */
int srv_job_get_alias(srv_store *s, int64_t org_id, const char *alias, struct srv_job *out);
/* Newest first; ids below before_id (0: from the top); status < 0 any.
 * Returns up to limit + 1 rows. */
int srv_job_list(srv_store *s, int64_t org_id, int status, int64_t before_id, size_t limit,
                 struct srv_job **list, size_t *count);
/* Queued -> cancelled. DICTUM_NOTFOUND when absent, DICTUM_CONFLICT when
 * the job is no longer queued. out gets the job as it now is. */
int srv_job_cancel(srv_store *s, int64_t org_id, const char *uid, struct srv_job *out);
/* Takes the oldest queued job (-> processing, attempts + 1).
 * DICTUM_NOTFOUND when none is queued. */
int srv_job_claim(srv_store *s, struct srv_job *out);
int srv_job_progress(srv_store *s, int64_t id, int progress, const char *stage);
/* processing -> completed or failed with a result or an error. */
int srv_job_finish(srv_store *s, struct srv_job *j, enum srv_job_status status, const char *result,
                   const char *error_code, const char *error_message);
/* After a restart: jobs left processing go back to the queue. *count gets
 * how many. */
/* *live: whether a queued or processing job's input names path (as a
 * "path" member anywhere in it). */
int srv_job_path_live(srv_store *s, const char *path, bool *live);
int srv_job_requeue_stale(srv_store *s, size_t *count);

/* ---- resumable uploads ---- */

struct srv_upload {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* upl_... */
	int64_t org_id;
	char kind[16]; /* recording, transcript */
	char *filename;
	char *note_uid; /* the note it belongs to, or NULL */
	int64_t size;
	char sha256[65];
	int64_t received; /* bytes stored, from 0: the offset of the next chunk */
	int64_t bytes_in; /* chunk bytes accepted in all, resends included */
	int64_t chunks;
	bool complete;
	char *path; /* where the bytes are */
	char created_at[DICTUM_TIME_LEN];
	char updated_at[DICTUM_TIME_LEN];
	char completed_at[DICTUM_TIME_LEN]; /* "" while open */
};
void srv_upload_clear(struct srv_upload *u);
/* Inserts u as open with nothing received (org_id, kind, size, sha256 and
 * path required; path may hold "%s", replaced by the new uid). Sets uid,
 * path and times. */
int srv_upload_insert(srv_store *s, struct srv_upload *u);
int srv_upload_get(srv_store *s, int64_t org_id, const char *uid, struct srv_upload *out);
/* Records nbytes more stored at offset `from`: DICTUM_CONFLICT when the
 * upload's offset is not `from` any more. */
int srv_upload_advance(srv_store *s, int64_t id, int64_t from, int64_t nbytes);
/* Marks it complete (all bytes, hash checked) or back to nothing received
 * (the hash did not match). */
int srv_upload_finish(srv_store *s, int64_t id, bool complete);
/* A recording's media type and duration in ms (-1: unknown), shown with
 * its note (the triggers refresh the note's stored JSON). */
int srv_upload_set_media(srv_store *s, int64_t id, const char *content_type, int64_t duration_ms);

/* ---- webhooks ---- */

struct srv_webhook {
	char uid[DICTUM_UID_LEN]; /* whk_... */
	char *url;
	char *events; /* space-separated */
	char created_at[DICTUM_TIME_LEN];
};
void srv_webhooks_free(struct srv_webhook **list, size_t count);
int srv_webhook_add(srv_store *s, int64_t org_id, const char *url, const char *events,
                    struct srv_webhook *out);
int srv_webhook_list(srv_store *s, int64_t org_id, struct srv_webhook **list, size_t *count);
int srv_webhook_delete(srv_store *s, int64_t org_id, const char *uid);
/* The organisation's signing secret (whsec_...), made on first use. */
int srv_org_webhook_secret(srv_store *s, int64_t org_id, char out[80]);

/* Queues the event for every webhook of the organisation subscribed to it
 * (call in the transaction of the change). */
int srv_event_emit(srv_store *s, int64_t org_id, const char *event, const char *payload);
/* Queues one delivery to url. */
int srv_delivery_add(srv_store *s, int64_t org_id, const char *url, const char *event,
                     const char *payload);

struct srv_delivery {
	int64_t id;
	int64_t org_id;
	char *url;
	char *event;
	char *payload;
	int attempts;
};
void srv_delivery_clear(struct srv_delivery *d);
/* The oldest delivery due at now_ms; DICTUM_NOTFOUND when none. */
int srv_delivery_next(srv_store *s, int64_t now_ms, struct srv_delivery *out);
/* The time of the next pending delivery (INT64_MAX when none). */
int srv_delivery_next_due(srv_store *s, int64_t *due_ms);
int srv_delivery_done(srv_store *s, int64_t id, int http_status);
/* Counts a failed attempt: tried again at next_ms, or given up (failed)
 * when next_ms < 0. */
int srv_delivery_retry(srv_store *s, int64_t id, int64_t next_ms, const char *error);

#endif
