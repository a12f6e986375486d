#include "asr/postprocess.h"
#include "core/lib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PP_TEXT_MAX ((size_t)64 << 20)
#define PP_NUM_MAX  1000000000000ULL

/* Whether an output piece takes a space before and after it. */
enum pp_space { PP_SP_BOTH, PP_SP_AFTER, PP_SP_BEFORE, PP_SP_NONE };

enum pp_kind { PP_SECTION, PP_TEXT, PP_PUNCT, PP_BREAK, PP_LIST };

enum pp_cmd_kind { PP_CMD_PUNCT, PP_CMD_LINE, PP_CMD_PARAGRAPH, PP_CMD_SCRATCH, PP_CMD_NEXT };

struct pp_header {
	const char *phrase;
	const char *key;
	const char *title;
	bool needs_colon; /* single-word headers need it whatever this says */
};

struct pp_command {
	const char *phrase;
	enum pp_cmd_kind kind;
	const char *text;
	enum pp_space space;
	bool terminator;
	const char *const *not_after;  /* a plain word after one of these */
	const char *const *not_before; /* a plain word before one of these */
};

enum pp_num_class { PP_N_NONE, PP_N_DIGIT, PP_N_TEEN, PP_N_TENS };

struct pp_number_word {
	const char *word;
	unsigned value;
	enum pp_num_class cls;
};

struct pp_unit {
	const char *phrase;
	const char *text;
	bool glued; /* written straight after the number, no space */
};

struct pp_spelling {
	const char *phrase;
	const char *text;
};

static const struct pp_header pp_headers[] = {
    {"chief complaint", "chief_complaint", "Chief Complaint", false},
    {"chief complaints", "chief_complaint", "Chief Complaint", false},
    {"reason for visit", "chief_complaint", "Chief Complaint", false},
    {"reason for the visit", "chief_complaint", "Chief Complaint", false},
    {"history of present illness", "hpi", "History of Present Illness", false},
    {"history of the present illness", "hpi", "History of Present Illness", false},
    {"history of presenting illness", "hpi", "History of Present Illness", false},
    {"present illness", "hpi", "History of Present Illness", false},
    {"h p i", "hpi", "History of Present Illness", false},
    {"hpi", "hpi", "History of Present Illness", false},
    {"interval history", "interval_history", "Interval History", false},
    {"review of systems", "ros", "Review of Systems", false},
    {"systems review", "ros", "Review of Systems", false},
    {"r o s", "ros", "Review of Systems", false},
    {"ros", "ros", "Review of Systems", false},
    {"past medical history", "pmh", "Past Medical History", false},
    {"medical history", "pmh", "Past Medical History", false},
    {"p m h", "pmh", "Past Medical History", false},
    {"pmh", "pmh", "Past Medical History", false},
    {"past surgical history", "psh", "Past Surgical History", false},
    {"surgical history", "psh", "Past Surgical History", false},
    {"medications", "medications", "Medications", false},
    {"current medications", "medications", "Medications", false},
    {"home medications", "medications", "Medications", false},
    {"medication list", "medications", "Medications", false},
    {"meds", "medications", "Medications", false},
    {"current meds", "medications", "Medications", false},
    {"allergies", "allergies", "Allergies", false},
    {"allergy", "allergies", "Allergies", false},
    {"drug allergies", "allergies", "Allergies", false},
    {"medication allergies", "allergies", "Allergies", false},
    {"social history", "social_history", "Social History", false},
    {"family history", "family_history", "Family History", false},
    {"vital signs", "vitals", "Vital Signs", false},
    {"vitals", "vitals", "Vital Signs", false},
    {"physical exam", "exam", "Physical Exam", false},
    {"physical examination", "exam", "Physical Exam", false},
    {"exam", "exam", "Physical Exam", false},
    {"examination", "exam", "Physical Exam", false},
    {"results", "results", "Results", false},
    {"lab results", "results", "Results", false},
    {"laboratory results", "results", "Results", false},
    {"laboratory data", "results", "Results", false},
    {"labs", "results", "Results", false},
    {"data", "results", "Results", false},
    {"imaging", "results", "Results", false},
    {"studies", "results", "Results", false},
    {"diagnostic studies", "results", "Results", false},
    {"assessment and plan", "assessment_plan", "Assessment and Plan", false},
    {"assessment slash plan", "assessment_plan", "Assessment and Plan", false},
    {"assessment plan", "assessment_plan", "Assessment and Plan", false},
    {"impression and plan", "assessment_plan", "Assessment and Plan", false},
    {"a and p", "assessment_plan", "Assessment and Plan", false},
    {"a p", "assessment_plan", "Assessment and Plan", true},
    {"assessment", "assessment", "Assessment", false},
    {"impression", "assessment", "Assessment", false},
    {"clinical impression", "assessment", "Assessment", false},
    {"diagnosis", "assessment", "Assessment", false},
    {"diagnoses", "assessment", "Assessment", false},
    {"plan", "plan", "Plan", false},
    {"treatment plan", "plan", "Plan", false},
    {"plan of care", "plan", "Plan", false},
    {"recommendations", "plan", "Plan", false},
    {"procedure", "procedure", "Procedure", false},
    {"procedures", "procedure", "Procedure", false},
    {"procedure performed", "procedure", "Procedure", false},
    {"hospital course", "hospital_course", "Hospital Course", false},
    {"disposition", "disposition", "Disposition", false},
    {"follow up", "follow_up", "Follow-up", true},
    {"patient instructions", "patient_instructions", "Patient Instructions", false},
    {"instructions", "patient_instructions", "Patient Instructions", false},
    {"subjective", "subjective", "Subjective", false},
    {"objective", "objective", "Objective", false},
    {"chief concern", "chief_complaint", "Chief Complaint", false},
    {"review of symptoms", "ros", "Review of Systems", false},
    {"mental status exam", "mental_status_exam", "Mental Status Exam", false},
    {"mental status examination", "mental_status_exam", "Mental Status Exam", false},
    {"laboratory", "results", "Results", false},
    {"lab", "results", "Results", false},
    {"differential diagnosis", "assessment", "Assessment", false},
    {"immunizations", "immunizations", "Immunizations", false},
    {"problem list", "problem_list", "Problem List", false},
    {"indications", "indications", "Indications", false},
    {"indication", "indications", "Indications", false},
    {"preoperative diagnosis", "preoperative_diagnosis", "Preoperative Diagnosis", false},
    {"postoperative diagnosis", "postoperative_diagnosis", "Postoperative Diagnosis", false},
    {"anesthesia", "anesthesia", "Anesthesia", false},
    {"description of procedure", "procedure", "Procedure", false},
    {"findings", "findings", "Findings", false},
    {"complications", "complications", "Complications", false},
    {"estimated blood loss", "estimated_blood_loss", "Estimated Blood Loss", false},
    {"specimens", "specimens", "Specimens", false},
    {"consent", "consent", "Consent", false},
};

/* After a header at a boundary these make it prose, not a cue. */
static const char *const pp_header_blockers[] = {
    "is",   "was",      "were",     "are",       "has",        "had",      "have",    "of",
    "and",  "shows",    "showed",   "show",      "reveals",    "revealed", "remains", "remained",
    "will", "includes", "included", "including", "documented", "notable",  NULL,
};

/* A single-word header after these is prose even with a colon ("on exam:"). */
static const char *const pp_header_not_after[] = {
    "the",  "a",  "an", "on", "in",  "her",  "his",  "their", "of",   "for",
    "with", "at", "to", "my", "our", "your", "this", "that",  "from", NULL,
};

/* "times" after these is not a multiplier ("at times"). */
static const char *const pp_times_not_after[] = {
    "at", "some", "many", "several", "few", "other", "all", "by", "these", "those", "most", NULL,
};

