#include "testutil.h"

#include "asr/postprocess.h"
#include "core/lib.h"

#include <ctype.h>
#include <strings.h>

/* Out-of-memory injection: in a plain glibc build the test replaces the
 * allocator (glibc supports this) with one that fails from the Nth call on
 * and counts live blocks. Sanitizer builds keep their own allocator. */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define PP_FAULTS 1
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long fault_countdown = -1; /* -1: never fail */
static long live_blocks;
static long alloc_calls;

static bool fault_now(void)
{
	alloc_calls++;
	if (fault_countdown < 0)
		return false;
	if (fault_countdown == 0)
		return true;
	fault_countdown--;
	return false;
}

void *malloc(size_t n)
{
	void *p = fault_now() ? NULL : __libc_malloc(n);
	live_blocks += p != NULL;
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = fault_now() ? NULL : __libc_calloc(n, size);
	live_blocks += p != NULL;
	return p;
}

void *realloc(void *old, size_t n)
{
	if (old && n == 0) {
		live_blocks--;
		return __libc_realloc(old, 0);
	}
	void *p = fault_now() ? NULL : __libc_realloc(old, n);
	live_blocks += p != NULL && old == NULL;
	return p;
}

void free(void *p)
{
	live_blocks -= p != NULL;
	__libc_free(p);
}
#endif

struct pp_case {
	const char *in;
	const char *out; /* dictation_render of the result */
};

/* Every spoken command phrase; none may survive into a note. */
static const char *const command_words[] = {
    "period",        "full stop",    "comma",       "colon",      "semicolon",     "semi colon",
    "question mark", "exclamation",  "new line",    "next line",  "new paragraph", "next paragraph",
    "open paren",    "close paren",  "parenthesis", "open quote", "close quote",   "end quote",
    "unquote",       "hyphen",       "dash",        "slash",      "scratch that",  "delete that",
    "strike that",   "next section", NULL,
};

static char *render(const char *in)
{
	struct dictation_result *r = NULL;
	char *text = NULL;
	assert_int_equal(dictation_process(in, &r), DICTUM_OK);
	assert_non_null(r);
	assert_int_equal(dictation_render(r, &text), DICTUM_OK);
	dictation_result_free(&r);
	assert_null(r);
	return text;
}

