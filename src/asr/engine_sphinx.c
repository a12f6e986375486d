#include "asr/asr.h"
#include "asr/asr_engine.h"
#include "asr/lm_merge.h"
#include "asr/sphinx_params.h"
#include "asr/voice.h"
#include "core/lib.h"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/ngram_model.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECTION    "asr.sphinx"
#define FRAME_RATE 100.0
#define FRAME      (ASR_SAMPLE_RATE / 100) /* samples per frame */
#define CHUNK      (ASR_SAMPLE_RATE / 10)
#define MAX_PARAMS 64
/* A long utterance is broken no further back than this (frames), and the
 * audio kept for replaying the words after the break covers it. */
#define BREAK_BACK 300
#define TAIL_KEEP  ((BREAK_BACK + 50) * FRAME)
/* A partial hypothesis is searched again only after this many new frames
 * (the workstation shows about four a second). */
#define HYP_FRAMES 20
/* A long utterance's best path is searched for a break at most this often
 * (frames): the workstation feeds 20 ms pieces. */
#define BREAK_TRY_FRAMES 10
#define BREAK_WINDOW     30
/* Cepstra of a whole file are computed in blocks of this many frames. */
#define PRIME_BLOCK 256
/* Fewer speech frames than this in a file: its own mean is too noisy to
 * start from (cepstral means settle over about a second of speech). */
#define PRIME_MIN 100
/* A live recording with fewer speech frames than this leaves the running
 * mean alone (a cough, a test, silence). */
#define KEEP_MIN 200
#define MAX_CEP  64
/* The workstation's running mean, under the data directory. */
#define KEEP_FILE "asr/cmn_mean"

enum prime_mode { PRIME_NO, PRIME_YES, PRIME_NOPROFILE };

/* Long speech without a pause (the VAD's end of speech) is broken into
 * utterances of about utt_max seconds: at a word boundary the first pass
 * found at least utt_overlap seconds back, the utterance ends there and the
 * audio after the boundary is fed again to a new utterance. Each utterance's
 * second pass (fwdflat, lattice) then runs while the clinician still speaks,
 * and what is left at the end is one short utterance. Decoder frames count
 * the replayed audio too: shift is how far they run ahead of the stream. */
struct sphinx {
	ps_decoder_t *ps;
	cmd_ln_t *cfg;
	struct asr_transcript *t; /* segments closed so far */
	bool in_speech;           /* the utterance open holds speech */
	uint64_t fed;             /* samples of the stream fed since start */
	int status;               /* first feed error, kept for finish */
	mfcc_t *cmn_init;         /* the model's initial cepstral mean, restored on start */
	bool voice;               /* a voice profile (MLLR transform) is loaded */
	bool profile_cmn;         /* cmn_init is the voice profile's mean */
	enum prime_mode prime;    /* cmn_prime: a whole file starts from its own mean */
	fe_t *fe;                 /* front end for a whole file's mean (cmn_prime) */
	mfcc_t **cep;             /* its output, PRIME_BLOCK frames */
	char keep_path[1100];     /* the running mean (cmn_keep); "" when off */
	bool primed;              /* this recording started from its own mean */
	int64_t speech_frames;    /* frames the decoder saw in this recording's speech */
	int max_frames;           /* utt_max in frames; 0: never break */
	int overlap_frames;       /* utt_overlap in frames */
	int64_t shift;            /* decoder frames - stream frames (replays) */
	int64_t utt_start;        /* decoder frame where the open utterance's speech began */
	int16_t *tail;            /* the last samples of the stream, for replays */
	size_t tail_len, tail_cap;
	int64_t next_break_try; /* decoder frame before which no break is looked for */
	unsigned utt_no;        /* utterances started since start */
	char *hyp;              /* the last partial hypothesis (malloc'ed) */
	int64_t hyp_frame;      /* decoder frame it was searched at */
	unsigned hyp_utt;       /* utt_no it belongs to */
	char *final;            /* text of the closed segments (malloc'ed) */
	size_t final_n;         /* segments in final */
	struct asr_stats st;    /* CPU per phase since start */
	int16_t pend[CHUNK];    /* fed audio not decoded yet (less than CHUNK) */
	size_t pend_len;
};

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Adds the CPU time since t0 to phase ph. */
static void phase_add(struct sphinx *s, enum asr_phase ph, double t0)
{
	s->st.cpu[ph] += thread_cpu() - t0;
	s->st.calls[ph]++;
}

const char *asr_sphinx_param(const struct config *cfg, const char *key)
{
	for (size_t i = 0; i < asr_sphinx_param_count; i++)
		if (strcmp(asr_sphinx_params[i].key, key) == 0)
			return config_get(cfg, SECTION, key, asr_sphinx_params[i].def);
	return NULL;
}

const char *asr_sphinx_data_file(const char *value, const char *name, char *buf, size_t size)
{
	if (value[0])
		return value;
	snprintf(buf, size, "%s/asr/%s", DICTUM_DATADIR, name);
	if (path_exists(buf))
		return buf;
	snprintf(buf, size, "%s/data/asr/%s", DICTUM_SOURCE_DATADIR, name);
	return path_exists(buf) ? buf : "";
}

