#include "cli/cli.h"
#include "core/lib.h"
#include "notes/tmpl.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* `dictum templates list [--search WORD]`: the shipped catalogue, then the
 * user's templates from $XDG_CONFIG_HOME/dictum/templates/. */

static struct json_object *template_json(const struct tmpl_template *t)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "_id", json_object_new_string(t->id));
	json_object_object_add(o, "name", json_object_new_string(t->name));
	json_object_object_add(
	    o, "short_description",
	    json_object_new_string(t->short_description ? t->short_description : ""));
	json_object_object_add(o, "noteType",
	                       t->note_type ? json_object_new_string(t->note_type) : NULL);
	struct json_object *secs = json_object_new_array();
	for (size_t i = 0; i < t->sections.count; i++)
		json_object_array_add(secs, json_object_new_string(t->sections.items[i]));
	json_object_object_add(o, "sections", secs);
	json_object_object_add(o, "source", json_object_new_string(t->user ? "user" : "shipped"));
	return o;
}

static int templates_list(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"search", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {0, 0, 0, 0},
	};
	const char *search = NULL;
	bool json = ctx->json;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			search = optarg;
		else if (c == 'j')
			json = true;
		else
			return cli_fail("templates list: unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_fail("templates list: unexpected argument '%s'", argv[optind]);
	char user_dir[1200];
	snprintf(user_dir, sizeof(user_dir), "%s/templates", ctx->paths.config_dir);
	struct tmpl_list l = {0};
	char err[512] = "";
	if (tmpl_templates_load(&l, NULL, user_dir, err, sizeof(err)) != DICTUM_OK) {
		tmpl_list_clear(&l);
		return cli_fail("templates list: %s", err);
	}
	struct json_object *arr = json ? json_object_new_array() : NULL;
	size_t shown = 0;
	for (size_t i = 0; i < l.count; i++) {
		const struct tmpl_template *t = &l.items[i];
		if (!tmpl_template_matches(t, search))
			continue;
		shown++;
		if (arr)
			json_object_array_add(arr, template_json(t));
		else
			printf("%s\t%s\t%s%s\n", t->id, t->name,
			       t->short_description ? t->short_description : "",
			       t->user ? "\t(user)" : "");
	}
	if (arr) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "data", arr);
		json_object_object_add(o, "count", json_object_new_int64((int64_t)shown));
		cli_print_json(o);
	}
	tmpl_list_clear(&l);
	return 0;
}

int cmd_templates(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		if (argc >= 2)
			cli_fail("templates: unknown subcommand '%s'", argv[1]);
		return cli_usage("templates");
	}
	return templates_list(ctx, argc - 1, argv + 1);
}