static const char *const pp_period_not_after[] = {
    "menstrual",  "postpartum", "partum",    "refractory",    "time",
    "incubation", "grace",      "waiting",   "trial",         "observation",
    "recovery",   "neonatal",   "perinatal", "postoperative", "perioperative",
    "latent",     "window",     "washout",   "the",           "a",
    "this",       "that",       "each",      "same",          "short",
    "long",       "study",      NULL,
};

static const char *const pp_colon_not_after[] = {
    "the",     "sigmoid",   "transverse", "ascending", "descending", "entire", "his",
    "her",     "their",     "whole",      "distal",    "proximal",   "right",  "left",
    "spastic", "irritable", "redundant",  "of",        "your",       "a",      NULL,
};

static const char *const pp_colon_not_before[] = {
    "cancer",    "cancers", "polyp",  "polyps", "polyposis",      "resection", "mass",
    "carcinoma", "wall",    "lesion", "biopsy", "adenocarcinoma", "screening", NULL,
};

static const char *const pp_article[] = {"a", "the", NULL};

static const struct pp_command pp_commands[] = {
    {"period", PP_CMD_PUNCT, ".", PP_SP_AFTER, true, pp_period_not_after, NULL},
    {"full stop", PP_CMD_PUNCT, ".", PP_SP_AFTER, true, pp_article, NULL},
    {"comma", PP_CMD_PUNCT, ",", PP_SP_AFTER, false, NULL, NULL},
    {"colon", PP_CMD_PUNCT, ":", PP_SP_AFTER, false, pp_colon_not_after, pp_colon_not_before},
    {"semicolon", PP_CMD_PUNCT, ";", PP_SP_AFTER, false, NULL, NULL},
    {"semi colon", PP_CMD_PUNCT, ";", PP_SP_AFTER, false, NULL, NULL},
    {"question mark", PP_CMD_PUNCT, "?", PP_SP_AFTER, true, NULL, NULL},
    {"exclamation point", PP_CMD_PUNCT, "!", PP_SP_AFTER, true, NULL, NULL},
    {"exclamation mark", PP_CMD_PUNCT, "!", PP_SP_AFTER, true, NULL, NULL},
    {"open paren", PP_CMD_PUNCT, "(", PP_SP_BEFORE, false, NULL, NULL},
    {"open parenthesis", PP_CMD_PUNCT, "(", PP_SP_BEFORE, false, NULL, NULL},
    {"open bracket", PP_CMD_PUNCT, "(", PP_SP_BEFORE, false, NULL, NULL},
    {"close paren", PP_CMD_PUNCT, ")", PP_SP_AFTER, false, NULL, NULL},
    {"close parenthesis", PP_CMD_PUNCT, ")", PP_SP_AFTER, false, NULL, NULL},
    {"close bracket", PP_CMD_PUNCT, ")", PP_SP_AFTER, false, NULL, NULL},
    {"end paren", PP_CMD_PUNCT, ")", PP_SP_AFTER, false, NULL, NULL},
    {"open quote", PP_CMD_PUNCT, "\"", PP_SP_BEFORE, false, NULL, NULL},
    {"close quote", PP_CMD_PUNCT, "\"", PP_SP_AFTER, false, NULL, NULL},
    {"end quote", PP_CMD_PUNCT, "\"", PP_SP_AFTER, false, NULL, NULL},
    {"unquote", PP_CMD_PUNCT, "\"", PP_SP_AFTER, false, NULL, NULL},
    {"hyphen", PP_CMD_PUNCT, "-", PP_SP_NONE, false, NULL, NULL},
    {"dash", PP_CMD_PUNCT, "-", PP_SP_NONE, false, NULL, NULL},
    {"slash", PP_CMD_PUNCT, "/", PP_SP_NONE, false, NULL, NULL},
    {"new line", PP_CMD_LINE, NULL, PP_SP_BOTH, false, pp_article, NULL},
    {"next line", PP_CMD_LINE, NULL, PP_SP_BOTH, false, pp_article, NULL},
    {"new paragraph", PP_CMD_PARAGRAPH, NULL, PP_SP_BOTH, false, pp_article, NULL},
    {"next paragraph", PP_CMD_PARAGRAPH, NULL, PP_SP_BOTH, false, pp_article, NULL},
    {"scratch that", PP_CMD_SCRATCH, NULL, PP_SP_BOTH, false, NULL, NULL},
    {"delete that", PP_CMD_SCRATCH, NULL, PP_SP_BOTH, false, NULL, NULL},
    {"strike that", PP_CMD_SCRATCH, NULL, PP_SP_BOTH, false, NULL, NULL},
    {"next section", PP_CMD_NEXT, NULL, PP_SP_BOTH, false, pp_article, NULL},
};

static const struct pp_number_word pp_number_words[] = {
    {"zero", 0, PP_N_DIGIT},     {"one", 1, PP_N_DIGIT},      {"two", 2, PP_N_DIGIT},
    {"three", 3, PP_N_DIGIT},    {"four", 4, PP_N_DIGIT},     {"five", 5, PP_N_DIGIT},
    {"six", 6, PP_N_DIGIT},      {"seven", 7, PP_N_DIGIT},    {"eight", 8, PP_N_DIGIT},
    {"nine", 9, PP_N_DIGIT},     {"ten", 10, PP_N_TEEN},      {"eleven", 11, PP_N_TEEN},
    {"twelve", 12, PP_N_TEEN},   {"thirteen", 13, PP_N_TEEN}, {"fourteen", 14, PP_N_TEEN},
    {"fifteen", 15, PP_N_TEEN},  {"sixteen", 16, PP_N_TEEN},  {"seventeen", 17, PP_N_TEEN},
    {"eighteen", 18, PP_N_TEEN}, {"nineteen", 19, PP_N_TEEN}, {"twenty", 20, PP_N_TENS},
    {"thirty", 30, PP_N_TENS},   {"forty", 40, PP_N_TENS},    {"fourty", 40, PP_N_TENS},
    {"fifty", 50, PP_N_TENS},    {"sixty", 60, PP_N_TENS},    {"seventy", 70, PP_N_TENS},
    {"eighty", 80, PP_N_TENS},   {"ninety", 90, PP_N_TENS},
};

