#include "core/error.h"
#include "notes/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- rule tables (written by the Dictum authors) ---- */

/* Sounds that carry no meaning. */
static const char *const fillers[] = {"uh", "um", "uhm", "umm", "hmm", "mm",  "mhm",
                                      "er", "ah", "...", "-",   "--",  "huh", "y'know"};

/* Spoken forms written out. */
static const struct {
	const char *from, *to;
} spoken_forms[] = {
    {"gonna", "going to"}, {"wanna", "want to"},  {"kinda", "kind of"}, {"sorta", "sort of"},
    {"gotta", "have to"},  {"'cause", "because"}, {"cuz", "because"},   {"ok", "okay"},
    {"whats", "what's"},   {"dont", "don't"},     {"im", "i'm"},        {"ive", "i've"},
    {"ya", "you"},         {"yep", "yes"},        {"yup", "yes"},       {"nope", "no"},
};

/* Words that open a spoken sentence and say nothing in a note. */
static const char *const openers[] = {"so",        "and",    "okay",   "alright", "now", "oh",
                                      "hey",       "anyway", "but",    "um",      "uh",  ",",
                                      "all right", "uh-huh", "mm-hmm", "got it"};
/* Openers only when a comma or stop follows: "well, ..." but "well controlled";
 * "right, ..." but "right knee"; "no" is never dropped. */
static const char *const soft_openers[] = {"well",      "yeah", "right",   "like",
                                           "great",     "good", "perfect", "excellent",
                                           "wonderful", "cool", "sure",    "yes"};

/* A sentence with one of these is talk about the visit, not clinical. */
static const char *const small_talk[] = {
    "dax",
    "dragon",
    "nice to meet",
    "good to see",
    "nice to see",
    "how are you",
    "how's it going",
    "how you doing",
    "thank you",
    "thanks",
    "have a great",
    "have a good",
    "take care",
    "any questions",
    "questions for me",
    "sounds good",
    "sounds like a plan",
    "you're welcome",
    "let me know if",
    "the nurse",
    "have a seat",
    "bye",
    "weather",
    "let's get started",
    "let's get you",
    "any other questions",
    "does that sound",
    "do you understand",
    "make sense",
    "i'll be right back",
    "hello",
    "good morning",
    "good afternoon",
    "halloween",
    "show me",
    "christmas",
    "thanksgiving",
    "vacation",
    "football",
    "kids doing",
    "hear me",
    "talk through",
    "template",
    "get all the information",
    "documented",
};

/* Clinician phrases that open a part of the visit. */
enum phase { PHASE_HISTORY, PHASE_EXAM, PHASE_PLAN };
static const struct {
	const char *cue;
	enum phase phase;
} phase_cues[] = {
    {"physical exam", PHASE_EXAM},
    {"physical examination", PHASE_EXAM},
    {"examine you", PHASE_EXAM},
    {"examine your", PHASE_EXAM},
    {"take a look", PHASE_EXAM},
    {"let me look", PHASE_EXAM},
    {"let me listen", PHASE_EXAM},
    {"listen to your", PHASE_EXAM},
    {"on exam", PHASE_EXAM},
    {"on your exam", PHASE_EXAM},
    {"your exam", PHASE_EXAM},
    {"vital signs", PHASE_EXAM},
    {"your vitals", PHASE_EXAM},
    {"quick exam", PHASE_EXAM},
    {"on examination", PHASE_EXAM},
    {"exam of your", PHASE_EXAM},
    {"my impression", PHASE_PLAN},
    {"my assessment", PHASE_PLAN},
    {"impression is", PHASE_PLAN},
    {"assessment is", PHASE_PLAN},
    {"my plan", PHASE_PLAN},
    {"the plan", PHASE_PLAN},
    {"first problem", PHASE_PLAN},
    {"let's talk about", PHASE_PLAN},
    {"treatment plan", PHASE_PLAN},
    {"what i'd like to do", PHASE_PLAN},
    {"what i want to do", PHASE_PLAN},
    {"diagnosis is", PHASE_PLAN},
    {"what we're going to do", PHASE_PLAN},
    {"in terms of treatment", PHASE_PLAN},
    {"for your first", PHASE_PLAN},
    {"your diagnosis", PHASE_PLAN},
};

/* Exam-time instructions to the patient: never part of the note. */
static const char *const exam_instructions[] = {
    "take a deep breath",
    "deep breath",
    "breathe in",
    "breathe out",
    "lie back",
    "lay back",
    "sit up",
    "push against",
    "squeeze my",
    "follow my finger",
    "look up",
    "look down",
    "open your mouth",
    "say ah",
    "stand up",
    "let me",
    "i'm going to press",
    "i'm going to listen",
    "we're going to",
    "go ahead and",
    "can you",
    "could you",
    "relax",
    "i'm just going to",
    "i'll press",
    "i'm gonna",
    "press here",
    "you can sit",
    "lean forward",
    "listen to",
    "listening to",
    "examine",
    "take a look",
    "look at your",
    "press on",
    "feel your",
    "check your",
    "lay back",
    "hop up",
    "get up on",
};

/* Clinical words (a trailing '=' asks for the whole word; others are stems). */
static const char *const clinical_words[] = {
    "pain",       "ache",       "aching",
    "hurt",       "sore",       "swell",
    "swollen",    "cough",      "fever",
    "chill",      "nause",      "vomit",
    "diarrhea",   "constipat",  "headache",
    "dizz",       "lighthead",  "fatigue",
    "tired",      "weak",       "numb",
    "tingl",      "rash",       "itch",
    "bleed",      "bruis",      "breath",
    "wheez",      "chest",      "heart",
    "lung",       "abdom",      "belly",
    "stomach",    "back=",      "neck",
    "knee",       "hip=",       "hips=",
    "shoulder",   "ankle",      "wrist",
    "elbow",      "foot",       "feet",
    "hand=",      "hands=",     "arm=",
    "arms=",      "leg=",       "legs=",
    "joint",      "muscle",     "bone",
    "fractur",    "sprain",     "injur",
    "fall=",      "fell=",      "blood",
    "pressure",   "sugar",      "glucose",
    "diabet",     "hypertens",  "cholesterol",
    "asthma",     "copd",       "cancer",
    "tumor",      "mass=",      "lump",
    "infect",     "anxi",       "depress",
    "sleep",      "insomnia",   "weight",
    "appetite",   "urin",       "bladder",
    "kidney",     "liver",      "thyroid",
    "medic",      "pill",       "tablet",
    "dose",       "mg=",        "milligram",
    "prescri",    "surger",     "surgical",
    "procedure",  "x-ray",      "xray",
    "mri",        "scan",       "ultrasound",
    "echo",       "ekg",        "ecg",
    "lab=",       "labs=",      "test",
    "result",     "exam",       "tender",
    "murmur",     "edema",      "range of motion",
    "strength",   "reflex",     "pulse",
    "symptom",    "diagnos",    "history",
    "allerg",     "smok",       "alcohol",
    "drink",      "vision",     "ear=",
    "ears=",      "eye",        "throat",
    "nose",       "sinus",      "skin",
    "wound",      "burn",       "stiff",
    "cramp",      "spasm",      "migraine",
    "seizure",    "stroke",     "palpitat",
    "faint",      "anemi",      "iron",
    "vitamin",    "therapy",    "injection",
    "shot=",      "vaccin",     "referr",
    "specialist", "worse",      "better",
    "improv",     "flare",      "episod",
    "onset",      "bowel",      "period",
    "menstru",    "pregnan",    "inhaler",
    "insulin",    "dosage",     "treatment",
    "treat",      "disease",    "disorder",
    "syndrome",   "arthritis",  "failure",
    "regurg",     "fluid",      "edema",
    "lesion",     "ulcer",      "reflux",
    "heartburn",  "bloat",      "gain",
    "loss",       "energy",     "mood",
    "stress",     "numbness",   "vertigo",
    "nodule",     "biopsy",     "colonoscopy",
    "endoscopy",  "mammogram",  "ct=",
    "a1c",        "hemoglobin", "ferritin",
    "platelet",   "creatinine", "potassium",
    "sodium",     "steroid",    "antibiotic",
    "brace",      "splint",     "cast=",
    "crutch",     "walker",     "cane=",
    "physical",   "follow-up",  "follow up",
    "weeks",      "months",     "year-old",
    "year old",   "elevat",     "normal",
    "abnormal",   "positive",   "negative",
    "grade",      "systolic",   "diastolic",
    "saturation", "oxygen",     "temperature",
    "rate=",      "rhythm",
};

