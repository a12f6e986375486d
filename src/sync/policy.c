#include "sync/policy.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const state_names[SYNC_NET_STATE_COUNT] = {
    [SYNC_NET_OK] = "ok",
    [SYNC_NET_CONFLICT] = "conflict",
    [SYNC_NET_RATE_LIMITED] = "rate_limited",
    [SYNC_NET_OFFLINE] = "offline",
    [SYNC_NET_REJECTED] = "rejected",
    [SYNC_NET_SERVER_ERROR] = "server_error",
    [SYNC_NET_TLS] = "tls",
    [SYNC_NET_BAD_RESPONSE] = "bad_response",
};

const char *sync_net_state_name(enum sync_net_state st)
{
	return st >= 0 && st < SYNC_NET_STATE_COUNT ? state_names[st] : "unknown";
}

static const struct {
	CURLcode code;
	enum sync_net_state state;
} curl_states[] = {
    {CURLE_COULDNT_RESOLVE_HOST, SYNC_NET_OFFLINE},
    {CURLE_COULDNT_RESOLVE_PROXY, SYNC_NET_OFFLINE},
    {CURLE_COULDNT_CONNECT, SYNC_NET_OFFLINE},
    {CURLE_OPERATION_TIMEDOUT, SYNC_NET_OFFLINE},
    {CURLE_GOT_NOTHING, SYNC_NET_OFFLINE},
    {CURLE_SEND_ERROR, SYNC_NET_OFFLINE},
    {CURLE_RECV_ERROR, SYNC_NET_OFFLINE},
    {CURLE_PARTIAL_FILE, SYNC_NET_OFFLINE},
    {CURLE_URL_MALFORMAT, SYNC_NET_OFFLINE},
    {CURLE_UNSUPPORTED_PROTOCOL, SYNC_NET_OFFLINE},
    {CURLE_PEER_FAILED_VERIFICATION, SYNC_NET_TLS},
    {CURLE_SSL_CONNECT_ERROR, SYNC_NET_TLS},
    {CURLE_SSL_CERTPROBLEM, SYNC_NET_TLS},
    {CURLE_SSL_CIPHER, SYNC_NET_TLS},
    {CURLE_SSL_CACERT_BADFILE, SYNC_NET_TLS},
    {CURLE_SSL_ISSUER_ERROR, SYNC_NET_TLS},
    {CURLE_SSL_CRL_BADFILE, SYNC_NET_TLS},
    {CURLE_SSL_PINNEDPUBKEYNOTMATCH, SYNC_NET_TLS},
    {CURLE_SSL_INVALIDCERTSTATUS, SYNC_NET_TLS},
    {CURLE_SSL_ENGINE_INITFAILED, SYNC_NET_TLS},
    {CURLE_USE_SSL_FAILED, SYNC_NET_TLS},
    {CURLE_WEIRD_SERVER_REPLY, SYNC_NET_BAD_RESPONSE},
    {CURLE_HTTP2, SYNC_NET_BAD_RESPONSE},
    {CURLE_BAD_CONTENT_ENCODING, SYNC_NET_BAD_RESPONSE},
    {CURLE_FILESIZE_EXCEEDED, SYNC_NET_BAD_RESPONSE},
    {CURLE_WRITE_ERROR, SYNC_NET_BAD_RESPONSE},
};

/* By status class (status / 100), with and without a JSON body. */
static const struct {
	long cls;
	enum sync_net_state json, other;
} status_states[] = {
    {2, SYNC_NET_OK, SYNC_NET_BAD_RESPONSE},
    {4, SYNC_NET_REJECTED, SYNC_NET_BAD_RESPONSE},
    {5, SYNC_NET_SERVER_ERROR, SYNC_NET_BAD_RESPONSE},
};

enum sync_net_state sync_classify(int curl_code, long http_status, bool json_ok)
{
	if (curl_code != CURLE_OK) {
		for (size_t i = 0; i < sizeof(curl_states) / sizeof(curl_states[0]); i++)
			if ((int)curl_states[i].code == curl_code)
				return curl_states[i].state;
		return SYNC_NET_OFFLINE;
	}
	if (http_status == 429)
		return SYNC_NET_RATE_LIMITED;
	if (http_status == 409 && json_ok)
		return SYNC_NET_CONFLICT;
	for (size_t i = 0; i < sizeof(status_states) / sizeof(status_states[0]); i++)
		if (status_states[i].cls == http_status / 100)
			return json_ok ? status_states[i].json : status_states[i].other;
	return SYNC_NET_BAD_RESPONSE;
}

int64_t sync_backoff_ms(int attempts, uint32_t random)
{
	int shift = attempts < 0 ? 0 : attempts > 20 ? 20 : attempts;
	int64_t d = (int64_t)SYNC_BACKOFF_BASE_MS << shift;
	if (d > SYNC_BACKOFF_CAP_MS)
		d = SYNC_BACKOFF_CAP_MS;
	int64_t half = d / 2;
	return half + (int64_t)(random % (uint32_t)(d - half + 1));
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". -1 when malformed. */
static int64_t parse_http_date(const char *v)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "aaa, dd aaa dddd dd:dd:dd GMT";
	if (strlen(v) != sizeof(shape) - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++) {
		bool okc = shape[i] == 'd'   ? isdigit((unsigned char)v[i])
		           : shape[i] == 'a' ? isalpha((unsigned char)v[i])
		                             : v[i] == shape[i];
		if (!okc)
			return -1;
	}
	const char *m = NULL;
	for (int i = 0; i < 12 && !m; i++)
		if (strncmp(months + 3 * i, v + 8, 3) == 0)
			m = months + 3 * i;
	if (!m)
		return -1;
	struct tm tm = {0};
	tm.tm_mday = atoi(v + 5);
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year = atoi(v + 12) - 1900;
	tm.tm_hour = atoi(v + 17);
	tm.tm_min = atoi(v + 20);
	tm.tm_sec = atoi(v + 23);
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t * 1000;
}

int64_t sync_retry_after_ms(const char *value, int64_t now_ms)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t n = strlen(value);
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r'))
		n--;
	if (!n)
		return -1;
	bool digits = true;
	for (size_t i = 0; i < n; i++)
		digits = digits && isdigit((unsigned char)value[i]);
	if (digits) {
		if (n > 9)
			return -1;
		return (int64_t)atol(value) * 1000;
	}
	char buf[64];
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, value, n);
	buf[n] = '\0';
	int64_t at = parse_http_date(buf);
	if (at < 0)
		return -1;
	return at > now_ms ? at - now_ms : 0;
}
