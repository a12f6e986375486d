#include "cli/cli.h"
#include "core/lib.h"
#include "server/server.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cli_server_db(struct cli_ctx *ctx, const char *db, char *out, size_t size)
{
	if (db) {
		str_copy(out, db, size);
		return 0;
	}
	int rc = mkdir_p(ctx->paths.data_dir, 0700);
	if (rc)
		return cli_fail("cannot create the data directory %s: %s", ctx->paths.data_dir,
		                strerror(-rc));
	if ((size_t)snprintf(out, size, "%s/server.db", ctx->paths.data_dir) >= size)
		return cli_fail("the data directory path is too long");
	return 0;
}

int cmd_serve(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"db", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	struct srv_config cfg;
	const char *listen = NULL, *db = NULL;
	char bad[128] = "";
	int c;
	srv_config_defaults(&cfg);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			listen = optarg;
		else if (c == 'd')
			db = optarg;
		else
			return cli_fail("serve: unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage("serve");
	if (srv_config_apply(&cfg, &ctx->config, bad, sizeof(bad)) != DICTUM_OK)
		return cli_fail("serve: bad server setting %s (config.ini [server] or environment)",
		                bad);
	cfg.config = &ctx->config;
	if (listen && srv_config_listen(&cfg, listen) != DICTUM_OK)
		return cli_fail("serve: --listen wants HOST:PORT, e.g. 127.0.0.1:8750");
	if (cli_server_db(ctx, db, cfg.db_path, sizeof(cfg.db_path)))
		return 1;
	char err[1024] = "";
	if (srv_run(&cfg, err, sizeof(err)) != DICTUM_OK)
		return cli_fail("serve: %s", err);
	return 0;
}
