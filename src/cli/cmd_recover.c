#include "audio/lib.h"
#include "cli/cli.h"
#include "core/lib.h"

#include <json-c/json.h>
#include <string.h>

/* Finds recordings left in state 'recording' by a crash, repairs their
 * WAV headers from the file sizes and marks them recovered. Deletes
 * nothing. */
int cmd_recover(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage("recover");
	store *s = NULL;
	struct recording *list = NULL;
	size_t n = 0, recovered = 0, busy = 0, missing = 0, failed = 0;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;
	if (store_recording_list(s, RECORDING_RECORDING, &list, &n) != DICTUM_OK) {
		status = cli_fail("recover: %s", store_errmsg(s));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct recording *r = &list[i];
		struct wav_repair_result rr;
		char err[1200] = "", sha[65] = "";
		const char *outcome;
		double secs = 0;
		int rc = wav_repair(r->path, r->sample_rate, r->channels, &rr, err, sizeof(err));
		if (rc == DICTUM_OK) {
			int64_t ms =
			    rr.rate > 0 ? (int64_t)(rr.frames * 1000 / (uint64_t)rr.rate) : 0;
			secs = (double)ms / 1000.0;
			if (audio_file_sha256(r->path, sha) != DICTUM_OK)
				sha[0] = '\0';
			if (store_recording_finish(s, r->id, ms, sha[0] ? sha : NULL,
			                           RECORDING_RECOVERED) != DICTUM_OK) {
				outcome = "failed";
				snprintf(err, sizeof(err), "%s", store_errmsg(s));
				failed++;
			} else {
				outcome = "recovered";
				recovered++;
			}
		} else if (rc == DICTUM_BUSY) {
			outcome = "in progress";
			busy++;
		} else if (rc == DICTUM_NOTFOUND) {
			outcome = "missing";
			missing++;
		} else {
			outcome = "failed";
			failed++;
		}
		if (arr) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(r->id));
			json_object_object_add(o, "uid", json_object_new_string(r->uid));
			json_object_object_add(o, "path", json_object_new_string(r->path));
			json_object_object_add(o, "outcome", json_object_new_string(outcome));
			if (rc == DICTUM_OK) {
				json_object_object_add(o, "duration_s",
				                       json_object_new_double(secs));
				json_object_object_add(o, "header_changed",
				                       json_object_new_boolean(rr.changed));
			} else {
				json_object_object_add(o, "reason", json_object_new_string(err));
			}
			json_object_array_add(arr, o);
		} else if (rc == DICTUM_OK) {
			printf("%s\t%lld\t%s\t%.2f s\n", outcome, (long long)r->id, r->path, secs);
		} else {
			printf("%s\t%lld\t%s\t%s\n", outcome, (long long)r->id, r->path, err);
		}
	}
	if (arr) {
		cli_print_json(arr);
		arr = NULL;
	} else {
		fprintf(stderr,
		        "dictum: %zu recovered, %zu still recording, %zu missing, %zu failed\n",
		        recovered, busy, missing, failed);
	}
	if (failed)
		status = 1;
out:
	json_object_put(arr);
	recordings_free(&list, n);
	store_close(&s);
	return status;
}
