#define _GNU_SOURCE /* mkdtemp, nftw */
#include "asr/voice.h"
#include "asr/asr.h"
#include "asr/sphinx_params.h"
#include "core/lib.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH_SIZE          1200
#define STAGE_SIZE         (PATH_SIZE + 40)
#define WORK_SIZE          (STAGE_SIZE + 8)
#define FILE_SIZE          (WORK_SIZE + 40)
#define MIXW_SHIFT_DEFAULT 10
#define LOGBASE            1.0001

/* ---- where things are ---- */

/* The profile folder the engine should use; false when cfg is NULL or
 * [asr] voice_profile is off. */
static bool profile_dir(const struct config *cfg, char *dir, size_t size)
{
	/* No config (dictum serve's engines today): defaults only, and a
	 * voice is a person's, not a default. */
	if (!cfg)
		return false;
	const char *set = config_get(cfg, "asr", "voice_profile", "on");
	if (strcmp(set, "off") == 0 || strcmp(set, "no") == 0 || strcmp(set, "0") == 0)
		return false;
	if (set[0] == '/') {
		snprintf(dir, size, "%s", set);
		return true;
	}
	struct dictum_paths p;
	if (paths_resolve(&p, cfg, NULL) != DICTUM_OK)
		return false;
	snprintf(dir, size, "%.1020s/" ASR_VOICE_DIR, p.data_dir);
	return true;
}

const char *asr_voice_load(const struct config *cfg, char *buf, size_t size)
{
	char dir[1100];
	if (!profile_dir(cfg, dir, sizeof(dir)))
		return NULL;
	snprintf(buf, size, "%s/means", dir);
	if (path_exists(buf))
		return "-mean";
	snprintf(buf, size, "%s/mllr_matrix", dir);
	return path_exists(buf) ? "-mllr" : NULL;
}

bool asr_mean_read(const char *path, float *mean, size_t n)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	char *p = line;
	for (size_t i = 0; ok && i < n; i++) {
		char *end;
		double v = strtod(p, &end);
		ok = end != p && isfinite(v) && fabs(v) < 1e4 && (*end == ',') == (i + 1 < n);
		mean[i] = (float)v;
		p = end + (*end == ',');
	}
	return ok && (*p == '\0' || isspace((unsigned char)*p));
}

int asr_mean_write(const char *path, const double *mean, size_t n)
{
	char text[64 * 24 + 2];
	size_t len = 0;
	if (n > 64)
		return DICTUM_INVAL;
	for (size_t c = 0; c < n; c++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%.3f", c ? "," : "",
		                        mean[c]);
	text[len++] = '\n';
	return file_write_atomic(path, text, len, 0600) == 0 ? DICTUM_OK : DICTUM_IO;
}

bool asr_voice_cmninit(const struct config *cfg, float *mean, size_t n)
{
	char dir[1100], path[1200];
	if (!profile_dir(cfg, dir, sizeof(dir)))
		return false;
	snprintf(path, sizeof(path), "%s/" ASR_VOICE_CMNINIT, dir);
	return asr_mean_read(path, mean, n);
}

