/* bench_codes: ICD-10-CM suggestion quality and speed.
 * usage: bench_codes [--split dev|train] [--errors N] [SHARED_DATA_DIR]
 *        (default: dev, ../shared/data beside the source tree)
 * Imports the official FY code table into a temporary store, runs
 * icd_suggest over a CodiEsp split (dev: 250 English case reports) and
 * compares with the gold diagnosis codes (upper case, no dot): micro
 * precision, recall and F1, also for each half of the split (documents in
 * name order, even and odd positions); in the same run the plain baseline
 * (every code whose full description appears word for word in the text);
 * then search latency p50/p99 over the full table and suggest time per
 * document. --errors N prints the N gold codes missed most often (with the
 * context that kept one mention out, if any) and the N most frequent false
 * positives (with one evidence each).
 * BENCH_CODES_DUMP=1 writes each suggestion (doc, code, TP/FP, evidence,
 * score, note, span start)
 * to standard error. */
#include "coding/coding.h"
#include "core/lib.h"
#include "offline/store.h"
#include "offline/store_icd10.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct doc {
	char id[64];
	char *text;
	char **gold;
	size_t ngold;
};

struct desc {
	char code[8];
	char *norm; /* " words of the description " */
};

struct counts {
	long tp, fp, fn;
};

/* CPU time of this thread: the cost of a query without the waits that
 * other processes on a loaded machine add to wall time. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Lower case, every run of non-alphanumerics one space, padded with spaces. */
static char *normalise(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 3), *p = o;
	*p++ = ' ';
	for (; *s; s++) {
		if (isalnum((unsigned char)*s))
			*p++ = (char)tolower((unsigned char)*s);
		else if (p[-1] != ' ')
			*p++ = ' ';
	}
	if (p[-1] != ' ')
		*p++ = ' ';
	*p = '\0';
	return o;
}

static void undot_upper(const char *in, char *out, size_t size)
{
	size_t k = 0;
	for (; *in && k < size - 1; in++)
		if (*in != '.' && !isspace((unsigned char)*in))
			out[k++] = (char)toupper((unsigned char)*in);
	out[k] = '\0';
}

static struct doc *find_doc(struct doc *docs, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(docs[i].id, id) == 0)
			return &docs[i];
	return NULL;
}

static bool in_list(char **list, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], code) == 0)
			return true;
	return false;
}

/* Gold codes of 2018 that FY2026 split (R51 -> R51.9, M54.5 -> M54.50):
 * with tolerant set, a predicted code under a gold code that is no longer
 * billable matches it. */
static store *tolerant;

static bool matches(const char *gold, const char *pred)
{
	if (strcmp(gold, pred) == 0)
		return true;
	if (!tolerant || strncmp(pred, gold, strlen(gold)) != 0)
		return false;
	struct icd10_row row;
	if (store_icd10_get(tolerant, gold, &row) == DICTUM_OK) {
		icd10_row_clear(&row);
		return false;
	}
	return true;
}

static bool in_gold(char **list, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (matches(list[i], code))
			return true;
	return false;
}

static bool gold_found(char **pred, size_t n, const char *gold)
{
	for (size_t i = 0; i < n; i++)
		if (matches(gold, pred[i]))
			return true;
	return false;
}

/* The suggested codes upper case without dots, as the gold lists them
 * (malloc'ed array of malloc'ed strings). */
static char **codes_of(const struct icd_result *r)
{
	char **v = xcalloc(r->ncodes + 1, sizeof(*v));
	for (size_t k = 0; k < r->ncodes; k++) {
		char code[16];
		undot_upper(r->codes[k].code, code, sizeof(code));
		v[k] = xstrdup(code);
	}
	return v;
}

