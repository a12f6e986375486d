#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/note_format.h"
#include "core/util.h"
#include "coding/coding.h"
#include "notes/draft.h"
#include "offline/store.h"
#include "notes/tmpl.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Endpoints on the engines of the other modules: note drafting (notes/),
 * the template catalogue and coding (coding/: ICD-10-CM, billing). The
 * engines are loaded once at start; a missing one makes its endpoints
 * answer 503. The coding engine keeps its code tables in a workstation-
 * format store beside the server database (DB.codes). */

struct srv_engines {
	struct note_engine notes;
	bool have_notes;
	struct tmpl_list templates;
	bool have_templates;
	struct coding *coding; /* NULL when unavailable */
};

int srv_engines_open(struct srv *srv)
{
	struct srv_engines *e = calloc(1, sizeof(*e));
	if (!e)
		return DICTUM_NOMEM;
	char err[512];
	if (note_engine_load(&e->notes, NULL, err, sizeof(err)) == DICTUM_OK)
		e->have_notes = true;
	else
		log_warn("server", "note engine unavailable (generate answers 503): %s", err);
	if (tmpl_templates_load(&e->templates, NULL, NULL, err, sizeof(err)) == DICTUM_OK)
		e->have_templates = true;
	else
		log_warn("server", "templates unavailable: %s", err);
	char codes_path[1200];
	store *codes = NULL;
	snprintf(codes_path, sizeof(codes_path), "%s.codes", srv->cfg.db_path);
	if (store_open(codes_path, &codes, err, sizeof(err)) != DICTUM_OK ||
	    coding_open(codes, &e->coding, err, sizeof(err)) != DICTUM_OK)
		log_warn("server", "coding engine unavailable (ICD-10 and billing answer 503): %s",
		         err);
	store_close(&codes);
	srv->engines = e;
	return DICTUM_OK;
}

void srv_engines_close(struct srv *srv)
{
	struct srv_engines *e = srv->engines;
	if (!e)
		return;
	if (e->have_notes)
		note_engine_clear(&e->notes);
	tmpl_list_clear(&e->templates);
	coding_close(&e->coding);
	free(e);
	srv->engines = NULL;
}

const struct note_engine *srv_engines_notes(struct srv *srv)
{
	return srv->engines && srv->engines->have_notes ? &srv->engines->notes : NULL;
}

const struct tmpl_template *srv_engines_template(struct srv *srv, const char *id)
{
	struct srv_engines *e = srv->engines;
	for (size_t i = 0; id && e && e->have_templates && i < e->templates.count; i++)
		if (!e->templates.items[i].user && strcmp(e->templates.items[i].id, id) == 0)
			return &e->templates.items[i];
	return NULL;
}

/* notes/generate with a transcription id: its text becomes "text". */
static void generate_from_transcription(struct srv_req *rq, struct srv_resp *rs, const char *id)
{
	char *text = NULL;
	int result = srv_id_valid("trn", id) ? api_transcription_text(rq, id, &text) : DICTUM_INVAL;
	if (result == DICTUM_INVAL)
		api_error(rq, rs, 400, "invalid_id", "Invalid transcriptionId format");
	else if (result == DICTUM_NOTFOUND)
		api_error(rq, rs, 404, "not_found", "No transcription %s", id);
	else if (result == DICTUM_BUSY)
		api_error(rq, rs, 409, "transcription_not_ready",
		          "Transcription %s has not completed; poll it and try again", id);
	else if (result)
		api_store_error(rq, rs, result);
	if (result)
		return;
	json_object_object_del(rq->json, "transcriptionId");
	json_object_object_add(rq->json, "text", json_object_new_string(text));
	free(text);
	api_notes_generate(rq, rs);
}

