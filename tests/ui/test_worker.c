/* The workstation's store thread on a real store: results arrive through
 * the wake pipe, and a burst of requests leaves only the newest. */
#include "testutil.h"

#include "core/lib.h"
#include "offline/store.h"
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

static void test_worker_lists_searches_and_opens(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	struct patient p = {.first_name = xstrdup("Mary"), .last_name = xstrdup("Seacole")};
	assert_int_equal(store_patient_add(s, &p), DICTUM_OK);
	int64_t last_id = 0;
	for (int i = 0; i < 3; i++) {
		struct encounter e = {.patient_id = p.id};
		assert_int_equal(store_encounter_add(s, &e), DICTUM_OK);
		struct note n = {.encounter_id = e.id, .note_type = xstrdup("progressNote")};
		note_add_section(&n, "s", "Subjective", i == 2 ? "Fever and rigors." : "Stable.");
		assert_int_equal(store_note_save(s, &n, "t"), DICTUM_OK);
		last_id = n.id;
		note_clear(&n);
		encounter_clear(&e);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_worker_lists_searches_and_opens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
