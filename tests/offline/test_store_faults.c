/* The store under bad files, crashes and a second process: real SQLite
 * files, real fork() and SIGKILL. */
#include "testutil.h"

#include "core/lib.h"
#include "offline/store.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *read_file(const char *path, size_t *len)
{
	char *data = NULL;
	assert_int_equal(file_read_all(path, 64u << 20, &data, len), 0);
	return data;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Opening must fail with want, say why with the path, and leave the file
 * byte for byte as it was, with no WAL files beside it. */
static void expect_refused(const char *path, int want, const char *why)
{
	size_t before_len, after_len;
	char *before = read_file(path, &before_len);
	store *s = NULL;
	char err[1024];
	assert_int_equal(store_open(path, &s, err, sizeof(err)), want);
	assert_null(s);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, why));
	assert_null(strchr(err, '\n'));
	char *after = read_file(path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	char wal[4200];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	struct stat st;
	assert_true(stat(wal, &st) != 0 || st.st_size == 0);
	free(before);
	free(after);
}

static void test_text_file_is_not_a_store(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	const char text[] = "Patient notes exported as plain text, not a database.\n";
	write_file(path, text, sizeof(text) - 1);
	expect_refused(path, DICTUM_NOTDB, "not a Dictum store");
	test_rmtree(dir);
	free(dir);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_foreign_sqlite_file(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	exec_sql(path, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL);"
	               "INSERT INTO invoices(total) VALUES (12.5);");
	expect_refused(path, DICTUM_NOTDB, "not a Dictum store");
	test_rmtree(dir);
	free(dir);
}

static void test_newer_schema_left_alone(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	store_close(&s);
	exec_sql(path, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;");
	expect_refused(path, DICTUM_NEWER, "upgrade Dictum");
	test_rmtree(dir);
	free(dir);
}

static void test_corrupt_file(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	store_close(&s);
	exec_sql(path, "PRAGMA journal_mode = DELETE;");
	/* Wreck the schema table on page 1, keep the 100-byte header. */
	size_t len;
	char *data = read_file(path, &len);
	assert_true(len > 4096);
	memset(data + 100, 0xA5, 4096 - 100);
	write_file(path, data, len);
	free(data);
	size_t before_len;
	char *before = read_file(path, &before_len);
	char err[1024];
	int rc = store_open(path, &s, err, sizeof(err));
	assert_true(rc == DICTUM_CORRUPT || rc == DICTUM_NOTDB);
	assert_null(s);
	assert_non_null(strstr(err, path));
	size_t after_len;
	char *after = read_file(path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
	test_rmtree(dir);
	free(dir);
}

static void save_notes(const char *path, int count, int report_fd, const char *tag)
{
	store *s = NULL;
	if (store_open(path, &s, NULL, 0) != DICTUM_OK)
		_exit(2);
	struct patient p = {.first_name = xstrdup("Crash"), .last_name = xstrdup(tag)};
	if (store_patient_add(s, &p) != DICTUM_OK)
		_exit(3);
	for (int i = 0; count < 0 || i < count; i++) {
		struct encounter e = {.patient_id = p.id};
		struct note n = {0};
		if (store_encounter_add(s, &e) != DICTUM_OK)
			_exit(4);
		n.encounter_id = e.id;
		n.note_type = xstrdup("progressNote");
		char text[256];
		snprintf(text, sizeof(text),
		         "Subjective: %s visit %d. Patient reports improvement in dyspnea.", tag,
		         i);
		note_add_section(&n, "subjective", "Subjective", text);
		note_add_section(&n, "plan", "Plan", "Continue furosemide 40 mg daily.");
		int rc;
		while ((rc = store_note_save(s, &n, tag)) == DICTUM_BUSY)
			;
		if (rc != DICTUM_OK)
			_exit(5);
		if (report_fd >= 0) {
			char line[64];
			int len = snprintf(line, sizeof(line), "%s\n", n.uid);
			if (write(report_fd, line, (size_t)len) != len)
				_exit(6);
		}
		note_clear(&n);
		encounter_clear(&e);
	}
	patient_clear(&p);
	store_close(&s);
}

/* Kill a writer at random moments, many times: every note it reported
 * committed is there, and the file passes the integrity check. */
static void test_sigkill_during_saves(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	size_t reported_total = 0;
	char **uids = NULL;
	const int rounds = 40;
	for (int round = 0; round < rounds; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			save_notes(path, -1, fds[1], "writer");
			_exit(0);
		}
		close(fds[1]);
		/* Once the writer is saving (however slow this machine is), kill it
		 * at a random moment of its stream of saves. */
		struct pollfd started = {.fd = fds[0], .events = POLLIN};
		assert_int_equal(poll(&started, 1, 30000), 1);
		usleep((useconds_t)(rand() % 40000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		/* Collect what the writer reported as committed. */
		FILE *r = fdopen(fds[0], "r");
		char line[64];
		while (fgets(line, sizeof(line), r)) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line) < 10)
				continue; /* a line cut by the kill */
			uids = realloc(uids, (reported_total + 1) * sizeof(*uids));
			uids[reported_total++] = xstrdup(line);
		}
		fclose(r);

		store *s = NULL;
		char err[1024];
		assert_int_equal(store_open(path, &s, err, sizeof(err)), DICTUM_OK);
		struct store_check_result check;
		assert_int_equal(store_check(s, &check), DICTUM_OK);
		if (!check.ok)
			fail_msg("round %d: integrity: %s", round, check.integrity);
		assert_true((size_t)check.notes >= reported_total);
		for (size_t i = 0; i < reported_total; i++) {
			struct note n = {0};
			if (store_note_get_by_uid(s, uids[i], &n) != DICTUM_OK)
				fail_msg("round %d: committed note %s lost", round, uids[i]);
			assert_int_equal(n.nsections, 2);
			assert_string_equal(n.sections[1].text, "Continue furosemide 40 mg daily.");
			note_clear(&n);
		}
		store_close(&s);
	}
	print_message("%d kills, %zu committed notes all present\n", rounds, reported_total);
	assert_true(reported_total > 0);
	for (size_t i = 0; i < reported_total; i++)
		free(uids[i]);
	free(uids);
	test_rmtree(dir);
	free(dir);
}

