/* bench_store: the offline store at scale.
 * usage: bench_store [NOTES] [DIR]   (default 100000 notes in a temp folder)
 * Prints insert throughput and p50/p99 latencies of open, list, load and
 * full-text search. Notes are synthetic, of realistic clinic-note length. */
#include "core/lib.h"
#include "offline/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const complaints[] = {
    "chest pain",     "shortness of breath",
    "cough",          "headache",
    "abdominal pain", "back pain",
    "fatigue",        "dizziness",
    "knee pain",      "rash",
    "palpitations",   "fever",
    "sore throat",    "urinary frequency",
    "anxiety",        "low mood",
    "insomnia",       "joint swelling",
    "nausea",         "numbness in the left hand",
};
static const char *const drugs[] = {
    "metformin 500 mg twice daily", "lisinopril 10 mg daily",       "atorvastatin 40 mg nightly",
    "amlodipine 5 mg daily",        "levothyroxine 75 mcg daily",   "sertraline 50 mg daily",
    "albuterol inhaler as needed",  "gabapentin 300 mg at bedtime", "meloxicam 15 mg daily",
    "omeprazole 20 mg daily",       "furosemide 40 mg daily",       "apixaban 5 mg twice daily",
};
static const char *const findings[] = {
    "lungs clear to auscultation bilaterally",
    "regular rate and rhythm without murmur",
    "abdomen soft and nontender",
    "no peripheral edema",
    "tenderness over the medial joint line",
    "mild wheezing in the bases",
    "normal gait",
    "full range of motion",
    "erythematous macular rash on the trunk",
    "pupils equal and reactive",
};
static const char *const plans[] = {
    "obtain a basic metabolic panel and lipid panel",
    "order an echocardiogram",
    "refer to physical therapy",
    "start a trial of",
    "continue current medications",
    "follow up in three months",
    "schedule a colonoscopy",
    "check hemoglobin A1c",
    "recommend weight loss and exercise",
    "return precautions were discussed",
};

#define PICK(a) (a[(size_t)rand() % (sizeof(a) / sizeof(a[0]))])