void api_notes_generate(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_engines *e = rq->srv->engines;
	struct json_object *text = NULL, *type = NULL, *mode = NULL, *spec = NULL;
	json_object_object_get_ex(rq->json, "text", &text);
	json_object_object_get_ex(rq->json, "noteType", &type);
	json_object_object_get_ex(rq->json, "mode", &mode);
	json_object_object_get_ex(rq->json, "specialty", &spec);
	const char *t =
	    json_object_is_type(text, json_type_string) ? json_object_get_string(text) : NULL;
	struct json_object *trn = NULL;
	json_object_object_get_ex(rq->json, "transcriptionId", &trn);
	if (!text && json_object_is_type(trn, json_type_string)) {
		generate_from_transcription(rq, rs, json_object_get_string(trn));
		return;
	}
	if (str_blank(t)) {
		api_error(rq, rs, 400, "missing_field",
		          "'text' (the transcript) or 'transcriptionId' is required and must not "
		          "be blank");
		return;
	}
	if (!json_object_is_type(type, json_type_string) ||
	    !note_type_valid(json_object_get_string(type))) {
		/* api_notes_create names the valid types. */
		api_notes_create(rq, rs);
		return;
	}
	int m = NOTE_MODE_DICTATION;
	if (mode && (!json_object_is_type(mode, json_type_string) ||
	             (m = note_mode_parse(json_object_get_string(mode))) < 0)) {
		api_error(rq, rs, 400, "invalid_field", "'mode' must be dictation or ambient");
		return;
	}
	if (spec && !json_object_is_type(spec, json_type_string)) {
		api_error(rq, rs, 400, "invalid_field", "'specialty' must be a string");
		return;
	}
	if (!e || !e->have_notes) {
		api_error(rq, rs, 503, "service_unavailable",
		          "The note engine is not configured on this server");
		return;
	}
	struct note_draft d = {0};
	int result = note_draft(&e->notes, t, json_object_get_string(type),
	                        spec ? json_object_get_string(spec) : NULL, (enum note_mode)m, &d);
	if (result) {
		note_draft_clear(&d);
		api_error(rq, rs, 500, "internal_error", "The note engine failed: %s",
		          dictum_strerror(result));
		return;
	}
	struct json_object *sections = json_object_new_array();
	for (size_t i = 0; i < d.note.nsections; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "key", json_object_new_string(d.note.sections[i].key));
		json_object_object_add(s, "title",
		                       json_object_new_string(d.note.sections[i].title));
		json_object_object_add(s, "text", json_object_new_string(d.note.sections[i].text));
		json_object_array_add(sections, s);
	}
	struct json_object *issues = json_object_new_array();
	for (size_t i = 0; i < d.nissues; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "kind",
		                       json_object_new_string(d.issues[i].kind == NOTE_FLAG_DRUG
		                                                  ? "medication"
		                                                  : "number"));
		json_object_object_add(o, "term", json_object_new_string(d.issues[i].term));
		json_object_array_add(issues, o);
	}
	note_draft_clear(&d);
	/* The draft is stored as a note created with these sections. */
	json_object_object_del(rq->json, "text");
	json_object_object_del(rq->json, "mode");
	json_object_object_del(rq->json, "status");
	json_object_object_add(rq->json, "sections", sections);
	api_notes_create(rq, rs);
	if (rs->status == 201 && rs->body) {
		struct json_object *note = json_tokener_parse(rs->body);
		if (note) {
			json_object_object_add(note, "issues", json_object_get(issues));
			api_json(rs, 201, note);
		}
	}
	json_object_put(issues);
}

static bool parse_int(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = hay; p && *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return n == 0;
}

void api_templates_community(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_engines *e = rq->srv->engines;
	const char *skip_s = api_query(rq, "skip"), *limit_s = api_query(rq, "limit");
	const char *name = api_query(rq, "name"), *search = api_query(rq, "search");
	long skip = 0, limit = 20;
	if (skip_s && !parse_int(skip_s, 0, 1000000, &skip)) {
		api_error(rq, rs, 400, "invalid_parameter", "skip must be an integer of 0 or more");
		return;
	}
	if (limit_s && !parse_int(limit_s, 1, 100, &limit)) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "limit must be an integer from 1 to 100");
		return;
	}
	if (!e || !e->have_templates) {
		api_error(rq, rs, 503, "service_unavailable", "Template catalogue is missing");
		return;
	}
	struct json_object *o = json_object_new_object(), *data = json_object_new_array();
	long matched = 0;
	for (size_t i = 0; i < e->templates.count; i++) {
		const struct tmpl_template *t = &e->templates.items[i];
		if (t->user || (name && !contains_nocase(t->name, name)) ||
		    (search && !tmpl_template_matches(t, search)))
			continue;
		if (matched++ < skip || matched > skip + limit)
			continue;
		struct json_object *item = json_object_new_object();
		json_object_object_add(item, "_id", json_object_new_string(t->id));
		json_object_object_add(item, "name", json_object_new_string(t->name));
		json_object_object_add(
		    item, "short_description",
		    json_object_new_string(t->short_description ? t->short_description : ""));
		json_object_array_add(data, item);
	}
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "count", json_object_new_int64(matched));
	api_json(rs, 200, o);
}

