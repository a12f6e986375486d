/* The http engine against a test double: a libmicrohttpd server started by
 * the test that stands in for a whisper server (which cannot run here). It
 * checks the multipart request and answers a canned verbose_json, or fails
 * on purpose to exercise retries, errors and the fall-back. */
#include "testutil.h"

#include "asr/asr.h"
#include "asr/sphinx_params.h"
#include "core/lib.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static const char canned[] =
    "{\"task\":\"transcribe\",\"language\":\"english\",\"duration\":2.0,"
    "\"text\":\" Chief complaint colon cough period\","
    "\"segments\":[{\"id\":0,\"start\":0.0,\"end\":1.2,\"text\":\" chief complaint colon\","
    "\"avg_logprob\":-0.105},"
    "{\"id\":1,\"start\":1.2,\"end\":2.0,\"text\":\" cough period\",\"avg_logprob\":-0.9}],"
    "\"words\":[{\"word\":\"chief\",\"start\":0.0,\"end\":0.4},"
    "{\"word\":\"complaint\",\"start\":0.4,\"end\":0.9},"
    "{\"word\":\"colon\",\"start\":0.9,\"end\":1.2},"
    "{\"word\":\"cough\",\"start\":1.2,\"end\":1.6},"
    "{\"word\":\"period\",\"start\":1.6,\"end\":2.0}]}";

/* What the double saw and how it should answer. */
struct double_state {
	pthread_mutex_t lock;
	int fail_first; /* answer 503 to this many requests first */
	int requests;
	bool saw_file, saw_model, saw_format, saw_wav, saw_auth, right_path;
	size_t body_bytes;
};

struct upload {
	struct dictum_buf {
		char *data;
		size_t len;
	} body;
};

static struct double_state dbl = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct MHD_Daemon *daemon_;
static unsigned short port;

static bool has(const struct upload *u, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= u->body.len; i++)
		if (memcmp(u->body.data + i, needle, n) == 0)
			return true;
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **req)
{
	struct upload *u = *req;
	if (!u) {
		u = calloc(1, sizeof(*u));
		*req = u;
		return u ? MHD_YES : MHD_NO;
	}
	if (*size) {
		char *grown = realloc(u->body.data, u->body.len + *size);
		if (!grown)
			return MHD_NO;
		memcpy(grown + u->body.len, data, *size);
		u->body.data = grown;
		u->body.len += *size;
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&dbl.lock);
	dbl.requests++;
	bool fail = dbl.requests <= dbl.fail_first;
	dbl.right_path =
	    strcmp(method, "POST") == 0 && strcmp(url, "/v1/audio/transcriptions") == 0;
	dbl.saw_file = has(u, "name=\"file\"");
	dbl.saw_model = has(u, "name=\"model\"") && has(u, "test-model");
	dbl.saw_format = has(u, "name=\"response_format\"") && has(u, "verbose_json");
	dbl.saw_wav = has(u, "RIFF") && has(u, "WAVEfmt ");
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	dbl.saw_auth = auth && strcmp(auth, "Bearer sk-test") == 0;
	dbl.body_bytes = u->body.len;
	pthread_mutex_unlock(&dbl.lock);
	const char *text = fail ? "{\"error\":\"busy\"}" : canned;
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, fail ? 503 : 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req,
                    enum MHD_RequestTerminationCode code)
{
	struct upload *u = *req;
	if (u) {
		free(u->body.data);
		free(u);
		*req = NULL;
	}
}

static int setup(void **state)
{
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
	                           NULL, on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done,
	                           NULL, MHD_OPTION_END);
	assert_non_null(daemon_);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	port = info->port;
	assert_true(port > 0);
	return 0;
}

static int teardown(void **state)
{
	MHD_stop_daemon(daemon_);
	return 0;
}

static void reset_double(int fail_first)
{
	pthread_mutex_lock(&dbl.lock);
	dbl.fail_first = fail_first;
	dbl.requests = 0;
	dbl.saw_file = dbl.saw_model = dbl.saw_format = dbl.saw_wav = dbl.saw_auth = false;
	pthread_mutex_unlock(&dbl.lock);
}

static void config_for(struct config *c, unsigned short p, const char *fallback)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)p);
	memset(c, 0, sizeof(*c));
	assert_int_equal(config_set(c, "asr.http", "url", url), DICTUM_OK);
	assert_int_equal(config_set(c, "asr.http", "model", "test-model"), DICTUM_OK);
	assert_int_equal(config_set(c, "asr.http", "key", "sk-test"), DICTUM_OK);
	assert_int_equal(config_set(c, "asr.http", "retry_delay_ms", "10"), DICTUM_OK);
	assert_int_equal(config_set(c, "asr.http", "connect_timeout", "2"), DICTUM_OK);
	assert_int_equal(config_set(c, "asr.http", "timeout", "10"), DICTUM_OK);
	if (fallback)
		assert_int_equal(config_set(c, "asr.http", "fallback", fallback), DICTUM_OK);
}

/* A port nobody listens on: bound, then closed. */
static unsigned short dead_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int16_t *tone(size_t n)
{
	int16_t *pcm = calloc(n, sizeof(*pcm));
	assert_non_null(pcm);
	for (size_t i = 0; i < n; i++)
		pcm[i] = (int16_t)((i % 40) * 200 - 4000);
	return pcm;
}

