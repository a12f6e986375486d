#include "server/auth.h"
#include "core/util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	enum srv_scope scope;
	const char *name;
} scope_table[] = {
    {SRV_SCOPE_NOTES_READ, "notes:read"},
    {SRV_SCOPE_NOTES_WRITE, "notes:write"},
    {SRV_SCOPE_TRANSCRIBE, "transcribe"},
    {SRV_SCOPE_CODES, "codes"},
};
#define NSCOPES (sizeof(scope_table) / sizeof(scope_table[0]))

const char *srv_scope_name(enum srv_scope scope)
{
	for (size_t i = 0; i < NSCOPES; i++)
		if (scope_table[i].scope == scope)
			return scope_table[i].name;
	return "none";
}

int srv_scopes_parse(const char *text, unsigned *mask, char *bad, size_t badlen)
{
	*mask = 0;
	const char *p = text ? text : "";
	while (*p) {
		size_t skip = strspn(p, ", ");
		p += skip;
		size_t n = strcspn(p, ", ");
		if (n == 0)
			break;
		bool found = false;
		for (size_t i = 0; i < NSCOPES; i++) {
			if (strlen(scope_table[i].name) == n &&
			    strncmp(scope_table[i].name, p, n) == 0) {
				*mask |= (unsigned)scope_table[i].scope;
				found = true;
			}
		}
		if (!found) {
			if (bad && badlen)
				snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
			return -1;
		}
		p += n;
	}
	return 0;
}

void srv_scopes_format(unsigned mask, char *out, size_t size)
{
	size_t used = 0;
	if (size)
		out[0] = '\0';
	for (size_t i = 0; i < NSCOPES; i++) {
		if (!(mask & (unsigned)scope_table[i].scope) || used >= size)
			continue;
		int n =
		    snprintf(out + used, size - used, "%s%s", used ? " " : "", scope_table[i].name);
		used += n > 0 ? (size_t)n : 0;
	}
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int srv_key_generate(char out[SRV_KEY_LEN])
{
	char hex[41];
	int rc = random_hex(hex, 20);
	if (rc)
		return rc;
	snprintf(out, SRV_KEY_LEN, "dk_%s", hex);
	return 0;
}

void srv_hmac_hex(const void *key, size_t keylen, const void *data, size_t len,
                  char out[SRV_HEX_LEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen))
		maclen = 0;
	to_hex(mac, maclen, out);
}

void srv_key_hash(const unsigned char secret[32], const char *key, char out[SRV_HEX_LEN])
{
	srv_hmac_hex(secret, 32, key, strlen(key), out);
}

void srv_sha256_parts_hex(const char *const *parts, const size_t *lens, size_t n,
                          char out[SRV_HEX_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < n; i++) {
			EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "", parts[i] ? lens[i] : 0);
			EVP_DigestUpdate(ctx, "", 1);
		}
		EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	to_hex(md, mdlen, out);
}

bool srv_secure_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

bool srv_id_valid(const char *prefix, const char *id)
{
	size_t pl = strlen(prefix);
	if (!id || strncmp(id, prefix, pl) != 0 || id[pl] != '_')
		return false;
	const char *hex = id + pl + 1;
	if (strlen(hex) != 24)
		return false;
	for (size_t i = 0; i < 24; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return true;
}

const char *srv_key_from_headers(const char *authorization, const char *x_api_key)
{
	if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
		const char *k = authorization + 7;
		while (*k == ' ')
			k++;
		if (*k)
			return k;
	}
	if (x_api_key && *x_api_key)
		return x_api_key;
	return NULL;
}
