#include "server/internal.h"
#include "audio/decode.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"
#include "sync/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Resumable uploads of recordings and transcripts (tus-like): POST makes
 * the resource with its size and SHA-256, PATCH appends a chunk at the
 * offset named by Upload-Offset, HEAD or GET tell the offset. The offset
 * lives in the database and moves only after the chunk's bytes are on
 * disk (fdatasync), so a crash at any point leaves the offset at a chunk
 * boundary the file holds. The last chunk checks the hash: a match
 * completes the upload (event recording.completed), a mismatch starts it
 * again from 0. */

#define UPLOAD_MAX_SIZE ((int64_t)4 << 30)

static struct json_object *upload_json(const struct srv_upload *u)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(u->uid));
	json_object_object_add(o, "object", json_object_new_string("upload"));
	json_object_object_add(o, "kind", json_object_new_string(u->kind));
	json_object_object_add(o, "filename",
	                       u->filename ? json_object_new_string(u->filename) : NULL);
	json_object_object_add(o, "note_id",
	                       u->note_uid ? json_object_new_string(u->note_uid) : NULL);
	json_object_object_add(o, "size", json_object_new_int64(u->size));
	json_object_object_add(o, "sha256", json_object_new_string(u->sha256));
	json_object_object_add(o, "offset", json_object_new_int64(u->received));
	json_object_object_add(o, "status",
	                       json_object_new_string(u->complete ? "complete" : "open"));
	json_object_object_add(o, "chunks", json_object_new_int64(u->chunks));
	json_object_object_add(o, "bytes_received", json_object_new_int64(u->bytes_in));
	json_object_object_add(o, "created_at", json_object_new_string(u->created_at));
	json_object_object_add(o, "updated_at", json_object_new_string(u->updated_at));
	json_object_object_add(o, "completed_at",
	                       u->completed_at[0] ? json_object_new_string(u->completed_at) : NULL);
	return o;
}

static void answer(struct srv_resp *rs, int status, const struct srv_upload *u)
{
	rs->have_upload = true;
	rs->upload_offset = u->received;
	rs->upload_length = u->size;
	api_json(rs, status, upload_json(u));
}

static bool hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

