#include "asr/lm_merge.h"
#include "core/lib.h"

#include <sphinxbase/bitarr.h>
#include <sphinxbase/logmath.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WBITS     21 /* set word ids in a packed n-gram key */
#define WMASK     ((UINT64_C(1) << WBITS) - 1)
#define CHECK_ANY 61 /* every so many n-grams of a walk are looked up again */
#define MIN_MASS  1e-12
#define TRIE_HDR  "Trie Language Model"

/* The head of sphinxbase's in-memory trie (lm_trie.h in libsphinxbase 5prealpha,
 * not installed): what the walk reads. The loaded model checks every walk. */
struct trie_base {
	uint8 word_bits, total_bits;
	uint32 word_mask;
	uint8 *base;
	uint32 insert_index, max_vocab;
};
struct trie_middle {
	struct trie_base b;
	bitarr_mask_t next_mask;
	uint8 quant_bits;
	void *next_source;
};
struct trie_longest {
	struct trie_base b;
	uint8 quant_bits;
};
struct trie_unigram {
	float prob, bo;
	uint32 next;
};
struct trie {
	uint8 *mem;
	size_t mem_size;
	struct trie_unigram *unigrams;
	struct trie_middle *middle_begin, *middle_end;
	struct trie_longest *longest;
	void *quant;
};

/* Exported by libsphinxbase, declared in its private lm_trie.h. */
struct trie *lm_trie_read_bin(uint32 *counts, int order, FILE *fp);
void lm_trie_free(struct trie *trie);

struct keys {
	uint64_t *v;
	size_t n, cap;
};

static int keys_add(struct keys *k, uint64_t key)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1 << 16;
		uint64_t *v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return DICTUM_NOMEM;
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n++] = key;
	return DICTUM_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void keys_sort_unique(struct keys *k)
{
	if (!k->n)
		return;
	qsort(k->v, k->n, sizeof(*k->v), cmp_u64);
	size_t out = 0;
	for (size_t i = 0; i < k->n; i++)
		if (!out || k->v[out - 1] != k->v[i])
			k->v[out++] = k->v[i];
	k->n = out;
}

/* Index of key in sorted k, or -1. */
static ptrdiff_t keys_find(const struct keys *k, uint64_t key)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && k->v[lo] == key ? (ptrdiff_t)lo : -1;
}

static uint32 read_bits(const struct trie_base *b, uint64_t bit, uint8 len, uint32 mask)
{
	bitarr_address_t a = {b->base, (uint32)bit};
	return bitarr_read_int25(a, len, mask);
}

/* One component's walk: its words mapped to the set's ids, and the keys
 * (set ids) of its bigrams and trigrams added to the union. */
struct walk {
	ngram_model_t *model, *set;
	struct trie *t;
	uint32 counts[3];
	int order;
	int32 *map;  /* component word id -> set word id */
	bool *known; /* set word ids some component has */
	struct keys *bi, *tri;
	int32 nw; /* set words */
	size_t seen;
	char *err;
	size_t errlen;
};

/* Whether the component finds words (component ids, oldest first) at its
 * full order: a check of the walk against the loaded model. */
static bool walk_agrees(struct walk *w, const uint32 *words, int m)
{
	if (w->seen++ % CHECK_ANY)
		return true;
	int32 hist[2], used = 0;
	for (int i = 0; i < m - 1; i++)
		hist[i] = (int32)words[m - 2 - i];
	ngram_ng_prob(w->model, (int32)words[m - 1], hist, m - 1, &used);
	return used == m;
}

static int walk_fail(struct walk *w, const char *what)
{
	snprintf(w->err, w->errlen, "the language model's trie does not read as expected (%s)",
	         what);
	return DICTUM_INVAL;
}

/* The trie is keyed backwards (as KenLM's, which it follows): under each
 * unigram, the words before it; under each of those, the word before that.
 * A path (w, h2, h1) is the trigram "h1 h2 w". */
static int walk_trigrams(struct walk *w, uint32 last, uint32 h2, uint32 begin, uint32 end)
{
	const struct trie_base *b = &w->t->longest->b;
	if (begin > end || end > w->counts[2])
		return walk_fail(w, "trigram range");
	for (uint32 p = begin; p < end; p++) {
		uint32 words[3] = {
		    read_bits(b, (uint64_t)p * b->total_bits, b->word_bits, b->word_mask), h2,
		    last};
		if (words[0] >= w->counts[0] || !walk_agrees(w, words, 3))
			return walk_fail(w, "trigram");
		uint64_t key = (uint64_t)w->map[words[0]] << (2 * WBITS) |
		               (uint64_t)w->map[h2] << WBITS | (uint64_t)w->map[last];
		if (keys_add(w->tri, key))
			return DICTUM_NOMEM;
	}
	return DICTUM_OK;
}

