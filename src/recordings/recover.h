#ifndef DICTUM_RECORDINGS_RECOVER_H
#define DICTUM_RECORDINGS_RECOVER_H

/* Recovery of recordings cut off by a crash, shared by `dictum recover`
 * and the workstation at start. It joins audio/ (the WAV repair) and
 * offline/ (which recordings were still being recorded), which know
 * nothing of each other. Deletes nothing. */

#include "offline/store.h"

#include <stdbool.h>
#include <stddef.h>

enum recover_outcome { RECOVER_RECOVERED, RECOVER_IN_PROGRESS, RECOVER_MISSING, RECOVER_FAILED };

struct recover_item {
	int64_t id;
	char uid[DICTUM_UID_LEN];
	char *path;
	enum recover_outcome outcome;
	double seconds;      /* RECOVERED: the audio the file holds */
	bool header_changed; /* RECOVERED: the header had to be rewritten */
	char reason[512];    /* otherwise: why */
};

struct recover_report {
	struct recover_item *items;
	size_t count;
	size_t recovered, in_progress, missing, failed;
};

/* Repairs every recording the store still has in state 'recording' whose
 * file no running dictum holds, and marks it recovered with its duration
 * and checksum. A live recording is left alone (in progress). Fills *out
 * (clear it with recover_report_clear). Returns DICTUM_OK, or the store's
 * error when the list cannot be read (store_errmsg says why). */
int recordings_recover(store *s, struct recover_report *out);
void recover_report_clear(struct recover_report *r);

/* A new recording's file name in dir (created 0700 if absent):
 * dir/rec-YYYYMMDD-HHMMSS-<8 hex>.wav, shared by `dictum record` and the
 * workstation. Returns 0, -errno when dir cannot be made, or -ENAMETOOLONG. */
int recording_new_path(const char *dir, char *out, size_t size);
const char *recover_outcome_name(enum recover_outcome o);

#endif