/* What a clinician's plan says it will do. */
static const char *const plan_words[] = {
    "ice",      "rest",      "take",        "start",    "continue", "stop",      "increase",
    "decrease", "order",     "refer",       "schedule", "recheck",  "follow up", "prescribe",
    "monitor",  "avoid",     "elevate",     "apply",    "return",   "call",      "should",
    "we will",  "recommend", "discontinue", "wear",
};

/* Things a clinician's statement must mention to be a result. */
static const char *const result_nouns[] = {
    "x-ray",
    "xray",
    "x-rays",
    "mri",
    "ct",
    "cat scan",
    "ultrasound",
    "echo",
    "echocardiogram",
    "ekg",
    "ecg",
    "blood work",
    "bloodwork",
    "labs",
    "lab",
    "lab work",
    "a1c",
    "hemoglobin",
    "cholesterol",
    "ejection fraction",
    "biopsy",
    "urinalysis",
    "culture",
    "stress test",
    "scan",
    "results",
    "glucose",
    "creatinine",
    "potassium",
    "kidney function",
    "tsh",
    "imaging",
    "mammogram",
    "pft",
    "sleep study",
    "cbc",
    "ferritin",
    "levels",
    "level",
    "hematocrit",
    "platelets",
    "white count",
    "urine",
    "swab",
    "strep",
    "covid test",
};
static const char *const result_verbs[] = {
    "showed",          "shows",       "revealed",    "reveals",         "demonstrated",
    "demonstrates",    "came back",   "normal",      "elevated",        "abnormal",
    "reviewed",        "looked at",   "was low",     "was high",        "is low",
    "is high",         "were low",    "were high",   "positive",        "negative",
    "consistent with", "evidence of", "notable for", "significant for", "i saw",
};

/* Review of systems: words of a question's subject and the system they
 * belong to (NULL system: the kind named instead). */
static const struct {
	const char *stem;
	const char *system;
	const char *kind;
} ros_systems[] = {
    {"allerg", NULL, "allergies"},
    {"fever", "Constitutional", "ros"},
    {"chill", "Constitutional", "ros"},
    {"sweats", "Constitutional", "ros"},
    {"weight", "Constitutional", "ros"},
    {"fatigue", "Constitutional", "ros"},
    {"tired", "Constitutional", "ros"},
    {"appetite", "Constitutional", "ros"},
    {"vision", "Eyes", "ros"},
    {"blurr", "Eyes", "ros"},
    {"sore throat", "ENT", "ros"},
    {"congestion", "ENT", "ros"},
    {"runny nose", "ENT", "ros"},
    {"sinus", "ENT", "ros"},
    {"hearing", "ENT", "ros"},
    {"chest pain", "Cardiovascular", "ros"},
    {"palpitat", "Cardiovascular", "ros"},
    {"swelling", "Cardiovascular", "ros"},
    {"swollen", "Cardiovascular", "ros"},
    {"edema", "Cardiovascular", "ros"},
    {"racing", "Cardiovascular", "ros"},
    {"short of breath", "Respiratory", "ros"},
    {"shortness of breath", "Respiratory", "ros"},
    {"cough", "Respiratory", "ros"},
    {"wheez", "Respiratory", "ros"},
    {"breathing", "Respiratory", "ros"},
    {"nause", "Gastrointestinal", "ros"},
    {"vomit", "Gastrointestinal", "ros"},
    {"diarrhea", "Gastrointestinal", "ros"},
    {"constipat", "Gastrointestinal", "ros"},
    {"abdominal", "Gastrointestinal", "ros"},
    {"belly", "Gastrointestinal", "ros"},
    {"stomach", "Gastrointestinal", "ros"},
    {"stool", "Gastrointestinal", "ros"},
    {"heartburn", "Gastrointestinal", "ros"},
    {"reflux", "Gastrointestinal", "ros"},
    {"bloat", "Gastrointestinal", "ros"},
    {"bowel", "Gastrointestinal", "ros"},
    {"urin", "Genitourinary", "ros"},
    {"bladder", "Genitourinary", "ros"},
    {"joint", "Musculoskeletal", "ros"},
    {"muscle", "Musculoskeletal", "ros"},
    {"back pain", "Musculoskeletal", "ros"},
    {"stiff", "Musculoskeletal", "ros"},
    {"rash", "Skin", "ros"},
    {"itch", "Skin", "ros"},
    {"lesion", "Skin", "ros"},
    {"headache", "Neurological", "ros"},
    {"dizz", "Neurological", "ros"},
    {"numb", "Neurological", "ros"},
    {"tingl", "Neurological", "ros"},
    {"weakness", "Neurological", "ros"},
    {"lighthead", "Neurological", "ros"},
    {"seizure", "Neurological", "ros"},
    {"faint", "Neurological", "ros"},
    {"passing out", "Neurological", "ros"},
    {"passed out", "Neurological", "ros"},
    {"depress", "Psychiatric", "ros"},
    {"anxi", "Psychiatric", "ros"},
    {"mood", "Psychiatric", "ros"},
    {"sleep", "Psychiatric", "ros"},
    {"bleed", "Hematologic", "ros"},
    {"bruis", "Hematologic", "ros"},
    {"pain", NULL, "hpi"},
    {"injur", NULL, "hpi"},
    {"trauma", NULL, "hpi"},
    {"surger", NULL, "pmh"},
    {"smok", NULL, "social"},
    {"alcohol", NULL, "social"},
    {"drink", NULL, "social"},
    {"drug", NULL, "social"},
};

/* How a question names its subject: the words before it. */
static const char *const question_openers[] = {
    "do you have any",
    "do you have",
    "have you had any",
    "have you had",
    "have you been having any",
    "have you been having",
    "have you noticed any",
    "have you noticed",
    "have you experienced any",
    "have you experienced",
    "are you having any",
    "are you having",
    "are you experiencing any",
    "are you experiencing",
    "did you have any",
    "did you have",
    "did you notice any",
    "did you notice",
    "have you ever had any",
    "have you ever had",
    "is there any",
    "do you get any",
    "do you get",
    "any",
    "how about any",
    "how about",
    "what about any",
    "what about",
    "do you feel",
    "have you felt",
    "you have any",
    "no",
};
/* Words that end a question's subject. */
static const char *const subject_tails[] = {
    "have you",
    "do you",
    "are you",
    "is it",
    "how",
    "what",
    "can you",
    "did you",
    "at all",
    "or anything like that",
    "or anything",
    "lately",
    "recently",
    "right now",
    "today",
    "that you've noticed",
    "or not",
    "going on",
    "with that",
    "as well",
    "anything like that",
    "this week",
};
/* Subjects that are not clinical. */
static const char *const subject_stop[] = {"questions", "question", "concerns", "kids",
                                           "plans",     "pets",     "children", "other"};

static const char *const answer_no[] = {"no",
                                        "nope",
                                        "nah",
                                        "not really",
                                        "none",
                                        "never",
                                        "i don't",
                                        "i haven't",
                                        "i have not",
                                        "i do not",
                                        "not that i know",
                                        "not that i've noticed",
                                        "negative",
                                        "i didn't",
                                        "no ma'am",
                                        "no sir"};
static const char *const answer_yes[] = {
    "yes",       "yeah",     "yep",   "yup",     "uh-huh", "mm-hmm",     "i do",        "i have",
    "sometimes", "a little", "a bit", "correct", "i did",  "definitely", "occasionally"};

/* First person (patient) and second person (clinician) into third person.
 * $S subject, $P possessive, $O object, $R reflexive; a trailing +V
 * conjugates the verb that follows; $YOU is subject or object by context. */
