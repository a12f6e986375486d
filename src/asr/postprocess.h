#ifndef DICTUM_ASR_POSTPROCESS_H
#define DICTUM_ASR_POSTPROCESS_H

/* Dictation post-processing: turns the raw lower-case word stream of a
 * recogniser into sections of capitalised, punctuated text. Every rule is a
 * row in a table in postprocess.c; this comment is the contract.
 *
 * Input words
 *   Words are separated by white space. Each word is lower-cased and stripped
 *   of leading and trailing punctuation (inner apostrophes and hyphens and a
 *   trailing '%' stay) and of a PocketSphinx alternate-pronunciation suffix
 *   such as "(2)". Words that start with '<', '[' or '+' (<s>, <sil>,
 *   [noise], ++breath++), hesitations (um, uh, erm, hmm, ah) and words left
 *   empty are fillers: skipped, but they keep their index. Word indices in
 *   the result always count the caller's words, fillers included, from 0.
 *   Bytes above 0x7f are word characters (UTF-8 passes through).
 *
 * Section cues (spoken headers)
 *   A header phrase ("chief complaint", "history of present illness", "h p i",
 *   "review of systems", "physical exam", "assessment and plan", "a and p",
 *   "medications", "allergies", ...) maps to a key and a title. It starts a
 *   new section when
 *   - it is followed by the spoken command "colon" (which it then consumes),
 *     anywhere in the stream; or
 *   - for multi-word headers only, it stands at a boundary (start of input,
 *     after ". ? !", "new line", "new paragraph", "next section" or another
 *     header) and the next word is not one that makes it prose ("review of
 *     systems was negative", "family history of diabetes": is, was, of, ...).
 *   Single-word headers ("plan", "medications", "results") need the colon,
 *   and are prose mid-sentence after the, a, on, in, his, her, of, for, with,
 *   ... ("normal on exam colon" is "normal on exam:").
 *   Text before any header goes to a section with key "note" and an empty
 *   title, for the note engine to place.
 *
 * Voice commands (never copied into the text)
 *   period / full stop -> "."   comma -> ","   colon -> ":"
 *   semicolon / semi colon -> ";"   question mark -> "?"
 *   exclamation point / exclamation mark -> "!"
 *   open paren(thesis) / open bracket -> "("   close paren(thesis) / close
 *   bracket / end paren -> ")"   open quote -> '"'  close / end quote,
 *   unquote -> '"'   hyphen / dash -> "-" and slash -> "/" (no spaces either
 *   side: "follow hyphen up" -> "follow-up")
 *   new line / next line -> line break; new paragraph / next paragraph ->
 *   blank line.
 *   scratch that / delete that / strike that: removes the last sentence of
 *   the current section (an unfinished one if words were dictated since the
 *   last ". ? !", otherwise the last finished one with its full stop, and any
 *   line breaks after it). Right after a header it removes that header's
 *   empty section. With nothing to remove it does nothing.
 *   next section: closes the section; the words after it (unless a header
 *   follows) go to a new "note" section marked after_next_section.
 *   A command word is ordinary text where a context table says so: "period"
 *   after menstrual, postpartum, refractory, the, a, ... ("last menstrual
 *   period"); "colon" after the, sigmoid, transverse, of, ... or before
 *   cancer, polyp, ... ("sigmoid colon", "colon cancer"); "full stop", "new
 *   line", "next line", "new paragraph", "next paragraph" and "next section"
 *   after "a" or "the" ("a new line of therapy").
 *
 * Numbers
 *   Number words (zero..nineteen, twenty..ninety, hundred, thousand, "and"
 *   after hundred/thousand, "oh" as a digit after a digit or "point") are
 *   read as one phrase: "one hundred forty five" = 145, "one and a half" =
 *   1.5; the spoken form digit + two-digit ("one twenty", "one oh five") =
 *   120, 105; years
 *   ("nineteen ninety eight", "twenty twenty three") = 1998, 2023; decimals
 *   with "point" and digit words ("ninety eight point six" = 98.6, "point two
 *   five" = .25; a bare "point five" before a unit becomes 0.5). A word the
 *   recogniser already wrote in digits ("40", "2.5") is a phrase too.
 *   A phrase becomes digits when
 *   - a time-of-day word follows ("a m", "p m", "o'clock"): "two thirty p m"
 *     -> "2:30 p.m.";
 *   - a unit follows (table: milligrams -> mg, micrograms -> mcg, grams -> g,
 *     kilograms -> kg, milliliters -> mL, liters -> L, units, milligrams per
 *     deciliter -> mg/dL, milligrams per kilogram -> mg/kg, millimeters of
 *     mercury -> mmHg, centimeters -> cm, beats per minute -> bpm, percent ->
 *     %, "year old" -> -year-old, days, weeks, hours, times, tablets, ...):
 *     "forty milligrams" -> "40 mg", "sixty two year old" -> "62-year-old",
 *     "ninety eight percent" -> "98%";
 *   - "over" and a number follow: "one twenty over eighty" -> "120/80";
 *     "out of" and a number: "five out of ten" -> "5/10";
 *   - it has a decimal part: "eight point one" -> "8.1";
 *   - it follows a label word (type, grade, stage, class, gravida, para,
 *     room, bed, day, cycle, level, step, zone, lead): "type two" -> "type 2";
 *   - "to", "or", "through", "dash" or "hyphen" and a number that itself
 *     becomes digits follow: "two to three days" -> "2 to 3 days", "two dash
 *     three days" -> "2-3 days";
 *   - it is a quantity: two or more number words, or a value of 10 or more
 *     ("ldl ninety eight" -> "LDL 98").
 *   A lone zero..nine with none of these stays a word ("four sutures", "one
 *   of the", "two gout flares"); a lone "one" after no, every, any, some,
 *   each or which always stays a word ("no one over sixty five" -> "no one
 *   over 65").
 *   "times" before a number outside a number phrase is a multiplier:
 *   "oriented times three" -> "oriented x3" (not after at, some, many, ...:
 *   "at times one eye waters").
 *   "number" and a number is a list item ("number one" -> "1." on a new
 *   line) at a boundary, or anywhere when it is the next number of the list
 *   in progress in the paragraph ("number one cough number two fever").
 *
 * Words and capitals
 *   A table spells abbreviations and names ("copd" -> "COPD", "i" -> "I",
 *   "x ray" -> "x-ray", "e k g" -> "EKG"). The first letter of a section, of
 *   a sentence after ". ? !", of a line and of a list item is capitalised.
 *   Only the spoken punctuation is written: no full stop is invented.
 *
 * Text layout
 *   Section text has no leading or trailing white space; a line break is
 *   "\n", a paragraph break "\n\n".
 *
 * Faithfulness
 *   Each section lists its sentences: byte range in the section text and the
 *   first and last input word index that produced it (command words that
 *   produced its punctuation included). A sentence ends at ". ? !", at a line
 *   or paragraph break, before a list item, or at the end of the section.
 *   It also lists its pieces, the same for each written word, number phrase
 *   ("40 mg" from "forty milligrams"), punctuation mark and list marker, in
 *   text order: with the recogniser's word confidences a caller can mark the
 *   uncertain parts of the text.
 */

