#include "asr/lm_build.h"
#include "core/lib.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS ((size_t)16 << 20)
#define WORD_BITS  21 /* word ids in a packed n-gram key */
#define WORD_MASK  ((UINT64_C(1) << WORD_BITS) - 1)
#define NO_BOW     2.0

struct lm_build {
	struct dynbuf text; /* spoken sentences, one a line */
	size_t tokens;
};

/* ------------------------------------------------------------ spoken text */

static const char *const ONES[] = {"zero",     "one",     "two",       "three",    "four",
                                   "five",     "six",     "seven",     "eight",    "nine",
                                   "ten",      "eleven",  "twelve",    "thirteen", "fourteen",
                                   "fifteen",  "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const TENS[] = {"",      "",      "twenty",  "thirty", "forty",
                                   "fifty", "sixty", "seventy", "eighty", "ninety"};

/* A whole number as it is said: 145 -> "one hundred forty five". */
static int say_number(struct dynbuf *d, unsigned long n)
{
	int rc = DICTUM_OK;
	if (n >= 1000000)
		return dynbuf_printf(d, " %lu", n); /* left as written: not a dictated dose */
	if (n >= 1000) {
		rc = say_number(d, n / 1000);
		if (!rc)
			rc = dynbuf_addstr(d, " thousand");
		n %= 1000;
		if (!n || rc)
			return rc;
	}
	if (n >= 100) {
		rc = dynbuf_printf(d, " %s hundred", ONES[n / 100]);
		n %= 100;
		if (!n || rc)
			return rc;
	}
	if (n < 20)
		return dynbuf_printf(d, " %s", ONES[n]);
	rc = dynbuf_printf(d, " %s", TENS[n / 10]);
	if (!rc && n % 10)
		rc = dynbuf_printf(d, " %s", ONES[n % 10]);
	return rc;
}

struct spoken {
	const char *written;
	const char *said;
};

static const struct spoken UNITS[] = {
    {"mg", "milligrams"}, {"mcg", "micrograms"}, {"g", "grams"},   {"kg", "kilograms"},
    {"ml", "milliliters"}, {"cm", "centimeters"}, {"mm", "millimeters"},
};

static const struct spoken MARKS[] = {
    {".", "period"}, {"?", "question mark"}, {"!", "exclamation point"}, {",", "comma"},
    {":", "colon"},  {";", "semicolon"},     {"%", "percent"},
};

static const char *mark_word(char c)
{
	for (size_t i = 0; i < sizeof(MARKS) / sizeof(MARKS[0]); i++)
		if (MARKS[i].written[0] == c)
			return MARKS[i].said;
	return NULL;
}

static bool word_char(unsigned char c)
{
	return isalnum(c) || c == '\'' || c >= 0x80;
}

/* A word (letters, maybe digits): lower case; unit abbreviations spoken. */
static int add_word(struct dynbuf *d, const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof(UNITS) / sizeof(UNITS[0]); i++)
		if (strlen(UNITS[i].written) == n && strncasecmp(w, UNITS[i].written, n) == 0)
			return dynbuf_printf(d, " %s", UNITS[i].said);
	int rc = dynbuf_add(d, " ", 1);
	for (size_t i = 0; !rc && i < n; i++) {
		char c = (char)tolower((unsigned char)w[i]);
		rc = dynbuf_add(d, &c, 1);
	}
	return rc;
}

/* A number as written ("40", "2.5", "0.25"): its words. */
static int add_number(struct dynbuf *d, const char *w, size_t n)
{
	unsigned long whole = 0;
	size_t i = 0;
	for (; i < n && isdigit((unsigned char)w[i]); i++)
		whole = whole < 100000000UL ? whole * 10 + (unsigned long)(w[i] - '0') : whole;
	int rc = say_number(d, whole);
	if (!rc && i + 1 < n && w[i] == '.') {
		rc = dynbuf_addstr(d, " point");
		for (i++; !rc && i < n; i++)
			rc = dynbuf_printf(d, " %s", ONES[w[i] - '0']);
	}
	return rc;
}