static const struct {
	const char *match, *replace;
} patient_rules[] = {
    {"i am", "$S is"},
    {"i'm", "$S is"},
    {"i've", "$S has"},
    {"i have", "$S has"},
    {"i haven't", "$S has not"},
    {"i was", "$S was"},
    {"i wasn't", "$S was not"},
    {"i don't", "$S does not"},
    {"i do not", "$S does not"},
    {"i didn't", "$S did not"},
    {"i can't", "$S cannot"},
    {"i cannot", "$S cannot"},
    {"i couldn't", "$S could not"},
    {"i'd", "$S would"},
    {"i'll", "$S will"},
    {"i will", "$S will"},
    {"i do", "$S does"},
    {"i", "$S +V"},
    {"my", "$P"},
    {"me", "$O"},
    {"myself", "$R"},
    {"mine", "$P"},
    {"we're", "they are"},
};
static const struct {
	const char *match, *replace;
} clinician_rules[] = {
    {"i'm going to", "we will"},
    {"i am going to", "we will"},
    {"we're going to", "we will"},
    {"we are going to", "we will"},
    {"i want to", "we will"},
    {"i would like to", "we will"},
    {"i'd like to", "we will"},
    {"let's", "we will"},
    {"i'll", "we will"},
    {"we'll", "we will"},
    {"i will", "we will"},
    {"i want you to", "$S should"},
    {"i'd like you to", "$S should"},
    {"i would like you to", "$S should"},
    {"i need you to", "$S should"},
    {"you're", "$S is"},
    {"you are", "$S is"},
    {"you've", "$S has"},
    {"you have", "$S has"},
    {"you were", "$S was"},
    {"you don't", "$S does not"},
    {"you didn't", "$S did not"},
    {"you can't", "$S cannot"},
    {"you'll", "$S will"},
    {"you'd", "$S would"},
    {"you do", "$S does"},
    {"your", "$P"},
    {"yourself", "$R"},
    {"you", "$YOU"},
};

static const char *const modals[] = {"can",  "should", "will", "may",   "might", "would",   "could",
                                     "must", "need",   "also", "still", "just",  "probably"};

static const struct {
	const char *base, *third;
} verbs[] = {
    {"feel", "feels"},
    {"have", "has"},
    {"do", "does"},
    {"go", "goes"},
    {"try", "tries"},
    {"get", "gets"},
    {"take", "takes"},
    {"need", "needs"},
    {"think", "thinks"},
    {"want", "wants"},
    {"know", "knows"},
    {"use", "uses"},
    {"see", "sees"},
    {"hear", "hears"},
    {"notice", "notices"},
    {"work", "works"},
    {"walk", "walks"},
    {"sleep", "sleeps"},
    {"eat", "eats"},
    {"drink", "drinks"},
    {"smoke", "smokes"},
    {"run", "runs"},
    {"play", "plays"},
    {"like", "likes"},
    {"love", "loves"},
    {"wake", "wakes"},
    {"check", "checks"},
    {"keep", "keeps"},
    {"forget", "forgets"},
    {"remember", "remembers"},
    {"live", "lives"},
    {"exercise", "exercises"},
    {"wear", "wears"},
    {"say", "says"},
    {"mean", "means"},
    {"guess", "guesses"},
    {"believe", "believes"},
    {"tend", "tends"},
    {"start", "starts"},
    {"stop", "stops"},
    {"continue", "continues"},
    {"monitor", "monitors"},
    {"follow", "follows"},
    {"cough", "coughs"},
    {"ice", "ices"},
    {"stretch", "stretches"},
    {"lift", "lifts"},
    {"bike", "bikes"},
    {"swim", "swims"},
    {"watch", "watches"},
    {"avoid", "avoids"},
    {"struggle", "struggles"},
    {"deal", "deals"},
    {"seem", "seems"},
    {"hope", "hopes"},
    {"experience", "experiences"},
    {"miss", "misses"},
    {"skip", "skips"},
    {"plan", "plans"},
};

/* Units that let "one" become 1 and that end a duration. */
static const char *const count_units[] = {
    "day",        "days",       "week",        "weeks",   "month",  "months", "year",   "years",
    "hour",       "hours",      "minute",      "minutes", "time",   "times",  "mg",     "milligram",
    "milligrams", "tablet",     "tablets",     "pill",    "pills",  "pound",  "pounds", "cup",
    "cups",       "glass",      "glasses",     "drink",   "drinks", "pack",   "packs",  "inch",
    "inches",     "episode",    "episodes",    "dose",    "doses",  "puff",   "puffs",  "unit",
    "units",      "centimeter", "centimeters", "percent", "mile",   "miles",  "night",  "nights"};
static const struct {
	const char *unit, *singular;
} duration_units[] = {
    {"day", "day"},      {"days", "day"},  {"week", "week"},  {"weeks", "week"}, {"month", "month"},
    {"months", "month"}, {"year", "year"}, {"years", "year"}, {"hour", "hour"},  {"hours", "hour"},
};

static const char *const dose_units[] = {
    "mg",    "milligrams", "milligram", "mcg",     "micrograms", "units",   "unit",
    "grams", "g",          "ml",        "puffs",   "puff",       "tablets", "tablet",
    "pills", "pill",       "mg/kg",     "capsule", "capsules",   "percent", "%"};
static const char *const dose_frequency[] = {"once a day",
                                             "twice a day",
                                             "three times a day",
                                             "four times a day",
                                             "a day",
                                             "per day",
                                             "daily",
                                             "twice daily",
                                             "at night",
                                             "at bedtime",
                                             "in the morning",
                                             "every morning",
                                             "every night",
                                             "as needed",
                                             "bid",
                                             "tid",
                                             "qid",
                                             "weekly",
                                             "once a week",
                                             "prn",
                                             "every day",
                                             "by mouth",
                                             "nightly",
                                             "once daily"};

static const struct {
	const char *cue, *label;
} vital_cues[] = {
    {"blood pressure", "Blood pressure"},
    {"bp", "Blood pressure"},
    {"heart rate", "Heart rate"},
    {"pulse", "Heart rate"},
    {"temperature", "Temperature"},
    {"respiratory rate", "Respiratory rate"},
    {"oxygen saturation", "Oxygen saturation"},
    {"o2 sat", "Oxygen saturation"},
    {"pulse ox", "Oxygen saturation"},
    {"sats", "Oxygen saturation"},
    {"saturation", "Oxygen saturation"},
    {"weight", "Weight"},
    {"bmi", "BMI"},
};

static const char *const cc_openers[] = {
    "presents today for",  "presents for",    "presents with",
    "presenting with",     "here today for",  "here for",
    "in today for",        "coming in for",   "came in for",
    "here to see me for",  "here today with", "seen today for",
    "coming in today for", "in for",          "here today to",
};
static const char *const cc_questions[] = {"what brings you in", "what brings you here",
                                           "what can i do for you", "what's going on",
                                           "what seems to be the problem"};

static const char *const followup_cues[] = {
    "follow up in", "follow-up in", "see you in",  "see you back in",      "come back in",
    "return in",    "back in",      "followup in", "follow up with me in", "recheck in",
};

/* ---- helpers ---- */

#define IN(table, w) in_list(table, ARRAY_LEN(table), w)

static bool in_list(const char *const *list, size_t n, const char *w)
{
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == w[0] && strcmp(list[i], w) == 0)
			return true;
	return false;
}

/* Length in tokens of the first phrase of list matching at i, or 0. */
static size_t match_any(const struct note_toks *ts, size_t i, const char *const *list, size_t n)
{
	size_t best = 0;
	for (size_t k = 0; k < n; k++)
		if (note_toks_match(ts, i, list[k])) {
			size_t words = 1;
			for (const char *p = list[k]; *p; p++)
				words += *p == ' ';
			if (words > best)
				best = words;
		}
	return best;
}

static bool has_any(const struct note_toks *ts, size_t from, const char *const *list, size_t n)
{
	for (size_t i = from; i < ts->n; i++)
		if (match_any(ts, i, list, n))
			return true;
	return false;
}

static bool stem_match(const char *w, const char *stem)
{
	size_t n = strlen(stem);
	if (n && stem[n - 1] == '=')
		return strlen(w) == n - 1 && strncmp(w, stem, n - 1) == 0;
	return strncmp(w, stem, n) == 0;
}

