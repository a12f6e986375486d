/* The coding engine case by case, on a real store loaded with the curated
 * table: negation, uncertainty, family and personal history, combination
 * codes, laterality, episode of care, spans, word order, abbreviations in
 * context, status codes, qualifiers, E/M levels, HCC, CPT. */
#include "testutil.h"

#include "coding/coding.h"
#include "core/lib.h"
#include "offline/store.h"
#include "offline/store_icd10.h"

#include <json-c/json.h>

static char *dir;
static store *st;
static struct coding *engine;

static int group_setup(void **state)
{
	dir = test_tmpdir();
	char path[4200], err[512] = "";
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	if (store_open(path, &st, err, sizeof(err)) != DICTUM_OK)
		return -1;
	if (coding_open(st, &engine, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "coding_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	coding_close(&engine);
	store_close(&st);
	test_rmtree(dir);
	free(dir);
	return 0;
}

/* The suggestion for code, or NULL. */
static const struct icd_suggestion *find(const struct icd_result *r, const char *code)
{
	for (size_t i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i].code, code) == 0)
			return &r->codes[i];
	return NULL;
}

static void suggest(const char *text, struct icd_result *r)
{
	assert_int_equal(icd_suggest(engine, text, NULL, r), DICTUM_OK);
}

static void expect(const char *text, const char *const *want, const char *const *not_want)
{
	struct icd_result r;
	suggest(text, &r);
	for (size_t i = 0; want && want[i]; i++)
		if (!find(&r, want[i]))
			fail_msg("\"%s\": expected %s", text, want[i]);
	for (size_t i = 0; not_want && not_want[i]; i++)
		if (find(&r, not_want[i]))
			fail_msg("\"%s\": did not expect %s", text, not_want[i]);
	icd_result_free(&r);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_curated_loaded(void **state)
{
	int64_t total = 0, curated = 0;
	assert_int_equal(store_icd10_count(st, &total, &curated), DICTUM_OK);
	assert_true(curated >= 2000);
	assert_true(coding_phrase_count(engine) > coding_code_count(engine));
	/* A second open finds the table loaded and does not reload it. */
	struct coding *again = NULL;
	char err[256];
	assert_int_equal(coding_open(st, &again, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(coding_code_count(again), coding_code_count(engine));
	coding_close(&again);
	assert_null(again);
}

static void test_abbreviations_and_synonyms(void **state)
{
	expect("Hx: HTN, HLD, GERD, OSA on CPAP.", L("I10", "E78.5", "K21.9", "G47.33"), NULL);
	expect("Assessment: CHF and COPD, stable.", L("I50.9", "J44.9"), NULL);
	expect("AFib on apixaban.", L("I48.91", "Z79.01"), NULL);
	expect("Dx: UTI.", L("N39.0"), NULL);
	expect("URI symptoms for two days.", L("J06.9"), NULL);
	expect("High blood pressure and high cholesterol.", L("I10", "E78.5"), NULL);
	expect("CKD 3a noted on labs.", L("N18.31"), NULL);
}

static void test_misspellings(void **state)
{
	/* speech recognition spellings */
	expect("History of hypertention and diabetis type 2.", L("I10"), NULL);
	expect("Likely numonia was excluded; she has asthama.", L("J45.909"), L("J18.9"));
	expect("Type II diabetes.", L("E11.9"), NULL);
	/* typing slips: two letters swapped, a doubled letter single or a letter doubled */
	expect("Pnuemonia and ashtma.", L("J18.9", "J45.909"), NULL);
	expect("Anemai; hypertennsion; gastroparesiss.", L("D64.9", "I10", "K31.84"), NULL);
	struct icd_result r;
	suggest("Congestive heart failrue.", &r);
	assert_non_null(find(&r, "I50.9"));
	assert_string_equal(find(&r, "I50.9")->note, "spelling corrected");
	icd_result_free(&r);
	suggest("Heart failure.", &r);
	assert_null(find(&r, "I50.9")->note);
	icd_result_free(&r);
	/* a changed letter is often another word: macroscopic is not microscopic */
	expect("Macroscopic hematuria.", NULL, L("R31.21"));
	expect("Gastrotomy for a foreign body.", NULL, L("Z93.1"));
	/* short words are not guessed: "gout" is not "goat" */
	expect("Goat bite.", NULL, L("M10.9"));
	/* British spellings */
	expect("Anaemia and haematuria; oesophagitis.", L("D64.9", "R31.9", "K20.90"), NULL);
	expect("Generalised oedema.", L("R60.1"), NULL);
}

static void test_negation(void **state)
{
	expect("Patient denies chest pain.", NULL, L("R07.9"));
	expect("No fever. Has a cough.", L("R05.9"), L("R50.9"));
	expect("Negative for nausea, vomiting, or diarrhea.", NULL, L("R11.0", "R11.10", "R19.7"));
	expect("Pneumonia was ruled out.", NULL, L("J18.9"));
	expect("Denies fever but reports chest pain.", L("R07.9"), L("R50.9"));
	/* a history trigger closes an earlier negation's scope; "no history of" negates */
	expect("Without known allergies, with a history of dyslipidemia and hypertension.",
	       L("E78.5", "I10"), NULL);
	expect("No history of diabetes.", NULL, L("E11.9"));
	/* a pseudo-trigger does not negate */
	expect("No change in her chronic cough.", L("R05.3"), NULL);
	/* "non-" written onto the mention negates it, not a word further on */
	expect("An encapsulated, non-bleeding lesion.", NULL, L("R58"));
	expect("Enoxaparin was given to avoid bleeding.", NULL, L("R58"));
	expect("Non-small cell lung cancer.", L("C34.90"), NULL);
	/* a verb after a list negates all of it */
	expect("Adenopathy, goiter or jugular engorgement is not present.", NULL,
	       L("R59.9", "R59.0", "E04.9"));
	expect("Leukocytosis was not observed; anemia was.", L("D64.9"), L("D72.829"));
}

static void test_uncertainty(void **state)
{
	/* outpatient: code the symptom, not the suspected condition */
	expect("Cough and fever. Rule out pneumonia.", L("R05.9", "R50.9"), L("J18.9"));
	expect("Possible appendicitis.", NULL, L("K35.80"));
	/* two diagnoses offered as alternatives: neither is established */
	expect("Chest film compatible with pneumonia or atelectasis.", NULL, L("J18.9", "J98.11"));
	expect("Chest film compatible with pneumonia.", L("J18.9"), NULL);
	/* a differential diagnosis within a sentence */
	expect("The differential diagnosis between ulcerative colitis and Crohn disease was made.",
	       NULL, L("K51.90", "K50.90"));
	struct icd_options inpatient = {true};
	struct icd_result r;
	assert_int_equal(icd_suggest(engine, "Probable pneumonia.", &inpatient, &r), DICTUM_OK);
	assert_non_null(find(&r, "J18.9"));
	icd_result_free(&r);
}

static void test_family_history(void **state)
{
	expect("Family history of colon cancer.", L("Z80.0"), L("C18.9"));
	expect("Her mother had breast cancer.", L("Z80.3"), L("C50.919"));
	expect("Father with diabetes.", L("Z83.3"), L("E11.9"));
	expect("Family History:\nStroke in her father.\nSocial History:\nSmoker.",
	       L("Z82.3", "F17.200"), L("I63.9"));
	expect("No family history of colon cancer.", NULL, L("Z80.0", "C18.9"));
}

static void test_personal_history(void **state)
{
	expect("History of DVT, off anticoagulation.", L("Z86.718"), L("I82.409"));
	expect("History of breast cancer, status post mastectomy.", L("Z85.3"), L("C50.919"));
	expect("Pneumonia resolved.", L("Z87.01"), L("J18.9"));
	/* chronic conditions documented as history are still current */
	expect("History of hypertension on lisinopril.", L("I10"), NULL);
	/* history whose sentence says it is still there: treated, staged,
	 * recurring; eradicated or resolved stays history */
	expect("History of prostate adenocarcinoma treated with LHRH analogues.", L("C61"),
	       L("Z85.46"));
	expect("History of recurrent renal lithiasis.", L("N20.0"), L("Z87.442"));
	expect("History of prostate cancer, status post prostatectomy.", L("Z85.46"), L("C61"));
	expect("History of kidney stones, treated and now resolved.", L("Z87.442"), L("N20.0"));
}

static void test_combination_codes(void **state)
{
	expect("Type 2 diabetes with diabetic CKD stage 3a.", L("E11.22", "N18.31"),
	       L("E11.9", "N18.9"));
	expect("T2DM. CKD stage 4.", L("E11.22", "N18.4"), L("E11.9"));
	expect("Hypertension and CKD stage 3b.", L("I12.9", "N18.32"), L("I10"));
	expect("Hypertension. ESRD on dialysis.", L("I12.0", "N18.6", "Z99.2"), L("I10"));
	expect("Hypertension with chronic diastolic heart failure.", L("I11.0", "I50.32"),
	       L("I10"));
	expect("HTN, CKD 3a and HFrEF.", L("I13.0", "N18.31", "I50.22"), L("I10", "I12.9"));
	expect("Type 2 diabetes with peripheral neuropathy.", L("E11.42"), L("E11.9", "G62.9"));
	expect("Uncontrolled diabetes.", L("E11.65"), NULL);
	expect("Septic shock.", L("A41.9", "R65.21"), NULL);
}

static void test_excludes_and_integral(void **state)
{
	/* Excludes1: single-episode depression with recurrent; prediabetes with diabetes */
	expect("Depression. Recurrent major depression, moderate.", L("F33.1"),
	       L("F32.9", "F32.A"));
	expect("Prediabetes. Type 2 diabetes.", L("E11.9"), L("R73.03"));
	/* symptoms integral to a definitive diagnosis */
	expect("Dysuria. UTI.", L("N39.0"), L("R30.0"));
	expect("Otitis media with ear pain.", L("H66.90"), L("H92.09"));
	/* a nonspecific code gives way to a specific one of its category */
	expect("Asthma. Asthma exacerbation.", L("J45.901"), L("J45.909"));
}

static void test_laterality_and_episode(void **state)
{
	expect("Sprained left ankle.", L("S93.402A"), L("S93.409A"));
	expect("Pain in the right knee.", L("M25.561"), L("M25.569"));
	expect("Otitis media, right ear.", L("H66.91"), NULL);
	expect("Cerumen impaction bilaterally.", L("H61.23"), NULL);
	/* a description ending in "unspecified" with a side stated (ASan found
	 * a read past its end) */
	expect("Bilateral hematuria.", L("R31.9"), NULL);
	expect("Follow-up visit for left ankle sprain, healing.", L("S93.402D"), L("S93.402A"));
}

static void test_spans_are_exact(void **state)
{
	const char *text = "Assessment:\n1. Essential hypertension.\n2. Denies chest pain.\n"
	                   "3. Type 2 diabetes mellitus with hyperglycemia.";
	struct icd_result r;
	suggest(text, &r);
	assert_true(r.ncodes >= 2);
	for (size_t i = 0; i < r.ncodes; i++) {
		const struct icd_suggestion *s = &r.codes[i];
		assert_true(s->span_start >= 0 && s->span_end <= (int)strlen(text));
		assert_int_equal((int)strlen(s->evidence), s->span_end - s->span_start);
		assert_memory_equal(text + s->span_start, s->evidence, strlen(s->evidence));
		assert_true(s->score > 0 && s->score <= 1);
	}
	const struct icd_suggestion *e = find(&r, "E11.65");
	assert_non_null(e);
	assert_string_equal(e->evidence, "Type 2 diabetes mellitus with hyperglycemia");
	const struct icd_suggestion *h = find(&r, "I10");
	assert_non_null(h);
	assert_string_equal(h->evidence, "Essential hypertension");
	assert_int_equal(h->span_start, 15);
	assert_int_equal(r.nskipped, 1);
	assert_string_equal(r.skipped[0].code, "R07.9");
	assert_int_equal(r.skipped[0].context, ICD_NEGATED);
	icd_result_free(&r);
	/* empty and symbol-only text */
	suggest("", &r);
	assert_int_equal(r.ncodes, 0);
	icd_result_free(&r);
	suggest("... ;; !!", &r);
	assert_int_equal(r.ncodes, 0);
	icd_result_free(&r);
}

/* The score of one code in a text (-1 when not suggested). */
static double score_of(const char *text, const struct icd_options *opts, const char *code)
{
	struct icd_result r;
	assert_int_equal(icd_suggest(engine, text, opts, &r), DICTUM_OK);
	const struct icd_suggestion *s = find(&r, code);
	double v = s ? s->score : -1;
	icd_result_free(&r);
	return v;
}

static void test_score_ranks_evidence(void **state)
{
	/* a condition the note comes back to is surer than one said once */
	double once = score_of("Pneumonia on the chest film.", NULL, "J18.9");
	double twice =
	    score_of("Pneumonia on the chest film. The pneumonia was treated.", NULL, "J18.9");
	assert_true(once > 0 && twice > once);
	/* a status code is supplementary: less sure than a diagnosis */
	assert_true(score_of("Kidney transplant in 2010; hypertension.", NULL, "Z94.0") <
	            score_of("Kidney transplant in 2010; hypertension.", NULL, "I10"));
	/* an uncertain diagnosis coded as established (inpatient) is less sure */
	const struct icd_options inpatient = {.inpatient = true};
	assert_true(score_of("Probable pneumonia.", &inpatient, "J18.9") <
	            score_of("Pneumonia.", &inpatient, "J18.9"));
	/* a tumor whose behavior is not stated is less sure than a mass */
	assert_true(score_of("Bladder tumor.", NULL, "D49.4") <
	            score_of("Renal mass.", NULL, "N28.89"));
}

static void test_search(void **state)
{
	struct icd10_row *rows = NULL;
	size_t n = 0;
	assert_int_equal(store_icd10_search(st, "type 2 diabetes with ckd", 10, &rows, &n),
	                 DICTUM_OK);
	assert_true(n > 0);
	assert_string_equal(rows[0].code, "E1122");
	icd10_rows_free(&rows, n);
	assert_int_equal(store_icd10_search(st, "E11.2", 10, &rows, &n), DICTUM_OK);
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(rows[i].code, "E112", 4);
	icd10_rows_free(&rows, n);
	assert_int_equal(store_icd10_search(st, "afib", 5, &rows, &n), DICTUM_OK);
	assert_true(n > 0);
	assert_string_equal(rows[0].code, "I4891");
	icd10_rows_free(&rows, n);
	/* a trailing filler word narrows nothing: "abscess of" finds abscesses */
	assert_int_equal(store_icd10_search(st, "abscess of", 10, &rows, &n), DICTUM_OK);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_non_null(strstr(rows[i].description, "bscess"));
	icd10_rows_free(&rows, n);
	/* a number at the end is a prefix: stage 3 finds 3a and 3b */
	assert_int_equal(store_icd10_search(st, "chronic kidney disease stage 3", 10, &rows, &n),
	                 DICTUM_OK);
	bool a3 = false, b3 = false;
	for (size_t i = 0; i < n; i++) {
		a3 |= strcmp(rows[i].code, "N1831") == 0;
		b3 |= strcmp(rows[i].code, "N1832") == 0;
	}
	assert_true(a3 && b3);
	icd10_rows_free(&rows, n);
	/* the same query twice (a cached statement) gives the same rows */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(store_icd10_search(st, "E11.2", 10, &rows, &n), DICTUM_OK);
		assert_true(n >= 3);
		icd10_rows_free(&rows, n);
	}
	/* search syntax never reaches SQLite */
	assert_int_equal(store_icd10_search(st, "\"NEAR( OR * -", 5, &rows, &n), DICTUM_OK);
	icd10_rows_free(&rows, n);
	assert_int_equal(store_icd10_search(st, "", 5, &rows, &n), DICTUM_INVAL);
}

static void test_word_order(void **state)
{
	/* the words of a description in another order, within one phrase */
	expect("CT showed a liver abscess.", L("K75.0"), NULL);
	expect("Renal artery aneurysm on angiography.", L("I72.2"), NULL);
	/* not across a list or a coordination */
	expect("Liver, spleen and abscess drainage sites were imaged.", NULL, L("K75.0"));
	expect("Blood and urine tests were normal.", NULL, L("R31.9"));
	/* our synonyms keep their order: a high reading is not hypertension */
	expect("Blood pressure was high today.", NULL, L("I10"));
	expect("High blood pressure.", L("I10"), NULL);
	struct icd_result r;
	suggest("CT showed a liver abscess.", &r);
	const struct icd_suggestion *s = find(&r, "K75.0");
	assert_non_null(s);
	assert_string_equal(s->evidence, "liver abscess");
	icd_result_free(&r);
}

static void test_word_forms(void **state)
{
	/* the adjective of a finding as its noun */
	expect("On arrival he was hypotensive and tachypneic.", L("I95.9", "R06.82"), NULL);
	expect("Asthenic and dehydrated.", L("R53.1", "E86.0"), NULL);
	/* the index's "see" words and Latin forms */
	expect("Lithiasis of the left kidney.", L("N20.0"), NULL);
	expect("Duodenal ulcus.", L("K26.9"), NULL);
	expect("Enolic cirrhosis.", L("K70.30"), L("K74.60"));
	/* plurals the -s rule does not undo */
	expect("Multiple liver abscesses.", L("K75.0"), NULL);
	expect("Aortic stenoses.", L("I35.0"), NULL);
	/* the words case reports use for index defaults */
	expect("Generalized tonic-clonic seizures.", L("G40.409"), L("R56.9"));
	expect("Smoker of 20 cigarettes a day.", L("F17.210"), NULL);
	expect("Chronic diarrhea for a year.", L("K52.9"), NULL);
	expect("Tubulointerstitial nephritis on the biopsy.", L("N12"), L("N05.9"));
	expect("Mass in the bladder on ultrasound.", L("N32.9"), NULL);
	expect("Allergic to iodinated contrast.", L("Z91.041"), NULL);
	/* what stays out: a drug is not its long-term use, nor a tear epiphora */
	expect("Started on acenocoumarol.", NULL, L("Z79.01"));
	expect("Tearing of the skin.", NULL, L("H04.209"));
}

static void test_description_variants(void **state)
{
	/* "X, not elsewhere classified" and "X, unspecified" are said as "X" */
	expect("Secondary hyperparathyroidism on calcitriol.", L("E21.1"), NULL);
	expect("Acute pancreatitis.", L("K85.90"), NULL);
	/* not a circumstance named by one common word */
	expect("Stress test normal. Counseling given.", NULL, L("Z73.3", "Z71.9"));
	expect("Psychosocial stress.", L("Z73.3"), NULL);
	/* "Unspecified X" is said "X" */
	expect("Viral encephalitis confirmed by PCR.", L("A86"), NULL);
	expect("Severe protein-calorie malnutrition.", L("E43"), NULL);
	/* "X without Y" is the bare "X" */
	expect("Rubella, confirmed by serology.", L("B06.9"), NULL);
	expect("Acute hepatitis C.", L("B17.10"), NULL);
	/* the letter A names a kind: hepatitis A is not hepatitis */
	expect("Hepatitis A, IgM positive.", L("B15.9"), L("K75.9"));
	expect("Vitamin A deficiency.", L("E50.9"), NULL);
	expect("She has a hepatitis.", L("K75.9"), NULL);
}

static void test_lead_word(void **state)
{
	/* "on insulin" is long-term use; insulin given once is not */
	expect("She is on insulin.", L("Z79.4"), NULL);
	expect("Insulin was given for hyperkalemia.", NULL, L("Z79.4"));
	expect("On warfarin for atrial fibrillation.", L("Z79.01", "I48.91"), NULL);
	expect("Warfarin was reversed.", NULL, L("Z79.01"));
}

static void test_abbreviations_in_context(void **state)
{
	/* abbreviations with another common meaning are not codes */
	expect("Seen in the ED yesterday. PE was unremarkable. MS intact.", NULL,
	       L("N52.9", "I26.99", "G35.D"));
	/* a laboratory value, not a diagnosis */
	expect("Labs: AF 250 U/L, GGT 80 U/L.", NULL, L("I48.91"));
	expect("HCV: 1.2", NULL, L("B19.20", "B18.2"));
	expect("An AF level of 5252 IU/l drew attention.", NULL, L("I48.91"));
	/* part of a model name */
	expect("Dialysis through an AF-2000 filter.", NULL, L("I48.91"));
	/* defined in brackets: coded once, from the words */
	struct icd_result r;
	suggest("Atrial fibrillation (AF) on apixaban.", &r);
	const struct icd_suggestion *s = find(&r, "I48.91");
	assert_non_null(s);
	assert_string_equal(s->evidence, "Atrial fibrillation");
	size_t n = 0;
	for (size_t i = 0; i < r.ncodes; i++)
		n += strcmp(r.codes[i].code, "I48.91") == 0;
	assert_int_equal(n, 1);
	icd_result_free(&r);
	/* the abbreviation on its own still codes */
	expect("AF, rate controlled.", L("I48.91"), NULL);
}

static void test_status_codes(void **state)
{
	/* a procedure done now is not a status */
	expect("A percutaneous gastrostomy was performed.", NULL, L("Z93.1"));
	expect("He underwent gastrostomy.", NULL, L("Z93.1"));
	expect("Gastrostomy in place, feeds tolerated.", L("Z93.1"), NULL);
	/* dependence on dialysis is said as such, not by naming dialysis */
	expect("Dialysis options were discussed.", NULL, L("Z99.2"));
	expect("ESRD on hemodialysis.", L("Z99.2"), NULL);
	/* a drug stopped is not long-term use */
	expect("On anticoagulation, which was discontinued after the bleed.", NULL, L("Z79.01"));
	expect("Remains on anticoagulation.", L("Z79.01"), NULL);
	expect("Subtotal colectomy and a terminal ileostomy, performing an anastomosis later.",
	       NULL, L("Z93.2"));
	expect("Ileostomy in place.", L("Z93.2"), NULL);
	/* AMA among autoantibodies is antimitochondrial, not against medical advice */
	expect("Autoantibodies (ANA, AMA, ANCA) were requested.", NULL, L("Z53.29"));
	expect("Left AMA last night.", L("Z53.29"), NULL);
}

static void test_list_negation(void **state)
{
	/* a verb closing a list negates all of it */
	expect("HIV, HCV, hepatitis B and CMV infection serologies were negative.", NULL,
	       L("B20", "B19.20", "B19.10", "B25.9"));
	/* but not past a termination word */
	expect("Hepatitis C, but the HIV test was negative.", L("B19.20"), NULL);
	/* uncertainty before the mention */
	expect("It seemed unlikely that pneumonia explained the picture.", NULL, L("J18.9"));
	expect("Perhaps a migraine.", NULL, L("G43.909"));
	/* a differential diagnosis section, to the next heading */
	expect("Assessment: headache.\nDifferential diagnosis: migraine, meningitis, sinusitis.\n"
	       "Plan: ibuprofen.",
	       L("R51.9"), L("G43.909", "G03.9", "J32.9"));
	expect("DDx:\n- pulmonary embolism\n- pneumonia\nAssessment: pneumonia.", L("J18.9"),
	       L("I26.99"));
}

static void test_duration_is_not_history(void **state)
{
	expect("A 2-month history of weight loss.", L("R63.4"), NULL);
	expect("Three-week history of cough.", L("R05.9"), NULL);
	/* "previous" saying when, a history scope closed by "with" or ended
	 * by the visit's verb */
	expect("Dyspnea on the previous days, accompanied by edema.", L("R60.9"), NULL);
	expect("No relevant past medical history, with fever of 12 hours.", L("R50.9"), NULL);
	expect("No previous medical or surgical history consulted for dizziness.", L("R42"), NULL);
	expect("Parents consulted due to lack of scarring.", NULL, L("L90.5"));
	struct icd_result r;
	suggest("History of weight loss, now stable.", &r);
	assert_null(find(&r, "R63.4"));
	bool skipped = false;
	for (size_t i = 0; i < r.nskipped; i++)
		skipped |=
		    strcmp(r.skipped[i].code, "R63.4") == 0 && r.skipped[i].context == ICD_HISTORY;
	assert_true(skipped);
	icd_result_free(&r);
}

static void test_qualifiers(void **state)
{
	expect("Cervical lymphadenopathy.", L("R59.0"), L("R59.9"));
	expect("Diffuse lymphadenopathy.", L("R59.1"), L("R59.9"));
	expect("Lymphadenopathy.", L("R59.9"), NULL);
	expect("Edema of both legs.", L("R60.0"), L("R60.9"));
	expect("Anasarca and edema.", L("R60.1"), NULL);
	expect("Active smoker of 20 cigarettes a day.", L("F17.210"), L("F17.200"));
	expect("Active smoker.", L("F17.200"), NULL);
	struct icd_result r;
	suggest("Cervical lymphadenopathy.", &r);
	const struct icd_suggestion *s = find(&r, "R59.0");
	assert_non_null(s);
	assert_non_null(s->note);
	assert_non_null(strstr(s->note, "localized"));
	icd_result_free(&r);
}

static void test_pain_site(void **state)
{
	/* bare pain takes the code of the site said next to it, by side */
	expect("Pain in the right hypochondrium.", L("R10.11"), L("R52"));
	expect("Pain in the left iliac fossa for two days.", L("R10.32"), L("R52"));
	expect("Colic-like pain on the right renal fossa.", L("N23"), L("R52"));
	expect("Pain in the right knee.", L("M25.561"), L("R52"));
	expect("Diffuse pain.", L("R52"), NULL);
	expect("Bleeding from the rectum.", L("K62.5"), L("R58"));
	expect("Bleeding from the nose since morning.", L("R04.0"), L("R58"));
	/* adjectives of a finding as its noun */
	expect("Febrile and tachycardic on arrival.", L("R50.9", "R00.0"), NULL);
	/* a site in another clause or joined by "and" is not the pain's */
	expect("Pain, knee swelling.", L("R52"), L("M25.569"));
	/* a nonspecific code gives way only to a code under the same parent:
	 * dyspnea stays next to stridor, "diabetes" goes with E11.22 */
	expect("Dyspnea, stridor and cough.", L("R06.00", "R06.1"), NULL);
	expect("Diabetes. Type 2 diabetes with diabetic CKD stage 3a.", L("E11.22"), L("E11.9"));
	expect("Pleuritic pain.", L("R07.81"), L("R52"));
	expect("Pain in the left hemithorax.", L("R07.9"), L("R52"));
	expect("Right lumbosciatic pain.", L("M54.41"), L("R52"));
	expect("Left thigh pain.", L("M79.652"), L("R52", "M79.605"));
}

static void test_metastasis_sites(void **state)
{
	/* each site listed with the head word, before or after it */
	expect("Colonic neoplasia with liver, retroperitoneal and mediastinal metastases.",
	       L("C78.7", "C78.6", "C78.1"), NULL);
	expect("Metastases in the liver and lungs.", L("C78.7", "C78.00"), NULL);
	expect("Bone marrow metastases.", L("C79.52"), L("C79.51"));
	expect("Adrenal metastases.", L("C79.70"), NULL);
	expect("No liver or bone metastases.", NULL, L("C78.7", "C79.51"));
	/* a site in another sentence is not the metastasis's */
	expect("Liver cyst. Bone metastases.", L("C79.51"), L("C78.7"));
}

static void test_mass_and_tumor_site(void **state)
{
	/* the index's code for a mass of a site, and for a tumor whose
	 * behavior is not stated (Neoplasm, unspecified behavior) */
	expect("Renal mass on ultrasound.", L("N28.89"), NULL);
	expect("A painful mass in the right hypochondrium.", L("R19.01"), NULL);
	expect("A lung mass.", L("R91.8"), NULL);
	expect("Tumor of the left kidney.", L("D49.512"), NULL);
	expect("Bladder tumor.", L("D49.4"), NULL);
	/* negated, behavior stated, or not a growth */
	expect("Abdomen soft, without masses.", NULL, L("R19.00"));
	expect("Malignant tumor of the bladder.", NULL, L("D49.4"));
	expect("Tumor markers of the liver were normal.", NULL, L("D49.0"));
	/* a tumor whose behavior the report states later is not D49 */
	expect("A bladder tumor was resected; pathology: bladder carcinoma.", L("C67.9"),
	       L("D49.4"));
	/* a test or its object is not a condition; an abnormal result is */
	expect("Lupus anticoagulant and anti-GBM antibodies were requested.", NULL, L("M32.9"));
	expect("An HIV test was offered.", NULL, L("B20"));
	expect("Positive fecal occult blood test.", L("R19.5"), NULL);
	expect("Bipolar electrocoagulation was used.", NULL, L("F31.9"));
	expect("Bipolar disorder.", L("F31.9"), NULL);
	struct icd_result r;
	suggest("Renal mass.", &r);
	const struct icd_suggestion *s = find(&r, "N28.89");
	assert_non_null(s);
	assert_string_equal(s->evidence, "Renal mass");
	icd_result_free(&r);
}

static void test_index_defaults(void **state)
{
	/* the alphabetical index's code for a bare mention */
	expect("Hepatitis C.", L("B19.20"), L("B18.2"));
	expect("Chronic hepatitis C, treated.", L("B18.2"), L("B19.20"));
	expect("Hepatitis B carrier.", L("B19.10"), L("B18.1"));
	expect("Bleeding from the scalp wound.", L("R58"), NULL);
	expect("Hyperbilirubinemia.", L("E80.7"), NULL);
	expect("Erythema over the shin.", L("L53.9"), NULL);
	/* Insufficiency, renal N28.9 (failure is N19); Confusion R41.0 */
	expect("Renal insufficiency.", L("N28.9"), L("N19"));
	expect("Chronic renal insufficiency.", L("N18.9"), L("N28.9"));
	expect("Renal failure.", L("N19"), NULL);
	expect("Confusion since this morning.", L("R41.0"), L("R41.82"));
	expect("Malnutrition and respiratory failure.", L("E46", "J96.90"), NULL);
	expect("Palpebral edema.", L("H02.849"), L("R60.0"));
	expect("Acute tubular necrosis.", L("N17.0"), L("I96"));
	expect("Epileptic seizures since childhood.", L("G40.909"), L("R56.9"));
	/* the organism of an infection: its "as the cause" code as well */
	expect("Urinary tract infection by Escherichia coli.", L("N39.0", "B96.20"), NULL);
	expect("Urine culture negative for Pseudomonas.", NULL, L("B96.5"));
	/* urosepsis has no code: the index asks the clinician which condition */
	expect("Admitted with urosepsis.", NULL, L("A41.9"));
	/* a bare mention gives way to the specific one stated elsewhere (not a
	 * bleeding: it may be another one) */
	expect("Hepatitis C. Chronic hepatitis C, genotype 1.", L("B18.2"), L("B19.20"));
	expect("Urinary tract infection; the infection cleared.", L("N39.0"), L("B99.9"));
	expect("Infection of unknown source.", L("B99.9"), NULL);
	expect("Referred to the Infectious Diseases department.", NULL, L("B99.9"));
	expect("Deep vein thrombosis of the left leg; thrombosis extended.", NULL, L("I82.90"));
}

static void test_organisms_and_morphology(void **state)
{
	/* a genus abbreviated with a full stop does not end the sentence */
	expect("Urine culture positive for E. coli.", L("B96.20"), NULL);
	expect("Blood cultures grew S. aureus; started cefazolin.", L("B95.61"), NULL);
	expect("Pneumonia by P. jirovecii in a patient with AIDS.", L("B59", "B20"), NULL);
	expect("The catheter grew St. aureus and Enterococcus faecalis.", L("B95.61", "B95.2"),
	       NULL);
	expect("Abscess fluid grew Streptococcus intermedius.", L("B95.4"), L("B95.5"));
	expect("Dr. Smith saw him. Fever since Monday.", L("R50.9"), NULL);
	expect("Serology for cytomegalovirus was positive.", L("B25.9"), NULL);
	expect("Toxoplasma IgG negative.", NULL, L("B58.9"));
	/* infections by organism and site */
	expect("CMV pneumonitis after the transplant.", L("B25.0"), L("B25.9"));
	expect("Spinal tuberculosis with a paravertebral abscess.", L("A18.01"), L("A15.9"));
	expect("Cerebral toxoplasmosis in HIV infection.", L("B58.2", "B20"), L("B58.9"));
	expect("Candidemia on day 12.", L("B37.7"), NULL);
	/* morphology names and site adjectives of neoplasms */
	expect("Hepatocarcinoma on a cirrhotic liver.", L("C22.0"), NULL);
	expect("Adenocarcinoma of the sigmoid colon.", L("C18.7"), NULL);
	expect("Vesical carcinoma treated with BCG.", L("C67.9"), NULL);
	expect("Carcinoma of the left kidney, 7 cm.", L("C64.2"), L("C64.9"));
	expect("Neuroblastoma in a two-year-old.", L("C74.90"), NULL);
	expect("Mandibular ameloblastoma.", L("D16.5"), NULL);
	expect("Kaposi sarcoma of the leg.", L("C46.9"), L("C49.9"));
	expect("A tumor of the cecum with perforation.", L("D49.0"), NULL);
	/* benign and in situ growths by morphology and site */
	expect("Leiomyoma of the bladder, resected.", L("D30.3"), NULL);
	expect("Ovarian dermoid cyst removed by laparoscopy.", L("D27.9"), NULL);
	expect("Ductal carcinoma in situ of the left breast.", L("D05.12"), L("D09.9"));
	/* blood disorders by the index's terms */
	expect("Autoimmune thrombocytopenic purpura.", L("D69.3"), L("D69.2"));
	expect("Abnormal coagulation before surgery.", L("D68.9"), NULL);
	expect("Hypogammaglobulinemia after rituximab.", L("D80.1"), NULL);
	/* a sarcoma is coded by its site, not as a bare mention */
	expect("Retroperitoneal liposarcoma.", L("C48.0"), L("C49.9"));
}

static void test_other_senses(void **state)
{
	/* a ganglion with no cyst or joint is a lymph node in these reports */
	expect("Two of the eight iliac ganglions were infiltrated.", NULL, L("M67.40"));
	expect("A ganglion cyst on the back of the hand.", L("M67.40"), NULL);
	/* DM beside the skin or muscles, or in a text about dermatomyositis */
	expect("Skin biopsy compatible with DM with cutaneous involvement.", NULL, L("E11.9"));
	expect("Dermatomyositis diagnosed in 2013. DM was treated with steroids.", NULL,
	       L("E11.9"));
	expect("History of DM on metformin.", L("E11.9"), NULL);
	/* the face of a part is its surface, not the face */
	expect("Pressure pain in its internal face.", L("R52"), L("R51.9"));
	expect("Facial pain since the fall.", L("R51.9"), NULL);
}

static void level(const char *text, enum em_setting setting, enum em_patient patient,
                  const char *want)
{
	struct icd_result icd;
	struct icd_options o = {setting == EM_INPATIENT_INITIAL ||
	                        setting == EM_INPATIENT_SUBSEQUENT};
	assert_int_equal(icd_suggest(engine, text, &o, &icd), DICTUM_OK);
	struct em_result em;
	assert_int_equal(em_evaluate(text, &icd, setting, patient, &em), DICTUM_OK);
	if (strcmp(em.code, want) != 0)
		fail_msg(
		    "\"%.60s...\": E/M %s, expected %s (MDM %s: problems %s, data %s, risk %s)",
		    text, em.code, want, em_level_name(em.mdm), em_level_name(em.problems.level),
		    em_level_name(em.data.level), em_level_name(em.risk.level));
	icd_result_free(&icd);
}

/* One crafted note per level. */
static const char note_minimal[] = "Blood pressure check with the nurse. Vitals recorded.";
static const char note_straightforward[] = "Cerumen impaction of the left ear. Cerumen removed.";
static const char note_low[] = "Hypertension, stable on lisinopril. BMP and lipid panel ordered.";
static const char note_moderate[] =
    "Type 2 diabetes, poorly controlled. Hypertension stable. Reviewed A1c and BMP. "
    "Lipid panel ordered. Increase metformin to 1000 mg twice daily.";
static const char note_high[] =
    "Chest pain and shortness of breath. EKG personally reviewed: ST elevation. Troponin "
    "ordered. Discussed with cardiology. Admit to the hospital for acute myocardial infarction.";

static void test_em_office(void **state)
{
	level(note_minimal, EM_OFFICE, EM_PATIENT_ESTABLISHED, "99211");
	level(note_straightforward, EM_OFFICE, EM_PATIENT_ESTABLISHED, "99212");
	level(note_low, EM_OFFICE, EM_PATIENT_ESTABLISHED, "99213");
	level(note_moderate, EM_OFFICE, EM_PATIENT_ESTABLISHED, "99214");
	level(note_high, EM_OFFICE, EM_PATIENT_ESTABLISHED, "99215");
	level(note_straightforward, EM_OFFICE, EM_PATIENT_NEW, "99202");
	level(note_low, EM_OFFICE, EM_PATIENT_NEW, "99203");
	level(note_moderate, EM_OFFICE, EM_PATIENT_NEW, "99204");
	level(note_high, EM_OFFICE, EM_PATIENT_NEW, "99205");
	/* total time wins when it supports a higher level */
	level("Hypertension stable. Continue lisinopril 10 mg. Total time spent: 42 minutes.",
	      EM_OFFICE, EM_PATIENT_ESTABLISHED, "99215");
	level("New patient visit. Hypertension. Total time 31 minutes.", EM_OFFICE, EM_PATIENT_NEW,
	      "99203");
}

static void test_em_ed_and_hospital(void **state)
{
	level(note_minimal, EM_ED, EM_PATIENT_AUTO, "99281");
	level(note_straightforward, EM_ED, EM_PATIENT_AUTO, "99282");
	level(note_low, EM_ED, EM_PATIENT_AUTO, "99283");
	level(note_moderate, EM_ED, EM_PATIENT_AUTO, "99284");
	level(note_high, EM_ED, EM_PATIENT_AUTO, "99285");
	level(note_low, EM_INPATIENT_INITIAL, EM_PATIENT_AUTO, "99221");
	level(note_moderate, EM_INPATIENT_INITIAL, EM_PATIENT_AUTO, "99222");
	level(note_high, EM_INPATIENT_INITIAL, EM_PATIENT_AUTO, "99223");
	level(note_low, EM_INPATIENT_SUBSEQUENT, EM_PATIENT_AUTO, "99231");
	level(note_moderate, EM_INPATIENT_SUBSEQUENT, EM_PATIENT_AUTO, "99232");
	level(note_high, EM_INPATIENT_SUBSEQUENT, EM_PATIENT_AUTO, "99233");
	level("Discharge summary. Pneumonia treated.", EM_DISCHARGE, EM_PATIENT_AUTO, "99238");
	level("Discharge summary. Pneumonia treated. Total time 45 minutes.", EM_DISCHARGE,
	      EM_PATIENT_AUTO, "99239");
}

static void test_em_reasoning(void **state)
{
	struct icd_result icd;
	suggest(note_moderate, &icd);
	struct em_result em;
	assert_int_equal(em_evaluate(note_moderate, &icd, EM_AUTO, EM_PATIENT_AUTO, &em),
	                 DICTUM_OK);
	assert_int_equal(em.setting, EM_OFFICE);
	assert_int_equal(em.patient, EM_PATIENT_ESTABLISHED);
	assert_int_equal(em.mdm, EM_MODERATE);
	assert_true(em.problems.nreasons >= 2);
	assert_true(em.data.nreasons >= 3);
	assert_string_equal(em.next_code, "99215");
	assert_true(em.nneeds >= 2);
	icd_result_free(&icd);
	/* the setting is read from the note when not given */
	assert_int_equal(em_evaluate("Emergency department visit. Ankle sprain.", NULL, EM_AUTO,
	                             EM_PATIENT_AUTO, &em),
	                 DICTUM_OK);
	assert_int_equal(em.setting, EM_ED);
}

static void test_hcc(void **state)
{
	struct billing_result b;
	/* hierarchy: diabetes with complications (37) outranks without (38) */
	const char *text = "Type 2 diabetes with diabetic CKD stage 3a. Type 1 diabetes.";
	struct icd_result icd;
	suggest("Type 2 diabetes with diabetic neuropathy. CKD stage 4. Morbid obesity, BMI 41.",
	        &icd);
	struct hcc_result h;
	assert_int_equal(hcc_evaluate(engine, &icd, &h), DICTUM_OK);
	bool has37 = false, has327 = false, has48 = false;
	for (size_t i = 0; i < h.nitems; i++) {
		has37 |= h.items[i].hcc == 37 && !h.items[i].dropped_by;
		has327 |= h.items[i].hcc == 327 && !h.items[i].dropped_by;
		has48 |= h.items[i].hcc == 48;
	}
	assert_true(has37);
	assert_true(has327);
	assert_true(has48);
	hcc_result_free(&h);
	icd_result_free(&icd);
	/* CKD 5 (326) drops CKD 4 (327) */
	suggest("CKD stage 4. CKD stage 5.", &icd);
	assert_int_equal(hcc_evaluate(engine, &icd, &h), DICTUM_OK);
	bool dropped = false;
	for (size_t i = 0; i < h.nitems; i++)
		if (h.items[i].hcc == 327)
			dropped = h.items[i].dropped_by == 326;
	assert_true(dropped);
	hcc_result_free(&h);
	icd_result_free(&icd);
	/* opportunities: diabetes without complications, CKD without stage,
	 * depression without severity */
	suggest("Type 2 diabetes. Major depression.", &icd);
	assert_int_equal(hcc_evaluate(engine, &icd, &h), DICTUM_OK);
	int found = 0;
	for (size_t i = 0; i < h.nopps; i++)
		found +=
		    strcmp(h.opps[i].code, "E11.9") == 0 || strcmp(h.opps[i].code, "F32.9") == 0;
	assert_int_equal(found, 2);
	hcc_result_free(&h);
	icd_result_free(&icd);
	suggest("Chronic kidney disease.", &icd);
	assert_int_equal(hcc_evaluate(engine, &icd, &h), DICTUM_OK);
	assert_int_equal(h.nopps, 1);
	assert_string_equal(h.opps[0].code, "N18.9");
	assert_non_null(strstr(h.opps[0].hint, "stage"));
	hcc_result_free(&h);
	icd_result_free(&icd);
	/* billing ties it together; the E/M code leads the CPT list */
	assert_int_equal(coding_billing(engine, text, NULL, &b), DICTUM_OK);
	assert_true(b.cpt.nitems >= 1);
	assert_string_equal(b.cpt.items[0].code, b.em.code);
	struct json_object *j = billing_result_json(&b);
	assert_non_null(j);
	json_object_put(j);
	billing_result_free(&b);
}

static void test_cpt(void **state)
{
	struct cpt_result r;
	assert_int_equal(cpt_find("ECG done. Knee injection performed. Laceration repair, 2 cm. "
	                          "No spirometry today.",
	                          &r),
	                 DICTUM_OK);
	bool ecg = false, knee = false, lac = false, spiro = false;
	for (size_t i = 0; i < r.nitems; i++) {
		ecg |= strcmp(r.items[i].code, "93000") == 0;
		knee |= strcmp(r.items[i].code, "20610") == 0;
		lac |= strcmp(r.items[i].code, "12001") == 0;
		spiro |= strcmp(r.items[i].code, "94010") == 0;
	}
	assert_true(ecg && knee && lac);
	assert_false(spiro);
	cpt_result_free(&r);
}

static void test_import_replaces(void **state)
{
	char path[4200], err[512];
	snprintf(path, sizeof(path), "%s/icd10cm-codes-2031.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("A000    Cholera due to Vibrio cholerae 01, biovar cholerae\n"
	      "I10     Essential (primary) hypertension\n"
	      "M1A0110 Idiopathic chronic gout, right shoulder, without tophus (tophi)\n"
	      "QA00101 SCN2A-related neurodevelopmental disorder\n"
	      "Z9999   A made-up code for this test\n",
	      f);
	fclose(f);
	size_t n = 0;
	assert_int_equal(icd_import_file(st, path, NULL, &n, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(n, 5);
	char *fy = NULL;
	assert_int_equal(store_meta_get(st, "icd10_fiscal_year", &fy), DICTUM_OK);
	assert_string_equal(fy, "2031");
	free(fy);
	struct icd10_row row;
	assert_int_equal(store_icd10_get(st, "Z99.99", &row), DICTUM_OK);
	icd10_row_clear(&row);
	/* curated codes stay; a second import replaces the first */
	assert_int_equal(store_icd10_get(st, "E11.22", &row), DICTUM_OK);
	icd10_row_clear(&row);
	f = fopen(path, "w");
	fputs("A000    Cholera due to Vibrio cholerae 01, biovar cholerae\n", f);
	fclose(f);
	assert_int_equal(icd_import_file(st, path, "2032", &n, err, sizeof(err)), DICTUM_OK);
	assert_int_equal(store_icd10_get(st, "Z99.99", &row), DICTUM_NOTFOUND);
	/* not a codes file: nothing changes */
	f = fopen(path, "w");
	fputs("{\"json\": true}\nthis is not a code table\n", f);
	fclose(f);
	assert_int_equal(icd_import_file(st, path, NULL, &n, err, sizeof(err)), DICTUM_INVAL);
	assert_non_null(strstr(err, "not an ICD-10-CM codes file"));
	assert_int_equal(store_icd10_get(st, "A00.0", &row), DICTUM_OK);
	icd10_row_clear(&row);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_curated_loaded),
	    cmocka_unit_test(test_abbreviations_and_synonyms),
	    cmocka_unit_test(test_misspellings),
	    cmocka_unit_test(test_negation),
	    cmocka_unit_test(test_uncertainty),
	    cmocka_unit_test(test_family_history),
	    cmocka_unit_test(test_personal_history),
	    cmocka_unit_test(test_combination_codes),
	    cmocka_unit_test(test_excludes_and_integral),
	    cmocka_unit_test(test_laterality_and_episode),
	    cmocka_unit_test(test_spans_are_exact),
	    cmocka_unit_test(test_search),
	    cmocka_unit_test(test_word_order),
	    cmocka_unit_test(test_description_variants),
	    cmocka_unit_test(test_lead_word),
	    cmocka_unit_test(test_abbreviations_in_context),
	    cmocka_unit_test(test_status_codes),
	    cmocka_unit_test(test_list_negation),
	    cmocka_unit_test(test_duration_is_not_history),
	    cmocka_unit_test(test_qualifiers),
	    cmocka_unit_test(test_pain_site),
	    cmocka_unit_test(test_mass_and_tumor_site),
	    cmocka_unit_test(test_score_ranks_evidence),
	    cmocka_unit_test(test_metastasis_sites),
	    cmocka_unit_test(test_index_defaults),
	    cmocka_unit_test(test_word_forms),
	    cmocka_unit_test(test_organisms_and_morphology),
	    cmocka_unit_test(test_other_senses),
	    cmocka_unit_test(test_em_office),
	    cmocka_unit_test(test_em_ed_and_hospital),
	    cmocka_unit_test(test_em_reasoning),
	    cmocka_unit_test(test_hcc),
	    cmocka_unit_test(test_cpt),
	    cmocka_unit_test(test_import_replaces),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
