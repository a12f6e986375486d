/* bench_sync: pushes 1,000 new notes from one workstation store to a
 * running dictum serve, pulls them into a second store, then pushes an
 * edit of each and pulls the 1,000 changed notes; prints the time and the
 * HTTP requests of each step. Run through bench_sync.sh, which starts the
 * server on loopback.
 *   bench_sync URL API_KEY WORK_DIR [NOTES] */
#include "core/lib.h"
#include "offline/store.h"
#include "sync/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int seed(store *s, long n, int64_t **ids)
{
	struct patient p = {.first_name = "Bench", .last_name = "Patient"};
	int result = store_patient_add(s, &p);
	*ids = calloc((size_t)n, sizeof(**ids));
	if (!*ids)
		return DICTUM_NOMEM;
	if (!result)
		result = store_begin(s);
	for (long i = 0; !result && i < n; i++) {
		struct encounter e = {.patient_id = p.id, .status = ENCOUNTER_DRAFT};
		struct note note = {0};
		char text[160];
		snprintf(text, sizeof(text),
		         "Bench note %ld: cough for %ld days, no fever, lungs clear.", i,
		         i % 9 + 1);
		if (!(result = store_encounter_add(s, &e)) &&
		    !(result =
		          note_add_section(&note, "hpi", "History of Present Illness", text))) {
			note.encounter_id = e.id;
			note.note_type = "clinicNote";
			result = store_note_save(s, &note, "bench");
			(*ids)[i] = note.id;
			note.note_type = NULL;
		}
		note_clear(&note);
	}
	return result ? (store_rollback(s), result) : store_commit(s);
}

static int edit_all(store *s, const int64_t *ids, long n)
{
	int result = store_begin(s);
	for (long i = 0; !result && i < n; i++) {
		struct note note;
		if ((result = store_note_get(s, ids[i], &note)))
			break;
		char *t = strdup("Edited: cough better, plan unchanged.");
		if (!t) {
			result = DICTUM_NOMEM;
		} else {
			free(note.sections[0].text);
			note.sections[0].text = t;
			result = store_note_save(s, &note, "bench");
		}
		note_clear(&note);
	}
	return result ? (store_rollback(s), result) : store_commit(s);
}

static int step(const char *what, store *s, struct sync_client *c, bool no_pull, size_t want,
                size_t (*count)(const struct sync_report *))
{
	struct sync_options opt = {.no_pull = no_pull};
	struct sync_report r;
	uint64_t t0 = time_mono_ns();
	int result = sync_once(s, c, &opt, &r);
	double secs = (double)(time_mono_ns() - t0) / 1e9;
	size_t got = count(&r);
	printf("%-34s %6.2f s  %5lu requests  %5zu notes  (%s)\n", what, secs, r.requests, got,
	       sync_net_state_name(r.state));
	if (result || r.state != SYNC_NET_OK || got != want) {
		fprintf(stderr, "bench_sync: %s: %s\n", what,
		        r.message[0] ? r.message : dictum_strerror(result));
		return 1;
	}
	return 0;
}

static size_t pushed(const struct sync_report *r)
{
	return r->pushed;
}
static size_t pulled_new(const struct sync_report *r)
{
	return r->pulled_new;
}
static size_t pulled_updated(const struct sync_report *r)
{
	return r->pulled_updated;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bench_sync URL API_KEY WORK_DIR [NOTES]\n");
		return 2;
	}
	long n = argc > 4 ? atol(argv[4]) : 1000;
	char p1[1024], p2[1024], err[512];
	snprintf(p1, sizeof(p1), "%s/ws1.db", argv[3]);
	snprintf(p2, sizeof(p2), "%s/ws2.db", argv[3]);
	store *s1 = NULL, *s2 = NULL;
	struct sync_client *c1 = NULL, *c2 = NULL;
	struct sync_client_config cfg = {.url = argv[1], .api_key = argv[2]};
	int64_t *ids = NULL;
	int status = 1;
	if (store_open(p1, &s1, err, sizeof(err)) || store_open(p2, &s2, err, sizeof(err)) ||
	    sync_client_new(&cfg, &c1, err, sizeof(err)) ||
	    sync_client_new(&cfg, &c2, err, sizeof(err))) {
		fprintf(stderr, "bench_sync: %s\n", err);
		goto out;
	}
	uint64_t t0 = time_mono_ns();
	if (seed(s1, n, &ids)) {
		fprintf(stderr, "bench_sync: seeding: %s\n", store_errmsg(s1));
		goto out;
	}
	printf("%-34s %6.2f s  (%ld notes written offline, not timed below)\n", "seed",
	       (double)(time_mono_ns() - t0) / 1e9, n);
	if (step("push new notes (ws1)", s1, c1, true, (size_t)n, pushed) ||
	    step("pull new notes (ws2)", s2, c2, false, (size_t)n, pulled_new))
		goto out;
	if (edit_all(s1, ids, n)) {
		fprintf(stderr, "bench_sync: editing: %s\n", store_errmsg(s1));
		goto out;
	}
	if (step("push edits (ws1)", s1, c1, true, (size_t)n, pushed) ||
	    step("pull changed notes (ws2)", s2, c2, false, (size_t)n, pulled_updated))
		goto out;
	status = 0;
out:
	free(ids);
	sync_client_free(&c1);
	sync_client_free(&c2);
	store_close(&s1);
	store_close(&s2);
	return status;
}