struct amb {
	const struct note_engine *e;
	const struct tmpl_layout *l;
	const struct note_transcript *t;
	struct note_builder *b;
	enum phase phase;
	const char *subj, *poss, *obj, *refl;
	bool have_cc;
	struct note_span cur; /* the piece of transcript being read */
	size_t *answer_skip;  /* per sentence: tokens used up as a yes/no answer */
	bool *answer_used;    /* per sentence: already the answer to a question */
};

static int clinical_score(const struct amb *a, const struct note_toks *ts, size_t from)
{
	int score = 0;
	for (size_t i = from; i < ts->n; i++) {
		const char *w = ts->t[i].w;
		size_t words;
		if (note_tok_is_number(w) || note_is_drug(a->e, ts, i, &words)) {
			score++;
			continue;
		}
		for (size_t k = 0; k < ARRAY_LEN(clinical_words); k++) {
			const char *c = clinical_words[k];
			if (c[0] != w[0])
				continue;
			if (strchr(c, ' ') ? note_toks_match(ts, i, c) : stem_match(w, c)) {
				score++;
				break;
			}
		}
	}
	return score;
}

static size_t word_count(const struct note_toks *ts, size_t from)
{
	size_t n = 0;
	for (size_t i = from; i < ts->n; i++)
		n += !note_tok_is_punct(ts->t[i].w);
	return n;
}

/* ---- cleaning ---- */

static int push_words(struct note_toks *out, const char *phrase)
{
	char buf[128], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", phrase);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (note_toks_push(out, w))
			return DICTUM_NOMEM;
	return DICTUM_OK;
}

/* Number words into digits: "three" -> 3, "twenty five" -> 25. "one" and
 * "zero" only before a unit ("one week"). */
static int convert_numbers(const struct note_toks *in, struct note_toks *out)
{
	for (size_t i = 0; i < in->n; i++) {
		long value;
		size_t n = note_number_run(in, i, &value);
		bool unit = n && i + n < in->n && IN(count_units, in->t[i + n].w);
		if (!n || (value <= 1 && !unit)) {
			if (note_toks_push(out, in->t[i].w))
				return DICTUM_NOMEM;
			continue;
		}
		char digits[24];
		snprintf(digits, sizeof(digits), "%ld", value);
		if (note_toks_push(out, digits))
			return DICTUM_NOMEM;
		i += n - 1;
	}
	return DICTUM_OK;
}

/* Drops fillers, cut-off words and repeats; writes out spoken forms. */
static int clean(const struct note_toks *in, struct note_toks *out)
{
	struct note_toks tmp = {0};
	int result = DICTUM_OK;
	for (size_t i = 0; i < in->n && !result; i++) {
		const char *w = in->t[i].w;
		const char *prev = tmp.n ? tmp.t[tmp.n - 1].w : "";
		if (IN(fillers, w))
			continue;
		/* transcriber marks: <unsure> ... </unsure>, <unin/>, <inaudible_speech/> */
		if (strcmp(w, "<") == 0) {
			size_t k = i + 1;
			while (k < in->n && k < i + 4 && strcmp(in->t[k].w, ">") != 0)
				k++;
			if (k < in->n && strcmp(in->t[k].w, ">") == 0) {
				i = k;
				continue;
			}
		}
		if (note_toks_match(in, i, "you know") &&
		    !(strcmp(prev, "do") == 0 || strcmp(prev, "did") == 0 ||
		      strcmp(prev, "don't") == 0 || strcmp(prev, "if") == 0 ||
		      strcmp(prev, "let") == 0 || strcmp(prev, "to") == 0)) {
			i++;
			continue;
		}
		if (note_toks_match(in, i, "wan na") || note_toks_match(in, i, "gon na") ||
		    note_toks_match(in, i, "got ta")) {
			result = push_words(&tmp, w[0] == 'w'                  ? "want to"
			                          : w[1] == 'o' && w[2] == 'n' ? "going to"
			                                                       : "have to");
			i++;
			continue;
		}
		if (strcmp(w, "yeah") == 0 && tmp.n && strcmp(prev, ",") != 0 &&
		    !note_tok_is_punct(prev))
			continue;
		if (note_toks_match(in, i, "lem me")) {
			result = push_words(&tmp, "let me");
			i++;
			continue;
		}
		if (note_toks_match(in, i, "i mean ,")) {
			i += 2;
			continue;
		}
		if (strcmp(w, "like") == 0 &&
		    (strcmp(prev, ",") == 0 || (i + 1 < in->n && strcmp(in->t[i + 1].w, ",") == 0)))
			continue;
		if (!note_tok_is_punct(w) && !note_tok_is_number(w) && strcmp(w, prev) == 0)
			continue;
		if (strcmp(w, ",") == 0 && strcmp(prev, ",") == 0)
			continue;
		/* "i , i , i" and "the , the": a word repeated across a comma */
		if (!note_tok_is_punct(w) && tmp.n >= 2 && strcmp(prev, ",") == 0 &&
		    strcmp(tmp.t[tmp.n - 2].w, w) == 0) {
			tmp.n--;
			continue;
		}
		bool written = false;
		for (size_t k = 0; k < ARRAY_LEN(spoken_forms) && !written; k++)
			if (strcmp(spoken_forms[k].from, w) == 0) {
				result = push_words(&tmp, spoken_forms[k].to);
				written = true;
			}
		if (!written)
			result = note_toks_push(&tmp, w);
	}
	if (!result)
		result = convert_numbers(&tmp, out);
	note_toks_free(&tmp);
	return result;
}

/* Tokens at the start that open speech but say nothing. */
static size_t skip_openers(const struct note_toks *ts, size_t i)
{
	for (;;) {
		size_t n = match_any(ts, i, openers, ARRAY_LEN(openers));
		if (!n && i + 1 < ts->n && IN(soft_openers, ts->t[i].w) &&
		    note_tok_is_punct(ts->t[i + 1].w))
			n = 1;
		if (!n)
			return i;
		i += n;
	}
}

/* ---- person ---- */

static const char *placeholder(const struct amb *a, const char *w)
{
	if (strcmp(w, "$S") == 0)
		return a->subj;
	if (strcmp(w, "$P") == 0)
		return a->poss;
	if (strcmp(w, "$O") == 0)
		return a->obj;
	if (strcmp(w, "$R") == 0)
		return a->refl;
	return w;
}

static const char *third_person(const char *w)
{
	for (size_t i = 0; i < ARRAY_LEN(verbs); i++)
		if (strcmp(verbs[i].base, w) == 0)
			return verbs[i].third;
	return NULL;
}

static bool verb_like(const char *w)
{
	return third_person(w) || IN(modals, w);
}

/* Rewrites tokens [from, n) into third person; patient: first person,
 * clinician: second person and the clinician's own plans. */
static int rewrite(const struct amb *a, const struct note_toks *in, size_t from, bool clinician,
                   struct note_toks *out)
{
	int result = DICTUM_OK;
	bool conj = false;
	for (size_t i = from; i < in->n && !result;) {
		const char *replace = NULL;
		size_t len = 0;
		size_t nrules = clinician ? ARRAY_LEN(clinician_rules) : ARRAY_LEN(patient_rules);
		for (size_t k = 0; k < nrules && !replace; k++) {
			const char *m =
			    clinician ? clinician_rules[k].match : patient_rules[k].match;
			if (note_toks_match(in, i, m)) {
				replace = clinician ? clinician_rules[k].replace
				                    : patient_rules[k].replace;
				len = 1;
				for (const char *p = m; *p; p++)
					len += *p == ' ';
			}
		}
		if (!replace) {
			const char *w = in->t[i].w;
			const char *third = conj ? third_person(w) : NULL;
			result = note_toks_push(out, third ? third : w);
			conj = false;
			i++;
			continue;
		}
		if (strcmp(replace, "$YOU") == 0) {
			static const char *const joins[] = {"and",  "but",     "so",     "if",
			                                    "when", "because", "that",   "as",
			                                    ",",    "until",   "before", "after"};
			const char *next = i + 1 < in->n ? in->t[i + 1].w : "";
			size_t nl = strlen(next);
			bool subject = verb_like(next) ||
			               (nl > 3 && strcmp(next + nl - 2, "ed") == 0) || i == from ||
			               IN(joins, in->t[i - 1].w);
			if (note_tok_is_punct(next) || !*next)
				subject = false;
			replace = subject ? "$S +V" : "$O";
		}
		char buf[96], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", replace);
		conj = false;
		for (char *w = strtok_r(buf, " ", &save); w && !result;
		     w = strtok_r(NULL, " ", &save)) {
			if (strcmp(w, "+V") == 0)
				conj = true;
			else
				result = push_words(out, placeholder(a, w));
		}
		i += len;
	}
	return result;
}

