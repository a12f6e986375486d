#include "server/internal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* multipart/form-data bodies, parsed as they arrive by libmicrohttpd's
 * post processor: text fields are kept in memory (capped), file parts go
 * straight to temporary files in the server's upload folder. A digest of
 * every part (name, file name, bytes) stands in for the body in the
 * idempotency fingerprint, since the boundary changes from try to try. */

#define FORM_MAX_FIELDS    64
#define FORM_MAX_FIELD_LEN (64u << 10)
#define FORM_PP_BUFFER     (64u << 10)

struct srv_form {
	struct MHD_PostProcessor *pp;
	EVP_MD_CTX *md;
	const char *dir;
	size_t max_bytes;
	size_t total; /* bytes of file parts */
	struct srv_form_field fields[FORM_MAX_FIELDS];
	size_t nfields;
	struct srv_form_file files[SRV_FORM_MAX_FILES];
	size_t nfiles;
	int cur; /* 0: none, 1: field, 2: file */
	bool too_large;
	bool bad;
	bool io_error;
	char reason[160];
	char digest[SRV_HEX_LEN];
};

static void mark_bad(struct srv_form *f, const char *why)
{
	if (!f->bad)
		str_copy(f->reason, why, sizeof(f->reason));
	f->bad = true;
}

static void digest_part(struct srv_form *f, const char *key, const char *filename)
{
	EVP_DigestUpdate(f->md, "\0part\0", 6);
	EVP_DigestUpdate(f->md, key, strlen(key) + 1);
	if (filename)
		EVP_DigestUpdate(f->md, filename, strlen(filename) + 1);
}

static int new_file(struct srv_form *f, const char *key, const char *filename, const char *type)
{
	if (f->nfiles == SRV_FORM_MAX_FILES) {
		mark_bad(f, "too many files in one request");
		return -1;
	}
	struct srv_form_file *p = &f->files[f->nfiles];
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	snprintf(p->path, sizeof(p->path), "%s/part-XXXXXX", f->dir);
	p->fd = mkstemp(p->path);
	p->field = strdup(key);
	p->filename = strdup(filename);
	p->content_type = type ? strdup(type) : NULL;
	f->nfiles++;
	if (p->fd < 0) {
		log_error("server", "cannot create an upload file in %s: %s", f->dir,
		          strerror(errno));
		p->path[0] = '\0';
		f->io_error = true;
		return -1;
	}
	if (!p->field || !p->filename || (type && !p->content_type)) {
		f->io_error = true;
		return -1;
	}
	return 0;
}

static int new_field(struct srv_form *f, const char *key)
{
	if (f->nfields == FORM_MAX_FIELDS) {
		mark_bad(f, "too many form fields");
		return -1;
	}
	struct srv_form_field *p = &f->fields[f->nfields++];
	memset(p, 0, sizeof(*p));
	p->name = strdup(key);
	p->value = calloc(1, 1);
	if (!p->name || !p->value) {
		f->io_error = true;
		return -1;
	}
	return 0;
}

static int add_file_data(struct srv_form *f, const char *data, size_t size)
{
	struct srv_form_file *p = &f->files[f->nfiles - 1];
	if (p->fd < 0)
		return -1;
	if (f->total + size > f->max_bytes) {
		f->too_large = true;
		return -1;
	}
	f->total += size;
	p->size += size;
	while (size) {
		ssize_t w = write(p->fd, data, size);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("server", "cannot write an upload file: %s", strerror(errno));
			f->io_error = true;
			return -1;
		}
		data += w;
		size -= (size_t)w;
	}
	return 0;
}

static int add_field_data(struct srv_form *f, const char *data, size_t size)
{
	struct srv_form_field *p = &f->fields[f->nfields - 1];
	if (p->len + size > FORM_MAX_FIELD_LEN) {
		mark_bad(f, "a form field is longer than 64 KiB");
		return -1;
	}
	if (memchr(data, '\0', size)) {
		mark_bad(f, "a form field holds a NUL byte");
		return -1;
	}
	char *v = realloc(p->value, p->len + size + 1);
	if (!v) {
		f->io_error = true;
		return -1;
	}
	memcpy(v + p->len, data, size);
	p->len += size;
	v[p->len] = '\0';
	p->value = v;
	return 0;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
	(void)kind;
	(void)transfer_encoding;
	struct srv_form *f = cls;
	if (!key)
		key = "";
	int want = filename ? 2 : 1;
	bool same = false;
	if (f->cur == 2 && f->nfiles)
		same = strcmp(f->files[f->nfiles - 1].field, key) == 0 &&
		       strcmp(f->files[f->nfiles - 1].filename, filename ? filename : "") == 0;
	else if (f->cur == 1 && f->nfields)
		same = strcmp(f->fields[f->nfields - 1].name, key) == 0;
	bool empty = f->cur == 2   ? f->files[f->nfiles - 1].size == 0
	             : f->cur == 1 ? f->fields[f->nfields - 1].len == 0
	                           : true;
	/* A part starts at offset 0; a first call without bytes may precede it. */
	bool start = f->cur != want || !same || (off == 0 && !empty);
	if (start) {
		digest_part(f, key, filename);
		if ((want == 2 ? new_file(f, key, filename, content_type) : new_field(f, key)))
			return MHD_NO;
		f->cur = want;
	}
	if (!size)
		return MHD_YES;
	EVP_DigestUpdate(f->md, data, size);
	if (want == 2 ? add_file_data(f, data, size) : add_field_data(f, data, size))
		return MHD_NO;
	return MHD_YES;
}

