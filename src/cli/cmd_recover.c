#include "cli/cli.h"
#include "core/lib.h"
#include "recordings/recover.h"

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
	struct recover_report rep;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	if (recordings_recover(s, &rep) != DICTUM_OK) {
		status = cli_fail("recover: %s", store_errmsg(s));
		store_close(&s);
		return status;
	}
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < rep.count; i++) {
		const struct recover_item *it = &rep.items[i];
		const char *outcome = recover_outcome_name(it->outcome);
		bool ok = it->outcome == RECOVER_RECOVERED;
		if (arr) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(it->id));
			json_object_object_add(o, "uid", json_object_new_string(it->uid));
			json_object_object_add(o, "path", json_object_new_string(it->path));
			json_object_object_add(o, "outcome", json_object_new_string(outcome));
			if (ok) {
				json_object_object_add(o, "duration_s",
				                       json_object_new_double(it->seconds));
				json_object_object_add(o, "header_changed",
				                       json_object_new_boolean(it->header_changed));
			} else {
				json_object_object_add(o, "reason",
				                       json_object_new_string(it->reason));
			}
			json_object_array_add(arr, o);
		} else if (ok) {
			printf("%s\t%lld\t%s\t%.2f s\n", outcome, (long long)it->id, it->path,
			       it->seconds);
		} else {
			printf("%s\t%lld\t%s\t%s\n", outcome, (long long)it->id, it->path,
			       it->reason);
		}
	}
	if (arr)
		cli_print_json(arr);
	else
		fprintf(stderr,
		        "dictum: %zu recovered, %zu still recording, %zu missing, %zu failed\n",
		        rep.recovered, rep.in_progress, rep.missing, rep.failed);
	if (rep.failed)
		status = 1;
	recover_report_clear(&rep);
	store_close(&s);
	return status;
}