static void score(struct counts *c, char **pred, size_t npred, const struct doc *d)
{
	for (size_t i = 0; i < npred; i++) {
		if (in_list(pred, i, pred[i]))
			continue;
		if (in_gold(d->gold, d->ngold, pred[i]))
			c->tp++;
		else
			c->fp++;
	}
	for (size_t i = 0; i < d->ngold; i++)
		if (!gold_found(pred, npred, d->gold[i]))
			c->fn++;
}

/* The same at the level of 3-character categories: how many differences
 * are of specificity only (I48.91 for I48.20, N19 for N17.9 is not). */
static bool in_cats(char (*cats)[4], size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(cats[i], code, 3) == 0)
			return true;
	return false;
}

static void score_categories(struct counts *c, char **pred, size_t npred, const struct doc *d)
{
	char(*pc)[4] = xcalloc(npred + 1, 4), (*gc)[4] = xcalloc(d->ngold + 1, 4);
	size_t np = 0, ng = 0;
	for (size_t i = 0; i < npred; i++)
		if (!in_cats(pc, np, pred[i]))
			str_copy(pc[np++], pred[i], 4);
	for (size_t i = 0; i < d->ngold; i++)
		if (!in_cats(gc, ng, d->gold[i]))
			str_copy(gc[ng++], d->gold[i], 4);
	for (size_t i = 0; i < np; i++) {
		if (in_cats(gc, ng, pc[i]))
			c->tp++;
		else
			c->fp++;
	}
	for (size_t i = 0; i < ng; i++)
		if (!in_cats(pc, np, gc[i]))
			c->fn++;
	free(pc);
	free(gc);
}

static void report(const char *name, const struct counts *c)
{
	double p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0;
	double r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 0;
	double f = p + r ? 2 * p * r / (p + r) : 0;
	printf("%-34s precision %.3f  recall %.3f  F1 %.3f   (tp %ld, fp %ld, fn %ld)\n", name, p,
	       r, f, c->tp, c->fp, c->fn);
}

/* Error analysis: how often each code was missed or wrongly suggested. */
struct tally {
	char code[16];
	long n;
	char example[72];
};
struct tallies {
	struct tally *v;
	size_t n, cap;
};

static void tally_add(struct tallies *t, const char *code, const char *example)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].code, code) == 0) {
			t->v[i].n++;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	struct tally *e = &t->v[t->n++];
	str_copy(e->code, code, sizeof(e->code));
	e->n = 1;
	size_t k = 0;
	for (; example && example[k] && k < sizeof(e->example) - 1; k++)
		e->example[k] = example[k] == '\n' || example[k] == '\t' ? ' ' : example[k];
	e->example[k] = '\0';
}

static int cmp_tally(const void *a, const void *b)
{
	const struct tally *x = a, *y = b;
	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->code, y->code);
}

static void tally_print(const char *title, struct tallies *t, size_t top, store *s, long total)
{
	qsort(t->v, t->n, sizeof(*t->v), cmp_tally);
	printf("\n%s (%zu distinct codes, %ld in all):\n", title, t->n, total);
	for (size_t i = 0; i < t->n && i < top; i++) {
		struct icd10_row row;
		bool have = store_icd10_get(s, t->v[i].code, &row) == DICTUM_OK;
		printf("%5ld  %-8s %-52.52s %s%s%s\n", t->v[i].n, t->v[i].code,
		       have ? row.description : "(not a FY2026 billable code)",
		       *t->v[i].example ? "\"" : "", t->v[i].example, *t->v[i].example ? "\"" : "");
		if (have)
			icd10_row_clear(&row);
	}
}

static int cmp_doc(const void *a, const void *b)
{
	return strcmp(((const struct doc *)a)->id, ((const struct doc *)b)->id);
}

struct descs {
	struct desc *v;
	size_t n, cap;
};

static int collect(void *ctx, const char *code, const char *description, const char *synonyms,
                   bool curated)
{
	struct descs *d = ctx;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 65536;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	str_copy(d->v[d->n].code, code, sizeof(d->v[d->n].code));
	d->v[d->n++].norm = normalise(description);
	return DICTUM_OK;
}

