#ifndef DICTUM_NOTES_DRAFT_H
#define DICTUM_NOTES_DRAFT_H

/* Drafting a note from a transcript, locally and deterministically.
 *
 * A transcript is text: dictation (with or without "# Heading" lines),
 * speaker-labelled dialogue ("[doctor] ..." / "Patient: ..." lines) or plain
 * conversation. Every sentence of the draft records the transcript spans
 * (byte offsets) it came from, and a faithfulness check flags any number or
 * medication name in the draft that the transcript does not contain. */

#include "core/types.h"
#include "notes/tmpl.h"

#include <stdbool.h>
#include <stddef.h>

enum note_mode { NOTE_MODE_DICTATION, NOTE_MODE_AMBIENT };

/* Parses "dictation" or "ambient"; returns -1 otherwise. */
int note_mode_parse(const char *name);
const char *note_mode_name(enum note_mode mode);

#define NOTE_MAX_SPANS 4

/* Bytes [start, end) of the transcript text. */
struct note_span {
	size_t start;
	size_t end;
};

enum note_flag {
	NOTE_FLAG_NUMBER = 1u << 0,   /* a number the source does not contain */
	NOTE_FLAG_DRUG = 1u << 1,     /* a medication name the source does not contain */
	NOTE_FLAG_SIDE = 1u << 2,     /* left, right or bilateral the source does not say */
	NOTE_FLAG_NEGATION = 1u << 3, /* the source negates (no, not, denies), the sentence not */
};

/* One sentence (or list line) of the draft: bytes [start, start + len) of
 * the section's text. */
struct note_sentence {
	size_t section; /* index into note.sections */
	size_t start;
	size_t len;
	struct note_span spans[NOTE_MAX_SPANS];
	size_t nspans;
	unsigned flags; /* enum note_flag bits */
	bool extract;   /* a fragment lifted out of its source (a dose, a vital
	                 * sign, a follow-up interval): negation is not checked */
};

/* A term of the draft the transcript does not support. */
struct note_issue {
	size_t sentence; /* index into sentences */
	unsigned kind;   /* one enum note_flag bit */
	char *term;      /* as it appears in the note */
};

struct note_draft {
	struct note note; /* note_type, specialty and the non-empty sections */
	struct note_sentence *sentences;
	size_t nsentences;
	struct note_issue *issues;
	size_t nissues;
};

/* Frees everything the draft owns and zeroes it. */
void note_draft_clear(struct note_draft *d);

/* What drafting needs, loaded once: the note type catalogue, the
 * medication lexicon (data/notes/drugs.txt) and the glosses of lay words
 * (data/notes/glosses.txt: said.items[i] is glossed with standard.items[i]). */
struct note_engine {
	struct tmpl_catalog catalog;
	struct tmpl_terms drugs;
	struct tmpl_terms said;
	struct tmpl_terms standard;
};

/* Loads from dir (NULL: tmpl_data_dir()). Returns DICTUM_OK, DICTUM_IO,
 * DICTUM_INVAL or DICTUM_NOMEM with a one-line reason in err. */
int note_engine_load(struct note_engine *e, const char *dir, char *err, size_t errlen);
void note_engine_clear(struct note_engine *e);

/* Drafts a note of type note_type (one of the 26 keys; specialty may be
 * NULL) from transcript into out (which must be zeroed; clear it with
 * note_draft_clear, also after a failure). Sections that nothing fills are
 * left out. Runs the faithfulness check on every sentence against its own
 * source spans (stricter than against the whole transcript): numbers,
 * medication names and sides must be there, and a negation there must not
 * be lost (term "negation"). Returns DICTUM_OK,
 * DICTUM_NOTFOUND (unknown note type) or DICTUM_NOMEM. Never logs
 * transcript text. */
int note_draft(const struct note_engine *e, const char *transcript, const char *note_type,
               const char *specialty, enum note_mode mode, struct note_draft *out);

/* The faithfulness check on any text: calls found(ctx, kind, term, len) for
 * each number (digits, or a number word) whose value the transcript does not
 * contain (in digits or in words), each medication name of the lexicon and
 * each side (left, right, bilateral) the transcript does not contain.
 * Returns how many were found. */
size_t note_unsupported(const struct note_engine *e, const char *transcript, const char *text,
                        void (*found)(void *ctx, unsigned kind, const char *term, size_t len),
                        void *ctx);

#endif
