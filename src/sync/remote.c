#include "sync/remote.h"
#include "core/error.h"
#include "core/util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sync_remote_draft_clear(struct sync_remote_draft *d)
{
	free(d->transcript);
	json_object_put(d->sections);
	memset(d, 0, sizeof(*d));
}

static const char *str_member(struct json_object *o, const char *name)
{
	struct json_object *v = NULL;
	return o && json_object_object_get_ex(o, name, &v) &&
	               json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : NULL;
}

/* Copies the response's state and error unless it is a usable answer. */
static bool answered(struct sync_response *rs, long want, struct sync_remote_draft *out)
{
	if (rs->status == want && rs->json)
		return true;
	out->state = rs->state == SYNC_NET_OK ? SYNC_NET_BAD_RESPONSE : rs->state;
	snprintf(out->error, sizeof(out->error), "%s",
	         rs->error[0] ? rs->error : "an answer the client cannot use");
	if (rs->status >= 400 && rs->status < 500)
		out->failed = true; /* the server refused this audio: no point falling back */
	return false;
}

int sync_remote_draft(struct sync_client *c, const char *path, const char *note_type,
                      const char *idempotency_key, int64_t max_wait_ms,
                      struct sync_remote_draft *out)
{
	memset(out, 0, sizeof(*out));
	const char *fields[] = {"noteType", note_type, NULL, NULL};
	struct sync_request rq = {.method = "POST",
	                          .path = "/api/v1/pcr/audio/notes",
	                          .idempotency_key = idempotency_key,
	                          .form_file = path,
	                          .form_fields = fields};
	struct sync_response rs = {0};
	int result = sync_client_send(c, &rq, &rs);
	if (result || !answered(&rs, 202, out))
		goto out;
	char poll[160];
	snprintf(poll, sizeof(poll), "/api/v1/pcr/audio/notes/%.64s",
	         str_member(rs.json, "job_id"));
	int64_t until = time_wall_ms() + max_wait_ms;
	for (;;) {
		sync_response_clear(&rs);
		if ((result = sync_client_request(c, "GET", poll, 0, NULL, NULL, &rs)) ||
		    !answered(&rs, 200, out))
			goto out;
		const char *status = str_member(rs.json, "status");
		if (status && strcmp(status, "completed") == 0)
			break;
		if (!status || strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
			out->state = SYNC_NET_REJECTED;
			out->failed = true;
			snprintf(out->error, sizeof(out->error), "the server's job %s: %s",
			         status ? status : "has no status",
			         str_member(rs.json, "error_message")
			             ? str_member(rs.json, "error_message")
			             : "no reason given");
			goto out;
		}
		if (time_wall_ms() > until) {
			out->state = SYNC_NET_SERVER_ERROR;
			snprintf(out->error, sizeof(out->error),
			         "the server's job did not finish in %lld s",
			         (long long)max_wait_ms / 1000);
			goto out;
		}
		struct timespec ts = {0, 200 * 1000000L};
		nanosleep(&ts, NULL);
	}
	struct json_object *sections = NULL;
	json_object_object_get_ex(rs.json, "sections", &sections);
	const char *text = str_member(rs.json, "transcript");
	if (!text || !json_object_is_type(sections, json_type_array)) {
		out->state = SYNC_NET_BAD_RESPONSE;
		snprintf(out->error, sizeof(out->error),
		         "the finished job has no transcript or note");
		goto out;
	}
	if (!(out->transcript = strdup(text))) {
		result = DICTUM_NOMEM;
		goto out;
	}
	out->sections = json_object_get(sections);
	out->state = SYNC_NET_OK;
out:
	sync_response_clear(&rs);
	return result;
}
