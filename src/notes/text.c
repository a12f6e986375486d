#include "core/error.h"
#include "notes/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Speaker tags and who they are. */
static const struct {
	const char *tag;
	enum note_speaker who;
} speaker_tags[] = {
    {"doctor", NOTE_SPK_CLINICIAN},
    {"dr", NOTE_SPK_CLINICIAN},
    {"physician", NOTE_SPK_CLINICIAN},
    {"clinician", NOTE_SPK_CLINICIAN},
    {"provider", NOTE_SPK_CLINICIAN},
    {"nurse", NOTE_SPK_CLINICIAN},
    {"np", NOTE_SPK_CLINICIAN},
    {"pa", NOTE_SPK_CLINICIAN},
    {"patient", NOTE_SPK_PATIENT},
    {"pt", NOTE_SPK_PATIENT},
    {"patient_guest", NOTE_SPK_OTHER},
    {"guest_family", NOTE_SPK_OTHER},
    {"guest_clinician", NOTE_SPK_CLINICIAN},
    {"family", NOTE_SPK_OTHER},
    {"guest", NOTE_SPK_OTHER},
    {"caregiver", NOTE_SPK_OTHER},
    {"parent", NOTE_SPK_OTHER},
    {"mother", NOTE_SPK_OTHER},
    {"father", NOTE_SPK_OTHER},
};

static int tag_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(speaker_tags) / sizeof(speaker_tags[0]); i++)
		if (strlen(speaker_tags[i].tag) == len &&
		    strncasecmp(speaker_tags[i].tag, s, len) == 0)
			return (int)speaker_tags[i].who;
	return -1;
}

/* Recognises "[doctor]" or "Doctor:" at the start of a line; sets *skip to
 * the bytes the tag takes. */
static int line_tag(const char *p, size_t len, size_t *skip)
{
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < len && p[i] == '[') {
		const char *close = memchr(p + i, ']', len - i);
		if (close) {
			int who = tag_lookup(p + i + 1, (size_t)(close - p - i - 1));
			if (who >= 0) {
				*skip = (size_t)(close - p) + 1;
				return who;
			}
		}
		return -1;
	}
	size_t w = i;
	while (w < len && w - i < 20 && (isalpha((unsigned char)p[w]) || p[w] == '_'))
		w++;
	if (w < len && w > i && p[w] == ':') {
		int who = tag_lookup(p + i, w - i);
		if (who >= 0) {
			*skip = w + 1;
			return who;
		}
	}
	return -1;
}