static int make_config(const struct config *cfg, bool with_voice, cmd_ln_t **out, bool *voice,
                       char *err, size_t errlen)
{
	char *argv[MAX_PARAMS * 2 + 6], voice_file[1200];
	int argc = 0;
	for (size_t i = 0; i < asr_sphinx_param_count; i++) {
		const struct asr_sphinx_param *p = &asr_sphinx_params[i];
		if (!p->flag || argc + 2 > MAX_PARAMS * 2)
			continue;
		argv[argc++] = (char *)p->flag;
		argv[argc++] = (char *)config_get(cfg, SECTION, p->key, p->def);
	}
	/* The voice profile from `dictum asr enroll`, unless turned off. */
	const char *flag = with_voice ? asr_voice_load(cfg, voice_file, sizeof(voice_file)) : NULL;
	*voice = flag != NULL;
	if (flag) {
		argv[argc++] = (char *)flag;
		argv[argc++] = voice_file;
	}
	argv[argc++] = "-logfn";
	argv[argc++] = "/dev/null";
	argv[argc] = NULL;
	cmd_ln_t *c = cmd_ln_parse_r(NULL, ps_args(), argc, argv, FALSE);
	if (!c) {
		snprintf(err, errlen, "[%s]: a value is not valid for PocketSphinx", SECTION);
		*voice = false;
		return DICTUM_INVAL;
	}
	*out = c;
	return DICTUM_OK;
}

/* Adds each "word PH ON ES" line whose word the dictionary lacks. */
static int load_lexicon(ps_decoder_t *ps, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "medical lexicon %s: %s", path, strerror(errno));
		return DICTUM_NOTFOUND;
	}
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char *word = str_trim(line);
		if (!*word || *word == '#')
			continue;
		char *phones = word;
		while (*phones && !isspace((unsigned char)*phones))
			phones++;
		if (!*phones)
			continue;
		*phones++ = '\0';
		phones = str_trim(phones);
		char *lookup = ps_lookup_word(ps, word);
		if (lookup) {
			ckd_free(lookup);
			continue;
		}
		ps_add_word(ps, word, phones, FALSE);
	}
	fclose(f);
	return DICTUM_OK;
}

const char *asr_user_lm_file(const struct config *cfg, char *buf, size_t size)
{
	const char *set = asr_sphinx_param(cfg, "user_lm");
	if (set[0])
		return set;
	struct dictum_paths p;
	if (paths_resolve(&p, cfg, NULL) != DICTUM_OK)
		return "";
	snprintf(buf, size, "%s/" ASR_USER_LM, p.data_dir);
	return buf;
}

/* The user's model when there is one, else "". */
static const char *user_lm_path(const struct config *cfg, char *buf, size_t size)
{
	const char *path = asr_user_lm_file(cfg, buf, size);
	return path[0] && path_exists(path) ? path : "";
}

/* FNV-1a, for the names of cached models. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const unsigned char *)data)[i]) * 1099511628211ULL;
	return h;
}
#define FNV_START 1469598103934665603ULL

/* DATA_DIR/asr/cache into dir; false when no data directory resolves. */
static bool cache_dir(const struct config *cfg, char *dir, size_t size)
{
	struct dictum_paths p;
	if (paths_resolve(&p, cfg, NULL) != DICTUM_OK)
		return false;
	snprintf(dir, size, "%s/asr/cache", p.data_dir);
	return true;
}

/* Removes the files of dir whose names start with prefix, except keep. */
static void remove_old(const char *dir, const char *prefix, const char *keep)
{
	DIR *d = opendir(dir);
	char old[1400];
	size_t plen = strlen(prefix);
	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(old, sizeof(old), "%s/%s", dir, e->d_name);
		if (strncmp(e->d_name, prefix, plen) == 0 && strcmp(old, keep) != 0)
			unlink(old);
	}
	if (d)
		closedir(d);
}

/* A text (ARPA) model is read through a binary copy in DATA_DIR/asr/cache,
 * named by a hash of the text file's path, its size and mtime: parsing and
 * sorting the text costs about 0.1 s CPU at every start, the binary one a
 * fraction of that. A newer text (asr adapt) gets a new copy and the old
 * ones of the same path are removed. Where no copy can be written, the text
 * is read directly. bin gets the binary file the model was read from ("" when
 * it was read from text). */
static ngram_model_t *read_lm(const struct config *cfg, cmd_ln_t *c, const char *path,
                              logmath_t *lmath, char *bin, size_t binsize)
{
	struct stat st;
	char dir[1100], tmp[4400];
	const char *dot = strrchr(path, '.');
	str_copy(bin, path, binsize);
	if (!dot || (strcmp(dot, ".lm") != 0 && strcmp(dot, ".arpa") != 0))
		return ngram_model_read(c, path, NGRAM_AUTO, lmath);
	bin[0] = '\0';
	if (stat(path, &st) != 0 || !cache_dir(cfg, dir, sizeof(dir)))
		return ngram_model_read(c, path, NGRAM_AUTO, lmath);
	uint64_t h = fnv(FNV_START, path, strlen(path));
	snprintf(bin, binsize, "%s/%016llx-%lld-%lld.%09ld.lm.bin", dir, (unsigned long long)h,
	         (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	ngram_model_t *lm = path_exists(bin) ? ngram_model_read(c, bin, NGRAM_BIN, lmath) : NULL;
	if (lm)
		return lm;
	lm = ngram_model_read(c, path, NGRAM_AUTO, lmath);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", bin, (long)getpid());
	if (!lm || mkdir_p(dir, 0700) != 0 || ngram_model_write(lm, tmp, NGRAM_BIN) < 0 ||
	    rename(tmp, bin) != 0) {
		unlink(tmp);
		bin[0] = '\0';
		return lm;
	}
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "%016llx-", (unsigned long long)h);
	remove_old(dir, prefix, bin);
	return lm;
}

#define MERGED_PREFIX "merged-"

/* The merged model's file for these inputs (paths, sizes, mtimes,
 * weights); false when an input cannot be read or no data directory
 * resolves. */
static bool merged_file(const struct config *cfg, const char *const *paths, const float32 *weights,
                        int n, char *out, size_t size)
{
	char dir[1100];
	uint64_t h = fnv(FNV_START, "merge 1", 7);
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0)
			return false;
		char key[128];
		int len = snprintf(key, sizeof(key), "\n%lld %lld.%09ld %.6g",
		                   (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		                   (long)st.st_mtim.tv_nsec, (double)weights[i]);
		h = fnv(fnv(h, paths[i], strlen(paths[i])), key, (size_t)len);
	}
	if (!cache_dir(cfg, dir, sizeof(dir)))
		return false;
	snprintf(out, size, "%s/" MERGED_PREFIX "%016llx.lm.bin", dir, (unsigned long long)h);
	return true;
}