static const struct pp_unit pp_units[] = {
    {"milligrams per kilogram per day", "mg/kg/day", false},
    {"milligrams per kilogram", "mg/kg", false},
    {"milligram per kilogram", "mg/kg", false},
    {"milligrams per deciliter", "mg/dL", false},
    {"milligram per deciliter", "mg/dL", false},
    {"milligrams", "mg", false},
    {"milligram", "mg", false},
    {"micrograms", "mcg", false},
    {"microgram", "mcg", false},
    {"grams", "g", false},
    {"gram", "g", false},
    {"kilograms per meter squared", "kg/m2", false},
    {"kilograms", "kg", false},
    {"kilogram", "kg", false},
    {"kilos", "kg", false},
    {"milliliters per hour", "mL/h", false},
    {"milliliters", "mL", false},
    {"milliliter", "mL", false},
    {"liters per minute", "L/min", false},
    {"liters", "L", false},
    {"liter", "L", false},
    {"international units", "international units", false},
    {"units", "units", false},
    {"unit", "unit", false},
    {"milliequivalents per liter", "mEq/L", false},
    {"milliequivalents", "mEq", false},
    {"millimoles per liter", "mmol/L", false},
    {"millimeters of mercury", "mmHg", false},
    {"millimeters", "mm", false},
    {"millimeter", "mm", false},
    {"centimeters", "cm", false},
    {"centimeter", "cm", false},
    {"inches", "inches", false},
    {"inch", "inch", false},
    {"pounds", "pounds", false},
    {"beats per minute", "bpm", false},
    {"breaths per minute", "breaths/min", false},
    {"percent", "%", true},
    {"per cent", "%", true},
    {"degrees fahrenheit", "degrees Fahrenheit", false},
    {"degrees celsius", "degrees Celsius", false},
    {"degrees", "degrees", false},
    {"year old", "-year-old", true},
    {"month old", "-month-old", true},
    {"week old", "-week-old", true},
    {"day old", "-day-old", true},
    {"years old", "years old", false},
    {"months old", "months old", false},
    {"years of age", "years of age", false},
    {"pack years", "pack-years", false},
    {"pack year", "pack-year", false},
    {"seconds", "seconds", false},
    {"minutes", "minutes", false},
    {"minute", "minute", false},
    {"hours", "hours", false},
    {"hour", "hour", false},
    {"days", "days", false},
    {"day", "day", false},
    {"weeks", "weeks", false},
    {"week", "week", false},
    {"months", "months", false},
    {"month", "month", false},
    {"years", "years", false},
    {"year", "year", false},
    {"times", "times", false},
    {"tablets", "tablets", false},
    {"tablet", "tablet", false},
    {"capsules", "capsules", false},
    {"capsule", "capsule", false},
    {"puffs", "puffs", false},
    {"puff", "puff", false},
    {"drops", "drops", false},
    {"sprays", "sprays", false},
    {"doses", "doses", false},
    {"episodes", "episodes", false},
    {"pack per day", "pack per day", false},
    {"packs per day", "packs per day", false},
    {"drinks", "drinks", false},
    {"cigarettes", "cigarettes", false},
    {"grams per deciliter", "g/dL", false},
    {"milligrams per day", "mg/day", false},
    {"micrograms per kilogram per minute", "mcg/kg/min", false},
    {"milliliters per kilogram", "mL/kg", false},
    {"nanograms per milliliter", "ng/mL", false},
    {"picograms per milliliter", "pg/mL", false},
    {"units per liter", "units/L", false},
    {"units per kilogram", "units/kg", false},
    {"grams per hour", "g/h", false},
    {"milligrams per hour", "mg/h", false},
    {"plus", "+", true},
    {"units per hour", "units/h", false},
    {"centimeters of water", "cm H2O", false},
    {"french", "French", false},
    {"gauge", "gauge", false},
    {"ounces", "ounces", false},
    {"millimoles", "mmol", false},
};

/* After a number these make it a time of day: "two thirty p m" -> "2:30 p.m.". */
static const struct pp_spelling pp_clock_words[] = {
    {"a m", "a.m."}, {"p m", "p.m."}, {"am", "a.m."}, {"pm", "p.m."}, {"o'clock", "o'clock"},
};

static const struct pp_spelling pp_spellings[] = {
    {"i", "I"},
    {"i'm", "I'm"},
    {"i've", "I've"},
    {"i'll", "I'll"},
    {"x ray", "x-ray"},
    {"x rays", "x-rays"},
    {"e k g", "EKG"},
    {"e c g", "ECG"},
    {"c t", "CT"},
    {"m r i", "MRI"},
    {"b i d", "BID"},
    {"t i d", "TID"},
    {"q i d", "QID"},
    {"p r n", "PRN"},
    {"a one c", "A1c"},
    {"vitamin a", "vitamin A"},
    {"vitamin b twelve", "vitamin B12"},
    {"vitamin b six", "vitamin B6"},
    {"vitamin c", "vitamin C"},
    {"vitamin d", "vitamin D"},
    {"vitamin e", "vitamin E"},
    {"vitamin k", "vitamin K"},
    {"hemoglobin a one c", "hemoglobin A1c"},
    {"copd", "COPD"},
    {"ldl", "LDL"},
    {"hdl", "HDL"},
    {"ekg", "EKG"},
    {"ecg", "ECG"},
    {"ct", "CT"},
    {"mri", "MRI"},
    {"bmi", "BMI"},
    {"pcp", "PCP"},
    {"gerd", "GERD"},
    {"uti", "UTI"},
    {"chf", "CHF"},
    {"cad", "CAD"},
    {"hiv", "HIV"},
    {"icu", "ICU"},
    {"nsaid", "NSAID"},
    {"nsaids", "NSAIDs"},
    {"tsh", "TSH"},
    {"cbc", "CBC"},
    {"bmp", "BMP"},
    {"cmp", "CMP"},
    {"inr", "INR"},
    {"a1c", "A1c"},
    {"bp", "BP"},
    {"heent", "HEENT"},
    {"perrla", "PERRLA"},
    {"prn", "PRN"},
    {"bid", "BID"},
    {"tid", "TID"},
    {"qid", "QID"},
    {"iv", "IV"},
    {"dvt", "DVT"},
    {"ent", "ENT"},
    {"covid", "COVID"},
    {"mcburney", "McBurney"},
    {"fahrenheit", "Fahrenheit"},
    {"celsius", "Celsius"},
    {"monday", "Monday"},
    {"tuesday", "Tuesday"},
    {"wednesday", "Wednesday"},
    {"thursday", "Thursday"},
    {"friday", "Friday"},
    {"saturday", "Saturday"},
    {"sunday", "Sunday"},
    {"january", "January"},
    {"february", "February"},
    {"april", "April"},
    {"june", "June"},
    {"july", "July"},
    {"august", "August"},
    {"september", "September"},
    {"october", "October"},
    {"november", "November"},
    {"december", "December"},
    {"nkda", "NKDA"},
    {"a m", "a.m."},
    {"p m", "p.m."},
    {"cva", "CVA"},
    {"tia", "TIA"},
    {"mi", "MI"},
    {"a fib", "AFib"},
    {"afib", "AFib"},
    {"ua", "UA"},
    {"cxr", "CXR"},
    {"gfr", "GFR"},
    {"egfr", "eGFR"},
    {"psa", "PSA"},
    {"adhd", "ADHD"},
    {"ptsd", "PTSD"},
    {"ssri", "SSRI"},
    {"snri", "SNRI"},
    {"ace", "ACE"},
    {"arb", "ARB"},
    {"otc", "OTC"},
    {"npo", "NPO"},
    {"po", "PO"},
    {"ppi", "PPI"},
    {"ent", "ENT"},
    {"st", "ST"},
    {"h p i", "HPI"},
    {"r o s", "ROS"},
    {"o two", "O2"},
    {"c o two", "CO2"},
    {"b p", "BP"},
    {"n p o", "NPO"},
    {"q h s", "QHS"},
    {"i v", "IV"},
    {"i m", "IM"},
    {"p o", "PO"},
    {"a v f", "aVF"},
    {"a v l", "aVL"},
    {"a v r", "aVR"},
    {"phq nine", "PHQ-9"},
    {"phq two", "PHQ-2"},
    {"gad seven", "GAD-7"},
    {"phq", "PHQ"},
    {"c one", "C1"},
    {"c two", "C2"},
    {"c three", "C3"},
    {"c four", "C4"},
    {"c five", "C5"},
    {"c six", "C6"},
    {"c seven", "C7"},
    {"t one", "T1"},
    {"t two", "T2"},
    {"t three", "T3"},
    {"t four", "T4"},
    {"t five", "T5"},
    {"t six", "T6"},
    {"t seven", "T7"},
    {"t eight", "T8"},
    {"t nine", "T9"},
    {"t ten", "T10"},
    {"t eleven", "T11"},
    {"t twelve", "T12"},
    {"l one", "L1"},
    {"l two", "L2"},
    {"l three", "L3"},
    {"l four", "L4"},
    {"l five", "L5"},
    {"s one", "S1"},
    {"s two", "S2"},
    {"s three", "S3"},
    {"s four", "S4"},
};

