#include "cli/cli.h"
#include "core/lib.h"

#include <json-c/json.h>
#include <string.h>

int cmd_db(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[1], "check") != 0)
		return cli_usage("db");
	store *s = NULL;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	struct store_check_result r;
	if (store_check(s, &r) != DICTUM_OK) {
		status = cli_fail("db check: %s", store_errmsg(s));
		goto out;
	}
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(store_path(s)));
		json_object_object_add(o, "ok", json_object_new_boolean(r.ok));
		json_object_object_add(o, "integrity", json_object_new_string(r.integrity));
		json_object_object_add(o, "schema_version", json_object_new_int(r.schema_version));
		json_object_object_add(o, "journal_mode", json_object_new_string(r.journal_mode));
		struct json_object *counts = json_object_new_object();
		json_object_object_add(counts, "patients", json_object_new_int64(r.patients));
		json_object_object_add(counts, "encounters", json_object_new_int64(r.encounters));
		json_object_object_add(counts, "notes", json_object_new_int64(r.notes));
		json_object_object_add(counts, "note_versions",
		                       json_object_new_int64(r.note_versions));
		json_object_object_add(counts, "recordings", json_object_new_int64(r.recordings));
		json_object_object_add(counts, "transcripts", json_object_new_int64(r.transcripts));
		json_object_object_add(counts, "codes", json_object_new_int64(r.codes));
		json_object_object_add(counts, "outbox", json_object_new_int64(r.outbox));
		json_object_object_add(o, "counts", counts);
		cli_print_json(o);
	} else {
		printf("store:          %s\n"
		       "integrity:      %s\n"
		       "schema version: %d (this build writes %d)\n"
		       "journal mode:   %s\n"
		       "patients %lld, encounters %lld, notes %lld, note versions %lld,\n"
		       "recordings %lld, transcripts %lld, codes %lld, outbox %lld\n",
		       store_path(s), r.integrity, r.schema_version, store_schema_version(),
		       r.journal_mode, (long long)r.patients, (long long)r.encounters,
		       (long long)r.notes, (long long)r.note_versions, (long long)r.recordings,
		       (long long)r.transcripts, (long long)r.codes, (long long)r.outbox);
	}
	if (!r.ok)
		status = cli_fail("db check: %s failed its integrity check", store_path(s));
out:
	store_close(&s);
	return status;
}