/* An executable: dir/name, or name on $PATH when dir is NULL. */
static bool find_tool(const char *name, const char *dir, char *buf, size_t size)
{
	if (dir) {
		snprintf(buf, size, "%s/%s", dir, name);
		return access(buf, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		snprintf(buf, size, "%.*s/%s", (int)len, path, name);
		if (len && access(buf, X_OK) == 0)
			return true;
		path += len;
		if (*path == ':')
			path++;
	}
	return false;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_tree(const char *dir)
{
	if (!path_exists(dir))
		return DICTUM_OK;
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? DICTUM_OK : DICTUM_IO;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DICTUM_IO;
	int rc = fsync(fd);
	close(fd);
	return rc == 0 ? DICTUM_OK : DICTUM_IO;
}

/* ---- subprocesses ---- */

/* The last line of a tool's log that says what went wrong (ERROR, FATAL),
 * else its last line. */
static void log_reason(const char *log, char *out, size_t size)
{
	out[0] = '\0';
	FILE *f = fopen(log, "r");
	if (!f)
		return;
	char line[512], last[512] = "";
	while (fgets(line, sizeof(line), f)) {
		char *t = str_trim(line);
		if (!*t)
			continue;
		if (strstr(t, "ERROR") || strstr(t, "FATAL") || strstr(t, "rror:"))
			snprintf(out, size, "%s", t);
		snprintf(last, sizeof(last), "%s", t);
	}
	fclose(f);
	if (!out[0])
		snprintf(out, size, "%s", last);
}

/* Runs argv (argv[0] a full path) with stdout and stderr to log. */
static int run_tool(char *const argv[], const char *log, char *err, size_t errlen)
{
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
		return DICTUM_IO;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: %s", argv[0], strerror(errno));
			return DICTUM_IO;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return DICTUM_OK;
	char why[400];
	log_reason(log, why, sizeof(why));
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s failed (exit %d)%s%s", argv[0], WEXITSTATUS(status),
		         why[0] ? ": " : "", why);
	else
		snprintf(err, errlen, "%s was killed by signal %d", argv[0],
		         WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return DICTUM_IO;
}

/* ---- text and dictionary ---- */

char *asr_voice_words(const char *text)
{
	struct dynbuf d;
	dynbuf_init(&d, (size_t)1 << 20);
	bool in_word = false;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		int c = tolower(*p);
		bool keep =
		    (c >= 'a' && c <= 'z') || isdigit(c) || (c == '\'' && in_word && isalpha(p[1]));
		if (keep) {
			if (!in_word && d.len && dynbuf_add(&d, " ", 1) != DICTUM_OK)
				goto fail;
			char ch = (char)c;
			if (dynbuf_add(&d, &ch, 1) != DICTUM_OK)
				goto fail;
		}
		in_word = keep;
	}
	return dynbuf_take(&d);
fail:
	dynbuf_free(&d);
	return NULL;
}

struct needed {
	char **words; /* sorted, unique */
	bool *found;
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long needed_index(const struct needed *nd, const char *w)
{
	char *const *hit = bsearch(&w, nd->words, nd->n, sizeof(char *), cmp_str);
	return hit ? hit - nd->words : -1;
}

/* Copies each dictionary line whose word (alternates "word(2)" too) is
 * needed and not yet found in an earlier dictionary. */
static int copy_entries(struct needed *nd, const char *path, FILE *out, bool *seen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return DICTUM_NOTFOUND;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char word[256];
		if (line[0] == '#' || sscanf(line, "%255s", word) != 1)
			continue;
		char *alt = strchr(word, '(');
		if (alt && alt != word)
			*alt = '\0';
		long i = needed_index(nd, word);
		if (i < 0 || nd->found[i])
			continue;
		seen[i] = true;
		fputs(line, out);
		if (!strchr(line, '\n'))
			fputc('\n', out);
	}
	fclose(f);
	for (size_t i = 0; i < nd->n; i++)
		nd->found[i] = nd->found[i] || seen[i];
	return DICTUM_OK;
}

/* ---- the sendump ---- */

static uint32_t swap32(uint32_t x)
{
	return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
}

static bool read_u32(FILE *f, bool swap, uint32_t *out)
{
	if (fread(out, 4, 1, f) != 1)
		return false;
	if (swap)
		*out = swap32(*out);
	return true;
}

int asr_voice_sendump_to_mixw(const char *sendump, const char *out, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	unsigned char *data = NULL;
	float *w = NULL;
	FILE *o = NULL;
	FILE *f = fopen(sendump, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", sendump, strerror(errno));
		return DICTUM_NOTFOUND;
	}
	/* A header of length-prefixed strings ended by a zero length; the byte
	 * order is the one that makes the first length small. */
	uint32_t len = 0;
	bool swap = false;
	if (fread(&len, 4, 1, f) != 1)
		goto bad;
	if (len > 65536) {
		swap = true;
		len = swap32(len);
	}
	long n_feat = 1, clusters = 0, shift = MIXW_SHIFT_DEFAULT;
	while (len) {
		char s[1024];
		if (len > sizeof(s) || fread(s, 1, len, f) != len)
			goto bad;
		s[len - 1] = '\0';
		if (strncmp(s, "feature_count ", 14) == 0)
			n_feat = atol(s + 14);
		else if (strncmp(s, "cluster_count ", 14) == 0)
			clusters = atol(s + 14);
		else if (strncmp(s, "mixw_shift ", 11) == 0)
			shift = atol(s + 11);
		if (!read_u32(f, swap, &len))
			goto bad;
	}
	if (clusters) {
		snprintf(err, errlen, "%s: clustered mixture weights are not supported", sendump);
		result = DICTUM_UNSUPPORTED;
		goto cleanup;
	}
	uint32_t n_cw, n_pdf;
	if (!read_u32(f, swap, &n_cw) || !read_u32(f, swap, &n_pdf) || n_feat < 1 || n_feat > 8 ||
	    n_cw < 1 || n_cw > 4096 || n_pdf < 1 || n_pdf > (1u << 20) || shift < 0 || shift > 16)
		goto bad;
	size_t total = (size_t)n_feat * n_cw * n_pdf;
	data = malloc(total);
	w = malloc(total * sizeof(*w));
	if (!data || !w) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	if (fread(data, 1, total, f) != total)
		goto bad;
	/* Stored per feature, per codeword, a row over all senones, as
	 * -log_1.0001(weight) >> shift; the file wants senone, feature,
	 * codeword. */
	double step = log(LOGBASE) * (double)(1L << shift);
	for (size_t ft = 0; ft < (size_t)n_feat; ft++)
		for (size_t cw = 0; cw < n_cw; cw++) {
			const unsigned char *row = data + (ft * n_cw + cw) * n_pdf;
			for (size_t s = 0; s < n_pdf; s++)
				w[(s * (size_t)n_feat + ft) * n_cw + cw] =
				    (float)exp(-step * row[s]);
		}
	for (size_t i = 0; i < (size_t)n_feat * n_pdf; i++) {
		double sum = 0;
		for (size_t cw = 0; cw < n_cw; cw++)
			sum += w[i * n_cw + cw];
		for (size_t cw = 0; cw < n_cw; cw++)
			w[i * n_cw + cw] = sum > 0 ? (float)(w[i * n_cw + cw] / sum) : 0;
	}
	o = fopen(out, "wb");
	if (!o) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		result = DICTUM_IO;
		goto cleanup;
	}
	/* Sphinx-3 binary: text header, padded so the data is 4-byte aligned,
	 * a byte-order mark, the three sizes and the count, the floats. */
	const char *head = "s3\nversion 1.0\n";
	size_t pad = (4 - (strlen(head) + strlen("endhdr\n")) % 4) % 4;
	uint32_t dims[5] = {0x11223344, n_pdf, (uint32_t)n_feat, n_cw, (uint32_t)total};
	if (fprintf(o, "%s%*sendhdr\n", head, (int)pad, "") < 0 || fwrite(dims, 4, 5, o) != 5 ||
	    fwrite(w, sizeof(*w), total, o) != total) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		result = DICTUM_IO;
	}
	if (fclose(o) != 0 && result == DICTUM_OK) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		result = DICTUM_IO;
	}
	o = NULL;
	goto cleanup;
