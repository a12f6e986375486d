#include "coding/icd_internal.h"
#include "core/lib.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *em_level_name(enum em_level l)
{
	static const char *const names[] = {"minimal", "straightforward", "low", "moderate",
	                                    "high"};
	return (unsigned)l < 5 ? names[l] : "unknown";
}

const char *em_setting_name(enum em_setting s)
{
	static const char *const names[] = {"auto",
	                                    "office",
	                                    "emergency department",
	                                    "inpatient initial",
	                                    "inpatient subsequent",
	                                    "discharge"};
	return (unsigned)s < 6 ? names[s] : "unknown";
}

/* Codes by MDM level (index: enum em_level) and by total time (minutes
 * that must be met or exceeded, AMA 2021/2023 descriptors). */
static const struct em_table {
	enum em_setting setting;
	enum em_patient patient;
	const char *by_mdm[5];
	struct {
		int minutes;
		const char *code;
	} by_time[5];
} em_tables[] = {
    {EM_OFFICE,
     EM_PATIENT_NEW,
     {"99202", "99202", "99203", "99204", "99205"},
     {{15, "99202"}, {30, "99203"}, {45, "99204"}, {60, "99205"}, {0, NULL}}},
    {EM_OFFICE,
     EM_PATIENT_ESTABLISHED,
     {"99211", "99212", "99213", "99214", "99215"},
     {{10, "99212"}, {20, "99213"}, {30, "99214"}, {40, "99215"}, {0, NULL}}},
    {EM_ED, EM_PATIENT_AUTO, {"99281", "99282", "99283", "99284", "99285"}, {{0, NULL}}},
    {EM_INPATIENT_INITIAL,
     EM_PATIENT_AUTO,
     {"99221", "99221", "99221", "99222", "99223"},
     {{40, "99221"}, {55, "99222"}, {75, "99223"}, {0, NULL}}},
    {EM_INPATIENT_SUBSEQUENT,
     EM_PATIENT_AUTO,
     {"99231", "99231", "99231", "99232", "99233"},
     {{25, "99231"}, {35, "99232"}, {50, "99233"}, {0, NULL}}},
    {EM_DISCHARGE,
     EM_PATIENT_AUTO,
     {"99238", "99238", "99238", "99238", "99238"},
     {{1, "99238"}, {31, "99239"}, {0, NULL}}},
};

/* What each element needs at each level (AMA 2021 MDM table). */
static const char *const needs_problems[5] = {
    "", "1 self-limited or minor problem",
    "2+ minor problems, 1 stable chronic illness, or 1 acute uncomplicated illness or injury",
    "1+ chronic illness with exacerbation/progression/side effects of treatment, 2+ stable chronic "
    "illnesses, 1 undiagnosed new problem with uncertain prognosis, or 1 acute illness with "
    "systemic symptoms",
    "1+ chronic illness with severe exacerbation, or 1 acute or chronic illness or injury that "
    "poses a threat to life or bodily function"};
static const char *const needs_data[5] = {
    "", "minimal or no data",
    "2 of: each unique test ordered or reviewed, each external note reviewed; or an independent "
    "historian",
    "1 of 3 categories: 3 of tests/notes/historian; independent interpretation of a test; "
    "discussion of management with an external physician",
    "2 of the 3 moderate-level categories"};
static const char *const needs_risk[5] = {
    "", "minimal risk of morbidity from further testing or treatment",
    "low risk (e.g. over-the-counter drugs, minor surgery without risk factors)",
    "moderate risk (e.g. prescription drug management, decision about minor surgery with risk "
    "factors, diagnosis or treatment limited by social determinants of health)",
    "high risk (e.g. decision regarding hospitalization, drug therapy requiring intensive "
    "monitoring for toxicity, emergency major surgery, DNR/de-escalation)"};

/* Cue tables: words in the note that document an element. */
static const char *const exacerbation_cues[] = {
    "worsening",         "worse",          "exacerbation", "uncontrolled",
    "poorly controlled", "not controlled", "not at goal",  "progressing",
    "progression",       "flare",          "side effect",  "not well controlled",
    "elevated",          "suboptimal"};
static const char *const severe_cues[] = {"severe exacerbation", "decompensated",
                                          "acute on chronic",    "life threatening",
                                          "life-threatening",    "critical"};
static const char *const systemic_cues[] = {"fever",   "febrile",    "chills", "rigors",
                                            "myalgia", "body aches", "malaise"};
