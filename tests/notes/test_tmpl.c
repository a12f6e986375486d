/* The note type, section, specialty and template parsers, and the shipped data. */
#include "testutil.h"

#include "core/lib.h"
#include "notes/tmpl.h"

static const char sample[] = "# comment\n"
                             "[section cc]\n"
                             "title = Chief Complaint\n"
                             "header = chief complaint | reason for visit\n"
                             "words = here for\n"
                             "[section exam]\n"
                             "title = Physical Examination\n"
                             "takes = vitals\n"
                             "[section mse]\n"
                             "title = Mental Status Examination\n"
                             "[section plan]\n"
                             "title = Plan\n"
                             "[type clinicNote]\n"
                             "title = Clinic Note\n"
                             "sections = cc exam\n"
                             "sections = plan\n"
                             "[specialty psychiatry]\n"
                             "alias = psych | mental health\n"
                             "replace = exam with mse\n"
                             "rename = plan Treatment Plan\n";

static void test_parse_sample(void **state)
{
	(void)state;
	struct tmpl_catalog c = {0};
	int bad = -1;
	assert_int_equal(tmpl_parse(&c, sample, &bad), DICTUM_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(c.nsections, 4);
	const struct tmpl_section *cc = tmpl_section_find(&c, "cc");
	assert_non_null(cc);
	assert_string_equal(cc->title, "Chief Complaint");
	assert_int_equal(cc->header.count, 2);
	assert_string_equal(cc->header.items[1], "reason for visit");
	assert_string_equal(tmpl_section_find(&c, "exam")->takes.items[0], "vitals");
	const struct tmpl_type *t = tmpl_type_find(&c, "clinicNote");
	assert_non_null(t);
	assert_int_equal(t->sections.count, 3); /* a repeated key appends */
	char msg[128];
	assert_int_equal(tmpl_validate(&c, msg, sizeof(msg)), DICTUM_OK);

	struct tmpl_layout l;
	assert_int_equal(tmpl_layout_make(&c, "clinicNote", NULL, &l), DICTUM_OK);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.section[1]->key, "exam");
	assert_int_equal(tmpl_layout_make(&c, "clinicNote", "PSYCH", &l), DICTUM_OK);
	assert_string_equal(l.section[1]->key, "mse");
	assert_string_equal(l.title[2], "Treatment Plan");
	assert_int_equal(tmpl_layout_make(&c, "clinicNote", "underwater basket weaving", &l),
	                 DICTUM_OK);
	assert_string_equal(l.section[1]->key, "exam");
	assert_int_equal(tmpl_layout_make(&c, "soapNote", NULL, &l), DICTUM_NOTFOUND);
	tmpl_catalog_clear(&c);
	assert_int_equal(c.nsections, 0);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
	} cases[] = {
	    {"[section a]\ntitle = A\n[widget b]\ntitle = B\n", 4},
	    {"[section a]\ncolour = red\n", 2},
	    {"[section a]\ntitle = A\nno equals sign here\n", 3},
	    {"[specialty x]\ninsert = a sideways b\n", 2},
	    {"[specialty x]\nrename = a\n", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmpl_catalog c = {0};
		int bad = 0;
		assert_int_equal(tmpl_parse(&c, cases[i].text, &bad), DICTUM_INVAL);
		assert_int_equal(bad, cases[i].line);
		tmpl_catalog_clear(&c);
	}
	struct tmpl_catalog c = {0};
	char msg[128];
	assert_int_equal(tmpl_parse(&c, "[type t]\nsections = nowhere\n", NULL), DICTUM_OK);
	assert_int_equal(tmpl_validate(&c, msg, sizeof(msg)), DICTUM_INVAL);
	assert_non_null(strstr(msg, "nowhere"));
	tmpl_catalog_clear(&c);
}

/* Every one of the 26 note types of the API is in the shipped data with at
 * least two sections, and every specialty applies to it. */