static void *grow_array(void *base, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return base;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(base, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static bool is_abbrev_end(const char *text, size_t dot)
{
	static const char *const abbrevs[] = {"dr", "mr", "mrs", "ms",  "vs",    "st",
	                                      "jr", "sr", "e.g", "i.e", "approx"};
	size_t s = dot;
	while (s > 0 && (isalpha((unsigned char)text[s - 1]) || text[s - 1] == '.'))
		s--;
	for (size_t i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
		if (strlen(abbrevs[i]) == dot - s &&
		    strncasecmp(text + s, abbrevs[i], dot - s) == 0)
			return true;
	return false;
}

static int add_sentence(struct note_transcript *t, size_t *cap, size_t turn, size_t start,
                        size_t end)
{
	const char *x = t->text;
	while (start < end && isspace((unsigned char)x[start]))
		start++;
	while (end > start && isspace((unsigned char)x[end - 1]))
		end--;
	bool content = false;
	for (size_t i = start; i < end && !content; i++)
		content = isalnum((unsigned char)x[i]);
	if (!content)
		return DICTUM_OK;
	struct note_sent *s = grow_array(t->sents, t->nsents, cap, sizeof(*s));
	if (!s)
		return DICTUM_NOMEM;
	t->sents = s;
	s[t->nsents++] = (struct note_sent){
	    .turn = turn, .start = start, .end = end, .question = x[end - 1] == '?'};
	return DICTUM_OK;
}

static int split_turn(struct note_transcript *t, size_t *cap, size_t turn)
{
	const char *x = t->text;
	size_t start = t->turns[turn].start, end = t->turns[turn].end;
	size_t s = start;
	for (size_t i = start; i < end; i++) {
		char c = x[i];
		bool stop = false;
		if (c == '\n') {
			stop = true;
		} else if ((c == '.' || c == '?' || c == '!') &&
		           (i + 1 == end || isspace((unsigned char)x[i + 1]) || x[i + 1] == '"')) {
			stop = c != '.' || !is_abbrev_end(x, i);
		}
		if (stop) {
			int result = add_sentence(t, cap, turn, s, i + 1);
			if (result)
				return result;
			s = i + 1;
		}
	}
	return add_sentence(t, cap, turn, s, end);
}

int note_transcript_split(const char *text, struct note_transcript *t)
{
	memset(t, 0, sizeof(*t));
	t->text = text;
	size_t tcap = 0, scap = 0;
	int result = DICTUM_OK;
	const char *p = text;
	bool last_tagged = false;
	while (*p && !result) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		size_t skip = 0;
		int who = line_tag(p, len, &skip);
		size_t off = (size_t)(p - text);
		bool blank = true;
		for (size_t i = 0; i < len && blank; i++)
			blank = isspace((unsigned char)p[i]);
		if (who >= 0) {
			t->tagged = true;
			last_tagged = true;
		}
		if (who < 0 && last_tagged && !blank && t->nturns) {
			/* A continuation line of the turn above. */
			t->turns[t->nturns - 1].end = off + len;
		} else if (!blank) {
			struct note_turn *arr =
			    grow_array(t->turns, t->nturns, &tcap, sizeof(*arr));
			if (!arr) {
				result = DICTUM_NOMEM;
				break;
			}
			t->turns = arr;
			arr[t->nturns++] = (struct note_turn){
			    .who = who >= 0 ? (enum note_speaker)who : NOTE_SPK_UNKNOWN,
			    .start = off + skip,
			    .end = off + len};
		}
		p = eol ? eol + 1 : p + len;
	}
	for (size_t i = 0; i < t->nturns && !result; i++)
		result = split_turn(t, &scap, i);
	return result;
}

void note_transcript_clear(struct note_transcript *t)
{
	free(t->turns);
	free(t->sents);
	memset(t, 0, sizeof(*t));
}

/* ---- tokens ---- */

int note_toks_push(struct note_toks *ts, const char *w)
{
	struct note_tok *arr = grow_array(ts->t, ts->n, &ts->cap, sizeof(*arr));
	if (!arr)
		return DICTUM_NOMEM;
	ts->t = arr;
	size_t n = strlen(w);
	if (n >= NOTE_TOK_LEN)
		n = NOTE_TOK_LEN - 1;
	memcpy(arr[ts->n].w, w, n);
	arr[ts->n].w[n] = '\0';
	ts->n++;
	return DICTUM_OK;
}

void note_toks_free(struct note_toks *ts)
{
	free(ts->t);
	memset(ts, 0, sizeof(*ts));
}

bool note_tok_is_punct(const char *w)
{
	return w[0] && !isalnum((unsigned char)w[0]) && w[1] == '\0';
}

bool note_tok_is_number(const char *w)
{
	bool digit = false;
	for (const char *p = w; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (!strchr("./-%,:", *p))
			return false;
	}
	return digit;
}

static bool word_char(int c)
{
	return isalnum(c) || c == '\'' || c == '-' || c == '/' || c == '%' || c == '&' || c >= 0x80;
}

/* Clitics that attach to the word before them ("do n't", "it 's"). */
static const char *const clitics[] = {"n't", "'s", "'ve", "'m", "'re", "'ll", "'d"};

int note_tokenize(const char *text, size_t len, struct note_toks *out)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		if (isspace(c)) {
			i++;
			continue;
		}
		char w[NOTE_TOK_LEN];
		size_t k = 0;
		if (word_char(c) ||
		    (c == '.' && i + 1 < len && isdigit((unsigned char)text[i + 1]))) {
			while (i < len) {
				unsigned char d = (unsigned char)text[i];
				bool inner_dot =
				    (d == '.' || d == ',') &&
				    (k ? isdigit((unsigned char)w[k - 1]) : d == '.') &&
				    i + 1 < len && isdigit((unsigned char)text[i + 1]);
				if (!word_char(d) && !inner_dot)
					break;
				/* The typographic apostrophe (U+2019) becomes '. */
				if (d == 0xE2 && i + 2 < len &&
				    (unsigned char)text[i + 1] == 0x80 &&
				    (unsigned char)text[i + 2] == 0x99) {
					if (k + 1 < sizeof(w))
						w[k++] = '\'';
					i += 3;
					continue;
				}
				if (k + 1 < sizeof(w))
					w[k++] = (char)tolower(d);
				i++;
			}
		} else {
			w[k++] = (char)c;
			i++;
			/* "..." is one token */
			while (c == '.' && i < len && text[i] == '.')
				i++;
		}
		w[k] = '\0';
		while (k > 1 && (w[k - 1] == '-' || w[k - 1] == '\'') && w[0] != '\'') {
			if (w[k - 1] == '-') {
				/* a cut-off word ("ex-") is dropped */
				k = 0;
				break;
			}
			w[--k] = '\0';
		}
		if (!k)
			continue;
		bool joined = false;
		for (size_t j = 0; j < sizeof(clitics) / sizeof(clitics[0]) && out->n; j++)
			if (strcmp(w, clitics[j]) == 0 &&
			    !note_tok_is_punct(out->t[out->n - 1].w)) {
				char *prev = out->t[out->n - 1].w;
				size_t pl = strlen(prev);
				if (pl + strlen(w) < NOTE_TOK_LEN)
					strcat(prev, w);
				joined = true;
				break;
			}
		if (joined)
			continue;
		if (note_toks_push(out, w))
			return DICTUM_NOMEM;
	}
	return DICTUM_OK;
}

