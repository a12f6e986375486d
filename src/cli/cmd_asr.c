#include "asr/asr.h"
#include "asr/lm_build.h"
#include "cli/cli.h"
#include "core/lib.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Words of the corpus the recogniser has no pronunciation for. */
struct unknown {
	struct asr_engine *e;
	struct dynbuf list;
	size_t n;
};

static int note_unknown(const char *word, void *ctx)
{
	struct unknown *u = ctx;
	if (asr_engine_knows(u->e, word) != 0)
		return 0;
	u->n++;
	if (u->n <= 20 && dynbuf_printf(&u->list, "%s%s", u->n > 1 ? ", " : "", word))
		return 1;
	return 0;
}

/* dictum asr adapt [--corpus FILE...] [--signed-notes]: the user's model,
 * used from then on. */
static int adapt(struct cli_ctx *ctx, int argc, char **argv)
{
	/* Files follow --corpus; --signed-notes may come before or after them. */
	bool from_notes = false, corpus = false, in_corpus = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--signed-notes") == 0)
			from_notes = true, in_corpus = false;
		else if (strcmp(argv[i], "--corpus") == 0)
			in_corpus = true;
		else if ((argv[i][0] == '-' && argv[i][1]) || !in_corpus)
			return cli_usage("asr");
		else
			corpus = true;
	}
	if (!from_notes && !corpus)
		return cli_usage("asr");
	int status = 0;
	char *text = NULL, err[512] = "";
	struct unknown u = {0};
	store *s = NULL;
	size_t nnotes = 0;
	dynbuf_init(&u.list, 4096);
	struct lm_build *b = lm_build_new();
	if (!b)
		return cli_fail("asr adapt: out of memory");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--signed-notes") == 0 || strcmp(argv[i], "--corpus") == 0)
			continue;
		int rc = file_read_all(argv[i], (size_t)256 << 20, &text, NULL);
		if (rc) {
			status = cli_fail("asr adapt: cannot read %s: %s", argv[i], strerror(-rc));
			goto cleanup;
		}
		if ((rc = lm_build_add_text(b, text))) {
			status = cli_fail("asr adapt: %s: %s", argv[i], dictum_strerror(rc));
			goto cleanup;
		}
		free(text);
		text = NULL;
	}
	if (from_notes) {
		if ((status = cli_open_store(ctx, &s)))
			goto cleanup;
		int rc = store_signed_notes_each(s, NULL, lm_build_add_text_cb, b, &nnotes);
		if (rc) {
			status =
			    cli_fail("asr adapt: signed notes: %s",
			             rc == DICTUM_FULL ? dictum_strerror(rc) : store_errmsg(s));
			goto cleanup;
		}
		if (!nnotes && !corpus) {
			status = cli_fail("asr adapt: no signed notes yet: sign notes first, or "
			                  "give --corpus FILE");
			goto cleanup;
		}
	}
	char where[1200];
	const char *path = asr_user_lm_file(&ctx->config, where, sizeof(where));
	struct lm_build_stats st;
	if (lm_build_write(b, path, &st, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("asr adapt: %s", err);
		goto cleanup;
	}
	/* Which words the recogniser cannot say: they stay out of its search. */
	if (asr_engine_create("sphinx", &ctx->config, &u.e, err, sizeof(err)) == DICTUM_OK)
		lm_build_each_word(b, note_unknown, &u);
	else
		fprintf(stderr, "dictum: asr adapt: cannot check the words: %s\n", err);
	const char *weight = config_get(&ctx->config, "asr.sphinx", "user_weight", "0.3");
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "model", json_object_new_string(path));
		if (from_notes)
			json_object_object_add(o, "signed_notes",
			                       json_object_new_int64((int64_t)nnotes));
		json_object_object_add(o, "sentences",
		                       json_object_new_int64((int64_t)st.sentences));
		json_object_object_add(o, "words", json_object_new_int64((int64_t)st.tokens));
		json_object_object_add(o, "vocabulary", json_object_new_int64((int64_t)st.vocab));
		struct json_object *ng = json_object_new_array();
		for (int i = 0; i < 3; i++)
			json_object_array_add(ng, json_object_new_int64((int64_t)st.ngrams[i]));
		json_object_object_add(o, "ngrams", ng);
		json_object_object_add(o, "unknown_words", json_object_new_int64((int64_t)u.n));
		json_object_object_add(o, "weight", json_object_new_double(atof(weight)));
		cli_print_json(o);
	} else {
		if (from_notes)
			printf("%zu signed notes\n", nnotes);
		printf("user model: %zu sentences, %zu words (%zu distinct), %zu/%zu/%zu n-grams\n"
		       "  -> %s\n  used from now on by the sphinx engine, weight %s "
		       "([asr.sphinx] user_weight)\n",
		       st.sentences, st.tokens, st.vocab, st.ngrams[0], st.ngrams[1], st.ngrams[2],
		       path, weight);
		if (u.n)
			printf("  %zu words have no pronunciation and are left out: %s%s\n", u.n,
			       dynbuf_str(&u.list), u.n > 20 ? ", ..." : "");
	}
cleanup:
	asr_engine_free(&u.e);
	dynbuf_free(&u.list);
	lm_build_free(&b);
	store_close(&s);
	free(text);
	return status;
}

int cmd_asr(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "adapt") == 0)
		return adapt(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return cmd_asr_enroll(ctx, argc - 1, argv + 1);
	return cli_usage("asr");
}