/* Whether an [asr.sphinx] switch is on: yes, on, 1 or true. */
static bool yes(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0 ||
	       strcmp(v, "true") == 0;
}

/* [asr.sphinx] merge_lm; its default comes from DICTUM_ASR_MERGE_LM when
 * set (the tests turn merging off: each test has a new data directory, and
 * merging the stock model takes tens of seconds). */
static bool merge_wanted(const struct config *cfg)
{
	const char *env = getenv("DICTUM_ASR_MERGE_LM");
	const char *v = config_get(cfg, SECTION, "merge_lm",
	                           env && env[0] ? env : asr_sphinx_param(cfg, "merge_lm"));
	return yes(v);
}

/* Builds the merged model of set into file (through a text model beside it,
 * removed after); NULL on failure (logged), the set is then used. */
static ngram_model_t *build_merged(struct sphinx *s, ngram_model_t *set,
                                   const struct lm_merge_input *in, int n, const char *file)
{
	char arpa[1300], err[1400] = "", dir[1100];
	uint64_t t0 = time_mono_ns();
	log_notice("preparing the speech model: merging its language models into one "
	           "(once after a model changes; up to a minute or two)");
	str_copy(dir, file, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	snprintf(arpa, sizeof(arpa), "%s.%ld.arpa", file, (long)getpid());
	ngram_model_t *lm = NULL;
	logmath_t *lmath = ps_get_logmath(s->ps);
	int rc = mkdir_p(dir, 0700);
	if (rc != 0)
		snprintf(err, sizeof(err), "%s: %s", dir, strerror(-rc));
	else if (lm_merge_write_arpa(set, lmath, in, n, arpa, err, sizeof(err)) == DICTUM_OK &&
	         !(lm = lm_merge_to_bin(s->cfg, lmath, arpa, file)))
		snprintf(err, sizeof(err), "cannot write %s", file);
	unlink(arpa);
	if (!lm) {
		log_warn("asr",
		         "the language models could not be merged (%s); interpolating them "
		         "at run time",
		         err);
		return NULL;
	}
	remove_old(dir, MERGED_PREFIX, file);
	log_info("asr", "merged language model ready in %.1f s",
	         (double)(time_mono_ns() - t0) / 1e9);
	return lm;
}

/* The stock model, interpolated with our domain model and the user's model
 * when they are there: one model merged from them, cached in
 * DATA_DIR/asr/cache (lm_merge.h), else an ngram_model_set. */
static int load_lm(struct sphinx *s, const struct config *cfg, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	char buf[1100], ubuf[1100], merged[1200] = "", bins[3][1200];
	logmath_t *lmath = ps_get_logmath(s->ps);
	const char *paths[3] = {
	    asr_sphinx_param(cfg, "lm"),
	    asr_sphinx_data_file(asr_sphinx_param(cfg, "domain_lm"), "dictation.lm", buf,
	                         sizeof(buf)),
	    user_lm_path(cfg, ubuf, sizeof(ubuf)),
	};
	double dw = atof(asr_sphinx_param(cfg, "domain_weight"));
	double uw = atof(asr_sphinx_param(cfg, "user_weight"));
	if (!(dw > 0 && dw < 1))
		paths[1] = "";
	if (!(uw > 0 && uw < 1))
		paths[2] = "";
	ngram_model_t *models[3] = {NULL, NULL, NULL}, *lm = NULL;
	const char *used[3];
	char *names[3] = {"stock", "dictum", "user"};
	float32 weights[3];
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (!paths[i][0])
			continue;
		used[n] = paths[i];
		names[n] = names[i];
		/* The user's share first, the rest split between stock and dictation. */
		weights[n] = (float32)(i == 2 ? uw
		                              : (paths[2][0] ? 1 - uw : 1) *
		                                    (paths[1][0] ? (i == 0 ? 1 - dw : dw) : 1));
		n++;
	}
	if (n > 1 && merge_wanted(cfg) &&
	    merged_file(cfg, used, weights, n, merged, sizeof(merged)) && path_exists(merged))
		lm = ngram_model_read(s->cfg, merged, NGRAM_BIN, lmath);
	for (int i = 0; !lm && i < n; i++) {
		models[i] = read_lm(cfg, s->cfg, used[i], lmath, bins[i], sizeof(bins[i]));
		if (!models[i]) {
			snprintf(err, errlen, "cannot read the language model %s", used[i]);
			result = DICTUM_NOTFOUND;
			goto cleanup;
		}
	}
	if (!lm && n == 1) {
		lm = models[0];
		models[0] = NULL;
	} else if (!lm) {
		lm = ngram_model_set_init(s->cfg, models, names, weights, n);
		if (!lm) {
			snprintf(err, errlen, "cannot interpolate the language models");
			result = DICTUM_INTERNAL;
			goto cleanup;
		}
		struct lm_merge_input in[3];
		bool walkable = merged[0] != '\0';
		for (int i = 0; i < n; i++) {
			in[i] = (struct lm_merge_input){bins[i], models[i]};
			walkable = walkable && bins[i][0];
		}
		ngram_model_t *one = walkable ? build_merged(s, lm, in, n, merged) : NULL;
		if (one) {
			ngram_model_free(lm);
			lm = one;
		}
	}
	int rv = ps_set_lm(s->ps, "dictum", lm);
	ngram_model_free(lm);
	if (rv < 0 || ps_set_search(s->ps, "dictum") < 0) {
		snprintf(err, errlen, "cannot start the language model search");
		result = DICTUM_INTERNAL;
	}
cleanup:
	for (int i = 0; i < 3; i++)
		if (models[i])
			ngram_model_free(models[i]);
	return result;
}

