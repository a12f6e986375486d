#include "testutil.h"

#include "core/lib.h"

#include <sys/stat.h>

struct seen {
	char text[1024];
};

static int collect(void *ctx, const char *section, const char *key, const char *value, int line)
{
	struct seen *s = ctx;
	size_t used = strlen(s->text);
	snprintf(s->text + used, sizeof(s->text) - used, "%d:%s.%s=%s;", line, section, key, value);
	return 0;
}

static void test_ini_parse(void **state)
{
	struct seen s = {""};
	int bad = -1;
	const char *text = "# comment\n"
	                   "top = 1\n"
	                   "[server]\n"
	                   "  url = https://clinic.example:8443/api  \n"
	                   "; another comment\n"
	                   "key = \"quoted value\"\n"
	                   "\n"
	                   "[ asr ]\n"
	                   "engine=sphinx\n"
	                   "empty =\n";
	assert_int_equal(ini_parse(text, collect, &s, &bad), DICTUM_OK);
	assert_string_equal(s.text, "2:.top=1;4:server.url=https://clinic.example:8443/api;"
	                            "6:server.key=quoted value;9:asr.engine=sphinx;10:asr.empty=;");
	assert_int_equal(bad, 0);
}

static void test_ini_bad_lines_reported_rest_kept(void **state)
{
	struct seen s = {""};
	int bad = 0;
	assert_int_equal(
	    ini_parse("a = 1\nnot a pair\n[broken\nb = 2\n= novalue\n", collect, &s, &bad),
	    DICTUM_INVAL);
	assert_int_equal(bad, 2);
	assert_string_equal(s.text, "1:.a=1;4:.b=2;");
}

static void test_config_save_is_private_and_roundtrips(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/sub/config.ini", dir);
	struct config c = {0};
	assert_int_equal(config_set(&c, "server", "url", "http://127.0.0.1:8080"), DICTUM_OK);
	assert_int_equal(config_set(&c, "server", "api_key", "dk_secret"), DICTUM_OK);
	assert_int_equal(config_set(&c, "ui", "theme", "light"), DICTUM_OK);
	assert_int_equal(config_set(&c, "server", "api_key", "dk_other"), DICTUM_OK);
	assert_int_equal(config_save(&c, path), DICTUM_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	config_free(&c);

	struct config back = {0};
	int bad = 0;
	assert_int_equal(config_load(&back, path, &bad), DICTUM_OK);
	assert_string_equal(config_get(&back, "server", "api_key", NULL), "dk_other");
	assert_string_equal(config_get(&back, "ui", "theme", NULL), "light");
	assert_string_equal(config_get(&back, "ui", "missing", "dflt"), "dflt");
	config_free(&back);

	struct config none = {0};
	snprintf(path, sizeof(path), "%s/absent.ini", dir);
	assert_int_equal(config_load(&none, path, &bad), DICTUM_OK);
	assert_int_equal(none.count, 0);
	test_rmtree(dir);
	free(dir);
}

static void test_paths_precedence(void **state)
{
	struct config c = {0};
	struct dictum_paths p;
	setenv("HOME", "/home/clin", 1);
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DICTUM_DATA_DIR");
	assert_int_equal(paths_resolve(&p, &c, NULL), DICTUM_OK);
	assert_string_equal(p.data_dir, "/home/clin/.local/share/dictum");
	assert_string_equal(p.db_file, "/home/clin/.local/share/dictum/dictum.db");
	assert_string_equal(p.config_file, "/home/clin/.config/dictum/config.ini");

	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
	assert_int_equal(paths_resolve(&p, &c, NULL), DICTUM_OK);
	assert_string_equal(p.data_dir, "/xdg/data/dictum");
	assert_string_equal(p.config_dir, "/xdg/config/dictum");

	config_set(&c, "store", "data_dir", "/from/config");
	assert_int_equal(paths_resolve(&p, &c, NULL), DICTUM_OK);
	assert_string_equal(p.data_dir, "/from/config");
	setenv("DICTUM_DATA_DIR", "/from/env", 1);
	assert_int_equal(paths_resolve(&p, &c, NULL), DICTUM_OK);
	assert_string_equal(p.data_dir, "/from/env");
	assert_int_equal(paths_resolve(&p, &c, "/from/flag"), DICTUM_OK);
	assert_string_equal(p.data_dir, "/from/flag");
	assert_string_equal(p.recordings_dir, "/from/flag/recordings");
	config_free(&c);

	/* Relative XDG paths are ignored, as the spec says. */
	unsetenv("DICTUM_DATA_DIR");
	setenv("XDG_DATA_HOME", "relative", 1);
	assert_int_equal(paths_resolve(&p, NULL, NULL), DICTUM_OK);
	assert_string_equal(p.data_dir, "/home/clin/.local/share/dictum");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ini_parse),
	    cmocka_unit_test(test_ini_bad_lines_reported_rest_kept),
	    cmocka_unit_test(test_config_save_is_private_and_roundtrips),
	    cmocka_unit_test(test_paths_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