static const struct {
	const char *word;
	long value;
} number_words[] = {
    {"zero", 0},     {"one", 1},      {"two", 2},        {"three", 3},     {"four", 4},
    {"five", 5},     {"six", 6},      {"seven", 7},      {"eight", 8},     {"nine", 9},
    {"ten", 10},     {"eleven", 11},  {"twelve", 12},    {"thirteen", 13}, {"fourteen", 14},
    {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
    {"twenty", 20},  {"thirty", 30},  {"forty", 40},     {"fifty", 50},    {"sixty", 60},
    {"seventy", 70}, {"eighty", 80},  {"ninety", 90},    {"hundred", 100}, {"thousand", 1000},
    {"half", -2},
};

static long number_word(const char *w, size_t len)
{
	for (size_t i = 0; i < sizeof(number_words) / sizeof(number_words[0]); i++)
		if (strlen(number_words[i].word) == len &&
		    strncmp(number_words[i].word, w, len) == 0)
			return number_words[i].value;
	return -1;
}

long note_number_word(const char *w)
{
	const char *dash = strchr(w, '-');
	if (!dash)
		return number_word(w, strlen(w));
	/* "twenty-five" */
	long tens = number_word(w, (size_t)(dash - w)),
	     unit = number_word(dash + 1, strlen(dash + 1));
	if (tens >= 20 && tens <= 90 && tens % 10 == 0 && unit > 0 && unit < 10)
		return tens + unit;
	return -1;
}

static bool is_tens(long v)
{
	return v >= 20 && v <= 90 && v % 10 == 0;
}

size_t note_number_run(const struct note_toks *ts, size_t i, long *value)
{
	long v = i < ts->n ? note_number_word(ts->t[i].w) : -1;
	if (v < 0 || v == 1000)
		return 0;
	long total = 0, cur = v, last = v;
	size_t j = i + 1;
	for (; j < ts->n; j++) {
		const char *w = ts->t[j].w;
		long n = note_number_word(w);
		if (strcmp(w, "and") == 0 && last == 100 && j + 1 < ts->n &&
		    note_number_word(ts->t[j + 1].w) > 0 && note_number_word(ts->t[j + 1].w) < 100)
			continue;
		if (n == 100 && cur > 0 && cur < 100) {
			cur *= 100;
		} else if (n == 1000 && cur > 0) {
			total += cur * 1000;
			cur = 0;
		} else if (n > 0 && n < 10 && is_tens(last)) {
			cur += n;
		} else if (n > 0 && n < 100 && (last == 100 || (cur >= 100 && cur % 100 == 0))) {
			cur += n;
		} else {
			break;
		}
		last = n;
	}
	*value = total + cur;
	return j - i;
}

bool note_toks_match(const struct note_toks *ts, size_t i, const char *phrase)
{
	if (i >= ts->n || (phrase[0] != ' ' && ts->t[i].w[0] != phrase[0]))
		return false;
	const char *p = phrase;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (i >= ts->n || strlen(ts->t[i].w) != len || strncmp(ts->t[i].w, p, len) != 0)
			return false;
		i++;
		p += len;
	}
	return true;
}

