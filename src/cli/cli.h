#ifndef DICTUM_CLI_CLI_H
#define DICTUM_CLI_CLI_H

/* The scriptable commands. Each command is a row in one table
 * (commands.c) that feeds the dispatcher and `dictum --help`. */

#include "core/config.h"
#include "offline/store.h"

#include <stdbool.h>
#include <stdio.h>

struct json_object;

struct cli_ctx {
	const char *data_dir; /* --data-dir, or NULL */
	bool json;            /* --json */
	struct config config;
	struct dictum_paths paths;
};

struct cli_command {
	const char *name;
	const char *usage;   /* arguments after the name */
	const char *summary; /* one line for --help */
	/* argv[0] is the command name. Returns the process exit status. */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;

/* Runs dictum with the given arguments; returns the exit status. */
int cli_main(int argc, char **argv);
void cli_print_help(FILE *out);

/* Prints "dictum: <message>" on one line to stderr and returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage line for a command and returns 2. */
int cli_usage(const char *command);

/* Creates the data directory and opens the store; prints the reason and
 * returns non-zero on failure. */
int cli_open_store(struct cli_ctx *ctx, store **out);

/* Prints a JSON value followed by a newline and frees it. */
void cli_print_json(struct json_object *obj);

/* Who is at the keyboard, for note versions: $USER, else "clinician". */
const char *cli_user(void);

/* Parses a positive integer id; returns false if s is not one. */
bool cli_parse_id(const char *s, int64_t *out);

int cmd_patients(struct cli_ctx *ctx, int argc, char **argv);
int cmd_notes(struct cli_ctx *ctx, int argc, char **argv);
int cmd_db(struct cli_ctx *ctx, int argc, char **argv);
int cmd_encounters(struct cli_ctx *ctx, int argc, char **argv);
int cmd_workstation(struct cli_ctx *ctx, int argc, char **argv);
int cmd_devices(struct cli_ctx *ctx, int argc, char **argv);
int cmd_record(struct cli_ctx *ctx, int argc, char **argv);
int cmd_recover(struct cli_ctx *ctx, int argc, char **argv);
int cmd_serve(struct cli_ctx *ctx, int argc, char **argv);
int cmd_keys(struct cli_ctx *ctx, int argc, char **argv);
int cmd_transcribe(struct cli_ctx *ctx, int argc, char **argv);
int cmd_asr(struct cli_ctx *ctx, int argc, char **argv);
/* `dictum asr enroll` (cmd_enroll.c); argv[0] is "enroll". */
int cmd_asr_enroll(struct cli_ctx *ctx, int argc, char **argv);
/* The server database: db when given, else DATA_DIR/server.db (creating
 * the data directory). Returns 0, or prints the reason and returns 1. */
int cli_server_db(struct cli_ctx *ctx, const char *db, char *out, size_t size);
int cmd_note(struct cli_ctx *ctx, int argc, char **argv);
int cmd_templates(struct cli_ctx *ctx, int argc, char **argv);
int cmd_icd10(struct cli_ctx *ctx, int argc, char **argv);
int cmd_billing(struct cli_ctx *ctx, int argc, char **argv);
int cmd_hcc(struct cli_ctx *ctx, int argc, char **argv);
int cmd_sync(struct cli_ctx *ctx, int argc, char **argv);

#endif
