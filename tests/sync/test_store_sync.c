/* offline/store_sync.c on a real SQLite file: applying pulled notes,
 * keeping both sides of a conflict, resolving, and never overwriting a
 * signed note. */
#include "testutil.h"

#include "core/lib.h"
#include "offline/store.h"

struct fixture {
	char *dir;
	store *s;
	int64_t encounter;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[4200], err[512];
	f->dir = test_tmpdir();
	snprintf(path, sizeof(path), "%s/dictum.db", f->dir);
	assert_int_equal(store_open(path, &f->s, err, sizeof(err)), DICTUM_OK);
	struct patient p = {.first_name = "Ada", .last_name = "Lovelace"};
	assert_int_equal(store_patient_add(f->s, &p), DICTUM_OK);
	struct encounter e = {.patient_id = p.id};
	assert_int_equal(store_encounter_add(f->s, &e), DICTUM_OK);
	f->encounter = e.id;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(&f->s);
	test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* A local note that the server has as note_...01 at server_version. */
static int64_t synced_note(struct fixture *f, const char *text, int server_version)
{
	struct note n = {.encounter_id = f->encounter, .note_type = "clinicNote"};
	assert_int_equal(note_add_section(&n, "hpi", "HPI", text), DICTUM_OK);
	assert_int_equal(store_note_save(f->s, &n, "t"), DICTUM_OK);
	struct outbox_row row;
	assert_int_equal(store_outbox_next(f->s, INT64_MAX, &row), DICTUM_OK);
	assert_int_equal(
	    store_outbox_done(f->s, row.id, "note_000000000000000000000001", server_version),
	    DICTUM_OK);
	outbox_row_clear(&row);
	int64_t id = n.id;
	n.note_type = NULL;
	note_clear(&n);
	return id;
}

static char *server_note(int version, const char *status, const char *text)
{
	char *s = malloc(512);
	snprintf(s, 512,
	         "{\"id\":\"note_000000000000000000000001\",\"noteType\":\"clinicNote\","
	         "\"patient_id\":\"pat_00000000000000000000000a\",\"external_id\":null,"
	         "\"status\":\"%s\",\"version\":%d,\"sections\":[{\"key\":\"hpi\",\"title\":"
	         "\"HPI\",\"text\":\"%s\"}]}",
	         status, version, text);
	return s;
}

static const char *first_text(store *s, int64_t id, struct note *n)
{
	assert_int_equal(store_note_get(s, id, n), DICTUM_OK);
	assert_true(n->nsections > 0);
	return n->sections[0].text;
}

static void apply_outcomes(void **state)
{
	struct fixture *f = *state;
	int64_t id = synced_note(f, "local v1", 1);
	enum store_apply_outcome how;
	struct note n;
	char *j = server_note(1, "draft", "same");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_SKIPPED);
	free(j);
	j = server_note(2, "draft", "server v2");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_UPDATED);
	assert_string_equal(first_text(f->s, id, &n), "server v2");
	assert_int_equal(n.server_version, 2);
	assert_int_equal(n.sync, SYNC_SYNCED);
	note_clear(&n);
	free(j);
	/* a note made elsewhere: stored with a patient and encounter */
	j = server_note(1, "signed", "elsewhere");
	memcpy(j + 7, "note_0000000000000000000000ff", 29);
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_INSERTED);
	struct note_summary *list = NULL;
	size_t count = 0;
	assert_int_equal(store_note_list(f->s, NULL, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2);
	note_summaries_free(&list, count);
	free(j);
	size_t outbox = 9;
	assert_int_equal(store_outbox_count(f->s, &outbox), DICTUM_OK);
	assert_int_equal(outbox, 0); /* applying never queues anything */
	assert_int_equal(store_sync_apply(f->s, "{\"id\":1}", &how), DICTUM_INVAL);
	/* a list summary (no sections) never replaces a note's text */
	assert_int_equal(store_sync_apply(f->s,
	                                  "{\"id\":\"note_0000000000000000000000ff\",\"version\":"
	                                  "9,\"status\":\"signed\",\"section_count\":1}",
	                                  &how),
	                 DICTUM_INVAL);
	assert_int_equal(store_note_list(f->s, NULL, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2);
	note_summaries_free(&list, count);
}

static void local_changes_and_signed_notes_kept(void **state)
{
	struct fixture *f = *state;
	int64_t id = synced_note(f, "local v1", 1);
	struct note n;
	first_text(f->s, id, &n);
	free(n.sections[0].text);
	n.sections[0].text = strdup("unsent edit");
	assert_int_equal(store_note_save(f->s, &n, "t"), DICTUM_OK);
	note_clear(&n);
	enum store_apply_outcome how;
	char *j = server_note(2, "draft", "server v2");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_KEPT);
	assert_string_equal(first_text(f->s, id, &n), "unsent edit");
	note_clear(&n);
	free(j);
}

