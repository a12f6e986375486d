/* The workstation's store thread on a real store: results arrive through
 * the wake pipe, and a burst of requests leaves only the newest. */
#include "testutil.h"

#include "core/lib.h"
#include "offline/store.h"
#include "offline/store_icd10.h"
#include "ui/worker.h"

#include <poll.h>

static void wait_result(struct ui_worker *w, int fd, struct ui_result *r)
{
	for (int i = 0; i < 100; i++) {
		if (ui_worker_take(w, r))
			return;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		poll(&p, 1, 100);
		ui_worker_drain(w);
	}
	fail_msg("no result from the worker within 10 s");
}

/* A note of one section for a new encounter of patient; returns its id. */
static int64_t add_note(store *s, int64_t patient, const char *type, const char *title,
                        const char *text)
{
	struct encounter e = {.patient_id = patient};
	assert_int_equal(store_encounter_add(s, &e), DICTUM_OK);
	struct note n = {.encounter_id = e.id, .note_type = xstrdup(type)};
	note_add_section(&n, "s", title, text);
	assert_int_equal(store_note_save(s, &n, "t"), DICTUM_OK);
	int64_t id = n.id;
	note_clear(&n);
	encounter_clear(&e);
	return id;
}

static void test_worker_lists_searches_and_opens(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	struct patient p = {.first_name = xstrdup("Mary"), .last_name = xstrdup("Seacole")};
	assert_int_equal(store_patient_add(s, &p), DICTUM_OK);
	int64_t last_id = 0;
	for (int i = 0; i < 3; i++)
		last_id = add_note(s, p.id, "progressNote", "Subjective",
		                   i == 2 ? "Fever and rigors." : "Stable.");
	patient_clear(&p);
	store_close(&s);

	struct ui_worker *w = NULL;
	int fd = -1;
	assert_int_equal(ui_worker_start(&w, path, &fd), DICTUM_OK);
	assert_true(fd >= 0);
	struct ui_request req = {.kind = UI_JOB_LIST};
	ui_worker_submit(w, &req);
	struct ui_result r;
	wait_result(w, fd, &r);
	assert_int_equal(r.status, DICTUM_OK);
	assert_int_equal(r.kind, UI_JOB_LIST);
	assert_int_equal(r.count, 3);
	ui_result_clear(&r);

	/* A burst of searches: the last one is answered (maybe an earlier one too,
	 * if the thread was quick), and nothing is lost or leaked. */
	const char *burst[] = {"stable", "fev", "rigors"};
	for (size_t i = 0; i < 3; i++) {
		str_copy(req.query, burst[i], sizeof(req.query));
		ui_worker_submit(w, &req);
	}
	bool answered_last = false;
	for (int i = 0; i < 3 && !answered_last; i++) {
		wait_result(w, fd, &r);
		if (strcmp(r.query, "rigors") == 0) {
			answered_last = true;
			assert_int_equal(r.count, 1);
			assert_non_null(strstr(r.notes[0].snippet, "[rigors]"));
		}
		ui_result_clear(&r);
	}
	assert_true(answered_last);

	struct ui_request open = {.kind = UI_JOB_OPEN, .note_id = last_id};
	ui_worker_submit(w, &open);
	wait_result(w, fd, &r);
	assert_int_equal(r.kind, UI_JOB_OPEN);
	assert_int_equal(r.status, DICTUM_OK);
	assert_string_equal(r.note.sections[0].text, "Fever and rigors.");
	assert_string_equal(r.patient, "Seacole, Mary");
	ui_result_clear(&r);

	open.note_id = 999;
	ui_worker_submit(w, &open);
	wait_result(w, fd, &r);
	assert_int_equal(r.status, DICTUM_NOTFOUND);
	assert_non_null(strstr(r.error, "999"));
	ui_result_clear(&r);

	/* Stopping with a request queued is clean. */
	ui_worker_submit(w, &req);
	ui_worker_stop(&w);
	assert_null(w);
	test_rmtree(dir);
	free(dir);
}

static const struct note_code *find_code(const struct ui_result *r, const char *code)
{
	for (size_t i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i].code, code) == 0)
			return &r->codes[i];
	return NULL;
}

/* Codes and billing on the store thread: suggestions saved with the note,
 * a rejected code leaves the billing, a code added from the table joins it. */
