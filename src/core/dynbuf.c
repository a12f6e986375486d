#include "core/dynbuf.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dynbuf_init(struct dynbuf *d, size_t max)
{
	d->buf = NULL;
	d->len = 0;
	d->cap = 0;
	d->max = max;
}

void dynbuf_free(struct dynbuf *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
}

void dynbuf_reset(struct dynbuf *d)
{
	d->len = 0;
	if (d->buf)
		d->buf[0] = '\0';
}

static int reserve(struct dynbuf *d, size_t extra)
{
	if (extra > d->max || d->len > d->max - extra)
		return DICTUM_FULL;
	size_t need = d->len + extra + 1;
	if (need <= d->cap)
		return DICTUM_OK;
	size_t ncap = d->cap ? d->cap : 64;
	while (ncap < need)
		ncap *= 2;
	char *nb = realloc(d->buf, ncap);
	if (!nb)
		return DICTUM_NOMEM;
	d->buf = nb;
	d->cap = ncap;
	return DICTUM_OK;
}

int dynbuf_reserve(struct dynbuf *d, size_t extra)
{
	return reserve(d, extra);
}

int dynbuf_add(struct dynbuf *d, const void *data, size_t len)
{
	int result = reserve(d, len);
	if (result)
		return result;
	if (len)
		memcpy(d->buf + d->len, data, len);
	d->len += len;
	d->buf[d->len] = '\0';
	return DICTUM_OK;
}

int dynbuf_addstr(struct dynbuf *d, const char *s)
{
	return dynbuf_add(d, s, strlen(s));
}

int dynbuf_printf(struct dynbuf *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return DICTUM_INVAL;
	int result = reserve(d, (size_t)n);
	if (result)
		return result;
	va_start(ap, fmt);
	vsnprintf(d->buf + d->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	d->len += (size_t)n;
	return DICTUM_OK;
}

const char *dynbuf_str(const struct dynbuf *d)
{
	return d->buf ? d->buf : "";
}

char *dynbuf_take(struct dynbuf *d)
{
	char *p = d->buf ? d->buf : strdup("");
	d->buf = NULL;
	d->len = d->cap = 0;
	return p;
}