bad:
	snprintf(err, errlen, "%s: not a PocketSphinx sendump file", sendump);
	result = DICTUM_INVAL;
cleanup:
	if (o)
		fclose(o);
	fclose(f);
	free(data);
	free(w);
	return result;
}

/* ---- enrolment ---- */

/* The value of -key in the model's feat.params, or def. */
static void feat_param(const char *hmm, const char *key, const char *def, char *out, size_t size)
{
	char path[PATH_SIZE], line[512];
	snprintf(out, size, "%s", def);
	snprintf(path, sizeof(path), "%s/feat.params", hmm);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char k[64], v[256];
		if (sscanf(line, "%63s %255s", k, v) == 2 && k[0] == '-' && strcmp(k + 1, key) == 0)
			snprintf(out, size, "%s", v);
	}
	fclose(f);
}

struct job {
	const struct config *cfg;
	char hmm[PATH_SIZE];
	char tools[6][PATH_SIZE]; /* see enum tool */
	char stage[STAGE_SIZE];   /* DATA_DIR/asr/.voice-XXXXXX: the profile being made */
	char work[WORK_SIZE];     /* stage/work: features, statistics; removed before use */
	char *err;
	size_t errlen;
};

enum tool { TOOL_FE, TOOL_MDEF, TOOL_BW, TOOL_SOLVE, TOOL_TRANSFORM, TOOL_MAP };

static int find_tools(struct job *j)
{
	const char *st = config_get(j->cfg, "asr", "sphinxtrain", "/usr/lib/sphinxtrain");
	static const struct {
		const char *name, *package;
		bool trainer;
	} tools[] = {
	    {"sphinx_fe", "sphinxbase-utils", false},
	    {"pocketsphinx_mdef_convert", "pocketsphinx", false},
	    {"bw", "sphinxtrain", true},
	    {"mllr_solve", "sphinxtrain", true},
	    {"mllr_transform", "sphinxtrain", true},
	    {"map_adapt", "sphinxtrain", true},
	};
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if (!find_tool(tools[i].name, tools[i].trainer ? st : NULL, j->tools[i],
		               sizeof(j->tools[i]))) {
			snprintf(j->err, j->errlen, "%s not found %s%s (apt-get install %s)",
			         tools[i].name, tools[i].trainer ? "in " : "on $PATH",
			         tools[i].trainer ? st : "", tools[i].package);
			return DICTUM_NOTFOUND;
		}
	return DICTUM_OK;
}

static int write_raw(const char *path, const int16_t *pcm, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return DICTUM_IO;
	bool ok = fwrite(pcm, sizeof(*pcm), n, f) == n;
	return fclose(f) == 0 && ok ? DICTUM_OK : DICTUM_IO;
}

/* The transcripts (bw's "<s> words </s> (name)"), the control file and a
 * dictionary of just their words; sentences with an unknown word are left
 * out. */