static void test_worker_codes_and_billing(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	struct patient p = {.first_name = xstrdup("Ada"), .last_name = xstrdup("Byron")};
	assert_int_equal(store_patient_add(s, &p), DICTUM_OK);
	int64_t id = add_note(s, p.id, "clinicNote", "Assessment and Plan",
	                      "Type 2 diabetes with diabetic chronic kidney disease stage 3. "
	                      "Continue metformin 500 mg twice daily.");
	patient_clear(&p);
	store_close(&s);

	struct ui_worker *w = NULL;
	int fd = -1;
	assert_int_equal(ui_worker_start(&w, path, &fd), DICTUM_OK);
	struct ui_request req = {.kind = UI_JOB_CODES, .note_id = id};
	ui_worker_submit(w, &req);
	struct ui_result r;
	wait_result(w, fd, &r);
	assert_int_equal(r.kind, UI_JOB_CODES);
	assert_int_equal(r.status, DICTUM_OK);
	assert_int_equal(r.note_id, id);
	const struct note_code *c = find_code(&r, "E11.22");
	assert_non_null(c);
	assert_int_equal(c->status, CODE_SUGGESTED);
	assert_non_null(strstr(c->evidence, "diabetic chronic kidney disease"));
	assert_non_null(strstr(r.billing, "HCC 37 "));
	assert_non_null(strstr(r.billing, "MDM "));
	ui_result_clear(&r);

	struct ui_request set = {.kind = UI_JOB_CODE_SET, .note_id = id};
	set.code = (struct note_code){.system = "icd10",
	                              .code = xstrdup("E11.22"),
	                              .name = xstrdup("Type 2 diabetes mellitus with CKD"),
	                              .evidence = xstrdup("type 2 diabetes"),
	                              .span_start = -1,
	                              .span_end = -1,
	                              .score = 1,
	                              .status = CODE_REJECTED};
	ui_worker_submit(w, &set);
	assert_null(set.code.code);
	wait_result(w, fd, &r);
	assert_int_equal(r.kind, UI_JOB_CODE_SET);
	assert_int_equal(r.status, DICTUM_OK);
	assert_int_equal(find_code(&r, "E11.22")->status, CODE_REJECTED);
	assert_null(strstr(r.billing, "HCC 37 "));
	ui_result_clear(&r);

	set.code =
	    (struct note_code){.system = "icd10",
	                       .code = xstrdup("E66.01"),
	                       .name = xstrdup("Morbid (severe) obesity due to excess calories"),
	                       .evidence = xstrdup(""),
	                       .span_start = -1,
	                       .span_end = -1,
	                       .score = 1,
	                       .status = CODE_ACCEPTED};
	ui_worker_submit(w, &set);
	wait_result(w, fd, &r);
	assert_int_equal(r.status, DICTUM_OK);
	assert_int_equal(find_code(&r, "E66.01")->status, CODE_ACCEPTED);
	assert_non_null(strstr(r.billing, "HCC 48 "));
	ui_result_clear(&r);

	/* Recomputed (as after an edit): the decisions stay. */
	ui_worker_submit(w, &req);
	wait_result(w, fd, &r);
	assert_int_equal(find_code(&r, "E11.22")->status, CODE_REJECTED);
	assert_int_equal(find_code(&r, "E66.01")->status, CODE_ACCEPTED);
	ui_result_clear(&r);

	struct ui_request search = {.kind = UI_JOB_CODE_SEARCH};
	str_copy(search.query, "morbid obesity", sizeof(search.query));
	ui_worker_submit(w, &search);
	wait_result(w, fd, &r);
	assert_int_equal(r.kind, UI_JOB_CODE_SEARCH);
	assert_int_equal(r.status, DICTUM_OK);
	bool found = false;
	for (size_t i = 0; i < r.nrows; i++)
		found = found || strcmp(r.rows[i].code, "E6601") == 0;
	assert_true(found);
	ui_result_clear(&r);

	/* Faithfulness: no transcript, nothing flagged; with one, the note's
	 * numbers and drugs it lacks. */
	struct ui_request flags = {.kind = UI_JOB_FLAGS, .note_id = id};
	ui_worker_submit(w, &flags);
	wait_result(w, fd, &r);
	assert_int_equal(r.kind, UI_JOB_FLAGS);
	assert_int_equal(r.status, DICTUM_OK);
	assert_false(r.has_transcript);
	assert_int_equal(r.nflags, 0);
	ui_result_clear(&r);
	ui_worker_stop(&w);

	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	struct note n = {0};
	assert_int_equal(store_note_get(s, id, &n), DICTUM_OK);
	assert_int_equal(store_transcript_add(s, n.encounter_id, 0, "text",
	                                      "type 2 diabetes with diabetic chronic kidney "
	                                      "disease stage three",
	                                      NULL, NULL),
	                 DICTUM_OK);
	note_clear(&n);
	store_close(&s);
	assert_int_equal(ui_worker_start(&w, path, &fd), DICTUM_OK);
	ui_worker_submit(w, &flags);
	wait_result(w, fd, &r);
	assert_int_equal(r.status, DICTUM_OK);
	assert_true(r.has_transcript);
	bool metformin = false, dose = false;
	for (size_t i = 0; i < r.nflags; i++) {
		metformin = metformin || strcmp(r.flags[i].term, "metformin") == 0;
		dose = dose || strcmp(r.flags[i].term, "500") == 0;
		assert_string_not_equal(r.flags[i].term, "3"); /* "three" was said */
	}
	assert_true(metformin);
	assert_true(dose);
	ui_result_clear(&r);

	ui_worker_stop(&w);
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worker_lists_searches_and_opens),
	    cmocka_unit_test(test_worker_codes_and_billing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
