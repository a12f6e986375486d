#include "testutil.h"

#include "core/lib.h"

#include <errno.h>
#include <sys/stat.h>

static void test_dynbuf_caps_cleanly(void **state)
{
	struct dynbuf d;
	dynbuf_init(&d, 10);
	assert_string_equal(dynbuf_str(&d), "");
	assert_int_equal(dynbuf_addstr(&d, "12345"), DICTUM_OK);
	assert_int_equal(dynbuf_printf(&d, "%d", 6789), DICTUM_OK);
	assert_int_equal(dynbuf_addstr(&d, "xx"), DICTUM_FULL);
	assert_string_equal(dynbuf_str(&d), "123456789"); /* unchanged by the failure */
	assert_int_equal(dynbuf_addstr(&d, "0"), DICTUM_OK);
	assert_int_equal(d.len, 10);
	char *taken = dynbuf_take(&d);
	assert_string_equal(taken, "1234567890");
	free(taken);
	assert_int_equal(d.len, 0);
	dynbuf_free(&d);
}

static void test_strings(void **state)
{
	char s[] = "  \t hello world \n";
	assert_string_equal(str_trim(s), "hello world");
	assert_true(str_blank(NULL));
	assert_true(str_blank(" \t\n"));
	assert_false(str_blank("  x "));
	char small[4];
	assert_int_equal(str_copy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	char hex[33];
	assert_int_equal(random_hex(hex, 16), 0);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
	char num[21];
	assert_int_equal(fmt_u64(num, 0), 1);
	assert_string_equal(num, "0");
	assert_int_equal(fmt_u64(num, 1000), 4);
	assert_string_equal(num, "1000");
	assert_int_equal(fmt_u64(num, UINT64_MAX), 20);
	assert_string_equal(num, "18446744073709551615");
	char now[32];
	time_now_iso(now);
	assert_int_equal(strlen(now), 24);
	assert_int_equal(now[23], 'Z');
}

static void test_files(void **state)
{
	char *dir = test_tmpdir(), path[4200];
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0700), 0);
	assert_int_equal(mkdir_p(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a/file.txt", dir);
	assert_int_equal(file_write_atomic(path, "hello", 5, 0640), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(file_read_all(path, 3, &data, &len), -EFBIG);
	/* A file where a folder should be. */
	snprintf(path, sizeof(path), "%s/a/file.txt/sub", dir);
	assert_true(mkdir_p(path, 0700) < 0);
	/* the folder that holds a file */
	snprintf(path, sizeof(path), "%s/x/y/file.txt", dir);
	assert_int_equal(mkdir_parent(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/x/y", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/x/y/file.txt", dir);
	assert_int_equal(stat(path, &st), -1); /* the file itself is not made */
	assert_int_equal(mkdir_parent("file.txt", 0700), 0);
	snprintf(path, sizeof(path), "%s/a/file.txt/sub/f", dir);
	assert_true(mkdir_parent(path, 0700) < 0);
	test_rmtree(dir);
	free(dir);
}

static void test_note_sections_parse(void **state)
{
	struct note n = {0};
	assert_int_equal(note_parse_sections(&n, "Seen today.\n# Chief Complaint\nCough\n\n"
	                                         "## Assessment & Plan\nViral URI.\nFluids.\n"),
	                 DICTUM_OK);
	assert_int_equal(n.nsections, 3);
	assert_string_equal(n.sections[0].key, "note");
	assert_string_equal(n.sections[0].text, "Seen today.");
	assert_string_equal(n.sections[1].key, "chief_complaint");
	assert_string_equal(n.sections[1].text, "Cough");
	assert_string_equal(n.sections[2].key, "assessment_plan");
	assert_string_equal(n.sections[2].title, "Assessment & Plan");
	assert_string_equal(n.sections[2].text, "Viral URI.\nFluids.");
	n.note_type = xstrdup("clinicNote");
	struct dynbuf d;
	dynbuf_init(&d, 1 << 16);
	assert_int_equal(note_render(&n, "Doe, Jane", NOTE_FORMAT_MARKDOWN, &d), DICTUM_OK);
	assert_non_null(strstr(dynbuf_str(&d), "\n## Chief Complaint\n\nCough\n"));
	assert_non_null(strstr(dynbuf_str(&d), "Patient: Doe, Jane"));
	dynbuf_free(&d);
	note_clear(&n);

	assert_true(note_type_valid("criticalCareProgressNote"));
	assert_false(note_type_valid("clinicnote"));
	assert_int_equal(note_type_count, 26);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dynbuf_caps_cleanly),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_note_sections_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
