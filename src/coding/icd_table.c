#include "coding/icd_internal.h"
#include "offline/store_icd10.h"
#include "core/lib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- string map ---- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static int strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	char **keys = calloc(ncap, sizeof(*keys));
	uint32_t *vals = calloc(ncap, sizeof(*vals));
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t k = hash_bytes(m->keys[i], strlen(m->keys[i])) & (ncap - 1);
		while (keys[k])
			k = (k + 1) & (ncap - 1);
		keys[k] = m->keys[i];
		vals[k] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
	return DICTUM_OK;
}

int strmap_put(struct strmap *m, const char *key, size_t klen, uint32_t val)
{
	if ((m->len + 1) * 2 > m->cap && strmap_grow(m))
		return DICTUM_NOMEM;
	size_t k = hash_bytes(key, klen) & (m->cap - 1);
	while (m->keys[k]) {
		if (strncmp(m->keys[k], key, klen) == 0 && m->keys[k][klen] == '\0') {
			m->vals[k] = val;
			return DICTUM_OK;
		}
		k = (k + 1) & (m->cap - 1);
	}
	char *copy = malloc(klen + 1);
	if (!copy)
		return DICTUM_NOMEM;
	memcpy(copy, key, klen);
	copy[klen] = '\0';
	m->keys[k] = copy;
	m->vals[k] = val;
	m->len++;
	return DICTUM_OK;
}

bool strmap_get(const struct strmap *m, const char *key, size_t klen, uint32_t *val)
{
	if (!m->cap)
		return false;
	size_t k = hash_bytes(key, klen) & (m->cap - 1);
	while (m->keys[k]) {
		if (strncmp(m->keys[k], key, klen) == 0 && m->keys[k][klen] == '\0') {
			*val = m->vals[k];
			return true;
		}
		k = (k + 1) & (m->cap - 1);
	}
	return false;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- files ---- */

int coding_read_file(const char *path, char **out, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return DICTUM_IO;
	struct dynbuf b;
	dynbuf_init(&b, (size_t)256 << 20);
	char chunk[65536];
	int n, result = DICTUM_OK;
	while ((n = gzread(f, chunk, sizeof(chunk))) > 0)
		if ((result = dynbuf_add(&b, chunk, (size_t)n)))
			break;
	if (!result && n < 0)
		result = DICTUM_IO;
	gzclose(f);
	if (!result) {
		*len = b.len;
		if (!(*out = dynbuf_take(&b)))
			result = DICTUM_NOMEM;
	}
	dynbuf_free(&b);
	return result;
}

const char *coding_data_dir(void)
{
	static char dir[1024];
	const char *env = getenv("DICTUM_CODING_DATA");
	if (!str_empty(env)) {
		str_copy(dir, env, sizeof(dir));
		return dir;
	}
	snprintf(dir, sizeof(dir), "%s/icd10/curated.tsv", DICTUM_DATADIR);
	if (path_exists(dir)) {
		str_copy(dir, DICTUM_DATADIR, sizeof(dir));
		return dir;
	}
	str_copy(dir, DICTUM_SOURCE_DATADIR "/data", sizeof(dir));
	return dir;
}

void icd_code_format(const char *code, char out[10])
{
	size_t n = 0;
	for (const char *p = code; *p && n < 8; p++) {
		if (*p == '.')
			continue;
		if (n == 3)
			out[n++] = '.';
		out[n++] = (char)toupper((unsigned char)*p);
	}
	out[n] = '\0';
}

/* Splits a line into tab-separated fields in place. */
static size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static uint32_t checksum(const char *s, size_t n)
{
	return (uint32_t)hash_bytes(s, n);
}

/* Grows the array *v of n elements of size bytes to hold one more. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return DICTUM_OK;
	size_t ncap = *cap ? *cap * 2 : 256;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return DICTUM_NOMEM;
	*v = nv;
	*cap = ncap;
	return DICTUM_OK;
}

/* Reads a table of data/ whole into *buf (the caller frees it) and gives
 * its checksum as a version string. */
static int read_table(const char *path, char **buf, char version[16])
{
	size_t len = 0;
	int result = coding_read_file(path, buf, &len);
	if (!result)
		snprintf(version, 16, "%08x", checksum(*buf, len));
	return result;
}

/* Calls row() for each line of a table that is not a comment and has at
 * least 2 of its first nf (at most 3) tab-separated fields, the missing
 * ones "". Splits buf in place; the fields point into it. */
static int each_row(char *buf, size_t nf, int (*row)(void *ctx, char **f), void *ctx)
{
	int result = DICTUM_OK;
	for (char *line = strtok(buf, "\n"); line && !result; line = strtok(NULL, "\n")) {
		char *f[3] = {"", "", ""};
		if (*line != '#' && split_tabs(line, f, nf) >= 2)
			result = row(ctx, f);
	}
	return result;
}

/* Whether the store holds this version of a shipped table (meta key). */
static bool table_current(store *s, const char *key, const char *version)
{
	char *have = NULL;
	bool same = store_meta_get(s, key, &have) == DICTUM_OK && strcmp(have, version) == 0;
	free(have);
	return same;
}

struct curated_rows {
	struct icd10_row *v;
	size_t n, cap;
};

static int curated_row(void *ctx, char **f)
{
	struct curated_rows *r = ctx;
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)))
		return DICTUM_NOMEM;
	r->v[r->n++] = (struct icd10_row){f[0], f[1], f[2], true};
	return DICTUM_OK;
}