static int walk_bigrams(struct walk *w, uint32 last)
{
	uint32 begin = w->t->unigrams[last].next, end = w->t->unigrams[last + 1].next;
	const struct trie_base *b = w->order > 2 ? &w->t->middle_begin[0].b : &w->t->longest->b;
	if (begin > end || end > w->counts[1])
		return walk_fail(w, "bigram range");
	for (uint32 p = begin; p < end; p++) {
		uint64_t at = (uint64_t)p * b->total_bits;
		uint32 words[2] = {read_bits(b, at, b->word_bits, b->word_mask), last};
		if (words[0] >= w->counts[0] || !walk_agrees(w, words, 2))
			return walk_fail(w, "bigram");
		if (keys_add(w->bi, (uint64_t)w->map[words[0]] << WBITS | (uint64_t)w->map[last]))
			return DICTUM_NOMEM;
		if (w->order < 3)
			continue;
		const struct trie_middle *mid = &w->t->middle_begin[0];
		uint64_t off = (uint64_t)b->word_bits + mid->quant_bits;
		uint32 tb = read_bits(b, at + off, mid->next_mask.bits, mid->next_mask.mask);
		uint32 te = read_bits(b, at + b->total_bits + off, mid->next_mask.bits,
		                      mid->next_mask.mask);
		int rc = walk_trigrams(w, last, words[0], tb, te);
		if (rc)
			return rc;
	}
	return DICTUM_OK;
}

/* Reads the word strings after the trie (an int32 byte count, then the
 * words, each NUL-terminated) and maps them to the set's ids. */
static int read_words(struct walk *w, FILE *f)
{
	int32 k = 0;
	if (fread(&k, sizeof(k), 1, f) != 1 || k <= 0)
		return walk_fail(w, "word list");
	char *s = malloc((size_t)k);
	w->map = malloc(w->counts[0] * sizeof(*w->map));
	if (!s || !w->map) {
		free(s);
		return DICTUM_NOMEM;
	}
	int rc = DICTUM_OK;
	if (fread(s, 1, (size_t)k, f) != (size_t)k || s[k - 1] != '\0') {
		rc = walk_fail(w, "word list");
		goto cleanup;
	}
	size_t at = 0;
	for (uint32 i = 0; i < w->counts[0]; i++) {
		if (at >= (size_t)k) {
			rc = walk_fail(w, "word count");
			goto cleanup;
		}
		const char *word = s + at;
		at += strlen(word) + 1;
		int32 sid = ngram_wid(w->set, word);
		if (ngram_wid(w->model, word) != (int32)i || sid < 0 || (uint64_t)sid > WMASK) {
			rc = walk_fail(w, "word ids");
			goto cleanup;
		}
		if (sid >= w->nw) {
			rc = walk_fail(w, "word ids");
			goto cleanup;
		}
		w->map[i] = sid;
		w->known[sid] = true;
	}
cleanup:
	free(s);
	return rc;
}

static int walk_file(struct walk *w, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
		return DICTUM_IO;
	}
	int rc = DICTUM_OK;
	char hdr[sizeof(TRIE_HDR)] = "";
	uint8 order = 0;
	if (fread(hdr, 1, strlen(TRIE_HDR), f) != strlen(TRIE_HDR) || strcmp(hdr, TRIE_HDR) != 0 ||
	    fread(&order, 1, 1, f) != 1 || order < 1 || order > 3 ||
	    (int)order != ngram_model_get_size(w->model)) {
		rc = walk_fail(w, "not a trie model of order 1 to 3");
		goto cleanup;
	}
	w->order = order;
	memset(w->counts, 0, sizeof(w->counts));
	if (fread(w->counts, sizeof(uint32), order, f) != order) {
		rc = walk_fail(w, "counts");
		goto cleanup;
	}
	const uint32 *loaded = ngram_model_get_counts(w->model);
	if (w->counts[0] != loaded[0]) {
		rc = walk_fail(w, "unigram count");
		goto cleanup;
	}
	w->t = lm_trie_read_bin(w->counts, order, f);
	if (!w->t) {
		rc = walk_fail(w, "trie");
		goto cleanup;
	}
	/* The layout as this file expects it, before any bit is read. */
	const struct trie_longest *lo = w->t->longest;
	if (!w->t->unigrams || w->t->unigrams[w->counts[0]].next > w->counts[1] ||
	    (order > 1 &&
	     (!lo || w->t->middle_end - w->t->middle_begin != order - 2 || !lo->b.base ||
	      lo->b.word_bits < 1 || lo->b.word_bits > 25 || lo->b.total_bits < lo->b.word_bits))) {
		rc = walk_fail(w, "layout");
		goto cleanup;
	}
	if ((rc = read_words(w, f)))
		goto cleanup;
	for (uint32 h = 0; order > 1 && h < w->counts[0] && !rc; h++)
		rc = walk_bigrams(w, h);
