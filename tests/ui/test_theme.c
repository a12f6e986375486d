#include "testutil.h"

#include "core/lib.h"
#include "ui/theme.h"

static void test_theme_parse(void **state)
{
	struct theme t;
	theme_default(&t);
	int bad = 0;
	int nbad = theme_parse(&t,
	                       "# comment\n"
	                       "color title yellow black bold underline\n"
	                       "color nosuchslot red blue\n"
	                       "color status 12 default reverse\n"
	                       "color error red\n"
	                       "colour normal red blue\n",
	                       &bad);
	assert_int_equal(nbad, 3);
	assert_int_equal(bad, 3);
	assert_int_equal(t.slots[SLOT_title].fg, 3);
	assert_int_equal(t.slots[SLOT_title].bg, 0);
	assert_int_equal(t.slots[SLOT_title].attrs, THEME_BOLD | THEME_UNDERLINE);
	assert_int_equal(t.slots[SLOT_status].fg, 12);
	assert_int_equal(t.slots[SLOT_status].bg, -1);
	assert_int_equal(t.slots[SLOT_error].fg, 1); /* default kept after a bad line */
	assert_string_equal(theme_slot_name(SLOT_heading), "heading");
}

static void test_shipped_themes_parse(void **state)
{
	const char *names[] = {"dark", "light", "high-contrast", "colorblind"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[1024], *text = NULL;
		snprintf(path, sizeof(path), "%s/themes/%s.theme", DICTUM_SOURCE_DATADIR, names[i]);
		assert_int_equal(file_read_all(path, 1 << 16, &text, NULL), 0);
		struct theme t;
		theme_default(&t);
		int bad = 0;
		assert_int_equal(theme_parse(&t, text, &bad), 0);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_theme_parse),
	    cmocka_unit_test(test_shipped_themes_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
