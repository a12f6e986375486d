#include "coding/icd_internal.h"
#include "core/lib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *code, *description;
} em_descriptions[] = {
    {"99202", "Office visit, new patient, straightforward MDM or 15+ minutes"},
    {"99203", "Office visit, new patient, low MDM or 30+ minutes"},
    {"99204", "Office visit, new patient, moderate MDM or 45+ minutes"},
    {"99205", "Office visit, new patient, high MDM or 60+ minutes"},
    {"99211", "Office visit, established patient, may not need a physician"},
    {"99212", "Office visit, established patient, straightforward MDM or 10+ minutes"},
    {"99213", "Office visit, established patient, low MDM or 20+ minutes"},
    {"99214", "Office visit, established patient, moderate MDM or 30+ minutes"},
    {"99215", "Office visit, established patient, high MDM or 40+ minutes"},
    {"99281", "Emergency department visit, may not need a physician"},
    {"99282", "Emergency department visit, straightforward MDM"},
    {"99283", "Emergency department visit, low MDM"},
    {"99284", "Emergency department visit, moderate MDM"},
    {"99285", "Emergency department visit, high MDM"},
    {"99221", "Initial hospital care, straightforward or low MDM or 40+ minutes"},
    {"99222", "Initial hospital care, moderate MDM or 55+ minutes"},
    {"99223", "Initial hospital care, high MDM or 75+ minutes"},
    {"99231", "Subsequent hospital care, straightforward or low MDM or 25+ minutes"},
    {"99232", "Subsequent hospital care, moderate MDM or 35+ minutes"},
    {"99233", "Subsequent hospital care, high MDM or 50+ minutes"},
    {"99238", "Hospital discharge day management, 30 minutes or less"},
    {"99239", "Hospital discharge day management, more than 30 minutes"},
};

void billing_result_free(struct billing_result *r)
{
	if (!r)
		return;
	icd_result_free(&r->icd);
	hcc_result_free(&r->hcc);
	cpt_result_free(&r->cpt);
	memset(r, 0, sizeof(*r));
}

/* The clinician's decisions over the suggestions: a rejected code leaves
 * the list, an accepted one absent from it joins it. */
static int apply_decisions(struct icd_result *icd, const struct note_code *decisions, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < icd->ncodes; i++) {
		bool rejected = false;
		for (size_t d = 0; d < n; d++)
			if (decisions[d].status == CODE_REJECTED &&
			    strcmp(decisions[d].system, "icd10") == 0 &&
			    strcmp(decisions[d].code, icd->codes[i].code) == 0)
				rejected = true;
		if (rejected) {
			free(icd->codes[i].name);
			free(icd->codes[i].evidence);
			free(icd->codes[i].note);
		} else {
			icd->codes[k++] = icd->codes[i];
		}
	}
	icd->ncodes = k;
	for (size_t d = 0; d < n; d++) {
		const struct note_code *dc = &decisions[d];
		bool present = false;
		for (size_t i = 0; i < icd->ncodes && !present; i++)
			present = strcmp(dc->code, icd->codes[i].code) == 0;
		if (present || dc->status != CODE_ACCEPTED || strcmp(dc->system, "icd10") != 0)
			continue;
		struct icd_suggestion *grown =
		    realloc(icd->codes, (icd->ncodes + 1) * sizeof(*icd->codes));
		if (!grown)
			return DICTUM_NOMEM;
		icd->codes = grown;
		struct icd_suggestion *sg = &icd->codes[icd->ncodes];
		memset(sg, 0, sizeof(*sg));
		str_copy(sg->code, dc->code, sizeof(sg->code));
		sg->name = strdup(dc->name ? dc->name : "");
		/* A code added from the table has no words of the text: its name
		 * stands in for them in the reasoning. */
		sg->evidence = strdup(dc->evidence && *dc->evidence ? dc->evidence
		                      : sg->name                    ? sg->name
		                                                    : "");
		sg->span_start = dc->span_start;
		sg->span_end = dc->span_end;
		sg->score = 1.0;
		icd->ncodes++;
		if (!sg->name || !sg->evidence)
			return DICTUM_NOMEM;
	}
	return DICTUM_OK;
}