void api_uploads_create(struct srv_req *rq, struct srv_resp *rs)
{
	struct json_object *v = NULL;
	int64_t size = -1;
	if (json_object_object_get_ex(rq->json, "size", &v) &&
	    json_object_is_type(v, json_type_int))
		size = json_object_get_int64(v);
	const char *sha = NULL, *kind = "recording", *filename = NULL, *note = NULL;
	if (json_object_object_get_ex(rq->json, "sha256", &v) &&
	    json_object_is_type(v, json_type_string))
		sha = json_object_get_string(v);
	if (size < 1 || size > UPLOAD_MAX_SIZE) {
		api_error(rq, rs, 400, "invalid_field",
		          "'size' must be the number of bytes, from 1 to %" PRId64,
		          UPLOAD_MAX_SIZE);
		return;
	}
	if (!hex64(sha)) {
		api_error(rq, rs, 400, "invalid_field",
		          "'sha256' must be the SHA-256 of the whole file in lowercase hex");
		return;
	}
	if (json_object_object_get_ex(rq->json, "kind", &v) && v) {
		kind = json_object_get_string(v);
		if (strcmp(kind, "recording") != 0 && strcmp(kind, "transcript") != 0) {
			api_error(rq, rs, 400, "invalid_field",
			          "'kind' must be recording or transcript");
			return;
		}
	}
	if (json_object_object_get_ex(rq->json, "filename", &v) &&
	    json_object_is_type(v, json_type_string) && json_object_get_string_len(v) <= 200)
		filename = json_object_get_string(v);
	if (json_object_object_get_ex(rq->json, "note_id", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		note = json_object_get_string(v);
		struct srv_note n;
		int result = srv_id_valid("note", note)
		                 ? srv_note_get(rq->db, rq->key.org_id, note, &n)
		                 : DICTUM_INVAL;
		if (result == DICTUM_OK)
			srv_note_clear(&n);
		if (result == DICTUM_INVAL || result == DICTUM_NOTFOUND) {
			api_error(rq, rs, 404, "not_found", "No note %s", note);
			return;
		}
		if (result) {
			api_store_error(rq, rs, result);
			return;
		}
	}
	struct srv_upload u = {.org_id = rq->key.org_id, .size = size};
	str_copy(u.kind, kind, sizeof(u.kind));
	str_copy(u.sha256, sha, sizeof(u.sha256));
	u.filename = str_dup_or_null(filename);
	u.note_uid = str_dup_or_null(note);
	size_t plen = strlen(rq->srv->files_dir) + 16;
	if ((u.path = malloc(plen)))
		snprintf(u.path, plen, "%s/%%s.part", rq->srv->files_dir);
	int result = u.path ? srv_upload_insert(rq->db, &u) : DICTUM_NOMEM;
	int fd = result ? -1 : open(u.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!result && fd < 0) {
		log_error("server", "cannot create %s: %s", u.path, strerror(errno));
		result = DICTUM_IO;
	}
	if (fd >= 0)
		close(fd);
	if (result) {
		api_store_error(rq, rs, result);
	} else {
		snprintf(rs->location, sizeof(rs->location), "/api/clinical/uploads/%s", u.uid);
		answer(rs, 201, &u);
	}
	srv_upload_clear(&u);
}

static bool load(struct srv_req *rq, struct srv_resp *rs, struct srv_upload *u)
{
	const char *id = rq->params.value[0];
	/* upl_ is seed 001's PCR uploads; resumable uploads made before they
	 * had their own prefix keep their upl_ ids. */
	if (!srv_id_valid("rup", id) && !srv_id_valid("upl", id)) {
		api_error(rq, rs, 400, "invalid_id",
		          "Invalid upload id format: expected rup_ and 24 hex digits");
		return false;
	}
	int result = srv_upload_get(rq->db, rq->key.org_id, id, u);
	if (result == DICTUM_NOTFOUND)
		api_error(rq, rs, 404, "not_found", "No upload %s", id);
	else if (result)
		api_store_error(rq, rs, result);
	return result == DICTUM_OK;
}

void api_uploads_get(struct srv_req *rq, struct srv_resp *rs)
{
	struct srv_upload u;
	if (!load(rq, rs, &u))
		return;
	answer(rs, 200, &u);
	srv_upload_clear(&u);
}

static int write_at(const char *path, int64_t offset, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return DICTUM_IO;
	int result = DICTUM_OK;
	const char *p = data;
	while (len && !result) {
		ssize_t w = pwrite(fd, p, len, (off_t)offset);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			result = errno == ENOSPC ? DICTUM_FULL : DICTUM_IO;
		else
			p += w, len -= (size_t)w, offset += w;
	}
	if (!result && fdatasync(fd) != 0)
		result = DICTUM_IO;
	/* Bytes past what the database counts are from a chunk cut off by a crash. */
	if (!result && ftruncate(fd, (off_t)offset) != 0)
		result = DICTUM_IO;
	close(fd);
	return result;
}

/* The event and audit row of a finished upload (in its transaction). */
static int completed(struct srv_req *rq, const struct srv_upload *u)
{
	struct json_object *e = json_object_new_object(), *d = json_object_new_object();
	char hex[25] = "", evt[32];
	random_hex(hex, 12);
	snprintf(evt, sizeof(evt), "evt_%s", hex);
	json_object_object_add(e, "id", json_object_new_string(evt));
	json_object_object_add(e, "type", json_object_new_string("recording.completed"));
	json_object_object_add(e, "created_at", json_object_new_string(u->updated_at));
	json_object_object_add(d, "upload_id", json_object_new_string(u->uid));
	json_object_object_add(d, "note_id",
	                       u->note_uid ? json_object_new_string(u->note_uid) : NULL);
	json_object_object_add(d, "size", json_object_new_int64(u->size));
	json_object_object_add(e, "data", d);
	int result = srv_event_emit(rq->db, rq->key.org_id, "recording.completed",
	                            json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
	json_object_put(e);
	struct srv_audit_row row;
	api_audit_row(rq, "upload.complete", u->uid, &row);
	if (!result)
		result = srv_audit_add(rq->db, &row, 1);
	if (!result)
		rq->kick_hooks = true;
	return result;
}

/* The media type of an audio file from its first bytes. */
static const char *sniff_audio(const char *path)
{
	unsigned char b[12] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, b, sizeof(b)) : -1;
	if (fd >= 0)
		close(fd);
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0)
		return "audio/wav";
	if (n >= 4 && memcmp(b, "fLaC", 4) == 0)
		return "audio/flac";
	if (n >= 4 && memcmp(b, "OggS", 4) == 0)
		return "audio/ogg";
	if (n >= 4 && memcmp(b, "\x1a\x45\xdf\xa3", 4) == 0)
		return "audio/webm";
	if (n >= 8 && memcmp(b + 4, "ftyp", 4) == 0)
		return "audio/mp4";
	if ((n >= 3 && memcmp(b, "ID3", 3) == 0) ||
	    (n >= 2 && b[0] == 0xff && (b[1] & 0xe0) == 0xe0))
		return "audio/mpeg";
	return "application/octet-stream";
}

/* A completed recording's content type and duration (decoded after the
 * upload's transaction, outside the write lock), shown with its note. */