/* Where each recording's live cepstral mean starts, besides the model's or
 * the voice profile's: cmn_prime (a whole file's own mean, see
 * sphinx_prime) and cmn_keep (the running mean of this workstation's live
 * recordings, see keep_update). Not with -cmn none; the feature stream
 * turns any other CMN into live CMN once audio comes in pieces. */
static int cmn_setup(struct sphinx *s, const struct config *cfg, char *err, size_t errlen)
{
	feat_t *feat = ps_get_feat(s->ps);
	const char *prime = asr_sphinx_param(cfg, "cmn_prime");
	if (strcmp(prime, "noprofile") == 0)
		s->prime = PRIME_NOPROFILE;
	else if (yes(prime))
		s->prime = PRIME_YES;
	else if (strcmp(prime, "no") != 0 && strcmp(prime, "off") != 0) {
		snprintf(err, errlen, "[%s] cmn_prime must be yes, noprofile or no", SECTION);
		return DICTUM_INVAL;
	}
	if (feat->cmn == CMN_NONE || feat->cmn_struct->veclen > MAX_CEP)
		s->prime = PRIME_NO;
	if (s->prime != PRIME_NO) {
		s->fe = fe_init_auto_r(ps_get_config(s->ps));
		if (!s->fe || fe_get_output_size(s->fe) != feat->cmn_struct->veclen)
			s->prime = PRIME_NO; /* a front end the decoder does not use */
		else
			s->cep = (mfcc_t **)ckd_calloc_2d(
			    PRIME_BLOCK, (size_t)feat->cmn_struct->veclen, sizeof(mfcc_t));
	}
	struct dictum_paths p;
	if (cfg && feat->cmn != CMN_NONE && feat->cmn_struct->veclen <= MAX_CEP &&
	    yes(asr_sphinx_param(cfg, "cmn_keep")) && paths_resolve(&p, cfg, NULL) == DICTUM_OK)
		snprintf(s->keep_path, sizeof(s->keep_path), "%.1080s/" KEEP_FILE, p.data_dir);
	return DICTUM_OK;
}

/* The mean cepstrum of the speech frames of pcm (the front end's voice
 * activity detection picks them, as it does for the decoder, and frames of
 * negative c0 are left out as live CMN leaves them out) into mean; false
 * when there are fewer than PRIME_MIN. */
static bool file_mean(struct sphinx *s, const int16_t *pcm, size_t n, mfcc_t *mean)
{
	int veclen = fe_get_output_size(s->fe);
	double sum[MAX_CEP] = {0};
	long frames = 0;
	fe_start_stream(s->fe);
	fe_start_utt(s->fe);
	const int16 *p = pcm;
	size_t left = n;
	for (bool last = false; !last;) {
		int32 nfr = PRIME_BLOCK, idx = 0;
		if (left) {
			size_t before = left;
			if (fe_process_frames(s->fe, &p, &left, s->cep, &nfr, &idx) < 0)
				return false;
			if (left == before && nfr == 0)
				left = 0; /* nothing taken: end it */
		} else {
			fe_end_utt(s->fe, s->cep[0], &nfr);
			last = true;
		}
		for (int32 f = 0; f < nfr; f++) {
			if (s->cep[f][0] < 0)
				continue;
			for (int c = 0; c < veclen; c++)
				sum[c] += MFCC2FLOAT(s->cep[f][c]);
			frames++;
		}
	}
	if (frames < PRIME_MIN)
		return false;
	for (int c = 0; c < veclen; c++)
		mean[c] = FLOAT2MFCC(sum[c] / (double)frames);
	return true;
}

/* The whole recording is known before it is fed (a file): its live CMN
 * starts from the file's own mean. LJ's short read sentences barely move
 * live CMN off the model's mean (c0 41 against their 58), so without this
 * they were decoded with a mean they never reach. */
static int sphinx_prime(void *state, const int16_t *pcm, size_t n)
{
	struct sphinx *s = state;
	mfcc_t mean[MAX_CEP];
	if (s->prime == PRIME_NO || (s->prime == PRIME_NOPROFILE && s->profile_cmn))
		return DICTUM_OK;
	if (file_mean(s, pcm, n, mean)) {
		cmn_live_set(ps_get_feat(s->ps)->cmn_struct, mean);
		s->primed = true;
		log_debug("asr", "live CMN starts from the file's mean (c0 %.1f)",
		          (double)MFCC2FLOAT(mean[0]));
	}
	return DICTUM_OK;
}

