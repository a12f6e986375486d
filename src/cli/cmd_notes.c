#include "cli/cli.h"
#include "core/lib.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *summary_json(const struct note_summary *n)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(n->id));
	json_object_object_add(o, "uid", jstr(n->uid));
	json_object_object_add(o, "encounter_id", json_object_new_int64(n->encounter_id));
	json_object_object_add(o, "patient", jstr(n->patient_name));
	json_object_object_add(o, "note_type", jstr(n->note_type));
	json_object_object_add(o, "status", jstr(note_status_name(n->status)));
	json_object_object_add(o, "sync_state", jstr(sync_state_name(n->sync)));
	json_object_object_add(o, "version", json_object_new_int(n->version));
	json_object_object_add(o, "updated_at", jstr(n->updated_at));
	if (n->snippet)
		json_object_object_add(o, "snippet", jstr(n->snippet));
	return o;
}

static struct json_object *note_json(const struct note *n, const char *patient)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(n->id));
	json_object_object_add(o, "uid", jstr(n->uid));
	json_object_object_add(o, "encounter_id", json_object_new_int64(n->encounter_id));
	json_object_object_add(o, "patient", jstr(patient));
	json_object_object_add(o, "noteType", jstr(n->note_type));
	json_object_object_add(o, "specialty", jstr(n->specialty));
	json_object_object_add(o, "status", jstr(note_status_name(n->status)));
	json_object_object_add(o, "version", json_object_new_int(n->version));
	json_object_object_add(o, "sync_state", jstr(sync_state_name(n->sync)));
	json_object_object_add(o, "created_at", jstr(n->created_at));
	json_object_object_add(o, "updated_at", jstr(n->updated_at));
	json_object_object_add(o, "signed_by", jstr(n->signed_by));
	struct json_object *secs = json_object_new_array();
	for (size_t i = 0; i < n->nsections; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "key", jstr(n->sections[i].key));
		json_object_object_add(s, "title", jstr(n->sections[i].title));
		json_object_object_add(s, "text", jstr(n->sections[i].text));
		json_object_array_add(secs, s);
	}
	json_object_object_add(o, "sections", secs);
	return o;
}

static void print_summaries(struct cli_ctx *ctx, struct note_summary *list, size_t n)
{
	if (ctx->json) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, summary_json(&list[i]));
		cli_print_json(arr);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		printf("%lld\t%.16s\t%s\t%s\t%s v%d\t%s\n", (long long)list[i].id,
		       list[i].updated_at, list[i].patient_name, list[i].note_type,
		       note_status_name(list[i].status), list[i].version,
		       sync_state_name(list[i].sync));
		if (list[i].snippet) {
			/* One line per hit: the snippet's line breaks become spaces. */
			for (char *c = list[i].snippet; *c; c++)
				if (*c == '\n' || *c == '\r' || *c == '\t')
					*c = ' ';
			printf("\t%s\n", list[i].snippet);
		}
	}
}

static int notes_list(struct cli_ctx *ctx, store *s, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"limit", required_argument, NULL, 'n'},  {"patient", required_argument, NULL, 'p'},
	    {"type", required_argument, NULL, 't'},   {"status", required_argument, NULL, 's'},
	    {"before", required_argument, NULL, 'b'}, {0, 0, 0, 0},
	};
	struct note_filter f = {.status = -1};
	int64_t v;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!cli_parse_id(optarg, &v))
				return cli_fail("notes list: --limit needs a positive number");
			f.limit = (size_t)v;
			break;
		case 'p':
			if (!cli_parse_id(optarg, &f.patient_id))
				return cli_fail("notes list: --patient needs a patient id");
			break;
		case 'b':
			if (!cli_parse_id(optarg, &f.before_id))
				return cli_fail("notes list: --before needs a note id");
			break;
		case 't':
			if (!note_type_valid(optarg))
				return cli_fail("notes list: unknown note type '%s'", optarg);
			f.note_type = optarg;
			break;
		case 's':
			if ((f.status = note_status_parse(optarg)) < 0)
				return cli_fail("notes list: --status is draft or signed");
			break;
		default:
			return cli_fail("notes list: unknown option '%s'", argv[optind - 1]);
		}
	}
	struct note_summary *list = NULL;
	size_t n = 0;
	if (store_note_list(s, &f, &list, &n) != DICTUM_OK)
		return cli_fail("notes list: %s", store_errmsg(s));
	print_summaries(ctx, list, n);
	note_summaries_free(&list, n);
	return 0;
}

