#include "coding/icd_internal.h"
#include "core/lib.h"

#include <ctype.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- words ---- */

static const char *const stop_words[] = {
    "a",   "an",  "the",  "of",   "in",   "on",   "to",  "for",  "by", "at",
    "as",  "is",  "are",  "was",  "were", "be",   "his", "her",  "my", "mellitus",
    "nos", "due", "does", "from", "has",  "have", "s",   "this",
};

/* Speech-recognition misspellings, British spellings and number words. */
static const struct {
	const char *from, *to;
} spellings[] = {
    {"diabetis", "diabetes"},
    {"diabeties", "diabetes"},
    {"diabetic", "diabetic"},
    {"hypertention", "hypertension"},
    {"hipertension", "hypertension"},
    {"hypertensive", "hypertensive"},
    {"numonia", "pneumonia"},
    {"pnemonia", "pneumonia"},
    {"pneumonie", "pneumonia"},
    {"asthama", "asthma"},
    {"azma", "asthma"},
    {"arthritus", "arthritis"},
    {"artheritis", "arthritis"},
    {"cholestrol", "cholesterol"},
    {"colestrol", "cholesterol"},
    {"migrane", "migraine"},
    {"migranes", "migraine"},
    {"anxity", "anxiety"},
    {"depresion", "depression"},
    {"fibrilation", "fibrillation"},
    {"emphasema", "emphysema"},
    {"bronchitus", "bronchitis"},
    {"sinusitus", "sinusitis"},
    {"hemorroids", "hemorrhoids"},
    {"hemmorhoids", "hemorrhoids"},
    {"diarhea", "diarrhea"},
    {"diarrea", "diarrhea"},
    {"alzheimer", "alzheimers"},
    {"parkinson", "parkinsons"},
    {"crohn", "crohns"},
    {"dimentia", "dementia"},
    {"siezure", "seizure"},
    {"seizures", "seizure"},
    {"nausia", "nausea"},
    {"vomitting", "vomiting"},
    {"abdominel", "abdominal"},
    {"abdomen", "abdominal"},
    {"gastro", "gastro"},
    {"copd's", "copd"},
    {"ii", "2"},
    {"iii", "3"},
    {"iv", "4"},
    {"two", "2"},
    {"one", "1"},
    {"three", "3"},
    {"four", "4"},
    {"five", "5"},
    {"iiia", "3a"},
    {"iiib", "3b"},
    {"htn", "htn"},
    {"hypothyroid", "hypothyroidism"},
    {"kidneys", "kidney"},
    {"renal", "kidney"},
    /* organ adjectives as the nouns the descriptions use */
    {"hepatic", "liver"},
    {"pulmonary", "lung"},
    {"lungs", "lung"},
    {"cardiac", "heart"},
    {"gastric", "stomach"},
    {"ureteral", "ureter"},
    {"ureteric", "ureter"},
    {"vesical", "bladder"},
    {"prostatic", "prostate"},
    {"testicular", "testis"},
    {"testicle", "testis"},
    {"ovarian", "ovary"},
    {"uterine", "uterus"},
    {"splenic", "spleen"},
    {"pancreatic", "pancreas"},
    {"colonic", "colon"},
    {"duodenal", "duodenum"},
    {"esophageal", "esophagus"},
    {"rectal", "rectum"},
    {"vertebral", "vertebra"},
    {"cutaneous", "skin"},
    {"ocular", "eye"},
    {"cerebral", "brain"},
    {"mammary", "breast"},
    {"osseous", "bone"},
    {"lymphatic", "lymph"},
    {"adrenals", "adrenal"},
    /* adjectives of a finding as its noun ("febrile" fever, "anemic") */
    {"febrile", "fever"},
    {"feverish", "fever"},
    {"edematous", "edema"},
    {"anemic", "anemia"},
    {"icteric", "jaundice"},
    {"jaundiced", "jaundice"},
    {"obese", "obesity"},
    {"cachectic", "cachexia"},
    {"tachycardic", "tachycardia"},
    {"bradycardic", "bradycardia"},
    {"dyspneic", "dyspnea"},
    {"cyanotic", "cyanosis"},
    {"metastases", "metastasis"},
    {"cancers", "cancer"},
    {"hypotensive", "hypotension"},
    {"dehydrated", "dehydration"},
    {"hypoxemic", "hypoxemia"},
    {"tachypneic", "tachypnea"},
    {"asthenic", "asthenia"},
    {"oliguric", "oliguria"},
    {"anuric", "anuria"},
    {"polyuric", "polyuria"},
    {"hyponatremic", "hyponatremia"},
    {"hypokalemic", "hypokalemia"},
    {"pancytopenic", "pancytopenia"},
    {"leukopenic", "leukopenia"},
    {"lymphopenic", "lymphopenia"},
    {"aphasic", "aphasia"},
    {"dysarthric", "dysarthria"},
    {"somnolent", "somnolence"},
    {"diarrheic", "diarrhea"},
    {"diarrheal", "diarrhea"},
    {"stenotic", "stenosis"},
    /* the index's "see" words: a lithiasis is a calculus, an infarct an
     * infarction, an embolus an embolism */
    {"lithiasis", "calculus"},
    {"calculi", "calculus"},
    {"infarct", "infarction"},
    {"embolus", "embolism"},
    {"emboli", "embolism"},
    {"distention", "distension"},
    {"ulcus", "ulcer"},
    {"cicatricial", "scar"},
    /* words of translated reports: a neoformation is a neoplasm, enolic
     * alcoholic */
    {"neoformation", "neoplasm"},
    {"neoformations", "neoplasm"},
    {"tumoration", "tumor"},
    {"enolic", "alcoholic"},
    {"cicatrices", "scar"},
    {"diverticula", "diverticulum"},
    /* plurals the -s rule does not undo */
    {"abscesses", "abscess"},
    {"masses", "mass"},
    {"fistulae", "fistula"},
    {"vertebrae", "vertebra"},
    {"bullae", "bulla"},
};

int icd_stop_index(const char *w)
{
	for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words); i++)
		if (strcasecmp(w, stop_words[i]) == 0)
			return (int)i + 1;
	return 0;
}

const char *icd_stop_word(int idx)
{
	return idx > 0 && (size_t)idx <= sizeof(stop_words) / sizeof(*stop_words)
	           ? stop_words[idx - 1]
	           : "";
}

/* British spellings as American ones, by the parts that differ:
 * haemorrhage, oedema, anaemia, oesophagus, leucopenia, tumour ... */
static void american_spelling(char *w)
{
	if (!strstr(w, "ae") && !strstr(w, "oe") && !strstr(w, "leuc") && !strstr(w, "tumour"))
		return; /* every part below holds one of these */
	static const struct {
		const char *from, *to;
	} parts[] = {
	    {"aemi", "emi"},         {"haem", "hem"},       {"oedem", "edem"},
	    {"oesoph", "esoph"},     {"leuc", "leuk"},      {"faec", "fec"},
	    {"coeli", "celi"},       {"tumour", "tumor"},   {"paed", "ped"},
	    {"gynaec", "gynec"},     {"dyspnoe", "dyspne"}, {"apnoe", "apne"},
	    {"diarrhoe", "diarrhe"}, {"oestr", "estr"},     {"foet", "fet"},
	    {"anaes", "anes"},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++) {
		char *p = strstr(w, parts[i].from);
		if (!p)
			continue;
		size_t fl = strlen(parts[i].from), tl = strlen(parts[i].to);
		memmove(p + tl, p + fl, strlen(p + fl) + 1); /* the American part is shorter */
		memcpy(p, parts[i].to, tl);
	}
}

/* Stop words and spellings in one map, built once (the matcher normalises
 * every word of 74,000 descriptions): a stop word's value has STOP_BIT. */
#define STOP_BIT 0x80000000u
static struct strmap word_table;
static bool word_table_ok;
static pthread_once_t word_table_once = PTHREAD_ONCE_INIT;

static void word_table_build(void)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(*spellings) && ok; i++)
		ok = !strmap_put(&word_table, spellings[i].from, strlen(spellings[i].from),
		                 (uint32_t)i);
	for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words) && ok; i++)
		ok = !strmap_put(&word_table, stop_words[i], strlen(stop_words[i]),
		                 STOP_BIT | (uint32_t)i);
	word_table_ok = ok;
}

/* STOP_BIT | index of a stop word, the index of a spelling, or UINT32_MAX. */
static uint32_t word_lookup(const char *w)
{
	pthread_once(&word_table_once, word_table_build);
	uint32_t v;
	if (word_table_ok)
		return strmap_get(&word_table, w, strlen(w), &v) ? v : UINT32_MAX;
	for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words); i++)
		if (strcmp(w, stop_words[i]) == 0)
			return STOP_BIT | (uint32_t)i;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(*spellings); i++)
		if (strcmp(w, spellings[i].from) == 0)
			return (uint32_t)i;
	return UINT32_MAX;
}

bool icd_letter_names(const char *prev, const char *w)
{
	static const char *const named[] = {"hepatitis",  "vitamin",     "group",
	                                    "type",       "influenza",   "factor",
	                                    "hemophilia", "haemophilia", "protein"};
	if (strcmp(w, "a") != 0)
		return false;
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++)
		if (strcmp(prev, named[i]) == 0)
			return true;
	return false;
}

bool icd_normalize_word(char *w)
{
	for (char *p = w; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	american_spelling(w);
	uint32_t v = word_lookup(w);
	if (v != UINT32_MAX && (v & STOP_BIT))
		return true;
	if (v != UINT32_MAX) {
		strcpy(w, spellings[v].to);
		return false;
	}
	size_t n = strlen(w);
	if (n > 6 && strcmp(w + n - 4, "oses") == 0) {
		strcpy(w + n - 3, "sis"); /* stenoses -> stenosis, psychoses -> psychosis */
		return false;
	}
	if (n > 5 && strcmp(w + n - 3, "ies") == 0) {
		strcpy(w + n - 3, "y"); /* neuropathies -> neuropathy */
		return false;
	}
	if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i' &&
	    !isdigit((unsigned char)w[n - 2]))
		w[n - 1] = '\0';
	return false;
}

static bool is_header_line(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	while (n && (*line == '#' || *line == ' ' || *line == '*')) {
		line++;
		n--;
	}
	return n >= k && strncasecmp(line, name, k) == 0 &&
	       (n == k || line[k] == ':' || line[k] == '\r' || line[k] == ' ');
}

static bool word_in(const char *w, const char *alts);

/* Whether the full stop at text[i] abbreviates a genus ("E. coli", "S.
 * aureus", "St. aureus"): a capital letter before it and a word in lower
 * case after it, or a capital and a small letter and a species name. Not
 * the end of a sentence. */
static bool genus_initial(const char *text, size_t i)
{
	/* "E." or "St." */
	size_t k = i > 1 && islower((unsigned char)text[i - 1]) ? i - 1 : i;
	if (k == 0 || !isupper((unsigned char)text[k - 1]) ||
	    (k > 1 && isalnum((unsigned char)text[k - 2])))
		return false;
	const char *p = text + i + 1;
	while (*p == ' ')
		p++;
	if (k == i && islower((unsigned char)*p))
		return true;
	char w[16];
	size_t n = 0;
	while (isalpha((unsigned char)p[n]) && n < sizeof(w) - 1) {
		w[n] = (char)tolower((unsigned char)p[n]);
		n++;
	}
	w[n] = '\0';
	return word_in(w, "coli|aureus|pylori|pneumoniae|jirovecii|jiroveci|carinii|influenzae|"
	                  "faecalis|faecium|aeruginosa|epidermidis|cloacae|typhi|burgdorferi|"
	                  "monocytogenes|albicans");
}