/* After a live recording without a voice profile's mean, the running mean
 * in DATA_DIR/asr/cmn_mean becomes where live CMN ended, and the next
 * recording starts from it. That end state is already a decaying blend:
 * live CMN starts with the start mean counted as CMN_WIN frames (5 s of
 * speech), adds each speech frame and rescales its sums to that window as
 * it goes, so a short recording moves the mean part of the way and a long
 * dictation leaves its own mean. Recordings under KEEP_MIN speech frames
 * (a cough, silence) leave the file alone. One clinician per workstation:
 * the mean follows a voice and a microphone. */
static void keep_update(struct sphinx *s)
{
	cmn_t *cmn = ps_get_feat(s->ps)->cmn_struct;
	if (!s->keep_path[0] || s->primed || s->profile_cmn || s->speech_frames < KEEP_MIN)
		return;
	mfcc_t end[MAX_CEP];
	double mean[MAX_CEP];
	cmn_live_get(cmn, end);
	for (int c = 0; c < cmn->veclen; c++)
		mean[c] = MFCC2FLOAT(end[c]);
	if (mkdir_parent(s->keep_path, 0700) != 0 ||
	    asr_mean_write(s->keep_path, mean, (size_t)cmn->veclen))
		log_warn("asr", "cannot write the running cepstral mean %s", s->keep_path);
	else
		log_debug("asr", "running cepstral mean c0 %.1f after %lld speech frames", mean[0],
		          (long long)s->speech_frames);
}

static void sphinx_destroy(void *state)
{
	struct sphinx *s = state;
	if (!s)
		return;
	asr_transcript_free(&s->t);
	free(s->cmn_init);
	free(s->tail);
	free(s->hyp);
	free(s->final);
	if (s->cep)
		ckd_free_2d(s->cep);
	if (s->fe)
		fe_free(s->fe);
	if (s->ps)
		ps_free(s->ps);
	if (s->cfg)
		cmd_ln_free_r(s->cfg);
	free(s);
}

static int sphinx_create(const struct config *cfg, void **state, char *err, size_t errlen)
{
	int result = DICTUM_OK;
	char buf[1100];
	/* PocketSphinx writes its chatter to stderr unless told otherwise. */
	err_set_logfp(NULL);
	struct sphinx *s = calloc(1, sizeof(*s));
	if (!s) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	const char *hmm = asr_sphinx_param(cfg, "hmm");
	if (!path_exists(hmm)) {
		snprintf(err, errlen,
		         "no acoustic model at %s (apt-get install pocketsphinx-en-us)", hmm);
		result = DICTUM_NOTFOUND;
		goto cleanup;
	}
	s->max_frames = (int)(atof(asr_sphinx_param(cfg, "utt_max")) * FRAME_RATE);
	s->overlap_frames = (int)(atof(asr_sphinx_param(cfg, "utt_overlap")) * FRAME_RATE);
	if (s->max_frames < 0 || s->overlap_frames < 10 || s->overlap_frames > BREAK_BACK / 2) {
		snprintf(err, errlen, "[%s] utt_max must be >= 0, utt_overlap 0.1 to %.1f s",
		         SECTION, BREAK_BACK / 2 / FRAME_RATE);
		result = DICTUM_INVAL;
		goto cleanup;
	}
	result = make_config(cfg, true, &s->cfg, &s->voice, err, errlen);
	if (result != DICTUM_OK)
		goto cleanup;
	s->ps = ps_init(s->cfg);
	if (!s->ps && s->voice) {
		/* A damaged profile must not stop dictation. */
		log_warn("asr", "the voice profile could not be loaded; recognising without it");
		cmd_ln_free_r(s->cfg);
		s->cfg = NULL;
		if ((result = make_config(cfg, false, &s->cfg, &s->voice, err, errlen)) !=
		    DICTUM_OK)
			goto cleanup;
		s->ps = ps_init(s->cfg);
	}
	if (!s->ps) {
		snprintf(err, errlen, "PocketSphinx could not load the model at %s", hmm);
		result = DICTUM_NOTFOUND;
		goto cleanup;
	}
	const char *lexicon =
	    asr_sphinx_data_file(asr_sphinx_param(cfg, "lexicon"), "medical.dic", buf, sizeof(buf));
	if (lexicon[0]) {
		result = load_lexicon(s->ps, lexicon, err, errlen);
		if (result != DICTUM_OK)
			goto cleanup;
	}
	result = load_lm(s, cfg, err, errlen);
	if (result != DICTUM_OK)
		goto cleanup;
	cmn_t *cmn = ps_get_feat(s->ps)->cmn_struct;
	s->cmn_init = calloc((size_t)cmn->veclen, sizeof(*s->cmn_init));
	if (!s->cmn_init) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	cmn_live_get(cmn, s->cmn_init);
	/* The voice's own mean, where the profile has one: LJ leave-one-out
	 * 34.6% -> 19.2% WER on 4 folds from this alone. */
	float mean[MAX_CEP];
	s->profile_cmn =
	    s->voice && cmn->veclen <= MAX_CEP && asr_voice_cmninit(cfg, mean, (size_t)cmn->veclen);
	if (s->profile_cmn)
		for (int i = 0; i < cmn->veclen; i++)
			s->cmn_init[i] = FLOAT2MFCC(mean[i]);
	if ((result = cmn_setup(s, cfg, err, errlen)) != DICTUM_OK)
		goto cleanup;
	*state = s;
	s = NULL;
cleanup:
	sphinx_destroy(s);
	return result;
}