cleanup:
	if (w->t)
		lm_trie_free(w->t);
	w->t = NULL;
	free(w->map);
	w->map = NULL;
	fclose(f);
	return rc;
}

static double ln_of(logmath_t *lm, int32 p)
{
	return logmath_log_to_ln(lm, p);
}

/* ln of a back-off weight: the mass left by the context's own n-grams
 * over the mass the shorter context gives the same words. */
static double backoff(double own, double lower)
{
	double num = 1 - own, den = 1 - lower;
	return log(num > MIN_MASS ? num : MIN_MASS) - log(den > MIN_MASS ? den : MIN_MASS);
}

static void put_log10(FILE *f, double ln)
{
	double v = ln / M_LN10;
	fprintf(f, "%.6f", v < -99 ? -99.0 : v);
}

struct merged {
	ngram_model_t *set;
	logmath_t *lm;
	int32 nw;      /* set words */
	int32 n_known; /* of them, the words of a component */
	bool *known;
	int32 *p1, *p2, *p3; /* set probabilities (logmath) */
	double *bo1, *bo2;   /* back-off weights (ln) */
	struct keys bi, tri; /* sorted n-gram keys (set ids) */
};

/* The merged model's own bigram probability (ln), explicit or backed off. */
static double merged_p2(const struct merged *m, uint32 h, uint32 w)
{
	ptrdiff_t i = keys_find(&m->bi, (uint64_t)h << WBITS | w);
	return i >= 0 ? ln_of(m->lm, m->p2[i]) : m->bo1[h] + ln_of(m->lm, m->p1[w]);
}

static int estimate(struct merged *m)
{
	int32 hist[2], used;
	m->p1 = malloc((size_t)m->nw * sizeof(*m->p1));
	m->bo1 = calloc((size_t)m->nw, sizeof(*m->bo1));
	m->p2 = malloc((m->bi.n + 1) * sizeof(*m->p2));
	m->bo2 = calloc(m->bi.n + 1, sizeof(*m->bo2));
	m->p3 = malloc((m->tri.n + 1) * sizeof(*m->p3));
	if (!m->p1 || !m->bo1 || !m->p2 || !m->bo2 || !m->p3)
		return DICTUM_NOMEM;
	for (int32 w = 0; w < m->nw; w++)
		m->p1[w] = ngram_ng_prob(m->set, w, NULL, 0, &used);
	for (size_t i = 0; i < m->bi.n; i++) {
		hist[0] = (int32)(m->bi.v[i] >> WBITS);
		m->p2[i] = ngram_ng_prob(m->set, (int32)(m->bi.v[i] & WMASK), hist, 1, &used);
	}
	for (size_t i = 0; i < m->tri.n; i++) {
		hist[0] = (int32)(m->tri.v[i] >> WBITS & WMASK);
		hist[1] = (int32)(m->tri.v[i] >> (2 * WBITS));
		m->p3[i] = ngram_ng_prob(m->set, (int32)(m->tri.v[i] & WMASK), hist, 2, &used);
	}
	/* Unigram contexts: their bigrams are contiguous in the sorted keys. */
	for (size_t i = 0; i < m->bi.n;) {
		uint64_t h = m->bi.v[i] >> WBITS;
		double own = 0, lower = 0;
		for (; i < m->bi.n && m->bi.v[i] >> WBITS == h; i++) {
			own += exp(ln_of(m->lm, m->p2[i]));
			lower += exp(ln_of(m->lm, m->p1[m->bi.v[i] & WMASK]));
		}
		m->bo1[h] = backoff(own, lower);
	}
	for (size_t i = 0; i < m->tri.n;) {
		uint64_t ctx = m->tri.v[i] >> WBITS;
		double own = 0, lower = 0;
		for (; i < m->tri.n && m->tri.v[i] >> WBITS == ctx; i++) {
			own += exp(ln_of(m->lm, m->p3[i]));
			lower +=
			    exp(merged_p2(m, (uint32)(ctx & WMASK), (uint32)(m->tri.v[i] & WMASK)));
		}
		ptrdiff_t b = keys_find(&m->bi, ctx);
		if (b < 0)
			return DICTUM_INVAL; /* a trigram without its bigram */
		m->bo2[b] = backoff(own, lower);
	}
	return DICTUM_OK;
}

