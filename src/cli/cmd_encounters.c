#include "cli/cli.h"
#include "core/error.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

/* dictum encounters engine ID [local|server]: shows or sets where the
 * encounter's recordings are transcribed and drafted. */
int cmd_encounters(struct cli_ctx *ctx, int argc, char **argv)
{
	int64_t id = 0;
	if (argc < 3 || argc > 4 || strcmp(argv[1], "engine") != 0)
		return cli_usage("encounters");
	if (!cli_parse_id(argv[2], &id))
		return cli_fail("encounters engine: '%s' is not an encounter id", argv[2]);
	if (argc == 4 && strcmp(argv[3], "local") != 0 && strcmp(argv[3], "server") != 0)
		return cli_fail("encounters engine: '%s': choose local or server", argv[3]);
	store *s = NULL;
	if (cli_open_store(ctx, &s))
		return 1;
	int status = 0;
	char engine[8] = "";
	if (argc == 4 && store_encounter_set_engine(s, id, argv[3]) != DICTUM_OK)
		status = cli_fail("encounters engine: %s", store_errmsg(s));
	else if (store_encounter_engine(s, id, engine) != DICTUM_OK)
		status = cli_fail("encounters engine: %s", store_errmsg(s));
	else if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "encounter", json_object_new_int64(id));
		json_object_object_add(o, "engine", json_object_new_string(engine));
		cli_print_json(o);
	} else {
		printf("encounter %lld: %s\n", (long long)id, engine);
	}
	store_close(&s);
	return status;
}