char *lm_build_spoken_line(const char *line, size_t len)
{
	struct dynbuf d;
	dynbuf_init(&d, MAX_TOKENS * 8);
	int rc = dynbuf_add(&d, "", 0);
	size_t i = 0;
	bool heading = false;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < len && line[i] == '#') {
		heading = true;
		i++;
	}
	while (!rc && i < len) {
		unsigned char c = (unsigned char)line[i];
		if (isdigit(c)) {
			size_t j = i;
			while (j < len && isdigit((unsigned char)line[j]))
				j++;
			if (j + 1 < len && line[j] == '.' && isdigit((unsigned char)line[j + 1]))
				for (j++; j < len && isdigit((unsigned char)line[j]); j++)
					;
			rc = add_number(&d, line + i, j - i);
			/* "40mg": the unit written against the number */
			i = j;
			continue;
		}
		if (word_char(c)) {
			size_t j = i;
			while (j < len && word_char((unsigned char)line[j]) &&
			       !isdigit((unsigned char)line[j]))
				j++;
			if (j == i) /* digits inside a word: read as a number next */
				j = i + 1;
			rc = add_word(&d, line + i, j - i);
			i = j;
			continue;
		}
		const char *said = mark_word((char)c);
		/* "/" between numbers is "over"; "2.5." ends a sentence */
		if (c == '/' && i > 0 && i + 1 < len && isdigit((unsigned char)line[i - 1]) &&
		    isdigit((unsigned char)line[i + 1]))
			said = "over";
		if (said && (c != '.' || i + 1 == len || !word_char((unsigned char)line[i + 1])))
			rc = dynbuf_printf(&d, " %s", said);
		i++;
	}
	if (!rc && heading && d.len)
		rc = dynbuf_addstr(&d, " colon");
	if (rc) {
		dynbuf_free(&d);
		return NULL;
	}
	char *out = dynbuf_take(&d);
	if (out && out[0] == ' ')
		memmove(out, out + 1, strlen(out));
	return out;
}

/* --------------------------------------------------------------- builder */

struct lm_build *lm_build_new(void)
{
	struct lm_build *b = calloc(1, sizeof(*b));
	if (b)
		dynbuf_init(&b->text, MAX_TOKENS * 16);
	return b;
}

void lm_build_free(struct lm_build **b)
{
	if (!b || !*b)
		return;
	dynbuf_free(&(*b)->text);
	free(*b);
	*b = NULL;
}

int lm_build_add_text(struct lm_build *b, const char *text)
{
	int result = DICTUM_OK;
	while (*text && result == DICTUM_OK) {
		size_t len = strcspn(text, "\r\n");
		char *s = lm_build_spoken_line(text, len);
		if (!s)
			return DICTUM_NOMEM;
		if (s[0]) {
			for (const char *p = s; *p; p++)
				b->tokens += *p == ' ';
			b->tokens++;
			if (b->tokens > MAX_TOKENS)
				result = DICTUM_FULL;
			if (result == DICTUM_OK)
				result = dynbuf_printf(&b->text, "%s\n", s);
		}
		free(s);
		text += len;
		text += strspn(text, "\r\n");
	}
	return result;
}

/* ------------------------------------------------------------ estimation */

struct ngram {
	uint64_t key; /* word ids, WORD_BITS each, oldest first */
	double count; /* raw or continuation count */
	double prob;  /* log10 */
	double bow;   /* log10; NO_BOW when the n-gram is no context */
};

struct model {
	char **vocab; /* sorted; vocab[0] is "<s>", and "</s>" is in it */
	size_t nvocab;
	uint32_t *ids; /* the corpus as word ids, sentences as <s> ... </s> */
	size_t nids;
	struct ngram *g[3];
	size_t n[3];
	uint32_t bos, eos;
	double *uni_prob; /* linear, then log10 */
	double *uni_bow;  /* linear, then log10; NO_BOW when none */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_ngram(const void *a, const void *b)
{
	return cmp_u64(&((const struct ngram *)a)->key, &((const struct ngram *)b)->key);
}

static uint32_t word_id(const struct model *m, const char *w)
{
	char **at = bsearch(&w, m->vocab, m->nvocab, sizeof(*m->vocab), cmp_str);
	return (uint32_t)(at - m->vocab);
}

/* Sorted unique keys with how often each came. */
static struct ngram *count_keys(uint64_t *keys, size_t n, size_t *out_n)
{
	qsort(keys, n, sizeof(*keys), cmp_u64);
	struct ngram *g = calloc(n ? n : 1, sizeof(*g));
	if (!g)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && g[k - 1].key == keys[i]) {
			g[k - 1].count++;
			continue;
		}
		g[k].key = keys[i];
		g[k].count = 1;
		g[k].bow = NO_BOW;
		k++;
	}
	*out_n = k;
	return g;
}