static int write_corpus(struct job *j, const struct asr_voice_utt *utts, size_t n,
                        struct asr_voice_report *rep)
{
	int result = DICTUM_OK;
	char path[FILE_SIZE], lex_buf[PATH_SIZE];
	char **texts = calloc(n, sizeof(*texts));
	struct needed nd = {0};
	bool *seen = NULL;
	FILE *ctl = NULL, *lsn = NULL, *dict = NULL;
	size_t cap = 0;
	if (!texts) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(texts[i] = asr_voice_words(utts[i].text ? utts[i].text : ""))) {
			result = DICTUM_NOMEM;
			goto cleanup;
		}
		for (char *w = texts[i]; *w;) {
			size_t len = strcspn(w, " ");
			if (nd.n == cap) {
				cap = cap ? cap * 2 : 256;
				char **grown = realloc(nd.words, cap * sizeof(*grown));
				if (!grown) {
					result = DICTUM_NOMEM;
					goto cleanup;
				}
				nd.words = grown;
			}
			if (!(nd.words[nd.n] = strndup(w, len))) {
				result = DICTUM_NOMEM;
				goto cleanup;
			}
			nd.n++;
			w += len + (w[len] == ' ');
		}
	}
	if (nd.n) {
		qsort(nd.words, nd.n, sizeof(char *), cmp_str);
		size_t u = 1;
		for (size_t i = 1; i < nd.n; i++) {
			if (strcmp(nd.words[i], nd.words[u - 1]) == 0)
				free(nd.words[i]);
			else
				nd.words[u++] = nd.words[i];
		}
		nd.n = u;
	}
	nd.found = calloc(nd.n ? nd.n : 1, sizeof(bool));
	seen = calloc(nd.n ? nd.n : 1, sizeof(bool));
	if (!nd.found || !seen) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	snprintf(path, sizeof(path), "%s/words.dict", j->work);
	if (!(dict = fopen(path, "w"))) {
		result = DICTUM_IO;
		goto cleanup;
	}
	const char *cmudict = asr_sphinx_param(j->cfg, "dict");
	if (copy_entries(&nd, cmudict, dict, seen) != DICTUM_OK) {
		snprintf(j->err, j->errlen, "no pronunciation dictionary at %s", cmudict);
		result = DICTUM_NOTFOUND;
		goto cleanup;
	}
	memset(seen, 0, nd.n * sizeof(bool));
	const char *lex = asr_sphinx_data_file(asr_sphinx_param(j->cfg, "lexicon"), "medical.dic",
	                                       lex_buf, sizeof(lex_buf));
	if (lex[0])
		copy_entries(&nd, lex, dict, seen);
	snprintf(path, sizeof(path), "%s/utts.ctl", j->work);
	ctl = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/utts.lsn", j->work);
	lsn = fopen(path, "w");
	if (!ctl || !lsn) {
		result = DICTUM_IO;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		const char *missing = NULL;
		for (char *w = texts[i]; *w && !missing;) {
			size_t len = strcspn(w, " ");
			char c = w[len];
			w[len] = '\0';
			long k = needed_index(&nd, w);
			if (k >= 0 && !nd.found[k])
				missing = nd.words[k];
			w[len] = c;
			w += len + (c == ' ');
		}
		const char *name = utts[i].name ? utts[i].name : "";
		if (!texts[i][0] || missing || utts[i].n < ASR_SAMPLE_RATE / 4) {
			if (!rep->skipped)
				snprintf(rep->skipped_why, sizeof(rep->skipped_why), "%s%s%s%s",
				         name, name[0] ? ": " : "",
				         missing ? "no pronunciation for " : "",
				         missing ? missing
				                 : (texts[i][0] ? "under a quarter second of audio"
				                                : "no words"));
			rep->skipped++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/u%04zu.raw", j->work, i);
		if ((result = write_raw(path, utts[i].pcm, utts[i].n)) != DICTUM_OK)
			goto cleanup;
		fprintf(ctl, "u%04zu\n", i);
		fprintf(lsn, "<s> %s </s> (u%04zu)\n", texts[i], i);
		rep->used++;
		rep->seconds += (double)utts[i].n / ASR_SAMPLE_RATE;
	}
	if (!rep->used) {
		snprintf(j->err, j->errlen, "no sentence to adapt on%s%s", rep->skipped ? ": " : "",
		         rep->skipped_why);
		result = DICTUM_INVAL;
	}
cleanup:
	if (dict && fclose(dict) != 0 && result == DICTUM_OK)
		result = DICTUM_IO;
	if (ctl && fclose(ctl) != 0 && result == DICTUM_OK)
		result = DICTUM_IO;
	if (lsn && fclose(lsn) != 0 && result == DICTUM_OK)
		result = DICTUM_IO;
	if (result == DICTUM_IO && !j->err[0])
		snprintf(j->err, j->errlen, "cannot write in %.300s", j->work);
	for (size_t i = 0; i < nd.n; i++)
		free(nd.words[i]);
	free(nd.words);
	free(nd.found);
	free(seen);
	for (size_t i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	return result;
}

/* bw's "overall> stats FRAMES (-N) AVG TOTAL": frames and the average
 * log-likelihood per frame. */
static bool bw_overall(const char *log, long *frames, double *avg)
{
	FILE *f = fopen(log, "r");
	if (!f)
		return false;
	char line[1024];
	bool ok = false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "overall>", 8) == 0 &&
		    sscanf(line, "overall> stats %ld (%*[^)]) %lf", frames, avg) == 2)
			ok = true;
	fclose(f);
	return ok;
}