static bool is_filler(const char *w)
{
	return !w[0] || w[0] == '<' || w[0] == '[' || w[0] == '+';
}

/* How good a place for a break the end of word w is: 2 after a spoken full
 * stop or line break (a new sentence starts), 1 after a comma or colon, else
 * 0. Pauses rank 3. */
static int break_rank(const char *w)
{
	static const char *const words[] = {"period", "paragraph", "line", "comma", "colon"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i]) == 0)
			return i < 3 ? 2 : 1;
	return 0;
}

/* A boundary between lo and hi (decoder frames) on the decoder's best path
 * so far, of rank min_rank or better (see break_rank): the last one of the
 * best rank there, a pause at its middle; -1 if none. */
static int64_t pick_boundary(ps_decoder_t *ps, int64_t lo, int64_t hi, int min_rank)
{
	int64_t best[4] = {-1, -1, -1, -1};
	for (ps_seg_t *it = ps_seg_iter(ps); it; it = ps_seg_next(it)) {
		int sf = 0, ef = 0;
		ps_seg_frames(it, &sf, &ef);
		const char *w = ps_seg_word(it);
		if (strcmp(w, "<s>") == 0 || strcmp(w, "</s>") == 0)
			continue;
		bool pause = is_filler(w);
		int64_t at = pause ? (sf + ef + 1) / 2 : ef + 1;
		if (at >= lo && at <= hi)
			best[pause ? 3 : break_rank(w)] = at;
	}
	for (int r = 3; r >= min_rank; r--)
		if (best[r] >= 0)
			return best[r];
	return -1;
}

/* Closes the utterance in progress and appends its words as a segment. With
 * limit >= 0 (a decoder frame), only the words before a boundary of the
 * final best path near it, and *cut is that boundary. */
static int close_utterance(struct sphinx *s, int64_t limit, int64_t *cut)
{
	int result = DICTUM_OK;
	struct dynbuf text;
	dynbuf_init(&text, (size_t)1 << 24);
	if (ps_end_utt(s->ps) < 0)
		return DICTUM_INTERNAL;
	if (limit >= 0) {
		int64_t b = pick_boundary(s->ps, limit - 40, limit + 10, 0);
		limit = b >= 0 ? b : limit;
		*cut = limit;
	}
	if (s->in_speech)
		s->speech_frames += ps_get_n_frames(s->ps);
	if (!s->in_speech || !ps_get_hyp(s->ps, NULL))
		goto cleanup;
	logmath_t *lmath = ps_get_logmath(s->ps);
	size_t first = s->t->n_segments;
	bool added = false;
	double conf_sum = 0;
	size_t n = 0;
	for (ps_seg_t *it = ps_seg_iter(s->ps); it; it = ps_seg_next(it)) {
		char word[128];
		snprintf(word, sizeof(word), "%s", ps_seg_word(it));
		char *alt = strchr(word, '(');
		if (alt && alt != word)
			*alt = '\0';
		if (is_filler(word))
			continue;
		int sf = 0, ef = 0;
		ps_seg_frames(it, &sf, &ef);
		if (limit >= 0 && sf + ef + 1 > 2 * limit) {
			ps_seg_free(it);
			break;
		}
		sf -= (int)s->shift;
		ef -= (int)s->shift;
		double conf = logmath_exp(lmath, ps_seg_prob(it, NULL, NULL, NULL));
		if (conf > 1)
			conf = 1;
		double start = sf / FRAME_RATE;
		double end = (ef + 1) / FRAME_RATE;
		if (!added) {
			result = asr_transcript_add_segment(s->t, "", start, end, -1);
			added = result == DICTUM_OK;
		}
		if (result == DICTUM_OK)
			result = asr_transcript_add_word(s->t, word, start, end, conf);
		if (result == DICTUM_OK && text.len)
			result = dynbuf_add(&text, " ", 1);
		if (result == DICTUM_OK)
			result = dynbuf_addstr(&text, word);
		if (result != DICTUM_OK) {
			ps_seg_free(it);
			break;
		}
		conf_sum += conf;
		n++;
	}
	if (added) {
		struct asr_segment *seg = &s->t->segments[first];
		char *joined = dynbuf_take(&text);
		if (joined) {
			free(seg->text);
			seg->text = joined;
		} else {
			result = DICTUM_NOMEM;
		}
		seg->end = seg->n_words ? seg->words[seg->n_words - 1].end : seg->start;
		seg->confidence = n ? conf_sum / (double)n : -1;
	}
cleanup:
	dynbuf_free(&text);
	s->in_speech = false;
	return result;
}

