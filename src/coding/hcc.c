#include "coding/icd_internal.h"
#include "core/lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Conditions named without the specificity that maps to an HCC. */
static const struct {
	const char *prefix;
	const char *hint;
} opportunity_hints[] = {
    {"E119", "diabetes without complications: document complications (CKD, neuropathy, "
             "retinopathy, hyperglycemia, PVD) and link them, e.g. E11.22, E11.42, E11.65"},
    {"E109", "type 1 diabetes without complications: document complications and control"},
    {"N189", "CKD without stage: document the stage (eGFR) -- stage 3a/3b, 4, 5 and ESRD map "
             "to HCC 326-329"},
    {"F329", "depression without severity: document episode and severity (moderate, severe, "
             "with or without psychotic features, remission) -- F32.1-F32.3 map to HCC 155"},
    {"F32A", "depression unspecified: document major depressive disorder, episode and severity"},
    {"F339", "recurrent depression without severity: document current severity"},
    {"I509", "heart failure unspecified: document type and acuity (systolic/diastolic, "
             "acute/chronic)"},
    {"E669", "obesity: document BMI and class; BMI 40+ (Z68.41-Z68.45) with severe obesity "
             "maps to HCC 48"},
    {"E6601", "morbid obesity: document the BMI (Z68.41-Z68.45)"},
    {"J449", "COPD: document exacerbation or lower respiratory infection when present"},
    {"F1010", "alcohol abuse: document dependence and remission status when present"},
    {"D649", "anemia unspecified: document type (e.g. anemia in CKD, D63.1)"},
    {"I739", "PVD: document atherosclerosis of the extremities with claudication or ulcer"},
    {"G629", "neuropathy: document the cause (e.g. diabetic polyneuropathy E11.42)"},
};

void hcc_result_free(struct hcc_result *r)
{
	if (!r)
		return;
	free(r->items);
	free(r->opps);
	memset(r, 0, sizeof(*r));
}

static const char *label_of(const struct coding *c, int hcc)
{
	for (size_t i = 0; i < c->nhcc_labels; i++)
		if (c->hcc_labels[i].hcc == hcc)
			return c->hcc_labels[i].label;
	return "";
}

static void undot(const char *code, char out[10])
{
	size_t k = 0;
	for (; *code && k < 9; code++)
		if (*code != '.')
			out[k++] = *code;
	out[k] = '\0';
}

/* The HCC map is sorted by code: binary search for the first row. */
static size_t first_row(const struct coding *c, const char *code)
{
	size_t lo = 0, hi = c->nhcc_map;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->hcc_map[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool category_has_hcc(const struct coding *c, const char *code, int *hcc)
{
	char cat[4];
	str_copy(cat, code, sizeof(cat));
	size_t i = first_row(c, cat);
	if (i < c->nhcc_map && strncmp(c->hcc_map[i].code, cat, 3) == 0) {
		*hcc = c->hcc_map[i].hcc;
		return true;
	}
	return false;
}

int hcc_evaluate(const struct coding *c, const struct icd_result *icd, struct hcc_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = icd->ncodes * 2 + 1;
	out->items = calloc(cap, sizeof(*out->items));
	out->opps = calloc(icd->ncodes + 1, sizeof(*out->opps));
	if (!out->items || !out->opps) {
		hcc_result_free(out);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < icd->ncodes; i++) {
		char code[10];
		undot(icd->codes[i].code, code);
		bool mapped = false;
		for (size_t r = first_row(c, code);
		     r < c->nhcc_map && strcmp(c->hcc_map[r].code, code) == 0; r++) {
			mapped = true;
			bool dup = false;
			for (size_t k = 0; k < out->nitems; k++)
				dup |= out->items[k].hcc == c->hcc_map[r].hcc;
			if (dup || out->nitems == cap)
				continue;
			struct hcc_item *it = &out->items[out->nitems++];
			it->hcc = c->hcc_map[r].hcc;
			str_copy(it->label, label_of(c, it->hcc), sizeof(it->label));
			str_copy(it->code, icd->codes[i].code, sizeof(it->code));
		}
		const char *hint = NULL;
		for (size_t k = 0; k < sizeof(opportunity_hints) / sizeof(*opportunity_hints); k++)
			if (strncmp(code, opportunity_hints[k].prefix,
			            strlen(opportunity_hints[k].prefix)) == 0)
				hint = opportunity_hints[k].hint;
		int cat_hcc = 0;
		if (hint || (!mapped && code[0] != 'Z' && category_has_hcc(c, code, &cat_hcc))) {
			struct hcc_opportunity *o = &out->opps[out->nopps++];
			str_copy(o->code, icd->codes[i].code, sizeof(o->code));
			if (hint)
				str_copy(o->hint, hint, sizeof(o->hint));
			else
				snprintf(o->hint, sizeof(o->hint),
				         "no HCC for %s as documented; more specific codes in its "
				         "category map "
				         "to HCC %d (%s)",
				         icd->codes[i].code, cat_hcc, label_of(c, cat_hcc));
		}
	}
	/* Hierarchies: a present parent drops its children. */
	for (size_t i = 0; i < out->nitems; i++)
		for (size_t k = 0; k < out->nitems; k++)
			for (size_t h = 0; h < c->nhcc_hier; h++)
				if (c->hcc_hier[h].parent == out->items[k].hcc &&
				    c->hcc_hier[h].child == out->items[i].hcc &&
				    !out->items[k].dropped_by) {
					out->items[i].dropped_by = out->items[k].hcc;
				}
	return DICTUM_OK;
}