struct hcc_rows {
	struct hcc_map_row *v;
	size_t n, cap;
};

static int hcc_row(void *ctx, char **f)
{
	struct hcc_rows *r = ctx;
	if (grow((void **)&r->v, &r->cap, r->n, sizeof(*r->v)))
		return DICTUM_NOMEM;
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	str_copy(r->v[r->n].code, f[0], sizeof(r->v[r->n].code));
	r->v[r->n++].hcc = atoi(f[1]);
	return DICTUM_OK;
}

/* Loads data/icd10/curated.tsv and data/hcc/v28.tsv into the store, each
 * when its checksum differs from the one the store recorded. */
int coding_load_tables(store *s, char *err, size_t errlen)
{
	char path[1200], version[16];
	char *buf = NULL;
	struct curated_rows cur = {0};
	struct hcc_rows hcc = {0};
	int64_t total = 0;
	snprintf(path, sizeof(path), "%s/icd10/curated.tsv", coding_data_dir());
	int result = read_table(path, &buf, version);
	if (result) {
		snprintf(err, errlen, "cannot read the curated code table %s", path);
		return result;
	}
	if (!table_current(s, "icd10_curated_version", version) ||
	    store_icd10_count(s, &total, NULL) != DICTUM_OK || total == 0) {
		if ((result = each_row(buf, 3, curated_row, &cur)))
			goto out;
		if ((result = store_icd10_load_curated(s, cur.v, cur.n, version))) {
			snprintf(err, errlen, "loading the curated code table: %s",
			         store_errmsg(s));
			goto out;
		}
	}
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/hcc/v28.tsv", coding_data_dir());
	if ((result = read_table(path, &buf, version))) {
		snprintf(err, errlen, "cannot read the HCC mapping %s", path);
		goto out;
	}
	if (!table_current(s, "hcc_curated_version", version) &&
	    ((result = each_row(buf, 2, hcc_row, &hcc)) ||
	     (result = store_hcc_load(s, "V28", "curated", hcc.v, hcc.n)) ||
	     (result = store_meta_set(s, "hcc_curated_version", version))))
		snprintf(err, errlen, "loading the HCC mapping: %s", store_errmsg(s));
out:
	free(cur.v);
	free(hcc.v);
	free(buf);
	return result;
}