int icd_tokenize(const char *text, struct icd_token **out, size_t *count)
{
	size_t n = 0, cap = 0;
	struct icd_token *t = NULL;
	int sentence = 0;
	bool family = false, differential = false, line_start = true;
	for (size_t i = 0; text[i];) {
		unsigned char ch = (unsigned char)text[i];
		if (line_start) {
			const char *eol = strchr(text + i, '\n');
			size_t ll = eol ? (size_t)(eol - (text + i)) : strlen(text + i);
			bool header = memchr(text + i, ':', ll < 40 ? ll : 40) != NULL ||
			              text[i] == '#' || ll == 0;
			bool bullet = ll > 0 && (text[i] == '-' || text[i] == '*');
			if (is_header_line(text + i, ll, "family history") ||
			    is_header_line(text + i, ll, "fh") ||
			    is_header_line(text + i, ll, "fhx"))
				family = true;
			else if (header && family && !bullet)
				family = is_header_line(text + i, ll, "family");
			/* a differential diagnosis lists what is not established */
			if (is_header_line(text + i, ll, "differential diagnosis") ||
			    is_header_line(text + i, ll, "differential diagnoses") ||
			    is_header_line(text + i, ll, "differential") ||
			    is_header_line(text + i, ll, "ddx"))
				differential = true;
			else if (header && differential && !bullet)
				differential = false;
			line_start = false;
		}
		if (ch == '\n') {
			sentence++;
			line_start = true;
			i++;
			continue;
		}
		if (ch == '.' || ch == '!' || ch == '?' || ch == ';' || ch == ':') {
			bool decimal = ch == '.' && i > 0 && isdigit((unsigned char)text[i - 1]) &&
			               isdigit((unsigned char)text[i + 1]);
			if (!decimal && !(ch == '.' && genus_initial(text, i)))
				sentence++;
			i++;
			continue;
		}
		if (!isalnum(ch)) {
			i++;
			continue;
		}
		size_t start = i;
		char w[40];
		size_t wl = 0;
		while (text[i] && (isalnum((unsigned char)text[i]) ||
		                   (text[i] == '\'' && isalpha((unsigned char)text[i + 1])) ||
		                   (text[i] == '.' && isdigit((unsigned char)text[i + 1]) &&
		                    i > start && isdigit((unsigned char)text[i - 1])))) {
			if (text[i] != '\'' && wl < sizeof(w) - 1)
				w[wl++] = text[i];
			i++;
		}
		w[wl] = '\0';
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct icd_token *nt = realloc(t, ncap * sizeof(*nt));
			if (!nt) {
				free(t);
				return DICTUM_NOMEM;
			}
			t = nt;
			cap = ncap;
		}
		t[n].start = (int)start;
		t[n].end = (int)i;
		str_copy(t[n].norm, w, sizeof(t[n].norm));
		size_t rk = 0;
		for (; w[rk] && rk < sizeof(t[n].raw) - 1; rk++)
			t[n].raw[rk] = (char)tolower((unsigned char)w[rk]);
		t[n].raw[rk] = '\0';
		t[n].stop =
		    icd_normalize_word(t[n].norm) && !(n > 0 && t[n - 1].sentence == sentence &&
		                                       icd_letter_names(t[n - 1].raw, t[n].norm));
		t[n].sentence = sentence;
		t[n].family = family;
		t[n].fuzzy = false;
		t[n].differential = differential;
		n++;
	}
	*out = t;
	*count = n;
	return DICTUM_OK;
}

/* ---- context: NegEx-style triggers with a scope ---- */

enum trig_kind { T_NEG, T_UNCERTAIN, T_FAMILY, T_HISTORY, T_TERM, T_PSEUDO };
enum trig_dir { PRE, POST };
static const struct {
	const char *words; /* lower case, space separated, raw words */
	enum trig_kind kind;
	enum trig_dir dir;
} triggers[] = {
    {"no", T_NEG, PRE},
    {"not", T_NEG, PRE},
    {"denies", T_NEG, PRE},
    {"denied", T_NEG, PRE},
    {"deny", T_NEG, PRE},
    {"denying", T_NEG, PRE},
    {"without", T_NEG, PRE},
    {"w o", T_NEG, PRE},
    {"negative for", T_NEG, PRE},
    {"neg for", T_NEG, PRE},
    {"free of", T_NEG, PRE},
    {"absence of", T_NEG, PRE},
    {"lack of", T_NEG, PRE},
    {"absent", T_NEG, POST},
    {"never had", T_NEG, PRE},
    {"nor", T_NEG, PRE},
    {"ruled out", T_NEG, PRE},
    {"ruled out", T_NEG, POST},
    {"was ruled out", T_NEG, POST},
    {"is ruled out", T_NEG, POST},
    {"has been ruled out", T_NEG, POST},
    {"excluded", T_NEG, POST},
    {"was negative", T_NEG, POST},
    {"is negative", T_NEG, POST},
    {"were negative", T_NEG, POST},
    {"are negative", T_NEG, POST},
    {"were also negative", T_NEG, POST},
    {"was also negative", T_NEG, POST},
    {"were ruled out", T_NEG, POST},
    {"were excluded", T_NEG, POST},
    {"was excluded", T_NEG, POST},
    {"were absent", T_NEG, POST},
    {"was absent", T_NEG, POST},
    {"unlikely", T_NEG, PRE},
    {"negative", T_NEG, POST},
    {"unlikely", T_NEG, POST},
    {"not seen", T_NEG, POST},
    /* a list closed by its verb: "adenopathy, goiter or jugular
     * engorgement is not present" */
    {"is not present", T_NEG, POST},
    {"are not present", T_NEG, POST},
    {"was not present", T_NEG, POST},
    {"were not present", T_NEG, POST},
    {"was not observed", T_NEG, POST},
    {"were not observed", T_NEG, POST},
    {"is not observed", T_NEG, POST},
    {"are not observed", T_NEG, POST},
    {"was not found", T_NEG, POST},
    {"were not found", T_NEG, POST},
    {"was not detected", T_NEG, POST},
    {"were not detected", T_NEG, POST},
    {"was not identified", T_NEG, POST},
    {"were not identified", T_NEG, POST},
    {"was not determined", T_NEG, POST},
    {"resolved", T_HISTORY, POST},
    {"has resolved", T_HISTORY, POST},
    {"rule out", T_UNCERTAIN, PRE},
    {"to rule out", T_UNCERTAIN, PRE},
    {"r o", T_UNCERTAIN, PRE},
    {"possible", T_UNCERTAIN, PRE},
    {"possibly", T_UNCERTAIN, PRE},
    {"probable", T_UNCERTAIN, PRE},
    {"probably", T_UNCERTAIN, PRE},
    {"suspected", T_UNCERTAIN, PRE},
    {"suspect", T_UNCERTAIN, PRE},
    {"suspicious for", T_UNCERTAIN, PRE},
    {"suspicion of", T_UNCERTAIN, PRE},
    {"concern for", T_UNCERTAIN, PRE},
    {"concerning for", T_UNCERTAIN, PRE},
    {"question of", T_UNCERTAIN, PRE},
    {"questionable", T_UNCERTAIN, PRE},
    {"likely", T_UNCERTAIN, PRE},
    {"presumed", T_UNCERTAIN, PRE},
    {"perhaps", T_UNCERTAIN, PRE},
    {"might", T_UNCERTAIN, PRE},
    {"may be", T_UNCERTAIN, PRE},
    {"could be", T_UNCERTAIN, PRE},
    {"in case of", T_UNCERTAIN, PRE},
    {"risk of", T_UNCERTAIN, PRE},
    {"prevent", T_UNCERTAIN, PRE},
    {"avoid", T_UNCERTAIN, PRE},
    {"to avoid", T_UNCERTAIN, PRE},
    {"prevention of", T_UNCERTAIN, PRE},
    {"prophylaxis", T_UNCERTAIN, PRE},
    {"cannot exclude", T_UNCERTAIN, PRE},
    {"cannot rule out", T_UNCERTAIN, PRE},
    {"evaluate for", T_UNCERTAIN, PRE},
    {"evaluation for", T_UNCERTAIN, PRE},
    {"workup for", T_UNCERTAIN, PRE},
    {"differential includes", T_UNCERTAIN, PRE},
    {"differential diagnosis", T_UNCERTAIN, PRE},
    {"differential diagnoses", T_UNCERTAIN, PRE},
    {"versus", T_UNCERTAIN, PRE},
    {"vs", T_UNCERTAIN, PRE},
    {"versus", T_UNCERTAIN, POST},
    {"vs", T_UNCERTAIN, POST},
    {"suspected", T_UNCERTAIN, POST},
    {"is suspected", T_UNCERTAIN, POST},
    {"not excluded", T_UNCERTAIN, POST},
    {"family history of", T_FAMILY, PRE},
    {"family hx of", T_FAMILY, PRE},
    {"family history significant for", T_FAMILY, PRE},
    {"fh of", T_FAMILY, PRE},
    {"fhx", T_FAMILY, PRE},
    {"mother", T_FAMILY, PRE},
    {"father", T_FAMILY, PRE},
    {"mom", T_FAMILY, PRE},
    {"dad", T_FAMILY, PRE},
    {"brother", T_FAMILY, PRE},
    {"sister", T_FAMILY, PRE},
    {"sibling", T_FAMILY, PRE},
    {"siblings", T_FAMILY, PRE},
    {"parents", T_FAMILY, PRE},
    {"grandmother", T_FAMILY, PRE},
    {"grandfather", T_FAMILY, PRE},
    {"aunt", T_FAMILY, PRE},
    {"uncle", T_FAMILY, PRE},
    {"maternal", T_FAMILY, PRE},
    {"paternal", T_FAMILY, PRE},
    {"cousin", T_FAMILY, PRE},
    {"son", T_FAMILY, PRE},
    {"daughter", T_FAMILY, PRE},
    {"history of", T_HISTORY, PRE},
    {"hx of", T_HISTORY, PRE},
    {"h o", T_HISTORY, PRE},
    {"s p", T_HISTORY, PRE},
    {"status post", T_HISTORY, PRE},
    {"prior", T_HISTORY, PRE},
    {"previous", T_HISTORY, PRE},
    {"remote", T_HISTORY, PRE},
    {"past", T_HISTORY, PRE},
    {"resolved", T_HISTORY, PRE},
    {"recovered from", T_HISTORY, PRE},
    {"but", T_TERM, PRE},
    {"however", T_TERM, PRE},
    {"although", T_TERM, PRE},
    {"though", T_TERM, PRE},
    {"except", T_TERM, PRE},
    {"aside from", T_TERM, PRE},
    {"apart from", T_TERM, PRE},
    {"which", T_TERM, PRE},
    {"who", T_TERM, PRE},
    {"presents", T_TERM, PRE},
    {"presented", T_TERM, PRE},
    {"presenting", T_TERM, PRE},
    {"complains", T_TERM, PRE},
    {"reports", T_TERM, PRE},
    {"consulted", T_TERM, PRE},
    {"consults", T_TERM, PRE},
    {"attended", T_TERM, PRE},
    {"came", T_TERM, PRE},
    {"admitted", T_TERM, PRE},
    {"now", T_TERM, PRE},
    {"has", T_TERM, PRE},
    {"no change", T_PSEUDO, PRE},
    {"no increase", T_PSEUDO, PRE},
    {"no further", T_PSEUDO, PRE},
    {"not only", T_PSEUDO, PRE},
    {"not certain if", T_PSEUDO, PRE},
    {"not ruled out", T_PSEUDO, PRE},
    {"without difficulty", T_PSEUDO, PRE},
    {"gram negative", T_PSEUDO, PRE},
    {"no improvement", T_PSEUDO, PRE},
    {"not improved", T_PSEUDO, PRE},
    {"not well controlled", T_PSEUDO, PRE},
    {"not controlled", T_PSEUDO, PRE},
    {"not at goal", T_PSEUDO, PRE},
    {"not taking", T_PSEUDO, PRE},
};

/* Lower-case raw word of a token, for triggers (computed once, in
 * icd_tokenize). */
static void raw_word(const char *text, const struct icd_token *t, char *out, size_t size)
{
	(void)text;
	str_copy(out, t->raw, size);
}

/* Whether the words of trigger tr start at token i (all tokens). Sets *len. */
static bool trigger_at(const char *text, const struct icd_token *t, size_t nt, size_t i,
                       const char *words, size_t *len)
{
	const char *p = words;
	size_t k = 0;
	while (*p) {
		const char *sp = strchr(p, ' ');
		size_t wl = sp ? (size_t)(sp - p) : strlen(p);
		if (i + k >= nt || t[i + k].sentence != t[i].sentence)
			return false;
		const char *w = t[i + k].raw;
		if (strncmp(w, p, wl) != 0 || w[wl] != '\0')
			return false;
		k++;
		p = sp ? sp + 1 : p + wl;
	}
	*len = k;
	return true;
}

#define PRE_WINDOW       10
#define POST_WINDOW      4
#define POST_LIST_WINDOW 10

/* A trigger after a list that scopes over all of it: a verb and its
 * complement ("were negative", "was ruled out"). */
static bool closes_list(const char *words)
{
	static const char *const verbs[] = {"was ", "were ",     "is ",
	                                    "are ", "has been ", "have been "};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++)
		if (strncmp(words, verbs[i], strlen(verbs[i])) == 0)
			return true;
	return false;
}

/* Whether token i follows a length of time ("3-week history of"). */
static bool after_duration(const struct icd_token *t, size_t i)
{
	static const char *const units[] = {"day",    "days", "week",  "weeks", "month",
	                                    "months", "year", "years", "hour",  "hours"};
	if (i == 0 || t[i - 1].sentence != t[i].sentence)
		return false;
	for (size_t k = 0; k < sizeof(units) / sizeof(*units); k++)
		if (strcmp(t[i - 1].raw, units[k]) == 0)
			return true;
	return false;
}

