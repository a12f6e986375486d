#ifndef DICTUM_SERVER_AUTH_H
#define DICTUM_SERVER_AUTH_H

/* API keys, scopes, typed ids and the HMACs around them (OpenSSL's
 * libcrypto). Pure functions apart from srv_key_generate (random bytes). */

#include <stdbool.h>
#include <stddef.h>

#define SRV_KEY_LEN 48 /* "dk_" + 40 hex digits + NUL fits */
#define SRV_HEX_LEN 65 /* a SHA-256 as hex + NUL */

enum srv_scope {
	SRV_SCOPE_NONE = 0,
	SRV_SCOPE_NOTES_READ = 1 << 0,
	SRV_SCOPE_NOTES_WRITE = 1 << 1,
	SRV_SCOPE_TRANSCRIBE = 1 << 2,
	SRV_SCOPE_CODES = 1 << 3,
};
#define SRV_SCOPE_ALL 0xf

/* Parses scope names separated by commas and/or spaces into a mask.
 * Returns -1 (naming the bad one in bad, if given) for an unknown name. */
int srv_scopes_parse(const char *text, unsigned *mask, char *bad, size_t badlen);
/* Writes the mask as space-separated names in table order. */
void srv_scopes_format(unsigned mask, char *out, size_t size);
const char *srv_scope_name(enum srv_scope scope);

/* A new key: "dk_" + 40 random hex digits. Returns 0 or -errno. */
int srv_key_generate(char out[SRV_KEY_LEN]);
/* HMAC-SHA-256(secret, key) as lowercase hex: what the database keeps. */
void srv_key_hash(const unsigned char secret[32], const char *key, char out[SRV_HEX_LEN]);
/* HMAC-SHA-256 of data with key, as lowercase hex. */
void srv_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
                  char out[SRV_HEX_LEN]);
/* SHA-256 of the concatenated parts (each followed by a NUL byte), as hex. */
void srv_sha256_parts_hex(const char *const *parts, const size_t *lens, size_t n,
                          char out[SRV_HEX_LEN]);
/* Constant-time comparison of two NUL-terminated strings. */
bool srv_secure_equal(const char *a, const char *b);

/* True when id is prefix + '_' + 24 lowercase hex digits (the ids made
 * by the store). */
bool srv_id_valid(const char *prefix, const char *id);

/* Pulls the key out of "Authorization: Bearer KEY" or "X-API-KEY: KEY"
 * (either may be NULL); NULL when neither carries one. */
const char *srv_key_from_headers(const char *authorization, const char *x_api_key);

#endif
