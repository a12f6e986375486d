#ifndef DICTUM_CODING_ICD_INTERNAL_H
#define DICTUM_CODING_ICD_INTERNAL_H

/* Internals shared by the src/coding/ files; not for other modules. */
#include "coding/coding.h"

#include <stdint.h>

/* A string -> uint32 map with open addressing; keys are copied. */
struct strmap {
	char **keys;
	uint32_t *vals;
	size_t cap, len;
};
int strmap_put(struct strmap *m, const char *key, size_t klen, uint32_t val);
/* Returns true and sets *val when key is present. */
bool strmap_get(const struct strmap *m, const char *key, size_t klen, uint32_t *val);
void strmap_free(struct strmap *m);

enum phrase_kind { PH_VARIANT = 1, PH_DESC = 2, PH_SYNONYM = 3 };
#define ICD_UNORDERED_MAX 6
#define ICD_FUZZY_MIN     6
struct phrase {
	uint32_t code; /* index into coding.codes */
	uint32_t off;  /* first token id in coding.ptoks */
	uint16_t len;  /* tokens */
	uint8_t kind;
	uint8_t upper; /* an all-capitals abbreviation: matches capitals only */
	uint8_t lead;  /* a synonym led by a stop word ("on insulin"): that word
	                  (icd_stop_word(lead)) must stand right before; 0 none */
};

struct coding {
	size_t ncodes;
	char (*codes)[8]; /* no dot */
	char **descs;
	bool *curated;
	struct strmap code_index; /* code -> index */
	struct strmap desc_index; /* lower-case description -> index */
	struct strmap tokens;     /* normalised token -> id */
	struct phrase *ph;
	size_t nph, phcap;
	uint32_t *ptoks;
	size_t nptoks, ptokcap;
	struct strmap phrase_index; /* "id id id" -> phrase */
	int32_t *head;              /* first phrase for a token id, -1 */
	int32_t *next;              /* next phrase with the same first token */
	size_t nheads;
	/* Word order free matching ("renal artery aneurysm" for "Aneurysm of
	 * renal artery"): description phrases of 2..ICD_UNORDERED_MAX tokens
	 * listed under their rarest token, longest first. */
	int32_t *uhead;
	int32_t *unext;
	/* Typing slips: each word of ICD_FUZZY_MIN letters or more with one
	 * letter left out -> its token id (UINT32_MAX when two words share the
	 * variant). */
	struct strmap fuzzy;
	const char **words; /* token id -> the word (keys of tokens) */
	/* HCC V28 */
	struct {
		char code[8];
		int hcc;
	} * hcc_map;
	size_t nhcc_map;
	struct {
		int hcc;
		char label[120];
	} * hcc_labels;
	size_t nhcc_labels, hcc_labels_cap;
	struct {
		int parent, child;
	} * hcc_hier;
	size_t nhcc_hier, hcc_hier_cap;
};

/* A token of a text: byte offsets, normalised form, flags. */
struct icd_token {
	int start, end;
	char norm[40];
	char raw[24]; /* lower case as written (apostrophes dropped), for triggers */
	int sentence;
	bool stop;         /* not part of phrases ("of", "the") */
	bool family;       /* inside a family history section */
	bool differential; /* inside a differential diagnosis section */
	bool fuzzy;        /* matched a known word by a typing slip (icd_suggest) */
};
/* Splits text into tokens (malloc'ed array). */
int icd_tokenize(const char *text, struct icd_token **out, size_t *count);
/* Normalises one word in place (lower case, spelling, plural); returns
 * whether it is a stop word. */
bool icd_normalize_word(char *w);
/* 1 + the index of a stop word (lower case) in the list, 0 when w is not
 * one; icd_stop_word() gives it back ("" for 0). */
int icd_stop_index(const char *w);
/* Whether w, normalised, is the letter "a" naming a kind after prev (lower
 * case): "hepatitis A", "vitamin A", "group A": then not a stop word. */
bool icd_letter_names(const char *prev, const char *w);
const char *icd_stop_word(int idx);

/* The token id of a word the matcher does not know that is one typing
 * slip from exactly one word of ICD_FUZZY_MIN letters or more it knows:
 * two neighbouring letters swapped ("pnuemonia"), a doubled letter written
 * once or a letter doubled ("diarhea", "gastroparesiss"). UINT32_MAX when
 * there is none or more than one. */
uint32_t coding_fuzzy_token(const struct coding *c, const char *w);

/* Code index by stored code (no dot); -1 when absent. */
int coding_find_code(const struct coding *c, const char *code);
/* Code index by description (any case); -1 when absent. */
int coding_find_desc(const struct coding *c, const char *desc);
bool icd_code_is_chronic(const char *code);
bool icd_code_threatens(const char *code);

/* Reads a whole text file (plain or gzip) into a NUL-terminated buffer. */
int coding_read_file(const char *path, char **out, size_t *len);

#endif
