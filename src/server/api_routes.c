#include "server/internal.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

/* Every endpoint served, once: method, path, scope, flags, handler.
 * api/openapi.yaml describes exactly these. */
const struct api_route api_routes[] = {
    {"GET", "/health", 0, API_NOAUTH, api_health},
    {"GET", "/health/auth", 0, 0, api_health_auth},
    {"GET", "/workspaces/me", 0, 0, api_workspace_me},
    {"POST", "/api/clinical/notes", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_create},
    {"GET", "/api/clinical/notes", SRV_SCOPE_NOTES_READ, 0, api_notes_list},
    {"GET", "/api/clinical/notes/{id}", SRV_SCOPE_NOTES_READ, 0, api_notes_get},
    {"PATCH", "/api/clinical/notes/{id}", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_patch},
    {"POST", "/api/clinical/notes/{id}/export", SRV_SCOPE_NOTES_READ,
     API_JSON_BODY | API_IDEMPOTENT, api_notes_export},
    {"POST", "/api/clinical/notes/generate", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_generate},
    {"GET", "/api/clinical/notes/{id}/billing", SRV_SCOPE_NOTES_READ | SRV_SCOPE_CODES, 0,
     api_notes_billing},
    {"GET", "/api/v1/pcr/templates/community", 0, API_SEED001, api_templates_community},
    {"POST", "/api/v1/pcr/icd10/text", SRV_SCOPE_CODES,
     API_SEED001 | API_JSON_BODY | API_IDEMPOTENT, api_icd10_submit},
    {"GET", "/api/v1/pcr/icd10/{job_id}", SRV_SCOPE_CODES, API_SEED001, api_icd10_get},
    {"POST", "/api/v1/pcr/upload/text/", SRV_SCOPE_NOTES_WRITE,
     API_SEED001 | API_JSON_BODY | API_IDEMPOTENT, api_upload_text},
    {"GET", "/jobs", 0, 0, api_jobs_list},
    {"GET", "/jobs/{id}", 0, 0, api_jobs_get},
    {"POST", "/jobs/{id}/cancel", 0, API_IDEMPOTENT, api_jobs_cancel},
    {"POST", "/webhooks", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_webhooks_create},
    {"GET", "/webhooks", SRV_SCOPE_NOTES_READ, 0, api_webhooks_list},
    {"DELETE", "/webhooks/{id}", SRV_SCOPE_NOTES_WRITE, 0, api_webhooks_delete},
};
const size_t api_route_count = sizeof(api_routes) / sizeof(api_routes[0]);

const struct api_route *api_route_find(const char *method, const char *path,
                                       struct srv_route_params *params, int *status, char *allow,
                                       size_t allowlen)
{
	size_t used = 0;
	if (allowlen)
		allow[0] = '\0';
	*status = 404;
	for (size_t i = 0; i < api_route_count; i++) {
		if (!srv_route_match(api_routes[i].pattern, path, params))
			continue;
		if (strcmp(api_routes[i].method, method) == 0) {
			*status = 200;
			return &api_routes[i];
		}
		*status = 405;
		if (used < allowlen)
			used += (size_t)snprintf(allow + used, allowlen - used, "%s%s",
			                         used ? ", " : "", api_routes[i].method);
	}
	return NULL;
}
