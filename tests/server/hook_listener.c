/* A webhook receiver for the server tests: listens on 127.0.0.1 on a free
 * port, writes the port to PORTFILE, and appends each POST it receives
 * to OUTFILE as one JSON line {path, event, signature, body}. With
 * --fail N it answers 500 to the first N posts (to exercise retries).
 * usage: hook_listener PORTFILE OUTFILE [--fail N]; stops on SIGTERM. */
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct post {
	char *data;
	size_t len;
};

static const char *out_path;
static int fail_left;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct post *p = *con_cls;
	if (!p) {
		*con_cls = calloc(1, sizeof(struct post));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size) {
		char *grown = realloc(p->data, p->len + *upload_data_size + 1);
		if (!grown)
			return MHD_NO;
		p->data = grown;
		memcpy(p->data + p->len, upload_data, *upload_data_size);
		p->len += *upload_data_size;
		p->data[p->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	unsigned status = 200;
	pthread_mutex_lock(&lock);
	if (fail_left > 0) {
		fail_left--;
		status = 500;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(url));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	const char *ev = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Dictum-Event");
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Dictum-Signature");
	json_object_object_add(o, "event", json_object_new_string(ev ? ev : ""));
	json_object_object_add(o, "signature", json_object_new_string(sig ? sig : ""));
	json_object_object_add(o, "body", json_object_new_string(p->data ? p->data : ""));
	FILE *f = fopen(out_path, "a");
	if (f) {
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		fclose(f);
	}
	json_object_put(o);
	pthread_mutex_unlock(&lock);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct post *p = *con_cls;
	if (p) {
		free(p->data);
		free(p);
	}
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--fail") == 0)) {
		fprintf(stderr, "usage: hook_listener PORTFILE OUTFILE [--fail N]\n");
		return 2;
	}
	out_path = argv[2];
	fail_left = argc == 5 ? atoi(argv[4]) : 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct MHD_Daemon *d = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
	if (!d)
		return 1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	fprintf(f, "%u\n", info ? info->port : 0);
	fclose(f);
	rename(tmp, argv[1]);
	int sig;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	return 0;
}
