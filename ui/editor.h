#ifndef DICTUM_UI_EDITOR_H
#define DICTUM_UI_EDITOR_H

/* Editing a note in the clinician's own $EDITOR: the note as a markdown
 * file ('# Title' lines open sections), the terminal handed over and
 * restored as tig and neomutt do. */

#include "core/types.h"

/* The note's sections as one malloc'ed markdown text ('# Title' lines
 * open sections); NULL when out of memory. */
char *editor_note_text(const struct note *n);
/* Reads text back into *out as editor_read_note does a file. Returns
 * DICTUM_OK or DICTUM_NOMEM. */
int editor_note_from_text(const char *text, const struct note *orig, struct note *out);
/* Writes the note's sections to path (mode 0600; it holds patient text).
 * Returns 0 or -errno. */
int editor_write_note(const char *path, const struct note *n);
/* Writes text (may be NULL) to path, mode 0600. Returns 0 or -errno. */
int editor_write_text(const char *path, const char *text);
/* Reads path back into *out: orig's identity (id, version, encounter,
 * type, specialty) with the sections from the file. A section whose title
 * matches one of orig's keeps orig's key. Clear *out with note_clear.
 * Returns DICTUM_OK, DICTUM_IO or DICTUM_NOMEM. */
int editor_read_note(const char *path, const struct note *orig, struct note *out);
/* Runs $VISUAL, $EDITOR or vi on path with the terminal handed over:
 * curses is suspended, SIGINT ignored while the editor runs, and the
 * screen restored afterwards. Returns the editor's exit status, or -1 if
 * it could not run. */
int editor_run(const char *path);

#endif
