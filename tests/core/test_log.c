/* Logging: while the workstation owns the terminal, lines go to a file
 * (created 0600, appended), at the level set, from any thread; back on
 * stderr afterwards; notices follow log_notices. */
#include "testutil.h"

#include "core/lib.h"

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void *warn_many(void *arg)
{
	for (int i = 0; i < 200; i++)
		log_warn("test", "from a thread %d", i);
	return arg;
}

static void test_lines_go_to_the_file(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/dictum.log", dir);
	enum log_level was = log_get_level();
	log_set_level(LOG_WARN);
	assert_int_equal(log_to_file(path), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	log_warn("test", "the first warning");
	log_info("test", "an info line below the level");
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, warn_many, NULL), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	log_to_stderr();
	log_warn("test", "after going back to stderr");
	/* a second session appends */
	assert_int_equal(log_to_file(path), 0);
	log_error("test", "the second session");
	log_to_stderr();
	char *text = slurp(path);
	assert_int_equal(count(text, "the first warning"), 1);
	assert_int_equal(count(text, "below the level"), 0);
	assert_int_equal(count(text, "from a thread"), 400);
	assert_int_equal(count(text, "\n"), 402); /* whole lines, none torn */
	assert_int_equal(count(text, "back to stderr"), 0);
	assert_int_equal(count(text, "dictum error [test] the second session"), 1);
	free(text);
	char bad[4300];
	snprintf(bad, sizeof(bad), "%s/no/such/folder/dictum.log", dir);
	assert_true(log_to_file(bad) < 0);
	log_set_level(was);
	test_rmtree(dir);
	free(dir);
}

static void test_notices(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_non_null(freopen(path, "w", stderr));
	log_notice("shown %d", 1);
	log_notices(false);
	log_notice("hidden while the screen is taken");
	log_notices(true);
	log_set_level(LOG_ERROR);
	log_notice("hidden at level error");
	log_set_level(LOG_WARN);
	log_notice("shown %d", 2);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	char *text = slurp(path);
	assert_string_equal(text, "dictum: shown 1\ndictum: shown 2\n");
	free(text);
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines_go_to_the_file),
	    cmocka_unit_test(test_notices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
