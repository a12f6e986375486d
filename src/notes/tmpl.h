#ifndef DICTUM_NOTES_TMPL_H
#define DICTUM_NOTES_TMPL_H

/* Note types, sections, specialties and templates, read from the data files
 * data/notes/sections.ini, data/notes/types.ini and the *.ini files of data/templates.
 * The parsers are pure (text in, tables out); the loaders find the files.
 * Every string in these structures is malloc'ed and owned by the structure
 * that holds it; the *_clear functions free everything and zero the struct. */

#include <stdbool.h>
#include <stddef.h>

#define TMPL_MAX_LAYOUT 48 /* most sections a note type may have */

/* A list of lower-case phrases. */
struct tmpl_terms {
	char **items;
	size_t count;
};

struct tmpl_section {
	char *key;
	char *title;
	struct tmpl_terms header; /* phrases that open the section in dictation */
	struct tmpl_terms words;  /* phrases that place unheaded dictated text here */
	struct tmpl_terms takes;  /* content kinds routed here in ambient mode */
};

struct tmpl_type {
	char *key;
	char *title;
	char *group;
	struct tmpl_terms sections; /* section keys in order */
};

enum tmpl_adjust_op { TMPL_RENAME, TMPL_INSERT_AFTER, TMPL_INSERT_BEFORE, TMPL_REPLACE };

struct tmpl_adjust {
	enum tmpl_adjust_op op;
	char *section; /* the section renamed, replaced or inserted */
	char *arg;     /* rename: the new title; replace: the section put in its
	                * place; insert: the section it goes after or before */
};

struct tmpl_specialty {
	char *name;
	struct tmpl_terms alias;
	struct tmpl_adjust *adjust;
	size_t nadjust;
};

struct tmpl_catalog {
	struct tmpl_section *sections;
	size_t nsections;
	struct tmpl_type *types;
	size_t ntypes;
	struct tmpl_specialty *specialties;
	size_t nspecialties;
};

/* Parses sections.ini / types.ini text into c (which may already hold
 * entries; a repeated key appends). Returns DICTUM_OK, DICTUM_NOMEM, or
 * DICTUM_INVAL with *bad_line set to the first malformed line (a line that
 * is not INI, an unknown [kind], an unknown field, or an adjustment that does
 * not parse). */
int tmpl_parse(struct tmpl_catalog *c, const char *text, int *bad_line);

/* Checks that every type names only known sections and has at least one.
 * Returns DICTUM_OK or DICTUM_INVAL, naming the first problem in msg. */
int tmpl_validate(const struct tmpl_catalog *c, char *msg, size_t msglen);

/* The folder holding notes/ and templates/: $DICTUM_SHARE_DIR if set, else
 * the install prefix (DICTUM_DATADIR) if it has notes/types.ini, else the
 * source tree's data/ (DICTUM_SOURCE_DATADIR). Never NULL; static storage. */
const char *tmpl_data_dir(void);

/* Loads dir/notes/sections.ini and dir/notes/types.ini (dir NULL: the
 * tmpl_data_dir()) and validates them. Returns DICTUM_OK, DICTUM_IO,
 * DICTUM_INVAL or DICTUM_NOMEM, with a one-line reason in err. */
int tmpl_catalog_load(struct tmpl_catalog *c, const char *dir, char *err, size_t errlen);
void tmpl_catalog_clear(struct tmpl_catalog *c);

const struct tmpl_section *tmpl_section_find(const struct tmpl_catalog *c, const char *key);
const struct tmpl_type *tmpl_type_find(const struct tmpl_catalog *c, const char *key);
/* By name or alias, case-insensitive; NULL when unknown. */
const struct tmpl_specialty *tmpl_specialty_find(const struct tmpl_catalog *c, const char *name);

/* A note type resolved for one specialty: its sections in order and the
 * titles to show. Points into the catalogue (valid while it lives). */
struct tmpl_layout {
	size_t count;
	const struct tmpl_section *section[TMPL_MAX_LAYOUT];
	const char *title[TMPL_MAX_LAYOUT];
};

/* Fills out for type (and specialty, which may be NULL or unknown: then no
 * adjustment is made). Returns DICTUM_OK or DICTUM_NOTFOUND (unknown type). */
int tmpl_layout_make(const struct tmpl_catalog *c, const char *type, const char *specialty,
                     struct tmpl_layout *out);
/* Index of a section key in the layout, or -1. */
int tmpl_layout_index(const struct tmpl_layout *l, const char *key);

/* ---- templates (seed 001's community templates) ---- */

struct tmpl_template {
	char *id;   /* 24 hex digits */
	char *name; /* display name */
	char *short_description;
	char *note_type;
	struct tmpl_terms sections;
	bool user; /* from the user's config folder */
};

struct tmpl_list {
	struct tmpl_template *items;
	size_t count;
};

/* Parses a catalogue file's text, appending to l. Returns DICTUM_OK,
 * DICTUM_NOMEM, or DICTUM_INVAL with *bad_line set (a malformed line or a
 * template without a name). */
int tmpl_templates_parse(struct tmpl_list *l, const char *text, bool user, int *bad_line);
/* Loads every *.ini in data_dir/templates (shipped) then in user_dir (may
 * be NULL or missing), in name order. A user file that does not parse is
 * skipped with a warning naming the file; a shipped one is an error.
 * Returns DICTUM_OK, DICTUM_IO, DICTUM_INVAL or DICTUM_NOMEM (reason in err). */
int tmpl_templates_load(struct tmpl_list *l, const char *data_dir, const char *user_dir, char *err,
                        size_t errlen);
/* True when word (case-insensitive) occurs in the name or short description;
 * NULL or "" matches everything. */
bool tmpl_template_matches(const struct tmpl_template *t, const char *word);
void tmpl_list_clear(struct tmpl_list *l);

#endif