/* Hesitations dropped from the text. */
static const char *const pp_fillers[] = {"um", "uh", "erm", "uhm", "umm", "hmm", "ah", NULL};

/* A lone "one" after these is a pronoun ("no one", "every one"). */
static const char *const pp_one_blockers[] = {"no", "every", "any", "some", "each", "which", NULL};
static const char *const pp_range_words[] = {"to", "or", "through", "dash", "hyphen", NULL};
/* A number after these is a label and always digits ("type two" -> "type 2"). */
static const char *const pp_label_words[] = {"type",  "grade", "stage", "class", "gravida",
                                             "para",  "room",  "bed",   "day",   "cycle",
                                             "level", "step",  "zone",  "lead",  NULL};

struct pp_token {
	const char *w;
	size_t orig;
};

struct pp_item {
	enum pp_kind kind;
	enum pp_space space;
	bool terminator;
	bool paragraph;
	bool after_next;
	const struct pp_header *header;
	size_t off, len;
	size_t first, last;
};

struct pp_ctx {
	struct pp_token *tok;
	size_t n, cap;
	struct pp_item *items;
	size_t n_items, cap_items;
	struct dynbuf pool;
	unsigned long long list_next; /* the list item that may follow without a boundary */
};

struct pp_num {
	unsigned long long value;
	bool has_int;
	char frac[32];
	size_t nfrac;
	size_t nwords;
};

#define PP_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *pp_word(const struct pp_ctx *c, size_t i)
{
	return i < c->n ? c->tok[i].w : "";
}

static bool pp_wordch(char ch)
{
	return isalnum((unsigned char)ch) || (unsigned char)ch >= 0x80;
}

static bool pp_in_list(const char *w, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(w, *list) == 0)
			return true;
	return false;
}

static size_t pp_match(const struct pp_ctx *c, size_t i, const char *phrase)
{
	size_t k = 0;
	const char *p = phrase;
	while (*p) {
		if (i + k >= c->n)
			return 0;
		const char *w = c->tok[i + k].w;
		size_t len = strcspn(p, " ");
		if (strlen(w) != len || memcmp(w, p, len) != 0)
			return 0;
		k++;
		p += len;
		if (*p == ' ')
			p++;
	}
	return k;
}

static int pp_grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return DICTUM_OK;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need) {
		if (ncap > ((size_t)-1 / 2) / size)
			return DICTUM_NOMEM;
		ncap *= 2;
	}
	void *np = realloc(*p, ncap * size);
	if (!np)
		return DICTUM_NOMEM;
	*p = np;
	*cap = ncap;
	return DICTUM_OK;
}

static int pp_push(struct pp_ctx *c, enum pp_kind kind, const char *text, size_t first, size_t last,
                   struct pp_item **out)
{
	int result = pp_grow((void **)&c->items, &c->cap_items, c->n_items + 1, sizeof(*c->items));
	if (result)
		return result;
	struct pp_item *it = &c->items[c->n_items];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->space = PP_SP_BOTH;
	it->first = first < c->n ? c->tok[first].orig : 0;
	it->last = last < c->n ? c->tok[last].orig : it->first;
	it->off = c->pool.len;
	if (text) {
		it->len = strlen(text);
		result = dynbuf_add(&c->pool, text, it->len);
		if (result)
			return result;
	}
	c->n_items++;
	if (out)
		*out = it;
	return DICTUM_OK;
}

static bool pp_at_boundary(const struct pp_ctx *c)
{
	if (c->n_items == 0)
		return true;
	const struct pp_item *it = &c->items[c->n_items - 1];
	return it->kind == PP_SECTION || it->kind == PP_BREAK ||
	       (it->kind == PP_PUNCT && it->terminator);
}

/* Whether a command of two or more words ends just before word i ("scratch
 * that period": "that" is the command's, not an article of "period"). */
static bool pp_after_command(const struct pp_ctx *c, size_t i)
{
	for (size_t t = 0; t < PP_LEN(pp_commands); t++) {
		size_t words = 1;
		for (const char *p = pp_commands[t].phrase; *p; p++)
			words += *p == ' ';
		if (words >= 2 && i >= words &&
		    pp_match(c, i - words, pp_commands[t].phrase) == words)
			return true;
	}
	return false;
}

static const struct pp_command *pp_find_command(const struct pp_ctx *c, size_t i, size_t *len);
static bool pp_header_at(const struct pp_ctx *c, size_t i);

/* Whether what starts at word i closes the sentence before it: the end of
 * the dictation, a layout command or a spoken header. */
static bool pp_ends_clause(const struct pp_ctx *c, size_t i)
{
	if (i >= c->n)
		return true;
	size_t k = 0;
	const struct pp_command *cmd = pp_find_command(c, i, &k);
	return (cmd && cmd->kind != PP_CMD_PUNCT) || pp_header_at(c, i);
}

/* Words that carry on a sentence after the noun "period" ("a period of",
 * "the period before admission"). */
static const char *const pp_period_goes_on[] = {
    "of",      "in",   "when", "during",  "before", "after",   "since",
    "between", "from", "that", "which",   "where",  "while",   "until",
    "for",     "was",  "is",   "lasting", "with",   "without", NULL,
};

/* "a period" or "the period" (likewise "a full stop", the other stop with
 * a prose reading after an article) followed by a word that does not carry
 * the noun on ("4 mg a period tamsulosin", "and the period no lip
 * swelling") is the recogniser's stray article before the command. */
static bool pp_stray_article(const struct pp_ctx *c, size_t i, size_t k,
                             const struct pp_command *cmd)
{
	return cmd->terminator && i > 0 && pp_in_list(pp_word(c, i - 1), pp_article) &&
	       i + k < c->n && !pp_in_list(pp_word(c, i + k), pp_period_goes_on);
}

/* A word that would make the command prose ("the recovery period", "a new
 * paragraph") does not when the command closes the sentence anyway
 * ("after the recovery period new paragraph", "room air a new paragraph
 * results colon"): then it is the recogniser's or the speaker's slip. */
static bool pp_command_applies(const struct pp_ctx *c, size_t i, size_t k,
                               const struct pp_command *cmd)
{
	if (i > 0 && pp_in_list(pp_word(c, i - 1), cmd->not_after) && !pp_after_command(c, i) &&
	    !pp_ends_clause(c, i + k) && !pp_stray_article(c, i, k, cmd))
		return false;
	return !pp_in_list(pp_word(c, i + k), cmd->not_before);
}

static const struct pp_command *pp_find_command(const struct pp_ctx *c, size_t i, size_t *len)
{
	const struct pp_command *best = NULL;
	size_t best_len = 0;
	for (size_t t = 0; t < PP_LEN(pp_commands); t++) {
		size_t k = pp_match(c, i, pp_commands[t].phrase);
		if (k > best_len && pp_command_applies(c, i, k, &pp_commands[t])) {
			best = &pp_commands[t];
			best_len = k;
		}
	}
	*len = best_len;
	return best;
}

static bool pp_is_colon_command(const struct pp_ctx *c, size_t i)
{
	size_t k = 0;
	const struct pp_command *cmd = pp_find_command(c, i, &k);
	return cmd && k == 1 && strcmp(cmd->text ? cmd->text : "", ":") == 0;
}

static const struct pp_number_word *pp_number_word(const char *w)
{
	for (size_t t = 0; t < PP_LEN(pp_number_words); t++)
		if (strcmp(w, pp_number_words[t].word) == 0)
			return &pp_number_words[t];
	return NULL;
}

static enum pp_num_class pp_class(const struct pp_ctx *c, size_t i)
{
	const struct pp_number_word *nw = pp_number_word(pp_word(c, i));
	return nw ? nw->cls : PP_N_NONE;
}