int srv_engines_icd10(struct srv *srv, const char *text, char **result_json, char *error_code,
                      size_t codelen, char *error_message, size_t msglen)
{
	struct srv_engines *e = srv->engines;
	if (!e || !e->coding) {
		snprintf(error_code, codelen, "service_unavailable");
		snprintf(error_message, msglen, "ICD-10 service configuration is missing");
		return DICTUM_OK;
	}
	struct icd_result r = {0};
	int result = icd_suggest(e->coding, text, NULL, &r);
	if (result) {
		icd_result_free(&r);
		snprintf(error_code, codelen, "icd10_error");
		snprintf(error_message, msglen, "ICD-10 coding failed");
		return result == DICTUM_NOMEM ? result : DICTUM_OK;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "icd10_codes", icd_result_json(&r));
	icd_result_free(&r);
	*result_json = str_dup_or_null(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return *result_json ? DICTUM_OK : DICTUM_NOMEM;
}

/* ---- seed 001: ICD-10 jobs ---- */

void api_icd10_submit(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *text = NULL, *hook = NULL;
	json_object_object_get_ex(rq->json, "text", &text);
	json_object_object_get_ex(rq->json, "webhook_url", &hook);
	const char *t =
	    json_object_is_type(text, json_type_string) ? json_object_get_string(text) : NULL;
	if (str_blank(t)) {
		api_error(rq, rs, 400, "invalid_request", "Invalid or blank text input");
		return;
	}
	const char *h = NULL;
	if (hook && !json_object_is_type(hook, json_type_null)) {
		h = json_object_is_type(hook, json_type_string) ? json_object_get_string(hook) : "";
		if (!api_webhook_url_ok(h)) {
			api_error(rq, rs, 400, "invalid_webhook_url",
			          "webhook_url must be an http(s) URL");
			return;
		}
	}
	if (!rq->srv->engines || !rq->srv->engines->coding) {
		api_error(rq, rs, 503, "service_unavailable",
		          "ICD-10 service configuration is missing");
		return;
	}
	struct json_object *in = json_object_new_object();
	json_object_object_add(in, "text", json_object_new_string(t));
	struct srv_job j = {0};
	j.org_id = rq->key.org_id;
	j.type = strdup("icd10.text");
	j.input = str_dup_or_null(json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN));
	j.webhook_url = str_dup_or_null(h);
	json_object_put(in);
	int result = !j.type || !j.input || (h && !j.webhook_url) ? DICTUM_NOMEM : DICTUM_OK;
	if (!result)
		result = api_job_submit(rq, &j, true);
	if (result) {
		api_store_error(rq, rs, result);
		srv_job_clear(&j);
		return;
	}
	api_job_accepted(rs, &j, "ICD-10", h);
	srv_job_clear(&j);
}

void api_icd10_get(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_job j;
	if (!api_job_of_type(rq, rs, "job", false, "icd10.text", "job_id", "ICD-10 job", &j))
		return;
	struct json_object *o = api_job_status_json(&j);
	struct json_object *res = j.status == SRV_JOB_COMPLETED && j.result
	                              ? json_tokener_parse(j.result)
	                              : NULL,
	                   *codes = NULL;
	if (res && json_object_object_get_ex(res, "icd10_codes", &codes))
		json_object_object_add(o, "icd10_codes", json_object_get(codes));
	json_object_put(res);
	if (j.status == SRV_JOB_FAILED) {
		json_object_object_add(
		    o, "error_code", json_object_new_string(j.error_code ? j.error_code : "error"));
		json_object_object_add(
		    o, "error_message",
		    json_object_new_string(j.error_message ? j.error_message : ""));
	}
	api_json(rs, 200, o);
	srv_job_clear(&j);
}

/* ---- billing of a stored note ---- */

