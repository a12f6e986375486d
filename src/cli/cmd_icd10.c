#include "cli/cli.h"
#include "coding/coding.h"
#include "offline/store_icd10.h"
#include "core/lib.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX ((size_t)8 << 20)

/* Reads FILE or - into *text; prints the reason on failure. */
static int read_text(const char *cmd, const char *path, char **text)
{
	size_t len;
	int rc = file_read_all(path, TEXT_MAX, text, &len);
	if (rc)
		return cli_fail("%s: cannot read %s: %s", cmd, path, strerror(-rc));
	if (memchr(*text, '\0', len)) {
		free(*text);
		*text = NULL;
		return cli_fail("%s: %s is not text", cmd, path);
	}
	const char *p = *text;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (!*p) {
		free(*text);
		*text = NULL;
		return cli_fail("%s: %s is empty: nothing to code", cmd, path);
	}
	return 0;
}

static int open_engine(struct cli_ctx *ctx, const char *cmd, store **s, struct coding **c)
{
	int status = cli_open_store(ctx, s);
	if (status)
		return status;
	char err[512] = "";
	if (coding_open(*s, c, err, sizeof(err)) != DICTUM_OK) {
		store_close(s);
		return cli_fail("%s: %s", cmd, err);
	}
	return 0;
}

static int do_suggest(struct cli_ctx *ctx, const char *path, bool inpatient)
{
	char *text = NULL;
	store *s = NULL;
	struct coding *c = NULL;
	struct icd_result r = {0};
	int status = read_text("icd10 suggest", path, &text);
	if (status)
		return status;
	if ((status = open_engine(ctx, "icd10 suggest", &s, &c)))
		goto out;
	struct icd_options opts = {inpatient};
	if (icd_suggest(c, text, &opts, &r) != DICTUM_OK) {
		status = cli_fail("icd10 suggest: out of memory");
		goto out;
	}
	if (ctx->json) {
		cli_print_json(icd_result_json(&r));
	} else {
		for (size_t i = 0; i < r.ncodes; i++)
			printf("%-8s %.2f  %s\n         evidence: \"%s\" [%d,%d]%s%s\n",
			       r.codes[i].code, r.codes[i].score, r.codes[i].name,
			       r.codes[i].evidence, r.codes[i].span_start, r.codes[i].span_end,
			       r.codes[i].note ? "\n         note: " : "",
			       r.codes[i].note ? r.codes[i].note : "");
		for (size_t i = 0; i < r.nskipped; i++)
			printf("not coded: %s \"%s\" (%s)\n", r.skipped[i].code,
			       r.skipped[i].evidence, icd_context_name(r.skipped[i].context));
		if (!r.ncodes)
			printf("no codes found\n");
	}
out:
	icd_result_free(&r);
	coding_close(&c);
	store_close(&s);
	free(text);
	return status;
}

static int do_search(struct cli_ctx *ctx, int argc, char **argv)
{
	char query[1024] = "";
	for (int i = 0; i < argc; i++) {
		if (i)
			strncat(query, " ", sizeof(query) - strlen(query) - 1);
		strncat(query, argv[i], sizeof(query) - strlen(query) - 1);
	}
	if (str_empty(str_trim(query)))
		return cli_fail("icd10 search: an empty query");
	store *s = NULL;
	char err[512] = "";
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	/* the table in the store is enough: no matcher to build */
	if (coding_load_tables(s, err, sizeof(err)) != DICTUM_OK) {
		store_close(&s);
		return cli_fail("icd10 search: %s", err);
	}
	struct icd10_row *rows = NULL;
	size_t n = 0;
	if (store_icd10_search(s, query, 20, &rows, &n) != DICTUM_OK) {
		status = cli_fail("icd10 search: %s", store_errmsg(s));
		goto out;
	}
	if (ctx->json) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			char code[10];
			icd_code_format(rows[i].code, code);
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "icd10_code", json_object_new_string(code));
			json_object_object_add(o, "name",
			                       json_object_new_string(rows[i].description));
			json_object_object_add(o, "curated",
			                       json_object_new_boolean(rows[i].curated));
			json_object_array_add(arr, o);
		}
		cli_print_json(arr);
	} else {
		for (size_t i = 0; i < n; i++) {
			char code[10];
			icd_code_format(rows[i].code, code);
			printf("%-8s %s\n", code, rows[i].description);
		}
		if (!n)
			printf("no codes match\n");
	}
out:
	icd10_rows_free(&rows, n);
	store_close(&s);
	return status;
}

static int do_import(struct cli_ctx *ctx, const char *path, const char *fy)
{
	if (!path_exists(path))
		return cli_fail("icd10 import: %s does not exist", path);
	store *s = NULL;
	struct coding *c = NULL;
	int status = open_engine(ctx, "icd10 import", &s, &c);
	if (status)
		return status;
	coding_close(&c);
	char err[512] = "";
	size_t n = 0;
	if (icd_import_file(s, path, fy, &n, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("icd10 import: %s", err);
		goto out;
	}
	char *year = NULL;
	store_meta_get(s, "icd10_fiscal_year", &year);
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "imported", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "fiscal_year", json_object_new_string(year ? year : ""));
		cli_print_json(o);
	} else {
		printf("imported %zu codes (fiscal year %s)\n", n,
		       year && *year ? year : "unknown");
	}
	free(year);
out:
	store_close(&s);
	return status;
}

int cmd_icd10(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {"inpatient", no_argument, NULL, 'i'},
	                                     {"fy", required_argument, NULL, 'y'},
	                                     {NULL, 0, NULL, 0}};
	if (argc < 2)
		return cli_usage("icd10");
	const char *verb = argv[1];
	bool inpatient = false;
	const char *fy = NULL;
	int ch;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctx->json = true;
			break;
		case 'i':
			inpatient = true;
			break;
		case 'y':
			fy = optarg;
			break;
		default:
			return cli_usage("icd10");
		}
	}
	int rest = argc - optind;
	if (strcmp(verb, "suggest") == 0 && rest == 1)
		return do_suggest(ctx, argv[optind], inpatient);
	if (strcmp(verb, "search") == 0 && rest >= 1)
		return do_search(ctx, rest, argv + optind);
	if (strcmp(verb, "import") == 0 && rest == 1)
		return do_import(ctx, argv[optind], fy);
	return cli_usage("icd10");
}
