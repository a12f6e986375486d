#include "server/internal.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

/* Every endpoint served, once: method, path, scope, flags, handler.
 * api/openapi.yaml describes exactly these. */
const struct api_route api_routes[] = {
    {"GET", "/health", 0, API_NOAUTH, api_health, NULL},
    {"GET", "/health/auth", 0, 0, api_health_auth, NULL},
    {"GET", "/workspaces/me", 0, 0, api_workspace_me, NULL},
    {"POST", "/api/clinical/notes", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_create, NULL},
    {"GET", "/api/clinical/notes", SRV_SCOPE_NOTES_READ, 0, api_notes_list, NULL},
    {"GET", "/api/clinical/notes/{id}", SRV_SCOPE_NOTES_READ, 0, api_notes_get, NULL},
    {"PATCH", "/api/clinical/notes/{id}", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_patch, NULL},
    {"POST", "/api/clinical/notes/{id}/export", SRV_SCOPE_NOTES_READ,
     API_JSON_BODY | API_IDEMPOTENT, api_notes_export, NULL},
    {"POST", "/api/clinical/notes/{id}/addenda", SRV_SCOPE_NOTES_WRITE,
     API_JSON_BODY | API_IDEMPOTENT, api_notes_addendum, NULL},
    {"POST", "/api/clinical/notes/generate", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_notes_generate, NULL},
    {"GET", "/api/clinical/notes/{id}/billing", SRV_SCOPE_NOTES_READ | SRV_SCOPE_CODES, 0,
     api_notes_billing, NULL},
    {"GET", "/api/v1/pcr/templates/community", 0, API_SEED001, api_templates_community, NULL},
    {"POST", "/api/v1/pcr/icd10/text", SRV_SCOPE_CODES,
     API_SEED001 | API_JSON_BODY | API_IDEMPOTENT, api_icd10_submit, NULL},
    {"GET", "/api/v1/pcr/icd10/{job_id}", SRV_SCOPE_CODES, API_SEED001, api_icd10_get, NULL},
    {"POST", "/api/v1/pcr/upload/text/", SRV_SCOPE_NOTES_WRITE,
     API_SEED001 | API_JSON_BODY | API_IDEMPOTENT, api_upload_text, NULL},
    {"POST", "/api/clinical/transcribe", SRV_SCOPE_TRANSCRIBE, API_MULTIPART | API_IDEMPOTENT,
     api_transcribe_submit, api_transcribe_check},
    {"GET", "/api/clinical/transcriptions/{id}", SRV_SCOPE_TRANSCRIBE, 0, api_transcription_get,
     NULL},
    {"POST", "/api/v1/pcr/upload/", SRV_SCOPE_NOTES_WRITE,
     API_SEED001 | API_MULTIPART | API_IDEMPOTENT, api_pcr_upload, api_pcr_upload_check},
    {"GET", "/api/v1/pcr/{upload_id}", SRV_SCOPE_NOTES_READ, API_SEED001, api_pcr_upload_get, NULL},
    {"POST", "/api/v1/pcr/audio/notes", SRV_SCOPE_TRANSCRIBE | SRV_SCOPE_NOTES_WRITE,
     API_SEED001 | API_MULTIPART | API_IDEMPOTENT, api_audio_notes_submit, api_audio_notes_check},
    {"GET", "/api/v1/pcr/audio/notes/{job_id}", SRV_SCOPE_TRANSCRIBE, API_SEED001,
     api_audio_notes_get, NULL},
    {"POST", "/v1/audio/transcriptions", SRV_SCOPE_TRANSCRIBE, API_MULTIPART,
     api_openai_transcriptions, NULL},
    {"POST", "/api/clinical/uploads", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_uploads_create, NULL},
    {"GET", "/api/clinical/uploads/{id}", SRV_SCOPE_NOTES_READ, 0, api_uploads_get, NULL},
    {"HEAD", "/api/clinical/uploads/{id}", SRV_SCOPE_NOTES_READ, 0, api_uploads_get, NULL},
    {"PATCH", "/api/clinical/uploads/{id}", SRV_SCOPE_NOTES_WRITE, API_CHUNK, api_uploads_patch,
     NULL},
    {"GET", "/jobs", 0, 0, api_jobs_list, NULL},
    {"GET", "/jobs/{id}", 0, 0, api_jobs_get, NULL},
    {"POST", "/jobs/{id}/cancel", 0, API_IDEMPOTENT, api_jobs_cancel, NULL},
    {"POST", "/webhooks", SRV_SCOPE_NOTES_WRITE, API_JSON_BODY | API_IDEMPOTENT,
     api_webhooks_create, NULL},
    {"GET", "/webhooks", SRV_SCOPE_NOTES_READ, 0, api_webhooks_list, NULL},
    {"DELETE", "/webhooks/{id}", SRV_SCOPE_NOTES_WRITE, 0, api_webhooks_delete, NULL},
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
		if (strcmp(api_routes[i].method, method) == 0 &&
		    srv_route_match(api_routes[i].pattern, path, params)) {
			*status = 200;
			return &api_routes[i];
		}
	}
	/* No route for the method: which methods the path has (405), if any. */
	for (size_t i = 0; i < api_route_count; i++) {
		if (!srv_route_match(api_routes[i].pattern, path, NULL))
			continue;
		*status = 405;
		if (used < allowlen)
			used += (size_t)snprintf(allow + used, allowlen - used, "%s%s",
			                         used ? ", " : "", api_routes[i].method);
	}
	return NULL;
}
