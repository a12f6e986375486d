#include "coding/icd_internal.h"
#include "offline/store_icd10.h"
#include "core/lib.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void icd_fiscal_year_from_name(const char *path, char out[8])
{
	out[0] = '\0';
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (const char *p = base; *p; p++)
		if ((p[0] == '2') && p[1] == '0' && isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[3]) && !isdigit((unsigned char)p[4]) &&
		    (p == base || !isdigit((unsigned char)p[-1]))) {
			memcpy(out, p, 4);
			out[4] = '\0';
			return;
		}
}

/* A code line: 3-7 alphanumerics starting with a letter, white space,
 * then a description. */
static bool parse_line(char *line, char **code, char **desc)
{
	char *p = line;
	while (*p == ' ')
		p++;
	char *c = p;
	while (isalnum((unsigned char)*p) || *p == '.')
		p++;
	size_t n = (size_t)(p - c);
	/* "A000", "M1A0110", "QA00101": a letter, then a digit, or a letter and a digit. */
	bool shape = n >= 3 && n <= 8 && isupper((unsigned char)c[0]) &&
	             (isdigit((unsigned char)c[1]) ||
	              (isupper((unsigned char)c[1]) && isdigit((unsigned char)c[2])));
	if (!shape || (*p != ' ' && *p != '\t'))
		return false;
	*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return false;
	*code = c;
	*desc = str_trim(p);
	return true;
}

int icd_parse_codes_file(const char *path, struct icd10_row **rows, size_t *count, char *err,
                         size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, n = 0, cap = 0, bad = 0, lines = 0;
	struct icd10_row *r = NULL;
	*rows = NULL;
	*count = 0;
	int result = coding_read_file(path, &buf, &len);
	if (result) {
		snprintf(err, errlen, "cannot read %s", path);
		return result;
	}
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s is not an ICD-10-CM codes file (binary data)", path);
		free(buf);
		return DICTUM_INVAL;
	}
	for (char *line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n")) {
		char *code, *desc;
		lines++;
		if (!parse_line(line, &code, &desc)) {
			bad++;
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			struct icd10_row *nr = realloc(r, ncap * sizeof(*nr));
			if (!nr) {
				result = DICTUM_NOMEM;
				goto fail;
			}
			r = nr;
			cap = ncap;
		}
		r[n].code = strdup(code);
		r[n].description = strdup(desc);
		r[n].synonyms = NULL;
		r[n].curated = false;
		n++;
		if (!r[n - 1].code || !r[n - 1].description) {
			result = DICTUM_NOMEM;
			goto fail;
		}
	}
	if (n == 0 || bad * 10 > lines) {
		snprintf(err, errlen,
		         "%s is not an ICD-10-CM codes file (%zu of %zu lines are not \"CODE "
		         "description\")",
		         path, bad, lines);
		result = DICTUM_INVAL;
		goto fail;
	}
	free(buf);
	*rows = r;
	*count = n;
	return DICTUM_OK;
fail:
	free(buf);
	icd10_rows_free(&r, n);
	return result;
}

int icd_import_file(store *s, const char *path, const char *fy, size_t *count, char *err,
                    size_t errlen)
{
	struct icd10_row *rows = NULL;
	size_t n = 0;
	char year[8];
	int result = icd_parse_codes_file(path, &rows, &n, err, errlen);
	if (result)
		return result;
	if (!str_empty(fy))
		str_copy(year, fy, sizeof(year));
	else
		icd_fiscal_year_from_name(path, year);
	const char *base = strrchr(path, '/');
	if ((result = store_icd10_import(s, rows, n, year, base ? base + 1 : path)))
		snprintf(err, errlen, "importing %s: %s", path, store_errmsg(s));
	else if (count)
		*count = n;
	icd10_rows_free(&rows, n);
	return result;
}