int coding_billing_decided(const struct coding *c, const char *text,
                           const struct billing_options *opts, const struct note_code *decisions,
                           size_t ndecisions, struct billing_result *out)
{
	memset(out, 0, sizeof(*out));
	struct billing_options o = {EM_AUTO, EM_PATIENT_AUTO, false};
	if (opts)
		o = *opts;
	struct icd_options io = {o.inpatient_icd || o.setting == EM_INPATIENT_INITIAL ||
	                         o.setting == EM_INPATIENT_SUBSEQUENT || o.setting == EM_DISCHARGE};
	struct cpt_result procs = {0};
	int result = icd_suggest(c, text, &io, &out->icd);
	if (!result && ndecisions)
		result = apply_decisions(&out->icd, decisions, ndecisions);
	if (!result)
		result = em_evaluate(text, &out->icd, o.setting, o.patient, &out->em);
	if (!result)
		result = hcc_evaluate(c, &out->icd, &out->hcc);
	if (!result)
		result = cpt_find(text, &procs);
	if (result)
		goto fail;
	out->cpt.items = calloc(procs.nitems + 1, sizeof(*out->cpt.items));
	if (!out->cpt.items) {
		result = DICTUM_NOMEM;
		goto fail;
	}
	struct cpt_item *em = &out->cpt.items[0];
	str_copy(em->code, out->em.code, sizeof(em->code));
	for (size_t i = 0; i < sizeof(em_descriptions) / sizeof(*em_descriptions); i++)
		if (strcmp(em_descriptions[i].code, em->code) == 0)
			str_copy(em->description, em_descriptions[i].description,
			         sizeof(em->description));
	em->span_start = em->span_end = -1;
	out->cpt.nitems = 1;
	for (size_t i = 0; i < procs.nitems; i++) {
		out->cpt.items[out->cpt.nitems++] = procs.items[i];
		procs.items[i].evidence = NULL;
	}
	cpt_result_free(&procs);
	return DICTUM_OK;
fail:
	cpt_result_free(&procs);
	billing_result_free(out);
	return result;
}

int coding_billing(const struct coding *c, const char *text, const struct billing_options *opts,
                   struct billing_result *out)
{
	return coding_billing_decided(c, text, opts, NULL, 0, out);
}

static int text_element(struct dynbuf *d, const char *name, const struct em_element *e)
{
	int rc = dynbuf_printf(d, "  %-9s %s\n", name, em_level_name(e->level));
	for (size_t i = 0; !rc && i < e->nreasons; i++)
		rc = dynbuf_printf(d, "            - %s\n", e->reasons[i]);
	return rc;
}

int billing_result_text(const struct billing_result *r, bool with_icd, struct dynbuf *d)
{
	int rc = dynbuf_printf(d, "E/M %s (%s, %s patient)\n", r->em.code,
	                       em_setting_name(r->em.setting),
	                       r->em.patient == EM_PATIENT_NEW ? "new" : "established");
	if (!rc)
		rc = dynbuf_printf(d, "  MDM %s%s%s", em_level_name(r->em.mdm),
		                   *r->em.mdm_code ? " -> " : "", r->em.mdm_code);
	if (!rc && r->em.minutes > 0)
		rc = dynbuf_printf(d, "; total time %d min -> %s", r->em.minutes, r->em.time_code);
	if (!rc)
		rc = dynbuf_printf(d, "\n");
	if (!rc)
		rc = text_element(d, "problems", &r->em.problems);
	if (!rc)
		rc = text_element(d, "data", &r->em.data);
	if (!rc)
		rc = text_element(d, "risk", &r->em.risk);
	if (!rc && *r->em.next_code) {
		rc = dynbuf_printf(d, "  to support %s document:\n", r->em.next_code);
		for (size_t i = 0; !rc && i < r->em.nneeds; i++)
			rc = dynbuf_printf(d, "            - %s\n", r->em.needs[i]);
	}
	if (!rc && with_icd) {
		rc = dynbuf_printf(d, "ICD-10-CM\n");
		for (size_t i = 0; !rc && i < r->icd.ncodes; i++)
			rc = dynbuf_printf(d, "  %-8s %s  (\"%s\")\n", r->icd.codes[i].code,
			                   r->icd.codes[i].name, r->icd.codes[i].evidence);
	}
	if (!rc)
		rc = dynbuf_printf(d, "HCC (CMS-HCC V28)\n");
	for (size_t i = 0; !rc && i < r->hcc.nitems; i++) {
		const struct hcc_item *it = &r->hcc.items[i];
		if (it->dropped_by)
			rc = dynbuf_printf(d, "  HCC %d %s (%s) -- dropped: HCC %d outranks it\n",
			                   it->hcc, it->label, it->code, it->dropped_by);
		else
			rc = dynbuf_printf(d, "  HCC %d %s (%s)\n", it->hcc, it->label, it->code);
	}
	for (size_t i = 0; !rc && i < r->hcc.nopps; i++)
		rc = dynbuf_printf(d, "  opportunity %s: %s\n", r->hcc.opps[i].code,
		                   r->hcc.opps[i].hint);
	if (!rc)
		rc = dynbuf_printf(d, "CPT\n");
	for (size_t i = 0; !rc && i < r->cpt.nitems; i++) {
		const struct cpt_item *c = &r->cpt.items[i];
		rc = dynbuf_printf(d, "  %-6s %s%s%s%s\n", c->code, c->description,
		                   c->evidence ? "  (\"" : "", c->evidence ? c->evidence : "",
		                   c->evidence ? "\")" : "");
	}
	return rc ? DICTUM_NOMEM : DICTUM_OK;
}

