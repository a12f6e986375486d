/* The note engine: dictation, ambient rewriting rules, spans, faithfulness. */
#include "testutil.h"

#include "core/lib.h"
#include "notes/draft.h"

static struct note_engine engine;

static int setup(void **state)
{
	(void)state;
	char err[512];
	if (note_engine_load(&engine, NULL, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "engine: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	note_engine_clear(&engine);
	return 0;
}

static const char *section(const struct note_draft *d, const char *key)
{
	for (size_t i = 0; i < d->note.nsections; i++)
		if (strcmp(d->note.sections[i].key, key) == 0)
			return d->note.sections[i].text;
	return NULL;
}

static void draft(const char *transcript, const char *type, enum note_mode mode,
                  struct note_draft *d)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(note_draft(&engine, transcript, type, NULL, mode, d), DICTUM_OK);
}

/* The section's text contains want. */
static void has(const struct note_draft *d, const char *key, const char *want)
{
	const char *text = section(d, key);
	if (!text || !strstr(text, want))
		fail_msg("section %s is \"%s\", wanted \"%s\"", key, text ? text : "(absent)",
		         want);
}

static bool anywhere(const struct note_draft *d, const char *what)
{
	for (size_t i = 0; i < d->note.nsections; i++)
		if (strstr(d->note.sections[i].text, what))
			return true;
	return false;
}

static void test_dictation_headers(void **state)
{
	(void)state;
	struct note_draft d;
	draft("# Chief Complaint\nCough for 3 days.\n# History of Present Illness\n"
	      "Dry cough since Monday, no fever.\n# Plan\nBenzonatate 100 mg three times a day.\n",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "cc", "Cough for 3 days.");
	has(&d, "hpi", "Dry cough since Monday, no fever.");
	/* clinicNote has no Plan section of its own: it goes to Assessment and Plan */
	has(&d, "ap", "Benzonatate 100 mg three times a day.");
	assert_int_equal(d.note.nsections, 3);
	assert_int_equal(d.nissues, 0);
	note_draft_clear(&d);

	/* Spoken headers, as a speech engine writes them. */
	draft("Chief complaint: knee pain. History of present illness, she twisted her left knee "
	      "on Saturday. Assessment and plan colon left knee sprain. Ice and rest.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "cc", "Knee pain.");
	has(&d, "hpi", "She twisted her left knee on Saturday.");
	has(&d, "ap", "Left knee sprain.\nIce and rest.");
	/* "History of hypertension" is text, not a header */
	note_draft_clear(&d);
	draft("History of present illness: history of hypertension.", "clinicNote",
	      NOTE_MODE_DICTATION, &d);
	has(&d, "hpi", "History of hypertension.");
	note_draft_clear(&d);
}

/* The speech engine's dictation post-processor renders "Title:" lines. */
static void test_dictation_rendered(void **state)
{
	(void)state;
	struct note_draft d;
	draft(
	    "Chief Complaint:\nAbdominal pain.\n\nPhysical Exam:\nTenderness at McBurney point.\n\n"
	    "Assessment and Plan:\nPossible appendicitis. Surgical consult.",
	    "edTriageNote", NOTE_MODE_DICTATION, &d);
	has(&d, "cc", "Abdominal pain.");
	/* no assessment section in a triage note: it goes to the triage assessment */
	has(&d, "triage", "Possible appendicitis.\nSurgical consult.");
	assert_false(strstr(section(&d, "cc"), "appendicitis"));
	note_draft_clear(&d);
}

static void test_dictation_scratch_that(void **state)
{
	(void)state;
	struct note_draft d;
	draft("# HPI\nPatient reports cough. Patient reports fever. Scratch that. "
	      "Denies fever.\nLungs are clear scratch that lungs have crackles at the bases.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "hpi", "Patient reports cough.\nDenies fever.\nLungs have crackles at the bases.");
	assert_false(anywhere(&d, "reports fever"));
	assert_false(anywhere(&d, "clear"));
	note_draft_clear(&d);
}

static void test_dictation_unheaded(void **state)
{
	(void)state;
	struct note_draft d;
	draft("Denies chest pain or shortness of breath. Currently taking lisinopril 10 mg daily. "
	      "Follow up in 2 weeks.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "ros", "Denies chest pain or shortness of breath (dyspnea).");
	has(&d, "meds", "Currently taking lisinopril 10 mg daily.");
	has(&d, "ap", "Follow up in 2 weeks.");
	note_draft_clear(&d);
	/* Once a header opens a section, what follows stays in it. */
	draft("# Plan\nDenies chest pain.", "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "ap", "Denies chest pain.");
	note_draft_clear(&d);
}

/* Lay words get the standard term once, after their first mention, in
 * place (so the dictated negation and context stay); a term the note uses
 * already is not added. */
static void test_glosses(void **state)
{
	(void)state;
	struct note_draft d;
	draft("Chief complaint: itchy rash. History of present illness, eleven year old girl with "
	      "dry itchy patches in the elbow creases, no hives. Assessment and plan: atopic "
	      "dermatitis. Triamcinolone ointment twice daily.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	has(&d, "cc", "Itchy (pruritus) rash.");
	has(&d, "hpi", "dry itchy patches in the elbow creases, no hives (urticaria).");
	has(&d, "ap", "Atopic dermatitis (eczema).");
	assert_int_equal(d.nissues, 0);
	note_draft_clear(&d);

	/* The first mention among the phrases of one term; the term said already. */
	draft("Chief complaint: cough. History of present illness, he has been short of breath "
	      "and gets shortness of breath on stairs. Pruritus of the scalp, itching at night.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	assert_true(anywhere(&d, "short of breath (dyspnea) and gets shortness of breath on"));
	assert_false(anywhere(&d, "(pruritus)"));
	note_draft_clear(&d);

	/* Abbreviations and their words, either way, once. */
	draft("Assessment: COPD exacerbation. Plan: coronary artery disease, continue aspirin.",
	      "progressNote", NOTE_MODE_DICTATION, &d);
	assert_true(anywhere(&d, "COPD (chronic obstructive pulmonary disease) exacerbation."));
	assert_true(anywhere(&d, "Coronary artery disease (CAD), continue aspirin."));
	assert_false(anywhere(&d, "(COPD)"));
	note_draft_clear(&d);

	/* Whole words only: "flu" is not glossed inside "fluticasone" or "influenza". */
	draft("Plan: fluticasone nasal spray. Influenza vaccine declined. No stye seen.",
	      "clinicNote", NOTE_MODE_DICTATION, &d);
	assert_false(anywhere(&d, "(influenza)"));
	assert_true(anywhere(&d, "No stye (hordeolum) seen."));
	note_draft_clear(&d);
}

/* Ambient rules, one case each: transcript in, sentence expected in a section. */
static void test_ambient_rules(void **state)
{
	(void)state;
	static const struct {
		const char *transcript, *section, *want;
	} cases[] = {
	    {"[patient] I've had this cough for three days.", "hpi",
	     "Reports a 3-day history of cough."},
	    {"[doctor] Any chest pain?\n[patient] No.", "ros",
	     "Cardiovascular: Denies chest pain."},
	    {"[doctor] have you had any fever or chills ?\n[patient] no , none .", "ros",
	     "Constitutional: Denies fever or chills."},
	    {"[doctor] do you have any nausea ?\n[patient] yeah , a little bit after meals .",
	     "ros", "Gastrointestinal: Endorses nausea."},
	    {"[doctor] any allergies to medications ?\n[patient] no .", "allergies",
	     "Denies allergies to medications."},
	    {"[patient] I'm allergic to penicillin.", "allergies", "Allergic to penicillin."},
	    {"[doctor] your blood pressure today is 120 over 80 .", "exam",
	     "Blood pressure: 120/80."},
	    {"[patient] i take lisinopril 20 milligrams once a day .", "meds",
	     "Lisinopril 20 mg once a day."},
	    {"[patient] i feel tired and my knee hurts when i walk .", "hpi",
	     "The patient feels tired and their knee hurts when the patient walks."},
	    {"[doctor] so mr. jones , you are a 58 year old male here for knee pain .\n"
	     "[patient] um , i , i , i feel like it , it gets worse on the stairs .",
	     "hpi", "He feels like it gets worse on the stairs."},
	    {"[doctor] so mr. jones , you are a 58 year old male here for knee pain .", "cc",
	     "Knee pain."},
	    {"[doctor] on exam , your lungs have some wheezing in the left base .", "exam",
	     "Lungs have some wheezing in the left base."},
	    {"[doctor] the x-ray of your knee showed no fracture .", "results",
	     "The x-ray of their knee showed no fracture."},
	    {"[doctor] so my impression is a knee sprain . i want you to ice it twice a day .\n"
	     "[doctor] i'll see you back in two weeks .",
	     "ap", "Follow up in 2 weeks."},
	    {"[doctor] my impression is a knee sprain . i want you to ice it twice a day .", "ap",
	     "The patient should ice it twice a day."},
	    {"[doctor] we're gon na start you on ibuprofen .", "hpi", "start"},
	    /* a mixed answer is not a denial of everything asked */
	    {"[doctor] any fever or chills ?\n[patient] no , but i've had some chills at night .",
	     "hpi", "No, but the patient has had some chills at night."},
	    /* a "no" is never dropped, a side never taken for "right," */
	    {"[doctor] have you noticed any other things , like blood in your stools ?\n"
	     "[patient] no , no blood , just watery and loose stool .",
	     "hpi", "No blood, just watery and loose stool."},
	    {"[patient] right knee is swollen and it hurts .", "hpi", "Right knee is swollen"},
	    {"[patient] well , my pressure is well controlled .", "hpi",
	     "Their pressure is well controlled."},
	    /* no speaker tags */
	    {"I've had a headache for two weeks. Do you have any nausea? No.", "hpi",
	     "Reports a 2-week history of headache."},
	    {"I've had a headache for two weeks. Do you have any nausea? No.", "ros",
	     "Gastrointestinal: Denies nausea."},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct note_draft d;
		draft(cases[i].transcript, "clinicNote", NOTE_MODE_AMBIENT, &d);
		if (strstr(cases[i].transcript, "chills at night"))
			assert_null(section(&d, "ros"));
		const char *text = section(&d, cases[i].section);
		if (!text || !strstr(text, cases[i].want))
			fail_msg("case %zu: section %s is \"%s\", wanted \"%s\"", i,
			         cases[i].section, text ? text : "(absent)", cases[i].want);
		assert_int_equal(d.nissues, 0);
		note_draft_clear(&d);
	}
}

static void test_ambient_drops_small_talk(void **state)
{
	(void)state;
	struct note_draft d;
	draft("[doctor] hi , how are you today ?\n[patient] good , thanks . the weather is nice .\n"
	      "[doctor] great . are you excited for the holidays ?\n[patient] yes , very .\n"
	      "[doctor] do you have any questions ?\n[patient] no .",
	      "clinicNote", NOTE_MODE_AMBIENT, &d);
	assert_int_equal(d.note.nsections, 0);
	note_draft_clear(&d);
	/* no boilerplate: an exam nobody described is not in the note */
	draft("[patient] i've had this rash for 2 days .", "clinicNote", NOTE_MODE_AMBIENT, &d);
	assert_null(section(&d, "exam"));
	assert_false(anywhere(&d, "clear"));
	note_draft_clear(&d);
}

static void test_spans(void **state)
{
	(void)state;
	const char *t = "[doctor] any chest pain ?\n[patient] no .\n"
	                "[patient] i've had this cough for three days .";
	struct note_draft d;
	draft(t, "clinicNote", NOTE_MODE_AMBIENT, &d);
	size_t checked = 0;
	for (size_t i = 0; i < d.nsentences; i++) {
		const struct note_sentence *s = &d.sentences[i];
		const char *text = d.note.sections[s->section].text + s->start;
		assert_true(s->nspans >= 1);
		if (strncmp(text, "Reports a 3-day", 15) == 0) {
			assert_int_equal(s->nspans, 1);
			assert_memory_equal(t + s->spans[0].start,
			                    "i've had this cough for three days", 34);
			checked++;
		}
		if (strncmp(text, "Cardiovascular", 14) == 0) {
			assert_int_equal(s->nspans, 2);
			assert_memory_equal(t + s->spans[0].start, "any chest pain ?",
			                    s->spans[0].end - s->spans[0].start);
			assert_memory_equal(t + s->spans[1].start, "no .", 4);
			checked++;
		}
	}
	assert_int_equal(checked, 2);
	note_draft_clear(&d);

	/* Dictation spans point at the dictated words. */
	const char *t2 = "# Plan\nStart amoxicillin 500 mg.";
	draft(t2, "clinicNote", NOTE_MODE_DICTATION, &d);
	assert_int_equal(d.nsentences, 1);
	assert_memory_equal(t2 + d.sentences[0].spans[0].start, "Start amoxicillin 500 mg.", 25);
	note_draft_clear(&d);
}

struct found {
	char terms[8][64];
	unsigned kinds[8];
	size_t n;
};

static void on_found(void *ctx, unsigned kind, const char *term, size_t len)
{
	struct found *f = ctx;
	if (f->n < 8) {
		snprintf(f->terms[f->n], sizeof(f->terms[0]), "%.*s", (int)len, term);
		f->kinds[f->n++] = kind;
	}
}

static void test_faithfulness(void **state)
{
	(void)state;
	const char *t =
	    "[patient] i've had this cough for three days and i take lisinopril "
	    "twenty five milligrams . my blood pressure was one hundred twenty over 80 .";
	struct found f = {0};
	/* Supported: 3 (three), 25 (twenty five), 120 (one hundred twenty), 80, lisinopril. */
	assert_int_equal(
	    note_unsupported(&engine, t, "3-day cough. Lisinopril 25 mg. BP 120/80.", on_found, &f),
	    0);
	/* Invented: 39 and 5 mg of amlodipine. */
	assert_int_equal(
	    note_unsupported(&engine, t, "Temperature 39. Started amlodipine 5 mg.", on_found, &f),
	    3);
	assert_string_equal(f.terms[0], "39");
	assert_int_equal(f.kinds[0], NOTE_FLAG_NUMBER);
	assert_string_equal(f.terms[1], "amlodipine");
	assert_int_equal(f.kinds[1], NOTE_FLAG_DRUG);
	assert_string_equal(f.terms[2], "5");

	/* Sides: a right knee in the transcript is not a left knee in the note. */
	f.n = 0;
	assert_int_equal(note_unsupported(&engine, "[patient] my right knee hurts .",
	                                  "Left knee pain. Right knee pain.", on_found, &f),
	                 1);
	assert_string_equal(f.terms[0], "left");
	assert_int_equal(f.kinds[0], NOTE_FLAG_SIDE);

	/* In a draft, the flag lands on the sentence that holds the term. */
	struct note_draft d;
	draft("# Plan\nStart amoxicillin 500 mg.\nRecheck in 2 weeks.", "clinicNote",
	      NOTE_MODE_DICTATION, &d);
	assert_int_equal(d.nissues, 0);
	note_draft_clear(&d);
	f.n = 0;
	assert_int_equal(note_unsupported(&engine, "Start amoxicillin 500 mg.",
	                                  "Start amoxicillin 250 mg.", on_found, &f),
	                 1);
	assert_string_equal(f.terms[0], "250");
}

static void test_every_type_drafts(void **state)
{
	(void)state;
	const char *t = "[doctor] what brings you in today ?\n[patient] i've had chest pain for "
	                "two days .\n[doctor] any shortness of breath ?\n[patient] no .\n"
	                "[doctor] on exam your heart has a regular rhythm .\n"
	                "[doctor] my impression is chest wall pain . i want you to take ibuprofen "
	                "400 mg three times a day .";
	for (size_t i = 0; i < note_type_count; i++)
		for (int mode = 0; mode < 2; mode++) {
			struct note_draft d;
			draft(t, note_type_keys[i], (enum note_mode)mode, &d);
			assert_true(d.note.nsections >= 1);
			assert_int_equal(d.nissues, 0);
			assert_true(anywhere(&d, "2-day") || anywhere(&d, "two days"));
			note_draft_clear(&d);
		}
	struct note_draft d = {0};
	assert_int_equal(note_draft(&engine, t, "soapNote", NULL, NOTE_MODE_AMBIENT, &d),
	                 DICTUM_NOTFOUND);
	note_draft_clear(&d);
	draft("", "clinicNote", NOTE_MODE_AMBIENT, &d);
	assert_int_equal(d.note.nsections, 0);
	note_draft_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dictation_headers),
	    cmocka_unit_test(test_dictation_rendered),
	    cmocka_unit_test(test_dictation_scratch_that),
	    cmocka_unit_test(test_dictation_unheaded),
	    cmocka_unit_test(test_glosses),
	    cmocka_unit_test(test_ambient_rules),
	    cmocka_unit_test(test_ambient_drops_small_talk),
	    cmocka_unit_test(test_spans),
	    cmocka_unit_test(test_faithfulness),
	    cmocka_unit_test(test_every_type_drafts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