/* Loads a note by number or by uid (note_...). */
static int load(store *s, const char *ref, struct note *n)
{
	int64_t id;
	if (cli_parse_id(ref, &id))
		return store_note_get(s, id, n);
	return store_note_get_by_uid(s, ref, n);
}

static char *patient_of(store *s, const struct note *n)
{
	struct encounter e = {0};
	if (store_encounter_get(s, n->encounter_id, &e) != DICTUM_OK)
		return NULL;
	char *name = e.patient_name;
	e.patient_name = NULL;
	encounter_clear(&e);
	return name;
}

static int notes_show(struct cli_ctx *ctx, store *s, int argc, char **argv, bool export)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"output", required_argument, NULL, 'o'},
	    {0, 0, 0, 0},
	};
	const char *format = ctx->json ? "json" : "text", *output = NULL, *cmd = argv[0];
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'o')
			output = optarg;
		else
			return cli_fail("notes %s: unknown option '%s'", cmd, argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_fail("notes %s: give one note id", cmd);
	bool json = strcmp(format, "json") == 0;
	int fmt = note_format_parse(format);
	if (!json && fmt < 0)
		return cli_fail("notes %s: --format is text, markdown or json", cmd);

	struct note n = {0};
	if (load(s, argv[optind], &n) != DICTUM_OK)
		return cli_fail("notes %s: %s", cmd, store_errmsg(s));
	char *patient = patient_of(s, &n);
	struct dynbuf d;
	dynbuf_init(&d, 256u << 20);
	int status = 0;
	if (json) {
		struct json_object *o = note_json(&n, patient);
		if (!export) {
			struct note_version_info *v = NULL;
			size_t nv = 0;
			if (store_note_versions(s, n.id, &v, &nv) == DICTUM_OK) {
				struct json_object *arr = json_object_new_array();
				for (size_t i = 0; i < nv; i++) {
					struct json_object *e = json_object_new_object();
					json_object_object_add(e, "version",
					                       json_object_new_int(v[i].version));
					json_object_object_add(e, "author", jstr(v[i].author));
					json_object_object_add(e, "saved_at", jstr(v[i].saved_at));
					json_object_object_add(e, "changed",
					                       json_tokener_parse(v[i].changed));
					json_object_array_add(arr, e);
				}
				json_object_object_add(o, "versions", arr);
				note_versions_free(&v, nv);
			}
		}
		status = dynbuf_addstr(
		    &d, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
		                                              JSON_C_TO_STRING_NOSLASHESCAPE));
		if (!status)
			status = dynbuf_addstr(&d, "\n");
		json_object_put(o);
	} else {
		status = note_render(&n, patient, (enum note_format)fmt, &d);
	}
	if (status) {
		status = cli_fail("notes %s: %s", cmd, dictum_strerror(status));
	} else if (output) {
		int rc = file_write_atomic(output, d.buf, d.len, 0600);
		if (rc)
			status =
			    cli_fail("notes %s: cannot write %s: %s", cmd, output, strerror(-rc));
	} else {
		fwrite(dynbuf_str(&d), 1, d.len, stdout);
	}
	dynbuf_free(&d);
	free(patient);
	note_clear(&n);
	return status;
}

static int notes_search(struct cli_ctx *ctx, store *s, int argc, char **argv)
{
	if (argc < 2)
		return cli_fail("notes search: give words to search for");
	struct dynbuf q;
	dynbuf_init(&q, 4096);
	for (int i = 1; i < argc; i++)
		if (dynbuf_printf(&q, "%s%s", i > 1 ? " " : "", argv[i]))
			break;
	struct note_summary *list = NULL;
	size_t n = 0;
	int status = 0;
	if (store_note_search(s, dynbuf_str(&q), 50, &list, &n) != DICTUM_OK)
		status = cli_fail("notes search: %s", store_errmsg(s));
	else
		print_summaries(ctx, list, n);
	note_summaries_free(&list, n);
	dynbuf_free(&q);
	return status;
}