int srv_form_new(struct MHD_Connection *conn, const char *dir, size_t max_bytes,
                 struct srv_form **out)
{
	struct srv_form *f = calloc(1, sizeof(*f));
	if (!f)
		return DICTUM_NOMEM;
	f->dir = dir;
	f->max_bytes = max_bytes;
	f->md = EVP_MD_CTX_new();
	if (!f->md || EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) != 1) {
		srv_form_free(&f);
		return DICTUM_NOMEM;
	}
	f->pp = MHD_create_post_processor(conn, FORM_PP_BUFFER, on_part, f);
	if (!f->pp) {
		/* Not multipart/form-data (or urlencoded), or no boundary. */
		mark_bad(f, "the multipart body has no boundary");
	}
	*out = f;
	return DICTUM_OK;
}

void srv_form_feed(struct srv_form *f, const char *data, size_t size)
{
	if (!f->pp || f->bad || f->too_large || f->io_error)
		return;
	if (MHD_post_process(f->pp, data, size) != MHD_YES && !f->too_large && !f->io_error)
		mark_bad(f, "malformed multipart body");
}

void srv_form_end(struct srv_form *f)
{
	if (f->pp) {
		if (MHD_destroy_post_processor(f->pp) != MHD_YES && !f->too_large && !f->io_error)
			mark_bad(f, "the multipart body ends early");
		f->pp = NULL;
	}
	for (size_t i = 0; i < f->nfiles; i++) {
		if (f->files[i].fd >= 0 && close(f->files[i].fd) != 0)
			f->io_error = true;
		f->files[i].fd = -1;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (f->md && EVP_DigestFinal_ex(f->md, md, &n) == 1) {
		for (unsigned i = 0; i < n && 2 * i + 2 < sizeof(f->digest); i++)
			snprintf(f->digest + 2 * i, 3, "%02x", md[i]);
	}
}

int srv_form_state(const struct srv_form *f, const char **reason)
{
	*reason = f->reason;
	if (f->io_error)
		return DICTUM_IO;
	if (f->too_large)
		return DICTUM_FULL;
	if (f->bad)
		return DICTUM_INVAL;
	return DICTUM_OK;
}

const char *srv_form_digest(const struct srv_form *f)
{
	return f->digest;
}

const char *srv_form_value(const struct srv_form *f, const char *name)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

const struct srv_form_field *srv_form_fields(const struct srv_form *f, size_t *count)
{
	*count = f->nfields;
	return f->fields;
}

struct srv_form_file *srv_form_files(struct srv_form *f, size_t *count)
{
	*count = f->nfiles;
	return f->files;
}

struct srv_form_file *srv_form_file(struct srv_form *f, const char *field)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i].field, field) == 0)
			return &f->files[i];
	return NULL;
}

void srv_form_free(struct srv_form **fp)
{
	struct srv_form *f = *fp;
	if (!f)
		return;
	if (f->pp)
		MHD_destroy_post_processor(f->pp);
	for (size_t i = 0; i < f->nfiles; i++) {
		if (f->files[i].fd >= 0)
			close(f->files[i].fd);
		if (f->files[i].path[0])
			unlink(f->files[i].path);
		if (f->files[i].pcm_path[0])
			unlink(f->files[i].pcm_path);
		free(f->files[i].field);
		free(f->files[i].filename);
		free(f->files[i].content_type);
	}
	for (size_t i = 0; i < f->nfields; i++) {
		free(f->fields[i].name);
		free(f->fields[i].value);
	}
	EVP_MD_CTX_free(f->md);
	free(f);
	*fp = NULL;
}