static const char *const undiagnosed_cues[] = {
    "uncertain prognosis", "rule out",         "concern for",    "workup",      "work-up",
    "differential",        "unclear etiology", "suspicious for", "evaluate for"};
static const char *const minor_prefixes[] = {"J00", "J069", "H612", "T63", "W57",   "L239",
                                             "B07", "L600", "R21",  "Z23", "H1013", "S00",
                                             "S60", "S80",  "S90",  "T148"};
static const struct {
	const char *cue;
	const char *test;
} tests[] = {
    {"cbc", "CBC"},
    {"complete blood count", "CBC"},
    {"bmp", "BMP"},
    {"basic metabolic", "BMP"},
    {"cmp", "CMP"},
    {"comprehensive metabolic", "CMP"},
    {"a1c", "HbA1c"},
    {"hemoglobin a1c", "HbA1c"},
    {"lipid panel", "lipid panel"},
    {"tsh", "TSH"},
    {"urinalysis", "urinalysis"},
    {" ua ", "urinalysis"},
    {"urine culture", "urine culture"},
    {"blood culture", "blood cultures"},
    {"troponin", "troponin"},
    {"bnp", "BNP"},
    {"d-dimer", "D-dimer"},
    {"lactate", "lactate"},
    {"inr", "PT/INR"},
    {"lfts", "liver tests"},
    {"liver function", "liver tests"},
    {"lipase", "lipase"},
    {"chest x-ray", "chest X-ray"},
    {"chest xray", "chest X-ray"},
    {"cxr", "chest X-ray"},
    {"x-ray", "X-ray"},
    {"xray", "X-ray"},
    {"ct ", "CT"},
    {"cat scan", "CT"},
    {"mri", "MRI"},
    {"ultrasound", "ultrasound"},
    {"echocardiogram", "echocardiogram"},
    {"echo ", "echocardiogram"},
    {"ekg", "ECG"},
    {"ecg", "ECG"},
    {"electrocardiogram", "ECG"},
    {"stress test", "stress test"},
    {"pft", "PFTs"},
    {"spirometry", "spirometry"},
    {"psa", "PSA"},
    {"vitamin d", "vitamin D"},
    {"b12", "B12"},
    {"ferritin", "ferritin"},
    {"iron studies", "iron studies"},
    {"magnesium", "magnesium"},
    {"rapid strep", "rapid strep"},
    {"strep test", "rapid strep"},
    {"flu test", "influenza test"},
    {"covid test", "COVID test"},
    {"drug screen", "drug screen"},
    {"pregnancy test", "pregnancy test"},
    {"hcg", "pregnancy test"},
    {"esr", "ESR"},
    {"crp", "CRP"},
    {"blood gas", "blood gas"},
    {"abg", "blood gas"},
    {"urine drug", "drug screen"},
    {"holter", "Holter"},
    {"eeg", "EEG"},
};
static const char *const external_cues[] = {
    "outside records",     "external records", "records from",
    "reviewed notes from", "prior records",    "records were reviewed",
    "notes from her",      "notes from his",   "discharge summary from"};
static const char *const historian_cues[] = {"independent historian",
                                             "history obtained from",
                                             "history provided by",
                                             "per his wife",
                                             "per her husband",
                                             "per mother",
                                             "per his mother",
                                             "per her mother",
                                             "per father",
                                             "per caregiver",
                                             "per ems",
                                             "collateral",
                                             "per family",
                                             "per daughter",
                                             "per son"};
static const char *const interpretation_cues[] = {
    "personally reviewed",       "my interpretation", "i interpreted",
    "independently interpreted", "my read",           "personally viewed",
    "my independent review",     "interpreted by me"};
static const char *const discussion_cues[] = {
    "discussed with dr",         "spoke with dr",
    "discussed with cardiology", "discussed with the consultant",
    "discussed with surgery",    "discussed with radiology",
    "discussed with nephrology", "discussed with oncology",
    "discussed with gi",         "discussed with neurology",
    "discussed with psychiatry", "discussed case with",
    "discussed management with", "discussed with the hospitalist",
    "discussed with pharmacy"};