static bool word_in(const char *w, const char *alts)
{
	size_t n = strlen(w);
	for (const char *p = alts; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);
		if (k == n && strncmp(p, w, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/* Whether a condition listed as history is still there by the words of
 * its sentence: treated, staged, spread, recurring or chronic ("history of
 * prostate adenocarcinoma treated with LHRH analogues", "history of
 * recurrent renal lithiasis"). A personal history code is for a condition
 * eradicated or resolved, with no treatment directed at it now. */
static bool still_active(const struct icd_token *t, size_t nt, size_t a, size_t b)
{
	static const char active[] =
	    "treated|treatment|receiving|receives|currently|current|active|stage|staged|"
	    "metastases|metastasis|metastatic|recurrent|recurrence|recurrences|relapse|"
	    "relapsing|progression|progressive|chronic|persistent|ongoing|chemotherapy|"
	    "radiotherapy|hormonotherapy|dialysis|hemodialysis|follow|monitored|controlled|"
	    "repeated|recurring|frequent|longstanding|long-standing";
	static const char over[] = "resolved|resolution|cured|remission|eradicated|free|healed";
	bool cue = false;
	for (size_t i = a; i > 0 && t[i - 1].sentence == t[a].sentence && a - i < 8; i--)
		cue |= word_in(t[i - 1].raw, active);
	for (size_t i = a; i < b; i++)
		cue |= word_in(t[i].raw, active);
	for (size_t i = b; i < nt && t[i].sentence == t[a].sentence && i < b + 12; i++) {
		if (word_in(t[i].raw, over))
			return false;
		cue |= word_in(t[i].raw, active);
	}
	return cue;
}

/* Whether token i, right after "previous" or "prior", is a time ("the
 * previous days", "the prior week"): then they say when, not history. */
static bool before_time(const struct icd_token *t, size_t nt, size_t i)
{
	return i < nt && i > 0 && t[i].sentence == t[i - 1].sentence &&
	       word_in(t[i].raw, "day|days|week|weeks|month|months|year|years|night|evening|"
	                         "morning|hours|hour|weekend|visit|study|analysis|analytical");
}

/* Whether the mention is one of two diagnoses offered as alternatives
 * ("compatible with Wilms tumor or adenocarcinoma", "suggestive of cystic
 * nephroma or cystic renal cell carcinoma"): neither is established. */
static bool alternative(const struct icd_token *t, size_t nt, size_t a, size_t b)
{
	static const char lead[] = "compatible|suggestive|consistent|suggesting|suggests|either";
	bool or_next = b < nt && t[b].sentence == t[a].sentence && strcmp(t[b].raw, "or") == 0;
	for (size_t i = a; i > 0 && t[i - 1].sentence == t[a].sentence && a - i < 2; i--)
		or_next |= strcmp(t[i - 1].raw, "or") == 0;
	if (!or_next)
		return false;
	for (size_t i = a; i > 0 && t[i - 1].sentence == t[a].sentence && a - i < 10; i--)
		if (word_in(t[i - 1].raw, lead))
			return true;
	return false;
}

/* The context of the mention spanning tokens [a, b). */
static enum icd_context context_of(const char *text, const struct icd_token *t, size_t nt, size_t a,
                                   size_t b)
{
	enum icd_context found = ICD_AFFIRMED;
	int sent = t[a].sentence;
	bool family = false, history = false, uncertain = false, negated = false;
	/* Walk back from the mention. A termination word closes every scope;
	 * "with" and a history or family trigger close the scope of a
	 * negation or uncertainty further back ("without allergies, with a
	 * history of hypertension"), except one right before it ("no history
	 * of", "no family history of"). */
	bool closed = false;
	size_t barrier = a;
	for (size_t back = 1; back <= PRE_WINDOW && back <= a; back++) {
		size_t i = a - back;
		if (t[i].sentence != sent)
			break;
		bool term = false, pseudo = false;
		for (size_t k = 0; k < sizeof(triggers) / sizeof(*triggers); k++) {
			size_t len;
			if (triggers[k].kind == T_PSEUDO &&
			    trigger_at(text, t, nt, i, triggers[k].words, &len))
				pseudo = true;
		}
		char w[40];
		raw_word(text, &t[i], w, sizeof(w));
		bool with = strcmp(w, "with") == 0;
		for (size_t k = 0; k < sizeof(triggers) / sizeof(*triggers) && !pseudo; k++) {
			size_t len;
			if (triggers[k].dir != PRE ||
			    !trigger_at(text, t, nt, i, triggers[k].words, &len) || i + len > a)
				continue;
			bool in_scope = !closed || i + len == barrier;
			switch (triggers[k].kind) {
			case T_PSEUDO:
				break;
			case T_TERM:
				term = true;
				break;
			case T_NEG:
				negated |= in_scope;
				break;
			case T_UNCERTAIN:
				uncertain |= in_scope;
				break;
			case T_FAMILY:
				family = true;
				closed = true;
				barrier = i;
				break;
			case T_HISTORY:
				if (after_duration(t, i) || before_time(t, nt, i + len))
					break; /* "a 2-month history of cough": how long;
					          "the previous days": when */
				if (!in_scope)
					break; /* "no past history, with fever" */
				history = true;
				closed = true;
				barrier = i;
				break;
			}
		}
		if (term)
			break;
		if (with) {
			closed = true;
			barrier = (size_t)-1;
		}
	}
	/* After the mention: a few words, or up to the end of a list for a
	 * verb that closes it ("HIV, HCV and HBV serologies were negative"). */
	for (size_t i = b; i < nt && i < b + POST_LIST_WINDOW && t[i].sentence == sent; i++) {
		bool term = false;
		for (size_t k = 0; k < sizeof(triggers) / sizeof(*triggers); k++) {
			size_t len;
			if (!trigger_at(text, t, nt, i, triggers[k].words, &len))
				continue;
			if (triggers[k].dir == PRE && triggers[k].kind == T_TERM)
				term = true;
			if (triggers[k].dir != POST ||
			    (i >= b + POST_WINDOW && !closes_list(triggers[k].words)))
				continue;
			if (triggers[k].kind == T_NEG)
				negated = true;
			else if (triggers[k].kind == T_UNCERTAIN)
				uncertain = true;
			else if (triggers[k].kind == T_HISTORY)
				history = true;
		}
		if (term)
			break;
	}
	/* "non-bleeding", "non-tender": a prefix written onto the mention's
	 * first word negates it (and only it: "non-small cell lung cancer") */
	if (a > 0 && t[a - 1].sentence == sent && strcmp(t[a - 1].raw, "non") == 0 &&
	    t[a - 1].end + 1 == t[a].start && text[t[a - 1].end] == '-')
		negated = true;
	if (!negated && alternative(t, nt, a, b))
		uncertain = true;
	if (history && still_active(t, nt, a, b))
		history = false;
	if (t[a].family)
		family = true;
	if (t[a].differential)
		uncertain = true;
	if (negated)
		found = ICD_NEGATED;
	else if (uncertain)
		found = ICD_UNCERTAIN;
	else if (family)
		found = ICD_FAMILY;
	else if (history)
		found = ICD_HISTORY;
	return found;
}

const char *icd_context_name(enum icd_context c)
{
	static const char *const names[] = {"affirmed", "negated", "uncertain", "family history",
	                                    "history"};
	return (unsigned)c < 5 ? names[c] : "unknown";
}

/* ---- code tables ---- */

/* Condition (code prefix) -> family history code. First match wins. */
static const struct {
	const char *prefix, *code;
} family_map[] = {
    {"C18", "Z800"},  {"C19", "Z800"},  {"C20", "Z800"},  {"C21", "Z800"},   {"C15", "Z800"},
    {"C16", "Z800"},  {"C25", "Z800"},  {"C22", "Z800"},  {"D12", "Z83719"}, {"C34", "Z801"},
    {"C50", "Z803"},  {"C61", "Z8042"}, {"C56", "Z8041"}, {"C53", "Z8049"},  {"C54", "Z8049"},
    {"C64", "Z8051"}, {"C67", "Z8052"}, {"C91", "Z806"},  {"C92", "Z806"},   {"C95", "Z806"},
    {"C81", "Z807"},  {"C82", "Z807"},  {"C83", "Z807"},  {"C85", "Z807"},   {"C90", "Z807"},
    {"C43", "Z808"},  {"C", "Z809"},    {"E10", "Z833"},  {"E11", "Z833"},   {"E78", "Z83438"},
    {"I21", "Z8249"}, {"I25", "Z8249"}, {"I10", "Z8249"}, {"I50", "Z8249"},  {"I63", "Z823"},
    {"I64", "Z823"},  {"G45", "Z823"},  {"F10", "Z811"},  {"F11", "Z813"},   {"F19", "Z813"},
    {"F2", "Z818"},   {"F3", "Z818"},   {"F4", "Z818"},   {"F0", "Z820"},    {"G30", "Z820"},
    {"G40", "Z820"},  {"G20", "Z820"},  {"J45", "Z825"},  {"J44", "Z825"},   {"N18", "Z8419"},
    {"M81", "Z8262"}, {"K50", "Z8379"}, {"K51", "Z8379"}, {"D57", "Z832"},   {"E03", "Z8349"},
    {"E05", "Z8349"}, {"H40", "Z8351"},
};

/* Condition -> personal history code when documented as past/resolved. */
static const struct {
	const char *prefix, *code;
} history_map[] = {
    {"C18", "Z85038"}, {"C19", "Z85048"}, {"C20", "Z85048"}, {"C34", "Z85118"},  {"C50", "Z853"},
    {"C61", "Z8546"},  {"C67", "Z8551"},  {"C64", "Z85528"}, {"C43", "Z85820"},  {"C44", "Z85828"},
    {"C73", "Z85850"}, {"C53", "Z8541"},  {"C54", "Z8542"},  {"C56", "Z8543"},   {"C81", "Z8571"},
    {"C82", "Z8572"},  {"C83", "Z8572"},  {"C85", "Z8572"},  {"C91", "Z856"},    {"C92", "Z856"},
    {"C16", "Z85028"}, {"C25", "Z8507"},  {"C", "Z859"},     {"I26", "Z86711"},  {"I82", "Z86718"},
    {"I63", "Z8673"},  {"G45", "Z8673"},  {"I21", "I252"},   {"D12", "Z860100"}, {"J18", "Z8701"},
    {"N20", "Z87442"}, {"N39", "Z87440"}, {"A15", "Z8611"},  {"S06", "Z87820"},  {"K25", "Z8711"},
    {"K26", "Z8711"},  {"K27", "Z8711"},  {"O14", "Z8759"},  {"U07", "Z8616"},   {"F17", "Z87891"},
    {"T14", "Z915"},
};

static const char *const chronic_prefixes[] = {
    "E10",  "E11", "E13", "E03", "E05",  "E06",   "E66",  "E78",  "E55", "I10",  "I11",
    "I12",  "I13", "I25", "I48", "I50",  "I27",   "I42",  "I35",  "I34", "I73",  "I70",
    "I87",  "J44", "J45", "J43", "J47",  "J84",   "J30",  "N18",  "N40", "N31",  "N32",
    "K21",  "K50", "K51", "K58", "K70",  "K74",   "K76",  "K86",  "M05", "M06",  "M15",
    "M16",  "M17", "M19", "M32", "M35",  "M45",   "M47",  "M48",  "M51", "M81",  "M797",
    "M1A",  "M10", "F20", "F25", "F31",  "F32",   "F33",  "F34",  "F40", "F41",  "F42",
    "F431", "F60", "F90", "F84", "F102", "F112",  "F122", "F142", "F17", "F03",  "F01",
    "G20",  "G30", "G35", "G40", "G43",  "G4733", "G62",  "G89",  "G25", "B18",  "B20",
    "Z21",  "C",   "D63", "D50", "D61",  "D69",   "L40",  "L20",  "H40", "H353", "H90",
    "H91",  "E29", "E21", "E27", "I69",  "G47",   "N52",  "Z79",  "Z99", "Z94",  "Z95",
};

/* Lifelong or long-lasting conditions, also current when documented as
 * history (not counted as chronic illnesses for E/M): hiatal hernia, hyperuricemia, constipation,
 * intellectual disability, inborn metabolic and blood disorders. */
static const char *const lasting_prefixes[] = {
    "K44", "E79",  "K590", "F7",   "E70", "E71",  "E72", "E74", "E75", "E76",
    "E77", "E80",  "E83",  "E84",  "E85", "D56",  "D57", "D66", "D67", "D68",
    "G80", "K900", "E04",  "E282", "I83", "K573", "M41", "I71", "M34", "M33",
};

static const char *const threat_prefixes[] = {
    "I21",   "I22",   "I26",  "I46",  "I60",    "I61",    "I62",   "I63",    "I710",
    "A40",   "A41",   "R652", "R57",  "J960",   "J962",   "J80",   "J810",   "K922",
    "K920",  "K921",  "K352", "K353", "K56",    "K72",    "N17",   "T39",    "T40",
    "T42",   "T43",   "T51",  "T58",  "R45851", "R45850", "S06",   "S72",    "E101",
    "E111",  "E110",  "G934", "F05",  "I161",   "I5021",  "I5023", "I5031",  "I5033",
    "I5041", "I5043", "O14",  "O00",  "T782",   "R402",   "I472",  "I490",   "K85",
    "G00",   "G03",   "A39",  "D65",  "T67",    "T68",    "J4592", "J45902", "J441",
};

static bool prefix_in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(code, list[i], strlen(list[i])) == 0)
			return true;
	return false;
}

bool icd_code_is_chronic(const char *code)
{
	return prefix_in(code, chronic_prefixes,
	                 sizeof(chronic_prefixes) / sizeof(*chronic_prefixes));
}

/* Whether a condition documented as history is still there: a chronic one
 * (also for E/M) or a lasting one (for coding only). */
static bool stays_current(const char *code)
{
	return icd_code_is_chronic(code) ||
	       prefix_in(code, lasting_prefixes,
	                 sizeof(lasting_prefixes) / sizeof(*lasting_prefixes));
}

bool icd_code_threatens(const char *code)
{
	return prefix_in(code, threat_prefixes, sizeof(threat_prefixes) / sizeof(*threat_prefixes));
}

/* Combination codes, Excludes1 conflicts and symptoms integral to a
 * diagnosis. a and b are '|'-separated code prefixes (no dot). When both
 * are present: result (if any) is added with a's evidence, and a and/or b
 * are dropped. Rows apply in order, repeatedly, until nothing changes. */
enum { DROP_A = 1, DROP_B = 2, IF_MISSING = 4 };
#define BEHAVIOR_STATED "the behavior of the tumor is stated"
static const struct combo {
	const char *a, *b, *result;
	unsigned drop;
	const char *note;
} combos[] = {
    {"E119", "N18", "E1122", DROP_A,
     "type 2 diabetes with CKD: combination code (\"with\" presumes the link)"},
    {"E119", "G629|G620|G621|G622|G6289|E1140", "E1142", DROP_A | DROP_B,
     "type 2 diabetes with polyneuropathy"},
    {"E119", "R739", "E1165", DROP_A | DROP_B, "type 2 diabetes with hyperglycemia"},
    {"E119", "E162|E161|E1649", "E11649", DROP_A | DROP_B, "type 2 diabetes with hypoglycemia"},
    {"E119", "H3500|H35009|H360", "E11319", DROP_A | DROP_B, "type 2 diabetes with retinopathy"},
    {"E119", "I739|I7020", "E1151", DROP_A | DROP_B, "type 2 diabetes with peripheral angiopathy"},
    {"E119", "K3184", "E1143", DROP_A, "type 2 diabetes with gastroparesis (code also K31.84)"},
    {"E119", "L97", "E11621", DROP_A, "type 2 diabetes with foot ulcer (code also the ulcer)"},
    {"E119", "R809|R800", "E1129", DROP_A, "type 2 diabetes with other kidney complication"},
    {"E109", "N18", "E1022", DROP_A, "type 1 diabetes with CKD: combination code"},
    {"E109", "G629|G620|G622", "E1042", DROP_A | DROP_B, "type 1 diabetes with polyneuropathy"},
    {"E109", "R739", "E1065", DROP_A | DROP_B, "type 1 diabetes with hyperglycemia"},
    {"E109", "E162|E1649", "E10649", DROP_A | DROP_B, "type 1 diabetes with hypoglycemia"},
    {"E109", "H3500|H35009", "E10319", DROP_A | DROP_B, "type 1 diabetes with retinopathy"},
    {"E109", "I739", "E1051", DROP_A | DROP_B, "type 1 diabetes with peripheral angiopathy"},
    {"R6520|R6521", "A40|A41|A021|A227|A267|A327|A427|B377|A01|T814|T8144", "A419", IF_MISSING,
     "severe sepsis/septic shock: code first the systemic infection (A41.9 when the organism is "
     "not stated)"},
    {"I10", "N185|N186", "I120", DROP_A,
     "hypertension with CKD stage 5/ESRD: I12.0 (code also N18)"},
    {"I10", "N18", "I129", DROP_A, "hypertension with CKD: I12.9 (code also the N18 stage)"},
    {"I10", "I50", "I110", DROP_A, "hypertension with heart failure: I11.0 (code also I50)"},
    {"I119", "I50", "I110", DROP_A, "hypertensive heart disease with heart failure"},
    {"I129", "I50", "I130", DROP_A, "hypertension with heart failure and CKD 1-4: I13.0"},
    {"I120", "I50", "I132", DROP_A, "hypertension with heart failure and CKD 5/ESRD: I13.2"},
    {"I110", "N185|N186", "I132", DROP_A, "hypertension with heart failure and CKD 5/ESRD: I13.2"},
    {"I110", "N18", "I130", DROP_A, "hypertension with heart failure and CKD 1-4: I13.0"},
    {"I129", "I110", "I130", DROP_A | DROP_B, "hypertensive heart and CKD disease"},
    {"J449", "J18|J15|J12|J13|J14|J17|J22|J20", "J440", DROP_A,
     "COPD with acute lower respiratory infection (code also the infection)"},
    {"K219", "K209|K2090|K2080", "K2100", DROP_A | DROP_B, "GERD with esophagitis"},
    {"I2510", "I209|I208", "I25119", DROP_A | DROP_B, "coronary disease with angina"},
    {"I2510", "I200", "I25110", DROP_A | DROP_B, "coronary disease with unstable angina"},
    {"F32", "F33", "", DROP_A,
     "Excludes1: single-episode and recurrent depression; kept recurrent"},
    {"F32|F33", "F31", "", DROP_A, "Excludes1: depression with bipolar disorder; kept bipolar"},
    {"F41", "F411", "", 0, NULL},
    {"R7303|R739|R7309|R7301|R7302", "E11|E10|E13", "", DROP_A,
     "Excludes1: hyperglycemia/prediabetes with diabetes"},
    {"E11", "E10", "", DROP_A, "Excludes1: type 1 and type 2 both stated; kept type 1, confirm"},
    {"N390", "N30|N10|N34", "", DROP_A, "UTI site specified"},
    {"R05", "J18|J20|J441|J06|J02|J01|J10|J11|J12|U071|J00|J40", "", DROP_A,
     "cough is integral to the diagnosis"},
    {"R509", "J18|N10|A41|J10|J11|U071|J20|J06|J02|J03|H66", "", DROP_A,
     "fever is integral to the diagnosis"},
    {"R0602|R0600", "J441|J4590|J45901|I50|J96|J18|J81|I26", "", DROP_A,
     "dyspnea is integral to the diagnosis"},
    {"R079|R0789", "I21|I20|I24", "", DROP_A, "chest pain is integral to the diagnosis"},
    {"R10", "K35|K57|N20|K81|K85|K80", "", DROP_A, "abdominal pain is integral to the diagnosis"},
    {"R31", "N20|N30|N39", "", DROP_A, "hematuria is integral to the diagnosis"},
    {"R519", "G43|G44", "", DROP_A, "headache is integral to the diagnosis"},
    {"R110|R1110|R112|R197", "K52|A08|A09|A04", "", DROP_A, "symptom integral to gastroenteritis"},
    {"R300|R3915|R350", "N390|N30|N10", "", DROP_A, "urinary symptom integral to the infection"},
    {"R600|R609", "I50", "", DROP_A, "edema is integral to heart failure"},
    {"R0981|J3489", "J069|J00|J01|J30", "", DROP_A, "congestion integral to the diagnosis"},
    {"R42", "H811|H8139|H8109", "", DROP_A, "dizziness integral to vertigo"},
    {"H9209|H9201|H9202|H9203", "H66|H60|H65", "", DROP_A, "ear pain integral to otitis"},
    {"J029", "J020", "", DROP_A, "streptococcal pharyngitis is the specific code"},
    {"B1920", "B182", "", DROP_A, "chronic hepatitis C stated: the specific code"},
    {"B1910", "B181|B180", "", DROP_A, "chronic hepatitis B stated: the specific code"},
    {"K759", "B15|B16|B17|B18|B19|K70|K71|K73|K754", "", DROP_A, "the kind of hepatitis is stated"},
    {"B999",
     "A|B0|B1|B2|B3|B4|B5|B6|B7|B8|J0|J1|J20|J21|J22|J85|J86|N10|N30|N390|L0|K35|K57|K61|K65|K81|"
     "T814|M00|M86|G00|G03|G04|G06|I33|H66",
     "", DROP_A, "the infection is stated"},
    {"I8290", "I824|I825|I826|I822|I823|I8281|I81", "", DROP_A, "the vein thrombosed is stated"},
    {"R3", "N39|N30", "", 0, NULL},
    /* a neoplasm of unspecified behavior once the report states the
     * behavior of a neoplasm of the same organs */
    {"D490", "C15|C16|C17|C18|C19|C20|C21|C22|C23|C24|C25|C26|C45|C48|D12|D13|D37", "", DROP_A,
     BEHAVIOR_STATED},
    {"D491", "C30|C31|C32|C33|C34|C37|C38|C39|C45|D14|D15|D38", "", DROP_A, BEHAVIOR_STATED},
    {"D492", "C40|C41|C43|C44|C46|C47|C49|D16|D17|D18|D21|D22|D23|D48", "", DROP_A,
     BEHAVIOR_STATED},
    {"D493", "C50|D05|D24|D486", "", DROP_A, BEHAVIOR_STATED},
    {"D494", "C67|D090|D303|D414", "", DROP_A, BEHAVIOR_STATED},
    {"D495",
     "C51|C52|C53|C54|C55|C56|C57|C58|C60|C61|C62|C63|C64|C65|C66|C68|D06|D07|D09|D25|D26|"
     "D27|D28|D29|D30|D39|D40|D41",
     "", DROP_A, BEHAVIOR_STATED},
    {"D496", "C69|C70|C71|C72|D32|D33|D42|D43", "", DROP_A, BEHAVIOR_STATED},
    {"D497", "C73|C74|C75|D34|D35|D44", "", DROP_A, BEHAVIOR_STATED},
};

static bool code_in(const char *code, const char *alts)
{
	for (const char *p = alts; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n && strncmp(code, p, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

/* ---- suggestion ---- */

/* The score of a suggestion: how sure we are a coder would assign the
 * code from these words, set by kind of evidence, not per code. An exact
 * description or curated synonym mentioned once is SCORE_EXACT; a
 * shortened description (a variant) or a code inferred from a site named
 * near a finding is less sure; word order changed, a spelling corrected
 * or a word of three letters or less takes SCORE_STEP off each; every
 * further mention of the same code adds SCORE_MENTION (up to two). So a
 * threshold trades recall for precision: 0.90 keeps what the note comes
 * back to. */
#define SCORE_EXACT   0.85
#define SCORE_VARIANT 0.75
#define SCORE_SITE    0.75 /* a mass or pain of a stated site */
#define SCORE_TUMOR   0.65 /* a tumor whose behavior is not stated */
#define SCORE_STEP    0.1
#define SCORE_MENTION 0.05

struct found {
	char code[8];
	int start, end; /* bytes */
	double score;
	enum icd_context ctx;
	char note[160];
	bool dropped;
	int unspec;   /* nonspecific() of code, -1 until computed */
	int mentions; /* further affirmed mentions of the same code */
};

struct work {
	struct found *f;
	size_t n, cap;
};

static int push(struct work *w, const struct found *f)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 32;
		struct found *nf = realloc(w->f, ncap * sizeof(*nf));
		if (!nf)
			return DICTUM_NOMEM;
		w->f = nf;
		w->cap = ncap;
	}
	w->f[w->n] = *f;
	w->f[w->n++].unspec = -1;
	return DICTUM_OK;
}

static const char *map_lookup(const char *code, const void *map, size_t n, size_t stride)
{
	for (size_t i = 0; i < n; i++) {
		const char *const *row = (const char *const *)((const char *)map + i * stride);
		if (strncmp(code, row[0], strlen(row[0])) == 0)
			return row[1];
	}
	return NULL;
}

/* Side words near a mention pick the lateral sibling of an "unspecified"
 * code, found by description in the table. */
static void apply_laterality(const struct coding *c, const char *text, const struct icd_token *t,
                             size_t nt, size_t a, size_t b, struct found *f)
{
	static const struct {
		const char *word, *side;
	} sides[] = {{"right", "right"},         {"rt", "right"},
	             {"left", "left"},           {"lt", "left"},
	             {"bilateral", "bilateral"}, {"bilaterally", "bilateral"},
	             {"both", "bilateral"}};
	int idx = coding_find_code(c, f->code);
	if (idx < 0 || !strstr(c->descs[idx], "unspecified"))
		return;
	const char *side = NULL;
	size_t lo = a > 4 ? a - 4 : 0;
	for (size_t i = lo; i < nt && i < b + 4 && !side; i++) {
		if (t[i].sentence != t[a].sentence)
			continue;
		char w[40];
		raw_word(text, &t[i], w, sizeof(w));
		for (size_t k = 0; k < sizeof(sides) / sizeof(*sides); k++)
			if (strcmp(w, sides[k].word) == 0)
				side = sides[k].side;
	}
	if (!side)
		return;
	const char *desc = c->descs[idx];
	for (const char *u = strstr(desc, "unspecified"); u; u = strstr(u + 1, "unspecified")) {
		char cand[512];
		snprintf(cand, sizeof(cand), "%.*s%s%s", (int)(u - desc), desc, side, u + 11);
		int j = coding_find_desc(c, cand);
		if (j < 0 && strcmp(side, "bilateral") == 0) {
			const char *rest = u[11] ? u + 12 : u + 11;
			const char *sp = strchr(rest, ' ');
			const char *comma = strchr(rest, ',');
			const char *end = comma && (!sp || comma < sp) ? comma : sp;
			snprintf(cand, sizeof(cand), "%.*sbilateral%s", (int)(u - desc), desc,
			         end ? end : "");
			j = coding_find_desc(c, cand);
		}
		if (j >= 0) {
			str_copy(f->code, c->codes[j], sizeof(f->code));
			snprintf(f->note, sizeof(f->note), "laterality stated: %s", side);
			return;
		}
	}
}

/* Words next to a mention that the index uses to pick a more precise code:
 * "cervical lymphadenopathy" is localized (R59.0), "pedal edema" localized
 * edema (R60.0), "smokes 20 cigarettes" nicotine dependence, cigarettes. */
static const struct {
	const char *code, *words, *to, *note;
} qualifiers[] = {
    {"R599",
     "cervical|laterocervical|axillary|inguinal|mediastinal|hilar|supraclavicular|"
     "submandibular|retroperitoneal|paraaortic|mesenteric|iliac|localized|localised|neck|"
     "regional|jugular|occipital|preauricular|parotid|popliteal|epitrochlear|paratracheal|"
     "subcarinal|pelvic|locoregional|abdominal|intraabdominal|thoracic|perihilar|celiac|"
     "peripancreatic|periportal|portal|perigastric|lumboaortic|interaortocaval|paravertebral|"
     "submental|subclavian|pretracheal|periaortic",
     "R590", "lymph nodes of one region: localized"},
    {"R599", "generalized|generalised|diffuse|widespread|disseminated", "R591",
     "generalized lymphadenopathy"},
    {"R609", "generalized|generalised|anasarca", "R601", "generalized edema"},
    {"R609",
     "localized|localised|peripheral|pedal|leg|legs|ankle|ankles|limb|limbs|foot|feet|"
     "extremity|extremities|palpebral|facial|periorbital|malleolar|pretibial",
     "R600", "edema of one region: localized"},
    {"F17200", "cigarette|cigarettes|pack|packs|cigarettes day", "F17210",
     "nicotine dependence: cigarettes"},
};

static void apply_qualifier(const struct coding *c, const struct icd_token *t, size_t nt, size_t a,
                            size_t b, struct found *f)
{
	for (size_t r = 0; r < sizeof(qualifiers) / sizeof(*qualifiers); r++) {
		if (strcmp(f->code, qualifiers[r].code) != 0 ||
		    coding_find_code(c, qualifiers[r].to) < 0)
			continue;
		size_t lo = a > 3 ? a - 3 : 0;
		for (size_t i = lo; i < nt && i < b + 3; i++)
			if ((i < a || i >= b) && t[i].sentence == t[a].sentence &&
			    word_in(t[i].raw, qualifiers[r].words)) {
				str_copy(f->code, qualifiers[r].to, sizeof(f->code));
				str_copy(f->note, qualifiers[r].note, sizeof(f->note));
				return;
			}
	}
}

/* Episode of care from the note: subsequent encounter or sequela. */
static char note_episode(const char *text)
{
	static const struct {
		const char *words;
		char episode;
	} cues[] = {{"subsequent encounter", 'D'},
	            {"follow-up visit for", 'D'},
	            {"follow up visit for", 'D'},
	            {"routine healing", 'D'},
	            {"cast check", 'D'},
	            {"here for follow", 'D'},
	            {"sequela", 'S'},
	            {"late effect", 'S'}};
	for (size_t i = 0; i < sizeof(cues) / sizeof(*cues); i++) {
		size_t n = strlen(cues[i].words);
		for (const char *p = text; *p; p++)
			if (strncasecmp(p, cues[i].words, n) == 0)
				return cues[i].episode;
	}
	return 'A';
}

static void apply_episode(const struct coding *c, char episode, struct found *f)
{
	int idx = coding_find_code(c, f->code);
	if (idx < 0 || episode == 'A')
		return;
	const char *desc = c->descs[idx];
	const char *u = strstr(desc, "initial encounter");
	if (!u)
		return;
	static const char *const subsequent[] = {
	    "subsequent encounter", "subsequent encounter for fracture with routine healing"};
	static const char *const sequela[] = {"sequela"};
	const char *const *alts = episode == 'D' ? subsequent : sequela;
	size_t nalts = episode == 'D' ? 2 : 1;
	for (size_t k = 0; k < nalts; k++) {
		char cand[512];
		snprintf(cand, sizeof(cand), "%.*s%s", (int)(u - desc), desc, alts[k]);
		int j = coding_find_desc(c, cand);
		if (j >= 0) {
			str_copy(f->code, c->codes[j], sizeof(f->code));
			snprintf(f->note, sizeof(f->note), "episode of care: %s", alts[k]);
			return;
		}
	}
}

/* How unspecific a code's description is: "unspecified", "uncomplicated"
 * and "without complications" each count one. */
static int nonspecific(const struct coding *c, const char *code)
{
	static const char *const words[] = {"nspecified", "uncomplicated", "without complications"};
	int i = coding_find_code(c, code), n = 0;
	for (size_t k = 0; i >= 0 && k < sizeof(words) / sizeof(*words); k++)
		for (const char *p = strstr(c->descs[i], words[k]); p; p = strstr(p + 1, words[k]))
			n++;
	return n;
}

static int unspec_of(const struct coding *c, struct found *f)
{
	if (f->unspec < 0)
		f->unspec = nonspecific(c, f->code);
	return f->unspec;
}

static int find_index(const struct work *w, const char *alts, size_t skip)
{
	for (size_t i = 0; i < w->n; i++)
		if (i != skip && !w->f[i].dropped && w->f[i].ctx == ICD_AFFIRMED &&
		    code_in(w->f[i].code, alts))
			return (int)i;
	return -1;
}

/* Whether code s sits under the parent of the nonspecific code u: the
 * code u without its last character ("R06.0" for R06.00 dyspnea, so
 * stridor R06.1 stays next to it; "E11" for E11.9). */
static bool same_parent(const char *s, const char *u)
{
	size_t n = strlen(u);
	if (n > 3)
		n--;
	return strncmp(s, u, n) == 0;
}

static int apply_rules(const struct coding *c, struct work *w)
{
	for (int pass = 0; pass < 12; pass++) {
		bool changed = false;
		for (size_t r = 0; r < sizeof(combos) / sizeof(*combos) && !changed; r++) {
			if (!combos[r].drop)
				continue;
			for (size_t i = 0; i < w->n && !changed; i++) {
				struct found *fa = &w->f[i];
				if (fa->dropped || fa->ctx != ICD_AFFIRMED ||
				    !code_in(fa->code, combos[r].a))
					continue;
				int j = find_index(w, combos[r].b, i);
				if (combos[r].drop & IF_MISSING) {
					if (j >= 0 ||
					    find_index(w, combos[r].result, (size_t)-1) >= 0 ||
					    coding_find_code(c, combos[r].result) < 0)
						continue;
					struct found add = *fa;
					str_copy(add.code, combos[r].result, sizeof(add.code));
					str_copy(add.note, combos[r].note, sizeof(add.note));
					if (push(w, &add))
						return DICTUM_NOMEM;
					changed = true;
					break;
				}
				if (j < 0)
					continue;
				struct found add = *fa;
				if (*combos[r].result) {
					if (coding_find_code(c, combos[r].result) < 0)
						continue;
					str_copy(add.code, combos[r].result, sizeof(add.code));
					str_copy(add.note, combos[r].note, sizeof(add.note));
					add.score =
					    fa->score < w->f[j].score ? fa->score : w->f[j].score;
				}
				if (combos[r].drop & DROP_A)
					w->f[i].dropped = true;
				if (combos[r].drop & DROP_B)
					w->f[j].dropped = true;
				if (!*combos[r].result && combos[r].note) {
					struct found *kept =
					    combos[r].drop & DROP_A ? &w->f[j] : &w->f[i];
					if (!*kept->note)
						str_copy(kept->note, combos[r].note,
						         sizeof(kept->note));
				}
				if (*combos[r].result &&
				    find_index(w, combos[r].result, (size_t)-1) < 0 &&
				    push(w, &add))
					return DICTUM_NOMEM;
				changed = true;
			}
		}
		/* A nonspecific code gives way to a specific one of its category. */
		for (size_t i = 0; i < w->n && !changed; i++) {
			struct found *fa = &w->f[i];
			if (fa->dropped || fa->ctx != ICD_AFFIRMED || !unspec_of(c, fa))
				continue;
			for (size_t j = 0; j < w->n; j++)
				if (j != i && !w->f[j].dropped && w->f[j].ctx == ICD_AFFIRMED &&
				    same_parent(w->f[j].code, fa->code) &&
				    strcmp(w->f[j].code, fa->code) != 0 &&
				    unspec_of(c, &w->f[j]) < unspec_of(c, fa)) {
					fa->dropped = true;
					changed = true;
					break;
				}
		}
		if (!changed)
			break;
	}
	return DICTUM_OK;
}

static char *dup_range(const char *text, int a, int b)
{
	char *s = malloc((size_t)(b - a) + 1);
	if (s) {
		memcpy(s, text + a, (size_t)(b - a));
		s[b - a] = '\0';
	}
	return s;
}

void icd_result_free(struct icd_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncodes; i++) {
		free(r->codes[i].name);
		free(r->codes[i].evidence);
		free(r->codes[i].note);
	}
	for (size_t i = 0; i < r->nskipped; i++) {
		free(r->skipped[i].evidence);
		free(r->skipped[i].note);
	}
	free(r->codes);
	free(r->skipped);
	memset(r, 0, sizeof(*r));
}

/* Whether the text of content tokens [i, i + len) has no lower-case letter. */
static bool all_capitals(const char *text, const struct icd_token *t, const size_t *content,
                         size_t i, size_t len)
{
	for (size_t k = i; k < i + len; k++)
		for (int b = t[content[k]].start; b < t[content[k]].end; b++)
			if (islower((unsigned char)text[b]))
				return false;
	return true;
}

/* A phrase found in the text over content tokens: contiguous and in order
 * [lo, hi], or (unordered) at the positions pos[0..len). */
struct cand {
	uint32_t phrase;
	uint32_t lo, hi;
	uint32_t pos[ICD_UNORDERED_MAX];
	uint16_t len;
	bool unordered;
	bool accepted;
};

static size_t cand_pos(const struct cand *cd, size_t j)
{
	return cd->unordered ? cd->pos[j] : cd->lo + j;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->unordered != y->unordered)
		return x->unordered ? 1 : -1;
	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : 0;
}

