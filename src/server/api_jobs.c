#include "server/internal.h"
#include "core/error.h"
#include "core/util.h"
#include "server/cursor.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

struct json_object *api_job_json(const struct srv_job *j)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(j->uid));
	json_object_object_add(o, "object", json_object_new_string("job"));
	json_object_object_add(o, "type", json_object_new_string(j->type ? j->type : ""));
	json_object_object_add(o, "status", json_object_new_string(srv_job_status_name(j->status)));
	struct json_object *p = json_object_new_object();
	json_object_object_add(p, "percent", json_object_new_int(j->progress));
	json_object_object_add(
	    p, "stage",
	    json_object_new_string(j->stage ? j->stage : srv_job_status_name(j->status)));
	json_object_object_add(o, "progress", p);
	json_object_object_add(o, "attempts", json_object_new_int(j->attempts));
	json_object_object_add(o, "created_at", json_object_new_string(j->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(j->updated_at));
	json_object_object_add(o, "webhook_url", str_or_null(j->webhook_url));
	struct json_object *result = j->result ? json_tokener_parse(j->result) : NULL;
	json_object_object_add(o, "result", result);
	struct json_object *err = NULL;
	if (j->error_code || j->error_message) {
		err = json_object_new_object();
		json_object_object_add(err, "code", str_or_null(j->error_code));
		json_object_object_add(err, "message", str_or_null(j->error_message));
	}
	json_object_object_add(o, "error", err);
	return o;
}