static void test_shipped_types(void **state)
{
	(void)state;
	struct tmpl_catalog c = {0};
	char err[512] = "";
	int rc = tmpl_catalog_load(&c, NULL, err, sizeof(err));
	if (rc)
		fail_msg("load: %s", err);
	assert_int_equal(c.ntypes, note_type_count);
	for (size_t i = 0; i < note_type_count; i++) {
		const struct tmpl_type *t = tmpl_type_find(&c, note_type_keys[i]);
		if (!t)
			fail_msg("note type %s is missing", note_type_keys[i]);
		assert_true(t->sections.count >= 2);
		assert_non_null(t->title);
		struct tmpl_layout l;
		assert_int_equal(tmpl_layout_make(&c, t->key, NULL, &l), DICTUM_OK);
		assert_true(l.count >= 2);
		for (size_t s = 0; s < c.nspecialties; s++) {
			assert_int_equal(tmpl_layout_make(&c, t->key, c.specialties[s].name, &l),
			                 DICTUM_OK);
			assert_true(l.count >= 2);
		}
	}
	struct tmpl_layout l;
	assert_int_equal(tmpl_layout_make(&c, "clinicNote", "psychiatry", &l), DICTUM_OK);
	assert_true(tmpl_layout_index(&l, "mse") >= 0);
	assert_true(tmpl_layout_index(&l, "exam") < 0);
	assert_int_equal(tmpl_layout_make(&c, "clinicNote", "ortho", &l), DICTUM_OK);
	assert_string_equal(l.title[tmpl_layout_index(&l, "exam")], "Musculoskeletal Examination");
	tmpl_catalog_clear(&c);
}

static void test_templates(void **state)
{
	(void)state;
	struct tmpl_list l = {0};
	int bad = 0;
	assert_int_equal(tmpl_templates_parse(&l,
	                                      "[template 0123456789abcdef01234567]\n"
	                                      "name = KNEE CLINIC\n"
	                                      "short_description = Knee pain follow-up visits.\n"
	                                      "note_type = followUpNote\n"
	                                      "sections = interval exam ap\n",
	                                      true, &bad),
	                 DICTUM_OK);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.items[0].id, "0123456789abcdef01234567");
	assert_true(l.items[0].user);
	assert_int_equal(l.items[0].sections.count, 3);
	assert_true(tmpl_template_matches(&l.items[0], "knee"));
	assert_true(tmpl_template_matches(&l.items[0], "FOLLOW-UP"));
	assert_false(tmpl_template_matches(&l.items[0], "dental"));
	assert_true(tmpl_template_matches(&l.items[0], NULL));
	assert_int_equal(
	    tmpl_templates_parse(&l, "[template x]\nshort_description = no name\n", true, &bad),
	    DICTUM_INVAL);
	tmpl_list_clear(&l);

	/* The shipped catalogue, then a user folder with one good and one broken file. */
	char *dir = test_tmpdir();
	char path[4200];
	snprintf(path, sizeof(path), "%s/a.ini", dir);
	FILE *f = fopen(path, "w");
	fputs("[template aaaaaaaaaaaaaaaaaaaaaaaa]\nname = MY TEMPLATE\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b.ini", dir);
	f = fopen(path, "w");
	fputs("this is not a template\n", f);
	fclose(f);
	char err[512] = "";
	log_set_level(LOG_ERROR);
	assert_int_equal(tmpl_templates_load(&l, NULL, dir, err, sizeof(err)), DICTUM_OK);
	assert_true(l.count >= 2);
	assert_false(l.items[0].user);
	assert_true(l.items[l.count - 1].user);
	assert_string_equal(l.items[l.count - 1].name, "MY TEMPLATE");
	for (size_t i = 0; i < l.count; i++)
		assert_int_equal(strlen(l.items[i].id), 24);
	tmpl_list_clear(&l);
	test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_sample),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_shipped_types),
	    cmocka_unit_test(test_templates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