static int sphinx_start(void *state)
{
	struct sphinx *s = state;
	if (ps_get_in_speech(s->ps) || s->t)
		ps_end_utt(s->ps);
	asr_transcript_free(&s->t);
	/* A new recording starts from the voice profile's mean, else this
	 * workstation's running mean (keep_update), else the model's; never
	 * from where the last recording left it in this process. A file is
	 * primed with its own mean after this (sphinx_prime). */
	cmn_t *cmn = ps_get_feat(s->ps)->cmn_struct;
	float kept[MAX_CEP];
	mfcc_t start[MAX_CEP];
	if (!s->profile_cmn && s->keep_path[0] &&
	    asr_mean_read(s->keep_path, kept, (size_t)cmn->veclen)) {
		for (int i = 0; i < cmn->veclen; i++)
			start[i] = FLOAT2MFCC(kept[i]);
		cmn_live_set(cmn, start);
		log_debug("asr", "live CMN starts from the running mean (c0 %.1f)",
		          (double)kept[0]);
	} else {
		cmn_live_set(cmn, s->cmn_init);
	}
	s->primed = false;
	s->speech_frames = 0;
	s->t = asr_transcript_new("sphinx");
	if (!s->t)
		return DICTUM_NOMEM;
	s->t->voice_profile = s->voice;
	s->in_speech = false;
	s->fed = 0;
	s->status = DICTUM_OK;
	s->shift = 0;
	s->utt_start = 0;
	s->tail_len = 0;
	s->next_break_try = 0;
	s->pend_len = 0;
	s->utt_no = 0;
	free(s->hyp);
	free(s->final);
	s->hyp = s->final = NULL;
	s->final_n = 0;
	memset(&s->st, 0, sizeof(s->st));
	/* Segment frames count from the start of the stream, silence included. */
	if (ps_start_stream(s->ps) < 0 || ps_start_utt(s->ps) < 0)
		return DICTUM_INTERNAL;
	return DICTUM_OK;
}

/* Keeps the last TAIL_KEEP samples of the stream. */
static int tail_add(struct sphinx *s, const int16_t *pcm, size_t n)
{
	if (s->tail && s->tail_len + n > s->tail_cap) {
		size_t keep = s->tail_len < TAIL_KEEP ? s->tail_len : TAIL_KEEP;
		memmove(s->tail, s->tail + (s->tail_len - keep), keep * sizeof(*s->tail));
		s->tail_len = keep;
	}
	if (s->tail_len + n > s->tail_cap) {
		size_t cap = s->tail_len + n + 2 * TAIL_KEEP;
		int16_t *grown = realloc(s->tail, cap * sizeof(*grown));
		if (!grown)
			return DICTUM_NOMEM;
		s->tail = grown;
		s->tail_cap = cap;
	}
	memcpy(s->tail + s->tail_len, pcm, n * sizeof(*pcm));
	s->tail_len += n;
	return DICTUM_OK;
}

/* Decoder frame of the next sample. */
static int64_t decoder_frame(const struct sphinx *s)
{
	return (int64_t)(s->fed / FRAME) + s->shift;
}

/* Where to break the open utterance: a decoder frame on a boundary of the
 * first pass's best path, between overlap_frames and BREAK_WINDOW more
 * back and at least one second after the utterance began; a pause or a new
 * sentence, any word boundary once the utterance is half as long again as
 * utt_max; -1 when there is none. Everything after the boundary is decoded
 * twice, so a boundary further back is not looked for: it was looked for
 * BREAK_TRY_FRAMES ago (before utt_max it was not, and a window reaching
 * BREAK_BACK back replayed 1.2 s per break on the long dictations). */
static int64_t break_frame(struct sphinx *s)
{
	int64_t now = decoder_frame(s);
	int64_t lo = now - s->overlap_frames - BREAK_WINDOW;
	if (lo < s->utt_start + 100)
		lo = s->utt_start + 100;
	int min_rank = (now - s->utt_start) * 2 >= s->max_frames * 3 ? 0 : 2;
	return pick_boundary(s->ps, lo, now - s->overlap_frames, min_rank);
}

/* Ends the open utterance near decoder frame at and feeds the audio after
 * the boundary to a new utterance. */
static int break_utterance(struct sphinx *s, int64_t at)
{
	int64_t cut = at;
	double t0 = thread_cpu();
	int result = close_utterance(s, at, &cut);
	phase_add(s, ASR_PHASE_BREAK, t0);
	if (result != DICTUM_OK)
		return result;
	t0 = thread_cpu();
	size_t replay = (size_t)(decoder_frame(s) - cut) * FRAME;
	if (replay > s->tail_len)
		replay = s->tail_len;
	s->shift += (int64_t)(replay / FRAME);
	s->utt_start = decoder_frame(s) - (int64_t)(replay / FRAME);
	s->utt_no++;
	s->st.replayed_s += (double)replay / ASR_SAMPLE_RATE;
	if (ps_start_utt(s->ps) < 0)
		return DICTUM_INTERNAL;
	const int16_t *from = s->tail + (s->tail_len - replay);
	for (size_t done = 0; done < replay; done += CHUNK) {
		size_t len = replay - done < CHUNK ? replay - done : CHUNK;
		if (ps_process_raw(s->ps, from + done, len, FALSE, FALSE) < 0)
			return DICTUM_INTERNAL;
	}
	s->in_speech = ps_get_in_speech(s->ps);
	phase_add(s, ASR_PHASE_REPLAY, t0);
	return DICTUM_OK;
}

/* CPU of the phases other than feeding, for sphinx_feed's own share. */
static double others_cpu(const struct sphinx *s)
{
	return s->st.cpu[ASR_PHASE_PAUSE] + s->st.cpu[ASR_PHASE_BREAK] +
	       s->st.cpu[ASR_PHASE_REPLAY];
}

/* Decodes one piece of the stream (at most CHUNK samples) and ends, starts
 * or breaks utterances as the VAD and utt_max say. */