static const struct {
	const char *cue;
	enum em_level level;
	const char *why;
} risk_cues[] = {
    {"admit", EM_HIGH, "decision regarding hospitalization"},
    {"hospitalization", EM_HIGH, "decision regarding hospitalization"},
    {"escalation of care", EM_HIGH, "decision regarding escalation of hospital care"},
    {"transfer to icu", EM_HIGH, "decision regarding escalation of hospital care"},
    {"icu admission", EM_HIGH, "decision regarding escalation of hospital care"},
    {"emergency surgery", EM_HIGH, "decision regarding emergency major surgery"},
    {"dnr", EM_HIGH, "decision regarding DNR or de-escalation of care"},
    {"comfort care", EM_HIGH, "decision regarding de-escalation of care"},
    {"hospice", EM_HIGH, "decision regarding de-escalation of care"},
    {"intensive monitoring for toxicity", EM_HIGH,
     "drug therapy requiring intensive monitoring for toxicity"},
    {"heparin drip", EM_HIGH, "drug therapy requiring intensive monitoring for toxicity"},
    {"insulin drip", EM_HIGH, "drug therapy requiring intensive monitoring for toxicity"},
    {"lithium level", EM_HIGH, "drug therapy requiring intensive monitoring for toxicity"},
    {"iv morphine", EM_HIGH, "parenteral controlled substances"},
    {"iv hydromorphone", EM_HIGH, "parenteral controlled substances"},
    {"iv dilaudid", EM_HIGH, "parenteral controlled substances"},
    {"iv fentanyl", EM_HIGH, "parenteral controlled substances"},
    {"prescri", EM_MODERATE, "prescription drug management"},
    {"refill", EM_MODERATE, "prescription drug management"},
    {"increase the dose", EM_MODERATE, "prescription drug management"},
    {"increase dose", EM_MODERATE, "prescription drug management"},
    {"decrease dose", EM_MODERATE, "prescription drug management"},
    {"titrate", EM_MODERATE, "prescription drug management"},
    {"continue current medications", EM_MODERATE, "prescription drug management"},
    {"continue medications", EM_MODERATE, "prescription drug management"},
    {"mg ", EM_MODERATE, "prescription drug management"},
    {"mg.", EM_MODERATE, "prescription drug management"},
    {"mg,", EM_MODERATE, "prescription drug management"},
    {"elective surgery", EM_MODERATE, "decision regarding elective major surgery"},
    {"social determinants", EM_MODERATE,
     "diagnosis or treatment limited by social determinants of health"},
    {"cannot afford", EM_MODERATE,
     "diagnosis or treatment limited by social determinants of health"},
    {"over the counter", EM_LOW, "over-the-counter drugs"},
    {"over-the-counter", EM_LOW, "over-the-counter drugs"},
    {"otc", EM_LOW, "over-the-counter drugs"},
    {"acetaminophen", EM_LOW, "over-the-counter drugs"},
    {"tylenol", EM_LOW, "over-the-counter drugs"},
    {"ibuprofen", EM_LOW, "over-the-counter drugs"},
    {"supportive care", EM_LOW, "supportive care"},
    {"physical therapy", EM_LOW, "physical therapy"},
    {"rest, ice", EM_LOW, "rest, ice, compression, elevation"},
    {"splint", EM_LOW, "minor treatment (splint)"},
    {"fluids", EM_LOW, "hydration"},
};

/* Whether cue occurs in low starting at a word boundary. */
static bool has_cue(const char *low, const char *cue)
{
	for (const char *at = strstr(low, cue); at; at = strstr(at + 1, cue))
		if (at == low || !isalnum((unsigned char)at[-1]) || !isalnum((unsigned char)cue[0]))
			return true;
	return false;
}

static bool any_cue(const char *low, const char *const *cues, size_t n, const char **which)
{
	for (size_t i = 0; i < n; i++)
		if (has_cue(low, cues[i])) {
			if (which)
				*which = cues[i];
			return true;
		}
	return false;
}

#define N(a) (sizeof(a) / sizeof(*(a)))

__attribute__((format(printf, 2, 3))) static void reason(struct em_element *e, const char *fmt, ...)
{
	if (e->nreasons >= EM_MAX_REASONS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->reasons[e->nreasons++], sizeof(e->reasons[0]), fmt, ap);
	va_end(ap);
}

/* The sentence of text around [start, end), lower case; "" for a code
 * without a span in text (one the clinician added from the table). */
