#include "cli/cli.h"
#include "ui/workstation.h"

int cmd_workstation(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1)
		return cli_fail("workstation: takes no arguments");
	return workstation_run(&ctx->paths, &ctx->config);
}
