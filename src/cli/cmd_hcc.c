#include "cli/cli.h"
#include "coding/coding.h"
#include "offline/store_icd10.h"
#include "core/lib.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads CMS's mapping: the model software's "code<TAB>hcc" format file, or
 * the CSV "diagnosis_code,cc,model_name" (V28 rows only). */
static int parse_map(const char *path, struct hcc_map_row **rows, size_t *count, size_t *bad)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return DICTUM_IO;
	char line[512];
	size_t n = 0, cap = 0;
	*bad = 0;
	int result = DICTUM_OK;
	while (fgets(line, sizeof(line), f)) {
		char code[16], model[128] = "";
		int hcc;
		char *p = line;
		if (strncmp(p, "diagnosis_code", 14) == 0)
			continue;
		for (char *q = p; *q; q++)
			if (*q == ',' || *q == '\t')
				*q = ' ';
		int got = sscanf(p, "%15s %d %127[^\r\n]", code, &hcc, model);
		if (got < 2 || !isalpha((unsigned char)code[0]) || hcc <= 0) {
			(*bad)++;
			continue;
		}
		if (got == 3 && *model && !strstr(model, "V28"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct hcc_map_row *nr = realloc(*rows, cap * sizeof(*nr));
			if (!nr) {
				result = DICTUM_NOMEM;
				break;
			}
			*rows = nr;
		}
		memset(&(*rows)[n], 0, sizeof((*rows)[n]));
		str_copy((*rows)[n].code, code, sizeof((*rows)[n].code));
		(*rows)[n++].hcc = hcc;
	}
	fclose(f);
	*count = n;
	return result;
}

int cmd_hcc(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "import") != 0)
		return cli_usage("hcc");
	const char *path = argv[2];
	if (!path_exists(path))
		return cli_fail("hcc import: %s does not exist", path);
	struct hcc_map_row *rows = NULL;
	size_t n = 0, bad = 0;
	int rc = parse_map(path, &rows, &n, &bad);
	if (rc) {
		free(rows);
		return cli_fail("hcc import: cannot read %s", path);
	}
	if (n == 0 || bad > n) {
		free(rows);
		return cli_fail(
		    "hcc import: %s is not a CMS ICD-10 to HCC mapping (no \"code hcc\" rows)",
		    path);
	}
	store *s = NULL;
	struct coding *c = NULL;
	int status = cli_open_store(ctx, &s);
	char err[512] = "";
	if (!status && coding_open(s, &c, err, sizeof(err)) != DICTUM_OK)
		status = cli_fail("hcc import: %s", err);
	coding_close(&c);
	if (!status && store_hcc_load(s, "V28", "cms", rows, n) != DICTUM_OK)
		status = cli_fail("hcc import: %s", store_errmsg(s));
	if (!status) {
		if (ctx->json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "imported", json_object_new_int64((int64_t)n));
			json_object_object_add(o, "model", json_object_new_string("V28"));
			cli_print_json(o);
		} else {
			printf("imported %zu V28 mappings\n", n);
		}
	}
	free(rows);
	store_close(&s);
	return status;
}