static void sentence_around(const char *text, int start, int end, char *out, size_t size)
{
	int a = start, b = end;
	if (start < 0 || end < start || (size_t)end > strlen(text)) {
		out[0] = '\0';
		return;
	}
	while (a > 0 && !strchr(".\n;", text[a - 1]))
		a--;
	while (text[b] && !strchr(".\n;", text[b]))
		b++;
	size_t k = 0;
	for (int i = a; i < b && k < size - 1; i++)
		out[k++] = (char)tolower((unsigned char)text[i]);
	out[k] = '\0';
}

static bool prefix_minor(const char *code)
{
	for (size_t i = 0; i < N(minor_prefixes); i++)
		if (strncmp(code, minor_prefixes[i], strlen(minor_prefixes[i])) == 0)
			return true;
	return false;
}

static void eval_problems(const char *text, const char *low, const struct icd_result *icd,
                          struct em_element *e)
{
	int minor = 0, acute = 0, chronic_stable = 0, chronic_worse = 0, severe = 0, threat = 0,
	    systemic = 0, undiagnosed = 0;
	bool systemic_note = any_cue(low, systemic_cues, N(systemic_cues), NULL);
	bool undiagnosed_note = any_cue(low, undiagnosed_cues, N(undiagnosed_cues), NULL);
	for (size_t i = 0; icd && i < icd->ncodes; i++) {
		const struct icd_suggestion *s = &icd->codes[i];
		char code[10];
		size_t k = 0;
		for (const char *p = s->code; *p; p++)
			if (*p != '.')
				code[k++] = *p;
		code[k] = '\0';
		if (code[0] == 'Z' || code[0] == 'V' || code[0] == 'W' || code[0] == 'X' ||
		    code[0] == 'Y')
			continue;
		char sent[600];
		sentence_around(text, s->span_start, s->span_end, sent, sizeof(sent));
		const char *cue = NULL;
		if (icd_code_threatens(code)) {
			threat++;
			reason(e,
			       "%s (%s): acute or chronic illness that poses a threat to life or "
			       "bodily function",
			       s->code, s->evidence);
		} else if (icd_code_is_chronic(code)) {
			if (any_cue(sent, severe_cues, N(severe_cues), &cue)) {
				severe++;
				reason(e, "%s: chronic illness with severe exacerbation (\"%s\")",
				       s->code, cue);
			} else if (any_cue(sent, exacerbation_cues, N(exacerbation_cues), &cue)) {
				chronic_worse++;
				reason(
				    e,
				    "%s: chronic illness with exacerbation or progression (\"%s\")",
				    s->code, cue);
			} else {
				chronic_stable++;
				reason(e, "%s (%s): stable chronic illness", s->code, s->evidence);
			}
		} else if (prefix_minor(code)) {
			minor++;
			reason(e, "%s (%s): self-limited or minor problem", s->code, s->evidence);
		} else if (code[0] == 'R' && undiagnosed_note) {
			undiagnosed++;
			reason(e, "%s (%s): undiagnosed new problem with uncertain prognosis",
			       s->code, s->evidence);
		} else if (systemic_note && code[0] != 'R') {
			systemic++;
			reason(e, "%s (%s): acute illness with systemic symptoms", s->code,
			       s->evidence);
		} else {
			acute++;
			reason(e, "%s (%s): acute uncomplicated illness or injury", s->code,
			       s->evidence);
		}
	}
	if (threat || severe)
		e->level = EM_HIGH;
	else if (chronic_worse || chronic_stable >= 2 || undiagnosed || systemic)
		e->level = EM_MODERATE;
	else if (minor >= 2 || chronic_stable == 1 || acute)
		e->level = EM_LOW;
	else if (minor == 1)
		e->level = EM_STRAIGHTFORWARD;
	else
		e->level = EM_NONE;
}