/* The mean cepstrum of the sentences' features (sphinx_fe's .mfc files in
 * work: a count of floats, then the floats, in either byte order), as
 * profile/cmninit: the engine starts each recording's live cepstral mean
 * from it instead of the model's, so a voice far from the model's average
 * is normalised from the first frame (the mean only moves after an
 * utterance) as bw's per-sentence mean normalised it here. */
static int write_cmninit(struct job *j, const struct asr_voice_report *rep)
{
	enum { CEPLEN = 13 };
	double sum[CEPLEN] = {0};
	long frames = 0;
	char path[FILE_SIZE];
	for (size_t i = 0; i < rep->used + rep->skipped; i++) {
		snprintf(path, sizeof(path), "%s/u%04zu.mfc", j->work, i);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue; /* a skipped sentence */
		uint32_t count = 0;
		struct stat st;
		bool ok = fstat(fileno(f), &st) == 0 && fread(&count, 4, 1, f) == 1;
		bool swap = ok && (off_t)count * 4 + 4 != st.st_size;
		if (swap)
			count = swap32(count);
		ok = ok && (off_t)count * 4 + 4 == st.st_size && count % CEPLEN == 0;
		for (uint32_t k = 0; ok && k < count / CEPLEN; k++) {
			uint32_t raw[CEPLEN];
			ok = fread(raw, 4, CEPLEN, f) == CEPLEN;
			for (size_t c = 0; ok && c < CEPLEN; c++) {
				float v;
				uint32_t u = swap ? swap32(raw[c]) : raw[c];
				memcpy(&v, &u, sizeof(v));
				sum[c] += v;
			}
			frames += ok;
		}
		fclose(f);
		if (!ok) {
			snprintf(j->err, j->errlen, "%.300s: not a feature file", path);
			return DICTUM_IO;
		}
	}
	if (!frames) {
		snprintf(j->err, j->errlen, "sphinx_fe wrote no features");
		return DICTUM_IO;
	}
	for (size_t c = 0; c < CEPLEN; c++)
		sum[c] /= (double)frames;
	snprintf(path, sizeof(path), "%s/" ASR_VOICE_CMNINIT, j->stage);
	if (asr_mean_write(path, sum, CEPLEN) != DICTUM_OK) {
		snprintf(j->err, j->errlen, "cannot write %.300s", path);
		return DICTUM_IO;
	}
	return DICTUM_OK;
}

/* Baum-Welch statistics into work/NAME, with the transform mllr applied
 * first when it is not NULL, and the means file means instead of the
 * model's when it is not NULL. */
static int run_bw(struct job *j, const char *name, const char *mllr, const char *means,
                  long *frames, double *avg)
{
	char acc[FILE_SIZE], log[FILE_SIZE];
	char mdef[FILE_SIZE], mixw[FILE_SIZE], dict[FILE_SIZE], fdict[FILE_SIZE], ctl[FILE_SIZE],
	    lsn[FILE_SIZE];
	char feat[64], svspec[256], agc[32], model[32], ts2cb[40], cmninit[256];
	/* Cepstral mean per sentence ([asr] voice_cmn = current, the
	 * default), or live from the model's cmninit as the engine does (live;
	 * measured worse: flite slt held-out prompts 22.3% against 15.2%, LJ
	 * leave-one-out 38.4% against 37.6%), or none. */
	const char *cmn = config_get(j->cfg, "asr", "voice_cmn", "current");
	if (strcmp(cmn, "batch") == 0)
		cmn = "current";
	feat_param(j->hmm, "cmninit", "", cmninit, sizeof(cmninit));
	snprintf(acc, sizeof(acc), "%s/%s", j->work, name);
	snprintf(log, sizeof(log), "%s/%s.log", j->work, name);
	snprintf(mdef, sizeof(mdef), "%s/mdef.txt", j->work);
	snprintf(mixw, sizeof(mixw), "%s/mixture_weights", j->work);
	snprintf(dict, sizeof(dict), "%s/words.dict", j->work);
	snprintf(fdict, sizeof(fdict), "%s/noisedict", j->hmm);
	snprintf(ctl, sizeof(ctl), "%s/utts.ctl", j->work);
	snprintf(lsn, sizeof(lsn), "%s/utts.lsn", j->work);
	feat_param(j->hmm, "feat", "1s_c_d_dd", feat, sizeof(feat));
	feat_param(j->hmm, "svspec", "", svspec, sizeof(svspec));
	feat_param(j->hmm, "agc", "none", agc, sizeof(agc));
	feat_param(j->hmm, "model", "cont", model, sizeof(model));
	snprintf(ts2cb, sizeof(ts2cb), ".%s.", model);
	if (mkdir(acc, 0700) != 0) {
		snprintf(j->err, j->errlen, "cannot create %.300s: %s", acc, strerror(errno));
		return DICTUM_IO;
	}
	char *argv[40] = {j->tools[TOOL_BW],
	                  "-hmmdir",
	                  j->hmm,
	                  "-moddeffn",
	                  mdef,
	                  "-mixwfn",
	                  mixw,
	                  "-ts2cbfn",
	                  ts2cb,
	                  "-feat",
	                  feat,
	                  "-agc",
	                  agc,
	                  "-cmn",
	                  (char *)cmn,
	                  "-dictfn",
	                  dict,
	                  "-fdictfn",
	                  fdict,
	                  "-ctlfn",
	                  ctl,
	                  "-lsnfn",
	                  lsn,
	                  "-cepdir",
	                  j->work,
	                  "-accumdir",
	                  acc,
	                  "-timing",
	                  "no"};
	int argc = 0;
	while (argv[argc])
		argc++;
	if (svspec[0]) {
		argv[argc++] = "-svspec";
		argv[argc++] = svspec;
	}
	if (strcmp(cmn, "live") == 0 && cmninit[0]) {
		argv[argc++] = "-cmninit";
		argv[argc++] = cmninit;
	}
	if (mllr) {
		argv[argc++] = "-mllrmat";
		argv[argc++] = (char *)mllr;
	}
	if (means) {
		argv[argc++] = "-meanfn";
		argv[argc++] = (char *)means;
	}
	argv[argc] = NULL;
	int result = run_tool(argv, log, j->err, j->errlen);
	if (result == DICTUM_OK && !bw_overall(log, frames, avg)) {
		snprintf(j->err, j->errlen, "bw aligned none of the sentences (see %.300s)", log);
		result = DICTUM_IO;
	}
	return result;
}