/* ---- matcher ---- */

static int token_id(struct coding *c, const char *w, uint32_t *id)
{
	size_t n = strlen(w);
	if (strmap_get(&c->tokens, w, n, id))
		return DICTUM_OK;
	*id = (uint32_t)c->tokens.len;
	return strmap_put(&c->tokens, w, n, *id);
}

static bool better(const struct coding *c, const struct phrase *old, uint32_t code, int kind)
{
	if (kind != old->kind)
		return kind > old->kind;
	const char *a = c->codes[code], *b = c->codes[old->code];
	bool ua = strstr(c->descs[code], "nspecified") != NULL;
	bool ub = strstr(c->descs[old->code], "nspecified") != NULL;
	if (ua != ub)
		return ua;
	if (strlen(a) != strlen(b))
		return strlen(a) < strlen(b);
	return strcmp(a, b) < 0;
}

/* Adds one phrase (plain text) for a code. */
static int add_phrase(struct coding *c, uint32_t code, const char *text, size_t tlen, int kind)
{
	char word[64], key[512];
	uint32_t ids[48];
	size_t nids = 0, klen = 0;
	size_t i = 0;
	int lead = 0;
	char prev[64] = ""; /* the word before, lower case */
	while (i < tlen && nids < 48) {
		while (i < tlen && !isalnum((unsigned char)text[i]))
			i++;
		size_t wl = 0;
		while (i < tlen && (isalnum((unsigned char)text[i]) || text[i] == '\'')) {
			if (text[i] != '\'' && wl < sizeof(word) - 1)
				word[wl++] = text[i];
			i++;
		}
		if (!wl)
			continue;
		word[wl] = '\0';
		if (!nids && kind == PH_SYNONYM && !lead)
			lead = icd_stop_index(word);
		char raw[64];
		str_copy(raw, word, sizeof(raw));
		for (char *q = raw; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (icd_normalize_word(word) && !icd_letter_names(prev, word)) {
			str_copy(prev, raw, sizeof(prev));
			continue;
		}
		str_copy(prev, raw, sizeof(prev));
		uint32_t id;
		if (token_id(c, word, &id))
			return DICTUM_NOMEM;
		ids[nids++] = id;
		klen += (size_t)snprintf(key + klen, sizeof(key) - klen, "%u ", id);
		if (klen >= sizeof(key) - 12)
			return DICTUM_OK;
	}
	if (!nids || nids >= 48)
		return DICTUM_OK;
	if (lead)
		klen += (size_t)snprintf(key + klen, sizeof(key) - klen, "L%d", lead);
	bool upper = kind == PH_SYNONYM;
	for (size_t k = 0; k < tlen && upper; k++)
		upper = !islower((unsigned char)text[k]);
	uint32_t at;
	if (strmap_get(&c->phrase_index, key, klen, &at)) {
		if (better(c, &c->ph[at], code, kind)) {
			c->ph[at].code = code;
			c->ph[at].kind = (uint8_t)kind;
			c->ph[at].upper = upper;
		}
		return DICTUM_OK;
	}
	if (c->nph == c->phcap) {
		size_t ncap = c->phcap ? c->phcap * 2 : 65536;
		struct phrase *np = realloc(c->ph, ncap * sizeof(*np));
		if (!np)
			return DICTUM_NOMEM;
		c->ph = np;
		c->phcap = ncap;
	}
	while (c->nptoks + nids > c->ptokcap) {
		size_t ncap = c->ptokcap ? c->ptokcap * 2 : 262144;
		uint32_t *nt = realloc(c->ptoks, ncap * sizeof(*nt));
		if (!nt)
			return DICTUM_NOMEM;
		c->ptoks = nt;
		c->ptokcap = ncap;
	}
	memcpy(c->ptoks + c->nptoks, ids, nids * sizeof(*ids));
	c->ph[c->nph] = (struct phrase){code,  (uint32_t)c->nptoks, (uint16_t)nids, (uint8_t)kind,
	                                upper, (uint8_t)lead};
	c->nptoks += nids;
	if (strmap_put(&c->phrase_index, key, klen, (uint32_t)c->nph))
		return DICTUM_NOMEM;
	c->nph++;
	return DICTUM_OK;
}

/* Where a description's ", not elsewhere classified" tail starts, or its
 * ", unspecified" tail when at most two words follow ("Pneumonia, unspecified organism"), else
 * NULL: "Insect bite of unspecified part of neck" must not become "insect bite". */
static const char nec_tail[] = ", not elsewhere classified";

static char *strip_point(char *desc)
{
	char *nec = strstr(desc, nec_tail);
	if (nec && nec != desc && nec[sizeof(nec_tail) - 1] == '\0')
		return nec; /* "Hemorrhage, not elsewhere classified" -> "hemorrhage" */
	char *u = strstr(desc, ", unspecified");
	if (!u || u == desc)
		return NULL;
	int words = 0;
	for (const char *p = u + 13; *p; p++)
		if (*p == ' ' || *p == ',')
			words++;
	return words <= 1 ? u : NULL;
}

/* How clinicians name a neoplasm the table calls by site: "Malignant
 * neoplasm of bladder" is "bladder cancer" or "bladder carcinoma" (the
 * index's "Carcinoma - see Neoplasm, by site, malignant"), "Secondary
 * malignant neoplasm of bone" is "bone metastasis". */
static int add_neoplasm_variants(struct coding *c, uint32_t code, const char *desc)
{
	static const struct {
		const char *prefix;
		const char *const nouns[3];
	} kinds[] = {
	    {"Malignant neoplasm of ", {"cancer", "carcinoma", "malignancy"}},
	    {"Secondary malignant neoplasm of ", {"metastasis", NULL, NULL}},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		size_t pl = strlen(kinds[k].prefix);
		if (strncmp(desc, kinds[k].prefix, pl) != 0)
			continue;
		char site[256];
		const char *from = desc + pl;
		if (strncmp(from, "unspecified ", 12) == 0)
			from += 12;
		str_copy(site, from, sizeof(site));
		char *u = strip_point(site);
		if (u)
			*u = '\0';
		if (strchr(site, ','))
			return DICTUM_OK; /* "lip, inner aspect": no short name */
		for (size_t n = 0; n < 3 && kinds[k].nouns[n]; n++) {
			char v[320];
			int vl = snprintf(v, sizeof(v), "%s %s", site, kinds[k].nouns[n]);
			int result = add_phrase(c, code, v, (size_t)vl, PH_VARIANT);
			if (result)
				return result;
		}
		return DICTUM_OK;
	}
	return DICTUM_OK;
}

/* Adds the description and its spoken variants: without ", unspecified
 * ..." tails, without parentheses, and with the parenthesised words. */
static int add_description(struct coding *c, uint32_t code, const char *desc)
{
	char buf[512], alt[512];
	str_copy(buf, desc, sizeof(buf));
	int result = add_phrase(c, code, buf, strlen(buf), PH_DESC);
	if (result)
		return result;
	if (strncmp(buf, "Other ", 6) == 0)
		return DICTUM_OK;
	if ((result = add_neoplasm_variants(c, code, buf)))
		return result;
	/* "Esophageal varices without bleeding" is what "esophageal varices"
	 * means unless the complication is said (the index's default) */
	const char *wo = strstr(buf, " without ");
	if (wo && !memchr(buf, ',', (size_t)(wo - buf)) && !strchr("STVWXY", c->codes[code][0]) &&
	    (result = add_phrase(c, code, buf, (size_t)(wo - buf), PH_VARIANT)))
		return result;
	/* "Unspecified cataract" is said "cataract" (no comma: "Unspecified
	 * fracture of ..., initial encounter" is not a short name) */
	if (strncmp(buf, "Unspecified ", 12) == 0 && !strchr(buf, ',') &&
	    !strchr("STVWXY", c->codes[code][0]) &&
	    (result = add_phrase(c, code, buf + 12, strlen(buf + 12), PH_VARIANT)))
		return result;
	/* A one-word variant only when nothing follows "unspecified":
	 * "Peritonitis, unspecified" -> "peritonitis", but not "Fistula,
	 * unspecified joint" -> "fistula", nor external causes ("Activity") or circumstances
	 * ("Stress", "Counseling"). */
	char *u = strip_point(buf);
	bool one_word_ok = u && !memchr(buf, ' ', (size_t)(u - buf)) &&
	                   (strcmp(u, ", unspecified") == 0 || strcmp(u, nec_tail) == 0) &&
	                   !strchr("VWXYZ", c->codes[code][0]);
	if (u && (one_word_ok || memchr(buf, ' ', (size_t)(u - buf))) &&
	    (result = add_phrase(c, code, buf, (size_t)(u - buf), PH_VARIANT)))
		return result;
	char *p = strchr(buf, '(');
	if (p) {
		size_t k = 0;
		int depth = 0;
		for (const char *q = buf; *q && k < sizeof(alt) - 1; q++) {
			if (*q == '(')
				depth++;
			else if (*q == ')')
				depth--;
			else if (!depth)
				alt[k++] = *q;
		}
		alt[k] = '\0';
		if ((result = add_phrase(c, code, alt, k, PH_VARIANT)))
			return result;
		u = strip_point(alt);
		if (u && (result = add_phrase(c, code, alt, (size_t)(u - alt), PH_VARIANT)))
			return result;
	}
	return DICTUM_OK;
}

static int add_code(void *ctx, const char *code, const char *desc, const char *syn, bool curated)
{
	struct coding *c = ctx;
	if (c->ncodes % 4096 == 0) {
		size_t ncap = c->ncodes + 4096;
		void *a = realloc(c->codes, ncap * sizeof(*c->codes));
		if (!a)
			return DICTUM_NOMEM;
		c->codes = a;
		void *b = realloc(c->descs, ncap * sizeof(*c->descs));
		if (!b)
			return DICTUM_NOMEM;
		c->descs = b;
		void *d = realloc(c->curated, ncap * sizeof(*c->curated));
		if (!d)
			return DICTUM_NOMEM;
		c->curated = d;
	}
	uint32_t idx = (uint32_t)c->ncodes;
	str_copy(c->codes[idx], code, sizeof(c->codes[idx]));
	if (!(c->descs[idx] = strdup(desc)))
		return DICTUM_NOMEM;
	c->curated[idx] = curated;
	c->ncodes++;
	char low[512];
	size_t k = 0;
	for (; desc[k] && k < sizeof(low) - 1; k++)
		low[k] = (char)tolower((unsigned char)desc[k]);
	low[k] = '\0';
	if (strmap_put(&c->code_index, code, strlen(code), idx) ||
	    strmap_put(&c->desc_index, low, k, idx))
		return DICTUM_NOMEM;
	int result = add_description(c, idx, desc);
	for (const char *p = syn; !result && p && *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		result = add_phrase(c, idx, p, n, PH_SYNONYM);
		p = bar ? bar + 1 : NULL;
	}
	return result;
}

/* Appends phrase i to the list of token key (head/next/tail arrays). */
static void list_append(int32_t *head, int32_t *next, int32_t *tail, uint32_t key, size_t i)
{
	if (tail[key] < 0)
		head[key] = (int32_t)i;
	else
		next[tail[key]] = (int32_t)i;
	tail[key] = (int32_t)i;
}

/* Lists each phrase of 2..ICD_UNORDERED_MAX tokens of an official
 * description under its rarest token (fewest phrases use it), longest
 * first. Our synonyms are written in the order clinicians say them, and
 * out of order some mean something else ("blood pressure was high" is a
 * reading, not "high blood pressure"). */
static int build_unordered(struct coding *c)
{
	uint32_t *freq = calloc(c->nheads ? c->nheads : 1, sizeof(*freq));
	int32_t *tail = malloc((c->nheads ? c->nheads : 1) * sizeof(*tail));
	c->uhead = malloc((c->nheads ? c->nheads : 1) * sizeof(*c->uhead));
	c->unext = malloc((c->nph ? c->nph : 1) * sizeof(*c->unext));
	if (!freq || !tail || !c->uhead || !c->unext) {
		free(freq);
		free(tail);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < c->nph; i++)
		for (size_t k = 0; k < c->ph[i].len; k++)
			freq[c->ptoks[c->ph[i].off + k]]++;
	for (size_t i = 0; i < c->nheads; i++)
		c->uhead[i] = tail[i] = -1;
	for (size_t i = 0; i < c->nph; i++)
		c->unext[i] = -1;
	/* Words that relate the others: their order carries the meaning. */
	static const char *const relations[] = {"with", "without", "and",  "or",     "not",
	                                        "no",   "other",   "than", "except", "versus"};
	uint32_t rel[sizeof(relations) / sizeof(*relations)];
	for (size_t k = 0; k < sizeof(relations) / sizeof(*relations); k++)
		if (!strmap_get(&c->tokens, relations[k], strlen(relations[k]), &rel[k]))
			rel[k] = UINT32_MAX;
	for (size_t len = ICD_UNORDERED_MAX; len > 1; len--)
		for (size_t i = 0; i < c->nph; i++) {
			const struct phrase *ph = &c->ph[i];
			bool related = false;
			for (size_t k = 0; k < ph->len && ph->len == len; k++)
				for (size_t r = 0; r < sizeof(rel) / sizeof(*rel); r++)
					related |= c->ptoks[ph->off + k] == rel[r];
			if (ph->len != len || ph->kind == PH_SYNONYM || related)
				continue;
			uint32_t anchor = c->ptoks[ph->off];
			for (size_t k = 1; k < ph->len; k++)
				if (freq[c->ptoks[ph->off + k]] < freq[anchor])
					anchor = c->ptoks[ph->off + k];
			list_append(c->uhead, c->unext, tail, anchor, i);
		}
	free(freq);
	free(tail);
	return DICTUM_OK;
}

static bool all_letters(const char *w)
{
	for (; *w; w++)
		if (!islower((unsigned char)*w))
			return false;
	return true;
}

/* Each known word of ICD_FUZZY_MIN letters or more, with one letter left
 * out, into c->fuzzy. */
static int build_fuzzy(struct coding *c)
{
	c->words = calloc(c->nheads ? c->nheads : 1, sizeof(*c->words));
	if (!c->words)
		return DICTUM_NOMEM;
	for (size_t i = 0; i < c->tokens.cap; i++)
		if (c->tokens.keys[i] && c->tokens.vals[i] < c->nheads)
			c->words[c->tokens.vals[i]] = c->tokens.keys[i];
	for (size_t i = 0; i < c->tokens.cap; i++) {
		const char *w = c->tokens.keys[i];
		size_t n = w ? strlen(w) : 0;
		if (n < ICD_FUZZY_MIN || n >= 40 || !all_letters(w))
			continue;
		char v[40];
		for (size_t k = 0; k < n; k++) {
			if (k > 0 && w[k] == w[k - 1])
				continue; /* the same variant as the letter before */
			memcpy(v, w, k);
			memcpy(v + k, w + k + 1, n - k);
			uint32_t have, id = c->tokens.vals[i];
			if (strmap_get(&c->fuzzy, v, n - 1, &have) && have != id)
				id = UINT32_MAX;
			if (strmap_put(&c->fuzzy, v, n - 1, id))
				return DICTUM_NOMEM;
		}
	}
	return DICTUM_OK;
}

/* Whether w is the known word k with two neighbouring letters swapped, or
 * with a doubled letter written once or a letter doubled ("diarhea",
 * "gastroparesiss"). Any other letter left out, added or changed is often
 * another word (gastrotomy, gastrostomy; macroscopic, microscopic). */
static bool one_slip(const char *w, const char *k)
{
	size_t n = strlen(w), m = strlen(k), i = 0;
	while (i < n && i < m && w[i] == k[i])
		i++;
	if (n == m)
		return i + 1 < n && w[i] == k[i + 1] && w[i + 1] == k[i] &&
		       strcmp(w + i + 2, k + i + 2) == 0;
	if (m == n + 1)
		return i + 1 < m && k[i] == k[i + 1] && strcmp(w + i, k + i + 1) == 0;
	if (n == m + 1)
		return i > 0 && w[i] == w[i - 1] && strcmp(w + i + 1, k + i) == 0;
	return false;
}

uint32_t coding_fuzzy_token(const struct coding *c, const char *w)
{
	size_t n = strlen(w);
	uint32_t found = UINT32_MAX, id;
	if (n + 1 < ICD_FUZZY_MIN || n > ICD_FUZZY_MIN + 30 || !all_letters(w))
		return UINT32_MAX;
	uint32_t cand[2 * 40 + 1];
	size_t ncand = 0;
	/* a letter left out: w is a variant of a known word */
	if (strmap_get(&c->fuzzy, w, n, &id))
		cand[ncand++] = id;
	char v[40];
	for (size_t k = 0; k < n; k++) {
		if (k > 0 && w[k] == w[k - 1])
			continue;
		memcpy(v, w, k);
		memcpy(v + k, w + k + 1, n - k);
		/* a letter added: without it, a known word; two letters swapped:
		 * both share a variant */
		if (n - 1 >= ICD_FUZZY_MIN && strmap_get(&c->tokens, v, n - 1, &id))
			cand[ncand++] = id;
		if (strmap_get(&c->fuzzy, v, n - 1, &id))
			cand[ncand++] = id;
	}
	for (size_t i = 0; i < ncand; i++) {
		if (cand[i] >= c->nheads || !one_slip(w, c->words[cand[i]]))
			continue;
		if (found != UINT32_MAX && found != cand[i])
			return UINT32_MAX;
		found = cand[i];
	}
	return found;
}

static int build_index(struct coding *c)
{
	c->nheads = c->tokens.len;
	c->head = malloc((c->nheads ? c->nheads : 1) * sizeof(*c->head));
	c->next = malloc((c->nph ? c->nph : 1) * sizeof(*c->next));
	int32_t *tail = malloc((c->nheads ? c->nheads : 1) * sizeof(*tail));
	if (!c->head || !c->next || !tail) {
		free(tail);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < c->nheads; i++)
		c->head[i] = tail[i] = -1;
	/* Longest phrases first in each list, so the first match is the longest. */
	for (size_t len = 48; len > 0; len--)
		for (size_t i = 0; i < c->nph; i++)
			if (c->ph[i].len == len) {
				c->next[i] = -1;
				list_append(c->head, c->next, tail, c->ptoks[c->ph[i].off], i);
			}
	free(tail);
	int result = build_unordered(c);
	return result ? result : build_fuzzy(c);
}

static int hcc_label_row(void *ctx, char **f)
{
	struct coding *c = ctx;
	if (grow((void **)&c->hcc_labels, &c->hcc_labels_cap, c->nhcc_labels,
	         sizeof(*c->hcc_labels)))
		return DICTUM_NOMEM;
	c->hcc_labels[c->nhcc_labels].hcc = atoi(f[0]);
	str_copy(c->hcc_labels[c->nhcc_labels].label, f[1], sizeof(c->hcc_labels[0].label));
	c->nhcc_labels++;
	return DICTUM_OK;
}

static int hcc_hier_row(void *ctx, char **f)
{
	struct coding *c = ctx;
	if (grow((void **)&c->hcc_hier, &c->hcc_hier_cap, c->nhcc_hier, sizeof(*c->hcc_hier)))
		return DICTUM_NOMEM;
	c->hcc_hier[c->nhcc_hier].parent = atoi(f[0]);
	c->hcc_hier[c->nhcc_hier].child = atoi(f[1]);
	c->nhcc_hier++;
	return DICTUM_OK;
}

static int load_hcc(struct coding *c, store *s)
{
	struct hcc_map_row *rows = NULL;
	size_t n = 0;
	int result = store_hcc_all(s, "V28", &rows, &n);
	if (result)
		return result;
	if (n && !(c->hcc_map = calloc(n, sizeof(*c->hcc_map)))) {
		free(rows);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		str_copy(c->hcc_map[i].code, rows[i].code, sizeof(c->hcc_map[i].code));
		c->hcc_map[i].hcc = rows[i].hcc;
	}
	c->nhcc_map = n;
	free(rows);
	char path[1200], version[16];
	char *buf = NULL;
	snprintf(path, sizeof(path), "%s/hcc/v28_labels.tsv", coding_data_dir());
	if (read_table(path, &buf, version) == DICTUM_OK)
		result = each_row(buf, 2, hcc_label_row, c);
	free(buf);
	buf = NULL;
	snprintf(path, sizeof(path), "%s/hcc/v28_hierarchy.tsv", coding_data_dir());
	if (!result && read_table(path, &buf, version) == DICTUM_OK)
		result = each_row(buf, 2, hcc_hier_row, c);
	free(buf);
	return result;
}

int coding_open(store *s, struct coding **out, char *err, size_t errlen)
{
	*out = NULL;
	struct coding *c = calloc(1, sizeof(*c));
	if (!c)
		return DICTUM_NOMEM;
	int result = coding_load_tables(s, err, errlen);
	if (result)
		goto fail;
	if ((result = store_icd10_each(s, add_code, c)) || (result = build_index(c)) ||
	    (result = load_hcc(c, s))) {
		snprintf(err, errlen, "building the code matcher: %s",
		         result == DICTUM_NOMEM ? "out of memory" : store_errmsg(s));
		goto fail;
	}
	*out = c;
	return DICTUM_OK;
fail:
	coding_close(&c);
	return result;
}

void coding_close(struct coding **cp)
{
	if (!cp || !*cp)
		return;
	struct coding *c = *cp;
	for (size_t i = 0; i < c->ncodes; i++)
		free(c->descs[i]);
	free(c->descs);
	free(c->codes);
	free(c->curated);
	strmap_free(&c->code_index);
	strmap_free(&c->desc_index);
	strmap_free(&c->tokens);
	strmap_free(&c->phrase_index);
	strmap_free(&c->fuzzy);
	free(c->words);
	free(c->ph);
	free(c->ptoks);
	free(c->head);
	free(c->next);
	free(c->uhead);
	free(c->unext);
	free(c->hcc_map);
	free(c->hcc_labels);
	free(c->hcc_hier);
	free(c);
	*cp = NULL;
}

size_t coding_code_count(const struct coding *c)
{
	return c->ncodes;
}

size_t coding_phrase_count(const struct coding *c)
{
	return c->nph;
}

int coding_find_code(const struct coding *c, const char *code)
{
	uint32_t v;
	return strmap_get(&c->code_index, code, strlen(code), &v) ? (int)v : -1;
}

int coding_find_desc(const struct coding *c, const char *desc)
{
	char low[512];
	size_t k = 0;
	for (; desc[k] && k < sizeof(low) - 1; k++)
		low[k] = (char)tolower((unsigned char)desc[k]);
	uint32_t v;
	return strmap_get(&c->desc_index, low, k, &v) ? (int)v : -1;
}