/* ---- emitting ---- */

static int emit(struct amb *a, const char *kind, char *text, const struct note_span *spans,
                size_t nspans)
{
	static const char *const extracts[] = {"meds", "allergies", "vitals", "followup", "cc"};
	return note_builder_add(a->b, note_route(a->l, kind), text, spans, nspans,
	                        IN(extracts, kind));
}

static char *prefixed(const char *prefix, char *text)
{
	if (!text)
		return NULL;
	size_t n = strlen(prefix) + strlen(text) + 1;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s", prefix, text);
	free(text);
	return out;
}

/* "I've had this cough for three days" -> "Reports a 3-day history of cough." */
static char *duration_history(const struct note_toks *ts, size_t from)
{
	static const char *const starts[] = {"i've had", "i have had", "i've been having",
	                                     "i have been having", "i had"};
	size_t n = match_any(ts, from, starts, ARRAY_LEN(starts));
	if (!n)
		return NULL;
	size_t x = from + n;
	static const char *const dets[] = {"this", "a", "an", "the", "these", "my", "some", "that"};
	while (x < ts->n && IN(dets, ts->t[x].w))
		x++;
	long f = note_toks_find(ts, x, "for");
	if (f <= (long)x || f - (long)x > 6)
		return NULL;
	size_t k = (size_t)f + 1;
	static const char *const approx[] = {"about", "like", "around", "approximately", "almost",
	                                     "over",  "the",  "past",   "last",          "maybe"};
	while (k < ts->n && IN(approx, ts->t[k].w))
		k++;
	if (k + 1 >= ts->n || !note_tok_is_number(ts->t[k].w))
		return NULL;
	const char *unit = NULL;
	for (size_t u = 0; u < ARRAY_LEN(duration_units); u++)
		if (strcmp(duration_units[u].unit, ts->t[k + 1].w) == 0)
			unit = duration_units[u].singular;
	if (!unit)
		return NULL;
	for (size_t i = x; i < (size_t)f; i++)
		if (note_tok_is_punct(ts->t[i].w))
			return NULL;
	struct note_toks out = {0};
	char dur[80];
	snprintf(dur, sizeof(dur), "%s-%s", ts->t[k].w, unit);
	int result = push_words(&out, "reports a");
	if (!result)
		result = note_toks_push(&out, dur);
	if (!result)
		result = push_words(&out, "history of");
	for (size_t i = x; !result && i < (size_t)f; i++)
		result = note_toks_push(&out, ts->t[i].w);
	char *s = result ? NULL : note_toks_sentence(&out, 0, out.n);
	note_toks_free(&out);
	return s;
}

static int sentence_toks(const struct amb *a, size_t si, struct note_toks *clean_out)
{
	const struct note_sent *s = &a->t->sents[si];
	struct note_toks raw = {0};
	int result = note_tokenize(a->t->text + s->start, s->end - s->start, &raw);
	if (!result)
		result = clean(&raw, clean_out);
	note_toks_free(&raw);
	return result;
}

static enum note_speaker speaker_of(const struct amb *a, size_t si, const struct note_toks *ts)
{
	enum note_speaker who = a->t->turns[a->t->sents[si].turn].who;
	if (who != NOTE_SPK_UNKNOWN)
		return who == NOTE_SPK_OTHER ? NOTE_SPK_PATIENT : who;
	if (a->t->sents[si].question)
		return NOTE_SPK_CLINICIAN;
	static const char *const first_person[] = {"i", "i'm", "i've", "my", "me", "i'd", "i was"};
	return has_any(ts, 0, first_person, ARRAY_LEN(first_person)) ? NOTE_SPK_PATIENT
	                                                             : NOTE_SPK_CLINICIAN;
}

/* The first sentence of the turn after si's, if a patient says it. */
static long answer_of(const struct amb *a, size_t si)
{
	size_t turn = a->t->sents[si].turn;
	if (!a->t->tagged) /* untagged: the next sentence answers */
		return si + 1 < a->t->nsents && !a->t->sents[si + 1].question ? (long)si + 1 : -1;
	for (size_t k = si + 1; k < a->t->nsents; k++) {
		if (a->t->sents[k].turn == turn)
			continue;
		enum note_speaker who = a->t->turns[a->t->sents[k].turn].who;
		if (who == NOTE_SPK_CLINICIAN)
			return -1;
		return (long)k;
	}
	return -1;
}

static int answer_kind(const struct note_toks *ts, size_t *skip)
{
	size_t i = 0;
	while (i < ts->n && (strcmp(ts->t[i].w, "okay") == 0 || strcmp(ts->t[i].w, "um") == 0 ||
	                     strcmp(ts->t[i].w, "well") == 0 || strcmp(ts->t[i].w, ",") == 0 ||
	                     strcmp(ts->t[i].w, "oh") == 0))
		i++;
	size_t n;
	if ((n = match_any(ts, i, answer_no, ARRAY_LEN(answer_no)))) {
		*skip = i; /* a "no" stays with what follows it: "no blood" */
		return -1;
	}
	if ((n = match_any(ts, i, answer_yes, ARRAY_LEN(answer_yes)))) {
		*skip = i + (n == 1 && (strcmp(ts->t[i].w, "yes") == 0 ||
		                        strcmp(ts->t[i].w, "yeah") == 0 ||
		                        strcmp(ts->t[i].w, "uh-huh") == 0 ||
		                        strcmp(ts->t[i].w, "mm-hmm") == 0)
		                 ? 1
		                 : 0);
		return 1;
	}
	return 0;
}

/* The subject of a yes/no question: [from, to) of ts; false if none. */
static bool question_subject(const struct note_toks *ts, size_t *from, size_t *to)
{
	size_t i = skip_openers(ts, 0);
	size_t n = match_any(ts, i, question_openers, ARRAY_LEN(question_openers));
	if (!n || (n == 1 && strcmp(ts->t[i].w, "no") == 0))
		return false;
	i += n;
	static const char *const dets[] = {"a", "an", "the", "some", "any"};
	while (i < ts->n && IN(dets, ts->t[i].w))
		i++;
	size_t end = i;
	while (end < ts->n && strcmp(ts->t[end].w, "?") != 0 && strcmp(ts->t[end].w, ".") != 0 &&
	       !match_any(ts, end, subject_tails, ARRAY_LEN(subject_tails)))
		end++;
	while (end > i && note_tok_is_punct(ts->t[end - 1].w))
		end--;
	if (end == i || end - i > 8)
		return false;
	static const char *const persons[] = {"i",    "i'm",  "we", "me", "it",
	                                      "that", "this", "he", "she"};
	for (size_t k = i; k < end; k++)
		if (IN(persons, ts->t[k].w) || IN(subject_stop, ts->t[k].w))
			return false;
	*from = i;
	*to = end;
	return true;
}

