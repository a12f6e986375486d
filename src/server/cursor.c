#include "server/cursor.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void srv_cursor_encode(char kind, int64_t value, char out[SRV_CURSOR_LEN])
{
	char raw[32];
	int n = snprintf(raw, sizeof(raw), "%c1:%" PRId64, kind, value < 0 ? 0 : value);
	size_t o = 0;
	for (int i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;
		int left = n - i;
		if (left > 1)
			v |= (uint32_t)(unsigned char)raw[i + 1] << 8;
		if (left > 2)
			v |= (unsigned char)raw[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (left > 1)
			out[o++] = b64[(v >> 6) & 63];
		if (left > 2)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int srv_cursor_decode(const char *text, char kind, int64_t *value)
{
	size_t len = text ? strlen(text) : 0;
	if (len < 2 || len > 40 || len % 4 == 1)
		return -1;
	char raw[32];
	size_t n = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		size_t chunk = len - i < 4 ? len - i : 4;
		for (size_t k = 0; k < 4; k++) {
			int d = k < chunk ? b64_value(text[i + k]) : 0;
			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		raw[n++] = (char)(v >> 16);
		if (chunk > 2)
			raw[n++] = (char)(v >> 8);
		if (chunk > 3)
			raw[n++] = (char)v;
	}
	raw[n] = '\0';
	if (n < 4 || raw[0] != kind || raw[1] != '1' || raw[2] != ':')
		return -1;
	int64_t v = 0;
	for (size_t i = 3; i < n; i++) {
		int d = raw[i] - '0';
		if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	/* One encoding per value: re-encoding must give the same text. */
	char again[SRV_CURSOR_LEN];
	srv_cursor_encode(kind, v, again);
	if (strcmp(again, text) != 0)
		return -1;
	*value = v;
	return 0;
}
