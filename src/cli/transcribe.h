#ifndef DICTUM_CLI_TRANSCRIBE_H
#define DICTUM_CLI_TRANSCRIBE_H

/* Audio file to transcript, shared by `dictum transcribe` and `dictum note`. */

#include "cli/cli.h"

struct asr_transcript;
struct json_object;

/* Decodes path (any format audio/ reads; "-" is standard input) and
 * transcribes it with the engine called engine (NULL: [asr] engine from
 * config). An empty recording gives a transcript with no segments. On
 * success sets *out (free it with asr_transcript_free) and returns
 * DICTUM_OK; otherwise returns the error and writes a one-line reason
 * into err. Prints nothing. */
int cli_transcribe_file(struct cli_ctx *ctx, const char *path, const char *engine,
                        struct asr_transcript **out, char *err, size_t errlen);

/* The transcript as JSON: engine, duration, low_confidence_below, text and
 * segments with their words, each word's confidence and a low_confidence
 * mark (confidence under low). NULL when memory runs out. */
struct json_object *cli_transcript_json(const struct asr_transcript *t, double low);

#endif
