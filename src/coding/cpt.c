#include "coding/icd_internal.h"
#include "core/lib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Procedures named in notes -> CPT code with our own short description
 * (CPT descriptors are AMA copyright). First cue of a code wins. */
static const struct {
	const char *cue, *code, *description;
} procedures[] = {
    {"ekg", "93000", "ECG, 12 leads, with interpretation and report"},
    {"ecg", "93000", "ECG, 12 leads, with interpretation and report"},
    {"electrocardiogram", "93000", "ECG, 12 leads, with interpretation and report"},
    {"spirometry", "94010", "Spirometry"},
    {"nebulizer treatment", "94640", "Inhaled treatment by nebulizer or inhaler"},
    {"duoneb", "94640", "Inhaled treatment by nebulizer or inhaler"},
    {"albuterol neb", "94640", "Inhaled treatment by nebulizer or inhaler"},
    {"pulse oximetry", "94760", "Pulse oximetry, single reading"},
    {"knee injection", "20610", "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"injected the knee", "20610", "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"shoulder injection", "20610", "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"subacromial injection", "20610",
     "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"joint aspiration", "20610", "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"arthrocentesis", "20610", "Injection or aspiration, major joint (knee, shoulder, hip)"},
    {"wrist injection", "20605",
     "Injection or aspiration, intermediate joint (wrist, elbow, ankle)"},
    {"elbow injection", "20605",
     "Injection or aspiration, intermediate joint (wrist, elbow, ankle)"},
    {"ankle injection", "20605",
     "Injection or aspiration, intermediate joint (wrist, elbow, ankle)"},
    {"trigger finger injection", "20550", "Injection, tendon sheath or ligament"},
    {"trigger point injection", "20552", "Trigger point injection, 1-2 muscles"},
    {"laceration repair", "12001", "Simple repair of superficial wound, 2.5 cm or less"},
    {"sutured", "12001", "Simple repair of superficial wound, 2.5 cm or less"},
    {"sutures placed", "12001", "Simple repair of superficial wound, 2.5 cm or less"},
    {"incision and drainage", "10060", "Incision and drainage of abscess, simple"},
    {"i&d", "10060", "Incision and drainage of abscess, simple"},
    {"cerumen removal", "69210", "Removal of impacted cerumen with instruments, one ear"},
    {"ear lavage", "69209", "Removal of impacted cerumen by irrigation, one ear"},
    {"ear irrigation", "69209", "Removal of impacted cerumen by irrigation, one ear"},
    {"skin biopsy", "11102", "Tangential skin biopsy, single lesion"},
    {"punch biopsy", "11104", "Punch skin biopsy, single lesion"},
    {"shave biopsy", "11102", "Tangential skin biopsy, single lesion"},
    {"cryotherapy", "17110", "Destruction of benign lesions such as warts, up to 14"},
    {"liquid nitrogen", "17110", "Destruction of benign lesions such as warts, up to 14"},
    {"toenail removal", "11730", "Avulsion of nail plate, single"},
    {"nail avulsion", "11730", "Avulsion of nail plate, single"},
    {"wedge resection", "11750", "Excision of nail and nail matrix"},
    {"venipuncture", "36415", "Collection of venous blood by venipuncture"},
    {"blood draw", "36415", "Collection of venous blood by venipuncture"},
    {"urinalysis dipstick", "81002", "Urinalysis by dipstick, non-automated, without microscopy"},
    {"urine dipstick", "81002", "Urinalysis by dipstick, non-automated, without microscopy"},
    {"rapid strep", "87880", "Streptococcus group A antigen detection by immunoassay"},
    {"rapid flu", "87804", "Influenza antigen detection by immunoassay"},
    {"urine pregnancy", "81025", "Urine pregnancy test by visual color comparison"},
    {"glucose fingerstick", "82962", "Blood glucose by a device cleared for home use"},
    {"fingerstick glucose", "82962", "Blood glucose by a device cleared for home use"},
    {"phq-9", "96127", "Brief emotional or behavioral assessment, scored instrument"},
    {"phq9", "96127", "Brief emotional or behavioral assessment, scored instrument"},
    {"gad-7", "96127", "Brief emotional or behavioral assessment, scored instrument"},
    {"smoking cessation counseling", "99406",
     "Smoking and tobacco cessation counseling, 3-10 minutes"},
    {"tobacco cessation counseling", "99406",
     "Smoking and tobacco cessation counseling, 3-10 minutes"},
    {"flu vaccine", "90471", "Immunization administration, first vaccine"},
    {"flu shot", "90471", "Immunization administration, first vaccine"},
    {"vaccine administered", "90471", "Immunization administration, first vaccine"},
    {"im injection", "96372", "Therapeutic injection, subcutaneous or intramuscular"},
    {"intramuscular injection", "96372", "Therapeutic injection, subcutaneous or intramuscular"},
    {"ceftriaxone im", "96372", "Therapeutic injection, subcutaneous or intramuscular"},
    {"toradol im", "96372", "Therapeutic injection, subcutaneous or intramuscular"},
    {"iv fluids", "96360", "Intravenous hydration, first hour"},
    {"iv hydration", "96360", "Intravenous hydration, first hour"},
    {"splint applied", "29125", "Application of short arm splint, static"},
    {"short arm splint", "29125", "Application of short arm splint, static"},
    {"short leg splint", "29515", "Application of short leg splint"},
    {"pap smear", "Q0091", "Obtaining a screening Pap smear"},
    {"foley catheter", "51702", "Insertion of temporary indwelling bladder catheter"},
    {"straight cath", "51701", "Insertion of non-indwelling bladder catheter"},
    {"fluorescein", "65205", "Removal of foreign body, external eye, conjunctival superficial"},
    {"foreign body removal", "10120", "Incision and removal of foreign body, subcutaneous, simple"},
    {"audiometry", "92551", "Screening test, pure tone, air only"},
    {"visual acuity", "99173", "Screening test of visual acuity, quantitative, bilateral"},
    {"holter", "93224", "External ECG recording up to 48 hours"},
    {"cardioversion", "92960", "Cardioversion, elective, external"},
    {"intubat", "31500", "Emergency endotracheal intubation"},
    {"cpr", "92950", "Cardiopulmonary resuscitation"},
    {"lumbar puncture", "62270", "Spinal puncture, lumbar, diagnostic"},
    {"paracentesis", "49083", "Abdominal paracentesis with imaging guidance"},
    {"thoracentesis", "32555", "Thoracentesis with imaging guidance"},
    {"central line", "36556", "Insertion of non-tunneled central venous catheter, age 5+"},
    {"critical care time", "99291", "Critical care, first 30-74 minutes"},
};

