#include "cli/cli.h"
#include "cli/work.h"
#include "core/lib.h"
#include "sync/sync.h"

#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROUNDS 50

static volatile sig_atomic_t sync_stop;

static void on_signal(int sig)
{
	(void)sig;
	sync_stop = 1;
}

static struct json_object *report_json(const struct sync_report *r, const char *url)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "state", json_object_new_string(sync_net_state_name(r->state)));
	if (r->message[0])
		json_object_object_add(o, "message", json_object_new_string(r->message));
	json_object_object_add(o, "server", json_object_new_string(url));
	const struct {
		const char *name;
		size_t value;
	} counts[] = {
	    {"pushed", r->pushed},
	    {"pulled", r->pulled},
	    {"pulled_new", r->pulled_new},
	    {"pulled_updated", r->pulled_updated},
	    {"kept_local", r->kept_local},
	    {"conflicts", r->conflicts},
	    {"rejected", r->rejected},
	    {"retried", r->retried},
	    {"rate_limited", r->rate_limited},
	    {"left_queued", r->after.outbox},
	    {"unresolved_conflicts", r->after.conflicts},
	    {"notes_synced", r->after.synced},
	    {"notes_queued", r->after.queued},
	    {"notes_conflict", r->after.conflict},
	    {"uploaded", r->uploaded},
	    {"uploads_resumed", r->uploads_resumed},
	    {"uploads_left", r->uploads_left},
	};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		json_object_object_add(o, counts[i].name,
		                       json_object_new_int64((int64_t)counts[i].value));
	json_object_object_add(o, "requests", json_object_new_int64((int64_t)r->requests));
	json_object_object_add(o, "waited_ms", json_object_new_int64(r->waited_ms));
	json_object_object_add(o, "upload_bytes", json_object_new_int64(r->upload_bytes));
	json_object_object_add(o, "upload_skipped_bytes",
	                       json_object_new_int64(r->upload_skipped_bytes));
	return o;
}

static void print_report(const struct sync_report *r, const char *url)
{
	printf("pushed %zu, pulled %zu (%zu new, %zu updated, %zu kept local), conflicts %zu, "
	       "left queued %zu\n",
	       r->pushed, r->pulled, r->pulled_new, r->pulled_updated, r->kept_local, r->conflicts,
	       r->after.outbox);
	if (r->uploaded || r->upload_bytes || r->uploads_left)
		printf("recordings and transcripts uploaded %zu (%.1f MB sent, %zu resumed), left %zu\n",
		       r->uploaded, (double)r->upload_bytes / 1e6, r->uploads_resumed,
		       r->uploads_left);
	if (r->after.conflicts)
		printf("%zu unresolved conflict(s): dictum sync conflicts\n", r->after.conflicts);
	if (r->rate_limited || r->waited_ms)
		printf("rate limited %zu time(s), waited %.1f s\n", r->rate_limited,
		       (double)r->waited_ms / 1000.0);
	if (r->state == SYNC_NET_OK || r->state == SYNC_NET_CONFLICT)
		printf("state: %s (%s, %lu requests)\n", sync_net_state_name(r->state), url,
		       r->requests);
	else
		printf("%s: %s\n", sync_net_state_name(r->state), r->message[0] ? r->message : url);
}

/* Upload progress on standard error, every tenth of a recording. */
static void on_progress(void *arg, const char *uid, int64_t done, int64_t total)
{
	int *last = arg;
	int tenth = total > 0 ? (int)(done * 10 / total) : 10;
	if (tenth == *last)
		return;
	*last = tenth == 10 ? -1 : tenth;
	fprintf(stderr, "dictum: uploading %s: %.1f of %.1f MB\n", uid, (double)done / 1e6,
	        (double)total / 1e6);
}

/* Adds b's counts to a (a keeps b's final state and store counts). */
static void add_report(struct sync_report *a, const struct sync_report *b)
{
	size_t *fa[] = {&a->pushed,       &a->pulled,    &a->pulled_new,     &a->pulled_updated,
	                &a->kept_local,   &a->conflicts, &a->rejected,       &a->retried,
	                &a->rate_limited, &a->uploaded,  &a->uploads_resumed};
	const size_t *fb[] = {&b->pushed,         &b->pulled,         &b->pulled_new,
	                      &b->pulled_updated, &b->kept_local,     &b->conflicts,
	                      &b->rejected,       &b->retried,        &b->rate_limited,
	                      &b->uploaded,       &b->uploads_resumed};
	for (size_t i = 0; i < sizeof(fa) / sizeof(fa[0]); i++)
		*fa[i] += *fb[i];
	a->waited_ms += b->waited_ms;
	a->upload_bytes += b->upload_bytes;
	a->upload_skipped_bytes += b->upload_skipped_bytes;
	a->uploads_left = b->uploads_left;
	a->requests += b->requests;
	if (!(b->state == SYNC_NET_OK && a->state == SYNC_NET_CONFLICT))
		a->state = b->state;
	if (b->message[0])
		memcpy(a->message, b->message, sizeof(a->message));
	a->after = b->after;
}