static void eval_data(const char *low, struct em_element *e)
{
	const char *seen[N(tests)];
	size_t nseen = 0;
	for (size_t i = 0; i < N(tests); i++) {
		if (!has_cue(low, tests[i].cue))
			continue;
		bool dup = false;
		for (size_t k = 0; k < nseen; k++)
			dup |= strcmp(seen[k], tests[i].test) == 0;
		if (dup)
			continue;
		seen[nseen++] = tests[i].test;
		reason(e, "unique test ordered or reviewed: %s%s", tests[i].test, "");
	}
	const char *cue = NULL;
	int notes = any_cue(low, external_cues, N(external_cues), &cue) ? 1 : 0;
	if (notes)
		reason(e, "external notes reviewed (\"%s\")%s", cue, "");
	bool historian = any_cue(low, historian_cues, N(historian_cues), &cue);
	if (historian)
		reason(e, "assessment requiring an independent historian (\"%s\")%s", cue, "");
	bool interp = any_cue(low, interpretation_cues, N(interpretation_cues), &cue);
	if (interp)
		reason(e, "independent interpretation of a test (\"%s\")%s", cue, "");
	bool discuss = any_cue(low, discussion_cues, N(discussion_cues), &cue);
	if (discuss)
		reason(e, "discussion of management with an external physician (\"%s\")%s", cue,
		       "");
	int cat1 = (int)nseen + notes + (historian ? 1 : 0);
	int categories = (cat1 >= 3) + interp + discuss;
	if (categories >= 2)
		e->level = EM_HIGH;
	else if (categories == 1)
		e->level = EM_MODERATE;
	else if ((int)nseen + notes >= 2 || historian)
		e->level = EM_LOW;
	else
		e->level = EM_STRAIGHTFORWARD;
}

static void eval_risk(const char *low, struct em_element *e)
{
	e->level = EM_STRAIGHTFORWARD;
	const char *why = NULL;
	for (size_t i = 0; i < N(risk_cues); i++) {
		if (!has_cue(low, risk_cues[i].cue))
			continue;
		/* "no admission needed" is not a decision to admit. */
		const char *at = strstr(low, risk_cues[i].cue);
		if (risk_cues[i].level == EM_HIGH && at - low >= 3 &&
		    (strncmp(at - 3, "no ", 3) == 0 ||
		     (at - low >= 4 && strncmp(at - 4, "not ", 4) == 0)))
			continue;
		if (risk_cues[i].level > e->level) {
			e->level = risk_cues[i].level;
			why = risk_cues[i].why;
		}
	}
	if (why)
		reason(e, "%s%s", why, "");
	else
		reason(e, "no treatment risk documented beyond minimal%s%s", "", "");
}

/* Total time: "total time 45 minutes", "spent 40 min", "time: 30 minutes". */
static int find_minutes(const char *low)
{
	static const char *const cues[] = {
	    "total time", "spent", "time spent", "time:", "minutes were spent", "minutes spent"};
	for (size_t i = 0; i < N(cues); i++) {
		const char *at = strstr(low, cues[i]);
		if (!at)
			continue;
		/* A number within 60 characters on either side followed by min. */
		const char *lo = at - low > 60 ? at - 60 : low;
		for (const char *p = lo; *p && p < at + 80; p++) {
			if (!isdigit((unsigned char)*p) ||
			    (p > low && isdigit((unsigned char)p[-1])))
				continue;
			char *end;
			long v = strtol(p, &end, 10);
			while (*end == ' ' || *end == '-')
				end++;
			if (strncmp(end, "min", 3) == 0 && v > 0 && v < 1000)
				return (int)v;
		}
	}
	return -1;
}

static enum em_setting detect_setting(const char *low)
{
	static const struct {
		const char *cue;
		enum em_setting setting;
	} cues[] = {
	    {"discharge summary", EM_DISCHARGE},
	    {"day of discharge", EM_DISCHARGE},
	    {"discharge day", EM_DISCHARGE},
	    {"emergency department", EM_ED},
	    {"emergency room", EM_ED},
	    {"ed course", EM_ED},
	    {"ed visit", EM_ED},
	    {"admission h&p", EM_INPATIENT_INITIAL},
	    {"admission history and physical", EM_INPATIENT_INITIAL},
	    {"admitting diagnosis", EM_INPATIENT_INITIAL},
	    {"hospital day", EM_INPATIENT_SUBSEQUENT},
	    {"inpatient progress", EM_INPATIENT_SUBSEQUENT},
	    {"hd#", EM_INPATIENT_SUBSEQUENT},
	};
	for (size_t i = 0; i < N(cues); i++)
		if (strstr(low, cues[i].cue))
			return cues[i].setting;
	return EM_OFFICE;
}

static const struct em_table *table_for(enum em_setting s, enum em_patient p)
{
	for (size_t i = 0; i < N(em_tables); i++)
		if (em_tables[i].setting == s &&
		    (em_tables[i].patient == EM_PATIENT_AUTO || em_tables[i].patient == p))
			return &em_tables[i];
	return &em_tables[1];
}