static void conflict_keep_local_and_server(void **state)
{
	struct fixture *f = *state;
	int64_t id = synced_note(f, "local v1", 1);
	struct note n;
	first_text(f->s, id, &n);
	free(n.sections[0].text);
	n.sections[0].text = strdup("mine");
	assert_int_equal(store_note_save(f->s, &n, "t"), DICTUM_OK);
	note_clear(&n);
	char *j = server_note(3, "draft", "theirs");
	assert_int_equal(store_sync_conflict_add(f->s, id, j), DICTUM_OK);
	struct store_sync_counts c;
	assert_int_equal(store_sync_counts(f->s, &c), DICTUM_OK);
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(c.conflict, 1);
	assert_int_equal(c.outbox, 0);
	assert_string_equal(first_text(f->s, id, &n), "mine");
	note_clear(&n);
	struct store_conflict *list = NULL;
	size_t count = 0;
	assert_int_equal(store_sync_conflict_list(f->s, &list, &count), DICTUM_OK);
	assert_int_equal(count, 1);
	assert_int_equal(list[0].server_version, 3);
	assert_non_null(strstr(list[0].server_note, "theirs"));
	int64_t cid = list[0].id;
	store_conflicts_free(&list, count);
	/* keep local: an update queued on top of the server's version 3 */
	assert_int_equal(store_sync_conflict_resolve(f->s, cid, STORE_KEEP_LOCAL, "t"), DICTUM_OK);
	struct store_sync_ref ref;
	assert_int_equal(store_sync_ref_get(f->s, id, &ref), DICTUM_OK);
	assert_int_equal(ref.server_version, 3);
	assert_int_equal(ref.sync, SYNC_QUEUED);
	store_sync_ref_clear(&ref);
	assert_int_equal(store_sync_counts(f->s, &c), DICTUM_OK);
	assert_int_equal(c.outbox, 1);
	assert_int_equal(c.conflicts, 0);
	assert_int_equal(store_sync_conflict_resolve(f->s, cid, STORE_KEEP_LOCAL, "t"),
	                 DICTUM_NOTFOUND);
	/* again, and this time keep the server's copy */
	free(j);
	j = server_note(4, "draft", "theirs again");
	assert_int_equal(store_sync_conflict_add(f->s, id, j), DICTUM_OK);
	assert_int_equal(store_sync_conflict_list(f->s, &list, &count), DICTUM_OK);
	cid = list[0].id;
	store_conflicts_free(&list, count);
	assert_int_equal(store_sync_conflict_resolve(f->s, cid, STORE_KEEP_SERVER, "t"), DICTUM_OK);
	assert_string_equal(first_text(f->s, id, &n), "theirs again");
	assert_int_equal(n.sync, SYNC_SYNCED);
	assert_int_equal(n.server_version, 4);
	note_clear(&n);
	assert_int_equal(store_sync_counts(f->s, &c), DICTUM_OK);
	assert_int_equal(c.outbox, 0);
	free(j);
}

static void sign_here(struct fixture *f, int64_t id)
{
	struct note n;
	first_text(f->s, id, &n);
	assert_int_equal(store_note_sign(f->s, id, n.version, "dr"), DICTUM_OK);
	note_clear(&n);
}

static void signed_never_overwritten(void **state)
{
	struct fixture *f = *state;
	int64_t id = synced_note(f, "signed text", 1);
	sign_here(f, id);
	struct note n;
	enum store_apply_outcome how;
	char *j = server_note(5, "draft", "server edit");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_KEPT);
	assert_int_equal(store_sync_conflict_add(f->s, id, j), DICTUM_OK);
	struct store_conflict *list = NULL;
	size_t count = 0;
	assert_int_equal(store_sync_conflict_list(f->s, &list, &count), DICTUM_OK);
	int64_t cid = list[0].id;
	store_conflicts_free(&list, count);
	assert_int_equal(store_sync_conflict_resolve(f->s, cid, STORE_KEEP_SERVER, "t"),
	                 DICTUM_READONLY);
	assert_string_equal(first_text(f->s, id, &n), "signed text");
	assert_int_equal(n.status, NOTE_SIGNED);
	note_clear(&n);
	free(j);
	/* and a server copy that is signed cannot be pushed over */
	int64_t other = synced_note(f, "draft here", 1);
	j = server_note(2, "signed", "signed there");
	assert_int_equal(store_sync_conflict_add(f->s, other, j), DICTUM_OK);
	assert_int_equal(store_sync_conflict_list(f->s, &list, &count), DICTUM_OK);
	assert_int_equal(count, 2);
	cid = list[1].id;
	store_conflicts_free(&list, count);
	assert_int_equal(store_sync_conflict_resolve(f->s, cid, STORE_KEEP_LOCAL, "t"),
	                 DICTUM_READONLY);
	free(j);
}

/* A signed, synced note takes the server's newer signed copy (an addendum
 * made elsewhere) but never a draft. */
static void signed_synced_takes_addenda(void **state)
{
	struct fixture *f = *state;
	int64_t id = synced_note(f, "signed text", 1);
	sign_here(f, id);
	struct note n;
	struct outbox_row row;
	assert_int_equal(store_outbox_next(f->s, INT64_MAX, &row), DICTUM_OK);
	assert_string_equal(row.operation, "sign");
	assert_int_equal(store_outbox_done(f->s, row.id, "note_000000000000000000000001", 2),
	                 DICTUM_OK);
	outbox_row_clear(&row);
	enum store_apply_outcome how;
	char *j = server_note(3, "draft", "a draft over a signed note");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_KEPT);
	free(j);
	j = server_note(3, "signed", "signed text plus an addendum");
	assert_int_equal(store_sync_apply(f->s, j, &how), DICTUM_OK);
	assert_int_equal(how, STORE_APPLY_UPDATED);
	assert_string_equal(first_text(f->s, id, &n), "signed text plus an addendum");
	assert_int_equal(n.status, NOTE_SIGNED);
	assert_int_equal(n.version, 3);
	note_clear(&n);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(apply_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(local_changes_and_signed_notes_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(conflict_keep_local_and_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(signed_never_overwritten, setup, teardown),
	    cmocka_unit_test_setup_teardown(signed_synced_takes_addenda, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