static int conflicts_list(struct cli_ctx *ctx, store *s)
{
	struct store_conflict *list = NULL;
	size_t n = 0;
	if (store_sync_conflict_list(s, &list, &n))
		return cli_fail("sync conflicts: %s", store_errmsg(s));
	struct json_object *arr = ctx->json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (arr) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_int64(list[i].id));
			json_object_object_add(o, "note_id",
			                       json_object_new_int64(list[i].note_id));
			json_object_object_add(o, "note_uid",
			                       json_object_new_string(list[i].note_uid));
			json_object_object_add(o, "local_version",
			                       json_object_new_int(list[i].local_version));
			json_object_object_add(o, "server_version",
			                       json_object_new_int(list[i].server_version));
			json_object_object_add(o, "server_note",
			                       json_tokener_parse(list[i].server_note));
			json_object_object_add(o, "created_at",
			                       json_object_new_string(list[i].created_at));
			json_object_array_add(arr, o);
		} else {
			printf("%lld\tnote %lld (%s)\tlocal v%d\tserver v%d\t%s\n",
			       (long long)list[i].id, (long long)list[i].note_id, list[i].note_uid,
			       list[i].local_version, list[i].server_version, list[i].created_at);
		}
	}
	if (arr)
		cli_print_json(arr);
	else if (!n)
		printf("no conflicts\n");
	store_conflicts_free(&list, n);
	return 0;
}

static int conflicts_resolve(store *s, int argc, char **argv)
{
	int64_t id = 0;
	if (argc != 4 || !cli_parse_id(argv[2], &id) ||
	    (strcmp(argv[3], "--keep-local") != 0 && strcmp(argv[3], "--keep-server") != 0))
		return cli_fail(
		    "sync resolve: needs a conflict id and --keep-local or --keep-server");
	enum store_resolution how =
	    strcmp(argv[3], "--keep-local") == 0 ? STORE_KEEP_LOCAL : STORE_KEEP_SERVER;
	if (store_sync_conflict_resolve(s, id, how, cli_user()))
		return cli_fail("sync resolve: %s", store_errmsg(s));
	printf("conflict %lld resolved: %s\n", (long long)id,
	       how == STORE_KEEP_LOCAL ? "the local note is queued on top of the server's"
	                               : "the server's copy replaced the local note");
	return 0;
}

int cmd_sync(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"once", no_argument, NULL, 'o'},
	    {"strict", no_argument, NULL, 's'},
	    {"no-pull", no_argument, NULL, 'n'},
	    {"max-wait", required_argument, NULL, 'w'},
	    {NULL, 0, NULL, 0},
	};
	bool once = false, strict = false;
	int last_tenth = -1;
	struct sync_options opt = {
	    .cancel = &sync_stop, .progress = on_progress, .progress_arg = &last_tenth};
	store *s = NULL;
	struct sync_client *client = NULL;
	int status = 1, c;
	if (argc > 1 && (strcmp(argv[1], "conflicts") == 0 || strcmp(argv[1], "resolve") == 0)) {
		if (cli_open_store(ctx, &s))
			return 1;
		status = strcmp(argv[1], "conflicts") == 0 ? conflicts_list(ctx, s)
		                                           : conflicts_resolve(s, argc, argv);
		store_close(&s);
		return status;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			once = true;
		else if (c == 's')
			strict = true;
		else if (c == 'n')
			opt.no_pull = true;
		else if (c == 'w' && atol(optarg) > 0)
			opt.max_wait_ms = (int64_t)atol(optarg) * 1000;
		else if (c == 'w')
			return cli_fail("sync: --max-wait wants a number of seconds above 0");
		else
			return cli_fail("sync: unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage("sync");
	struct sync_client_config cfg;
	char err[256] = "";
	sync_client_config_from(&cfg, &ctx->config);
	if (sync_client_new(&cfg, &client, err, sizeof(err)))
		return cli_fail("sync: %s", err);
	if (cli_open_store(ctx, &s))
		goto out;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct sync_report total = {0}, pass;
	int result = DICTUM_OK;
	for (int round = 0; round < MAX_ROUNDS && !sync_stop; round++) {
		result = sync_once(s, client, &opt, &pass);
		add_report(&total, &pass);
		if (result || once || pass.state >= SYNC_NET_OFFLINE || !pass.after.outbox)
			break;
		/* rows put off by backoff: wait for the next one if it is soon */
		int64_t due = 0;
		if (store_sync_outbox_next_due(s, &due) || due - time_wall_ms() > 30000)
			break;
		while (!sync_stop && time_wall_ms() < due)
			usleep(50000);
	}
	if (result) {
		cli_fail("sync: %s; the outbox is intact", total.message);
		goto out;
	}
	struct cli_work_report work = {0};
	if (!sync_stop && cli_encounter_work(ctx, s, client, &work))
		goto out;
	if (work.notes_made && !sync_stop) {
		/* the drafted notes go to the server in the same run */
		if (sync_once(s, client, &opt, &pass) == DICTUM_OK)
			add_report(&total, &pass);
	}
	if (ctx->json) {
		struct json_object *o = report_json(&total, sync_client_url(client));
		json_object_object_add(o, "drafted_by_server",
		                       json_object_new_int64((int64_t)work.server));
		json_object_object_add(o, "drafted_locally",
		                       json_object_new_int64((int64_t)work.local));
		json_object_object_add(o, "drafts_failed",
		                       json_object_new_int64((int64_t)work.failed));
		json_object_object_add(o, "notes_drafted",
		                       json_object_new_int64((int64_t)work.notes_made));
		cli_print_json(o);
	} else {
		print_report(&total, sync_client_url(client));
		if (work.server || work.local || work.failed)
			printf("recordings drafted: %zu by the server, %zu locally (server "
			       "unreachable), "
			       "%zu failed\n",
			       work.server, work.local, work.failed);
	}
	status = sync_exit_status(&total, strict);
	if (status && !ctx->json)
		fprintf(stderr,
		        "dictum: sync: %s: %s; nothing local was lost (%zu change(s) stay "
		        "queued)\n",
		        sync_net_state_name(total.state), total.message, total.after.outbox);
out:
	store_close(&s);
	sync_client_free(&client);
	return status;
}