void cpt_result_free(struct cpt_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nitems; i++)
		free(r->items[i].evidence);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static bool negated_before(const char *low, size_t at)
{
	static const char *const neg[] = {"no ",       "not ",      "without ",
	                                  "declined ", "deferred ", "refused "};
	size_t lo = at > 30 ? at - 30 : 0;
	for (size_t i = 0; i < sizeof(neg) / sizeof(*neg); i++)
		for (size_t p = lo; p < at; p++)
			if (strncmp(low + p, neg[i], strlen(neg[i])) == 0 &&
			    !memchr(low + p, '.', at - p) && !memchr(low + p, '\n', at - p))
				return true;
	return false;
}

int cpt_find(const char *text, struct cpt_result *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = strlen(text);
	char *low = malloc(n + 1);
	size_t count = sizeof(procedures) / sizeof(*procedures);
	out->items = calloc(count, sizeof(*out->items));
	if (!low || !out->items) {
		free(low);
		free(out->items);
		out->items = NULL;
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)text[i]);
	int result = DICTUM_OK;
	for (size_t i = 0; i < count; i++) {
		const char *at = strstr(low, procedures[i].cue);
		if (!at || negated_before(low, (size_t)(at - low)))
			continue;
		size_t cl = strlen(procedures[i].cue);
		if ((at > low && isalnum((unsigned char)at[-1])) ||
		    (isalnum((unsigned char)at[cl - 1]) && isalnum((unsigned char)at[cl]) &&
		     strcmp(procedures[i].cue, "intubat") != 0 &&
		     strcmp(procedures[i].cue, "prescri") != 0))
			continue;
		bool dup = false;
		for (size_t k = 0; k < out->nitems; k++)
			dup |= strcmp(out->items[k].code, procedures[i].code) == 0;
		if (dup)
			continue;
		struct cpt_item *it = &out->items[out->nitems];
		str_copy(it->code, procedures[i].code, sizeof(it->code));
		str_copy(it->description, procedures[i].description, sizeof(it->description));
		it->span_start = (int)(at - low);
		it->span_end = it->span_start + (int)cl;
		if (!(it->evidence = strndup(text + it->span_start, cl))) {
			result = DICTUM_NOMEM;
			break;
		}
		out->nitems++;
	}
	free(low);
	if (result)
		cpt_result_free(out);
	return result;
}