/* Two processes (the workstation and `dictum sync`) on one new store. */
static void test_two_processes(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			save_notes(path, 150, -1, i ? "second" : "first");
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	store *s = NULL;
	assert_int_equal(store_open(path, &s, NULL, 0), DICTUM_OK);
	struct store_check_result check;
	assert_int_equal(store_check(s, &check), DICTUM_OK);
	assert_true(check.ok);
	assert_int_equal(check.notes, 300);
	assert_int_equal(check.outbox, 300);
	assert_int_equal(check.patients, 2);
	store_close(&s);
	test_rmtree(dir);
	free(dir);
}

/* A second handle opened in the same process must not drop the first
 * one's locks (closing any descriptor of a file drops all of a process's
 * POSIX locks on it): another process still sees the write lock. */
static void test_second_open_keeps_locks(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	store *a = NULL, *b = NULL;
	assert_int_equal(store_open(path, &a, NULL, 0), DICTUM_OK);
	assert_int_equal(store_begin(a), DICTUM_OK);
	assert_int_equal(store_meta_set(a, "k", "v"), DICTUM_OK);
	assert_int_equal(store_open(path, &b, NULL, 0), DICTUM_OK);
	store_close(&b);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		if (sqlite3_open(path, &db) != SQLITE_OK)
			_exit(2);
		sqlite3_busy_timeout(db, 0);
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		_exit((rc & 0xff) == SQLITE_BUSY ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(store_commit(a), DICTUM_OK);
	store_close(&a);
	test_rmtree(dir);
	free(dir);
}

static void test_uncreatable_location(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/no/such/folder/dictum.db", dir);
	store *s = NULL;
	char err[1024];
	assert_int_not_equal(store_open(path, &s, err, sizeof(err)), DICTUM_OK);
	assert_null(s);
	assert_non_null(strstr(err, path));
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_file_is_not_a_store),
	    cmocka_unit_test(test_foreign_sqlite_file),
	    cmocka_unit_test(test_newer_schema_left_alone),
	    cmocka_unit_test(test_corrupt_file),
	    cmocka_unit_test(test_uncreatable_location),
	    cmocka_unit_test(test_second_open_keeps_locks),
	    cmocka_unit_test(test_two_processes),
	    cmocka_unit_test(test_sigkill_during_saves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
