#include "server/internal.h"
#include "core/error.h"
#include "core/util.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void api_health(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "version", json_object_new_string(DICTUM_VERSION));
	api_json(rs, 200, o);
}

static struct json_object *principal(struct srv_req *rq)
{
	struct json_object *p = json_object_new_object(), *scopes = json_object_new_array();
	json_object_object_add(p, "key_id", json_object_new_string(rq->key.uid));
	json_object_object_add(p, "key_prefix", json_object_new_string(rq->key.prefix));
	const char *s = rq->key.scopes ? rq->key.scopes : "";
	while (*s) {
		size_t n = strcspn(s, " ");
		if (n)
			json_object_array_add(scopes, json_object_new_string_len(s, (int)n));
		s += n;
		s += strspn(s, " ");
	}
	json_object_object_add(p, "scopes", scopes);
	return p;
}

void api_health_auth(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "organization_id", json_object_new_string(rq->key.org_uid));
	json_object_object_add(o, "principal", principal(rq));
	api_json(rs, 200, o);
}

void api_workspace_me(struct srv_req *rq, struct srv_resp *rs)
{
	const struct srv_limits *l =
	    rq->key.plan == SRV_PLAN_ENTERPRISE ? &rq->srv->cfg.enterprise : &rq->srv->cfg.team;
	struct json_object *o = json_object_new_object(), *limits = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(rq->key.org_uid));
	json_object_object_add(o, "object", json_object_new_string("workspace"));
	json_object_object_add(o, "name", json_object_new_string(rq->key.org_name));
	json_object_object_add(
	    o, "plan",
	    json_object_new_string(rq->key.plan == SRV_PLAN_ENTERPRISE ? "enterprise" : "team"));
	json_object_object_add(limits, "per_minute",
	                       l->per_minute ? json_object_new_int64(l->per_minute) : NULL);
	json_object_object_add(limits, "per_day",
	                       l->per_day ? json_object_new_int64(l->per_day) : NULL);
	json_object_object_add(o, "rate_limits", limits);
	json_object_object_add(o, "principal", principal(rq));
	api_json(rs, 200, o);
}

static const char *const event_names[] = {"note.created", "note.updated", "note.exported"};

void api_webhooks_create(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *url = NULL, *events = NULL;
	json_object_object_get_ex(rq->json, "url", &url);
	json_object_object_get_ex(rq->json, "events", &events);
	const char *u =
	    json_object_is_type(url, json_type_string) ? json_object_get_string(url) : NULL;
	if (!u || strlen(u) > 2000 ||
	    (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)) {
		api_error(rq, rs, 400, "invalid_webhook_url", "'url' must be an http(s) URL");
		return;
	}
	char list[256] = "";
	size_t used = 0;
	size_t n =
	    json_object_is_type(events, json_type_array) ? json_object_array_length(events) : 0;
	if (!n) {
		api_error(rq, rs, 400, "invalid_field",
		          "'events' must be a non-empty array of note.created, note.updated, "
		          "note.exported");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *e = json_object_get_string(json_object_array_get_idx(events, i));
		bool known = false;
		for (size_t k = 0; e && k < sizeof(event_names) / sizeof(event_names[0]); k++)
			known |= strcmp(e, event_names[k]) == 0;
		if (!known) {
			api_error(rq, rs, 400, "invalid_field", "Unknown event '%.64s'",
			          e ? e : "");
			return;
		}
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
			                         used ? " " : "", e);
	}
	char secret[80];
	struct srv_webhook w;
	int result = srv_store_begin(rq->db);
	if (!result && !(result = srv_org_webhook_secret(rq->db, rq->key.org_id, secret)) &&
	    !(result = srv_webhook_add(rq->db, rq->key.org_id, u, list, &w)))
		result = srv_store_commit(rq->db);
	if (result) {
		srv_store_rollback(rq->db);
		api_store_error(rq, rs, result);
		return;
	}
	struct json_object *o = json_object_new_object(), *ev = json_object_new_array();
	json_object_object_add(o, "id", json_object_new_string(w.uid));
	json_object_object_add(o, "object", json_object_new_string("webhook"));
	json_object_object_add(o, "url", json_object_new_string(w.url));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(ev, json_object_get(json_object_array_get_idx(events, i)));
	json_object_object_add(o, "events", ev);
	json_object_object_add(o, "signing_secret", json_object_new_string(secret));
	json_object_object_add(o, "created_at", json_object_new_string(w.created_at));
	free(w.url);
	free(w.events);
	snprintf(rs->location, sizeof(rs->location), "/webhooks/%s", w.uid);
	api_json(rs, 201, o);
}

void api_webhooks_list(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_webhook *list = NULL;
	size_t count = 0;
	int result = srv_webhook_list(rq->db, rq->key.org_id, &list, &count);
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	struct json_object *o = json_object_new_object(), *data = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		struct json_object *w = json_object_new_object(), *ev = json_object_new_array();
		json_object_object_add(w, "id", json_object_new_string(list[i].uid));
		json_object_object_add(w, "object", json_object_new_string("webhook"));
		json_object_object_add(w, "url", json_object_new_string(list[i].url));
		for (const char *s = list[i].events; *s;) {
			size_t n = strcspn(s, " ");
			json_object_array_add(ev, json_object_new_string_len(s, (int)n));
			s += n;
			s += strspn(s, " ");
		}
		json_object_object_add(w, "events", ev);
		json_object_object_add(w, "created_at", json_object_new_string(list[i].created_at));
		json_object_array_add(data, w);
	}
	struct json_object *page = json_object_new_object();
	json_object_object_add(page, "has_more", json_object_new_boolean(false));
	json_object_object_add(page, "next_cursor", NULL);
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "pagination", page);
	srv_webhooks_free(&list, count);
	api_json(rs, 200, o);
}

void api_webhooks_delete(struct srv_req *rq, struct srv_resp *rs)
{
	const char *id = rq->params.value[0];
	if (!srv_id_valid("whk", id)) {
		api_error(rq, rs, 400, "invalid_id", "Invalid webhook id format");
		return;
	}
	int result = srv_webhook_delete(rq->db, rq->key.org_id, id);
	if (result == DICTUM_NOTFOUND) {
		api_error(rq, rs, 404, "not_found", "No webhook %s", id);
		return;
	}
	if (result) {
		api_store_error(rq, rs, result);
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "deleted", json_object_new_boolean(true));
	api_json(rs, 200, o);
}
