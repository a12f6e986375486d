#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/note_format.h"
#include "core/util.h"
#include "notes/draft.h"
#include "notes/tmpl.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Endpoints on the engines of the other modules: note drafting (notes/)
 * and the template catalogue. The engines are loaded once at start; a
 * missing one makes its endpoints answer 503. */

struct srv_engines {
	struct note_engine notes;
	bool have_notes;
	struct tmpl_list templates;
	bool have_templates;
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
	free(e);
	srv->engines = NULL;
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
	bool blank = true;
	for (const char *p = t; p && *p && blank; p++)
		blank = isspace((unsigned char)*p) != 0;
	if (blank) {
		api_error(rq, rs, 400, "missing_field",
		          "'text' (the transcript) is required and must not be blank");
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