static int write_profile_json(struct job *j, const struct asr_voice_report *rep)
{
	char path[FILE_SIZE], when[32];
	time_now_iso(when);
	snprintf(path, sizeof(path), "%s/profile.json", j->stage);
	struct dynbuf d;
	dynbuf_init(&d, 65536);
	int result =
	    dynbuf_printf(&d,
	                  "{\n  \"created\": \"%s\",\n  \"method\": \"%s\",\n"
	                  "  \"sentences\": %zu,\n  \"skipped\": %zu,\n"
	                  "  \"seconds\": %.2f,\n  \"frames\": %ld,\n"
	                  "  \"loglik_per_frame_before\": %.4f,\n"
	                  "  \"loglik_per_frame_after\": %.4f\n}\n",
	                  when, rep->map ? "mllr+map" : "mllr", rep->used, rep->skipped,
	                  rep->seconds, rep->frames, rep->loglik_before, rep->loglik_after);
	if (result == DICTUM_OK) {
		int rc = file_write_atomic(path, dynbuf_str(&d), d.len, 0600);
		result = rc ? DICTUM_IO : DICTUM_OK;
	}
	dynbuf_free(&d);
	return result;
}

/* Puts the finished stage where the engine looks: the old profile aside,
 * the new one in, the old one removed. */
static int install(struct job *j, const char *asr_dir, struct asr_voice_report *rep)
{
	char dest[FILE_SIZE], old[FILE_SIZE];
	snprintf(dest, sizeof(dest), "%s/voice", asr_dir);
	snprintf(old, sizeof(old), "%s/.voice-old-XXXXXX", asr_dir);
	if (fsync_path(j->stage) != DICTUM_OK)
		goto fail;
	if (path_exists(dest)) {
		if (!mkdtemp(old) || rename(dest, old) != 0)
			goto fail;
	} else {
		old[0] = '\0';
	}
	if (rename(j->stage, dest) != 0) {
		if (old[0])
			rename(old, dest);
		goto fail;
	}
	fsync_path(asr_dir);
	if (old[0])
		remove_tree(old);
	str_copy(rep->dir, dest, sizeof(rep->dir));
	return DICTUM_OK;
fail:
	snprintf(j->err, j->errlen, "cannot put the profile in %.300s: %s", dest, strerror(errno));
	return DICTUM_IO;
}

/* Folders a killed enrolment left behind (.voice-new-*, .voice-old-*), an
 * hour old or more: no enrolment runs that long. */
static void remove_leftovers(const char *asr_dir)
{
	DIR *d = opendir(asr_dir);
	if (!d)
		return;
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[FILE_SIZE];
		struct stat st;
		if (strncmp(e->d_name, ".voice-", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "%.1100s/%.100s", asr_dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && now - st.st_mtime > 3600)
			remove_tree(path);
	}
	closedir(d);
}