static unsigned pp_value(const struct pp_ctx *c, size_t i)
{
	const struct pp_number_word *nw = pp_number_word(pp_word(c, i));
	return nw ? nw->value : 0;
}

static size_t pp_below_hundred(const struct pp_ctx *c, size_t i, unsigned *v)
{
	switch (pp_class(c, i)) {
	case PP_N_DIGIT:
	case PP_N_TEEN:
		*v = pp_value(c, i);
		return 1;
	case PP_N_TENS:
		*v = pp_value(c, i);
		if (pp_class(c, i + 1) == PP_N_DIGIT && pp_value(c, i + 1) > 0) {
			*v += pp_value(c, i + 1);
			return 2;
		}
		return 1;
	default:
		return 0;
	}
}

/* "and" joins only when a number follows it. */
static size_t pp_skip_and(const struct pp_ctx *c, size_t j)
{
	if (strcmp(pp_word(c, j), "and") == 0 && pp_class(c, j + 1) != PP_N_NONE)
		return j + 1;
	return j;
}

static size_t pp_below_thousand(const struct pp_ctx *c, size_t i, unsigned *v)
{
	unsigned a = 0, b = 0;
	size_t k = pp_below_hundred(c, i, &a);
	if (k == 0)
		return 0;
	if (a > 0 && strcmp(pp_word(c, i + k), "hundred") == 0) {
		size_t j = pp_skip_and(c, i + k + 1);
		size_t k2 = pp_below_hundred(c, j, &b);
		*v = a * 100 + b;
		return k2 ? j + k2 - i : k + 1;
	}
	/* "one twenty" = 120, "one oh five" = 105, "nineteen ninety" = 1990 */
	bool lead = k == 1 && ((pp_class(c, i) == PP_N_DIGIT && a > 0) || (a >= 11 && a <= 20));
	if (lead && strcmp(pp_word(c, i + 1), "oh") == 0 && pp_class(c, i + 2) == PP_N_DIGIT) {
		*v = a * 100 + pp_value(c, i + 2);
		return 3;
	}
	if (lead && (pp_class(c, i + 1) == PP_N_TEEN || pp_class(c, i + 1) == PP_N_TENS)) {
		size_t k2 = pp_below_hundred(c, i + 1, &b);
		*v = a * 100 + b;
		return 1 + k2;
	}
	*v = a;
	return k;
}

/* A token the recogniser already wrote as digits: "40", "2.5". */
static bool pp_parse_digits(const char *w, struct pp_num *num)
{
	size_t n = strspn(w, "0123456789");
	if (n == 0 || n > 12)
		return false;
	num->value = strtoull(w, NULL, 10);
	num->has_int = true;
	num->nwords = 1;
	if (w[n] == '.') {
		size_t f = strspn(w + n + 1, "0123456789");
		if (f == 0 || f + 1 > sizeof(num->frac) || w[n + 1 + f])
			return false;
		memcpy(num->frac, w + n + 1, f);
		num->frac[f] = '\0';
		num->nfrac = f;
		return true;
	}
	return w[n] == '\0';
}

static bool pp_parse_number(const struct pp_ctx *c, size_t i, struct pp_num *num)
{
	memset(num, 0, sizeof(*num));
	unsigned a = 0, b = 0;
	size_t j = i;
	const char *w = pp_word(c, i);
	if (isdigit((unsigned char)w[0]))
		return pp_parse_digits(w, num);
	size_t k = pp_below_thousand(c, i, &a);
	if (k > 0) {
		num->has_int = true;
		num->value = a;
		j = i + k;
		if (strcmp(pp_word(c, j), "thousand") == 0 && a > 0) {
			num->value = (unsigned long long)a * 1000;
			size_t m = pp_skip_and(c, j + 1);
			size_t k2 = pp_below_thousand(c, m, &b);
			num->value += b;
			j = k2 ? m + k2 : j + 1;
		}
	}
	if (num->has_int && pp_match(c, j, "and a half")) {
		num->frac[num->nfrac++] = '5';
		j += 3;
	} else if (strcmp(pp_word(c, j), "point") == 0) {
		size_t m = j + 1;
		while (num->nfrac + 3 < sizeof(num->frac)) {
			if (strcmp(pp_word(c, m), "oh") == 0)
				num->frac[num->nfrac++] = '0';
			else if (pp_class(c, m) == PP_N_DIGIT)
				num->frac[num->nfrac++] = (char)('0' + pp_value(c, m));
			else
				break;
			m++;
		}
		if (num->nfrac == 0) {
			enum pp_num_class cls = pp_class(c, m);
			if (cls == PP_N_TEEN || cls == PP_N_TENS) {
				size_t k2 = pp_below_hundred(c, m, &b);
				num->nfrac =
				    (size_t)snprintf(num->frac, sizeof(num->frac), "%u", b);
				m += k2;
			}
		}
		if (num->nfrac > 0)
			j = m;
	}
	num->frac[num->nfrac] = '\0';
	num->nwords = j - i;
	return num->nwords > 0 && (num->has_int || num->nfrac > 0);
}

static const struct pp_unit *pp_find_unit(const struct pp_ctx *c, size_t i, size_t *len)
{
	const struct pp_unit *best = NULL;
	size_t best_len = 0;
	for (size_t t = 0; t < PP_LEN(pp_units); t++) {
		size_t k = pp_match(c, i, pp_units[t].phrase);
		if (k > best_len) {
			best = &pp_units[t];
			best_len = k;
		}
	}
	*len = best_len;
	return best;
}

static const struct pp_spelling *pp_find_spelling(const struct pp_ctx *c, size_t i,
                                                  const struct pp_spelling *table, size_t n,
                                                  size_t *len)
{
	const struct pp_spelling *best = NULL;
	size_t best_len = 0;
	for (size_t t = 0; t < n; t++) {
		size_t k = pp_match(c, i, table[t].phrase);
		if (k > best_len) {
			best = &table[t];
			best_len = k;
		}
	}
	*len = best_len;
	return best;
}

enum pp_trigger {
	PP_T_NONE,
	PP_T_CLOCK,
	PP_T_UNIT,
	PP_T_OVER,
	PP_T_OUT_OF,
	PP_T_DECIMAL,
	PP_T_RANGE,
	PP_T_LABEL,
	PP_T_QUANTITY
};

/* Why the number at i (parsed into num) becomes digits, if it does. */
static enum pp_trigger pp_trigger(const struct pp_ctx *c, size_t i, const struct pp_num *num,
                                  bool allow_range)
{
	size_t j = i + num->nwords, k = 0;
	struct pp_num next;
	bool lone = num->has_int && num->nwords == 1 && num->nfrac == 0;
	if (lone && num->value == 1 && i > 0 && pp_in_list(pp_word(c, i - 1), pp_one_blockers))
		return PP_T_NONE;
	if (num->has_int && num->nfrac == 0 &&
	    pp_find_spelling(c, j, pp_clock_words, PP_LEN(pp_clock_words), &k))
		return PP_T_CLOCK;
	if (pp_find_unit(c, j, &k))
		return PP_T_UNIT;
	if (!num->has_int)
		return PP_T_NONE;
	if (strcmp(pp_word(c, j), "over") == 0 && pp_parse_number(c, j + 1, &next) && next.has_int)
		return PP_T_OVER;
	if (pp_match(c, j, "out of") && pp_parse_number(c, j + 2, &next) && next.has_int)
		return PP_T_OUT_OF;
	if (num->nfrac > 0)
		return PP_T_DECIMAL;
	if (i > 0 && pp_in_list(pp_word(c, i - 1), pp_label_words))
		return PP_T_LABEL;
	if (allow_range && pp_in_list(pp_word(c, j), pp_range_words) &&
	    pp_parse_number(c, j + 1, &next) && pp_trigger(c, j + 1, &next, false) != PP_T_NONE)
		return PP_T_RANGE;
	if (!lone || num->value >= 10)
		return PP_T_QUANTITY;
	return PP_T_NONE;
}

