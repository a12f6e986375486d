#ifndef DICTUM_CORE_NOTE_FORMAT_H
#define DICTUM_CORE_NOTE_FORMAT_H

#include "core/dynbuf.h"
#include "core/types.h"

#include <stdbool.h>

/* The 26 note type keys of the API (seed 000), in its order. */
extern const char *const note_type_keys[];
extern const size_t note_type_count;
bool note_type_valid(const char *key);

enum note_format { NOTE_FORMAT_TEXT, NOTE_FORMAT_MARKDOWN };
/* Parses "text" or "markdown"; returns -1 otherwise. */
int note_format_parse(const char *name);

/* Renders a note (heading lines and sections) into d.
 * Returns DICTUM_OK, DICTUM_NOMEM or DICTUM_FULL. */
int note_render(const struct note *n, const char *patient_name, enum note_format fmt,
                struct dynbuf *d);

/* Splits text into sections at lines that start with '#' (markdown
 * headings). Text before any heading goes to a section keyed "note". Section keys are
 * the titles in lower case with non-alphanumerics as '_'.
 * Returns DICTUM_OK or DICTUM_NOMEM. */
int note_parse_sections(struct note *n, const char *text);

#endif
