#ifndef DICTUM_CODING_CODING_H
#define DICTUM_CODING_CODING_H

/* The coding engine: ICD-10-CM suggestions with evidence, E/M level, HCC
 * and CPT, all offline. The code table lives in the store (offline/);
 * coding_open() loads Dictum's curated table into an empty store and
 * builds the in-memory matcher from whatever the store holds (curated
 * codes, or the official table after `dictum icd10 import`).
 *
 * Every function returns a DICTUM_* status (core/error.h); err buffers get
 * one line. Nothing here logs patient text. */

#include "offline/store.h"

#include <stdbool.h>
#include <stddef.h>

struct json_object;
struct coding;

/* Where the shipped tables live: $DICTUM_CODING_DATA, else the install
 * prefix's share/dictum if it holds icd10/curated.tsv, else the source
 * tree's data/. Never NULL; static storage. */
const char *coding_data_dir(void);

/* Loads data/icd10/curated.tsv and data/hcc/v28.tsv into the store when
 * their version there differs (what coding_open does first), without
 * building the matcher: enough for store_icd10_search. */
int coding_load_tables(store *s, char *err, size_t errlen);
/* Opens the engine on an open store: loads data/icd10/curated.tsv and
 * data/hcc/v28.tsv into the store when their version there differs, then
 * builds the matcher. *out must be closed with coding_close(). */
int coding_open(store *s, struct coding **out, char *err, size_t errlen);
void coding_close(struct coding **c);
/* Codes in the matcher and phrases it knows. */
size_t coding_code_count(const struct coding *c);
size_t coding_phrase_count(const struct coding *c);

/* ---- ICD-10-CM ---- */

/* Parses an ICD-10-CM codes file (CMS/NCHS "codes" format: code, spaces,
 * description; plain or gzip) into rows for store_icd10_import().
 * DICTUM_INVAL with a message when it is not such a file. */
struct icd10_row;
int icd_parse_codes_file(const char *path, struct icd10_row **rows, size_t *count, char *err,
                         size_t errlen);
/* The fiscal year a file name states (icd10cm-codes-2026.txt -> "2026"),
 * else "" . out has room for 8 bytes. */
void icd_fiscal_year_from_name(const char *path, char out[8]);
/* Imports a codes file into the store (one transaction) and records the
 * fiscal year (fy, or the one in the file name). *count gets the rows. */
int icd_import_file(store *s, const char *path, const char *fy, size_t *count, char *err,
                    size_t errlen);
/* Formats a stored code with its dot: E1122 -> E11.22. */
void icd_code_format(const char *code, char out[10]);

enum icd_context {
	ICD_AFFIRMED,
	ICD_NEGATED,   /* "denies chest pain" */
	ICD_UNCERTAIN, /* "rule out pneumonia" */
	ICD_FAMILY,    /* "mother had colon cancer" */
	ICD_HISTORY,   /* "history of DVT", "resolved" */
};
const char *icd_context_name(enum icd_context c);

struct icd_suggestion {
	char code[10];  /* with dot, e.g. "E11.22" */
	char *name;     /* official description */
	char *evidence; /* the exact words of the text */
	int span_start; /* byte offsets into the text: [start, end) */
	int span_end;
	double score; /* 0..1 */
	char *note;   /* why it was coded or changed (combination, laterality,
	                 qualifier, family history, spelling corrected ...), or
	                 NULL */
};
struct icd_skipped {
	char code[10];
	char *evidence;
	int span_start, span_end;
	enum icd_context context; /* why it was not coded */
	char *note;
};
struct icd_result {
	struct icd_suggestion *codes;
	size_t ncodes;
	struct icd_skipped *skipped; /* mentions not coded, for the clinician */
	size_t nskipped;
};
void icd_result_free(struct icd_result *r);

struct icd_options {
	/* Inpatient guidelines code "probable" / "suspected" diagnoses as if
	 * established; outpatient ones (default) code the symptoms instead. */
	bool inpatient;
};
/* Suggests codes for text (NULL opts: outpatient). Ordered by position of
 * the evidence. Matches our synonyms in their order and the official
 * descriptions in any order within one phrase ("liver abscess"), British
 * spellings and typing slips in longer words (scored lower, noted); leaves
 * out negated, uncertain (also a differential diagnosis section), family
 * and past mentions (as skipped), abbreviations defined in brackets or
 * naming a laboratory value, and status codes that nearby words contradict
 * (a procedure being done, a drug stopped). Clear *out with
 * icd_result_free. */
int icd_suggest(const struct coding *c, const char *text, const struct icd_options *opts,
                struct icd_result *out);
/* The seed-001 shape plus span and score: [{name, icd10_code, evidence,
 * span: [start, end], score, note?}]. Returns NULL on OOM. */