static struct ngram *find(struct ngram *g, size_t n, uint64_t key)
{
	struct ngram probe = {.key = key};
	return bsearch(&probe, g, n, sizeof(*g), cmp_ngram);
}

static double discount(const struct ngram *g, size_t n)
{
	double n1 = 0, n2 = 0;
	for (size_t i = 0; i < n; i++) {
		n1 += g[i].count == 1;
		n2 += g[i].count == 2;
	}
	double d = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
	return d < 0.1 ? 0.1 : d > 0.9 ? 0.9 : d;
}

/* Tokenises the text (one sentence a line) into ids over a sorted
 * vocabulary. Cuts the text into NUL-terminated words in place. */
static int read_corpus(struct model *m, char *text)
{
	int result = DICTUM_OK;
	size_t ntok = 0;
	for (const char *p = text; *p; p++)
		ntok += *p != ' ' && *p != '\n' && (p == text || p[-1] == ' ' || p[-1] == '\n');
	char **tok = malloc((ntok + 2) * sizeof(*tok));
	bool *first = malloc((ntok + 1) * sizeof(*first));
	char **words = malloc((ntok + 2) * sizeof(*words));
	m->ids = malloc((3 * ntok + 1) * sizeof(*m->ids));
	if (!tok || !first || !words || !m->ids) {
		free(words);
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	size_t n = 0;
	bool line_start = true;
	for (char *p = text; *p; p++) {
		if (*p == ' ' || *p == '\n') {
			line_start |= *p == '\n';
			*p = '\0';
			continue;
		}
		if (p == text || p[-1] == '\0') {
			first[n] = line_start;
			tok[n++] = p;
			line_start = false;
		}
	}
	memcpy(words, tok, n * sizeof(*words));
	words[n] = "<s>";
	words[n + 1] = "</s>";
	qsort(words, n + 2, sizeof(*words), cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < n + 2; i++)
		if (!k || strcmp(words[k - 1], words[i]) != 0)
			words[k++] = words[i];
	m->vocab = words;
	m->nvocab = k;
	if (m->nvocab > WORD_MASK) {
		result = DICTUM_FULL;
		goto cleanup;
	}
	m->bos = word_id(m, "<s>");
	m->eos = word_id(m, "</s>");
	for (size_t i = 0; i < n; i++) {
		if (first[i] && i)
			m->ids[m->nids++] = m->eos;
		if (first[i])
			m->ids[m->nids++] = m->bos;
		m->ids[m->nids++] = word_id(m, tok[i]);
	}
	if (n)
		m->ids[m->nids++] = m->eos;
cleanup:
	free(tok);
	free(first);
	return result;
}

#define KEY2(a, b)    (((uint64_t)(a) << WORD_BITS) | (b))
#define KEY3(a, b, c) (((uint64_t)(a) << (2 * WORD_BITS)) | KEY2(b, c))

/* Counts the corpus' bigrams and trigrams (never across sentences). */
static int count_ngrams(struct model *m, struct ngram **raw2, size_t *nraw2)
{
	int result = DICTUM_OK;
	uint64_t *k2 = malloc((m->nids + 1) * sizeof(*k2));
	uint64_t *k3 = malloc((m->nids + 1) * sizeof(*k3));
	uint64_t *cont = NULL;
	size_t n2 = 0, n3 = 0;
	if (!k2 || !k3) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	const uint32_t *w = m->ids;
	for (size_t i = 1; i < m->nids; i++) {
		if (w[i] == m->bos || w[i - 1] == m->eos)
			continue;
		k2[n2++] = KEY2(w[i - 1], w[i]);
		if (i >= 2 && w[i - 1] != m->bos)
			k3[n3++] = KEY3(w[i - 2], w[i - 1], w[i]);
	}
	*raw2 = count_keys(k2, n2, nraw2);
	m->g[2] = count_keys(k3, n3, &m->n[2]);
	if (!*raw2 || !m->g[2]) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	/* Continuation counts: distinct left words; n-grams after <s> have
	 * no left context and keep their raw counts. */
	size_t nbos = 0;
	for (size_t i = 0; i < *nraw2; i++)
		nbos += ((*raw2)[i].key >> WORD_BITS) == m->bos;
	cont = malloc((m->n[2] + 1) * sizeof(*cont));
	if (!cont) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < m->n[2]; i++)
		cont[i] = m->g[2][i].key & ((UINT64_C(1) << (2 * WORD_BITS)) - 1);
	size_t ncont = 0;
	struct ngram *c2 = count_keys(cont, m->n[2], &ncont);
	struct ngram *all = c2 ? realloc(c2, (ncont + nbos + 1) * sizeof(*c2)) : NULL;
	if (!all) {
		free(c2);
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < *nraw2; i++)
		if (((*raw2)[i].key >> WORD_BITS) == m->bos)
			all[ncont++] = (*raw2)[i];
	qsort(all, ncont, sizeof(*all), cmp_ngram);
	m->g[1] = all;
	m->n[1] = ncont;
cleanup:
	free(k2);
	free(k3);
	free(cont);
	return result;
}