static int do_question(struct amb *a, size_t si, const struct note_toks *ts)
{
	long ai = answer_of(a, si);
	if (ai < 0 || a->answer_used[ai])
		return DICTUM_OK;
	struct note_toks ans = {0};
	int result = (int)sentence_toks(a, (size_t)ai, &ans);
	size_t skip = 0;
	int kind = result ? 0 : answer_kind(&ans, &skip);
	/* "what brings you in?" -> the answer is the chief complaint. */
	if (!result && !a->have_cc && a->phase == PHASE_HISTORY &&
	    has_any(ts, 0, cc_questions, ARRAY_LEN(cc_questions))) {
		size_t from = skip_openers(&ans, 0);
		if (word_count(&ans, from) >= 2 && word_count(&ans, from) <= 14 &&
		    clinical_score(a, &ans, from) > 0) {
			struct note_toks out = {0};
			result = rewrite(a, &ans, from, false, &out);
			struct note_span span = {a->t->sents[ai].start, a->t->sents[ai].end};
			if (!result)
				result =
				    emit(a, "cc", note_toks_sentence(&out, 0, out.n), &span, 1);
			a->have_cc = true;
			note_toks_free(&out);
		}
	}
	size_t qf, qt;
	/* Only a plain answer stands for the whole question: "no, but I've had
	 * chills" to "any fever or chills?" is not a denial of both. */
	static const char *const hedges[] = {"but",    "except",    "only",  "just",     "although",
	                                     "though", "sometimes", "maybe", "not sure", "i think"};
	if (kind &&
	    ((kind < 0 && word_count(&ans, 0) > 4) || has_any(&ans, 0, hedges, ARRAY_LEN(hedges))))
		kind = 0;
	if (!result && kind && question_subject(ts, &qf, &qt)) {
		const char *system = NULL, *where = NULL;
		for (size_t k = qf; k < qt && !where; k++)
			for (size_t r = 0; r < ARRAY_LEN(ros_systems) && !where; r++) {
				const char *stem = ros_systems[r].stem;
				if (strchr(stem, ' ') ? note_toks_match(ts, k, stem)
				                      : stem_match(ts->t[k].w, stem)) {
					system = ros_systems[r].system;
					where = ros_systems[r].kind;
				}
			}
		if (where && (kind < 0 || system)) {
			struct note_toks sub = {0}, out = {0};
			for (size_t k = qf; k < qt && !result; k++)
				result = note_toks_push(&sub, ts->t[k].w);
			if (!result)
				result = push_words(&out, kind < 0 ? "denies" : "endorses");
			if (!result)
				result = rewrite(a, &sub, 0, true, &out);
			char *text = result ? NULL : note_toks_sentence(&out, 0, out.n);
			if (system && text) {
				char prefix[64];
				snprintf(prefix, sizeof(prefix), "%s: ", system);
				text = prefixed(prefix, text);
			}
			struct note_span spans[2] = {{a->cur.start, a->cur.end},
			                             {a->t->sents[ai].start, a->t->sents[ai].end}};
			if (!result)
				result = emit(a, where, text, spans, 2);
			else
				free(text);
			note_toks_free(&sub);
			note_toks_free(&out);
		}
		a->answer_used[ai] = true;
		a->answer_skip[ai] = skip;
	}
	note_toks_free(&ans);
	return result;
}

/* ---- extractors that run on every sentence ---- */

static int do_meds(struct amb *a, size_t si, const struct note_toks *ts)
{
	int result = DICTUM_OK;
	for (size_t i = 0; i < ts->n && !result; i++) {
		size_t words = 0;
		if (!note_is_drug(a->e, ts, i, &words))
			continue;
		static const char *const changes[] = {"increase", "decrease",  "start", "switch",
		                                      "change",   "prescribe", "stop",  "reduce"};
		bool change = false;
		for (size_t k = i >= 4 ? i - 4 : 0; k < i; k++)
			change |= IN(changes, ts->t[k].w);
		if (change)
			continue;
		size_t k = i + words, end = 0, numbers = 0;
		for (size_t j = k; j < ts->n && j < k + 5; j++) {
			numbers += note_tok_is_number(ts->t[j].w);
			if (note_tok_is_number(ts->t[j].w) && j + 1 < ts->n &&
			    IN(dose_units, ts->t[j + 1].w)) {
				end = j + 2;
				break;
			}
		}
		/* one dose, clearly said; "300, 20 25 milligrams" is left to the clinician */
		if (!end || numbers != 1)
			continue;
		for (int guard = 0; guard < 3; guard++) {
			size_t n = match_any(ts, end, dose_frequency, ARRAY_LEN(dose_frequency));
			if (!n)
				break;
			end += n;
		}
		struct note_toks out = {0};
		for (size_t j = i; j < end && !result; j++) {
			const char *w = ts->t[j].w;
			if (strcmp(w, "milligrams") == 0 || strcmp(w, "milligram") == 0)
				w = "mg";
			if (!note_tok_is_punct(w) && strcmp(w, "to") != 0 && strcmp(w, "of") != 0)
				result = note_toks_push(&out, w);
		}
		struct note_span span = {a->cur.start, a->cur.end};
		if (!result)
			result = emit(a, "meds", note_toks_sentence(&out, 0, out.n), &span, 1);
		note_toks_free(&out);
		i = end - 1;
	}
	return result;
}

static int do_allergies(struct amb *a, size_t si, const struct note_toks *ts)
{
	static const char *const cues[] = {"allergic to", "allergy to", "allergies to"};
	for (size_t i = 0; i < ts->n; i++) {
		size_t n = match_any(ts, i, cues, ARRAY_LEN(cues));
		if (!n)
			continue;
		size_t end = i + n;
		while (end < ts->n && end < i + n + 6 && !note_tok_is_punct(ts->t[end].w))
			end++;
		if (end == i + n)
			return DICTUM_OK;
		bool negated = false;
		for (size_t k = i >= 3 ? i - 3 : 0; k < i; k++)
			negated |= strcmp(ts->t[k].w, "not") == 0 ||
			           strstr(ts->t[k].w, "n't") != NULL ||
			           strcmp(ts->t[k].w, "no") == 0;
		struct note_toks out = {0};
		int result = push_words(&out, negated ? "denies allergy to" : "allergic to");
		for (size_t k = i + n; k < end && !result; k++)
			result = note_toks_push(&out, ts->t[k].w);
		struct note_span span = {a->cur.start, a->cur.end};
		if (!result)
			result = emit(a, "allergies", note_toks_sentence(&out, 0, out.n), &span, 1);
		note_toks_free(&out);
		return result;
	}
	return DICTUM_OK;
}

static int do_vitals(struct amb *a, size_t si, const struct note_toks *ts)
{
	int result = DICTUM_OK;
	for (size_t i = 0; i < ts->n && !result; i++) {
		const char *label = NULL;
		size_t n = 0;
		for (size_t k = 0; k < ARRAY_LEN(vital_cues) && !label; k++)
			if (note_toks_match(ts, i, vital_cues[k].cue)) {
				label = vital_cues[k].label;
				n = 1;
				for (const char *p = vital_cues[k].cue; *p; p++)
					n += *p == ' ';
			}
		if (!label)
			continue;
		size_t v = i + n;
		while (v < ts->n && v < i + n + 5 && !note_tok_is_number(ts->t[v].w))
			v++;
		if (v >= ts->n || !note_tok_is_number(ts->t[v].w))
			continue;
		char value[96];
		snprintf(value, sizeof(value), "%s", ts->t[v].w);
		size_t end = v + 1;
		if (end + 1 < ts->n && strcmp(ts->t[end].w, "over") == 0 &&
		    note_tok_is_number(ts->t[end + 1].w)) {
			snprintf(value + strlen(value), sizeof(value) - strlen(value), "/%s",
			         ts->t[end + 1].w);
			end += 2;
		} else if (end < ts->n && (strcmp(ts->t[end].w, "%") == 0 ||
		                           strcmp(ts->t[end].w, "percent") == 0)) {
			snprintf(value + strlen(value), sizeof(value) - strlen(value), "%%");
			end++;
		}
		char line[160];
		snprintf(line, sizeof(line), "%s: %s.", label, value);
		struct note_span span = {a->cur.start, a->cur.end};
		result = emit(a, "vitals", strdup(line), &span, 1);
		i = end - 1;
	}
	return result;
}

static int do_followup(struct amb *a, size_t si, const struct note_toks *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		size_t n = match_any(ts, i, followup_cues, ARRAY_LEN(followup_cues));
		if (!n)
			continue;
		size_t end = i + n;
		bool unit = false;
		while (end < ts->n && end < i + n + 5 && !unit) {
			unit = IN(count_units, ts->t[end].w);
			end++;
		}
		if (!unit)
			continue;
		struct note_toks out = {0};
		int result = push_words(&out, "follow up in");
		for (size_t k = i + n; k < end && !result; k++)
			result = note_toks_push(&out, ts->t[k].w);
		struct note_span span = {a->cur.start, a->cur.end};
		if (!result)
			result = emit(a, "followup", note_toks_sentence(&out, 0, out.n), &span, 1);
		note_toks_free(&out);
		return result;
	}
	return DICTUM_OK;
}