struct json_object *icd_result_json(const struct icd_result *r);

/* ---- E/M, HCC, CPT ---- */

enum em_setting {
	EM_AUTO,
	EM_OFFICE,
	EM_ED,
	EM_INPATIENT_INITIAL,
	EM_INPATIENT_SUBSEQUENT,
	EM_DISCHARGE,
};
enum em_patient { EM_PATIENT_AUTO, EM_PATIENT_NEW, EM_PATIENT_ESTABLISHED };
/* MDM levels, AMA 2021 */
enum em_level { EM_NONE, EM_STRAIGHTFORWARD, EM_LOW, EM_MODERATE, EM_HIGH };
const char *em_level_name(enum em_level l);
const char *em_setting_name(enum em_setting s);

#define EM_MAX_REASONS 12
struct em_element {
	enum em_level level;
	size_t nreasons;
	char reasons[EM_MAX_REASONS][160];
};
struct em_result {
	enum em_setting setting;
	enum em_patient patient;
	char code[8];      /* the level billed: the better of MDM and time */
	char mdm_code[8];  /* by medical decision making ("" when not applicable) */
	char time_code[8]; /* by total time ("" when no time documented) */
	int minutes;       /* total time documented, or -1 */
	enum em_level mdm;
	struct em_element problems, data, risk;
	char next_code[8]; /* the next level up, "" at the top */
	size_t nneeds;
	char needs[6][200]; /* what documentation would support next_code */
};
/* Levels a note's text. icd holds its suggested codes (may be NULL). */
int em_evaluate(const char *text, const struct icd_result *icd, enum em_setting setting,
                enum em_patient patient, struct em_result *out);

struct hcc_item {
	int hcc;
	char label[120];
	char code[10];  /* the suggested code that maps to it */
	int dropped_by; /* 0 if kept, else the parent HCC that outranks it */
};
struct hcc_opportunity {
	char code[10]; /* the suggested code, or "" */
	char hint[240];
};
struct hcc_result {
	struct hcc_item *items;
	size_t nitems;
	struct hcc_opportunity *opps;
	size_t nopps;
};
void hcc_result_free(struct hcc_result *r);
/* The V28 categories of the suggested codes, the hierarchy applied, and
 * documentation opportunities. */
int hcc_evaluate(const struct coding *c, const struct icd_result *icd, struct hcc_result *out);

struct cpt_item {
	char code[8];
	char description[96]; /* our own short description */
	char *evidence;
	int span_start, span_end;
};
struct cpt_result {
	struct cpt_item *items;
	size_t nitems;
};
void cpt_result_free(struct cpt_result *r);
/* Procedures named in the text, not negated. */
int cpt_find(const char *text, struct cpt_result *out);

struct billing_options {
	enum em_setting setting;
	enum em_patient patient;
	bool inpatient_icd; /* code uncertain diagnoses (inpatient rules) */
};
struct billing_result {
	struct icd_result icd;
	struct em_result em;
	struct hcc_result hcc;
	struct cpt_result cpt; /* the E/M code first, then procedures */
};
void billing_result_free(struct billing_result *r);
/* Everything for a note's text (NULL opts: detect the setting). */
int coding_billing(const struct coding *c, const char *text, const struct billing_options *opts,
                   struct billing_result *out);
/* The same after the clinician's decisions (a note's stored codes):
 * rejected ICD-10-CM codes leave the suggestions and accepted ones absent
 * from them join them (with the decision's name and evidence) before E/M
 * and HCC are evaluated. */
int coding_billing_decided(const struct coding *c, const char *text,
                           const struct billing_options *opts, const struct note_code *decisions,
                           size_t ndecisions, struct billing_result *out);
/* Appends the result as text lines (E/M with the MDM reasoning element by
 * element and what the next level needs, the ICD-10-CM codes when with_icd,
 * HCC with opportunities, CPT) to d. DICTUM_OK or DICTUM_NOMEM. */
struct dynbuf;
int billing_result_text(const struct billing_result *r, bool with_icd, struct dynbuf *d);
/* {icd10_codes, em: {...}, hcc: {...}, cpt: [...]}; NULL on OOM. */
struct json_object *billing_result_json(const struct billing_result *r);
/* The E/M setting a note type implies (edProviderNote -> ED,
 * admissionHP -> initial hospital care, dischargeSummary -> discharge ...);
 * EM_AUTO when the type does not say. */
enum em_setting em_setting_for_note_type(const char *note_type);
/* Stores a note's result in one transaction: the ICD-10-CM, CPT and kept
 * HCC codes as suggestions (the clinician's accepted and rejected codes
 * stay), and the whole result as the note's billing JSON for
 * note_version. */
int coding_billing_save(store *s, int64_t note_id, int note_version,
                        const struct billing_result *r);

#endif