static int pp_format_number(struct dynbuf *d, const struct pp_num *num)
{
	return dynbuf_printf(d, "%llu%s%s", num->has_int ? num->value : 0ULL, num->nfrac ? "." : "",
	                     num->frac);
}

/* Writes the number at i and what its trigger takes with it into d;
 * returns the words used through *j. */
static int pp_format_phrase(const struct pp_ctx *c, size_t i, const struct pp_num *num,
                            enum pp_trigger why, struct dynbuf *d, size_t *j)
{
	struct pp_num next;
	size_t k = 0;
	int result;
	*j = i + num->nwords;
	if (why == PP_T_CLOCK) {
		const struct pp_spelling *clock =
		    pp_find_spelling(c, *j, pp_clock_words, PP_LEN(pp_clock_words), &k);
		unsigned long long h = num->value / 100, m = num->value % 100;
		*j += k;
		if (num->value >= 100 && h <= 12 && m < 60)
			return dynbuf_printf(d, "%llu:%02llu %s", h, m, clock->text);
		return dynbuf_printf(d, "%llu %s", num->value, clock->text);
	}
	result = pp_format_number(d, num);
	if (!result && (why == PP_T_OVER || why == PP_T_OUT_OF)) {
		*j += why == PP_T_OVER ? 1 : 2;
		pp_parse_number(c, *j, &next);
		result = dynbuf_addstr(d, "/");
		if (!result)
			result = pp_format_number(d, &next);
		*j += next.nwords;
	}
	const struct pp_unit *unit = pp_find_unit(c, *j, &k);
	if (!result && unit && why != PP_T_RANGE) {
		result = dynbuf_printf(d, "%s%s", unit->glued ? "" : " ", unit->text);
		*j += k;
	}
	return result;
}

static int pp_try_number(struct pp_ctx *c, size_t i, size_t *used)
{
	struct pp_num num;
	struct dynbuf d;
	size_t j = i;
	int result = DICTUM_OK;
	*used = 0;
	if (!pp_parse_number(c, i, &num) || num.value >= PP_NUM_MAX)
		return DICTUM_OK;
	enum pp_trigger why = pp_trigger(c, i, &num, true);
	if (why == PP_T_NONE)
		return DICTUM_OK;
	dynbuf_init(&d, 256);
	result = pp_format_phrase(c, i, &num, why, &d, &j);
	if (!result)
		result = pp_push(c, PP_TEXT, dynbuf_str(&d), i, j - 1, NULL);
	if (!result)
		*used = j - i;
	dynbuf_free(&d);
	return result;
}

/* Whether a spoken header with its colon starts at word i. */
static bool pp_header_at(const struct pp_ctx *c, size_t i)
{
	for (size_t t = 0; t < PP_LEN(pp_headers); t++) {
		size_t m = pp_match(c, i, pp_headers[t].phrase);
		if (m && pp_match(c, i + m, "colon") == 1)
			return true;
	}
	return false;
}

static int pp_try_header(struct pp_ctx *c, size_t i, size_t *used)
{
	const struct pp_header *best = NULL;
	size_t k = 0;
	*used = 0;
	for (size_t t = 0; t < PP_LEN(pp_headers); t++) {
		size_t m = pp_match(c, i, pp_headers[t].phrase);
		if (m > k) {
			best = &pp_headers[t];
			k = m;
		}
	}
	if (!best)
		return DICTUM_OK;
	size_t n = k;
	bool prose_before = i > 0 && pp_in_list(pp_word(c, i - 1), pp_header_not_after);
	if (pp_is_colon_command(c, i + k) && !(k < 2 && prose_before && !pp_at_boundary(c)))
		n = k + 1;
	else if (best->needs_colon || k < 2 || !pp_at_boundary(c) ||
	         pp_in_list(pp_word(c, i + k), pp_header_blockers))
		return DICTUM_OK;
	struct pp_item *it = NULL;
	c->list_next = 0;
	int result = pp_push(c, PP_SECTION, NULL, i, i + n - 1, &it);
	if (result)
		return result;
	it->header = best;
	*used = n;
	return DICTUM_OK;
}

static void pp_scratch(struct pp_ctx *c)
{
	size_t n = c->n_items;
	while (n > 0 && c->items[n - 1].kind == PP_BREAK)
		n--;
	if (n > 0 && c->items[n - 1].kind == PP_SECTION) {
		if (n > 1)
			n--;
	} else {
		if (n > 0 && c->items[n - 1].kind == PP_PUNCT && c->items[n - 1].terminator)
			n--;
		while (n > 0) {
			const struct pp_item *it = &c->items[n - 1];
			if (it->kind == PP_SECTION || it->kind == PP_BREAK ||
			    (it->kind == PP_PUNCT && it->terminator))
				break;
			n--;
		}
	}
	c->n_items = n;
}

/* Words the recogniser hears for "new" before "paragraph". */
static const char *const pp_new_heard[] = {"it", "in", "a", "the", "and", "knew", "you", NULL};

/* "paragraph" straight after a full stop is the layout command whatever
 * the word heard before it ("period it paragraph"): no sentence starts so. */
static size_t pp_paragraph_heard(const struct pp_ctx *c, size_t i)
{
	const struct pp_item *last = c->n_items ? &c->items[c->n_items - 1] : NULL;
	if (!last || last->kind != PP_PUNCT || !last->terminator)
		return 0;
	if (pp_match(c, i, "paragraph"))
		return 1;
	return pp_in_list(pp_word(c, i), pp_new_heard) && pp_match(c, i + 1, "paragraph") ? 2 : 0;
}

static int pp_try_command(struct pp_ctx *c, size_t i, size_t *used)
{
	size_t k = 0;
	struct pp_item *it = NULL;
	int result = DICTUM_OK;
	const struct pp_command *cmd = pp_find_command(c, i, &k);
	*used = 0;
	if (!cmd && (k = pp_paragraph_heard(c, i)) > 0)
		for (size_t t = 0; t < PP_LEN(pp_commands); t++)
			if (pp_commands[t].kind == PP_CMD_PARAGRAPH)
				cmd = &pp_commands[t];
	if (!cmd)
		return DICTUM_OK;
	/* No sentence ends in an article after other words: "the period", "room
	 * air a new paragraph". */
	if ((cmd->terminator || cmd->kind != PP_CMD_PUNCT) && c->n_items >= 2 && i > 0 &&
	    pp_in_list(pp_word(c, i - 1), pp_article)) {
		const struct pp_item *last = &c->items[c->n_items - 1];
		if (last->kind == PP_TEXT && last->first == c->tok[i - 1].orig &&
		    last[-1].kind == PP_TEXT)
			c->n_items--;
	}
	switch (cmd->kind) {
	case PP_CMD_PUNCT:
		/* A full stop with no sentence to end (after "scratch that", a
		 * header, a break or another full stop) is dropped. */
		if (cmd->terminator && pp_at_boundary(c))
			break;
		result = pp_push(c, PP_PUNCT, cmd->text, i, i + k - 1, &it);
		if (!result) {
			it->space = cmd->space;
			it->terminator = cmd->terminator;
		}
		break;
	case PP_CMD_LINE:
	case PP_CMD_PARAGRAPH:
		if (cmd->kind == PP_CMD_PARAGRAPH)
			c->list_next = 0;
		result = pp_push(c, PP_BREAK, NULL, i, i + k - 1, &it);
		if (!result)
			it->paragraph = cmd->kind == PP_CMD_PARAGRAPH;
		break;
	case PP_CMD_SCRATCH:
		pp_scratch(c);
		break;
	case PP_CMD_NEXT:
		c->list_next = 0;
		result = pp_push(c, PP_SECTION, NULL, i, i + k - 1, &it);
		if (!result)
			it->after_next = true;
		break;
	}
	if (!result)
		*used = k;
	return result;
}