static int write_arpa(const struct merged *m, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return DICTUM_IO;
	int order = m->tri.n ? 3 : m->bi.n ? 2 : 1;
	fprintf(f, "\\data\\\nngram 1=%d\n", (int)m->n_known);
	if (order > 1)
		fprintf(f, "ngram 2=%zu\n", m->bi.n);
	if (order > 2)
		fprintf(f, "ngram 3=%zu\n", m->tri.n);
	fprintf(f, "\n\\1-grams:\n");
	for (int32 w = 0; w < m->nw; w++) {
		if (!m->known[w])
			continue;
		put_log10(f, ln_of(m->lm, m->p1[w]));
		fprintf(f, "\t%s", ngram_word(m->set, w));
		if (order > 1) {
			fputc('\t', f);
			put_log10(f, m->bo1[w]);
		}
		fputc('\n', f);
	}
	if (order > 1)
		fprintf(f, "\n\\2-grams:\n");
	for (size_t i = 0; i < m->bi.n; i++) {
		put_log10(f, ln_of(m->lm, m->p2[i]));
		fprintf(f, "\t%s %s", ngram_word(m->set, (int32)(m->bi.v[i] >> WBITS)),
		        ngram_word(m->set, (int32)(m->bi.v[i] & WMASK)));
		if (order > 2) {
			fputc('\t', f);
			put_log10(f, m->bo2[i]);
		}
		fputc('\n', f);
	}
	if (order > 2)
		fprintf(f, "\n\\3-grams:\n");
	for (size_t i = 0; i < m->tri.n; i++) {
		uint64_t k = m->tri.v[i];
		put_log10(f, ln_of(m->lm, m->p3[i]));
		fprintf(f, "\t%s %s %s\n", ngram_word(m->set, (int32)(k >> (2 * WBITS))),
		        ngram_word(m->set, (int32)(k >> WBITS & WMASK)),
		        ngram_word(m->set, (int32)(k & WMASK)));
	}
	fprintf(f, "\n\\end\\\n");
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return DICTUM_IO;
	return DICTUM_OK;
}

int lm_merge_write_arpa(ngram_model_t *set, logmath_t *lmath, const struct lm_merge_input *in,
                        int n, const char *arpa_path, char *err, size_t errlen)
{
	struct merged m = {.set = set, .lm = lmath};
	int rc = DICTUM_OK;
	/* The set's words: every component's (and <UNK>), each with one id. */
	for (int32 w = 0;; w++) {
		const char *word = ngram_word(set, w);
		if (!word || ngram_wid(set, word) != w)
			break;
		m.nw = w + 1;
	}
	if (!(m.known = calloc((size_t)m.nw + 1, sizeof(*m.known)))) {
		rc = DICTUM_NOMEM;
		goto cleanup;
	}
	for (int i = 0; i < n && !rc; i++) {
		struct walk w = {.model = in[i].model,
		                 .set = set,
		                 .known = m.known,
		                 .nw = m.nw,
		                 .bi = &m.bi,
		                 .tri = &m.tri,
		                 .err = err,
		                 .errlen = errlen};
		rc = walk_file(&w, in[i].bin);
	}
	if (rc)
		goto cleanup;
	for (int32 w = 0; w < m.nw; w++)
		m.n_known += m.known[w];
	keys_sort_unique(&m.bi);
	keys_sort_unique(&m.tri);
	rc = estimate(&m);
	if (rc == DICTUM_INVAL)
		snprintf(err, errlen, "a trigram's context is not a bigram of any model");
	if (!rc && (rc = write_arpa(&m, arpa_path)) != DICTUM_OK)
		snprintf(err, errlen, "%s: %s", arpa_path, strerror(errno));
cleanup:
	if (rc == DICTUM_NOMEM)
		snprintf(err, errlen, "out of memory");
	free(m.known);
	free(m.p1);
	free(m.p2);
	free(m.p3);
	free(m.bo1);
	free(m.bo2);
	free(m.bi.v);
	free(m.tri.v);
	return rc;
}

ngram_model_t *lm_merge_to_bin(cmd_ln_t *c, logmath_t *lmath, const char *arpa_path,
                               const char *bin_path)
{
	char tmp[1400];
	ngram_model_t *lm = ngram_model_read(c, arpa_path, NGRAM_ARPA, lmath);
	if (!lm)
		return NULL;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", bin_path, (long)getpid());
	if (ngram_model_write(lm, tmp, NGRAM_BIN) < 0 || rename(tmp, bin_path) != 0) {
		unlink(tmp);
		ngram_model_free(lm);
		return NULL;
	}
	return lm;
}