static int do_cc(struct amb *a, size_t si, const struct note_toks *ts, bool clinician)
{
	for (size_t i = 0; i < ts->n; i++) {
		size_t n = match_any(ts, i, cc_openers, ARRAY_LEN(cc_openers));
		if (!n)
			continue;
		static const char *const stops[] = {
		    "and", "but",   "she",     "he", "they", "who", "which", "that", "i",  "we",
		    "you", "since", "because", "so", "okay", "is",  "was",   "has",  "had"};
		size_t end = i + n;
		while (end < ts->n && end < i + n + 10 && !note_tok_is_punct(ts->t[end].w) &&
		       !IN(stops, ts->t[end].w))
			end++;
		struct note_toks sub = {0}, out = {0};
		int result = DICTUM_OK;
		for (size_t k = i + n; k < end && !result; k++)
			result = note_toks_push(&sub, ts->t[k].w);
		if (!result && (word_count(&sub, 0) < 1 || clinical_score(a, &sub, 0) < 1)) {
			note_toks_free(&sub);
			continue;
		}
		if (!result)
			result = rewrite(a, &sub, 0, clinician, &out);
		struct note_span span = {a->cur.start, a->cur.end};
		if (!result)
			result = emit(a, "cc", note_toks_sentence(&out, 0, out.n), &span, 1);
		a->have_cc = true;
		note_toks_free(&sub);
		note_toks_free(&out);
		return result;
	}
	return DICTUM_OK;
}

static bool is_result(const struct note_toks *ts)
{
	return has_any(ts, 0, result_nouns, ARRAY_LEN(result_nouns)) &&
	       has_any(ts, 0, result_verbs, ARRAY_LEN(result_verbs));
}

static void pick_pronouns(struct amb *a)
{
	int he = 0, she = 0;
	for (size_t si = 0; si < a->t->nsents; si++) {
		const struct note_sent *s = &a->t->sents[si];
		if (a->t->turns[s->turn].who == NOTE_SPK_PATIENT)
			continue;
		struct note_toks ts = {0};
		if (note_tokenize(a->t->text + s->start, s->end - s->start, &ts) == DICTUM_OK) {
			static const char *const male[] = {
			    "year old male", "year-old male", "-year-old male", "-year-old man",
			    "year old man",  "year-old man",  "gentleman",      "mr"};
			static const char *const female[] = {"-year-old female",
			                                     "-year-old woman",
			                                     "year old female",
			                                     "year-old female",
			                                     "year old woman",
			                                     "year-old woman",
			                                     "lady",
			                                     "mrs",
			                                     "ms",
			                                     "miss"};
			for (size_t i = 0; i < ts.n; i++) {
				he += 3 * (match_any(&ts, i, male, ARRAY_LEN(male)) > 0);
				she += 3 * (match_any(&ts, i, female, ARRAY_LEN(female)) > 0);
				he += strcmp(ts.t[i].w, "he") == 0 || strcmp(ts.t[i].w, "his") == 0;
				she +=
				    strcmp(ts.t[i].w, "she") == 0 || strcmp(ts.t[i].w, "her") == 0;
			}
		}
		note_toks_free(&ts);
	}
	a->subj = "the patient";
	a->poss = "their";
	a->obj = "them";
	a->refl = "themselves";
	if (he >= she + 3) {
		a->subj = "he";
		a->poss = "his";
		a->obj = "him";
		a->refl = "himself";
	} else if (she >= he + 3) {
		a->subj = "she";
		a->poss = "her";
		a->obj = "her";
		a->refl = "herself";
	}
}

/* How a clinician announces what will be done. */
static const char *const plan_openers[] = {
    "i'm going to",
    "i am going to",
    "we're going to",
    "we are going to",
    "i want to",
    "i would like to",
    "i'd like to",
    "let's",
    "i'll",
    "we'll",
    "we will",
    "i will",
    "i want you to",
    "i'd like you to",
    "i need you to",
    "we can",
    "i recommend",
    "we need to",
    "you need to",
    "you should",
    "i think we should",
    "i'm also going to",
    "we're also going to",
    "i also want to",
    "we also need to",
    "continue",
    "start",
};

/* Words of the exam section (data) that the sentence has. */
static bool has_exam_words(const struct amb *a, const struct note_toks *ts, size_t from)
{
	const struct tmpl_section *exam = tmpl_section_find(&a->e->catalog, "exam");
	if (!exam)
		return false;
	for (size_t i = from; i < ts->n; i++)
		for (size_t k = 0; k < exam->words.count; k++)
			if (note_toks_match(ts, i, exam->words.items[k]))
				return true;
	return false;
}

/* "the patient was the patient was just" -> "the patient was just". */
static void collapse_repeats(struct note_toks *ts)
{
	for (size_t n = 4; n >= 1; n--) {
		size_t k = 0;
		for (size_t i = 0; i < ts->n; i++) {
			/* the words just written again, straight after or after a comma */
			for (size_t gap = 0; gap < 2; gap++) {
				bool repeat = k >= n + gap && i + n <= ts->n &&
				              (!gap || strcmp(ts->t[k - 1].w, ",") == 0);
				for (size_t j = 0; j < n && repeat; j++)
					repeat =
					    strcmp(ts->t[k - gap - n + j].w, ts->t[i + j].w) == 0 &&
					    !note_tok_is_number(ts->t[i + j].w) &&
					    !note_tok_is_punct(ts->t[i + j].w);
				if (repeat) {
					k -= gap;
					i += n;
					gap = 0;
				}
			}
			if (i >= ts->n)
				break;
			ts->t[k++] = ts->t[i];
		}
		ts->n = k;
	}
}

/* "On exam, his lungs have ..." -> "Lungs have ...". */
static size_t exam_lead(const struct note_toks *ts, size_t i)
{
	if (i < ts->n && strcmp(ts->t[i].w, "on") == 0)
		for (size_t k = i + 1; k < ts->n && k < i + 5; k++)
			if (strncmp(ts->t[k].w, "exam", 4) == 0) {
				i = k + 1;
				if (i < ts->n && strcmp(ts->t[i].w, ",") == 0)
					i++;
				break;
			}
	static const char *const possessives[] = {"his", "her", "their"};
	if (i + 1 < ts->n && IN(possessives, ts->t[i].w) && !note_tok_is_punct(ts->t[i + 1].w))
		i++;
	/* "I do appreciate a murmur" -> "A murmur" */
	static const char *const observers[] = {
	    "i do appreciate", "i appreciate", "i do hear",         "i hear",     "i do see",
	    "i see",           "i do notice",  "i notice",          "i do feel",  "i can feel",
	    "i feel",          "i can see",    "i also appreciate", "i also see", "i also hear",
	    "i also notice",   "i did notice", "i did appreciate",  "i'm seeing", "i am seeing",
	    "i'm hearing"};
	i += match_any(ts, i, observers, ARRAY_LEN(observers));
	return i;
}

/* A patient's fragment ("a slight cough") becomes "Reports a slight cough". */
static bool fragment(const struct note_toks *ts, size_t i)
{
	static const char *const starts[] = {"a",    "an",  "some", "little", "slight", "lack",
	                                     "mild", "bad", "kind", "sort",   "just"};
	return i < ts->n && IN(starts, ts->t[i].w) &&
	       !(i + 1 < ts->n && note_tok_is_punct(ts->t[i + 1].w));
}