char *api_job_event_payload(const struct srv_job *j)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_string(j->uid));
	json_object_object_add(o, "type", json_object_new_string(j->type ? j->type : ""));
	json_object_object_add(o, "status", json_object_new_string(srv_job_status_name(j->status)));
	json_object_object_add(o, "created_at", json_object_new_string(j->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(j->updated_at));
	if (strncmp(j->alias, "upl_", 4) == 0)
		json_object_object_add(o, "upload_id", json_object_new_string(j->alias));
	else if (strncmp(j->alias, "trn_", 4) == 0)
		json_object_object_add(o, "transcription_id", json_object_new_string(j->alias));
	/* Seed 001's payloads carry the outcome's fields at the top level. */
	struct json_object *result =
	    j->status == SRV_JOB_COMPLETED && j->result ? json_tokener_parse(j->result) : NULL;
	if (json_object_is_type(result, json_type_object)) {
		json_object_object_foreach(result, key, val)
		{
			if (!json_object_object_get_ex(o, key, NULL))
				json_object_object_add(o, key, json_object_get(val));
		}
	}
	json_object_put(result);
	if (j->status == SRV_JOB_FAILED) {
		json_object_object_add(o, "error_code", str_or_null(j->error_code));
		json_object_object_add(o, "error_message", str_or_null(j->error_message));
	}
	char *text = str_dup_or_null(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static bool job_id_param(struct srv_req *rq, struct srv_resp *rs, const char **id)
{
	*id = rq->params.value[0];
	if (srv_id_valid("job", *id))
		return true;
	api_error(rq, rs, 400, "invalid_id",
	          "Invalid job_id format: expected job_ and 24 hex digits");
	return false;
}

void api_jobs_list(struct srv_req *rq, struct srv_resp *rs)
{
	const char *cursor = api_query(rq, "cursor"), *status = api_query(rq, "status");
	const char *limit_text = api_query(rq, "limit");
	int64_t before = 0;
	int st = -1;
	size_t limit = 20;
	if (limit_text) {
		char *end = NULL;
		long v = strtol(limit_text, &end, 10);
		if (!*limit_text || *end || v < 1 || v > 100) {
			api_error(rq, rs, 400, "invalid_parameter",
			          "'limit' must be an integer from 1 to 100");
			return;
		}
		limit = (size_t)v;
	}
	if (status && (st = srv_job_status_parse(status)) < 0) {
		api_error(rq, rs, 400, "invalid_parameter",
		          "'status' must be queued, processing, completed, failed or cancelled");
		return;
	}
	if (cursor && (srv_cursor_decode(cursor, 'j', &before) || before <= 0)) {
		api_error(rq, rs, 400, "invalid_cursor",
		          "'cursor' is not a cursor this list returned");
		return;
	}
	struct srv_job *list = NULL;
	size_t count = 0;
	int result = srv_job_list(rq->db, rq->key.org_id, st, before, limit, &list, &count);
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	bool more = count > limit;
	size_t shown = more ? limit : count;
	struct json_object *o = json_object_new_object(), *data = json_object_new_array();
	for (size_t i = 0; i < shown; i++)
		json_object_array_add(data, api_job_json(&list[i]));
	char next[SRV_CURSOR_LEN] = "";
	if (more)
		srv_cursor_encode('j', list[shown - 1].id, next);
	struct json_object *page = json_object_new_object();
	json_object_object_add(page, "has_more", json_object_new_boolean(more));
	json_object_object_add(page, "next_cursor", str_or_null(next));
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "pagination", page);
	srv_jobs_free(&list, count);
	api_json(rs, 200, o);
}

void api_jobs_get(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id;
	if (!job_id_param(rq, rs, &id))
		return;
	struct srv_job j;
	int result = srv_job_get(rq->db, rq->key.org_id, id, &j);
	if (result == DICTUM_NOTFOUND) {
		api_error(rq, rs, 404, "not_found", "No job %s", id);
		return;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	api_json(rs, 200, api_job_json(&j));
	srv_job_clear(&j);
}

void api_jobs_cancel(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id;
	if (!job_id_param(rq, rs, &id))
		return;
	struct srv_job j;
	int result = srv_job_cancel(rq->db, rq->key.org_id, id, &j);
	if (result == DICTUM_NOTFOUND) {
		api_error(rq, rs, 404, "not_found", "No job %s", id);
	} else if (result == DICTUM_CONFLICT) {
		api_error(rq, rs, 409, "job_not_cancellable",
		          "Only a queued job can be cancelled; this one is %s",
		          srv_job_status_name(j.status));
	} else if (result) {
		api_store_error(rq, rs, result);
	} else {
		srv_job_files_remove(rq->srv, j.input);
		api_json(rs, 200, api_job_json(&j));
	}
	srv_job_clear(&j);
}

bool api_job_of_type(struct srv_req *rq, struct srv_resp *rs, const char *prefix, bool alias,
                     const char *type, const char *id_name, const char *thing, struct srv_job *j)
{
	const char *id = rq->params.value[0];
	if (!srv_id_valid(prefix, id)) {
		api_error(rq, rs, 400, "invalid_id", "Invalid %s format", id_name);
		return false;
	}
	int result = alias ? srv_job_get_alias(rq->db, rq->key.org_id, id, j)
	                   : srv_job_get(rq->db, rq->key.org_id, id, j);
	if (result == DICTUM_OK && strcmp(j->type, type) != 0) {
		srv_job_clear(j);
		result = DICTUM_NOTFOUND;
	}
	if (result == DICTUM_NOTFOUND)
		api_error(rq, rs, 404, "not_found", "No %s found for the given ID", thing);
	else if (result)
		api_store_error(rq, rs, result);
	return result == DICTUM_OK;
}

struct json_object *api_job_status_json(const struct srv_job *j)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_string(j->uid));
	json_object_object_add(o, "status", json_object_new_string(srv_job_status_name(j->status)));
	json_object_object_add(o, "created_at", json_object_new_string(j->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(j->updated_at));
	return o;
}

void api_job_accepted(struct srv_resp *rs, const struct srv_job *j, const char *what,
                      const char *hook)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "%s request accepted; processing has started", what);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_string(j->uid));
	json_object_object_add(o, "status", json_object_new_string("queued"));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_object_add(o, "created_at", json_object_new_string(j->created_at));
	json_object_object_add(o, "webhook_url", hook ? json_object_new_string(hook) : NULL);
	api_json(rs, 202, o);
}
