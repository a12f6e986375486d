#include "cli/cli.h"
#include "core/lib.h"
#include "offline/server_store.h"
#include "server/auth.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static int open_db(struct cli_ctx *ctx, const char *db, srv_store **out)
{
	char path[1100], err[1024];
	if (cli_server_db(ctx, db, path, sizeof(path)))
		return 1;
	if (srv_store_open(path, NULL, out, err, sizeof(err)) != DICTUM_OK)
		return cli_fail("%s", err);
	return 0;
}

static int keys_create(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"org", required_argument, NULL, 'o'},
	    {"scopes", required_argument, NULL, 's'},
	    {"plan", required_argument, NULL, 'p'},
	    {"db", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *org = NULL, *scopes = "notes:read,notes:write,transcribe,codes";
	const char *plan = "team", *db = NULL;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			org = optarg;
			break;
		case 's':
			scopes = optarg;
			break;
		case 'p':
			plan = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		default:
			return cli_fail("keys create: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc || str_empty(org))
		return cli_usage("keys");
	if (strlen(org) > 200)
		return cli_fail("keys create: --org is longer than 200 characters");
	unsigned mask = 0;
	char bad[80], canonical[128];
	if (srv_scopes_parse(scopes, &mask, bad, sizeof(bad)))
		return cli_fail("keys create: unknown scope '%s'; use notes:read, notes:write, "
		                "transcribe, codes",
		                bad);
	if (!mask)
		return cli_fail("keys create: --scopes names no scope");
	srv_scopes_format(mask, canonical, sizeof(canonical));
	enum srv_plan p;
	if (strcmp(plan, "team") == 0)
		p = SRV_PLAN_TEAM;
	else if (strcmp(plan, "enterprise") == 0)
		p = SRV_PLAN_ENTERPRISE;
	else
		return cli_fail("keys create: --plan must be team or enterprise");
	srv_store *s = NULL;
	int status = open_db(ctx, db, &s);
	if (status)
		return status;
	unsigned char secret[32];
	char key[SRV_KEY_LEN], hash[SRV_HEX_LEN], prefix[16];
	struct srv_key k = {0};
	if (srv_store_secret(s, secret) != DICTUM_OK) {
		status = cli_fail("keys create: %s", srv_store_errmsg(s));
		goto out;
	}
	if (srv_key_generate(key)) {
		status = cli_fail("keys create: cannot read random bytes");
		goto out;
	}
	srv_key_hash(secret, key, hash);
	snprintf(prefix, sizeof(prefix), "%.11s", key);
	if (srv_key_add(s, org, hash, prefix, canonical, p, &k) != DICTUM_OK) {
		status = cli_fail("keys create: %s", srv_store_errmsg(s));
		goto out;
	}
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(k.uid));
		json_object_object_add(o, "key", json_object_new_string(key));
		json_object_object_add(o, "organization_id", json_object_new_string(k.org_uid));
		json_object_object_add(o, "plan", json_object_new_string(plan));
		json_object_object_add(o, "scopes", json_object_new_string(canonical));
		cli_print_json(o);
	} else {
		printf("%s\t%s\n", k.uid, key);
		fprintf(stderr,
		        "dictum: the key is shown only now; store it safely (org %s, %s, %s)\n",
		        k.org_uid, plan, canonical);
	}
out:
	srv_key_clear(&k);
	srv_store_close(&s);
	return status;
}

static int parse_db_only(int argc, char **argv, const char **db, const char *what)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return cli_fail("keys %s: unknown option '%s'", what, argv[optind - 1]);
		*db = optarg;
	}
	return 0;
}

static int keys_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *db = NULL;
	if (parse_db_only(argc, argv, &db, "list"))
		return 1;
	if (optind != argc)
		return cli_usage("keys");
	srv_store *s = NULL;
	int status = open_db(ctx, db, &s);
	if (status)
		return status;
	struct srv_key *list = NULL;
	size_t n = 0;
	if (srv_key_list(s, &list, &n) != DICTUM_OK) {
		status = cli_fail("keys list: %s", srv_store_errmsg(s));
		goto out;
	}
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct srv_key *k = &list[i];
		const char *plan = k->plan == SRV_PLAN_ENTERPRISE ? "enterprise" : "team";
		if (arr) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(k->uid));
			json_object_object_add(o, "prefix", json_object_new_string(k->prefix));
			json_object_object_add(o, "organization_id",
			                       json_object_new_string(k->org_uid));
			json_object_object_add(o, "organization",
			                       json_object_new_string(k->org_name));
			json_object_object_add(o, "plan", json_object_new_string(plan));
			json_object_object_add(o, "scopes", json_object_new_string(k->scopes));
			json_object_object_add(o, "revoked", json_object_new_boolean(k->revoked));
			json_object_object_add(o, "created_at",
			                       json_object_new_string(k->created_at));
			json_object_array_add(arr, o);
		} else {
			printf("%s\t%s...\t%s\t%s\t%s\t%s\n", k->uid, k->prefix, k->org_name, plan,
			       k->scopes, k->revoked ? "revoked" : "active");
		}
	}
	if (arr)
		cli_print_json(arr);
	srv_keys_free(&list, n);
out:
	srv_store_close(&s);
	return status;
}

static int keys_revoke(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *db = NULL;
	if (parse_db_only(argc, argv, &db, "revoke"))
		return 1;
	if (optind != argc - 1)
		return cli_usage("keys");
	const char *id = argv[optind];
	if (!srv_id_valid("key", id))
		return cli_fail("keys revoke: '%s' is not a key id (key_ and 24 hex digits)", id);
	srv_store *s = NULL;
	int status = open_db(ctx, db, &s);
	if (status)
		return status;
	int result = srv_key_revoke(s, id);
	if (result == DICTUM_NOTFOUND)
		status = cli_fail("keys revoke: no active key %s", id);
	else if (result)
		status = cli_fail("keys revoke: %s", srv_store_errmsg(s));
	else if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "revoked", json_object_new_boolean(1));
		cli_print_json(o);
	} else
		printf("%s\trevoked\n", id);
	srv_store_close(&s);
	return status;
}

int cmd_keys(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	} subs[] = {{"create", keys_create}, {"list", keys_list}, {"revoke", keys_revoke}};
	if (argc < 2)
		return cli_usage("keys");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(ctx, argc - 1, argv + 1);
	return cli_usage("keys");
}