/* "number one" at a boundary: a list item; "times three": x3. */
static int pp_try_marker(struct pp_ctx *c, size_t i, size_t *used)
{
	struct pp_num num;
	char text[48];
	bool list = strcmp(pp_word(c, i), "number") == 0;
	bool times = strcmp(pp_word(c, i), "times") == 0 &&
	             !(i > 0 && pp_in_list(pp_word(c, i - 1), pp_times_not_after));
	*used = 0;
	if (!(list || times) || !pp_parse_number(c, i + 1, &num) || !num.has_int || num.nfrac ||
	    num.value >= PP_NUM_MAX)
		return DICTUM_OK;
	if (list && !pp_at_boundary(c) && num.value != c->list_next)
		return DICTUM_OK;
	if (list)
		c->list_next = num.value + 1;
	snprintf(text, sizeof(text), list ? "%llu." : "x%llu", num.value);
	int result = pp_push(c, list ? PP_LIST : PP_TEXT, text, i, i + num.nwords, NULL);
	if (!result)
		*used = 1 + num.nwords;
	return result;
}

static int pp_push_word(struct pp_ctx *c, size_t i, size_t *used)
{
	const char *text = pp_word(c, i);
	size_t k = 1;
	for (size_t t = 0; t < PP_LEN(pp_spellings); t++) {
		size_t m = pp_match(c, i, pp_spellings[t].phrase);
		if (m >= k && m > 0) {
			text = pp_spellings[t].text;
			k = m;
		}
	}
	*used = k;
	return pp_push(c, PP_TEXT, text, i, i + k - 1, NULL);
}

typedef int (*pp_rule_fn)(struct pp_ctx *c, size_t i, size_t *used);

/* Tried in this order at each word; the first that uses words wins. */
static const pp_rule_fn pp_rules[] = {
    pp_try_header, pp_try_command, pp_try_marker, pp_try_number, pp_push_word,
};

static int pp_run(struct pp_ctx *c)
{
	int result = pp_push(c, PP_SECTION, NULL, 0, 0, NULL);
	size_t i = 0;
	while (!result && i < c->n) {
		size_t used = 0;
		for (size_t r = 0; r < PP_LEN(pp_rules) && !result && used == 0; r++)
			result = pp_rules[r](c, i, &used);
		i += used ? used : 1;
	}
	return result;
}

struct pp_render {
	struct dynbuf text;
	struct dictation_span *sent, *piece;
	size_t n_sent, cap_sent, n_piece, cap_piece;
	bool open;
};

static void pp_sentence_close(struct pp_render *r)
{
	if (r->open)
		r->n_sent++;
	r->open = false;
}

static int pp_sentence_add(struct pp_render *r, size_t start, const struct pp_item *it)
{
	if (!r->open) {
		int result =
		    pp_grow((void **)&r->sent, &r->cap_sent, r->n_sent + 1, sizeof(*r->sent));
		if (result)
			return result;
		struct dictation_span *s = &r->sent[r->n_sent];
		s->start = start;
		s->first_word = it->first;
		s->last_word = it->last;
		r->open = true;
	}
	struct dictation_span *s = &r->sent[r->n_sent];
	if (it->first < s->first_word)
		s->first_word = it->first;
	if (it->last > s->last_word)
		s->last_word = it->last;
	s->end = r->text.len;
	return DICTUM_OK;
}

static bool pp_space_before(enum pp_space s)
{
	return s == PP_SP_BOTH || s == PP_SP_BEFORE;
}

static bool pp_space_after(enum pp_space s)
{
	return s == PP_SP_BOTH || s == PP_SP_AFTER;
}

/* Renders items [from, to) into one section's text and sentences. */
static int pp_render_section(const struct pp_ctx *c, size_t from, size_t to, struct pp_render *r)
{
	int result = DICTUM_OK;
	int pending = 0;
	bool cap_next = true, line_start = true, prev_space = false;
	for (size_t i = from; i < to && !result; i++) {
		const struct pp_item *it = &c->items[i];
		if (it->kind == PP_BREAK) {
			int want = it->paragraph ? 2 : 1;
			pending = pending > want ? pending : want;
			cap_next = true;
			pp_sentence_close(r);
			continue;
		}
		if (it->kind == PP_LIST && r->text.len > 0 && !line_start) {
			pending = pending > 1 ? pending : 1;
			pp_sentence_close(r);
		}
		if (pending && r->text.len > 0) {
			result = dynbuf_addstr(&r->text, pending == 2 ? "\n\n" : "\n");
			line_start = true;
		}
		pending = 0;
		if (!result && !line_start && prev_space && pp_space_before(it->space))
			result = dynbuf_add(&r->text, " ", 1);
		if (result)
			break;
		size_t start = r->text.len;
		if (it->len > 0)
			result = dynbuf_add(&r->text, c->pool.buf + it->off, it->len);
		if (result)
			break;
		if (it->kind == PP_TEXT) {
			if (cap_next && it->len > 0 && islower((unsigned char)r->text.buf[start]))
				r->text.buf[start] =
				    (char)toupper((unsigned char)r->text.buf[start]);
			cap_next = false;
		} else if (it->kind == PP_LIST) {
			cap_next = true;
		}
		result = pp_sentence_add(r, start, it);
		if (!result)
			result = pp_grow((void **)&r->piece, &r->cap_piece, r->n_piece + 1,
			                 sizeof(*r->piece));
		if (!result)
			r->piece[r->n_piece++] =
			    (struct dictation_span){start, r->text.len, it->first, it->last};
		if (!result && it->kind == PP_PUNCT && it->terminator) {
			cap_next = true;
			pp_sentence_close(r);
		}
		prev_space = pp_space_after(it->space);
		line_start = false;
	}
	pp_sentence_close(r);
	return result;
}

static void pp_section_clear(struct dictation_section *s)
{
	free(s->text);
	free(s->sentences);
	free(s->pieces);
	s->text = NULL;
	s->sentences = NULL;
	s->pieces = NULL;
}

size_t dictation_count_command_words(const char *text)
{
	size_t n = 0;
	for (const char *p = text ? text : ""; *p; p++) {
		if (p != text && pp_wordch(p[-1]))
			continue;
		size_t best = 0;
		for (size_t t = 0; t < PP_LEN(pp_commands); t++) {
			size_t len = strlen(pp_commands[t].phrase);
			if (len > best && strncasecmp(p, pp_commands[t].phrase, len) == 0 &&
			    !pp_wordch(p[len]))
				best = len;
		}
		if (best) {
			n++;
			p += best - 1;
		}
	}
	return n;
}

void dictation_result_free(struct dictation_result **rp)
{
	if (!rp || !*rp)
		return;
	struct dictation_result *r = *rp;
	for (size_t i = 0; i < r->n_sections; i++)
		pp_section_clear(&r->sections[i]);
	free(r->sections);
	free(r);
	*rp = NULL;
}

static int pp_copy_spans(const struct dictation_span *src, size_t n, struct dictation_span **dst,
                         size_t *n_dst)
{
	if (n == 0)
		return DICTUM_OK;
	*dst = malloc(n * sizeof(**dst));
	if (!*dst)
		return DICTUM_NOMEM;
	memcpy(*dst, src, n * sizeof(**dst));
	*n_dst = n;
	return DICTUM_OK;
}

