/* The offline store's typed API on real SQLite files. */
#include "testutil.h"

#include "core/lib.h"
#include "offline/store.h"

#include <sqlite3.h>

struct fixture {
	char *dir;
	char path[4200];
	store *s;
	int64_t patient, encounter;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = test_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/dictum.db", f->dir);
	char err[512];
	assert_int_equal(store_open(f->path, &f->s, err, sizeof(err)), DICTUM_OK);
	struct patient p = {.first_name = xstrdup("Grace"), .last_name = xstrdup("Hopper")};
	assert_int_equal(store_patient_add(f->s, &p), DICTUM_OK);
	f->patient = p.id;
	patient_clear(&p);
	struct encounter e = {.patient_id = f->patient, .note_type = xstrdup("clinicNote")};
	assert_int_equal(store_encounter_add(f->s, &e), DICTUM_OK);
	f->encounter = e.id;
	encounter_clear(&e);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(&f->s);
	assert_null(f->s);
	test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void make_note(struct fixture *f, struct note *n, const char *cc, const char *plan)
{
	memset(n, 0, sizeof(*n));
	n->encounter_id = f->encounter;
	n->note_type = xstrdup("clinicNote");
	assert_int_equal(note_add_section(n, "cc", "Chief Complaint", cc), DICTUM_OK);
	assert_int_equal(note_add_section(n, "plan", "Assessment and Plan", plan), DICTUM_OK);
}

/* A raw look at the file, as a second connection would see it. */
static int64_t scalar(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_open_sets_up_schema(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scalar(f, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(scalar(f, "SELECT count(*) FROM pragma_journal_mode WHERE "
	                           "journal_mode = 'wal'"),
	                 1);
	assert_int_equal(scalar(f, "PRAGMA application_id"), 0x44494354);
	/* Opening again runs no migration and keeps the data. */
	store *again = NULL;
	char err[512];
	assert_int_equal(store_open(f->path, &again, err, sizeof(err)), DICTUM_OK);
	struct patient p = {0};
	assert_int_equal(store_patient_get(again, f->patient, &p), DICTUM_OK);
	assert_string_equal(p.last_name, "Hopper");
	patient_clear(&p);
	store_close(&again);
}

static void test_note_roundtrip_and_versions(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Cough for three days.", "Supportive care.");
	assert_int_equal(store_note_save(f->s, &n, "dr_a"), DICTUM_OK);
	assert_true(n.id > 0);
	assert_int_equal(n.version, 1);
	assert_memory_equal(n.uid, "note_", 5);

	struct note got = {0};
	assert_int_equal(store_note_get(f->s, n.id, &got), DICTUM_OK);
	assert_int_equal(got.nsections, 2);
	assert_string_equal(got.sections[0].key, "cc");
	assert_string_equal(got.sections[1].text, "Supportive care.");
	assert_int_equal(got.status, NOTE_DRAFT);
	assert_int_equal(got.sync, SYNC_QUEUED);

	/* Edit the plan: version 2, one version row naming what changed. */
	free(got.sections[1].text);
	got.sections[1].text = xstrdup("Supportive care. Return if fever.");
	assert_int_equal(store_note_save(f->s, &got, "dr_b"), DICTUM_OK);
	assert_int_equal(got.version, 2);

	/* Saving the same content again writes nothing. */
	assert_int_equal(store_note_save(f->s, &got, "dr_b"), DICTUM_OK);
	assert_int_equal(got.version, 2);

	struct note_version_info *v = NULL;
	size_t nv = 0;
	assert_int_equal(store_note_versions(f->s, n.id, &v, &nv), DICTUM_OK);
	assert_int_equal(nv, 2);
	assert_string_equal(v[0].author, "dr_a");
	assert_string_equal(v[1].author, "dr_b");
	assert_string_equal(v[1].changed, "[\"plan\"]");
	note_versions_free(&v, nv);
	assert_null(v);
	/* Every version keeps its full text. */
	assert_int_equal(scalar(f, "SELECT count(*) FROM note_versions WHERE sections LIKE "
	                           "'%Return if fever%'"),
	                 1);
	note_clear(&got);
	note_clear(&n);
}

static void test_stale_edit_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	struct note a, b = {0};
	make_note(f, &a, "Headache.", "Rest.");
	assert_int_equal(store_note_save(f->s, &a, "x"), DICTUM_OK);
	assert_int_equal(store_note_get(f->s, a.id, &b), DICTUM_OK);

	free(a.sections[1].text);
	a.sections[1].text = xstrdup("Rest and fluids.");
	assert_int_equal(store_note_save(f->s, &a, "x"), DICTUM_OK);

	free(b.sections[1].text);
	b.sections[1].text = xstrdup("Imaging.");
	assert_int_equal(store_note_save(f->s, &b, "y"), DICTUM_CONFLICT);
	assert_non_null(strstr(store_errmsg(f->s), "changed elsewhere"));
	assert_int_equal(b.version, 1); /* the caller keeps its edit and its base */

	struct note now = {0};
	assert_int_equal(store_note_get(f->s, a.id, &now), DICTUM_OK);
	assert_string_equal(now.sections[1].text, "Rest and fluids.");
	note_clear(&now);
	note_clear(&a);
	note_clear(&b);
}

static void test_signed_note_is_read_only(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Rash.", "Topical steroid.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	assert_int_equal(store_note_sign(f->s, n.id, 0, "dr"), DICTUM_CONFLICT);
	assert_int_equal(store_note_sign(f->s, n.id, 1, "dr"), DICTUM_OK);
	assert_int_equal(store_note_sign(f->s, n.id, 2, "dr"), DICTUM_READONLY);

	struct note got = {0};
	assert_int_equal(store_note_get(f->s, n.id, &got), DICTUM_OK);
	assert_int_equal(got.status, NOTE_SIGNED);
	assert_string_equal(got.signed_by, "dr");
	free(got.sections[0].text);
	got.sections[0].text = xstrdup("Changed after signing.");
	assert_int_equal(store_note_save(f->s, &got, "x"), DICTUM_READONLY);
	struct encounter e = {0};
	assert_int_equal(store_encounter_get(f->s, f->encounter, &e), DICTUM_OK);
	assert_int_equal(e.status, ENCOUNTER_SIGNED);
	encounter_clear(&e);
	note_clear(&got);
	note_clear(&n);
}

/* Each encounter says where its recordings are transcribed and drafted. */
static void test_encounter_engine(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Cough.", "Rest.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	char engine[8] = "";
	assert_int_equal(store_encounter_engine(f->s, n.encounter_id, engine), DICTUM_OK);
	assert_string_equal(engine, "local");
	assert_int_equal(store_encounter_set_engine(f->s, n.encounter_id, "cloud"), DICTUM_INVAL);
	assert_int_equal(store_encounter_set_engine(f->s, 9999, "server"), DICTUM_NOTFOUND);
	assert_int_equal(store_encounter_set_engine(f->s, n.encounter_id, "server"), DICTUM_OK);
	assert_int_equal(store_encounter_engine(f->s, n.encounter_id, engine), DICTUM_OK);
	assert_string_equal(engine, "server");
	struct recording r = {
	    .encounter_id = n.encounter_id, .path = "/tmp/x.wav", .sample_rate = 16000};
	assert_int_equal(store_recording_begin(f->s, &r), DICTUM_OK);
	struct recording *list = NULL;
	size_t count = 0;
	assert_int_equal(store_recordings_untranscribed(f->s, "server", &list, &count), DICTUM_OK);
	assert_int_equal(count, 0); /* still recording */
	assert_int_equal(store_recording_finish(f->s, r.id, 1000, NULL, RECORDING_COMPLETE),
	                 DICTUM_OK);
	assert_int_equal(store_recordings_untranscribed(f->s, "server", &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	recordings_free(&list, count);
	assert_int_equal(store_recordings_untranscribed(f->s, "local", &list, &count), DICTUM_OK);
	assert_int_equal(count, 0);
	int64_t tid = 0, notes = 0;
	assert_int_equal(
	    store_transcript_add(f->s, n.encounter_id, r.id, "server", "Cough.", NULL, &tid),
	    DICTUM_OK);
	assert_int_equal(store_recordings_untranscribed(f->s, "server", &list, &count), DICTUM_OK);
	assert_int_equal(count, 0);
	assert_int_equal(store_encounter_note_count(f->s, n.encounter_id, &notes), DICTUM_OK);
	assert_int_equal(notes, 1);
	note_clear(&n);
}

static void test_addendum_keeps_signed_text(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Ankle sprain.", "RICE, ibuprofen 400 mg.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	assert_int_equal(store_note_addendum(f->s, n.id, 1, "dr", "Too early."), DICTUM_INVAL);
	assert_int_equal(store_note_sign(f->s, n.id, 1, "dr"), DICTUM_OK);
	assert_int_equal(store_note_addendum(f->s, n.id, 1, "dr", "Stale."), DICTUM_CONFLICT);
	assert_int_equal(store_note_addendum(f->s, n.id, 2, "dr", ""), DICTUM_INVAL);
	assert_int_equal(store_note_addendum(f->s, n.id, 2, "dr", "X-ray reviewed: no fracture."),
	                 DICTUM_OK);
	struct note got = {0};
	assert_int_equal(store_note_get(f->s, n.id, &got), DICTUM_OK);
	assert_int_equal(got.version, 3);
	assert_int_equal(got.status, NOTE_SIGNED);
	assert_int_equal(got.nsections, 3);
	assert_string_equal(got.sections[1].text, "RICE, ibuprofen 400 mg.");
	assert_string_equal(got.sections[2].key, "addendum_3");
	assert_non_null(strstr(got.sections[2].title, "Addendum ("));
	assert_non_null(strstr(got.sections[2].title, ", dr)"));
	assert_string_equal(got.sections[2].text, "X-ray reviewed: no fracture.");
	note_clear(&got);
	/* The outbox has create, sign, then the addendum as its own operation. */
	struct outbox_row row = {0};
	int64_t last = 0;
	while (store_outbox_next(f->s, time_wall_ms(), &row) == DICTUM_OK) {
		last = row.id;
		if (strcmp(row.operation, "addendum") == 0)
			break;
		assert_int_equal(store_outbox_done(f->s, row.id, "note_1", 1), DICTUM_OK);
		outbox_row_clear(&row);
	}
	assert_true(last > 0);
	assert_string_equal(row.operation, "addendum");
	assert_non_null(strstr(row.payload, "\"key\":\"addendum_3\""));
	outbox_row_clear(&row);
	struct note_summary *list = NULL;
	size_t count = 0;
	assert_int_equal(store_note_search(f->s, "fracture", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	note_summaries_free(&list, count);
	struct store_check_result r;
	assert_int_equal(store_check(f->s, &r), DICTUM_OK);
	assert_true(r.ok);
	note_clear(&n);
}

static void test_list_pages_newest_first(void **state)
{
	struct fixture *f = *state;
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		struct note n;
		char cc[32];
		snprintf(cc, sizeof(cc), "Complaint %d", i);
		make_note(f, &n, cc, "Plan");
		assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
		ids[i] = n.id;
		note_clear(&n);
	}
	struct note_summary *list = NULL;
	size_t count = 0;
	struct note_filter filter = {.limit = 3, .status = -1};
	assert_int_equal(store_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 3);
	assert_int_equal(list[0].id, ids[4]);
	assert_int_equal(list[2].id, ids[2]);
	assert_string_equal(list[0].patient_name, "Hopper, Grace");
	filter.before_id = list[2].id;
	note_summaries_free(&list, count);
	assert_int_equal(store_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2);
	assert_int_equal(list[0].id, ids[1]);
	assert_int_equal(list[1].id, ids[0]);
	note_summaries_free(&list, count);

	filter = (struct note_filter){.note_type = "handoff", .status = -1};
	assert_int_equal(store_note_list(f->s, &filter, &list, &count), DICTUM_OK);
	assert_int_equal(count, 0);
	note_summaries_free(&list, count);
}

static void test_search_follows_edits(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Shortness of breath on exertion.", "Echocardiogram.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);

	struct note_summary *list = NULL;
	size_t count = 0;
	assert_int_equal(store_note_search(f->s, "echocardiogram", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	assert_non_null(strstr(list[0].snippet, "[Echocardiogram]"));
	note_summaries_free(&list, count);

	/* Prefix search and stemming. */
	assert_int_equal(store_note_search(f->s, "echocard*", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	note_summaries_free(&list, count);
	assert_int_equal(store_note_search(f->s, "breathing", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	note_summaries_free(&list, count);

	/* After an edit the old word is gone from the index, the new one found. */
	free(n.sections[1].text);
	n.sections[1].text = xstrdup("Stress test.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	assert_int_equal(store_note_search(f->s, "echocardiogram", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 0);
	note_summaries_free(&list, count);
	assert_int_equal(store_note_search(f->s, "stress", 10, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	note_summaries_free(&list, count);

	/* Search syntax never reaches SQLite as syntax. */
	const char *odd[] = {"\"", "AND OR NOT", "a:b", "NEAR(x y)", "(((", "stress\" OR \"x", "-"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		int rc = store_note_search(f->s, odd[i], 10, &list, &count);
		assert_true(rc == DICTUM_OK || rc == DICTUM_INVAL);
		note_summaries_free(&list, count);
	}
	assert_int_equal(store_note_search(f->s, "  ", 10, &list, &count), DICTUM_INVAL);
	note_clear(&n);

	struct store_check_result r;
	assert_int_equal(store_check(f->s, &r), DICTUM_OK);
	assert_true(r.ok);
	assert_string_equal(r.integrity, "ok");
	assert_int_equal(r.notes, 1);
}

static void test_outbox_in_order(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Fever.", "Fluids.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	free(n.sections[1].text);
	n.sections[1].text = xstrdup("Fluids and rest.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	size_t queued = 0;
	assert_int_equal(store_outbox_count(f->s, &queued), DICTUM_OK);
	assert_int_equal(queued, 2);

	struct outbox_row r = {0};
	assert_int_equal(store_outbox_next(f->s, time_wall_ms(), &r), DICTUM_OK);
	assert_string_equal(r.operation, "create");
	assert_int_equal(strlen(r.idempotency_key), 32);
	assert_non_null(strstr(r.payload, "\"noteType\":\"clinicNote\""));
	assert_non_null(strstr(r.payload, "\"text\":\"Fever.\""));
	int64_t first = r.id;
	/* A failed push waits; the update behind it must not overtake it. */
	assert_int_equal(store_outbox_retry(f->s, first, time_wall_ms() + 60000, "timeout"),
	                 DICTUM_OK);
	outbox_row_clear(&r);
	assert_int_equal(store_outbox_next(f->s, time_wall_ms(), &r), DICTUM_NOTFOUND);
	assert_int_equal(store_outbox_next(f->s, time_wall_ms() + 61000, &r), DICTUM_OK);
	assert_int_equal(r.id, first);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.last_error, "timeout");
	outbox_row_clear(&r);

	assert_int_equal(store_outbox_done(f->s, first, "srv_1", 1), DICTUM_OK);
	struct note got = {0};
	assert_int_equal(store_note_get(f->s, n.id, &got), DICTUM_OK);
	assert_int_equal(got.sync, SYNC_QUEUED); /* the update is still queued */
	note_clear(&got);
	assert_int_equal(store_outbox_next(f->s, time_wall_ms() + 61000, &r), DICTUM_OK);
	assert_string_equal(r.operation, "update");
	assert_non_null(strstr(r.payload, "\"baseVersion\":1"));
	assert_int_equal(store_outbox_done(f->s, r.id, NULL, 2), DICTUM_OK);
	outbox_row_clear(&r);
	assert_int_equal(store_note_get(f->s, n.id, &got), DICTUM_OK);
	assert_int_equal(got.sync, SYNC_SYNCED);
	assert_string_equal(got.server_id, "srv_1");
	assert_int_equal(got.server_version, 2);
	note_clear(&got);
	note_clear(&n);
}

static void test_codes_keep_decisions(void **state)
{
	struct fixture *f = *state;
	struct note n;
	make_note(f, &n, "Hypertension.", "Lisinopril.");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	struct note_code sugg[] = {
	    {"icd10", "I10", "Essential (primary) hypertension", "Hypertension", 0, 12, 0.9,
	     CODE_SUGGESTED},
	    {"icd10", "R51.9", "Headache, unspecified", "headache", 20, 28, 0.4, CODE_SUGGESTED},
	};
	assert_int_equal(store_note_codes_suggest(f->s, n.id, sugg, 2), DICTUM_OK);
	struct note_code accept = {"icd10", "I10", NULL, NULL, -1, -1, 0, CODE_ACCEPTED};
	assert_int_equal(store_note_code_set(f->s, n.id, &accept), DICTUM_OK);
	/* New suggestions replace the old ones but never the clinician's choice. */
	assert_int_equal(store_note_codes_suggest(f->s, n.id, sugg, 1), DICTUM_OK);
	struct note_code *list = NULL;
	size_t count = 0;
	assert_int_equal(store_note_codes_list(f->s, n.id, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	assert_string_equal(list[0].code, "I10");
	assert_int_equal(list[0].status, CODE_ACCEPTED);
	assert_string_equal(list[0].evidence, "Hypertension");
	assert_int_equal(list[0].span_end, 12);
	note_codes_free(&list, count);

	struct note_code bad = {"snomed", "1", NULL, NULL, -1, -1, 0, CODE_ACCEPTED};
	assert_int_equal(store_note_code_set(f->s, n.id, &bad), DICTUM_INVAL);

	assert_int_equal(store_billing_save(f->s, n.id, 1, "99213", "{\"em\":\"99213\"}"),
	                 DICTUM_OK);
	char *json = NULL;
	int version = 0;
	assert_int_equal(store_billing_get(f->s, n.id, &version, &json), DICTUM_OK);
	assert_string_equal(json, "{\"em\":\"99213\"}");
	assert_int_equal(version, 1);
	free(json);
	assert_int_equal(store_billing_save(f->s, n.id, 1, "x", "not json"), DICTUM_INVAL);
	note_clear(&n);
}

static void test_recordings_and_transcripts(void **state)
{
	struct fixture *f = *state;
	struct recording r = {
	    .encounter_id = f->encounter, .path = "/data/rec1.wav", .sample_rate = 16000};
	assert_int_equal(store_recording_begin(f->s, &r), DICTUM_OK);
	struct recording r2 = {.path = "/data/rec2.wav", .sample_rate = 16000};
	assert_int_equal(store_recording_begin(f->s, &r2), DICTUM_OK);
	assert_int_equal(store_recording_finish(f->s, r2.id, 5000, "ab", RECORDING_COMPLETE),
	                 DICTUM_OK);
	struct recording *list = NULL;
	size_t count = 0;
	assert_int_equal(store_recording_list(f->s, RECORDING_RECORDING, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	assert_string_equal(list[0].path, "/data/rec1.wav");
	recordings_free(&list, count);
	assert_int_equal(store_recording_finish(f->s, 999, 1, NULL, RECORDING_RECOVERED),
	                 DICTUM_NOTFOUND);

	int64_t tid = 0;
	assert_int_equal(store_transcript_add(f->s, f->encounter, r.id, "sphinx",
	                                      "patient reports palpitations",
	                                      "[{\"start\":0,\"end\":1.5}]", &tid),
	                 DICTUM_OK);
	char *text = NULL, *segs = NULL;
	assert_int_equal(store_transcript_get(f->s, tid, &text, &segs), DICTUM_OK);
	assert_string_equal(text, "patient reports palpitations");
	assert_string_equal(segs, "[{\"start\":0,\"end\":1.5}]");
	free(text);
	free(segs);
	assert_int_equal(scalar(f, "SELECT count(*) FROM transcripts_fts WHERE transcripts_fts "
	                           "MATCH 'palpitations'"),
	                 1);
	assert_int_equal(store_transcript_add(f->s, 0, 0, "x", "t", "{broken", NULL), DICTUM_INVAL);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct patient p = {.first_name = xstrdup("Only")};
	assert_int_equal(store_patient_add(f->s, &p), DICTUM_INVAL);
	patient_clear(&p);
	struct encounter e = {.patient_id = 424242};
	assert_int_equal(store_encounter_add(f->s, &e), DICTUM_NOTFOUND);
	struct note n = {.encounter_id = 424242, .note_type = xstrdup("clinicNote")};
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_NOTFOUND);
	assert_int_equal(n.id, 0);
	note_clear(&n);
	struct note got = {0};
	assert_int_equal(store_note_get(f->s, 12345, &got), DICTUM_NOTFOUND);
	char *v = NULL;
	assert_int_equal(store_meta_get(f->s, "absent", &v), DICTUM_NOTFOUND);
	assert_int_equal(store_meta_set(f->s, "sync_cursor", "abc"), DICTUM_OK);
	assert_int_equal(store_meta_get(f->s, "sync_cursor", &v), DICTUM_OK);
	assert_string_equal(v, "abc");
	free(v);
	/* Nothing half-written: the failed saves left no rows. */
	assert_int_equal(scalar(f, "SELECT count(*) FROM notes"), 0);
	assert_int_equal(scalar(f, "SELECT count(*) FROM outbox"), 0);
}

static void test_transaction_groups_writes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(store_begin(f->s), DICTUM_OK);
	struct note n;
	make_note(f, &n, "A", "B");
	assert_int_equal(store_note_save(f->s, &n, "x"), DICTUM_OK);
	assert_int_equal(store_rollback(f->s), DICTUM_OK);
	assert_int_equal(scalar(f, "SELECT count(*) FROM notes"), 0);
	note_clear(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_sets_up_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_note_roundtrip_and_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_edit_is_a_conflict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signed_note_is_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_encounter_engine, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_addendum_keeps_signed_text, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_pages_newest_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search_follows_edits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outbox_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_codes_keep_decisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recordings_and_transcripts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transaction_groups_writes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