static void fill_note(struct note *n, int64_t encounter, int i)
{
	char buf[4096];
	memset(n, 0, sizeof(*n));
	n->encounter_id = encounter;
	n->note_type = xstrdup(i % 3 ? "clinicNote" : "progressNote");
	snprintf(buf, sizeof(buf), "%s for %d days.", PICK(complaints), 1 + i % 14);
	note_add_section(n, "cc", "Chief Complaint", buf);
	snprintf(buf, sizeof(buf),
	         "The patient is a %d-year-old who presents with %s that began %d days ago. "
	         "Symptoms are worse with activity and improve with rest. The patient denies %s "
	         "and %s. Current medications include %s and %s. The patient reports good "
	         "adherence and no side effects. Visit number %d.",
	         25 + i % 60, PICK(complaints), 1 + i % 20, PICK(complaints), PICK(complaints),
	         PICK(drugs), PICK(drugs), i);
	note_add_section(n, "hpi", "History of Present Illness", buf);
	snprintf(buf, sizeof(buf),
	         "History of %s, treated with %s. Prior %s managed conservatively. Surgical "
	         "history includes an appendectomy in %d. Family history of %s in a parent.",
	         PICK(complaints), PICK(drugs), PICK(complaints), 1970 + i % 50, PICK(complaints));
	note_add_section(n, "pmh", "Past Medical History", buf);
	snprintf(buf, sizeof(buf), "%s; %s; %s; %s.", PICK(drugs), PICK(drugs), PICK(drugs),
	         PICK(drugs));
	note_add_section(n, "meds", "Medications", buf);
	snprintf(buf, sizeof(buf),
	         "Lives with family, works part time. Former smoker, quit %d years ago. Drinks "
	         "alcohol socially. Walks %d minutes most days.",
	         1 + i % 30, 10 + i % 50);
	note_add_section(n, "social", "Social History", buf);
	snprintf(buf, sizeof(buf), "Positive for %s. Negative for %s, %s and %s.", PICK(complaints),
	         PICK(complaints), PICK(complaints), PICK(complaints));
	note_add_section(n, "ros", "Review of Systems", buf);
	snprintf(buf, sizeof(buf),
	         "Blood pressure %d/%d, heart rate %d, temperature 98.%d. General: alert, in no "
	         "distress. %s. %s. %s.",
	         110 + i % 40, 70 + i % 20, 60 + i % 40, i % 10, PICK(findings), PICK(findings),
	         PICK(findings));
	note_add_section(n, "exam", "Physical Examination", buf);
	snprintf(buf, sizeof(buf),
	         "1. %s, likely benign. We will %s. 2. Chronic conditions stable; %s. Continue %s. "
	         "We will %s.",
	         PICK(complaints), PICK(plans), PICK(plans), PICK(drugs), PICK(plans));
	note_add_section(n, "plan", "Assessment and Plan", buf);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *ns, size_t n)
{
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("%-34s p50 %8.3f ms   p99 %8.3f ms   (n=%zu)\n", what, ns[n / 2] / 1e6,
	       ns[(n * 99) / 100] / 1e6, n);
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 100000;
	char dir[4096];
	if (argc > 2) {
		str_copy(dir, argv[2], sizeof(dir));
		mkdir_p(dir, 0700);
	} else {
		snprintf(dir, sizeof(dir), "%s/dictum-bench-XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			return 1;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/dictum.db", dir);
	srand(42);
	store *s = NULL;
	char err[1024];
	if (store_open(path, &s, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	printf("bench_store: %ld notes in %s\n", total, path);

	/* Patients and encounters, then notes in batches of 1000 per transaction. */
	int64_t patients[500];
	for (int i = 0; i < 500; i++) {
		struct patient p = {.first_name = xasprintf("Given%d", i),
		                    .last_name = xasprintf("Family%d", i)};
		store_patient_add(s, &p);
		patients[i] = p.id;
		patient_clear(&p);
	}
	size_t body_bytes = 0;
	uint64_t t0 = time_mono_ns();
	for (long i = 0; i < total; i++) {
		if (i % 1000 == 0 && store_begin(s) != DICTUM_OK)
			return 1;
		struct encounter e = {.patient_id = patients[i % 500]};
		store_encounter_add(s, &e);
		struct note n;
		fill_note(&n, e.id, (int)i);
		for (size_t k = 0; k < n.nsections; k++)
			body_bytes += strlen(n.sections[k].text);
		if (store_note_save(s, &n, "bench") != DICTUM_OK) {
			fprintf(stderr, "bench_store: save: %s\n", store_errmsg(s));
			return 1;
		}
		note_clear(&n);
		encounter_clear(&e);
		if (i % 1000 == 999 || i == total - 1)
			store_commit(s);
		if (i % 20000 == 19999)
			fprintf(stderr, "  %ld notes...\n", i + 1);
	}
	double secs = (double)(time_mono_ns() - t0) / 1e9;
	printf("%-34s %8.0f notes/s (%.1f s; mean note %zu bytes of text)\n",
	       "insert, 1000 per transaction", (double)total / secs, secs,
	       body_bytes / (size_t)(total ? total : 1));

	/* One transaction per save, as the workstation saves (fsync each). */
	enum { SINGLE = 300 };
	uint64_t *lat = calloc(2000, sizeof(*lat));
	t0 = time_mono_ns();
	for (int i = 0; i < SINGLE; i++) {
		struct encounter e = {.patient_id = patients[i % 500]};
		store_encounter_add(s, &e);
		struct note n;
		fill_note(&n, e.id, i);
		uint64_t a = time_mono_ns();
		store_note_save(s, &n, "bench");
		lat[i] = time_mono_ns() - a;
		note_clear(&n);
		encounter_clear(&e);
	}
	secs = (double)(time_mono_ns() - t0) / 1e9;
	printf("%-34s %8.0f notes/s\n", "insert, one transaction per save", SINGLE / secs);
	report("save one note (own transaction)", lat, SINGLE);
	store_close(&s);

	for (int i = 0; i < 50; i++) {
		uint64_t a = time_mono_ns();
		if (store_open(path, &s, err, sizeof(err)) != DICTUM_OK)
			return 1;
		lat[i] = time_mono_ns() - a;
		if (i < 49)
			store_close(&s);
	}
	report("open the store", lat, 50);

	for (int i = 0; i < 1000; i++) {
		struct note_summary *list = NULL;
		size_t count = 0;
		struct note_filter f = {.limit = 50, .status = -1};
		uint64_t a = time_mono_ns();
		store_note_list(s, &f, &list, &count);
		lat[i] = time_mono_ns() - a;
		if (count != 50)
			return fprintf(stderr, "list returned %zu\n", count), 1;
		note_summaries_free(&list, count);
	}
	report("list newest 50 notes", lat, 1000);

	for (int i = 0; i < 1000; i++) {
		struct note n = {0};
		int64_t id = 1 + rand() % total;
		uint64_t a = time_mono_ns();
		if (store_note_get(s, id, &n) != DICTUM_OK)
			return fprintf(stderr, "load %lld: %s\n", (long long)id, store_errmsg(s)),
			       1;
		lat[i] = time_mono_ns() - a;
		note_clear(&n);
	}
	report("load one note", lat, 1000);

	static const char *const queries[] = {
	    "echocardiogram", "metformin", "palpitations", "wheezing",   "colonoscopy",
	    "Family123",      "apixaban",  "knee pain",    "rash trunk", "insomnia",
	    "visit 4242",     "gabapent*", "chest pain",   "edema",      "hemoglobin A1c",
	};
	size_t nq = sizeof(queries) / sizeof(queries[0]), hits = 0;
	for (int i = 0; i < 1500; i++) {
		struct note_summary *list = NULL;
		size_t count = 0;
		uint64_t a = time_mono_ns();
		if (store_note_search(s, queries[(size_t)i % nq], 50, &list, &count) != DICTUM_OK)
			return fprintf(stderr, "search: %s\n", store_errmsg(s)), 1;
		lat[i] = time_mono_ns() - a;
		hits += count;
		note_summaries_free(&list, count);
	}
	report("full-text search (50 newest hits)", lat, 1500);
	printf("%-34s %.1f hits per query\n", "", (double)hits / 1500);
	store_close(&s);
	free(lat);
	if (argc <= 2) {
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