int asr_voice_enroll(const struct config *cfg, const char *data_dir,
                     const struct asr_voice_utt *utts, size_t n, struct asr_voice_report *rep,
                     char *err, size_t errlen)
{
	int result = DICTUM_OK;
	char asr_dir[PATH_SIZE], path[FILE_SIZE], log[FILE_SIZE];
	char err_buf[512] = "";
	struct job j = {.cfg = cfg, .err = err_buf, .errlen = sizeof(err_buf)};
	memset(rep, 0, sizeof(*rep));
	const char *map_set = config_get(cfg, "asr", "voice_map", "yes");
	rep->map =
	    strcmp(map_set, "no") != 0 && strcmp(map_set, "off") != 0 && strcmp(map_set, "0") != 0;
	snprintf(j.hmm, sizeof(j.hmm), "%s", asr_sphinx_param(cfg, "hmm"));
	snprintf(path, sizeof(path), "%s/means", j.hmm);
	if (!path_exists(path)) {
		snprintf(err_buf, sizeof(err_buf),
		         "no acoustic model at %.300s (apt-get install pocketsphinx-en-us)", j.hmm);
		result = DICTUM_NOTFOUND;
		goto cleanup;
	}
	if ((result = find_tools(&j)) != DICTUM_OK)
		goto cleanup;
	snprintf(asr_dir, sizeof(asr_dir), "%s/asr", data_dir);
	int rc = mkdir_p(asr_dir, 0700);
	if (!rc)
		remove_leftovers(asr_dir);
	snprintf(j.stage, sizeof(j.stage), "%s/.voice-new-XXXXXX", asr_dir);
	if (rc || !mkdtemp(j.stage)) {
		snprintf(err_buf, sizeof(err_buf), "cannot create a folder in %.300s: %s", asr_dir,
		         strerror(rc ? -rc : errno));
		j.stage[0] = '\0';
		result = DICTUM_IO;
		goto cleanup;
	}
	snprintf(j.work, sizeof(j.work), "%s/work", j.stage);
	if (mkdir(j.work, 0700) != 0) {
		snprintf(err_buf, sizeof(err_buf), "cannot create %.300s", j.work);
		result = DICTUM_IO;
		goto cleanup;
	}
	if ((result = write_corpus(&j, utts, n, rep)) != DICTUM_OK)
		goto cleanup;

	/* Features: the model's own front-end settings. */
	char argfile[FILE_SIZE], ctl[FILE_SIZE];
	snprintf(argfile, sizeof(argfile), "%s/feat.params", j.hmm);
	snprintf(ctl, sizeof(ctl), "%s/utts.ctl", j.work);
	snprintf(log, sizeof(log), "%s/fe.log", j.work);
	char *fe[] = {j.tools[TOOL_FE],
	              "-argfile",
	              argfile,
	              "-samprate",
	              "16000",
	              "-c",
	              ctl,
	              "-di",
	              j.work,
	              "-do",
	              j.work,
	              "-ei",
	              "raw",
	              "-eo",
	              "mfc",
	              "-raw",
	              "yes",
	              "-input_endian",
	              "little",
	              NULL};
	if ((result = run_tool(fe, log, err_buf, sizeof(err_buf))) != DICTUM_OK ||
	    (result = write_cmninit(&j, rep)) != DICTUM_OK)
		goto cleanup;

	/* The model definition as text and the mixture weights as bw reads them. */
	char mdef_in[FILE_SIZE], mdef_out[FILE_SIZE];
	snprintf(mdef_in, sizeof(mdef_in), "%s/mdef", j.hmm);
	snprintf(mdef_out, sizeof(mdef_out), "%s/mdef.txt", j.work);
	snprintf(log, sizeof(log), "%s/mdef.log", j.work);
	char *md[] = {j.tools[TOOL_MDEF], "-text", mdef_in, mdef_out, NULL};
	if ((result = run_tool(md, log, err_buf, sizeof(err_buf))) != DICTUM_OK)
		goto cleanup;
	char mixw[FILE_SIZE];
	snprintf(mixw, sizeof(mixw), "%s/mixture_weights", j.work);
	snprintf(path, sizeof(path), "%s/mixture_weights", j.hmm);
	if (path_exists(path)) {
		if (symlink(path, mixw) != 0) {
			result = DICTUM_IO;
			goto cleanup;
		}
	} else {
		snprintf(path, sizeof(path), "%s/sendump", j.hmm);
		result = asr_voice_sendump_to_mixw(path, mixw, err_buf, sizeof(err_buf));
		if (result != DICTUM_OK)
			goto cleanup;
	}

	/* Statistics, the transform, and the statistics again through it. */
	if ((result = run_bw(&j, "acc", NULL, NULL, &rep->frames, &rep->loglik_before)) !=
	    DICTUM_OK)
		goto cleanup;
	char means[FILE_SIZE], vars[FILE_SIZE], acc[FILE_SIZE], matrix[FILE_SIZE];
	snprintf(means, sizeof(means), "%s/means", j.hmm);
	snprintf(vars, sizeof(vars), "%s/variances", j.hmm);
	snprintf(acc, sizeof(acc), "%s/acc", j.work);
	snprintf(matrix, sizeof(matrix), "%s/mllr_matrix", j.stage);
	snprintf(log, sizeof(log), "%s/solve.log", j.work);
	char *solve[] = {j.tools[TOOL_SOLVE], "-meanfn", means,       "-varfn", vars,
	                 "-outmllrfn",        matrix,    "-accumdir", acc,      NULL};
	if ((result = run_tool(solve, log, err_buf, sizeof(err_buf))) != DICTUM_OK)
		goto cleanup;
	if (!path_exists(matrix)) {
		snprintf(err_buf, sizeof(err_buf), "mllr_solve wrote no transform");
		result = DICTUM_IO;
		goto cleanup;
	}
	long frames_after = 0;
	if (!rep->map) {
		result = run_bw(&j, "acc2", matrix, NULL, &frames_after, &rep->loglik_after);
		if (result != DICTUM_OK)
			goto cleanup;
	} else {
		/* MAP of the means, starting from the transformed ones: the
		 * transform moves every mean, MAP then moves the ones the
		 * sentences saw most. The engine then loads the means alone. */
		char mllr_means[FILE_SIZE], tmat[FILE_SIZE], mdef[FILE_SIZE], final[FILE_SIZE];
		char x1[FILE_SIZE], x2[FILE_SIZE], x3[FILE_SIZE], acc2[FILE_SIZE], model[32];
		char ts2cb[40];
		snprintf(mllr_means, sizeof(mllr_means), "%s/mllr_means", j.work);
		snprintf(tmat, sizeof(tmat), "%s/transition_matrices", j.hmm);
		snprintf(mdef, sizeof(mdef), "%s/mdef.txt", j.work);
		snprintf(final, sizeof(final), "%s/means", j.stage);
		snprintf(x1, sizeof(x1), "%s/map_var", j.work);
		snprintf(x2, sizeof(x2), "%s/map_mixw", j.work);
		snprintf(x3, sizeof(x3), "%s/map_tmat", j.work);
		snprintf(acc2, sizeof(acc2), "%s/acc2", j.work);
		feat_param(j.hmm, "model", "cont", model, sizeof(model));
		snprintf(ts2cb, sizeof(ts2cb), ".%s.", model);
		snprintf(log, sizeof(log), "%s/transform.log", j.work);
		char *tr[] = {j.tools[TOOL_TRANSFORM],
		              "-inmeanfn",
		              means,
		              "-outmeanfn",
		              mllr_means,
		              "-mllrmat",
		              matrix,
		              NULL};
		if ((result = run_tool(tr, log, err_buf, sizeof(err_buf))) != DICTUM_OK ||
		    (result = run_bw(&j, "acc2", NULL, mllr_means, &frames_after,
		                     &rep->loglik_mllr)) != DICTUM_OK)
			goto cleanup;
		snprintf(log, sizeof(log), "%s/map.log", j.work);
		char *map[] = {j.tools[TOOL_MAP],
		               "-moddeffn",
		               mdef,
		               "-ts2cbfn",
		               ts2cb,
		               "-meanfn",
		               mllr_means,
		               "-varfn",
		               vars,
		               "-mixwfn",
		               mixw,
		               "-tmatfn",
		               tmat,
		               "-accumdir",
		               acc2,
		               "-mapmeanfn",
		               final,
		               "-mapvarfn",
		               x1,
		               "-mapmixwfn",
		               x2,
		               "-maptmatfn",
		               x3,
		               NULL};
		if ((result = run_tool(map, log, err_buf, sizeof(err_buf))) != DICTUM_OK ||
		    (result = run_bw(&j, "acc3", NULL, final, &frames_after, &rep->loglik_after)) !=
		        DICTUM_OK)
			goto cleanup;
	}
	if ((result = remove_tree(j.work)) != DICTUM_OK ||
	    (result = write_profile_json(&j, rep)) != DICTUM_OK) {
		snprintf(err_buf, sizeof(err_buf), "cannot write in %.300s", j.stage);
		goto cleanup;
	}
	if ((result = install(&j, asr_dir, rep)) != DICTUM_OK)
		goto cleanup;
	j.stage[0] = '\0';
cleanup:
	if (j.stage[0])
		remove_tree(j.stage);
	if (result != DICTUM_OK && err && errlen)
		snprintf(err, errlen, "%s", err_buf[0] ? err_buf : dictum_strerror(result));
	return result;
}

int asr_voice_remove(const char *data_dir, bool *removed)
{
	char dir[PATH_SIZE], old[FILE_SIZE];
	snprintf(dir, sizeof(dir), "%s/" ASR_VOICE_DIR, data_dir);
	*removed = path_exists(dir);
	if (!*removed)
		return DICTUM_OK;
	/* Renamed away first, so the engine never sees half a profile. */
	snprintf(old, sizeof(old), "%s/asr/.voice-old-XXXXXX", data_dir);
	if (!mkdtemp(old) || rename(dir, old) != 0)
		return DICTUM_IO;
	return remove_tree(old);
}