static void check_cases(const struct pp_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *text = render(cases[i].in);
		if (strcmp(text, cases[i].out) != 0)
			print_error("input:    %s\nexpected: %s\ngot:      %s\n", cases[i].in,
			            cases[i].out, text);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

/* Whole-word, case-insensitive occurrences of phrase in text. */
static size_t count_phrase(const char *text, const char *phrase)
{
	size_t n = 0, len = strlen(phrase);
	for (const char *p = text; *p; p++) {
		if (strncasecmp(p, phrase, len) != 0)
			continue;
		bool left = p == text || !isalpha((unsigned char)p[-1]);
		bool right = !isalpha((unsigned char)p[len]);
		n += left && right;
	}
	return n;
}

static size_t count_command_words(const char *text)
{
	size_t n = 0;
	for (size_t i = 0; command_words[i]; i++)
		n += count_phrase(text, command_words[i]);
	return n;
}

static void test_spoken_punctuation(void **state)
{
	static const struct pp_case cases[] = {
	    {"the patient is well period", "The patient is well."},
	    {"no fever comma no chills period", "No fever, no chills."},
	    {"temperature colon normal period", "Temperature: normal."},
	    {"diet controlled semicolon no insulin period", "Diet controlled; no insulin."},
	    {"stable semi colon afebrile", "Stable; afebrile"},
	    {"any questions question mark", "Any questions?"},
	    {"he is stable full stop", "He is stable."},
	    {"great news exclamation point", "Great news!"},
	    {"lisinopril open paren zestril close paren daily period",
	     "Lisinopril (zestril) daily."},
	    {"follow hyphen up in two weeks period", "Follow-up in 2 weeks."},
	    {"and slash or", "And/or"},
	    {"nausea dash vomiting", "Nausea-vomiting"},
	    {"she said open quote i feel fine close quote period", "She said \"I feel fine\"."},
	    {"well period next sentence period", "Well. Next sentence."},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_layout(void **state)
{
	static const struct pp_case cases[] = {
	    {"cough new line fever", "Cough\nFever"},
	    {"cough period new paragraph fever period", "Cough.\n\nFever."},
	    {"new paragraph new paragraph cough", "Cough"},
	    {"cough new line new paragraph fever", "Cough\n\nFever"},
	    {"cough next line fever next paragraph rash", "Cough\nFever\n\nRash"},
	    {"cough period new paragraph", "Cough."},
	    {"cough period next section fever period", "Cough.\n\nFever."},
	    /* "paragraph" after a full stop, whatever was heard for "new" */
	    {"cough period it paragraph fever period", "Cough.\n\nFever."},
	    {"cough period paragraph fever period", "Cough.\n\nFever."},
	    {"it paragraph two is long period", "It paragraph two is long."},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_command_words_in_context(void **state)
{
	static const struct pp_case cases[] = {
	    {"last menstrual period two weeks ago period", "Last menstrual period 2 weeks ago."},
	    {"postpartum period uncomplicated period", "Postpartum period uncomplicated."},
	    {"the sigmoid colon was normal period", "The sigmoid colon was normal."},
	    {"history of colon cancer period", "History of colon cancer."},
	    {"started a new line of therapy period", "Started a new line of therapy."},
	    /* A command that closes the sentence anyway is one, whatever
	     * precedes it; an article left before it is the recogniser's. */
	    {"shingles vaccine after recovery period", "Shingles vaccine after recovery."},
	    {"rest during the recovery period new paragraph plan colon ice",
	     "Rest during the recovery.\n\nPlan:\nIce"},
	    {"lungs clear a new paragraph assessment colon asthma period",
	     "Lungs clear\n\nAssessment:\nAsthma."},
	    {"no rebound the period new line aspirin period", "No rebound.\nAspirin."},
	    {"chief complaint colon a period", "Chief Complaint:\nA."},
	    {"the recovery period was short period", "The recovery period was short."},
	    /* "a period" or "the period" that the next word does not carry on. */
	    {"ondansetron four milligrams a period tamsulosin daily period",
	     "Ondansetron 4 mg. Tamsulosin daily."},
	    {"new laundry detergent the period no lip swelling period",
	     "New laundry detergent. No lip swelling."},
	    {"bleeding for a period of two weeks period", "Bleeding for a period of 2 weeks."},
	    {"during the period before admission she was well period",
	     "During the period before admission she was well."},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_scratch_that(void **state)
{
	static const struct pp_case cases[] = {
	    {"scratch that the patient is well period", "The patient is well."},
	    {"scratch that", ""},
	    {"he has a cough period scratch that she has a cough period", "She has a cough."},
	    {"fever period he has a cough scratch that no cough period", "Fever. No cough."},
	    {"one period two period scratch that scratch that three period", "Three."},
	    {"fever period new paragraph scratch that cough period", "Cough."},
	    {"plan colon scratch that assessment colon stable period", "Assessment:\nStable."},
	    {"chief complaint colon cough period scratch that", "Chief Complaint:"},
	    {"chief complaint colon cough period plan colon rest period scratch that scratch that",
	     "Chief Complaint:\nCough."},
	    {"he takes lisinopril forty milligrams once a day new paragraph scratch that he takes "
	     "metformin five hundred milligrams twice a day period",
	     "He takes metformin 500 mg twice a day."},
	    /* the full stop said after "scratch that" ends nothing: dropped */
	    {"fever period keep a diary period scratch that period return in six weeks period",
	     "Fever. Return in 6 weeks."},
	    {"cough period scratch that period", ""},
	    {"fever period delete that period new paragraph rest period", "Rest."},
	    {"fever period period", "Fever."},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_numbers(void **state)
{
	static const struct pp_case cases[] = {
	    {"temperature one hundred point four", "Temperature 100.4"},
	    {"a sixty two year old man", "A 62-year-old man"},
	    {"blood pressure one twenty over eighty", "Blood pressure 120/80"},
	    {"oxygen saturation ninety eight percent on room air",
	     "Oxygen saturation 98% on room air"},
	    {"creatinine two point five", "Creatinine 2.5"},
	    {"dose zero point five milligrams", "Dose 0.5 mg"},
	    {"point five milligrams", "0.5 mg"},
	    {"twenty one", "21"},
	    {"one hundred and five", "105"},
	    {"one oh five", "105"},
	    {"one hundred forty five over ninety", "145/90"},
	    {"two thousand and twenty", "2020"},
	    {"ninety eight point six degrees fahrenheit", "98.6 degrees Fahrenheit"},
	    {"uric acid eight point one", "Uric acid 8.1"},
	    {"ldl ninety eight", "LDL 98"},
	    {"murmur two over six", "Murmur 2/6"},
	    {"pain five out of ten", "Pain 5/10"},
	    {"two to three days", "2 to 3 days"},
	    {"one or two tablets", "1 or 2 tablets"},
	    {"alert and oriented times three", "Alert and oriented x3"},
	    {"he is sixty years old", "He is 60 years old"},
	    {"eleven year old girl", "11-year-old girl"},
	    {"type two diabetes", "Type 2 diabetes"},
	    {"point two five milligrams", "0.25 mg"},
	    {"seen at two thirty p m", "Seen at 2:30 p.m."},
	    {"at seven a m", "At 7 a.m."},
	    {"quit smoking in nineteen ninety eight", "Quit smoking in 1998"},
	    {"since twenty twenty three", "Since 2023"},
	    {"two dash three days", "2-3 days"},
	    {"grade two over six murmur", "Grade 2/6 murmur"},
	    {"gravida two para one at thirty two weeks", "Gravida 2 para 1 at 32 weeks"},
	    {"took 40 milligrams and 2.5 milligrams", "Took 40 mg and 2.5 mg"},
	    {"sat 98% on room air", "Sat 98% on room air"},
	    {"urine protein two plus", "Urine protein 2+"},
	    {"fever to one hundred three point five", "Fever to 103.5"},
	    {"platelets two hundred fifty thousand", "Platelets 250000"},
	    {"one and a half tablets", "1.5 tablets"},
	    {"o two saturation ninety one percent", "O2 saturation 91%"},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_numbers_left_as_words(void **state)
{
	static const struct pp_case cases[] = {
	    {"no one was with him", "No one was with him"},
	    {"every one of the lesions", "Every one of the lesions"},
	    {"one of the lesions", "One of the lesions"},
	    {"no one over sixty five", "No one over 65"},
	    {"four simple interrupted sutures", "Four simple interrupted sutures"},
	    {"two gout flares", "Two gout flares"},
	    {"one point of tenderness", "One point of tenderness"},
	    {"tenderness at mcburney point period", "Tenderness at McBurney point."},
	    {"his number one concern", "His number one concern"},
	    {"one over the other", "One over the other"},
	    {"at times one eye waters", "At times one eye waters"},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_units(void **state)
{
	static const struct pp_case cases[] = {
	    {"lisinopril forty milligrams daily", "Lisinopril 40 mg daily"},
	    {"metformin five hundred milligrams twice a day", "Metformin 500 mg twice a day"},
	    {"levothyroxine fifty micrograms", "Levothyroxine 50 mcg"},
	    {"insulin glargine twenty units at bedtime", "Insulin glargine 20 units at bedtime"},
	    {"normal saline five hundred milliliters", "Normal saline 500 mL"},
	    {"glucose one hundred twenty milligrams per deciliter", "Glucose 120 mg/dL"},
	    {"blood pressure one forty over ninety millimeters of mercury",
	     "Blood pressure 140/90 mmHg"},
	    {"heart rate seventy two beats per minute", "Heart rate 72 bpm"},
	    {"amoxicillin forty five milligrams per kilogram twice daily",
	     "Amoxicillin 45 mg/kg twice daily"},
	    {"one percent lidocaine", "1% lidocaine"},
	    {"three centimeter laceration", "3 cm laceration"},
	    {"twelve point five milligrams", "12.5 mg"},
	    {"vitamin d one thousand units daily", "Vitamin D 1000 units daily"},
	    {"weight seventy kilograms", "Weight 70 kg"},
	    {"acetaminophen fifteen milligrams per kilogram every six hours",
	     "Acetaminophen 15 mg/kg every 6 hours"},
	    {"heparin sixty units per kilogram i v", "Heparin 60 units/kg IV"},
	    {"opening pressure eighteen centimeters of water", "Opening pressure 18 cm H2O"},
	    {"troponin zero point four five nanograms per milliliter", "Troponin 0.45 ng/mL"},
	    {"an eighteen month old boy", "An 18-month-old boy"},
	    {"she smokes one pack per day", "She smokes 1 pack per day"},
	    {"hemoglobin a one c seven point two percent", "Hemoglobin A1c 7.2%"},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_lists_and_spelling(void **state)
{
	static const struct pp_case cases[] = {
	    {"plan colon number one hypertension period number two diabetes period",
	     "Plan:\n1. Hypertension.\n2. Diabetes."},
	    {"number one cough number two fever", "1. Cough\n2. Fever"},
	    {"copd and chf", "COPD and CHF"},
	    {"i think chest x ray is clear", "I think chest x-ray is clear"},
	    {"e k g normal", "EKG normal"},
	    {"needle at l four dash l five", "Needle at L4-L5"},
	    {"phq nine score of eighteen", "PHQ-9 score of 18"},
	    {"st elevation in a v f", "ST elevation in aVF"},
	    {"negative except as noted in the h p i", "Negative except as noted in the HPI"},
	    {"s one s two normal", "S1 S2 normal"},
	    {"<s> the [noise] patient(2) </s> is well", "The patient is well"},
	    {"um the patient uh is ++breath++ well", "The patient is well"},
	    {"The PATIENT, is well.", "The patient is well"},
	    {"café au lait spots", "Café au lait spots"},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_headers(void **state)
{
	static const struct pp_case cases[] = {
	    {"patient seen today period chief complaint colon cough",
	     "Patient seen today.\n\nChief Complaint:\nCough"},
	    {"review of systems was negative period", "Review of systems was negative."},
	    {"family history of colon cancer period", "Family history of colon cancer."},
	    {"family history colon colon cancer in his father period",
	     "Family History:\nColon cancer in his father."},
	    {"physical exam heart regular period", "Physical Exam:\nHeart regular."},
	    {"plan continue meds", "Plan continue meds"},
	    {"chest pain history of present illness colon",
	     "Chest pain\n\nHistory of Present Illness:"},
	    {"cholesterol follow up period", "Cholesterol follow up."},
	    {"follow up colon two weeks", "Follow-up:\n2 weeks"},
	    {"a and p colon stable", "Assessment and Plan:\nStable"},
	    {"preoperative diagnosis colon appendicitis period",
	     "Preoperative Diagnosis:\nAppendicitis."},
	    {"mental status exam colon tearful period", "Mental Status Exam:\nTearful."},
	    {"findings as noted on exam colon normal", "Findings as noted on exam: normal"},
	    {"no muscle aches plan colon continue", "No muscle aches\n\nPlan:\nContinue"},
	    {"physical exam colon skin colon warm period", "Physical Exam:\nSkin: warm."},
	    {"medications colon none period allergies colon none", "Medications:\nNone.\n\n"
	                                                           "Allergies:\nNone"},
	};
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_header_sequence(void **state)
{
	static const char *const keys[] = {
	    "chief_complaint",
	    "hpi",
	    "ros",
	    "pmh",
	    "medications",
	    "allergies",
	    "social_history",
	    "family_history",
	    "exam",
	    "results",
	    "assessment_plan",
	    "plan",
	    "exam",
	    "assessment_plan",
	};
	const char *in = "chief complaint colon a period h p i colon b period review of systems "
	                 "colon c period past medical history colon d period medications colon e "
	                 "period allergies colon f period social history colon g period family "
	                 "history colon h period physical examination colon i period results "
	                 "colon j period assessment and plan colon k period plan colon l period "
	                 "physical exam colon m period a and p colon n period";
	struct dictation_result *r = NULL;
	assert_int_equal(dictation_process(in, &r), DICTUM_OK);
	assert_int_equal(r->n_sections, sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < r->n_sections; i++) {
		assert_string_equal(r->sections[i].key, keys[i]);
		assert_true(r->sections[i].cued);
		assert_int_equal(r->sections[i].n_sentences, 1);
	}
	assert_string_equal(r->sections[1].title, "History of Present Illness");
	assert_string_equal(r->sections[1].text, "B.");
	assert_string_equal(r->sections[8].text, "I.");
	dictation_result_free(&r);
}

static void test_spans(void **state)
{
	/* 0 chief 1 complaint 2 colon 3 cough 4 period 5 he 6 is 7 well 8 period
	 * 9 next 10 section 11 blood 12 pressure 13 one 14 twenty 15 over 16 eighty */
	const char *in = "chief complaint colon cough period he is well period next section "
	                 "blood pressure one twenty over eighty";
	struct dictation_result *r = NULL;
	assert_int_equal(dictation_process(in, &r), DICTUM_OK);
	assert_int_equal(r->n_words, 17);
	assert_int_equal(r->n_sections, 2);
	const struct dictation_section *s = &r->sections[0];
	assert_string_equal(s->key, "chief_complaint");
	assert_int_equal(s->header_first, 0);
	assert_int_equal(s->header_last, 2);
	assert_int_equal(s->n_sentences, 2);
	assert_int_equal(s->sentences[0].first_word, 3);
	assert_int_equal(s->sentences[0].last_word, 4);
	assert_int_equal(s->sentences[1].first_word, 5);
	assert_int_equal(s->sentences[1].last_word, 8);
	assert_int_equal(s->sentences[1].start, 7);
	assert_int_equal(s->sentences[1].end, 18);
	assert_memory_equal(s->text + s->sentences[1].start, "He is well.", 11);
	s = &r->sections[1];
	assert_string_equal(s->key, DICTATION_DEFAULT_KEY);
	assert_string_equal(s->title, "");
	assert_false(s->cued);
	assert_true(s->after_next_section);
	assert_string_equal(s->text, "Blood pressure 120/80");
	assert_int_equal(s->n_sentences, 1);
	assert_int_equal(s->sentences[0].first_word, 11);
	assert_int_equal(s->sentences[0].last_word, 16);
	/* Pieces: "Blood" 11, "pressure" 12, "120/80" 13..16. */
	assert_int_equal(s->n_pieces, 3);
	assert_int_equal(s->pieces[2].start, 15);
	assert_int_equal(s->pieces[2].end, 21);
	assert_int_equal(s->pieces[2].first_word, 13);
	assert_int_equal(s->pieces[2].last_word, 16);
	/* "Cough." is two pieces: the word and the full stop from "period". */
	s = &r->sections[0];
	assert_int_equal(s->n_pieces, 6);
	assert_int_equal(s->pieces[1].start, 5);
	assert_int_equal(s->pieces[1].end, 6);
	assert_int_equal(s->pieces[1].first_word, 4);
	assert_int_equal(s->pieces[1].last_word, 4);
	dictation_result_free(&r);

	/* Indices count the caller's words, fillers included. */
	const char *const words[] = {"<s>", "forty", "milligrams", NULL, "daily", "period"};
	assert_int_equal(dictation_process_words(words, 6, &r), DICTUM_OK);
	assert_int_equal(r->n_words, 6);
	assert_int_equal(r->n_sections, 1);
	assert_string_equal(r->sections[0].text, "40 mg daily.");
	assert_int_equal(r->sections[0].sentences[0].first_word, 1);
	assert_int_equal(r->sections[0].sentences[0].last_word, 5);
	dictation_result_free(&r);
}

static void test_empty_and_invalid(void **state)
{
	struct dictation_result *r = NULL;
	char *text = NULL;
	static const char *const empties[] = {"", "   \n\t ", "<s> </s> [noise]",
	                                      "new paragraph scratch that next section"};
	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		assert_int_equal(dictation_process(empties[i], &r), DICTUM_OK);
		assert_int_equal(r->n_sections, 0);
		assert_int_equal(dictation_render(r, &text), DICTUM_OK);
		assert_string_equal(text, "");
		free(text);
		dictation_result_free(&r);
	}
	assert_int_equal(dictation_process(NULL, &r), DICTUM_OK);
	assert_int_equal(r->n_sections, 0);
	dictation_result_free(&r);
	assert_int_equal(dictation_process_words(NULL, 0, &r), DICTUM_OK);
	dictation_result_free(&r);
	dictation_result_free(&r);
	dictation_result_free(NULL);
	assert_int_equal(dictation_process("x", NULL), DICTUM_INVAL);
	assert_int_equal(dictation_process_words(NULL, 3, &r), DICTUM_INVAL);
	assert_null(r);
	assert_int_equal(dictation_render(NULL, &text), DICTUM_INVAL);
}

static void test_long_input(void **state)
{
	const char *unit = "the patient is a sixty two year old man period new paragraph ";
	const size_t reps = 5000, unit_words = 12;
	struct dynbuf d;
	dynbuf_init(&d, 1u << 24);
	for (size_t i = 0; i < reps; i++)
		assert_int_equal(dynbuf_addstr(&d, unit), DICTUM_OK);
	assert_int_equal(dynbuf_addstr(&d, "scratch that"), DICTUM_OK);
	struct dictation_result *r = NULL;
	assert_int_equal(dictation_process(dynbuf_str(&d), &r), DICTUM_OK);
	assert_int_equal(r->n_words, reps * unit_words + 2);
	assert_int_equal(r->n_sections, 1);
	const struct dictation_section *s = &r->sections[0];
	assert_int_equal(s->n_sentences, reps - 1);
	const struct dictation_span *last = &s->sentences[s->n_sentences - 1];
	assert_int_equal(last->first_word, (reps - 2) * unit_words);
	assert_int_equal(last->last_word, (reps - 2) * unit_words + 9);
	const char *expect = "The patient is a 62-year-old man.";
	assert_int_equal(strlen(s->text), (reps - 1) * strlen(expect) + (reps - 2) * 2);
	assert_memory_equal(s->text + last->start, expect, strlen(expect));
	assert_int_equal(count_command_words(s->text), 0);
	dictation_result_free(&r);
	dynbuf_free(&d);
}

static void test_no_command_word_survives(void **state)
{
	const char *in = "chief complaint colon cough period comma colon semicolon semi colon "
	                 "question mark exclamation point exclamation mark full stop new line "
	                 "next line new paragraph next paragraph open paren close paren open "
	                 "parenthesis close parenthesis open bracket close bracket end paren open "
	                 "quote close quote end quote unquote hyphen dash slash scratch that "
	                 "delete that strike that next section history of present illness colon "
	                 "fever period scratch that next section plan colon rest period";
	char *text = render(in);
	assert_int_equal(count_command_words(text), 0);
	assert_int_equal(dictation_count_command_words(text), 0);
	free(text);
	assert_int_equal(dictation_count_command_words(in), 38);
	assert_int_equal(dictation_count_command_words("Colon cancer. Periodic. (dash)"), 2);
	assert_int_equal(dictation_count_command_words(NULL), 0);
}

/* The recogniser spells a letter with a dot ("stage three d."): that is a
 * word, so a transcript holding one is still spoken and still processed;
 * typed text with real stops is left as written. */
static void test_spoken_text_with_letters(void **state)
{
	(void)state;
	char *out = dictation_spoken_text("assessment colon chronic kidney disease stage three d. "
	                                  "with proteinuria period continue lisinopril period");
	assert_non_null(out);
	assert_int_equal(dictation_count_command_words(out), 0);
	assert_non_null(strstr(out, "proteinuria"));
	free(out);
	assert_null(dictation_spoken_text("Stage 3. Continue lisinopril period"));
	assert_null(dictation_spoken_text("cough comma fever: none period"));
	assert_null(dictation_spoken_text("i.e. fever period"));
}

/* Every allocation failure point gives DICTUM_NOMEM, no result and no leak;
 * once no allocation fails, the output is the same as without faults. */
static void test_out_of_memory(void **state)
{
#ifdef PP_FAULTS
	const char *in = "chief complaint colon chest pain for two days period history of present "
	                 "illness colon a sixty two year old man period number one fever new "
	                 "paragraph scratch that blood pressure one twenty over eighty period";
	char *want = render(in);
	bool done = false;
	long k = 0;
	for (; !done && k < 10000; k++) {
		struct dictation_result *r = NULL;
		char *text = NULL;
		long before = live_blocks;
		alloc_calls = 0;
		fault_countdown = k;
		int rc = dictation_process(in, &r);
		if (rc == DICTUM_OK)
			rc = dictation_render(r, &text);
		fault_countdown = -1;
		if (rc == DICTUM_OK) {
			assert_string_equal(text, want);
			done = alloc_calls <= k;
		} else {
			assert_int_equal(rc, DICTUM_NOMEM);
			assert_null(text);
		}
		free(text);
		dictation_result_free(&r);
		assert_int_equal(live_blocks, before);
	}
	assert_true(done);
	printf("out-of-memory: %ld allocation failure points checked\n", k - 1);
	free(want);
#else
	printf("SKIP out-of-memory injection: not a plain glibc build\n");
#endif
}

static char *field(char *line, int n)
{
	char *p = line;
	for (int i = 0; i < n && p; i++) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	if (!p)
		return NULL;
	p[strcspn(p, "\t\r\n")] = '\0';
	return p;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The shared development dictations: no command word left, every key term
 * that was spoken present in the note. Skipped when the folder is absent. */
static void test_shared_dictations(void **state)
{
	const char *dir = getenv("DICTUM_DICTATION_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/transcripts.tsv",
	         dir && *dir ? dir : DICTUM_SOURCE_DATADIR "/../shared/data/dictation");
	char *data = NULL;
	size_t len = 0;
	if (file_read_all(path, 16u << 20, &data, &len) != 0) {
		printf("SKIP shared dictations: %s not found\n", path);
		return;
	}
	size_t rows = 0, left = 0, terms = 0, spoken = 0, present = 0;
	char *save = NULL;
	strtok_r(data, "\n", &save); /* header row */
	for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char copy1[8192], copy2[8192], copy3[8192];
		snprintf(copy1, sizeof(copy1), "%s", line);
		snprintf(copy2, sizeof(copy2), "%s", line);
		snprintf(copy3, sizeof(copy3), "%s", line);
		char *id = field(copy1, 0), *keys = field(copy2, 5), *words = field(copy3, 6);
		assert_non_null(id);
		assert_non_null(keys);
		assert_non_null(words);
		char *text = render(words);
		lower(text);
		size_t n_left = count_command_words(text);
		if (n_left)
			printf("%s: %zu command words left:\n%s\n", id, n_left, text);
		left += n_left;
		char *ksave = NULL;
		for (char *k = strtok_r(keys, ";", &ksave); k; k = strtok_r(NULL, ";", &ksave)) {
			lower(k);
			terms++;
			if (count_phrase(words, k) == 0) {
				printf(
				    "%s: key term '%s' was not spoken (left to the note engine)\n",
				    id, k);
				continue;
			}
			spoken++;
			if (count_phrase(text, k) > 0)
				present++;
			else
				printf("%s: key term '%s' missing from:\n%s\n", id, k, text);
		}
		free(text);
		rows++;
	}
	printf("shared dictations: %zu files, %zu command words left, key terms present %zu of "
	       "%zu spoken (%zu listed)\n",
	       rows, left, present, spoken, terms);
	free(data);
	assert_true(rows > 0);
	assert_int_equal(left, 0);
	assert_int_equal(present, spoken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_spoken_punctuation),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_command_words_in_context),
	    cmocka_unit_test(test_scratch_that),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_numbers_left_as_words),
	    cmocka_unit_test(test_units),
	    cmocka_unit_test(test_lists_and_spelling),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_header_sequence),
	    cmocka_unit_test(test_spans),
	    cmocka_unit_test(test_empty_and_invalid),
	    cmocka_unit_test(test_long_input),
	    cmocka_unit_test(test_no_command_word_survives),
	    cmocka_unit_test(test_spoken_text_with_letters),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_shared_dictations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