static void recording_media(struct srv_req *rq, const struct srv_upload *u)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	char err[512] = "";
	int64_t ms = -1;
	if (audio_decode_file(u->path, 0, &pcm, &n, err, sizeof(err)) == DICTUM_OK)
		ms = (int64_t)(n * 1000 / 16000);
	else
		log_info("server", "upload %s: no duration: %s", u->uid, err);
	free(pcm);
	int result = srv_store_begin(rq->db);
	if (!result)
		result = srv_upload_set_media(rq->db, u->id, sniff_audio(u->path), ms);
	if (!result)
		result = srv_store_commit(rq->db);
	else
		srv_store_rollback(rq->db);
	if (result)
		log_error("server", "upload %s: %s", u->uid, srv_store_errmsg(rq->db));
}

void api_uploads_patch(struct srv_req *rq, struct srv_resp *rs)
{
	const char *ct = api_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || (strncasecmp(ct, "application/offset+octet-stream", 31) != 0 &&
	            strncasecmp(ct, "application/octet-stream", 24) != 0)) {
		api_error(rq, rs, 415, "unsupported_media_type",
		          "Send the chunk as application/offset+octet-stream");
		return;
	}
	const char *off = api_header(rq, "Upload-Offset");
	char *end = NULL;
	errno = 0;
	long long offset = off ? strtoll(off, &end, 10) : -1;
	if (!off || !*off || *end || errno || offset < 0) {
		api_error(rq, rs, 400, "invalid_upload_offset",
		          "Send Upload-Offset: the byte offset of this chunk");
		return;
	}
	if (rq->body.len == 0) {
		api_error(rq, rs, 400, "empty_chunk", "The chunk is empty");
		return;
	}
	struct srv_upload u;
	if (!load(rq, rs, &u))
		return;
	int result = DICTUM_OK;
	if (u.complete) {
		api_error(rq, rs, 409, "upload_complete", "The upload is already complete");
		goto out;
	}
	if (offset + (long long)rq->body.len > u.size) {
		api_error(rq, rs, 400, "chunk_past_end",
		          "The chunk ends past the declared size of %" PRId64 " bytes", u.size);
		goto out;
	}
	if ((result = srv_store_begin(rq->db)))
		goto fail;
	/* Read again under the write lock: two chunks cannot race. */
	struct srv_upload now;
	if ((result = srv_upload_get(rq->db, rq->key.org_id, u.uid, &now)))
		goto fail;
	srv_upload_clear(&u);
	u = now;
	if (u.received != offset || u.complete) {
		srv_store_rollback(rq->db);
		struct json_object *o = json_object_new_object(), *e = json_object_new_object();
		json_object_object_add(e, "code", json_object_new_string("offset_mismatch"));
		json_object_object_add(
		    e, "message",
		    json_object_new_string(
		        "The upload is at another offset; resume from 'offset'"));
		json_object_object_add(e, "request_id", json_object_new_string(rq->request_id));
		json_object_object_add(o, "error", e);
		json_object_object_add(o, "offset", json_object_new_int64(u.received));
		rs->have_upload = true;
		rs->upload_offset = u.received;
		rs->upload_length = u.size;
		api_json(rs, 409, o);
		goto out;
	}
	if ((result = write_at(u.path, offset, rq->body.buf, rq->body.len))) {
		log_error("server", "upload %s: cannot write %s: %s", u.uid, u.path,
		          strerror(errno));
		goto fail;
	}
	if ((result = srv_upload_advance(rq->db, u.id, offset, (int64_t)rq->body.len)))
		goto fail;
	u.received += (int64_t)rq->body.len;
	u.bytes_in += (int64_t)rq->body.len;
	u.chunks++;
	time_now_iso(u.updated_at);
	log_debug("server", "upload %s: %zu bytes at %lld", u.uid, rq->body.len, offset);
	bool mismatch = false;
	if (u.received == u.size) {
		char got[65] = "";
		int64_t on_disk = 0;
		if ((result = sync_file_sha256(u.path, &on_disk, got)))
			goto fail;
		mismatch = strcmp(got, u.sha256) != 0;
		if ((result = srv_upload_finish(rq->db, u.id, !mismatch)))
			goto fail;
		if (!mismatch) {
			u.complete = true;
			str_copy(u.completed_at, u.updated_at, sizeof(u.completed_at));
			if ((result = completed(rq, &u)))
				goto fail;
		}
	}
	if ((result = srv_store_commit(rq->db)))
		goto fail;
	if (mismatch) {
		log_warn("server", "upload %s: the bytes do not match its sha256; starting over",
		         u.uid);
		api_error(rq, rs, 422, "checksum_mismatch",
		          "The uploaded bytes do not match 'sha256'; the upload starts again at 0");
	} else {
		if (u.complete && strcmp(u.kind, "recording") == 0)
			recording_media(rq, &u);
		answer(rs, 200, &u);
	}
	goto out;
fail:
	srv_store_rollback(rq->db);
	api_store_error(rq, rs, result);
out:
	srv_upload_clear(&u);
}
