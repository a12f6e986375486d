#ifndef DICTUM_CLI_WORK_H
#define DICTUM_CLI_WORK_H

/* Recordings of encounters set to the server's engines ("dictum
 * encounters engine ID server"): `dictum sync` sends each to the server,
 * which transcribes it and drafts the note; the transcript and (when the
 * encounter has no note yet) the note are stored here. When the server
 * cannot be reached the local engines do the same work, so nothing waits
 * on the network. */

#include "cli/cli.h"

struct sync_client;

struct cli_work_report {
	size_t server;     /* recordings done by the server */
	size_t local;      /* ... by the local engines, the server being unreachable */
	size_t failed;     /* the server refused or failed them (kept for a retry) */
	size_t notes_made; /* notes drafted into encounters that had none */
};

/* Does the pending work. Returns DICTUM_OK, or a store error with the
 * reason printed. */
int cli_encounter_work(struct cli_ctx *ctx, store *s, struct sync_client *c,
                       struct cli_work_report *r);

#endif