#include <stdbool.h>
#include <stddef.h>

#define DICTATION_DEFAULT_KEY "note"

/* A stretch of a section's text and the input words it came from. */
struct dictation_span {
	size_t start, end;            /* bytes in the section text, end exclusive */
	size_t first_word, last_word; /* input word indices, inclusive */
};

struct dictation_section {
	const char *key;                  /* static table string, never freed: "hpi", "note", ... */
	const char *title;                /* static: "History of Present Illness"; "" for "note" */
	bool cued;                        /* started by a spoken header */
	bool after_next_section;          /* started by "next section" */
	size_t header_first, header_last; /* the header's words (and its "colon"); when cued */
	char *text;                       /* owned by the result; never NULL */
	struct dictation_span *sentences; /* owned by the result; NULL when none */
	size_t n_sentences;
	struct dictation_span *pieces; /* owned by the result; NULL when none */
	size_t n_pieces;
};

struct dictation_result {
	struct dictation_section *sections; /* in the order dictated */
	size_t n_sections;
	size_t n_words; /* input words, fillers included */
};

/* Processes a white-space separated word stream (NULL is read as "").
 * On success returns DICTUM_OK and sets *out to a new result the caller frees
 * with dictation_result_free. Empty input gives a result with no sections.
 * Returns DICTUM_INVAL for NULL out, DICTUM_NOMEM when memory runs out,
 * DICTUM_FULL when the text would exceed 64 MiB; *out is untouched then. */
int dictation_process(const char *words, struct dictation_result **out);

/* The same over an array of n recogniser words: a word's index is its array
 * index (an element holding several space-separated words gives them all
 * its index; a NULL element is a filler). words may be NULL when n is 0.
 * Same returns as dictation_process. */
int dictation_process_words(const char *const *words, size_t n, struct dictation_result **out);

/* Renders the result as plain text: each cued section as its title and a
 * colon on a line, then its text; sections separated by a blank line; the
 * "note" sections without a title. On success sets *out to a malloc'ed
 * string the caller frees ("" for no sections) and returns DICTUM_OK;
 * returns DICTUM_INVAL or DICTUM_NOMEM and leaves *out untouched. */
int dictation_render(const struct dictation_result *r, char **out);

/* How many voice-command phrases of the table ("period", "new paragraph",
 * "scratch that", ...) occur in text as whole words, case-insensitively: a
 * check that a note kept none of them (the dictation benchmark's "literal
 * command words left"). The longest phrase at a position counts once and the
 * words inside it are not counted again ("semi colon" is 1); NULL counts 0. */
size_t dictation_count_command_words(const char *text);

/* A recogniser's raw word stream ("chief complaint colon cough period") has
 * no punctuation of its own: this writes out its spoken punctuation and
 * section cues (dictation_process, then dictation_render). Returns the
 * malloc'ed text, or NULL when text already has punctuation, holds no
 * command word, or memory runs out: then use text as it is. */
char *dictation_spoken_text(const char *text);

/* Frees the result and sets *r to NULL; accepts NULL and *r == NULL. */
void dictation_result_free(struct dictation_result **r);

#endif
