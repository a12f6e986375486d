#ifndef DICTUM_SYNC_REMOTE_H
#define DICTUM_SYNC_REMOTE_H

/* The server's engines for an encounter set to "server": a recording is
 * sent to POST /api/v1/pcr/audio/notes (multipart, with the note type)
 * and the job polled until the server has transcribed it and drafted the
 * note. The caller stores what comes back, or falls back to the local
 * engines when the server cannot be reached. */

#include "sync/client.h"

#include <stdint.h>

struct json_object;

struct sync_remote_draft {
	enum sync_net_state state;    /* ok, or why there is no draft */
	char error[256];              /* one line when state is not ok */
	bool failed;                  /* the server ran the job and it failed (no fall-back) */
	char *transcript;             /* malloc'ed, when ok */
	struct json_object *sections; /* [{key, title, text}], when ok (owned) */
};
void sync_remote_draft_clear(struct sync_remote_draft *d);

/* Sends the audio at path for a note of note_type and waits up to
 * max_wait_ms for the job. idempotency_key makes a retry after a crash
 * find the same job. Returns DICTUM_OK (see out->state) or DICTUM_NOMEM. */
int sync_remote_draft(struct sync_client *c, const char *path, const char *note_type,
                      const char *idempotency_key, int64_t max_wait_ms,
                      struct sync_remote_draft *out);

#endif