static int cmp_cand_pos(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : 0;
}

static int cand_push(struct cand **v, size_t *n, size_t *cap, const struct cand *cd)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct cand *nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return DICTUM_NOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = *cd;
	return DICTUM_OK;
}

/* Whether the text between two bytes holds a comma, bracket or semicolon:
 * the words of a word order free match must stand in one phrase. */
static bool crosses_clause(const char *text, int from, int to)
{
	for (int i = from; i < to; i++)
		if (strchr(",;()[]", text[i]))
			return true;
	return false;
}

/* Whether a word between tokens a and b joins two things ("blood and
 * urine tests" is not "blood in urine"). */
static bool coordinated(const struct icd_token *t, size_t a, size_t b)
{
	static const char *const joins[] = {"and", "or",   "nor", "with",  "without",
	                                    "but", "plus", "vs",  "versus"};
	for (size_t i = a + 1; i < b; i++)
		for (size_t k = 0; k < sizeof(joins) / sizeof(*joins); k++)
			if (strcmp(t[i].raw, joins[k]) == 0)
				return true;
	return false;
}

/* Whether token i follows the word w in its sentence. */
static bool led_by(const struct icd_token *t, size_t i, const char *w)
{
	return i > 0 && t[i - 1].sentence == t[i].sentence && strcmp(t[i - 1].raw, w) == 0;
}

