#include "core/note_format.h"
#include "core/error.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const note_type_keys[] = {
    "admissionHP",
    "progressNote",
    "dischargeSummary",
    "clinicNote",
    "referralNote",
    "newPatientNote",
    "followUpNote",
    "handoff",
    "casePresentation",
    "deepConsult",
    "consultation",
    "psychiatricEvaluation",
    "psychiatricProgressNote",
    "strokeConsult",
    "procedureNote",
    "preOpNote",
    "postOpNote",
    "operativeNote",
    "dentalEvaluation",
    "dentalProcedure",
    "edProviderNote",
    "edTriageNote",
    "prenatalVisit",
    "laborDeliveryNote",
    "rehabilitationNote",
    "criticalCareProgressNote",
};
const size_t note_type_count = sizeof(note_type_keys) / sizeof(note_type_keys[0]);

bool note_type_valid(const char *key)
{
	for (size_t i = 0; key && i < note_type_count; i++)
		if (strcmp(note_type_keys[i], key) == 0)
			return true;
	return false;
}

int note_format_parse(const char *name)
{
	if (name && strcmp(name, "text") == 0)
		return NOTE_FORMAT_TEXT;
	if (name && (strcmp(name, "markdown") == 0 || strcmp(name, "md") == 0))
		return NOTE_FORMAT_MARKDOWN;
	return -1;
}

int note_render(const struct note *n, const char *patient_name, enum note_format fmt,
                struct dynbuf *d)
{
	bool md = fmt == NOTE_FORMAT_MARKDOWN;
	int result = dynbuf_printf(d, "%s%s\n", md ? "# " : "", n->note_type);
	if (!result)
		result = dynbuf_printf(
		    d, "%sPatient: %s\n%sStatus: %s, version %d%s%s\n%sUpdated: %s\n",
		    md ? "- " : "", patient_name ? patient_name : "-", md ? "- " : "",
		    note_status_name(n->status), n->version, n->signed_by ? ", signed by " : "",
		    n->signed_by ? n->signed_by : "", md ? "- " : "", n->updated_at);
	for (size_t i = 0; !result && i < n->nsections; i++) {
		const struct note_section *s = &n->sections[i];
		if (md)
			result = dynbuf_printf(d, "\n## %s\n\n%s\n", s->title, s->text);
		else
			result = dynbuf_printf(d, "\n%s\n%s\n", s->title, s->text);
	}
	return result;
}

static void make_key(const char *title, char *key, size_t size)
{
	size_t k = 0;
	for (const char *p = title; *p && k + 1 < size; p++) {
		if (isalnum((unsigned char)*p))
			key[k++] = (char)tolower((unsigned char)*p);
		else if (k && key[k - 1] != '_')
			key[k++] = '_';
	}
	while (k && key[k - 1] == '_')
		k--;
	key[k] = '\0';
	if (!k)
		str_copy(key, "section", size);
}

static int flush(struct note *n, const char *title, struct dynbuf *body)
{
	char *text = xstrdup(dynbuf_str(body));
	str_trim(text);
	int result = DICTUM_OK;
	if (*text || strcmp(title, "Note") != 0) {
		char key[64];
		make_key(title, key, sizeof(key));
		if (strcmp(title, "Note") == 0)
			str_copy(key, "note", sizeof(key));
		result = note_add_section(n, key, title, text);
	}
	free(text);
	dynbuf_reset(body);
	return result;
}

int note_parse_sections(struct note *n, const char *text)
{
	struct dynbuf body;
	dynbuf_init(&body, 64u << 20);
	char title[256] = "Note";
	int result = DICTUM_OK;
	const char *p = text;
	while (*p && !result) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (*p == '#') {
			result = flush(n, title, &body);
			const char *t = p;
			while (t < p + len && (*t == '#' || *t == ' '))
				t++;
			size_t tlen = (size_t)(p + len - t);
			if (tlen >= sizeof(title))
				tlen = sizeof(title) - 1;
			memcpy(title, t, tlen);
			title[tlen] = '\0';
			str_trim(title);
			if (!*title)
				str_copy(title, "Section", sizeof(title));
		} else {
			result = dynbuf_add(&body, p, len);
			if (!result)
				result = dynbuf_addstr(&body, "\n");
		}
		p = eol ? eol + 1 : p + len;
	}
	if (!result)
		result = flush(n, title, &body);
	dynbuf_free(&body);
	return result;
}