static int notes_add(struct cli_ctx *ctx, store *s, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"patient", required_argument, NULL, 'p'},
	    {"type", required_argument, NULL, 't'},
	    {"specialty", required_argument, NULL, 's'},
	    {"author", required_argument, NULL, 'a'},
	    {0, 0, 0, 0},
	};
	int64_t patient = 0;
	const char *type = NULL, *specialty = NULL, *author = cli_user();
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!cli_parse_id(optarg, &patient))
				return cli_fail("notes add: --patient needs a patient id");
			break;
		case 't':
			type = optarg;
			break;
		case 's':
			specialty = optarg;
			break;
		case 'a':
			author = optarg;
			break;
		default:
			return cli_fail("notes add: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!patient || !type || optind != argc - 1)
		return cli_fail("notes add: needs --patient ID --type TYPE and one FILE or -");
	if (!note_type_valid(type)) {
		fprintf(stderr, "dictum: notes add: unknown note type '%s'; valid types:", type);
		for (size_t i = 0; i < note_type_count; i++)
			fprintf(stderr, " %s", note_type_keys[i]);
		fputc('\n', stderr);
		return 1;
	}
	char *text = NULL;
	int rc = file_read_all(argv[optind], 16u << 20, &text, NULL);
	if (rc)
		return cli_fail("notes add: cannot read %s: %s", argv[optind], strerror(-rc));

	int status = 0;
	struct encounter e = {.patient_id = patient, .status = ENCOUNTER_DRAFT};
	struct note n = {0};
	e.note_type = xstrdup(type);
	e.specialty = specialty ? xstrdup(specialty) : NULL;
	n.note_type = xstrdup(type);
	n.specialty = specialty ? xstrdup(specialty) : NULL;
	if (note_parse_sections(&n, text) != DICTUM_OK) {
		status = cli_fail("notes add: out of memory");
		goto out;
	}
	/* The encounter and its note land together or not at all. */
	if (store_begin(s) != DICTUM_OK || store_encounter_add(s, &e) != DICTUM_OK ||
	    (n.encounter_id = e.id, store_note_save(s, &n, author)) != DICTUM_OK ||
	    store_commit(s) != DICTUM_OK) {
		status = cli_fail("notes add: %s", store_errmsg(s));
		store_rollback(s);
		goto out;
	}
	if (ctx->json)
		cli_print_json(note_json(&n, NULL));
	else
		printf("%lld\t%s\n", (long long)n.id, n.uid);
out:
	free(text);
	encounter_clear(&e);
	note_clear(&n);
	return status;
}

static int notes_sign(struct cli_ctx *ctx, store *s, int argc, char **argv)
{
	if (argc != 2)
		return cli_fail("notes sign: give one note id");
	struct note n = {0};
	if (load(s, argv[1], &n) != DICTUM_OK)
		return cli_fail("notes sign: %s", store_errmsg(s));
	int status = 0;
	if (store_note_sign(s, n.id, n.version, cli_user()) != DICTUM_OK)
		status = cli_fail("notes sign: %s", store_errmsg(s));
	else
		printf("%lld\tsigned\n", (long long)n.id);
	note_clear(&n);
	return status;
}

static int notes_addendum(struct cli_ctx *ctx, store *s, int argc, char **argv)
{
	if (argc != 3)
		return cli_fail("notes addendum: give a note id and a FILE or -");
	struct note n = {0};
	if (load(s, argv[1], &n) != DICTUM_OK)
		return cli_fail("notes addendum: %s", store_errmsg(s));
	char *text = NULL;
	int status = 0, rc = file_read_all(argv[2], 1u << 20, &text, NULL);
	if (rc) {
		status = cli_fail("notes addendum: cannot read %s: %s", argv[2], strerror(-rc));
	} else if (store_note_addendum(s, n.id, n.version, cli_user(), str_trim(text)) !=
	           DICTUM_OK) {
		status = cli_fail("notes addendum: %s", store_errmsg(s));
	} else {
		printf("%lld\tversion %d\n", (long long)n.id, n.version + 1);
	}
	free(text);
	note_clear(&n);
	return status;
}

static const struct {
	const char *name;
	int (*run)(struct cli_ctx *ctx, store *s, int argc, char **argv);
} subcommands[] = {
    {"list", notes_list}, {"search", notes_search},     {"add", notes_add},
    {"sign", notes_sign}, {"addendum", notes_addendum},
};

int cmd_notes(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("notes");
	bool show = strcmp(argv[1], "show") == 0, export = strcmp(argv[1], "export") == 0;
	int (*run)(struct cli_ctx *, store *, int, char **) = NULL;
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(subcommands[i].name, argv[1]) == 0)
			run = subcommands[i].run;
	if (!run && !show && !export) {
		cli_fail("notes: unknown subcommand '%s'", argv[1]);
		return cli_usage("notes");
	}
	store *s = NULL;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	status =
	    run ? run(ctx, s, argc - 1, argv + 1) : notes_show(ctx, s, argc - 1, argv + 1, export);
	store_close(&s);
	return status;
}