/* The longest phrase whose words stand at content token i, in order, and
 * (word order free) the longest phrase anchored at i whose words all stand
 * within one extra word of each other in the same clause. */
static int find_candidates(const struct coding *c, const char *text, const struct icd_token *t,
                           const size_t *content, const uint32_t *ids, size_t nc, struct cand **out,
                           size_t *count)
{
	size_t n = 0, cap = 0;
	int result = DICTUM_OK;
	for (size_t i = 0; i < nc && !result; i++) {
		if (ids[i] == UINT32_MAX || ids[i] >= c->nheads)
			continue;
		int sent = t[content[i]].sentence;
		for (int32_t p = c->head[ids[i]]; p >= 0; p = c->next[p]) {
			const struct phrase *ph = &c->ph[p];
			if (i + ph->len > nc)
				continue;
			size_t k = 1;
			while (k < ph->len && ids[i + k] == c->ptoks[ph->off + k] &&
			       t[content[i + k]].sentence == sent)
				k++;
			if (k < ph->len ||
			    (ph->upper && !all_capitals(text, t, content, i, ph->len)) ||
			    (ph->lead && !led_by(t, content[i], icd_stop_word(ph->lead))))
				continue;
			struct cand cd = {(uint32_t)p, (uint32_t)i, (uint32_t)(i + ph->len - 1),
			                  {0},         ph->len,     false,
			                  false};
			result = cand_push(out, &n, &cap, &cd);
			break;
		}
		for (int32_t p = c->uhead[ids[i]]; p >= 0 && !result; p = c->unext[p]) {
			const struct phrase *ph = &c->ph[p];
			struct cand cd = {(uint32_t)p, (uint32_t)i, (uint32_t)i, {0},
			                  ph->len,     true,        false};
			size_t lo = i > ph->len ? i - ph->len : 0, hi = i + ph->len;
			bool anchored = false, ok = true;
			for (size_t k = 0; k < ph->len && ok; k++) {
				uint32_t want = c->ptoks[ph->off + k];
				if (want == ids[i] && !anchored) {
					cd.pos[k] = (uint32_t)i;
					anchored = true;
					continue;
				}
				ok = false;
				for (size_t j = lo; j <= hi && j < nc && !ok; j++) {
					if (ids[j] != want || j == i ||
					    t[content[j]].sentence != sent)
						continue;
					bool used = false;
					for (size_t q = 0; q < k; q++)
						used |= cd.pos[q] == j;
					if (used)
						continue;
					cd.pos[k] = (uint32_t)j;
					ok = true;
				}
			}
			if (!ok || !anchored)
				continue;
			for (size_t k = 0; k < ph->len; k++) {
				if (cd.pos[k] < cd.lo)
					cd.lo = cd.pos[k];
				if (cd.pos[k] > cd.hi)
					cd.hi = cd.pos[k];
			}
			if (cd.hi - cd.lo + 1 > (uint32_t)ph->len + 1 ||
			    crosses_clause(text, t[content[cd.lo]].start, t[content[cd.hi]].end) ||
			    coordinated(t, content[cd.lo], content[cd.hi]))
				continue;
			result = cand_push(out, &n, &cap, &cd);
			break;
		}
	}
	*count = n;
	return result;
}