static int process_piece(struct sphinx *s, const int16_t *pcm, size_t len)
{
	int result = DICTUM_OK;
	if (ps_process_raw(s->ps, pcm, len, FALSE, FALSE) < 0)
		return DICTUM_INTERNAL;
	s->fed += len;
	if (s->max_frames && (result = tail_add(s, pcm, len)) != DICTUM_OK)
		return result;
	bool speech = ps_get_in_speech(s->ps);
	if (speech && !s->in_speech) {
		s->in_speech = true;
		s->utt_start = decoder_frame(s);
	} else if (!speech && s->in_speech) {
		double t0 = thread_cpu();
		result = close_utterance(s, -1, NULL);
		if (result == DICTUM_OK && ps_start_utt(s->ps) < 0)
			result = DICTUM_INTERNAL;
		s->utt_no++;
		phase_add(s, ASR_PHASE_PAUSE, t0);
	} else if (speech && s->max_frames && decoder_frame(s) - s->utt_start >= s->max_frames &&
	           decoder_frame(s) >= s->next_break_try) {
		s->next_break_try = decoder_frame(s) + BREAK_TRY_FRAMES;
		int64_t b = break_frame(s);
		if (b >= 0)
			result = break_utterance(s, b);
	}
	return result;
}

/* Decodes what is held back in s->pend. */
static int flush_pending(struct sphinx *s)
{
	size_t len = s->pend_len;
	s->pend_len = 0;
	return len ? process_piece(s, s->pend, len) : DICTUM_OK;
}

/* Audio is decoded in pieces of CHUNK samples (0.1 s): the workstation hands
 * over 20 ms at a time, and five small calls cost more than one (the
 * decoder's tables are cold again after each wait). Less than a piece is
 * held back in s->pend until the rest comes or the recording ends. */
static int sphinx_feed(void *state, const int16_t *pcm, size_t n)
{
	struct sphinx *s = state;
	int result = s->status;
	double t0 = thread_cpu(), others = others_cpu(s);
	for (size_t at = 0; result == DICTUM_OK && at < n;) {
		if (!s->pend_len && n - at >= CHUNK) {
			result = process_piece(s, pcm + at, CHUNK);
			at += CHUNK;
			continue;
		}
		size_t take = CHUNK - s->pend_len < n - at ? CHUNK - s->pend_len : n - at;
		memcpy(s->pend + s->pend_len, pcm + at, take * sizeof(*pcm));
		s->pend_len += take;
		at += take;
		if (s->pend_len == CHUNK)
			result = flush_pending(s);
	}
	s->status = result;
	s->st.cpu[ASR_PHASE_FEED] += thread_cpu() - t0 - (others_cpu(s) - others);
	s->st.calls[ASR_PHASE_FEED]++;
	return result;
}

/* Replaces *cached with a copy of text; false without memory. */
static bool recache(char **cached, const char *text)
{
	char *copy = strdup(text ? text : "");
	if (!copy)
		return false;
	free(*cached);
	*cached = copy;
	return true;
}

/* The closed segments' text is rebuilt only when one was added, and the
 * open utterance's hypothesis (a search of the first pass's best path) only
 * every HYP_FRAMES frames of new audio: callers may ask per piece fed. */
static int sphinx_partial(void *state, struct asr_partial *p)
{
	struct sphinx *s = state;
	double t0 = thread_cpu();
	int result = DICTUM_NOMEM;
	if (!s->final || s->final_n != s->t->n_segments) {
		char *text = asr_transcript_text(s->t);
		if (!text)
			goto done;
		free(s->final);
		s->final = text;
		s->final_n = s->t->n_segments;
	}
	if (!s->in_speech) {
		if (!recache(&s->hyp, ""))
			goto done;
		s->hyp_frame = -HYP_FRAMES;
	} else if (!s->hyp || s->hyp_utt != s->utt_no ||
	           decoder_frame(s) - s->hyp_frame >= HYP_FRAMES) {
		if (!recache(&s->hyp, ps_get_hyp(s->ps, NULL)))
			goto done;
		s->hyp_frame = decoder_frame(s);
		s->hyp_utt = s->utt_no;
		s->st.hyps++;
	}
	p->final = strdup(s->final);
	p->pending = strdup(s->hyp);
	p->n_final = s->t->n_segments;
	result = p->final && p->pending ? DICTUM_OK : DICTUM_NOMEM;
done:
	phase_add(s, ASR_PHASE_PARTIAL, t0);
	return result;
}

static int sphinx_finish(void *state, struct asr_transcript **out, char *err, size_t errlen)
{
	struct sphinx *s = state;
	double t0 = thread_cpu();
	if (s->status == DICTUM_OK)
		s->status = flush_pending(s);
	int result = close_utterance(s, -1, NULL);
	phase_add(s, ASR_PHASE_FINISH, t0);
	s->t->duration = (double)s->fed / ASR_SAMPLE_RATE;
	if (result == DICTUM_OK && s->status == DICTUM_OK)
		keep_update(s);
	if (s->status != DICTUM_OK)
		snprintf(err, errlen,
		         "PocketSphinx stopped on an error; the text before it is kept");
	*out = s->t;
	s->t = NULL;
	return result;
}

static int sphinx_knows(void *state, const char *word)
{
	struct sphinx *s = state;
	char *phones = ps_lookup_word(s->ps, word);
	ckd_free(phones);
	return phones != NULL;
}

static void sphinx_stats(const void *state, struct asr_stats *st)
{
	*st = ((const struct sphinx *)state)->st;
}

const struct asr_engine_ops asr_sphinx_ops = {
    .name = "sphinx",
    .create = sphinx_create,
    .start = sphinx_start,
    .prime = sphinx_prime,
    .feed = sphinx_feed,
    .partial = sphinx_partial,
    .finish = sphinx_finish,
    .destroy = sphinx_destroy,
    .knows = sphinx_knows,
    .stats = sphinx_stats,
};
