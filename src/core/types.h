#ifndef DICTUM_CORE_TYPES_H
#define DICTUM_CORE_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Shared record types. Strings are malloc'ed and owned by the record;
 * each *_free(struct x **) frees the record and sets the pointer to NULL,
 * each *_clear(struct x *) frees what the record owns and zeroes it. */

#define DICTUM_UID_LEN  40 /* prefix + '_' + 24 hex digits + NUL fits */
#define DICTUM_TIME_LEN 32

struct patient {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* pat_... */
	char *first_name;
	char *last_name;
	char *birth_date; /* YYYY-MM-DD or NULL */
	char *mrn;
	char *email;
	char created_at[DICTUM_TIME_LEN];
};

enum encounter_status {
	ENCOUNTER_RECORDING,
	ENCOUNTER_DRAFT,
	ENCOUNTER_SIGNED,
	ENCOUNTER_SYNCED,
	ENCOUNTER_CONFLICT,
};

struct encounter {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* enc_... */
	int64_t patient_id;
	char *patient_name; /* "Last, First" when loaded by a list query */
	char *note_type;
	char *specialty;
	char *provider;
	enum encounter_status status;
	char started_at[DICTUM_TIME_LEN];
};

enum note_status { NOTE_DRAFT, NOTE_SIGNED };
enum sync_state { SYNC_LOCAL, SYNC_QUEUED, SYNC_SYNCED, SYNC_CONFLICT };

struct note_section {
	char *key;   /* stable key, e.g. "hpi" */
	char *title; /* heading shown, e.g. "History of Present Illness" */
	char *text;
};

struct note {
	int64_t id;
	char uid[DICTUM_UID_LEN]; /* note_... */
	int64_t encounter_id;
	char *note_type; /* one of the 26 note type keys */
	char *specialty;
	enum note_status status;
	int version; /* 1 on first save; each save adds one */
	char *server_id;
	int server_version;
	enum sync_state sync;
	char created_at[DICTUM_TIME_LEN];
	char updated_at[DICTUM_TIME_LEN];
	char *signed_by;
	struct note_section *sections;
	size_t nsections;
};

/* A row of a note list: what the encounters list shows. */
struct note_summary {
	int64_t id;
	char uid[DICTUM_UID_LEN];
	int64_t encounter_id;
	char *patient_name;
	char *note_type;
	enum note_status status;
	enum sync_state sync;
	int version;
	char updated_at[DICTUM_TIME_LEN];
	char *snippet; /* search match in context, or NULL */
};

const char *encounter_status_name(enum encounter_status s);
const char *note_status_name(enum note_status s);
const char *sync_state_name(enum sync_state s);
/* Parse names back; return -1 when unknown. */
int encounter_status_parse(const char *name);
int note_status_parse(const char *name);
int sync_state_parse(const char *name);

/* Zeroes out and copies orig's identity into it (id, uid, encounter,
 * version, status, sync, note type, specialty), without sections.
 * Returns DICTUM_OK or DICTUM_NOMEM (out is then cleared). */
int note_copy_identity(struct note *out, const struct note *orig);
/* Appends a section (copies the strings). Returns DICTUM_OK or DICTUM_NOMEM. */
int note_add_section(struct note *n, const char *key, const char *title, const char *text);
void note_clear(struct note *n);
void note_free(struct note **n);
void patient_clear(struct patient *p);
void encounter_clear(struct encounter *e);
void note_summaries_free(struct note_summary **list, size_t n);
void patients_free(struct patient **list, size_t n);
void encounters_free(struct encounter **list, size_t n);

#endif
