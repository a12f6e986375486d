#include "testutil.h"

#include "core/lib.h"
#include "ui/textedit.h"

static void assert_text(const struct textedit *e, const char *want)
{
	char *text = textedit_text(e);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
}

static void test_edit_and_undo(void **state)
{
	(void)state;
	struct textedit e;
	assert_int_equal(textedit_load(&e, "# Plan\nRest."), DICTUM_OK);
	assert_int_equal(e.nlines, 2);
	textedit_down(&e);
	textedit_end(&e);
	assert_int_equal(textedit_insert(&e, " Fluids.", 8), DICTUM_OK);
	assert_text(&e, "# Plan\nRest. Fluids.");
	textedit_home(&e);
	assert_int_equal(textedit_newline(&e), DICTUM_OK);
	assert_text(&e, "# Plan\n\nRest. Fluids.");
	assert_int_equal(textedit_backspace(&e), DICTUM_OK); /* joins the lines again */
	assert_text(&e, "# Plan\nRest. Fluids.");
	assert_int_equal(e.row, 1);
	assert_int_equal(e.col, 0);
	assert_int_equal(textedit_delete(&e), DICTUM_OK);
	assert_text(&e, "# Plan\nest. Fluids.");
	assert_int_equal(textedit_delete_line(&e), DICTUM_OK);
	assert_text(&e, "# Plan");
	/* Every change undone, newest first, back to the loaded text. */
	assert_true(textedit_undo(&e));
	assert_text(&e, "# Plan\nest. Fluids.");
	assert_true(textedit_undo(&e));
	assert_text(&e, "# Plan\nRest. Fluids.");
	assert_true(textedit_undo(&e));
	assert_text(&e, "# Plan\n\nRest. Fluids.");
	assert_true(textedit_undo(&e));
	assert_true(textedit_undo(&e));
	assert_text(&e, "# Plan\nRest.");
	assert_int_equal(e.row, 1);
	assert_int_equal(e.col, 5);
	assert_false(textedit_undo(&e));
	textedit_clear(&e);
}

static void test_utf8_cursor(void **state)
{
	(void)state;
	struct textedit e;
	assert_int_equal(textedit_load(&e, "caf\xc3\xa9"), DICTUM_OK);
	textedit_end(&e);
	textedit_left(&e); /* over the two bytes of the accented e */
	assert_int_equal(e.col, 3);
	assert_int_equal(textedit_backspace(&e), DICTUM_OK);
	assert_text(&e, "ca\xc3\xa9");
	textedit_end(&e);
	assert_int_equal(textedit_backspace(&e), DICTUM_OK); /* the whole character */
	assert_text(&e, "ca");
	textedit_clear(&e);
}

static void test_undo_depth_is_bounded(void **state)
{
	(void)state;
	struct textedit e;
	assert_int_equal(textedit_load(&e, NULL), DICTUM_OK);
	for (int i = 0; i < TEXTEDIT_UNDO_MAX + 20; i++)
		assert_int_equal(textedit_insert(&e, "x", 1), DICTUM_OK);
	assert_int_equal(e.nundo, TEXTEDIT_UNDO_MAX);
	int undone = 0;
	while (textedit_undo(&e))
		undone++;
	assert_int_equal(undone, TEXTEDIT_UNDO_MAX);
	char *text = textedit_text(&e);
	assert_int_equal(strlen(text), 20); /* the oldest changes can no longer be undone */
	free(text);
	textedit_clear(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edit_and_undo),
	    cmocka_unit_test(test_utf8_cursor),
	    cmocka_unit_test(test_undo_depth_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