int main(int argc, char **argv)
{
	char shared[2048], path[8192], err[512] = "";
	const char *split = "dev", *dir_arg = DICTUM_SOURCE_DATADIR "/../shared/data";
	size_t top = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--split") == 0 && i + 1 < argc &&
		    (strcmp(argv[i + 1], "dev") == 0 || strcmp(argv[i + 1], "train") == 0)) {
			split = argv[++i];
		} else if (strcmp(argv[i], "--errors") == 0 && i + 1 < argc &&
		           atoi(argv[i + 1]) > 0) {
			top = (size_t)atoi(argv[++i]);
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: bench_codes [--split dev|train] [--errors N] "
			                "[SHARED_DATA_DIR]\n");
			return 2;
		} else {
			dir_arg = argv[i];
		}
	}
	snprintf(shared, sizeof(shared), "%s", dir_arg);
	snprintf(path, sizeof(path), "%s/icd10cm/icd10cm-codes-2026.txt.gz", shared);
	if (!path_exists(path)) {
		fprintf(stderr, "bench_codes: %s not found (pass the shared data folder)\n", path);
		return 1;
	}
	char tmpl[] = "/tmp/dictum-bench-codes-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char db[4200];
	snprintf(db, sizeof(db), "%s/dictum.db", dir);
	store *s = NULL;
	struct coding *c = NULL;
	if (store_open(db, &s, err, sizeof(err)) || coding_open(s, &c, err, sizeof(err))) {
		fprintf(stderr, "bench_codes: %s\n", err);
		return 1;
	}
	coding_close(&c);
	uint64_t t0 = time_mono_ns();
	size_t imported = 0;
	if (icd_import_file(s, path, NULL, &imported, err, sizeof(err))) {
		fprintf(stderr, "bench_codes: %s\n", err);
		return 1;
	}
	uint64_t t1 = time_mono_ns();
	if (coding_open(s, &c, err, sizeof(err))) {
		fprintf(stderr, "bench_codes: %s\n", err);
		return 1;
	}
	uint64_t t2 = time_mono_ns();
	printf("official table: %zu codes imported in %.2f s; matcher over %zu codes, %zu phrases "
	       "built in %.2f s\n",
	       imported, (double)(t1 - t0) / 1e9, coding_code_count(c), coding_phrase_count(c),
	       (double)(t2 - t1) / 1e9);

	/* The CodiEsp split. */
	size_t ndocs = 0, capdocs = 0;
	struct doc *docs = NULL;
	snprintf(path, sizeof(path), "%s/codiesp/%s/text_files_en", shared, split);
	DIR *dp = opendir(path);
	if (!dp) {
		fprintf(stderr, "bench_codes: %s not found\n", path);
		return 1;
	}
	for (struct dirent *e; (e = readdir(dp));) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
			continue;
		if (ndocs == capdocs) {
			capdocs = capdocs ? capdocs * 2 : 256;
			docs = xrealloc(docs, capdocs * sizeof(*docs));
		}
		struct doc *d = &docs[ndocs];
		memset(d, 0, sizeof(*d));
		snprintf(d->id, sizeof(d->id), "%.*s", (int)(l - 4), e->d_name);
		char file[8704];
		size_t len;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		if (file_read_all(file, (size_t)1 << 24, &d->text, &len) == 0)
			ndocs++;
	}
	closedir(dp);
	if (ndocs)
		qsort(docs, ndocs, sizeof(*docs), cmp_doc);
	snprintf(path, sizeof(path), "%s/codiesp/%s/%sD.tsv", shared, split, split);
	FILE *g = fopen(path, "r");
	if (!g) {
		fprintf(stderr, "bench_codes: %s not found\n", path);
		return 1;
	}
	char line[512];
	size_t ngold = 0;
	while (fgets(line, sizeof(line), g)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		struct doc *d = find_doc(docs, ndocs, line);
		if (!d)
			continue;
		char code[16];
		undot_upper(tab + 1, code, sizeof(code));
		if (in_list(d->gold, d->ngold, code))
			continue;
		d->gold = xrealloc(d->gold, (d->ngold + 1) * sizeof(*d->gold));
		d->gold[d->ngold++] = xstrdup(code);
		ngold++;
	}
	fclose(g);
	printf("CodiEsp %s: %zu documents, %zu gold diagnosis codes\n\n", split, ndocs, ngold);

	struct descs all = {0};
	store_icd10_each(s, collect, &all);

	struct counts ours = {0}, base = {0}, ours_tol = {0}, ours_inpatient = {0}, half[2] = {{0}};
	struct tallies fns = {0}, fps = {0};
	/* the precision/recall curve of the score */
	static const double thresholds[] = {0.7, 0.75, 0.8, 0.85, 0.9, 0.95};
	enum { NTHRESHOLDS = sizeof(thresholds) / sizeof(*thresholds) };
	struct counts cat = {0}, at[NTHRESHOLDS] = {{0}};
	long held_back = 0; /* gold codes found but kept out by their context */
	double *ms = xcalloc(ndocs ? ndocs : 1, sizeof(*ms));
	double *ms_cpu = xcalloc(ndocs ? ndocs : 1, sizeof(*ms_cpu));
	size_t chars = 0;
	for (size_t i = 0; i < ndocs; i++) {
		struct doc *d = &docs[i];
		struct icd_result r;
		uint64_t a = time_mono_ns(), ca = cpu_ns();
		if (icd_suggest(c, d->text, NULL, &r)) {
			fprintf(stderr, "bench_codes: suggest failed\n");
			return 1;
		}
		ms[i] = (double)(time_mono_ns() - a) / 1e6;
		ms_cpu[i] = (double)(cpu_ns() - ca) / 1e6;
		chars += strlen(d->text);
		char **pred = codes_of(&r);
		score(&ours, pred, r.ncodes, d);
		for (int k = 0; k < NTHRESHOLDS; k++) {
			/* only the suggestions scored at or above the threshold */
			char **hi = xcalloc(r.ncodes + 1, sizeof(*hi));
			size_t nhi = 0;
			for (size_t j = 0; j < r.ncodes; j++)
				if (r.codes[j].score >= thresholds[k] - 1e-9)
					hi[nhi++] = pred[j];
			score(&at[k], hi, nhi, d);
			free(hi);
		}
		score_categories(&cat, pred, r.ncodes, d);
		score(&half[i % 2], pred, r.ncodes, d);
		for (size_t k = 0; top && k < r.ncodes; k++)
			if (!in_list(pred, k, pred[k]) && !in_list(d->gold, d->ngold, pred[k]))
				tally_add(&fps, pred[k], r.codes[k].evidence);
		for (size_t k = 0; k < d->ngold; k++) {
			if (in_list(pred, r.ncodes, d->gold[k]))
				continue;
			char why[96] = "";
			for (size_t j = 0; j < r.nskipped && !*why; j++) {
				char sk[16];
				undot_upper(r.skipped[j].code, sk, sizeof(sk));
				if (strcmp(sk, d->gold[k]) == 0)
					snprintf(why, sizeof(why), "%s: %.60s",
					         icd_context_name(r.skipped[j].context),
					         r.skipped[j].evidence);
			}
			if (*why)
				held_back++;
			if (top)
				tally_add(&fns, d->gold[k], why);
		}
		tolerant = s;
		score(&ours_tol, pred, r.ncodes, d);
		tolerant = NULL;
		/* the same under the inpatient rules: an uncertain diagnosis is
		 * coded as if established (case reports are hospital stays) */
		struct icd_result ri;
		const struct icd_options inpatient = {.inpatient = true};
		if (icd_suggest(c, d->text, &inpatient, &ri) == DICTUM_OK) {
			char **pi = codes_of(&ri);
			score(&ours_inpatient, pi, ri.ncodes, d);
			for (size_t k = 0; k < ri.ncodes; k++)
				free(pi[k]);
			free(pi);
			icd_result_free(&ri);
		}
		if (getenv("BENCH_CODES_DUMP"))
			for (size_t k = 0; k < r.ncodes; k++)
				fprintf(stderr, "%s\t%s\t%s\t%s\t%.2f\t%s\t%d\n", d->id, pred[k],
				        in_list(d->gold, d->ngold, pred[k]) ? "TP" : "FP",
				        r.codes[k].evidence, r.codes[k].score,
				        r.codes[k].note ? r.codes[k].note : "",
				        r.codes[k].span_start);
		/* and each mention held back, HELD (gold has the code) or HELD-OK */
		for (size_t k = 0; getenv("BENCH_CODES_DUMP") && k < r.nskipped; k++) {
			char sk[16];
			undot_upper(r.skipped[k].code, sk, sizeof(sk));
			fprintf(stderr, "%s\t%s\t%s\t%s\t0\t%s\n", d->id, sk,
			        in_list(d->gold, d->ngold, sk) ? "HELD" : "HELD-OK",
			        r.skipped[k].evidence, icd_context_name(r.skipped[k].context));
		}
		for (size_t k = 0; k < r.ncodes; k++)
			free(pred[k]);
		free(pred);
		icd_result_free(&r);

		char *norm = normalise(d->text);
		size_t nb = 0, capb = 16;
		char **bpred = xcalloc(capb, sizeof(*bpred));
		for (size_t k = 0; k < all.n; k++)
			if (strstr(norm, all.v[k].norm)) {
				if (nb == capb) {
					capb *= 2;
					bpred = xrealloc(bpred, capb * sizeof(*bpred));
				}
				bpred[nb++] = all.v[k].code;
			}
		score(&base, bpred, nb, d);
		free(bpred);
		free(norm);
	}
	report("dictum icd10 suggest", &ours);
	report("  half A (even positions by name)", &half[0]);
	report("  half B (odd positions by name)", &half[1]);
	report("baseline: full description in text", &base);
	report("suggest, 2018 gold codes split since", &ours_tol);
	report("suggest, inpatient rules", &ours_inpatient);
	report("suggest, 3-character categories", &cat);
	for (int k = 0; k < NTHRESHOLDS; k++) {
		char label[48];
		snprintf(label, sizeof(label), "suggest, only scores >= %.2f", thresholds[k]);
		report(label, &at[k]);
	}
	printf("gold codes missed whose mention suggest found but kept out as negated, uncertain, "
	       "family or past: %ld\n",
	       held_back);
	printf("suggest time per document (avg %zu chars): p50 %.2f ms, p99 %.2f ms\n",
	       ndocs ? chars / ndocs : 0, pct(ms, ndocs, 0.5), pct(ms, ndocs, 0.99));
	printf("  CPU time: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n\n", pct(ms_cpu, ndocs, 0.5),
	       pct(ms_cpu, ndocs, 0.99), pct(ms_cpu, ndocs, 1.0));

	if (top) {
		tally_print("gold codes missed most often", &fns, top, s, ours.fn);
		tally_print("false positives most often", &fps, top, s, ours.fp);
		printf("\n");
	}
	free(fns.v);
	free(fps.v);

	/* Search latency over the full table: word queries and code prefixes. */
	enum { QUERIES = 2000 };
	double *lat = xcalloc(QUERIES, sizeof(*lat)), *cpu = xcalloc(QUERIES, sizeof(*cpu));
	double *lat_run = xcalloc(QUERIES, sizeof(*lat_run));
	struct {
		int preempted, blocked, major, nrun;
		long minor;
	} waits = {0};
	for (int q = 0; q < QUERIES; q++) {
		const struct desc *d = &all.v[((size_t)q * 7919u) % all.n];
		char query[128];
		if (q % 4 == 3) {
			snprintf(query, sizeof(query), "%.4s", d->code);
		} else {
			/* the first two or three words of a description */
			int words = 2 + q % 2, seen = 0;
			size_t k = 0;
			for (const char *p = d->norm + 1; *p && k < sizeof(query) - 1; p++) {
				if (*p == ' ' && ++seen == words)
					break;
				query[k++] = *p;
			}
			query[k] = '\0';
		}
		struct icd10_row *rows = NULL;
		size_t n = 0;
		struct rusage ra, rb;
		getrusage(RUSAGE_SELF, &ra);
		uint64_t a = time_mono_ns(), ca = cpu_ns();
		store_icd10_search(s, query, 20, &rows, &n);
		lat[q] = (double)(time_mono_ns() - a) / 1e6;
		cpu[q] = (double)(cpu_ns() - ca) / 1e6;
		getrusage(RUSAGE_SELF, &rb);
		/* what else than CPU the wall time holds: waiting to run again
		 * after the kernel gave the core to another process
		 * (involuntary switch), or blocking (voluntary switch: I/O, a
		 * lock), or a page read from disk (major fault) */
		bool preempted = rb.ru_nivcsw > ra.ru_nivcsw;
		waits.preempted += preempted;
		waits.blocked += rb.ru_nvcsw > ra.ru_nvcsw;
		waits.major += rb.ru_majflt > ra.ru_majflt;
		waits.minor += (long)(rb.ru_minflt - ra.ru_minflt);
		if (!preempted)
			lat_run[waits.nrun++] = lat[q];
		if (getenv("BENCH_CODES_DUMP") && cpu[q] > 1.0)
			fprintf(stderr, "slow search %.1f ms (CPU %.1f ms): %s (%zu)\n", lat[q],
			        cpu[q], query, n);
		icd10_rows_free(&rows, n);
	}
	printf(
	    "search over %zu codes, %d queries (words and code prefixes, 20 results): p50 %.3f ms, "
	    "p99 %.3f ms\n",
	    all.n, QUERIES, pct(lat, QUERIES, 0.5), pct(lat, QUERIES, 0.99));
	char load[64] = "";
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (!fgets(load, sizeof(load), lf))
			load[0] = '\0';
		fclose(lf);
		load[strcspn(load, "\n")] = '\0';
	}
	printf("  load average during the run: %s (%ld cores)\n", load,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("  CPU time of the same queries (what other processes on the machine do not add): "
	       "p50 %.3f ms, p99 %.3f ms\n",
	       pct(cpu, QUERIES, 0.5), pct(cpu, QUERIES, 0.99));
	printf("  where wall time went beyond CPU: %d queries waited for the core after the kernel "
	       "gave it to another process (wall p99 of the %d others %.3f ms), %d blocked (I/O, "
	       "locks), %d read a page from disk; %ld minor page faults in all\n",
	       waits.preempted, waits.nrun, pct(lat_run, (size_t)waits.nrun, 0.99), waits.blocked,
	       waits.major, waits.minor);
	free(lat_run);

	for (size_t i = 0; i < all.n; i++)
		free(all.v[i].norm);
	free(all.v);
	for (size_t i = 0; i < ndocs; i++) {
		free(docs[i].text);
		for (size_t k = 0; k < docs[i].ngold; k++)
			free(docs[i].gold[k]);
		free(docs[i].gold);
	}
	free(docs);
	free(ms);
	free(ms_cpu);
	free(lat);
	free(cpu);
	coding_close(&c);
	store_close(&s);
	unlink(db);
	snprintf(path, sizeof(path), "%s-wal", db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", db);
	unlink(path);
	rmdir(dir);
	return 0;
}