/* The end of the run of n-grams that share g[i]'s context; *total gets
 * their counts, *types how many they are. */
static size_t context_end(const struct ngram *g, size_t n, size_t i, double *total,
                          double *types)
{
	uint64_t ctx = g[i].key >> WORD_BITS;
	size_t j = i;
	*total = *types = 0;
	for (; j < n && g[j].key >> WORD_BITS == ctx; j++) {
		*total += g[j].count;
		*types += 1;
	}
	return j;
}

static int estimate(struct model *m)
{
	struct ngram *raw2 = NULL;
	size_t nraw2 = 0;
	int result = count_ngrams(m, &raw2, &nraw2);
	if (result != DICTUM_OK)
		goto cleanup;
	size_t V = m->nvocab;
	m->uni_prob = calloc(V, sizeof(*m->uni_prob));
	m->uni_bow = malloc(V * sizeof(*m->uni_bow));
	if (!m->uni_prob || !m->uni_bow) {
		result = DICTUM_NOMEM;
		goto cleanup;
	}
	/* Unigrams: continuation distribution with a little uniform mass. */
	double total1 = 0;
	for (size_t i = 0; i < nraw2; i++) {
		m->uni_prob[raw2[i].key & WORD_MASK] += 1;
		total1 += 1;
	}
	for (size_t w = 0; w < V; w++) {
		m->uni_bow[w] = NO_BOW;
		m->uni_prob[w] = w == m->bos ? 0
		                              : (m->uni_prob[w] + 1.0 / (double)(V - 1)) / (total1 + 1);
	}
	/* Bigrams, context by context. */
	double d2 = discount(m->g[1], m->n[1]);
	struct ngram *g2 = m->g[1];
	for (size_t i = 0, j; i < m->n[1]; i = j) {
		uint64_t v = g2[i].key >> WORD_BITS;
		double t, types;
		j = context_end(g2, m->n[1], i, &t, &types);
		for (size_t k = i; k < j; k++)
			g2[k].prob = ((g2[k].count - d2 > 0 ? g2[k].count - d2 : 0) +
			              d2 * types * m->uni_prob[g2[k].key & WORD_MASK]) /
			             t;
		m->uni_bow[v] = d2 * types / t;
	}
	/* Trigrams, context by context. */
	double d3 = discount(m->g[2], m->n[2]);
	struct ngram *g3 = m->g[2];
	for (size_t i = 0, j; i < m->n[2]; i = j) {
		uint64_t ctx = g3[i].key >> WORD_BITS;
		double t, types;
		j = context_end(g3, m->n[2], i, &t, &types);
		for (size_t k = i; k < j; k++) {
			uint64_t vw = g3[k].key & ((UINT64_C(1) << (2 * WORD_BITS)) - 1);
			uint64_t v = vw >> WORD_BITS, w = vw & WORD_MASK;
			struct ngram *b = find(g2, m->n[1], vw);
			double lower = b ? b->prob
			                 : (m->uni_bow[v] == NO_BOW ? 1 : m->uni_bow[v]) * m->uni_prob[w];
			g3[k].prob = ((g3[k].count - d3 > 0 ? g3[k].count - d3 : 0) +
			              d3 * types * lower) /
			             t;
		}
		struct ngram *c = find(g2, m->n[1], ctx);
		if (c)
			c->bow = d3 * types / t;
	}
cleanup:
	free(raw2);
	return result;
}

static double lg(double x)
{
	return x > 0 ? log10(x) : -99.0;
}

