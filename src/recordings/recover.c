#include "recordings/recover.h"
#include "audio/lib.h"
#include "core/lib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *recover_outcome_name(enum recover_outcome o)
{
	static const char *const names[] = {"recovered", "in progress", "missing", "failed"};
	return (unsigned)o < 4 ? names[o] : "unknown";
}

void recover_report_clear(struct recover_report *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->items[i].path);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static void recover_one(store *s, const struct recording *r, struct recover_item *it)
{
	struct wav_repair_result rr;
	char sha[65] = "";
	int rc =
	    wav_repair(r->path, r->sample_rate, r->channels, &rr, it->reason, sizeof(it->reason));
	if (rc == DICTUM_BUSY) {
		it->outcome = RECOVER_IN_PROGRESS;
		return;
	}
	if (rc != DICTUM_OK) {
		it->outcome = rc == DICTUM_NOTFOUND ? RECOVER_MISSING : RECOVER_FAILED;
		return;
	}
	int64_t ms = rr.rate > 0 ? (int64_t)(rr.frames * 1000 / (uint64_t)rr.rate) : 0;
	it->seconds = (double)ms / 1000.0;
	it->header_changed = rr.changed;
	if (audio_file_sha256(r->path, sha) != DICTUM_OK)
		sha[0] = '\0';
	if (store_recording_finish(s, r->id, ms, sha[0] ? sha : NULL, RECORDING_RECOVERED) !=
	    DICTUM_OK) {
		it->outcome = RECOVER_FAILED;
		str_copy(it->reason, store_errmsg(s), sizeof(it->reason));
		return;
	}
	it->outcome = RECOVER_RECOVERED;
}

int recordings_recover(store *s, struct recover_report *out)
{
	struct recording *list = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	int result = store_recording_list(s, RECORDING_RECORDING, &list, &n);
	if (result)
		return result;
	if (n && !(out->items = calloc(n, sizeof(*out->items)))) {
		recordings_free(&list, n);
		return DICTUM_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct recover_item *it = &out->items[out->count];
		it->id = list[i].id;
		memcpy(it->uid, list[i].uid, sizeof(it->uid));
		recover_one(s, &list[i], it);
		it->path = list[i].path;
		list[i].path = NULL;
		out->count++;
		size_t *tally[] = {&out->recovered, &out->in_progress, &out->missing, &out->failed};
		(*tally[it->outcome])++;
	}
	recordings_free(&list, n);
	return DICTUM_OK;
}

int recording_new_path(const char *dir, char *out, size_t size)
{
	char hex[9];
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int rc = mkdir_p(dir, 0700);
	if (rc)
		return rc;
	if (random_hex(hex, 4) != 0)
		snprintf(hex, sizeof(hex), "%08x", (unsigned)getpid());
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if ((size_t)snprintf(out, size, "%s/rec-%s-%s.wav", dir, stamp, hex) >= size)
		return -ENAMETOOLONG;
	return 0;
}
