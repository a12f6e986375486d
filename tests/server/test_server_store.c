/* The server database: keys, notes with versions, idempotency records,
 * jobs through their states, deliveries, and refusing foreign files. */
#include "testutil.h"

#include "core/error.h"
#include "core/util.h"
#include "offline/server_store.h"
#include "offline/server_store_internal.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
	char *dir;
	char path[4200];
	srv_store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = test_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/server.db", f->dir);
	char err[512];
	assert_int_equal(srv_store_open(f->path, NULL, &f->s, err, sizeof(err)), DICTUM_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	srv_store_close(&f->s);
	test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t make_org_key(srv_store *s, const char *org, struct srv_key *k)
{
	char hash[65];
	snprintf(hash, sizeof(hash), "%064d", (int)strlen(org));
	memcpy(hash, org, strlen(org));
	assert_int_equal(srv_key_add(s, org, hash, "dk_x", "notes:read", SRV_PLAN_TEAM, k),
	                 DICTUM_OK);
	return k->org_id;
}

static void test_file_mode_and_secret(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	unsigned char a[32], b[32];
	assert_int_equal(srv_store_secret(f->s, a), DICTUM_OK);
	assert_int_equal(srv_store_secret(f->s, b), DICTUM_OK);
	assert_memory_equal(a, b, 32);
}

static void test_keys(void **state)
{
	struct fixture *f = *state;
	struct srv_key k, found, k2;
	make_org_key(f->s, "acme", &k);
	assert_true(strncmp(k.uid, "key_", 4) == 0);
	assert_true(strncmp(k.org_uid, "org_", 4) == 0);
	char hash[65];
	snprintf(hash, sizeof(hash), "%064d", 4);
	memcpy(hash, "acme", 4);
	assert_int_equal(srv_key_find(f->s, hash, &found), DICTUM_OK);
	assert_string_equal(found.uid, k.uid);
	assert_string_equal(found.org_name, "acme");
	srv_key_clear(&found);
	/* The same organisation name reuses the organisation. */
	assert_int_equal(
	    srv_key_add(f->s, "acme", "other", "dk_y", "codes", SRV_PLAN_ENTERPRISE, &k2),
	    DICTUM_OK);
	assert_true(k2.org_id == k.org_id);
	assert_int_equal(k2.plan, SRV_PLAN_ENTERPRISE);
	assert_int_equal(srv_key_revoke(f->s, k.uid), DICTUM_OK);
	assert_int_equal(srv_key_revoke(f->s, k.uid), DICTUM_NOTFOUND);
	assert_int_equal(srv_key_find(f->s, hash, &found), DICTUM_NOTFOUND);
	struct srv_key *list = NULL;
	size_t n = 0;
	assert_int_equal(srv_key_list(f->s, &list, &n), DICTUM_OK);
	assert_int_equal(n, 2);
	assert_true(list[0].revoked);
	assert_false(list[1].revoked);
	srv_keys_free(&list, n);
	srv_key_clear(&k);
	srv_key_clear(&k2);
}

/* The key lookup is cached per handle; a revocation through another
 * connection (dictum keys revoke) must still be seen by the next lookup,
 * inside a read snapshot as the server takes one per GET, and so must one
 * by this handle. */
static void test_key_cache_sees_revocation(void **state)
{
	struct fixture *f = *state;
	struct srv_key k, found, k2;
	make_org_key(f->s, "acme", &k);
	make_org_key(f->s, "globex", &k2);
	char hash[65], hash2[65];
	snprintf(hash, sizeof(hash), "%064d", 4);
	memcpy(hash, "acme", 4);
	snprintf(hash2, sizeof(hash2), "%064d", 6);
	memcpy(hash2, "globex", 6);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(srv_key_find(f->s, hash, &found), DICTUM_OK);
		assert_string_equal(found.uid, k.uid);
		assert_string_equal(found.org_name, "acme");
		assert_string_equal(found.scopes, "notes:read");
		srv_key_clear(&found);
	}
	srv_store *other = NULL;
	char err[512];
	assert_int_equal(srv_store_open(f->path, NULL, &other, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(srv_key_revoke(other, k.uid), DICTUM_OK);
	assert_int_equal(srv_store_read_begin(f->s), DICTUM_OK);
	assert_int_equal(srv_key_find(f->s, hash, &found), DICTUM_NOTFOUND);
	srv_store_read_end(f->s);
	assert_int_equal(srv_key_find(f->s, hash2, &found), DICTUM_OK);
	assert_string_equal(found.uid, k2.uid);
	srv_key_clear(&found);
	assert_int_equal(srv_key_revoke(f->s, k2.uid), DICTUM_OK);
	assert_int_equal(srv_key_find(f->s, hash2, &found), DICTUM_NOTFOUND);
	srv_store_close(&other);
	srv_key_clear(&k);
	srv_key_clear(&k2);
}

/* Gives n one HPI section with this text. */
static void set_hpi(struct srv_note *n, const char *text)
{
	char json[256];
	snprintf(json, sizeof(json), "[{\"key\":\"hpi\",\"title\":\"HPI\",\"text\":\"%s\"}]", text);
	free(n->sections);
	n->sections = strdup(json);
}

/* srv_note_doc of uid holds text at this version. */
static void expect_doc(srv_store *s, int64_t org, const char *uid, const char *text, int version)
{
	char *doc = NULL;
	int got = 0;
	assert_int_equal(srv_note_doc(s, org, uid, &doc, &got), DICTUM_OK);
	assert_non_null(strstr(doc, text));
	assert_int_equal(got, version);
	free(doc);
}

static void test_notes(void **state)
{
	struct fixture *f = *state;
	struct srv_key k, other;
	int64_t org = make_org_key(f->s, "acme", &k);
	int64_t org2 = make_org_key(f->s, "globex", &other);
	struct srv_note n = {.org_id = org};
	n.note_type = strdup("progressNote");
	set_hpi(&n, "x");
	int64_t pid = 0;
	char puid[DICTUM_UID_LEN], puid2[DICTUM_UID_LEN];
	assert_int_equal(srv_patient_resolve(f->s, org, "Tony", "Stark", NULL, &pid, puid),
	                 DICTUM_OK);
	/* Swapped names find the same patient; another org gets its own. */
	int64_t again = 0;
	assert_int_equal(srv_patient_resolve(f->s, org, "stark", "tony", NULL, &again, puid2),
	                 DICTUM_OK);
	assert_true(again == pid);
	assert_int_equal(srv_patient_resolve(f->s, org2, "Tony", "Stark", NULL, &again, puid2),
	                 DICTUM_OK);
	assert_true(again != pid);
	assert_int_equal(srv_note_insert(f->s, &n, pid), DICTUM_OK);
	assert_int_equal(n.version, 1);
	int64_t seq1 = n.seq;
	struct srv_note got;
	assert_int_equal(srv_note_get(f->s, org, n.uid, &got), DICTUM_OK);
	assert_string_equal(got.patient_uid, puid);
	srv_note_clear(&got);
	assert_int_equal(srv_note_get(f->s, org2, n.uid, &got), DICTUM_NOTFOUND);
	/* A stale version conflicts; the right one moves the version and seq on. */
	assert_int_equal(srv_note_update(f->s, &n, 2), DICTUM_CONFLICT);
	assert_int_equal(srv_note_update(f->s, &n, 1), DICTUM_OK);
	assert_int_equal(n.version, 2);
	assert_true(n.seq > seq1);
	n.is_signed = true;
	n.signed_by = strdup("dr");
	assert_int_equal(srv_note_update(f->s, &n, 2), DICTUM_OK);
	n.is_signed = false;
	assert_int_equal(srv_note_update(f->s, &n, 3), DICTUM_READONLY);
	/* Lists: newest first, and changes after a seq. */
	struct srv_note second = {.org_id = org};
	second.note_type = strdup("clinicNote");
	second.sections = strdup("[]");
	assert_int_equal(srv_note_insert(f->s, &second, 0), DICTUM_OK);
	struct srv_note_filter filter = {.org_id = org, .status = -1, .after_seq = -1, .limit = 1};
	struct srv_note *list = NULL;
	size_t count = 0;
	assert_int_equal(srv_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2); /* limit + 1 tells there is more */
	assert_string_equal(list[0].uid, second.uid);
	srv_notes_free(&list, count);
	filter.after_seq = seq1;
	filter.limit = 10;
	assert_int_equal(srv_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2);
	assert_string_equal(list[0].uid, n.uid);
	srv_notes_free(&list, count);
	filter.after_seq = -1;
	filter.note_type = "clinicNote";
	assert_int_equal(srv_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	srv_notes_free(&list, count);
	filter.note_type = NULL;
	filter.org_id = org2;
	assert_int_equal(srv_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 0);
	srv_notes_free(&list, count);
	srv_note_clear(&n);
	srv_note_clear(&second);
	srv_key_clear(&k);
	srv_key_clear(&other);
}

/* Notes read are kept per handle (srv_note_doc) while the store's epoch
 * stays: a change by another connection, by another process, or by this
 * handle must be seen by the next read, inside a read snapshot too, and a
 * kept note is never another organisation's. */
static void test_note_doc_cache(void **state)
{
	struct fixture *f = *state;
	struct srv_key k, other;
	int64_t org = make_org_key(f->s, "acme", &k);
	int64_t org2 = make_org_key(f->s, "globex", &other);
	struct srv_note n = {.org_id = org, .note_type = strdup("progressNote")};
	set_hpi(&n, "first");
	assert_int_equal(srv_note_insert(f->s, &n, 0), DICTUM_OK);
	char *doc = NULL;
	int version = 0;
	uint64_t e1 = srv_store_epoch(f->s);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(srv_store_read_begin(f->s), DICTUM_OK);
		expect_doc(f->s, org, n.uid, "first", 1);
		srv_store_read_end(f->s);
		assert_int_equal(srv_note_doc(f->s, org2, n.uid, &doc, &version), DICTUM_NOTFOUND);
	}
	/* Nothing committed: the epoch stays. */
	assert_true(srv_store_epoch(f->s) == e1);

	/* Another connection of this process. */
	srv_store *peer = NULL;
	char err[512];
	assert_int_equal(srv_store_open(f->path, NULL, &peer, err, sizeof(err)), DICTUM_OK);
	set_hpi(&n, "second");
	assert_int_equal(srv_note_update(peer, &n, 1), DICTUM_OK);
	assert_true(srv_store_epoch(f->s) != e1);
	assert_int_equal(srv_store_read_begin(f->s), DICTUM_OK);
	expect_doc(f->s, org, n.uid, "second", 2);
	srv_store_read_end(f->s);
	srv_store_close(&peer);

	/* Another process (as `dictum keys revoke` is). */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		srv_store *own = NULL;
		set_hpi(&n, "third");
		int ok = srv_store_open(f->path, NULL, &own, NULL, 0) == DICTUM_OK &&
		         srv_note_update(own, &n, 2) == DICTUM_OK;
		srv_store_close(&own);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_doc(f->s, org, n.uid, "third", 3);

	/* This handle's own change, and a read inside its write transaction. */
	set_hpi(&n, "fourth");
	assert_int_equal(srv_store_begin(f->s), DICTUM_OK);
	assert_int_equal(srv_note_update(f->s, &n, 3), DICTUM_OK);
	expect_doc(f->s, org, n.uid, "fourth", 4);
	assert_int_equal(srv_store_rollback(f->s), DICTUM_OK);
	expect_doc(f->s, org, n.uid, "third", 3);
	assert_int_equal(srv_note_update(f->s, &n, 3), DICTUM_OK);
	expect_doc(f->s, org, n.uid, "fourth", 4);
	srv_note_clear(&n);
	srv_key_clear(&k);
	srv_key_clear(&other);
}

static void test_idempotency(void **state)
{
	struct fixture *f = *state;
	struct srv_idem r = {.status = 201, .body = "{\"id\":1}", .created_ms = 1000};
	strcpy(r.fingerprint, "abc");
	assert_int_equal(srv_idem_put(f->s, 1, "k1", &r), DICTUM_OK);
	struct srv_idem got;
	assert_int_equal(srv_idem_get(f->s, 1, "k1", 0, &got), DICTUM_OK);
	assert_int_equal(got.status, 201);
	assert_string_equal(got.body, "{\"id\":1}");
	assert_string_equal(got.fingerprint, "abc");
	assert_null(got.location);
	srv_idem_clear(&got);
	/* Per key, and expired records are not replayed. */
	assert_int_equal(srv_idem_get(f->s, 2, "k1", 0, &got), DICTUM_NOTFOUND);
	assert_int_equal(srv_idem_get(f->s, 1, "k1", 1001, &got), DICTUM_NOTFOUND);
	assert_int_equal(srv_idem_purge(f->s, 1001), DICTUM_OK);
	assert_int_equal(srv_idem_get(f->s, 1, "k1", 0, &got), DICTUM_NOTFOUND);
	/* A rolled-back write leaves no record. */
	assert_int_equal(srv_store_begin(f->s), DICTUM_OK);
	assert_int_equal(srv_idem_put(f->s, 1, "k2", &r), DICTUM_OK);
	assert_int_equal(srv_store_rollback(f->s), DICTUM_OK);
	assert_int_equal(srv_idem_get(f->s, 1, "k2", 0, &got), DICTUM_NOTFOUND);
}

static void test_jobs(void **state)
{
	struct fixture *f = *state;
	struct srv_key k;
	int64_t org = make_org_key(f->s, "acme", &k);
	struct srv_job a = {.org_id = org}, b = {.org_id = org}, got;
	a.type = strdup("note.export");
	a.input = strdup("{}");
	b.type = strdup("note.export");
	b.input = strdup("{}");
	assert_int_equal(srv_job_insert(f->s, &a), DICTUM_OK);
	assert_int_equal(srv_job_insert(f->s, &b), DICTUM_OK);
	assert_int_equal(srv_job_claim(f->s, &got), DICTUM_OK);
	assert_string_equal(got.uid, a.uid);
	assert_int_equal(got.status, SRV_JOB_PROCESSING);
	assert_int_equal(got.attempts, 1);
	/* Only queued jobs cancel. */
	struct srv_job c;
	assert_int_equal(srv_job_cancel(f->s, org, a.uid, &c), DICTUM_CONFLICT);
	assert_int_equal(c.status, SRV_JOB_PROCESSING);
	srv_job_clear(&c);
	assert_int_equal(srv_job_cancel(f->s, org, b.uid, &c), DICTUM_OK);
	assert_int_equal(c.status, SRV_JOB_CANCELLED);
	srv_job_clear(&c);
	assert_int_equal(srv_job_cancel(f->s, org + 1, b.uid, &c), DICTUM_NOTFOUND);
	/* A restart queues the interrupted job again. */
	size_t n = 0;
	assert_int_equal(srv_job_requeue_stale(f->s, &n), DICTUM_OK);
	assert_int_equal(n, 1);
	srv_job_clear(&got);
	assert_int_equal(srv_job_claim(f->s, &got), DICTUM_OK);
	assert_int_equal(got.attempts, 2);
	assert_int_equal(srv_job_finish(f->s, &got, SRV_JOB_COMPLETED, "{\"ok\":true}", NULL, NULL),
	                 DICTUM_OK);
	srv_job_clear(&got);
	assert_int_equal(srv_job_claim(f->s, &got), DICTUM_NOTFOUND);
	struct srv_job *list = NULL;
	assert_int_equal(srv_job_list(f->s, org, SRV_JOB_COMPLETED, 0, 10, &list, &n), DICTUM_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].result, "{\"ok\":true}");
	assert_int_equal(list[0].progress, 100);
	srv_jobs_free(&list, n);
	srv_job_clear(&a);
	srv_job_clear(&b);
	srv_key_clear(&k);
}

static void test_deliveries(void **state)
{
	struct fixture *f = *state;
	struct srv_key k;
	int64_t org = make_org_key(f->s, "acme", &k);
	struct srv_webhook w;
	assert_int_equal(srv_webhook_add(f->s, org, "http://127.0.0.1:1/h", "note.created", &w),
	                 DICTUM_OK);
	free(w.url);
	free(w.events);
	assert_int_equal(srv_event_emit(f->s, org, "note.updated", "{}"), DICTUM_OK);
	struct srv_delivery d;
	assert_int_equal(srv_delivery_next(f->s, INT64_MAX - 1, &d), DICTUM_NOTFOUND);
	assert_int_equal(srv_event_emit(f->s, org, "note.created", "{\"a\":1}"), DICTUM_OK);
	assert_int_equal(srv_delivery_next(f->s, INT64_MAX - 1, &d), DICTUM_OK);
	assert_string_equal(d.payload, "{\"a\":1}");
	assert_int_equal(srv_delivery_retry(f->s, d.id, 5, "HTTP 500"), DICTUM_OK);
	int64_t due = 0;
	assert_int_equal(srv_delivery_next_due(f->s, &due), DICTUM_OK);
	assert_true(due == 5);
	assert_int_equal(srv_delivery_retry(f->s, d.id, -1, "HTTP 500"), DICTUM_OK);
	assert_int_equal(srv_delivery_next_due(f->s, &due), DICTUM_OK);
	assert_true(due == INT64_MAX);
	srv_delivery_clear(&d);
	char s1[80], s2[80];
	assert_int_equal(srv_org_webhook_secret(f->s, org, s1), DICTUM_OK);
	assert_int_equal(srv_org_webhook_secret(f->s, org, s2), DICTUM_OK);
	assert_string_equal(s1, s2);
	assert_true(strncmp(s1, "whsec_", 6) == 0);
	srv_key_clear(&k);
}

/* A schema 4 file with a note and a recording of it: opening it renders
 * the note's JSON (doc) and list entry (note_list) in the migration, and
 * later changes refresh them. */
static void test_schema5_backfill(void **state)
{
	(void)state;
	char *dir = test_tmpdir(), path[4200], err[512];
	snprintf(path, sizeof(path), "%s/old.db", dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 0; v < 4; v++)
		assert_int_equal(sqlite3_exec(db, srv_schema_step(v), NULL, NULL, NULL), SQLITE_OK);
	static const char rows[] =
	    "PRAGMA user_version = 4; PRAGMA application_id = 1146311254;"
	    "INSERT INTO orgs(id, uid, name, created_at) VALUES (1, 'org_1', 'acme', 't');"
	    "INSERT INTO patients(id, uid, org_id, first_name, last_name, created_at) VALUES "
	    "(1, 'pat_000000000000000000000001', 1, 'Ann', 'Lee', 't');"
	    "INSERT INTO notes(uid, org_id, patient_id, note_type, specialty, status, version, "
	    "sections, seq, created_at, updated_at) VALUES ('note_000000000000000000000001', 1, 1, "
	    "'progressNote', '', 'draft', 3, '[{\"key\":\"hpi\",\"title\":\"HPI\",\"text\":"
	    "\"Cough \\\"dry\\\"\"}]', 7, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z');"
	    "INSERT INTO uploads(uid, org_id, kind, note_uid, size, sha256, status, path, "
	    "created_at, updated_at, completed_at) VALUES ('upl_000000000000000000000001', 1, "
	    "'recording', 'note_000000000000000000000001', 10, 'x', 'complete', '/x', 't', 't', "
	    "'t');";
	assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	srv_store *s = NULL;
	assert_int_equal(srv_store_open(path, NULL, &s, err, sizeof(err)), DICTUM_OK);
	char *doc = NULL;
	int version = 0;
	assert_int_equal(srv_note_doc(s, 1, "note_000000000000000000000001", &doc, &version),
	                 DICTUM_OK);
	assert_int_equal(version, 3);
	struct json_object *o = json_tokener_parse(doc), *v, *a;
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "patient_id", &v));
	assert_string_equal(json_object_get_string(v), "pat_000000000000000000000001");
	assert_true(json_object_object_get_ex(o, "specialty", &v));
	assert_null(v); /* "" is shown as null, as before */
	assert_true(json_object_object_get_ex(o, "sections", &a));
	v = json_object_object_get(json_object_array_get_idx(a, 0), "text");
	assert_string_equal(json_object_get_string(v), "Cough \"dry\"");
	assert_true(json_object_object_get_ex(o, "recordings", &a));
	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(o);
	free(doc);

	struct srv_note_filter f = {.org_id = 1, .status = -1, .after_seq = -1, .limit = 20};
	struct srv_note_docs page;
	assert_int_equal(srv_note_docs(s, &f, false, &page), DICTUM_OK);
	assert_int_equal(page.count, 1);
	assert_int_equal(page.refs[0].seq, 7);
	o = json_tokener_parse(page.json);
	assert_non_null(o);
	assert_false(json_object_object_get_ex(o, "sections", NULL));
	assert_int_equal(json_object_get_int(json_object_object_get(o, "section_count")), 1);
	json_object_put(o);
	srv_note_docs_free(&page);

	/* A change renders both again. */
	struct srv_note n;
	assert_int_equal(srv_note_get(s, 1, "note_000000000000000000000001", &n), DICTUM_OK);
	free(n.provider);
	n.provider = strdup("Dr New");
	assert_int_equal(srv_note_update(s, &n, 3), DICTUM_OK);
	srv_note_clear(&n);
	assert_int_equal(srv_note_docs(s, &f, true, &page), DICTUM_OK);
	assert_non_null(strstr(page.json, "\"provider\":\"Dr New\""));
	assert_non_null(strstr(page.json, "\"version\":4"));
	srv_note_docs_free(&page);
	assert_int_equal(srv_note_docs(s, &f, false, &page), DICTUM_OK);
	assert_non_null(strstr(page.json, "\"provider\":\"Dr New\""));
	srv_note_docs_free(&page);
	srv_store_close(&s);
	test_rmtree(dir);
	free(dir);
}

static void test_foreign_files(void **state)
{
	struct fixture *f = *state;
	char path[4300], err[512];
	srv_store *s = NULL;
	snprintf(path, sizeof(path), "%s/text.db", f->dir);
	FILE *fp = fopen(path, "w");
	fputs("this is not a database at all", fp);
	fclose(fp);
	assert_int_equal(srv_store_open(path, NULL, &s, err, sizeof(err)), DICTUM_NOTDB);
	assert_non_null(strstr(err, "not a Dictum server database"));
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_file_mode_and_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_cache_sees_revocation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note_doc_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_jobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deliveries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_files, setup, teardown),
	    cmocka_unit_test(test_schema5_backfill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