/* Whether a short all-capitals word is not a diagnosis here: defined in
 * brackets after its long form ("supraventricular tachycardia (SVT)", coded
 * from the words), the name of a laboratory value ("HCM: 29.2 pg",
 * "BT 12.7 mg/dL", "AF levels") or part of a model name ("PTE-2000"). */
static bool abbreviation_aside(const char *text, const struct icd_token *tk)
{
	int len = tk->end - tk->start;
	if (len < 2 || len > 5)
		return false;
	for (int i = tk->start; i < tk->end; i++)
		if (islower((unsigned char)text[i]))
			return false;
	if (tk->start > 0 && text[tk->start - 1] == '(' && text[tk->end] == ')')
		return true;
	const char *p = text + tk->end;
	/* a model or part number: "a PTE-2000 filter" */
	if (*p == '-' && isdigit((unsigned char)p[1]))
		return true;
	while (*p == ' ')
		p++;
	if (*p == ':' || *p == '=' || isdigit((unsigned char)*p))
		return true;
	/* a quantity of the abbreviation: "an AF number of 5252 IU/l" */
	static const char *const measures[] = {"number", "value", "values", "level",
	                                       "levels", "count", "filter", "titer"};
	for (size_t k = 0; k < sizeof(measures) / sizeof(*measures); k++) {
		size_t n = strlen(measures[k]);
		if (strncasecmp(p, measures[k], n) == 0 && !isalpha((unsigned char)p[n]))
			return true;
	}
	return false;
}

/* Codes that words nearby contradict: a device, opening or transplant
 * being made now is a procedure, not a status (Z90-Z99); a drug stopped is
 * not long-term use (Z79); a department is not a disease; AMA among antibodies is not
 * leaving against medical advice. */
static const struct {
	const char *prefixes; /* '|'-separated code prefixes */
	const char *words;    /* '|'-separated words, within 3 either side */
} status_vetoes[] = {
    {"Z90|Z93|Z94|Z95|Z96|Z97|Z98|Z99",
     "underwent|undergo|undergoing|undergone|performed|perform|placement|placed|insertion|"
     "inserted|creation|created|implanted|implantation|done|required|requiring|indicated|"
     "performing|performs|colectomy|proctocolectomy|resection|temporary"},
    {"Z79", "discontinued|stopped|suspended|withdrawn|withdrawal|withdrew|interrupted|ceased"},
    /* "the Infectious Diseases department": a service, not a diagnosis */
    {"B999", "service|department|unit|consultation|specialist|specialists|team|clinic|ward"},
    /* "ANA, AMA and ANCA negative": antimitochondrial antibodies, not
     * leaving against medical advice */
    {"Z5329", "ana|anca|antibodies|antibody|autoantibodies|serology|titer|negative|positive|"
              "igg|igm|lkm|lkm1|sma"},
};

static bool status_vetoed(const char *code, const struct icd_token *t, size_t nt, size_t a,
                          size_t b)
{
	for (size_t r = 0; r < sizeof(status_vetoes) / sizeof(*status_vetoes); r++) {
		if (!code_in(code, status_vetoes[r].prefixes))
			continue;
		size_t lo = a > 3 ? a - 3 : 0;
		for (size_t i = lo; i < nt && i < b + 3; i++)
			if ((i < a || i >= b) && t[i].sentence == t[a].sentence &&
			    word_in(t[i].raw, status_vetoes[r].words))
				return true;
	}
	return false;
}

/* Whether the words [a, b) name a laboratory test, its object or a
 * treatment rather than a condition: "lupus anticoagulant", "anti-GBM
 * antibodies", "HIV test", "hepatitis B vaccine", "PAH gene", "bipolar
 * electrocoagulation", "shock waves", "shock dose". */
static bool names_a_test(const char *text, const struct icd_token *t, size_t nt, size_t a, size_t b)
{
	static const char after[] =
	    "antibody|antibodies|anticoagulant|gene|genes|test|tests|testing|marker|markers|"
	    "antigen|antigens|vaccine|vaccines|vaccination|titer|titers|titre|titres|mutation|"
	    "mutations|assay|probe|kit|electrocoagulation|dose|doses|wave|waves|concentrate|"
	    "concentrates";
	if (b < nt && t[b].sentence == t[a].sentence && word_in(t[b].raw, after))
		return true;
	return a > 0 && t[a - 1].sentence == t[a].sentence && strcmp(t[a - 1].raw, "anti") == 0 &&
	       t[a - 1].end + 1 == t[a].start && text[t[a - 1].end] == '-';
}

/* Words of a case report that give a code's phrase another sense: a
 * ganglion with no cyst or joint said is a lymph node in translated
 * reports ("2 of the 8 iliac ganglions"); "DM" beside the skin or muscles
 * is dermatomyositis, not diabetes, and so is every "DM" of a text that
 * spells dermatomyositis out. */
static const struct {
	const char *prefixes; /* '|'-separated code prefixes */
	const char *phrase;   /* the evidence, one word (lower case) */
	const char *needs;    /* one of these in the sentence, or NULL */
	const char *not_near; /* none of these within 3 either side, or NULL */
	const char *not_in;   /* this word nowhere in the text, or NULL */
} other_senses[] = {
    {"M674", "ganglion|ganglions|ganglia",
     "cyst|cysts|cystic|wrist|hand|finger|fingers|foot|feet|ankle|knee|tendon|tendons|"
     "synovial|carpal|dorsum|volar|popliteal|joint",
     NULL, NULL},
    {"E10|E11|E13", "dm", NULL,
     "skin|cutaneous|muscle|muscles|muscular|myopathy|myositis|heliotrope|gottron|"
     "dermatological|dermatologic",
     "dermatomyositis"},
};

static bool other_sense(const char *code, const struct icd_token *t, size_t nt, size_t a, size_t b)
{
	for (size_t r = 0; r < sizeof(other_senses) / sizeof(*other_senses); r++) {
		if (b - a != 1 || !code_in(code, other_senses[r].prefixes) ||
		    !word_in(t[a].raw, other_senses[r].phrase))
			continue;
		bool needed = !other_senses[r].needs;
		for (size_t i = 0; i < nt; i++) {
			bool near = i + 3 >= a && i < b + 3 && i != a;
			bool same = t[i].sentence == t[a].sentence;
			if (other_senses[r].not_in && word_in(t[i].raw, other_senses[r].not_in))
				return true;
			if (same && near && other_senses[r].not_near &&
			    word_in(t[i].raw, other_senses[r].not_near))
				return true;
			needed |= same && other_senses[r].needs &&
			          word_in(t[i].raw, other_senses[r].needs);
		}
		if (!needed)
			return true;
	}
	return false;
}

/* A site named next to a finding and the code the index gives the finding
 * there, by side where it has one. */
struct site_code {
	const char *words; /* '|'-separated words (lower case, as written) */
	const char *none, *right, *left;
};