static void test_transcribes(void **state)
{
	struct config c;
	config_for(&c, port, NULL);
	reset_double(0);
	struct asr_engine *e = NULL;
	char err[256];
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_OK);
	assert_string_equal(asr_engine_name(e), "http");
	int16_t *pcm = tone(2 * ASR_SAMPLE_RATE);
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(e, pcm, 2 * ASR_SAMPLE_RATE, &t), DICTUM_OK);
	assert_true(dbl.right_path && dbl.saw_file && dbl.saw_model && dbl.saw_format);
	assert_true(dbl.saw_wav && dbl.saw_auth);
	assert_true(dbl.body_bytes > 2 * 2 * ASR_SAMPLE_RATE);
	assert_int_equal(dbl.requests, 1);

	assert_string_equal(t->engine, "http");
	assert_false(t->fell_back);
	assert_int_equal(t->n_segments, 2);
	assert_string_equal(t->segments[0].text, "chief complaint colon");
	assert_string_equal(t->segments[1].text, "cough period");
	assert_true(t->segments[1].start > 1.19 && t->segments[1].end < 2.01);
	assert_true(t->segments[0].confidence > 0.89 && t->segments[0].confidence < 0.91);
	assert_true(t->segments[1].confidence < 0.5);
	assert_int_equal(t->segments[0].n_words, 3);
	assert_int_equal(t->segments[1].n_words, 2);
	assert_string_equal(t->segments[1].words[0].text, "cough");
	assert_true(t->segments[1].words[0].confidence < 0);
	assert_true(t->duration > 1.99 && t->duration < 2.01);
	char *text = asr_transcript_text(t);
	assert_string_equal(text, "chief complaint colon cough period");
	free(text);
	asr_transcript_free(&t);

	/* An empty recording is not sent. */
	assert_int_equal(asr_start(e), DICTUM_OK);
	assert_int_equal(asr_finish(e, &t), DICTUM_OK);
	assert_int_equal(t->n_segments, 0);
	assert_int_equal(dbl.requests, 1);
	asr_transcript_free(&t);
	asr_engine_free(&e);
	free(pcm);
	config_free(&c);
}

static void test_retries(void **state)
{
	struct config c;
	config_for(&c, port, NULL);
	reset_double(2);
	struct asr_engine *e = NULL;
	char err[256];
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_OK);
	int16_t *pcm = tone(ASR_SAMPLE_RATE);
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(e, pcm, ASR_SAMPLE_RATE, &t), DICTUM_OK);
	assert_int_equal(dbl.requests, 3);
	assert_int_equal(t->n_segments, 2);
	asr_transcript_free(&t);

	/* More failures than retries: a clear error naming the status. */
	reset_double(10);
	assert_int_equal(asr_transcribe_pcm(e, pcm, ASR_SAMPLE_RATE, &t), DICTUM_NETWORK);
	assert_null(t);
	assert_int_equal(dbl.requests, 3);
	assert_non_null(strstr(asr_engine_error(e), "HTTP 503"));
	asr_engine_free(&e);
	free(pcm);
	config_free(&c);
}

static void test_unreachable(void **state)
{
	struct config c;
	config_for(&c, dead_port(), NULL);
	assert_int_equal(config_set(&c, "asr.http", "retries", "1"), DICTUM_OK);
	struct asr_engine *e = NULL;
	char err[256];
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_OK);
	int16_t *pcm = tone(ASR_SAMPLE_RATE);
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(e, pcm, ASR_SAMPLE_RATE, &t), DICTUM_NETWORK);
	assert_null(t);
	const char *why = asr_engine_error(e);
	assert_non_null(strstr(why, "unreachable"));
	assert_non_null(strstr(why, "127.0.0.1"));
	assert_non_null(strstr(why, "2 tries"));
	asr_engine_free(&e);
	free(pcm);
	config_free(&c);
}

static void test_fallback(void **state)
{
	if (!path_exists(asr_sphinx_param(NULL, "hmm"))) {
		fprintf(stderr, "skip: no PocketSphinx model for the fall-back\n");
		skip();
	}
	struct config c;
	config_for(&c, dead_port(), "sphinx");
	assert_int_equal(config_set(&c, "asr.http", "retries", "0"), DICTUM_OK);
	struct asr_engine *e = NULL;
	char err[256];
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_OK);
	int16_t *pcm = calloc(ASR_SAMPLE_RATE, sizeof(*pcm));
	assert_non_null(pcm);
	struct asr_transcript *t = NULL;
	assert_int_equal(asr_transcribe_pcm(e, pcm, ASR_SAMPLE_RATE, &t), DICTUM_OK);
	assert_true(t->fell_back);
	assert_string_equal(t->engine, "sphinx");
	assert_non_null(strstr(t->note, "unreachable"));
	assert_int_equal(t->n_segments, 0);
	asr_transcript_free(&t);
	asr_engine_free(&e);
	free(pcm);
	config_free(&c);
}

static void test_bad_config(void **state)
{
	struct config c = {0};
	struct asr_engine *e = NULL;
	char err[256] = "";
	assert_int_equal(config_set(&c, "asr.http", "url", "ftp://x"), DICTUM_OK);
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_INVAL);
	assert_non_null(strstr(err, "url"));
	assert_int_equal(config_set(&c, "asr.http", "url", "http://x"), DICTUM_OK);
	assert_int_equal(config_set(&c, "asr.http", "retries", "many"), DICTUM_OK);
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_INVAL);
	assert_non_null(strstr(err, "retries"));
	assert_int_equal(config_set(&c, "asr.http", "retries", "1"), DICTUM_OK);
	assert_int_equal(config_set(&c, "asr.http", "fallback", "http"), DICTUM_OK);
	assert_int_equal(asr_engine_create("http", &c, &e, err, sizeof(err)), DICTUM_INVAL);
	assert_null(e);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transcribes), cmocka_unit_test(test_retries),
	    cmocka_unit_test(test_unreachable), cmocka_unit_test(test_fallback),
	    cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