static enum em_level middle_of_three(enum em_level a, enum em_level b, enum em_level c)
{
	/* Two of three must meet or exceed: the second highest. */
	enum em_level v[3] = {a, b, c};
	for (int i = 0; i < 2; i++)
		for (int j = i + 1; j < 3; j++)
			if (v[j] > v[i]) {
				enum em_level t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	return v[1];
}

__attribute__((format(printf, 2, 3))) static void add_need(struct em_result *r, const char *fmt,
                                                           ...)
{
	if (r->nneeds >= sizeof(r->needs) / sizeof(r->needs[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->needs[r->nneeds++], sizeof(r->needs[0]), fmt, ap);
	va_end(ap);
}

int em_evaluate(const char *text, const struct icd_result *icd, enum em_setting setting,
                enum em_patient patient, struct em_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = strlen(text);
	char *low = malloc(n + 3);
	if (!low)
		return DICTUM_NOMEM;
	low[0] = ' ';
	for (size_t i = 0; i < n; i++)
		low[i + 1] = (char)tolower((unsigned char)text[i]);
	low[n + 1] = ' ';
	low[n + 2] = '\0';
	out->setting = setting == EM_AUTO ? detect_setting(low) : setting;
	out->patient = patient != EM_PATIENT_AUTO   ? patient
	               : strstr(low, "new patient") ? EM_PATIENT_NEW
	                                            : EM_PATIENT_ESTABLISHED;
	eval_problems(text, low, icd, &out->problems);
	eval_data(low, &out->data);
	eval_risk(low, &out->risk);
	/* No problem addressed: no MDM (99211 / 99281 territory). */
	out->mdm = out->problems.level == EM_NONE
	               ? EM_NONE
	               : middle_of_three(out->problems.level, out->data.level, out->risk.level);
	out->minutes = find_minutes(low);
	const struct em_table *t = table_for(out->setting, out->patient);
	int mdm_rank = (int)out->mdm, time_rank = -1;
	if (out->setting != EM_DISCHARGE)
		str_copy(out->mdm_code, t->by_mdm[out->mdm], sizeof(out->mdm_code));
	for (int i = 0; out->minutes > 0 && i < 5 && t->by_time[i].code; i++)
		if (out->minutes >= t->by_time[i].minutes) {
			str_copy(out->time_code, t->by_time[i].code, sizeof(out->time_code));
			time_rank = i;
		}
	if (out->setting == EM_DISCHARGE && !*out->time_code)
		str_copy(out->time_code, "99238", sizeof(out->time_code));
	/* Bill the better of the two; codes within a family sort as strings. */
	str_copy(out->code, *out->mdm_code ? out->mdm_code : out->time_code, sizeof(out->code));
	if (*out->time_code && strcmp(out->time_code, out->code) > 0)
		str_copy(out->code, out->time_code, sizeof(out->code));
	(void)time_rank;
	/* The next level: the next MDM level's code above the billed one. */
	for (int l = mdm_rank + 1; l <= EM_HIGH && out->setting != EM_DISCHARGE; l++) {
		if (strcmp(t->by_mdm[l], out->code) <= 0)
			continue;
		str_copy(out->next_code, t->by_mdm[l], sizeof(out->next_code));
		const struct em_element *els[3] = {&out->problems, &out->data, &out->risk};
		static const char *const names[3] = {"problems", "data", "risk"};
		const char *const *needs[3] = {needs_problems, needs_data, needs_risk};
		int short_of = 0;
		for (int k = 0; k < 3; k++)
			short_of += els[k]->level < (enum em_level)l;
		/* Two of three at level l: list the elements below it. */
		for (int k = 0; k < 3 && short_of > 0; k++)
			if (els[k]->level < (enum em_level)l)
				add_need(out, "%s: %s", names[k], needs[k][l]);
		break;
	}
	for (int i = 0; t->by_time[i].code && i < 5; i++)
		if (*out->next_code && strcmp(t->by_time[i].code, out->next_code) == 0) {
			char mins[16];
			snprintf(mins, sizeof(mins), "%d", t->by_time[i].minutes);
			add_need(
			    out,
			    "or total time on the date of the encounter of at least %s minutes%s",
			    mins, "");
		}
	if (out->setting == EM_DISCHARGE && strcmp(out->code, "99238") == 0) {
		str_copy(out->next_code, "99239", sizeof(out->next_code));
		add_need(out, "discharge day management of more than 30 minutes, documented%s%s",
		         "", "");
	}
	free(low);
	return DICTUM_OK;
}
