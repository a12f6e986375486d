#include "cli/cli.h"
#include "coding/coding.h"
#include "core/lib.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum em_setting setting;
} settings[] = {{"office", EM_OFFICE},
                {"ed", EM_ED},
                {"inpatient", EM_INPATIENT_INITIAL},
                {"subsequent", EM_INPATIENT_SUBSEQUENT},
                {"discharge", EM_DISCHARGE}};

static void print_text(const struct billing_result *r)
{
	struct dynbuf d;
	dynbuf_init(&d, (size_t)8 << 20);
	if (billing_result_text(r, true, &d) == DICTUM_OK)
		fputs(dynbuf_str(&d), stdout);
	else
		fprintf(stderr, "dictum: billing: out of memory\n");
	dynbuf_free(&d);
}

/* Billing for a stored note: computed over its rendered text and saved as
 * the note's suggested codes and billing result. */
static int billing_note(struct cli_ctx *ctx, int64_t id, struct billing_options *bo)
{
	store *s = NULL;
	struct coding *c = NULL;
	struct note n = {0};
	struct billing_result r = {0};
	struct dynbuf text;
	dynbuf_init(&text, (size_t)8 << 20);
	char err[512] = "";
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	if (store_note_get(s, id, &n) != DICTUM_OK) {
		status = cli_fail("billing: %s", store_errmsg(s));
		goto out;
	}
	if (note_render(&n, NULL, NOTE_FORMAT_TEXT, &text) != DICTUM_OK) {
		status = cli_fail("billing: out of memory");
		goto out;
	}
	if (bo->setting == EM_AUTO)
		bo->setting = em_setting_for_note_type(n.note_type);
	if (coding_open(s, &c, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("billing: %s", err);
		goto out;
	}
	if (coding_billing(c, dynbuf_str(&text), bo, &r) != DICTUM_OK) {
		status = cli_fail("billing: out of memory");
		goto out;
	}
	if (coding_billing_save(s, n.id, n.version, &r) != DICTUM_OK) {
		status =
		    cli_fail("billing: saving to note %lld: %s", (long long)id, store_errmsg(s));
		goto out;
	}
	if (ctx->json)
		cli_print_json(billing_result_json(&r));
	else
		print_text(&r);
out:
	billing_result_free(&r);
	coding_close(&c);
	note_clear(&n);
	dynbuf_free(&text);
	store_close(&s);
	return status;
}

int cmd_billing(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},       {"setting", required_argument, NULL, 's'},
	    {"new", no_argument, NULL, 'n'},        {"established", no_argument, NULL, 'e'},
	    {"note", required_argument, NULL, 'N'}, {NULL, 0, NULL, 0}};
	struct billing_options bo = {EM_AUTO, EM_PATIENT_AUTO, false};
	int64_t note_id = 0;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			ctx->json = true;
			break;
		case 'n':
			bo.patient = EM_PATIENT_NEW;
			break;
		case 'e':
			bo.patient = EM_PATIENT_ESTABLISHED;
			break;
		case 'N':
			if (!cli_parse_id(optarg, &note_id))
				return cli_fail("billing: --note needs a note id, not '%s'",
				                optarg);
			break;
		case 's': {
			bool ok = false;
			for (size_t i = 0; i < sizeof(settings) / sizeof(*settings); i++)
				if (strcmp(optarg, settings[i].name) == 0) {
					bo.setting = settings[i].setting;
					ok = true;
				}
			if (!ok)
				return cli_fail(
				    "billing: unknown setting '%s' (office, ed, inpatient, "
				    "subsequent, discharge)",
				    optarg);
			break;
		}
		default:
			return cli_usage("billing");
		}
	}
	if (note_id)
		return billing_note(ctx, note_id, &bo);
	if (argc - optind != 1)
		return cli_usage("billing");
	const char *path = argv[optind];
	char *text = NULL;
	size_t len;
	int rc = file_read_all(path, (size_t)8 << 20, &text, &len);
	if (rc)
		return cli_fail("billing: cannot read %s: %s", path, strerror(-rc));
	int status = 0;
	store *s = NULL;
	struct coding *c = NULL;
	struct billing_result r = {0};
	if (memchr(text, '\0', len) || str_empty(str_trim(text))) {
		status = cli_fail("billing: %s has no text to code", path);
		goto out;
	}
	if ((status = cli_open_store(ctx, &s)))
		goto out;
	char err[512] = "";
	if (coding_open(s, &c, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("billing: %s", err);
		goto out;
	}
	if (coding_billing(c, text, &bo, &r) != DICTUM_OK) {
		status = cli_fail("billing: out of memory");
		goto out;
	}
	if (ctx->json)
		cli_print_json(billing_result_json(&r));
	else
		print_text(&r);
out:
	billing_result_free(&r);
	coding_close(&c);
	store_close(&s);
	free(text);
	return status;
}