long note_toks_find(const struct note_toks *ts, size_t from, const char *phrase)
{
	for (size_t i = from; i < ts->n; i++)
		if (note_toks_match(ts, i, phrase))
			return (long)i;
	return -1;
}

/* Words shown in capitals. */
static const char *const upper_words[] = {
    "ekg",   "ecg",   "mri",      "ct",  "cbc",  "bmp",   "cmp",  "a1c",  "copd",  "chf",
    "gerd",  "uti",   "hiv",      "ent", "er",   "icu",   "dvt",  "pe",   "ed",    "nsaids",
    "nsaid", "bp",    "acl",      "mcl", "tsh",  "psa",   "ldl",  "hdl",  "inr",   "ptsd",
    "adhd",  "ibs",   "std",      "sti", "gi",   "mri's", "egd",  "iv",   "otc",   "prn",
    "bid",   "tid",   "nkda",     "ppi", "acei", "arb",   "ana",  "esr",  "crp",   "ua",
    "rsv",   "covid", "covid-19", "pcp", "ob",   "gyn",   "afib", "cpap", "bipap", "ptt",
};

static bool no_space_before(const char *w)
{
	return strcmp(w, ",") == 0 || strcmp(w, ".") == 0 || strcmp(w, "?") == 0 ||
	       strcmp(w, "!") == 0 || strcmp(w, ";") == 0 || strcmp(w, ":") == 0 ||
	       strcmp(w, ")") == 0 || strcmp(w, "%") == 0;
}

char *note_toks_sentence(const struct note_toks *ts, size_t from, size_t to)
{
	size_t cap = 16;
	for (size_t i = from; i < to; i++)
		cap += strlen(ts->t[i].w) + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t k = 0;
	/* Skip leading punctuation. */
	while (from < to && note_tok_is_punct(ts->t[from].w) && strcmp(ts->t[from].w, "(") != 0)
		from++;
	/* Trailing commas, dashes and the like go; the sentence ends with a stop. */
	while (to > from && note_tok_is_punct(ts->t[to - 1].w) &&
	       strcmp(ts->t[to - 1].w, ")") != 0 && strcmp(ts->t[to - 1].w, "%") != 0)
		to--;
	for (size_t i = from; i < to; i++) {
		const char *w = ts->t[i].w;
		if (k && !no_space_before(w) && out[k - 1] != '(' && out[k - 1] != '/')
			out[k++] = ' ';
		size_t start = k;
		bool upper = false;
		for (size_t u = 0; u < sizeof(upper_words) / sizeof(upper_words[0]); u++)
			if (strcmp(upper_words[u], w) == 0)
				upper = true;
		for (const char *c = w; *c; c++)
			out[k++] = upper ? (char)toupper((unsigned char)*c) : *c;
		if (strcmp(w, "i") == 0 || strncmp(w, "i'", 2) == 0)
			out[start] = 'I';
	}
	if (k && out[k - 1] != '.')
		out[k++] = '.';
	out[k] = '\0';
	if (k && isalpha((unsigned char)out[0]))
		out[0] = (char)toupper((unsigned char)out[0]);
	return out;
}

long note_text_find(const char *text, size_t len, const char *phrase)
{
	size_t n = strlen(phrase);
	for (size_t i = 0; i + n <= len; i++) {
		if (i && isalnum((unsigned char)text[i - 1]))
			continue;
		if (strncasecmp(text + i, phrase, n) != 0)
			continue;
		if (i + n < len && isalnum((unsigned char)text[i + n]))
			continue;
		return (long)i;
	}
	return -1;
}

bool note_text_has(const char *text, size_t len, const char *phrase)
{
	return note_text_find(text, len, phrase) >= 0;
}
