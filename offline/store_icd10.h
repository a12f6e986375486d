#ifndef DICTUM_OFFLINE_STORE_ICD10_H
#define DICTUM_OFFLINE_STORE_ICD10_H

/* The code tables of the offline store: ICD-10-CM codes with full-text
 * search over descriptions and synonyms, and the ICD-10-CM -> HCC mapping.
 * Codes are stored upper case without the dot (E1122). Every function
 * returns a DICTUM_* status with the reason in store_errmsg(). */

#include "offline/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct icd10_row {
	char *code;        /* no dot, e.g. "E1122" */
	char *description; /* official long description */
	char *synonyms;    /* '|'-separated, lower case; "" when none */
	bool curated;      /* in Dictum's curated table */
};
/* Frees the strings of count rows and the array; sets *rows to NULL. */
void icd10_rows_free(struct icd10_row **rows, size_t count);

/* Loads Dictum's curated table: each row is inserted or updated with its
 * synonyms and marked curated; rows no longer in the table lose the mark
 * (and are deleted unless an official import holds them). version is
 * recorded in meta "icd10_curated_version". One transaction. */
int store_icd10_load_curated(store *s, const struct icd10_row *rows, size_t count,
                             const char *version);
/* Replaces the official code table with rows (synonyms ignored): codes
 * absent from rows are deleted unless curated. Records meta
 * "icd10_fiscal_year" and "icd10_source". One transaction: on failure the
 * previous table is untouched. */
int store_icd10_import(store *s, const struct icd10_row *rows, size_t count,
                       const char *fiscal_year, const char *source);
/* total and curated row counts (either may be NULL). */
int store_icd10_count(store *s, int64_t *total, int64_t *curated);
/* One code ("E11.22" or "E1122"); DICTUM_NOTFOUND when absent. Clear
 * *out with icd10_rows_free-like freeing of its fields (icd10_row_clear). */
int store_icd10_get(store *s, const char *code, struct icd10_row *out);
void icd10_row_clear(struct icd10_row *r);
/* Ranks codes for a query: a code or code prefix ("E11.2") lists codes
 * under it, shortest first; words rank by full-text match over
 * description and synonyms (all words, else any word). The query is never
 * passed to SQLite as search syntax. Free *list with icd10_rows_free. */
int store_icd10_search(store *s, const char *query, size_t limit, struct icd10_row **list,
                       size_t *count);
/* Calls fn for every code in code order; stops with fn's status when it
 * is not DICTUM_OK. The strings are valid during the call only. */
int store_icd10_each(store *s,
                     int (*fn)(void *ctx, const char *code, const char *description,
                               const char *synonyms, bool curated),
                     void *ctx);

struct hcc_map_row {
	char code[8]; /* no dot */
	int hcc;
};
/* Replaces the mapping of one model ("V28") from one source ("curated" or
 * "cms") with rows, in one transaction. */
int store_hcc_load(store *s, const char *model, const char *source, const struct hcc_map_row *rows,
                   size_t count);
/* Rows of a model (cms rows win over curated ones for the same code when
 * any cms row exists for it). Free *rows with free(). */
int store_hcc_all(store *s, const char *model, struct hcc_map_row **rows, size_t *count);
int store_hcc_count(store *s, const char *model, const char *source, int64_t *count);

#endif