static int write_arpa(const struct model *m, struct dynbuf *d)
{
	int rc = dynbuf_printf(d,
	                       "# Dictum user model: dictum asr adapt (interpolated Kneser-Ney "
	                       "trigram)\n\n\\data\\\nngram 1=%zu\nngram 2=%zu\nngram 3=%zu\n"
	                       "\n\\1-grams:\n",
	                       m->nvocab, m->n[1], m->n[2]);
	for (size_t w = 0; !rc && w < m->nvocab; w++) {
		rc = dynbuf_printf(d, "%.6f\t%s", lg(m->uni_prob[w]), m->vocab[w]);
		if (!rc && m->uni_bow[w] != NO_BOW)
			rc = dynbuf_printf(d, "\t%.6f", lg(m->uni_bow[w]));
		if (!rc)
			rc = dynbuf_add(d, "\n", 1);
	}
	for (int order = 2; order <= 3 && !rc; order++) {
		rc = dynbuf_printf(d, "\n\\%d-grams:\n", order);
		const struct ngram *g = m->g[order - 1];
		for (size_t i = 0; !rc && i < m->n[order - 1]; i++) {
			uint64_t k = g[i].key;
			rc = dynbuf_printf(d, "%.6f\t", lg(g[i].prob));
			if (!rc && order == 3)
				rc = dynbuf_printf(d, "%s ", m->vocab[k >> (2 * WORD_BITS)]);
			if (!rc)
				rc = dynbuf_printf(d, "%s %s", m->vocab[(k >> WORD_BITS) & WORD_MASK],
				                   m->vocab[k & WORD_MASK]);
			if (!rc && g[i].bow != NO_BOW)
				rc = dynbuf_printf(d, "\t%.6f", lg(g[i].bow));
			if (!rc)
				rc = dynbuf_add(d, "\n", 1);
		}
	}
	if (!rc)
		rc = dynbuf_addstr(d, "\n\\end\\\n");
	return rc;
}

static void model_clear(struct model *m)
{
	free(m->vocab);
	free(m->ids);
	free(m->g[1]);
	free(m->g[2]);
	free(m->uni_prob);
	free(m->uni_bow);
}

int lm_build_add_text_cb(const char *text, void *ctx)
{
	return lm_build_add_text(ctx, text);
}

int lm_build_write(struct lm_build *b, const char *path, struct lm_build_stats *st, char *err,
                   size_t errlen)
{
	struct model m = {0};
	struct dynbuf out;
	dynbuf_init(&out, (size_t)1 << 31);
	char *text = NULL;
	int result = DICTUM_OK;
	if (!b->tokens) {
		snprintf(err, errlen, "the corpus has no words");
		result = DICTUM_INVAL;
		goto cleanup;
	}
	text = strdup(dynbuf_str(&b->text));
	if (!text || (result = read_corpus(&m, text)) != DICTUM_OK ||
	    (result = estimate(&m)) != DICTUM_OK || (result = write_arpa(&m, &out)) != DICTUM_OK) {
		if (result == DICTUM_OK)
			result = DICTUM_NOMEM;
		snprintf(err, errlen, "cannot build the model: %s", dictum_strerror(result));
		goto cleanup;
	}
	/* Its folder first (DATA_DIR/asr may not exist yet). */
	int rc = mkdir_parent(path, 0700);
	if (!rc)
		rc = file_write_atomic(path, out.buf, out.len, 0600);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		result = DICTUM_IO;
		goto cleanup;
	}
	if (st) {
		size_t nsent = 0;
		for (size_t i = 0; i < m.nids; i++)
			nsent += m.ids[i] == m.bos;
		*st = (struct lm_build_stats){.sentences = nsent,
		                              .tokens = b->tokens,
		                              .vocab = m.nvocab,
		                              .ngrams = {m.nvocab, m.n[1], m.n[2]}};
	}
cleanup:
	model_clear(&m);
	dynbuf_free(&out);
	free(text);
	return result;
}

void lm_build_each_word(const struct lm_build *b, int (*fn)(const char *word, void *ctx),
                        void *ctx)
{
	struct model m = {0};
	char *text = strdup(dynbuf_str(&b->text));
	if (text && read_corpus(&m, text) == DICTUM_OK)
		for (size_t i = 0; i < m.nvocab; i++)
			if (i != m.bos && i != m.eos && fn(m.vocab[i], ctx))
				break;
	model_clear(&m);
	free(text);
}
