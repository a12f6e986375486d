/* Test and benchmark helper for sync: makes many notes quickly, edits a
 * note by uid, and runs sync_once in-process.
 *   sync_tool seed DB N [TYPE]       N notes for one new patient (batches of 100)
 *   sync_tool edit DB UID TEXT       the note's first section becomes TEXT
 *   sync_tool text DB UID            prints the note's first section
 *   sync_tool recording DB PATH [ENC] registers PATH as a finished recording of
 *                                    encounter ENC (default: the first note's)
 *   sync_tool transcript DB TEXT     a transcript (engine "text") of the first
 *                                    note's encounter
 *   sync_tool encounter DB TYPE      a new patient's encounter without a note;
 *                                    prints its id
 */
#include "core/lib.h"
#include "offline/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int seed(store *s, long n, const char *type)
{
	struct patient p = {.first_name = "Sync", .last_name = "Tester"};
	int result = store_patient_add(s, &p);
	for (long i = 0; !result && i < n; i++) {
		if (i % 100 == 0 && (result = store_begin(s)))
			break;
		struct encounter e = {.patient_id = p.id, .status = ENCOUNTER_DRAFT};
		struct note note = {.note_type = (char *)type};
		char text[128];
		snprintf(text, sizeof(text), "Seeded note %ld: cough for %ld days.", i, i % 9 + 1);
		if (!(result = store_encounter_add(s, &e)) &&
		    !(result =
		          note_add_section(&note, "hpi", "History of Present Illness", text))) {
			note.encounter_id = e.id;
			result = store_note_save(s, &note, "seed");
		}
		note.note_type = NULL;
		note_clear(&note);
		if (!result && (i % 100 == 99 || i == n - 1))
			result = store_commit(s);
	}
	return result;
}

static int edit(store *s, const char *uid, const char *text)
{
	struct note n;
	int result = store_note_get_by_uid(s, uid, &n);
	if (result)
		return result;
	if (n.nsections == 0)
		result = note_add_section(&n, "hpi", "History of Present Illness", text);
	else {
		char *t = strdup(text);
		if (!t)
			result = DICTUM_NOMEM;
		else {
			free(n.sections[0].text);
			n.sections[0].text = t;
		}
	}
	if (!result)
		result = store_note_save(s, &n, "tester");
	note_clear(&n);
	return result;
}

static int text(store *s, const char *uid)
{
	struct note n;
	int result = store_note_get_by_uid(s, uid, &n);
	if (result)
		return result;
	printf("%s\n", n.nsections ? n.sections[0].text : "");
	note_clear(&n);
	return DICTUM_OK;
}

static int encounter(store *s, const char *type)
{
	struct patient p = {.first_name = "Server", .last_name = "Engine"};
	int result = store_patient_add(s, &p);
	struct encounter e = {.patient_id = p.id, .note_type = (char *)type};
	if (!result && !(result = store_encounter_add(s, &e)))
		printf("%lld\n", (long long)e.id);
	p.first_name = p.last_name = NULL;
	patient_clear(&p);
	return result;
}

static int64_t first_encounter(store *s)
{
	struct note_summary *list = NULL;
	size_t count = 0;
	struct note_filter f = {.limit = 1000, .status = -1};
	int64_t id = store_note_list(s, &f, &list, &count) == DICTUM_OK && count
	                 ? list[count - 1].encounter_id
	                 : 0;
	note_summaries_free(&list, count);
	return id;
}

static int transcript(store *s, const char *text)
{
	int64_t id = 0;
	return store_transcript_add(s, first_encounter(s), 0, "text", text, NULL, &id);
}

static int recording(store *s, const char *path, int64_t enc)
{
	struct recording r = {.path = (char *)path, .sample_rate = 16000, .channels = 1};
	r.encounter_id = enc ? enc : first_encounter(s);
	int result = store_recording_begin(s, &r);
	if (!result)
		result = store_recording_finish(s, r.id, 1000, NULL, RECORDING_COMPLETE);
	if (!result)
		printf("%s\n", r.uid);
	return result;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
		        "usage: sync_tool seed DB N [TYPE] | edit DB UID TEXT | text DB UID | "
		        "recording DB PATH\n");
		return 2;
	}
	store *s = NULL;
	char err[512];
	if (store_open(argv[2], &s, err, sizeof(err))) {
		fprintf(stderr, "sync_tool: %s\n", err);
		return 1;
	}
	int result;
	if (strcmp(argv[1], "seed") == 0)
		result = seed(s, atol(argv[3]), argc > 4 ? argv[4] : "clinicNote");
	else if (strcmp(argv[1], "edit") == 0 && argc > 4)
		result = edit(s, argv[3], argv[4]);
	else if (strcmp(argv[1], "text") == 0)
		result = text(s, argv[3]);
	else if (strcmp(argv[1], "recording") == 0)
		result = recording(s, argv[3], argc > 4 ? atol(argv[4]) : 0);
	else if (strcmp(argv[1], "transcript") == 0)
		result = transcript(s, argv[3]);
	else if (strcmp(argv[1], "encounter") == 0)
		result = encounter(s, argv[3]);
	else
		result = DICTUM_INVAL;
	if (result)
		fprintf(stderr, "sync_tool: %s: %s\n", dictum_strerror(result), store_errmsg(s));
	store_close(&s);
	return result ? 1 : 0;
}
