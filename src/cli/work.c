#include "cli/work.h"
#include "asr/asr.h"
#include "cli/transcribe.h"
#include "core/error.h"
#include "core/log.h"
#include "core/note_format.h"
#include "core/util.h"
#include "notes/draft.h"
#include "sync/remote.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_WAIT_MS (10 * 60 * 1000)

/* The local engines' transcript and draft of a recording. */
static int local_draft(struct cli_ctx *ctx, struct note_engine *ne, bool *ne_loaded,
                       const char *path, const char *note_type, char **text, struct note *n)
{
	char err[512] = "";
	struct asr_transcript *t = NULL;
	int result = cli_transcribe_file(ctx, path, "sphinx", &t, err, sizeof(err));
	if (!result && !(*text = asr_transcript_text(t)))
		result = DICTUM_NOMEM;
	asr_transcript_free(&t);
	if (!result && !*ne_loaded) {
		if (!(result = note_engine_load(ne, NULL, err, sizeof(err))))
			*ne_loaded = true;
	}
	struct note_draft d = {0};
	if (!result && !(result = note_draft(ne, *text, note_type, NULL, NOTE_MODE_DICTATION, &d)))
		for (size_t i = 0; !result && i < d.note.nsections; i++)
			result =
			    note_add_section(n, d.note.sections[i].key, d.note.sections[i].title,
			                     d.note.sections[i].text);
	note_draft_clear(&d);
	if (result)
		log_warn("cli", "local engines: %s: %s", path,
		         err[0] ? err : dictum_strerror(result));
	return result;
}

static int server_sections(struct json_object *sections, struct note *n)
{
	int result = DICTUM_OK;
	size_t count = json_object_array_length(sections);
	for (size_t i = 0; i < count && !result; i++) {
		struct json_object *sec = json_object_array_get_idx(sections, i), *k, *t, *x;
		json_object_object_get_ex(sec, "key", &k);
		json_object_object_get_ex(sec, "title", &t);
		json_object_object_get_ex(sec, "text", &x);
		result = note_add_section(n, json_object_get_string(k), json_object_get_string(t),
		                          json_object_get_string(x));
	}
	return result;
}

/* Stores the transcript and, when the encounter has no note, the draft. */
static int keep(store *s, const struct recording *r, const char *engine, const char *text,
                struct note *n, struct cli_work_report *rep)
{
	int64_t tid = 0, notes = 0;
	int result = store_begin(s);
	if (!result)
		result = store_transcript_add(s, r->encounter_id, r->id, engine, text, NULL, &tid);
	if (!result)
		result = store_encounter_note_count(s, r->encounter_id, &notes);
	if (!result && notes == 0 && n->nsections) {
		n->encounter_id = r->encounter_id;
		if (!(result = store_note_save(s, n, cli_user())))
			rep->notes_made++;
	}
	if (!result)
		return store_commit(s);
	store_rollback(s);
	return result;
}

int cli_encounter_work(struct cli_ctx *ctx, store *s, struct sync_client *c,
                       struct cli_work_report *rep)
{
	struct recording *list = NULL;
	size_t count = 0;
	struct note_engine ne;
	bool ne_loaded = false;
	int result = store_recordings_untranscribed(s, "server", &list, &count);
	for (size_t i = 0; i < count && !result; i++) {
		const struct recording *r = &list[i];
		struct encounter e = {0};
		if ((result = store_encounter_get(s, r->encounter_id, &e)))
			break;
		const char *type =
		    e.note_type && note_type_valid(e.note_type) ? e.note_type : "clinicNote";
		struct note n = {.note_type = strdup(type)};
		char idem[96], *text = NULL;
		snprintf(idem, sizeof(idem), "draft-%s", r->uid);
		struct sync_remote_draft d = {0};
		result = n.note_type ? sync_remote_draft(c, r->path, type, idem, SERVER_WAIT_MS, &d)
		                     : DICTUM_NOMEM;
		const char *engine = "server";
		if (!result && d.state == SYNC_NET_OK) {
			text = d.transcript;
			d.transcript = NULL;
			result = server_sections(d.sections, &n);
		} else if (!result && d.failed) {
			log_warn("cli", "recording %s: the server did not draft it: %s", r->uid,
			         d.error);
			rep->failed++;
		} else if (!result) {
			log_info("cli", "recording %s: server unavailable (%s); local engines",
			         r->uid, d.error);
			engine = "sphinx";
			if (local_draft(ctx, &ne, &ne_loaded, r->path, type, &text, &n))
				rep->failed++;
		}
		if (!result && text && !(result = keep(s, r, engine, text, &n, rep))) {
			if (strcmp(engine, "server") == 0)
				rep->server++;
			else
				rep->local++;
		}
		sync_remote_draft_clear(&d);
		free(text);
		note_clear(&n);
		encounter_clear(&e);
	}
	if (result)
		cli_fail("sync: the encounters' recordings: %s", store_errmsg(s));
	if (ne_loaded)
		note_engine_clear(&ne);
	recordings_free(&list, count);
	return result;
}