static int do_statement(struct amb *a, size_t si, const struct note_toks *ts, bool clinician,
                        bool question, size_t skip)
{
	size_t from = skip_openers(ts, skip);
	if (word_count(ts, from) < 3 || question)
		return DICTUM_OK;
	const char *kind = NULL;
	int score = clinical_score(a, ts, from);
	bool planning = clinician && a->phase >= PHASE_EXAM && score >= 1 &&
	                match_any(ts, from, plan_openers, ARRAY_LEN(plan_openers)) &&
	                has_any(ts, from, plan_words, ARRAY_LEN(plan_words)) &&
	                !has_any(ts, from, exam_instructions, ARRAY_LEN(exam_instructions));
	if (clinician && is_result(ts)) {
		kind = "results";
	} else if (planning) {
		kind = "ap";
		a->phase = PHASE_PLAN;
	} else if (clinician && a->phase == PHASE_EXAM) {
		static const char *const findings[] = {
		    "murmur",     "murmurs",   "crackles",   "rales",
		    "wheezes",    "wheezing",  "clear",      "tender",
		    "tenderness", "edema",     "erythema",   "lymphadenopathy",
		    "adenopathy", "regular",   "rhythm",     "swelling",
		    "effusion",   "normal",    "intact",     "bruit",
		    "distention", "soft",      "appreciate", "palpation",
		    "pain",       "decreased", "reduced"};
		if (has_any(ts, from, exam_instructions, ARRAY_LEN(exam_instructions)) &&
		    !has_any(ts, from, findings, ARRAY_LEN(findings)))
			kind = NULL;
		else if (has_exam_words(a, ts, from))
			kind = "exam";
		else if (score >= 2)
			kind = "ap";
	} else if (clinician && a->phase == PHASE_PLAN) {
		if (score >= 1 || has_any(ts, from, plan_words, ARRAY_LEN(plan_words)))
			kind = "ap";
	} else if (score >= 1 && (a->phase != PHASE_PLAN || score >= 2)) {
		kind = "hpi";
	}
	if (!kind)
		return DICTUM_OK;
	if (strcmp(kind, "ap") == 0)
		kind = note_route(a->l, "ap") >= 0 && tmpl_layout_index(a->l, "ap") >= 0 ? "ap"
		                                                                         : "plan";
	struct note_span span = {a->cur.start, a->cur.end};
	char *text = clinician ? NULL : duration_history(ts, from);
	if (!text) {
		struct note_toks out = {0};
		int result = rewrite(a, ts, from, clinician, &out);
		if (result) {
			note_toks_free(&out);
			return result;
		}
		collapse_repeats(&out);
		size_t start = skip_openers(&out, 0);
		if (strcmp(kind, "exam") == 0)
			start = exam_lead(&out, start);
		text = note_toks_sentence(&out, start, out.n);
		if (text && !clinician && fragment(&out, start)) {
			text[0] = (char)tolower((unsigned char)text[0]);
			text = prefixed("Reports ", text);
		}
		note_toks_free(&out);
	}
	return emit(a, kind, text, &span, 1);
}

static const char *const splits[] = {"okay", "alright", "all right", "so", "now", "and then"};

/* Where the next piece of a run-on starts: before a word of splits that
 * follows a word (not punctuation), at least four words in; else end. */
static size_t next_cut(const char *x, size_t start, size_t end)
{
	size_t words = 0;
	for (size_t i = start; i < end; i++) {
		bool word_start = isalnum((unsigned char)x[i]) &&
		                  (i == start || !isalnum((unsigned char)x[i - 1])) &&
		                  (i == start || x[i - 1] != '\'');
		if (!word_start)
			continue;
		words++;
		if (words <= 4)
			continue;
		size_t p = i;
		while (p > start && x[p - 1] == ' ')
			p--;
		if (p == i || !isalnum((unsigned char)x[p - 1]))
			continue;
		for (size_t k = 0; k < ARRAY_LEN(splits); k++) {
			size_t n = strlen(splits[k]);
			if (i + n <= end && strncasecmp(x + i, splits[k], n) == 0 &&
			    (i + n == end || !isalnum((unsigned char)x[i + n])))
				return i;
		}
	}
	return end;
}

/* "how long has it been" or "do you take anything for it" without a '?';
 * a question inside a run-on piece counts too. */
static bool looks_question(const struct note_toks *ts)
{
	static const char *const inside[] = {
	    "how are you",   "how is it",    "how are your",  "are you having", "do you have",
	    "did you have",  "have you had", "have you been", "is it any",      "tell me more",
	    "tell me about", "can you tell", "what about",    "how about",      "how's it"};
	if (has_any(ts, 0, inside, ARRAY_LEN(inside)))
		return true;
	static const char *const wh[] = {"what", "how", "when", "where", "why", "which", "who"};
	static const char *const aux[] = {"do",  "does",  "did",   "are",  "is",   "have", "has",
	                                  "can", "could", "would", "will", "were", "was",  "any"};
	static const char *const subjects[] = {"you",  "your", "it",       "there",
	                                       "they", "that", "anything", "any"};
	size_t i = skip_openers(ts, 0);
	if (i >= ts->n)
		return false;
	if (IN(wh, ts->t[i].w))
		return true;
	return IN(aux, ts->t[i].w) && i + 1 < ts->n && IN(subjects, ts->t[i + 1].w);
}

static int do_piece(struct amb *a, size_t si, const struct note_toks *ts, bool clinician,
                    bool question, size_t skip, bool answerable)
{
	int result = DICTUM_OK;
	if (clinician)
		for (size_t k = 0; k < ARRAY_LEN(phase_cues); k++)
			if (phase_cues[k].phase > a->phase && !question &&
			    has_any(ts, 0, &phase_cues[k].cue, 1))
				a->phase = phase_cues[k].phase;
	if (clinician && question)
		return answerable ? do_question(a, si, ts) : DICTUM_OK;
	if (has_any(ts, 0, small_talk, ARRAY_LEN(small_talk)))
		return DICTUM_OK;
	result = do_meds(a, si, ts);
	if (!result)
		result = do_allergies(a, si, ts);
	if (!result && clinician)
		result = do_vitals(a, si, ts);
	if (!result && clinician)
		result = do_followup(a, si, ts);
	if (!result && !a->have_cc && a->phase == PHASE_HISTORY)
		result = do_cc(a, si, ts, clinician);
	if (!result)
		result = do_statement(a, si, ts, clinician, question, skip);
	return result;
}

int note_ambient(const struct note_engine *e, const struct tmpl_layout *l,
                 const struct note_transcript *t, struct note_builder *b)
{
	struct amb a = {.e = e, .l = l, .t = t, .b = b};
	int result = DICTUM_OK;
	a.answer_skip = calloc(t->nsents + 1, sizeof(*a.answer_skip));
	a.answer_used = calloc(t->nsents + 1, sizeof(*a.answer_used));
	if (!a.answer_skip || !a.answer_used) {
		result = DICTUM_NOMEM;
		goto out;
	}
	pick_pronouns(&a);
	for (size_t si = 0; si < t->nsents && !result; si++) {
		struct note_toks ts = {0};
		result = sentence_toks(&a, si, &ts);
		bool clinician = !result && ts.n && speaker_of(&a, si, &ts) == NOTE_SPK_CLINICIAN;
		bool last_of_turn =
		    si + 1 == t->nsents || t->sents[si + 1].turn != t->sents[si].turn;
		bool long_run = word_count(&ts, 0) > 30;
		note_toks_free(&ts);
		/* A long run-on (speech without punctuation) is read in pieces split
		 * where the speaker moves on ("okay", "so", "alright"); each piece
		 * keeps its own span. */
		size_t start = t->sents[si].start, end = t->sents[si].end;
		while (!result && start < end) {
			size_t cut = long_run ? next_cut(t->text, start, end) : end;
			struct note_toks piece = {0};
			result = note_tokenize(t->text + start, cut - start, &ts);
			if (!result)
				result = clean(&ts, &piece);
			note_toks_free(&ts);
			if (!result && piece.n) {
				a.cur = (struct note_span){start, cut};
				while (a.cur.end > a.cur.start &&
				       isspace((unsigned char)t->text[a.cur.end - 1]))
					a.cur.end--;
				bool question =
				    (cut == end && t->sents[si].question) || looks_question(&piece);
				result =
				    do_piece(&a, si, &piece, clinician, question,
				             start == t->sents[si].start ? a.answer_skip[si] : 0,
				             cut == end && (last_of_turn || !t->tagged));
			}
			note_toks_free(&piece);
			start = cut;
		}
	}
out:
	free(a.answer_skip);
	free(a.answer_used);
	return result;
}