/* Pain: "pain in the right hypochondrium" is R10.11, not R52. */
static const struct site_code pain_sites[] = {
    {"hypochondrium|hypochondrial|hypochondria", "R1010", "R1011", "R1012"},
    {"epigastrium|epigastric", "R1013", NULL, NULL},
    {"iliac|groin|inguinal", "R1030", "R1031", "R1032"},
    {"hypogastrium|hypogastric|suprapubic", "R1030", NULL, NULL},
    {"periumbilical|umbilical", "R1033", NULL, NULL},
    {"abdominal|abdomen|belly|flank|flanks", "R109", NULL, NULL},
    {"pelvic|pelvis|perineal|perineum", "R102", NULL, NULL},
    {"pleuritic", "R0781", NULL, NULL},
    {"chest|thoracic|thorax|hemithorax|precordial|retrosternal", "R079", NULL, NULL},
    {"lumbosciatic|lumbosciatica|sciatic", "M5440", "M5441", "M5442"},
    {"lumbar|loin|lumbosacral", "M5450", NULL, NULL},
    {"back|dorsal", "M549", NULL, NULL},
    {"neck|cervical", "M542", NULL, NULL},
    {"testicular|testis|testicle|testicles", "N50819", "N50811", "N50812"},
    {"scrotal|scrotum|hemiscrotum", "N5082", NULL, NULL},
    {"penile|penis|glans", "N4889", NULL, NULL},
    {"renal|kidney", "N23", NULL, NULL},
    {"eye|eyes|ocular|orbital|periorbital|retroocular", "H5710", "H5711", "H5712"},
    {"ear|ears", "H9209", "H9201", "H9202"},
    {"knee|knees", "M25569", "M25561", "M25562"},
    {"hip|hips", "M25559", "M25551", "M25552"},
    {"shoulder|shoulders", "M25519", "M25511", "M25512"},
    {"joint|joints|articular", "M2550", NULL, NULL},
    {"thigh|thighs", "M79659", "M79651", "M79652"},
    {"calf|calves|shin", "M79669", "M79661", "M79662"},
    {"foot|feet", "M79673", "M79671", "M79672"},
    {"hand|hands", "M79643", "M79641", "M79642"},
    {"finger|fingers", "M79646", "M79644", "M79645"},
    {"leg|legs", "M79606", "M79604", "M79605"},
    {"arm|arms|forearm", "M79603", "M79601", "M79602"},
    {"muscle|muscles|muscular", "M7910", NULL, NULL},
    {"face|facial", "R519", NULL, NULL},
    {"throat|pharyngeal", "R070", NULL, NULL},
    {"tooth|teeth|dental", "K0889", NULL, NULL},
    {"jaw|mandibular|mandible|hemimandible|maxillary|maxilla", "R6884", NULL, NULL},
    {"breast|breasts", "N644", NULL, NULL},
    {"anal|anus|rectal|rectum", "K6289", NULL, NULL},
    {"radicular", "M5410", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* A mass or lump of a site (index: Mass, kidney N28.89; Mass, lung R91.8). */
static const struct site_code mass_sites[] = {
    {"kidney|kidneys|renal|intrarenal", "N2889", NULL, NULL},
    {"hypochondrium|hypochondrial", "R1900", "R1901", "R1902"},
    {"iliac", "R1900", "R1903", "R1904"},
    {"periumbilical|umbilical", "R1905", NULL, NULL},
    {"epigastric|epigastrium", "R1906", NULL, NULL},
    {"abdominal|abdomen|intraabdominal|retroperitoneal|retroperitoneum|pelvic|pelvis|flank",
     "R1900", NULL, NULL},
    {"lung|lungs|pulmonary", "R918", NULL, NULL},
    {"breast|breasts", "N630", NULL, NULL},
    {"neck|cervical|laterocervical|supraclavicular|submandibular", "R221", NULL, NULL},
    {"liver|hepatic", "R160", NULL, NULL},
    {"spleen|splenic", "R161", NULL, NULL},
    {"mediastinal|mediastinum", "J9859", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* A tumor or neoplasm whose behavior is not stated: the index's
 * "Neoplasm, unspecified behavior" of the site (D49). */
static const struct site_code tumor_sites[] = {
    {"kidney|kidneys|renal|intrarenal", "D49519", "D49511", "D49512"},
    {"bladder|vesical", "D494", NULL, NULL},
    {"testis|testicular|testicle|paratesticular|scrotal|scrotum|prostate|prostatic|penile|"
     "penis|ureter|ureteral|urethra|urethral|spermatic|ovary|ovarian|ovaries",
     "D4959", NULL, NULL},
    {"stomach|gastric|colon|colonic|rectal|rectum|liver|hepatic|pancreas|pancreatic|"
     "esophagus|esophageal|bowel|intestinal|duodenal|duodenum|retroperitoneal|"
     "retroperitoneum|peritoneal|biliary|gallbladder|cecum|cecal|appendix|appendiceal|"
     "sigmoid|cardia|digestive",
     "D490", NULL, NULL},
    {"lung|lungs|pulmonary|bronchial|laryngeal|larynx|pleural|pleura|mediastinal|"
     "mediastinum",
     "D491", NULL, NULL},
    {"bone|bones|osseous|jaw|mandible|mandibular|maxilla|maxillary|skin|cutaneous", "D492", NULL,
     NULL},
    {"breast|breasts", "D493", NULL, NULL},
    {"brain|cerebral", "D496", NULL, NULL},
    {"thyroid|adrenal|pituitary", "D497", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

#define SITE_BEFORE 3
#define SITE_AFTER  6

/* "The internal face of the thigh", "its external face": a surface of a
 * part, not the face. */
static bool surface_face(const struct icd_token *t, size_t nt, size_t i)
{
	return strcmp(t[i].raw, "face") == 0 &&
	       ((i + 1 < nt && t[i + 1].sentence == t[i].sentence &&
	         strcmp(t[i + 1].raw, "of") == 0) ||
	        (i > 0 && t[i - 1].sentence == t[i].sentence &&
	         word_in(t[i - 1].raw, "internal|external|inner|outer|anterior|posterior|lateral|"
	                               "medial|dorsal|ventral|palmar|plantar|volar|superior|"
	                               "inferior|articular")));
}

static int site_row(const struct site_code *sites, const struct icd_token *t, size_t nt,
                    const bool *covered, size_t i)
{
	if ((covered && covered[i]) || surface_face(t, nt, i))
		return -1;
	for (int r = 0; sites[r].words; r++)
		if (word_in(t[i].raw, sites[r].words))
			return r;
	return -1;
}

/* The code of the site said with the finding at tokens [a, b) in the same
 * clause, after it ("pain in the left iliac fossa", "mass of the right
 * kidney") or right before it ("right lumbar pain"); sets *at to the site
 * token. NULL when there is none or the table has no code for it. Tokens
 * covered (when given) are a phrase of their own, not a site. */
static const char *site_of(const struct coding *c, const char *text, const struct icd_token *t,
                           size_t nt, size_t a, size_t b, const struct site_code *sites,
                           const bool *covered, size_t *at)
{
	int row = -1;
	for (size_t i = b; i < nt && i < b + SITE_AFTER && row < 0; i++) {
		if (t[i].sentence != t[a].sentence ||
		    crosses_clause(text, t[i - 1].end, t[i].start) || coordinated(t, i - 1, i + 1))
			break;
		row = site_row(sites, t, nt, covered, i);
		*at = i;
	}
	for (size_t i = a; i > 0 && i + SITE_BEFORE > a && row < 0; i--) {
		if (t[i - 1].sentence != t[a].sentence ||
		    crosses_clause(text, t[i - 1].end, t[i].start))
			break;
		row = site_row(sites, t, nt, covered, i - 1);
		*at = i - 1;
	}
	if (row < 0)
		return NULL;
	const char *code = sites[row].none, *side = NULL;
	size_t lo = *at < a ? *at : b - 1, hi = *at < a ? a : *at;
	for (size_t i = lo > 2 ? lo - 2 : 0; i <= hi && sites[row].right; i++) {
		if (t[i].sentence != t[a].sentence)
			continue;
		if (word_in(t[i].raw, "right|rt"))
			side = sites[row].right;
		else if (word_in(t[i].raw, "left|lt"))
			side = sites[row].left;
	}
	if (side && coding_find_code(c, side) >= 0)
		code = side;
	return coding_find_code(c, code) >= 0 ? code : NULL;
}

/* Bleeding: "retinal hemorrhage" of the right eye is H35.61, not R58. */
static const struct site_code bleeding_sites[] = {
    {"rectal|rectum|anal|anus", "K625", NULL, NULL},
    {"vaginal|uterine|genital", "N939", NULL, NULL},
    {"nasal|nose", "R040", NULL, NULL},
    {"urinary|bladder", "R319", NULL, NULL},
    {"retinal|intraretinal|subretinal|preretinal", "H3560", "H3561", "H3562"},
    {"vitreous|vitreal", "H4310", "H4311", "H4312"},
    {"subconjunctival|conjunctival", "H1130", "H1131", "H1132"},
    {"intracranial", "I629", NULL, NULL},
    {"cerebral|intracerebral|brain|parenchymal", "I619", NULL, NULL},
    {"subarachnoid", "I609", NULL, NULL},
    {"pulmonary|lung|alveolar", "R0489", NULL, NULL},
    {"digestive|gastrointestinal|intestinal|gastric|duodenal", "K922", NULL, NULL},
    {NULL, NULL, NULL, NULL},
};

/* Bare pain (R52) or bleeding (R58) takes the code of its site. */
static void apply_finding_site(const struct coding *c, const char *text, const struct icd_token *t,
                               size_t nt, size_t a, size_t b, struct found *f)
{
	static const struct {
		const char *code;
		const struct site_code *sites;
		const char *note;
	} findings[] = {
	    {"R52", pain_sites, "pain of a stated site"},
	    {"R58", bleeding_sites, "bleeding of a stated site"},
	};
	for (size_t k = 0; k < sizeof(findings) / sizeof(*findings); k++) {
		size_t at = 0;
		const char *code;
		if (strcmp(f->code, findings[k].code) != 0 ||
		    !(code = site_of(c, text, t, nt, a, b, findings[k].sites, NULL, &at)))
			continue;
		str_copy(f->code, code, sizeof(f->code));
		snprintf(f->note, sizeof(f->note), "%s: %s", findings[k].note, t[at].raw);
		return;
	}
}

/* Words after "tumor" that make it something else than a growth found
 * ("tumor markers", "tumor thrombus"). */
static const char tumor_not[] =
    "marker|markers|cell|cells|thrombus|board|free|size|lysis|necrosis|bed|stage|volume|"
    "burden|extension|recurrence|resection|margin|margins|infiltration|implants|load|"
    "suppressor|committee|registry|biopsy|specimen";

/* Words that state a growth's behavior anywhere in its sentence: it is
 * coded from its own words then. */
static const char behavior_words[] =
    "malignant|benign|metastatic|metastasis|metastases|malignancy|carcinoma|adenocarcinoma|"
    "sarcoma|lymphoma|cancer|primary|secondary|carcinomatosis";

/* Masses and tumors of a stated site that no phrase of the table named
 * ("renal mass" N28.89, "tumor of the bladder" D49.4). */
static int find_site_findings(const struct coding *c, const char *text, const struct icd_token *t,
                              size_t nt, const bool *covered, struct work *w)
{
	static const struct {
		const char *heads;
		const struct site_code *sites;
		const char *note;
	} kinds[] = {
	    {"mass|masses|lump|lumps", mass_sites, "mass of a stated site"},
	    {"tumor|tumors|tumoration|neoplasm|neoplasms|neoplasia", tumor_sites,
	     "tumor of a stated site, behavior not stated"},
	};
	for (size_t i = 0; i < nt; i++) {
		if (covered[i])
			continue;
		for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
			if (!word_in(t[i].raw, kinds[k].heads))
				continue;
			/* behavior stated: a malignant or benign growth is coded
			 * from its own words */
			bool stated = i + 1 < nt && word_in(t[i + 1].raw, tumor_not);
			for (size_t j = i; j > 0 && t[j - 1].sentence == t[i].sentence; j--)
				stated |= word_in(t[j - 1].raw, behavior_words);
			for (size_t j = i + 1; j < nt && t[j].sentence == t[i].sentence; j++)
				stated |= word_in(t[j].raw, behavior_words);
			size_t at = 0;
			const char *code = stated ? NULL
			                          : site_of(c, text, t, nt, i, i + 1,
			                                    kinds[k].sites, covered, &at);
			if (!code)
				continue;
			size_t a = at < i ? at : i, b = (at < i ? i : at) + 1;
			struct found f = {0};
			str_copy(f.code, code, sizeof(f.code));
			f.start = t[a].start;
			f.end = t[b - 1].end;
			/* a tumor whose behavior is not stated is the weaker
			 * guess: the report usually states it further on */
			f.score = kinds[k].sites == tumor_sites ? SCORE_TUMOR : SCORE_SITE;
			/* "abdomen without masses": the head word's own context */
			f.ctx = context_of(text, t, nt, i, i + 1);
			str_copy(f.note, kinds[k].note, sizeof(f.note));
			if (f.ctx == ICD_FAMILY)
				continue;
			int result = push(w, &f);
			if (result)
				return result;
		}
	}
	return DICTUM_OK;
}

/* Sites of secondary growths ("liver, bone and lymph node metastases"):
 * the index's Neoplasm, by site, secondary. */
static const struct {
	const char *words, *code;
} metastasis_sites[] = {
    {"marrow", "C7952"},
    {"liver|hepatic|intrahepatic", "C787"},
    {"bone|bones|bony|osseous|skeletal|vertebral|spinal|spine", "C7951"},
    {"lung|lungs|pulmonary", "C7800"},
    {"brain|cerebral|intracranial", "C7931"},
    {"leptomeningeal|meningeal", "C7932"},
    {"adrenal|adrenals|suprarenal", "C7970"},
    {"lymph|node|nodes|nodal|ganglionar|ganglion|ganglia", "C779"},
    {"peritoneal|peritoneum|omental|omentum|retroperitoneal|retroperitoneum", "C786"},
    {"pleural|pleura", "C782"},
    {"mediastinal|mediastinum", "C781"},
    {"skin|cutaneous|subcutaneous", "C792"},
    {"ovary|ovaries|ovarian", "C7960"},
    {"kidney|kidneys|renal", "C7900"},
    {"bladder", "C7911"},
};

/* Words a list of sites may hold besides the sites and their joins. */
static const char metastasis_fill[] = "multiple|bilateral|both|diffuse|several|small|large|"
                                      "distant|and|or|the|in|to|at|of|level|levels";

static const char *metastasis_site(const struct icd_token *tk, const struct icd_token *next)
{
	for (size_t r = 0; r < sizeof(metastasis_sites) / sizeof(*metastasis_sites); r++)
		if (word_in(tk->raw, metastasis_sites[r].words)) {
			/* "bone marrow": the marrow's code, given at "marrow" */
			if (r == 2 && next && strcmp(next->raw, "marrow") == 0)
				return NULL;
			return metastasis_sites[r].code;
		}
	return NULL;
}

/* Each site listed before or after a metastasis head word, in its clause:
 * "liver, retroperitoneal and mediastinal metastases", "metastases in the
 * liver and bone". */
static int find_metastases(const struct coding *c, const char *text, const struct icd_token *t,
                           size_t nt, struct work *w)
{
	for (size_t i = 0; i < nt; i++) {
		if (!word_in(t[i].raw, "metastasis|metastases|mets"))
			continue;
		enum icd_context ctx = context_of(text, t, nt, i, i + 1);
		if (ctx == ICD_FAMILY)
			continue;
		for (int dir = -1; dir <= 1; dir += 2) {
			for (size_t k = 1; k <= 10; k++) {
				if ((dir < 0 && k > i) || (dir > 0 && i + k >= nt))
					break;
				size_t j = dir < 0 ? i - k : i + k;
				size_t lo = dir < 0 ? j : j - 1, hi = lo + 1;
				bool bracket = false;
				for (int b = t[lo].end; b < t[hi].start; b++)
					bracket |= strchr(";()[]", text[b]) != NULL;
				if (t[j].sentence != t[i].sentence || bracket)
					break;
				const char *code =
				    metastasis_site(&t[j], j + 1 < nt ? &t[j + 1] : NULL);
				if (!code) {
					if (word_in(t[j].raw, metastasis_fill) ||
					    word_in(t[j].raw, "bone"))
						continue;
					break;
				}
				if (coding_find_code(c, code) < 0)
					continue;
				struct found f = {0};
				str_copy(f.code, code, sizeof(f.code));
				f.start = t[dir < 0 ? j : i].start;
				f.end = t[dir < 0 ? i : j].end;
				f.score = SCORE_EXACT;
				f.ctx = ctx;
				str_copy(f.note, "metastasis of a stated site", sizeof(f.note));
				int result = push(w, &f);
				if (result)
					return result;
			}
		}
	}
	return DICTUM_OK;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	return x->start != y->start ? (x->start < y->start ? -1 : 1) : strcmp(x->code, y->code);
}

int icd_suggest(const struct coding *c, const char *text, const struct icd_options *opts,
                struct icd_result *out)
{
	memset(out, 0, sizeof(*out));
	struct icd_token *t = NULL;
	size_t nt = 0;
	struct work w = {0};
	size_t *content = NULL;
	int result = icd_tokenize(text, &t, &nt);
	if (result)
		return result;
	bool inpatient = opts && opts->inpatient;
	char episode = note_episode(text);
	/* Phrases skip stop words: match over the content tokens. */
	content = malloc((nt ? nt : 1) * sizeof(*content));
	uint32_t *ids = malloc((nt ? nt : 1) * sizeof(*ids));
	if (!content || !ids) {
		free(ids);
		result = DICTUM_NOMEM;
		goto out;
	}
	size_t nc = 0;
	for (size_t i = 0; i < nt; i++)
		if (!t[i].stop) {
			uint32_t id = UINT32_MAX;
			if (!strmap_get(&c->tokens, t[i].norm, strlen(t[i].norm), &id)) {
				id = coding_fuzzy_token(c, t[i].norm);
				t[i].fuzzy = id != UINT32_MAX;
			}
			ids[nc] = id;
			content[nc++] = i;
		}
	size_t ncand = 0;
	struct cand *cands = NULL;
	bool *taken = NULL, *covered = NULL;
	if ((result = find_candidates(c, text, t, content, ids, nc, &cands, &ncand)))
		goto matched;
	if (!(taken = calloc(nc ? nc : 1, sizeof(*taken)))) {
		result = DICTUM_NOMEM;
		goto matched;
	}
	/* Longest first, exact before word order free, leftmost first; a
	 * phrase all of whose words a longer one took is not coded again
	 * ("diabetic CKD stage 3a" keeps both phrases that share "CKD"). */
	if (ncand)
		qsort(cands, ncand, sizeof(*cands), cmp_cand);
	for (size_t k = 0; k < ncand; k++) {
		struct cand *cd = &cands[k];
		bool fresh = false;
		for (size_t j = 0; j < cd->len && !fresh; j++)
			fresh = !taken[cand_pos(cd, j)];
		if (!fresh)
			continue;
		for (size_t j = 0; j < cd->len; j++)
			taken[cand_pos(cd, j)] = true;
		cd->accepted = true;
	}
	if (ncand)
		qsort(cands, ncand, sizeof(*cands), cmp_cand_pos);
	if (!(covered = calloc(nt ? nt : 1, sizeof(*covered)))) {
		result = DICTUM_NOMEM;
		goto matched;
	}
	for (size_t k = 0; k < ncand; k++)
		for (size_t j = 0; j < cands[k].len && cands[k].accepted; j++)
			covered[content[cand_pos(&cands[k], j)]] = true;
	for (size_t k = 0; k < ncand; k++) {
		const struct cand *cd = &cands[k];
		if (!cd->accepted)
			continue;
		const struct phrase *ph = &c->ph[cd->phrase];
		size_t a = content[cd->lo], b = content[cd->hi] + 1;
		if ((b - a == 1 && abbreviation_aside(text, &t[a])) ||
		    status_vetoed(c->codes[ph->code], t, nt, a, b) ||
		    (c->codes[ph->code][0] != 'R' && names_a_test(text, t, nt, a, b)) ||
		    other_sense(c->codes[ph->code], t, nt, a, b))
			continue;
		struct found f = {0};
		str_copy(f.code, c->codes[ph->code], sizeof(f.code));
		f.start = t[a].start;
		f.end = t[b - 1].end;
		f.score = ph->kind == PH_VARIANT ? SCORE_VARIANT : SCORE_EXACT;
		if (cd->unordered)
			f.score -= SCORE_STEP;
		for (size_t j = 0; j < cd->len; j++)
			if (t[content[cand_pos(cd, j)]].fuzzy) {
				f.score -= SCORE_STEP;
				str_copy(f.note, "spelling corrected", sizeof(f.note));
				break;
			}
		if (ph->len == 1 && strlen(t[a].norm) <= 3)
			f.score -= SCORE_STEP;
		f.ctx = context_of(text, t, nt, a, b);
		if (f.ctx == ICD_UNCERTAIN && inpatient) {
			f.ctx = ICD_AFFIRMED;
			f.score -= SCORE_STEP;
			str_copy(f.note, "uncertain diagnosis coded as established (inpatient)",
			         sizeof(f.note));
		}
		if (f.ctx == ICD_FAMILY && f.code[0] != 'Z') {
			const char *z =
			    map_lookup(f.code, family_map, sizeof(family_map) / sizeof(*family_map),
			               sizeof(family_map[0]));
			if (z && coding_find_code(c, z) >= 0) {
				snprintf(f.note, sizeof(f.note),
				         "family history (not the patient's %s)", f.code);
				str_copy(f.code, z, sizeof(f.code));
				f.ctx = ICD_AFFIRMED;
			}
		} else if (f.ctx == ICD_FAMILY) {
			f.ctx = ICD_AFFIRMED;
		}
		if (f.ctx == ICD_HISTORY) {
			const char *z = map_lookup(f.code, history_map,
			                           sizeof(history_map) / sizeof(*history_map),
			                           sizeof(history_map[0]));
			if (f.code[0] == 'Z' || strcmp(f.code, "I252") == 0) {
				f.ctx = ICD_AFFIRMED;
			} else if (z && coding_find_code(c, z) >= 0) {
				snprintf(f.note, sizeof(f.note),
				         "past condition: personal history (%s)", f.code);
				str_copy(f.code, z, sizeof(f.code));
				f.ctx = ICD_AFFIRMED;
			} else if (stays_current(f.code)) {
				str_copy(f.note, "documented as history; chronic, coded as current",
				         sizeof(f.note));
				f.score -= 0.15;
				f.ctx = ICD_AFFIRMED;
			}
		}
		if (f.ctx == ICD_AFFIRMED) {
			apply_finding_site(c, text, t, nt, a, b, &f);
			apply_laterality(c, text, t, nt, a, b, &f);
			apply_qualifier(c, t, nt, a, b, &f);
			apply_episode(c, episode, &f);
		}
		if ((result = push(&w, &f)))
			break;
	}
	if (!result)
		result = find_site_findings(c, text, t, nt, covered, &w);
	if (!result)
		result = find_metastases(c, text, t, nt, &w);
matched:
	free(covered);
	free(taken);
	free(cands);
	free(ids);
	if (result)
		goto out;
	/* One mention per code: keep the first, best score; each further
	 * mention adds a little (a condition the note comes back to is more
	 * likely one to code). */
	for (size_t i = 0; i < w.n; i++)
		for (size_t j = 0; j < i && w.f[i].ctx == ICD_AFFIRMED; j++)
			if (!w.f[j].dropped && w.f[j].ctx == ICD_AFFIRMED &&
			    strcmp(w.f[i].code, w.f[j].code) == 0) {
				if (w.f[i].score > w.f[j].score)
					w.f[j].score = w.f[i].score;
				w.f[j].mentions++;
				w.f[i].dropped = true;
				break;
			}
	for (size_t i = 0; i < w.n; i++) {
		struct found *f = &w.f[i];
		if (f->dropped)
			continue;
		int extra = f->mentions < 2 ? f->mentions : 2;
		f->score += SCORE_MENTION * extra;
		/* history, status and encounter codes are supplementary: coded
		 * when they bear on this encounter, which the words seldom say */
		if (f->code[0] == 'Z')
			f->score -= SCORE_STEP;
		if (f->score > 0.99)
			f->score = 0.99;
	}
	if ((result = apply_rules(c, &w)))
		goto out;
	if (w.n)
		qsort(w.f, w.n, sizeof(*w.f), cmp_found);
	out->codes = calloc(w.n ? w.n : 1, sizeof(*out->codes));
	out->skipped = calloc(w.n ? w.n : 1, sizeof(*out->skipped));
	if (!out->codes || !out->skipped) {
		result = DICTUM_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < w.n; i++) {
		const struct found *f = &w.f[i];
		if (f->dropped)
			continue;
		if (f->ctx != ICD_AFFIRMED) {
			struct icd_skipped *s = &out->skipped[out->nskipped++];
			icd_code_format(f->code, s->code);
			s->evidence = dup_range(text, f->start, f->end);
			s->span_start = f->start;
			s->span_end = f->end;
			s->context = f->ctx;
			if (!s->evidence) {
				result = DICTUM_NOMEM;
				goto out;
			}
			continue;
		}
		struct icd_suggestion *s = &out->codes[out->ncodes++];
		int idx = coding_find_code(c, f->code);
		icd_code_format(f->code, s->code);
		s->name = strdup(idx >= 0 ? c->descs[idx] : "");
		s->evidence = dup_range(text, f->start, f->end);
		s->note = *f->note ? strdup(f->note) : NULL;
		s->span_start = f->start;
		s->span_end = f->end;
		s->score = f->score < 0.05 ? 0.05 : f->score;
		if (!s->name || !s->evidence || (*f->note && !s->note)) {
			result = DICTUM_NOMEM;
			goto out;
		}
	}
out:
	if (result)
		icd_result_free(out);
	free(w.f);
	free(content);
	free(t);
	return result;
}

struct json_object *icd_result_json(const struct icd_result *r)
{
	struct json_object *arr = json_object_new_array();
	if (!arr)
		return NULL;
	for (size_t i = 0; i < r->ncodes; i++) {
		const struct icd_suggestion *s = &r->codes[i];
		struct json_object *o = json_object_new_object();
		struct json_object *span = json_object_new_array();
		json_object_array_add(span, json_object_new_int(s->span_start));
		json_object_array_add(span, json_object_new_int(s->span_end));
		json_object_object_add(o, "name", json_object_new_string(s->name));
		json_object_object_add(o, "icd10_code", json_object_new_string(s->code));
		json_object_object_add(o, "evidence", json_object_new_string(s->evidence));
		json_object_object_add(o, "span", span);
		json_object_object_add(
		    o, "score", json_object_new_double(((int)(s->score * 100 + 0.5)) / 100.0));
		if (s->note)
			json_object_object_add(o, "note", json_object_new_string(s->note));
		json_object_array_add(arr, o);
	}
	return arr;
}