static struct json_object *element_json(const struct em_element *e)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "level", json_object_new_string(em_level_name(e->level)));
	struct json_object *r = json_object_new_array();
	for (size_t i = 0; i < e->nreasons; i++)
		json_object_array_add(r, json_object_new_string(e->reasons[i]));
	json_object_object_add(o, "reasons", r);
	return o;
}

struct json_object *billing_result_json(const struct billing_result *r)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "icd10_codes", icd_result_json(&r->icd));
	struct json_object *em = json_object_new_object();
	json_object_object_add(em, "code", json_object_new_string(r->em.code));
	json_object_object_add(em, "setting",
	                       json_object_new_string(em_setting_name(r->em.setting)));
	json_object_object_add(
	    em, "patient",
	    json_object_new_string(r->em.patient == EM_PATIENT_NEW ? "new" : "established"));
	json_object_object_add(em, "mdm_level", json_object_new_string(em_level_name(r->em.mdm)));
	json_object_object_add(em, "mdm_code", json_object_new_string(r->em.mdm_code));
	json_object_object_add(em, "time_code", json_object_new_string(r->em.time_code));
	json_object_object_add(em, "total_minutes",
	                       r->em.minutes > 0 ? json_object_new_int(r->em.minutes) : NULL);
	struct json_object *mdm = json_object_new_object();
	json_object_object_add(mdm, "problems", element_json(&r->em.problems));
	json_object_object_add(mdm, "data", element_json(&r->em.data));
	json_object_object_add(mdm, "risk", element_json(&r->em.risk));
	json_object_object_add(em, "mdm", mdm);
	struct json_object *next = json_object_new_object();
	json_object_object_add(next, "code", json_object_new_string(r->em.next_code));
	struct json_object *needs = json_object_new_array();
	for (size_t i = 0; i < r->em.nneeds; i++)
		json_object_array_add(needs, json_object_new_string(r->em.needs[i]));
	json_object_object_add(next, "needs", needs);
	json_object_object_add(em, "next_level", next);
	json_object_object_add(o, "em", em);
	struct json_object *hcc = json_object_new_object();
	json_object_object_add(hcc, "model", json_object_new_string("CMS-HCC V28"));
	struct json_object *cats = json_object_new_array();
	for (size_t i = 0; i < r->hcc.nitems; i++) {
		const struct hcc_item *it = &r->hcc.items[i];
		struct json_object *h = json_object_new_object();
		json_object_object_add(h, "hcc", json_object_new_int(it->hcc));
		json_object_object_add(h, "label", json_object_new_string(it->label));
		json_object_object_add(h, "icd10_code", json_object_new_string(it->code));
		json_object_object_add(h, "kept", json_object_new_boolean(!it->dropped_by));
		if (it->dropped_by)
			json_object_object_add(h, "dropped_by",
			                       json_object_new_int(it->dropped_by));
		json_object_array_add(cats, h);
	}
	json_object_object_add(hcc, "categories", cats);
	struct json_object *opps = json_object_new_array();
	for (size_t i = 0; i < r->hcc.nopps; i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "icd10_code",
		                       json_object_new_string(r->hcc.opps[i].code));
		json_object_object_add(p, "hint", json_object_new_string(r->hcc.opps[i].hint));
		json_object_array_add(opps, p);
	}
	json_object_object_add(hcc, "opportunities", opps);
	json_object_object_add(o, "hcc", hcc);
	struct json_object *cpt = json_object_new_array();
	for (size_t i = 0; i < r->cpt.nitems; i++) {
		const struct cpt_item *it = &r->cpt.items[i];
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "code", json_object_new_string(it->code));
		json_object_object_add(p, "description", json_object_new_string(it->description));
		if (it->evidence) {
			json_object_object_add(p, "evidence", json_object_new_string(it->evidence));
			struct json_object *span = json_object_new_array();
			json_object_array_add(span, json_object_new_int(it->span_start));
			json_object_array_add(span, json_object_new_int(it->span_end));
			json_object_object_add(p, "span", span);
		}
		json_object_array_add(cpt, p);
	}
	json_object_object_add(o, "cpt", cpt);
	return o;
}

