#include "cli/cli.h"
#include "core/lib.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dictum: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < cli_command_count; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

int cli_usage(const char *command)
{
	const struct cli_command *c = find_command(command);
	if (c)
		fprintf(stderr, "usage: dictum %s %s\n", c->name, c->usage);
	return 2;
}

void cli_print_help(FILE *out)
{
	fprintf(out,
	        "Dictum %s: an offline-first clinical scribe for the terminal.\n\n"
	        "usage: dictum [--data-dir DIR] [--json] [COMMAND [ARGS]]\n\n"
	        "With no command, dictum opens the workstation.\n\nCommands:\n",
	        DICTUM_VERSION);
	for (size_t i = 0; i < cli_command_count; i++)
		fprintf(out, "  %-12s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fprintf(out, "\nOptions for every command:\n"
	             "  --data-dir DIR  the store and recordings (default $XDG_DATA_HOME/dictum;\n"
	             "                  DICTUM_DATA_DIR also sets it)\n"
	             "  --json          print results as JSON\n"
	             "  --version       print the version\n"
	             "  --help          this text, or a command's usage after its name\n");
}

int cli_open_store(struct cli_ctx *ctx, store **out)
{
	int rc = mkdir_p(ctx->paths.data_dir, 0700);
	if (rc)
		return cli_fail("cannot create the data directory %s: %s; choose another with "
		                "--data-dir",
		                ctx->paths.data_dir, strerror(-rc));
	char err[1024];
	if (store_open(ctx->paths.db_file, out, err, sizeof(err)) != DICTUM_OK)
		return cli_fail("%s", err);
	return 0;
}

void cli_print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

const char *cli_user(void)
{
	return user_name();
}

bool cli_parse_id(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return false;
	*out = v;
	return true;
}

int cli_main(int argc, char **argv)
{
	struct cli_ctx ctx = {0};
	bool help = false;
	char **args = xcalloc((size_t)argc + 1, sizeof(*args));
	int nargs = 0, status = 0;

	log_init_from_env();
	/* Global options may stand anywhere; the rest goes to the command. */
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i == 0) {
			args[nargs++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			while (i < argc)
				args[nargs++] = argv[i++];
		} else if (strcmp(a, "--json") == 0) {
			ctx.json = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			help = true;
		} else if (strcmp(a, "--version") == 0) {
			printf("dictum %s\n", DICTUM_VERSION);
			goto out;
		} else if (strcmp(a, "--data-dir") == 0) {
			if (i + 1 >= argc) {
				status = cli_fail("--data-dir needs a directory");
				goto out;
			}
			ctx.data_dir = argv[++i];
		} else if (strncmp(a, "--data-dir=", 11) == 0) {
			ctx.data_dir = a + 11;
		} else {
			args[nargs++] = argv[i];
		}
	}
	args[nargs] = NULL;

	const struct cli_command *cmd = nargs > 1 ? find_command(args[1]) : NULL;
	if (help) {
		if (cmd)
			printf("usage: dictum %s %s\n  %s\n", cmd->name, cmd->usage, cmd->summary);
		else
			cli_print_help(stdout);
		goto out;
	}
	if (nargs > 1 && !cmd) {
		status =
		    cli_fail("unknown command '%s'; run 'dictum --help' for the list", args[1]);
		goto out;
	}

	char config_file[1100];
	int bad_line = 0;
	if (paths_config_file(config_file, sizeof(config_file)) == DICTUM_OK &&
	    config_load(&ctx.config, config_file, &bad_line) == DICTUM_INVAL)
		fprintf(stderr, "dictum: warning: %s line %d is not 'key = value'; ignored\n",
		        config_file, bad_line);
	if (paths_resolve(&ctx.paths, &ctx.config, ctx.data_dir) != DICTUM_OK) {
		status = cli_fail("cannot find a data directory: set HOME, XDG_DATA_HOME or "
		                  "--data-dir");
		goto out;
	}
	/* Whatever resolves the data directory later (the speech engine's user
	 * model and voice profile, in this process and its children) sees
	 * --data-dir too: it outranks the variable, and the variable the config. */
	if (ctx.data_dir && setenv("DICTUM_DATA_DIR", ctx.paths.data_dir, 1) != 0) {
		status = cli_fail("cannot set DICTUM_DATA_DIR: %s", strerror(errno));
		goto out;
	}
	if (!cmd)
		status = cmd_workstation(&ctx, nargs - 1, args + 1);
	else
		status = cmd->run(&ctx, nargs - 1, args + 1);
out:
	config_free(&ctx.config);
	free(args);
	return status;
}
