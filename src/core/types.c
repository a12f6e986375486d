#include "core/types.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const encounter_names[] = {"recording", "draft", "signed", "synced", "conflict"};
static const char *const note_names[] = {"draft", "signed"};
static const char *const sync_names[] = {"local", "queued", "synced", "conflict"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static int parse(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *encounter_status_name(enum encounter_status s)
{
	return name_of(encounter_names, COUNT(encounter_names), (int)s);
}

const char *note_status_name(enum note_status s)
{
	return name_of(note_names, COUNT(note_names), (int)s);
}

const char *sync_state_name(enum sync_state s)
{
	return name_of(sync_names, COUNT(sync_names), (int)s);
}

int encounter_status_parse(const char *name)
{
	return parse(encounter_names, COUNT(encounter_names), name);
}

int note_status_parse(const char *name)
{
	return parse(note_names, COUNT(note_names), name);
}

int sync_state_parse(const char *name)
{
	return parse(sync_names, COUNT(sync_names), name);
}

int note_copy_identity(struct note *out, const struct note *orig)
{
	memset(out, 0, sizeof(*out));
	out->id = orig->id;
	memcpy(out->uid, orig->uid, sizeof(out->uid));
	out->encounter_id = orig->encounter_id;
	out->version = orig->version;
	out->status = orig->status;
	out->sync = orig->sync;
	out->note_type = str_dup_or_null(orig->note_type);
	out->specialty = str_dup_or_null(orig->specialty);
	if (!out->note_type || (orig->specialty && !out->specialty)) {
		note_clear(out);
		return DICTUM_NOMEM;
	}
	return DICTUM_OK;
}

int note_add_section(struct note *n, const char *key, const char *title, const char *text)
{
	struct note_section *s = realloc(n->sections, (n->nsections + 1) * sizeof(*s));
	if (!s)
		return DICTUM_NOMEM;
	n->sections = s;
	struct note_section *sec = &s[n->nsections];
	sec->key = strdup(key ? key : "");
	sec->title = strdup(title ? title : "");
	sec->text = strdup(text ? text : "");
	if (!sec->key || !sec->title || !sec->text) {
		free(sec->key);
		free(sec->title);
		free(sec->text);
		return DICTUM_NOMEM;
	}
	n->nsections++;
	return DICTUM_OK;
}

void note_clear(struct note *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nsections; i++) {
		free(n->sections[i].key);
		free(n->sections[i].title);
		free(n->sections[i].text);
	}
	free(n->sections);
	free(n->note_type);
	free(n->specialty);
	free(n->server_id);
	free(n->signed_by);
	memset(n, 0, sizeof(*n));
}

void note_free(struct note **n)
{
	if (!n || !*n)
		return;
	note_clear(*n);
	free(*n);
	*n = NULL;
}

void patient_clear(struct patient *p)
{
	free(p->first_name);
	free(p->last_name);
	free(p->birth_date);
	free(p->mrn);
	free(p->email);
	memset(p, 0, sizeof(*p));
}

void encounter_clear(struct encounter *e)
{
	free(e->patient_name);
	free(e->note_type);
	free(e->specialty);
	free(e->provider);
	memset(e, 0, sizeof(*e));
}

void note_summaries_free(struct note_summary **list, size_t n)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*list)[i].patient_name);
		free((*list)[i].note_type);
		free((*list)[i].snippet);
	}
	free(*list);
	*list = NULL;
}

void patients_free(struct patient **list, size_t n)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < n; i++)
		patient_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}

void encounters_free(struct encounter **list, size_t n)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < n; i++)
		encounter_clear(&(*list)[i]);
	free(*list);
	*list = NULL;
}