void api_notes_billing(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id = rq->params.value[0];
	if (!srv_id_valid("note", id)) {
		api_error(rq, rs, 400, "invalid_id",
		          "Invalid note id format: expected note_ and 24 hex digits");
		return;
	}
	struct srv_note n;
	int result = srv_note_get(rq->db, rq->key.org_id, id, &n);
	if (result == DICTUM_NOTFOUND) {
		api_error(rq, rs, 404, "not_found", "No note %s", id);
		return;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	if (!rq->srv->engines || !rq->srv->engines->coding) {
		srv_note_clear(&n);
		api_error(rq, rs, 503, "service_unavailable",
		          "The coding engine is not configured");
		return;
	}
	/* The note's text as the coding engine reads it: headed sections. */
	struct dynbuf text;
	dynbuf_init(&text, 64u << 20);
	struct json_object *sections = json_tokener_parse(n.sections ? n.sections : "[]");
	size_t count =
	    json_object_is_type(sections, json_type_array) ? json_object_array_length(sections) : 0;
	for (size_t i = 0; i < count && !result; i++) {
		struct json_object *s = json_object_array_get_idx(sections, i), *t = NULL,
		                   *x = NULL;
		json_object_object_get_ex(s, "title", &t);
		json_object_object_get_ex(s, "text", &x);
		result = dynbuf_printf(&text, "%s:\n%s\n\n", json_object_get_string(t),
		                       json_object_get_string(x));
	}
	json_object_put(sections);
	struct billing_result b = {0};
	if (!result)
		result = coding_billing(rq->srv->engines->coding, dynbuf_str(&text), NULL, &b);
	dynbuf_free(&text);
	struct json_object *o = result ? NULL : billing_result_json(&b);
	billing_result_free(&b);
	if (!o) {
		srv_note_clear(&n);
		api_error(rq, rs, 500, "internal_error", "Billing failed (request %s)",
		          rq->request_id);
		return;
	}
	json_object_object_add(o, "note_id", json_object_new_string(n.uid));
	json_object_object_add(o, "version", json_object_new_int(n.version));
	struct srv_audit_row row;
	api_audit_row(rq, "note.billing", n.uid, &row);
	srv_audit_push(rq->srv->audit, &row);
	srv_note_clear(&n);
	api_json(rs, 200, o);
}

/* ---- seed 001: text summarisation ---- */

void api_upload_text(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_engines *e = rq->srv->engines;
	struct json_object *input = NULL, *extra = NULL, *hook = NULL, *type = NULL;
	json_object_object_get_ex(rq->json, "user_input", &input);
	json_object_object_get_ex(rq->json, "extra_information", &extra);
	json_object_object_get_ex(rq->json, "webhook_url", &hook);
	json_object_object_get_ex(rq->json, "noteType", &type);
	const char *t =
	    json_object_is_type(input, json_type_string) ? json_object_get_string(input) : NULL;
	if (str_blank(t)) {
		api_error(rq, rs, 400, "invalid_request",
		          "user_input is required and must not be blank");
		return;
	}
	if (extra && !json_object_is_type(extra, json_type_string) &&
	    !json_object_is_type(extra, json_type_null)) {
		api_error(rq, rs, 400, "invalid_field", "extra_information must be a string");
		return;
	}
	const char *h = hook && json_object_is_type(hook, json_type_string)
	                    ? json_object_get_string(hook)
	                    : NULL;
	if ((hook && !json_object_is_type(hook, json_type_null) && !h) ||
	    (h && !api_webhook_url_ok(h))) {
		api_error(rq, rs, 400, "invalid_webhook_url", "webhook_url must be an http(s) URL");
		return;
	}
	const char *note_type = type && json_object_is_type(type, json_type_string)
	                            ? json_object_get_string(type)
	                            : "clinicNote";
	if (!note_type_valid(note_type)) {
		api_error(rq, rs, 400, "invalid_note_type", "Unknown noteType");
		return;
	}
	if (!e || !e->have_notes) {
		api_error(rq, rs, 503, "service_unavailable",
		          "Summarization service is not configured");
		return;
	}
	char *summary = NULL;
	int result = srv_draft_text(rq->srv, t, note_type, &summary, NULL);
	if (result) {
		api_error(rq, rs, 500, "internal_error", "Summarization failed");
		return;
	}
	/* Everything else the caller sent is metadata, echoed and forwarded. */
	struct json_object *o = json_object_new_object(), *meta = json_object_new_object();
	json_object_object_foreach(rq->json, k, v)
	{
		if (strcmp(k, "user_input") != 0 && strcmp(k, "extra_information") != 0 &&
		    strcmp(k, "webhook_url") != 0 && strcmp(k, "noteType") != 0)
			json_object_object_add(meta, k, json_object_get(v));
	}
	json_object_object_add(o, "response", json_object_new_string(summary));
	free(summary);
	json_object_object_add(o, "webhook_url", h ? json_object_new_string(h) : NULL);
	json_object_object_add(o, "extra_information", json_object_get(extra));
	json_object_object_add(o, "metadata", meta);
	if (h) {
		const char *payload = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if ((result = srv_delivery_add(rq->db, rq->key.org_id, h, "completed", payload))) {
			json_object_put(o);
			api_store_error(rq, rs, result);
			return;
		}
		rq->kick_hooks = true;
	}
	api_json(rs, 200, o);
}