static int pp_collect(const struct pp_ctx *c, struct dictation_result *res)
{
	int result = DICTUM_OK;
	size_t n_sec = 0;
	for (size_t i = 0; i < c->n_items; i++)
		n_sec += c->items[i].kind == PP_SECTION;
	if (n_sec == 0)
		return DICTUM_OK;
	res->sections = calloc(n_sec, sizeof(*res->sections));
	if (!res->sections)
		return DICTUM_NOMEM;
	struct pp_render r;
	memset(&r, 0, sizeof(r));
	dynbuf_init(&r.text, PP_TEXT_MAX);
	for (size_t i = 0; i < c->n_items && !result; i++) {
		if (c->items[i].kind != PP_SECTION)
			continue;
		size_t end = i + 1;
		while (end < c->n_items && c->items[end].kind != PP_SECTION)
			end++;
		dynbuf_reset(&r.text);
		r.n_sent = 0;
		r.n_piece = 0;
		result = pp_render_section(c, i + 1, end, &r);
		const struct pp_item *h = &c->items[i];
		if (result || (!h->header && r.text.len == 0))
			continue;
		struct dictation_section *s = &res->sections[res->n_sections];
		s->key = h->header ? h->header->key : DICTATION_DEFAULT_KEY;
		s->title = h->header ? h->header->title : "";
		s->cued = h->header != NULL;
		s->after_next_section = h->after_next;
		s->header_first = h->first;
		s->header_last = h->last;
		s->text = dynbuf_take(&r.text);
		if (!s->text) {
			result = DICTUM_NOMEM;
			break;
		}
		res->n_sections++;
		result = pp_copy_spans(r.sent, r.n_sent, &s->sentences, &s->n_sentences);
		if (!result)
			result = pp_copy_spans(r.piece, r.n_piece, &s->pieces, &s->n_pieces);
	}
	dynbuf_free(&r.text);
	free(r.sent);
	free(r.piece);
	return result;
}

static void pp_normalise(char *t)
{
	for (char *p = t; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t len = strlen(t);
	if (len > 2 && t[len - 1] == ')') {
		char *open = strrchr(t, '(');
		if (open && open > t &&
		    strspn(open + 1, "0123456789") == (size_t)(t + len - 1 - open - 1))
			*open = '\0';
	}
	len = strlen(t);
	while (len > 0 && !pp_wordch(t[len - 1]) && t[len - 1] != '%')
		t[--len] = '\0';
	size_t lead = 0;
	while (t[lead] && !pp_wordch(t[lead]))
		lead++;
	memmove(t, t + lead, strlen(t + lead) + 1);
}

/* Splits s in place into tokens; each gets index *counter (advanced per
 * token when each is set). */
static int pp_split(struct pp_ctx *c, char *s, size_t *counter, bool each)
{
	int result = DICTUM_OK;
	char *p = s;
	while (*p) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		char *t = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
		size_t orig = *counter;
		if (each)
			(*counter)++;
		if (t[0] == '<' || t[0] == '[' || t[0] == '+')
			continue;
		pp_normalise(t);
		if (!*t || pp_in_list(t, pp_fillers))
			continue;
		result = pp_grow((void **)&c->tok, &c->cap, c->n + 1, sizeof(*c->tok));
		if (result)
			return result;
		c->tok[c->n].w = t;
		c->tok[c->n].orig = orig;
		c->n++;
	}
	return result;
}

static int pp_finish(struct pp_ctx *c, size_t n_words, struct dictation_result **out)
{
	struct dictation_result *res = calloc(1, sizeof(*res));
	int result = res ? DICTUM_OK : DICTUM_NOMEM;
	if (!result)
		result = pp_run(c);
	if (!result) {
		res->n_words = n_words;
		result = pp_collect(c, res);
	}
	if (result)
		dictation_result_free(&res);
	else
		*out = res;
	return result;
}

int dictation_process(const char *words, struct dictation_result **out)
{
	struct pp_ctx c;
	char *buf = NULL;
	size_t counter = 0;
	int result = DICTUM_OK;
	memset(&c, 0, sizeof(c));
	dynbuf_init(&c.pool, PP_TEXT_MAX);
	if (!out)
		return DICTUM_INVAL;
	if (!words)
		words = "";
	if (strlen(words) > PP_TEXT_MAX) {
		result = DICTUM_FULL;
		goto cleanup;
	}
	buf = strdup(words);
	if (!buf) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	result = pp_split(&c, buf, &counter, true);
	if (!result)
		result = pp_finish(&c, counter, out);
cleanup:
	free(buf);
	free(c.tok);
	free(c.items);
	dynbuf_free(&c.pool);
	return result;
}

int dictation_process_words(const char *const *words, size_t n, struct dictation_result **out)
{
	struct pp_ctx c;
	char *buf = NULL;
	size_t total = 0;
	int result = DICTUM_OK;
	memset(&c, 0, sizeof(c));
	dynbuf_init(&c.pool, PP_TEXT_MAX);
	if (!out || (!words && n > 0))
		return DICTUM_INVAL;
	for (size_t i = 0; i < n; i++) {
		total += (words[i] ? strlen(words[i]) : 0) + 1;
		if (total > PP_TEXT_MAX) {
			result = DICTUM_FULL;
			goto cleanup;
		}
	}
	buf = malloc(total + 1);
	if (!buf) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	char *p = buf;
	for (size_t i = 0; i < n && !result; i++) {
		size_t len = words[i] ? strlen(words[i]) : 0;
		if (len)
			memcpy(p, words[i], len);
		p[len] = '\0';
		size_t index = i;
		result = pp_split(&c, p, &index, false);
		p += len + 1;
	}
	if (!result)
		result = pp_finish(&c, n, out);
cleanup:
	free(buf);
	free(c.tok);
	free(c.items);
	dynbuf_free(&c.pool);
	return result;
}

int dictation_render(const struct dictation_result *r, char **out)
{
	struct dynbuf d;
	int result = DICTUM_OK;
	if (!r || !out)
		return DICTUM_INVAL;
	dynbuf_init(&d, PP_TEXT_MAX * 2);
	for (size_t i = 0; i < r->n_sections && !result; i++) {
		const struct dictation_section *s = &r->sections[i];
		if (i > 0)
			result = dynbuf_addstr(&d, "\n\n");
		if (!result && s->title[0])
			result = dynbuf_printf(&d, "%s:%s", s->title, s->text[0] ? "\n" : "");
		if (!result)
			result = dynbuf_addstr(&d, s->text);
	}
	if (!result) {
		char *text = dynbuf_take(&d);
		if (text)
			*out = text;
		else
			result = DICTUM_NOMEM;
	}
	dynbuf_free(&d);
	return result;
}

/* Whether text carries written punctuation. The recogniser's dictionary
 * spells letters with a dot ("d." in "stage three d."), which is a word, not
 * punctuation: only a stop after a longer word counts. */
static bool pp_written(const char *text)
{
	for (const char *p = text; (p = strpbrk(p, ".?!:")) != NULL; p++) {
		if (*p != '.')
			return true;
		bool letter = p > text && isalpha((unsigned char)p[-1]) &&
		              (p - 1 == text || isspace((unsigned char)p[-2]));
		if (!letter)
			return true;
	}
	return false;
}

char *dictation_spoken_text(const char *text)
{
	if (!text || pp_written(text) || dictation_count_command_words(text) == 0)
		return NULL;
	struct dictation_result *r = NULL;
	char *out = NULL;
	if (dictation_process(text, &r) == DICTUM_OK)
		dictation_render(r, &out);
	dictation_result_free(&r);
	return out;
}