enum em_setting em_setting_for_note_type(const char *note_type)
{
	static const struct {
		const char *type;
		enum em_setting setting;
	} types[] = {
	    {"edProviderNote", EM_ED},
	    {"edTriageNote", EM_ED},
	    {"admissionHP", EM_INPATIENT_INITIAL},
	    {"dischargeSummary", EM_DISCHARGE},
	    {"criticalCareProgressNote", EM_INPATIENT_SUBSEQUENT},
	    {"clinicNote", EM_OFFICE},
	    {"newPatientNote", EM_OFFICE},
	    {"followUpNote", EM_OFFICE},
	    {"psychiatricEvaluation", EM_OFFICE},
	    {"psychiatricProgressNote", EM_OFFICE},
	};
	for (size_t i = 0; note_type && i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(note_type, types[i].type) == 0)
			return types[i].setting;
	return EM_AUTO;
}

int coding_billing_save(store *s, int64_t note_id, int note_version, const struct billing_result *r)
{
	size_t n = r->icd.ncodes + r->cpt.nitems + r->hcc.nitems;
	struct note_code *codes = calloc(n ? n : 1, sizeof(*codes));
	char(*hcc_codes)[16] = calloc(r->hcc.nitems ? r->hcc.nitems : 1, sizeof(*hcc_codes));
	char *json = NULL;
	int result = DICTUM_OK;
	if (!codes || !hcc_codes) {
		result = DICTUM_NOMEM;
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->icd.ncodes; i++) {
		const struct icd_suggestion *c = &r->icd.codes[i];
		codes[k++] =
		    (struct note_code){"icd10",       (char *)c->code, c->name,  c->evidence,
		                       c->span_start, c->span_end,     c->score, CODE_SUGGESTED};
	}
	for (size_t i = 0; i < r->cpt.nitems; i++) {
		const struct cpt_item *c = &r->cpt.items[i];
		codes[k++] =
		    (struct note_code){"cpt",       (char *)c->code, (char *)c->description,
		                       c->evidence, c->span_start,   c->span_end,
		                       1.0,         CODE_SUGGESTED};
	}
	for (size_t i = 0; i < r->hcc.nitems; i++) {
		const struct hcc_item *h = &r->hcc.items[i];
		if (h->dropped_by)
			continue;
		snprintf(hcc_codes[i], sizeof(hcc_codes[i]), "HCC%d", h->hcc);
		codes[k++] =
		    (struct note_code){"hcc", hcc_codes[i], (char *)h->label, (char *)h->code, -1,
		                       -1,    1.0,          CODE_SUGGESTED};
	}
	struct json_object *j = billing_result_json(r);
	if (!j || !(json = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)))) {
		json_object_put(j);
		result = DICTUM_NOMEM;
		goto out;
	}
	json_object_put(j);
	if ((result = store_begin(s)))
		goto out;
	if ((result = store_note_codes_suggest(s, note_id, codes, k)) ||
	    (result = store_billing_save(s, note_id, note_version, r->em.code, json))) {
		store_rollback(s);
		goto out;
	}
	result = store_commit(s);
out:
	free(json);
	free(hcc_codes);
	free(codes);
	return result;
}
