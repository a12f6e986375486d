/* A bounded fuzz driver for the request parsing of `dictum serve`:
 * mutates well-formed requests to every route (request line, headers,
 * Content-Length, JSON bodies, ids, cursors, If-Match, Idempotency-Key)
 * and sends them to a running server over loopback, checking after every
 * batch that it still answers GET /health. When it stops answering, the
 * inputs of the last batch are written to OUTDIR as regression cases.
 *
 * usage: fuzz_server PORT KEY SECONDS SEED OUTDIR   (fuzz for a while)
 *        fuzz_server PORT KEY --replay FILE...      (send saved inputs;
 *                                                    @KEY@ becomes KEY)
 * Exits 0 when the server survived, 1 when it did not, 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INPUT 65536
#define BATCH     50

static unsigned port;
static const char *key;
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Sends data and reads until the server closes or 250 ms pass. Returns the
 * status of the answer, 0 when none came, -1 when no connection. */
static int exchange(const char *data, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	size_t sent = 0;
	while (sent < len) {
		ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	char buf[4096];
	int status = 0;
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (poll(&p, 1, 250) > 0) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= sizeof(buf) - 1)
			got = 0;
		buf[got] = '\0';
		if (!status && strncmp(buf, "HTTP/1.", 7) == 0 && got > 12)
			status = atoi(buf + 9);
	}
	close(fd);
	return status;
}

static int health(void)
{
	static const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	for (int i = 0; i < 20; i++) {
		if (exchange(req, sizeof(req) - 1) == 200)
			return 1;
		usleep(100000);
	}
	return 0;
}

static const char *const paths[] = {
    "/health",
    "/health/auth",
    "/workspaces/me",
    "/api/clinical/notes",
    "/api/clinical/notes?limit=5&noteType=progressNote&from=2026-01-01&cursor=bjE6NQ",
    "/api/clinical/notes?updated_since=0",
    "/api/clinical/notes/note_000000000000000000000000",
    "/api/clinical/notes/note_000000000000000000000000/export",
    "/api/clinical/notes/generate",
    "/api/v1/pcr/templates/community?skip=1&limit=2&search=soap",
    "/jobs?status=queued",
    "/jobs/job_000000000000000000000000",
    "/jobs/job_000000000000000000000000/cancel",
    "/webhooks",
    "/webhooks/whk_000000000000000000000000",
};
static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS"};
static const char *const bodies[] = {
    "{\"noteType\":\"progressNote\",\"sections\":[{\"key\":\"hpi\",\"title\":\"HPI\",\"text\":"
    "\"x\"}],"
    "\"patient\":{\"first_name\":\"A\",\"last_name\":\"B\"}}",
    "{\"noteType\":\"progressNote\",\"text\":\"Cough for 3 days. Plan: "
    "rest.\",\"mode\":\"ambient\"}",
    "{\"sections\":[],\"status\":\"signed\"}",
    "{\"format\":\"markdown\",\"webhook_url\":\"http://127.0.0.1:9/x\"}",
    "{\"url\":\"http://127.0.0.1:9/x\",\"events\":[\"note.created\"]}",
    "[]",
    "{\"a\":{\"b\":{\"c\":{\"d\":[[[[[[[[[[1]]]]]]]]]]}}}}",
    "\"\\ud800\"",
};
static const char *const junk[] = {
    "\r\n",
    "\n",
    "\0",
    "%00",
    "%",
    "{",
    "}",
    "\"",
    "\\",
    "[",
    "]",
    ":",
    ",",
    "\xff\xfe",
    "Transfer-Encoding: chunked\r\n",
    "Content-Length: 99999999999999999999\r\n",
    "Content-Length: -1\r\n",
    "If-Match: W/\"99999999999\"\r\n",
    "Idempotency-Key: \x01\r\n",
    "X-API-KEY: \r\n",
    "Authorization: Bearer\r\n",
    "Content-Type: application/json; x\r\n",
    "/..",
    "/%2e%2e/",
    "?cursor=====",
    "?limit=-1",
    "?limit=1e9",
    "note_",
    "job_zz",
    "--fz\r\n",
    "--fz--\r\n",
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n",
    "Content-Disposition: form-data; name=\"\"; filename=\r\n",
    "Content-Type: multipart/form-data; boundary=\r\n",
    "RIFF\xff\xff\xff\x7fWAVEfmt ",
    "; filename*=UTF-8''%ff",
};

/* Multipart routes and parts (audio uploads): fields, a file part holding
 * a WAV header that claims more than it holds, and the closing boundary. */
static const char *const form_paths[] = {
    "/api/clinical/transcribe",
    "/api/v1/pcr/upload/",
    "/api/v1/pcr/audio/notes",
    "/v1/audio/transcriptions",
};
static const char *const form_parts[] = {
    "--fz\r\nContent-Disposition: form-data; name=\"template_id\"\r\n\r\n"
    "64d1c7a0e3b5f10000000001\r\n",
    "--fz\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\nverbose_json\r\n",
    "--fz\r\nContent-Disposition: form-data; name=\"first_name\"\r\n\r\nTony\r\n",
    "--fz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
    "Content-Type: audio/wav\r\n\r\nRIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
    "\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x10\x00\x00\x01\x02\x03\x04\r\n",
    "--fz\r\nContent-Disposition: form-data; name=\"files\"; filename=\"n.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\nCough for 3 days.\r\n",
};

static size_t build_form(char *out, size_t cap)
{
	char body[4096];
	size_t bl = 0;
	int parts = 1 + (int)(rnd() % 4);
	for (int i = 0; i < parts; i++)
		bl += (size_t)snprintf(
		    body + bl, sizeof(body) - bl, "%s",
		    form_parts[rnd() % (sizeof(form_parts) / sizeof(form_parts[0]))]);
	bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "--fz--\r\n");
	int n = snprintf(out, cap,
	                 "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: %s\r\n"
	                 "Content-Type: multipart/form-data; boundary=fz\r\n"
	                 "Idempotency-Key: fuzz-%u\r\nConnection: close\r\n"
	                 "Content-Length: %zu\r\n\r\n%s",
	                 form_paths[rnd() % (sizeof(form_paths) / sizeof(form_paths[0]))], key,
	                 rnd() % 64, bl, body);
	return (size_t)n;
}

static size_t build(char *out, size_t cap)
{
	if (rnd() % 3 == 0)
		return build_form(out, cap);
	const char *body = bodies[rnd() % (sizeof(bodies) / sizeof(bodies[0]))];
	int with_body = rnd() % 4 != 0;
	int n = snprintf(out, cap,
	                 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: %s\r\n"
	                 "Content-Type: application/json\r\nIf-Match: \"1\"\r\n"
	                 "Idempotency-Key: fuzz-%u\r\nConnection: close\r\n",
	                 methods[rnd() % (sizeof(methods) / sizeof(methods[0]))],
	                 paths[rnd() % (sizeof(paths) / sizeof(paths[0]))], key, rnd() % 64);
	if (with_body)
		n += snprintf(out + n, cap - (size_t)n, "Content-Length: %zu\r\n\r\n%s",
		              strlen(body), body);
	else
		n += snprintf(out + n, cap - (size_t)n, "\r\n");
	return (size_t)n;
}

static size_t mutate(char *buf, size_t len, size_t cap)
{
	int rounds = 1 + (int)(rnd() % 6);
	for (int r = 0; r < rounds && len > 0; r++) {
		size_t at = rnd() % len;
		switch (rnd() % 6) {
		case 0: /* flip a byte */
			buf[at] = (char)(buf[at] ^ (1u << (rnd() % 8)));
			break;
		case 1: { /* insert junk */
			const char *j = junk[rnd() % (sizeof(junk) / sizeof(junk[0]))];
			size_t jl = j[0] ? strlen(j) : 1;
			if (len + jl < cap) {
				memmove(buf + at + jl, buf + at, len - at);
				memcpy(buf + at, j, jl);
				len += jl;
			}
			break;
		}
		case 2: /* truncate */
			len = at + 1;
			break;
		case 3: { /* repeat a piece */
			size_t n = 1 + rnd() % 64;
			if (at + n <= len && len + n * 8 < cap)
				for (int k = 0; k < 8; k++) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
			break;
		}
		case 4: /* delete a piece */ {
			size_t n = rnd() % 16;
			if (at + n < len) {
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
			}
			break;
		}
		default: /* random byte */
			buf[at] = (char)rnd();
			break;
		}
	}
	return len;
}

static int replay(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "fuzz_server: cannot read %s\n", argv[i]);
			return 2;
		}
		static char buf[MAX_INPUT];
		size_t n = fread(buf, 1, sizeof(buf) - 256, f);
		fclose(f);
		/* @KEY@ stands for the key, so saved inputs get past authentication. */
		char *at = NULL;
		for (size_t k = 0; !at && k + 5 <= n; k++)
			if (memcmp(buf + k, "@KEY@", 5) == 0)
				at = buf + k;
		if (at && strlen(key) < 200) {
			size_t kl = strlen(key);
			memmove(at + kl, at + 5, n - (size_t)(at - buf) - 5);
			memcpy(at, key, kl);
			n = n - 5 + kl;
		}
		int st = exchange(buf, n);
		printf("%s: %d\n", argv[i], st);
		if (!health()) {
			printf("not ok - the server stopped answering after %s\n", argv[i]);
			return 1;
		}
	}
	printf("ok - the server answered after %d saved inputs\n", argc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	port = (unsigned)atoi(argv[1]);
	key = argv[2];
	if (strcmp(argv[3], "--replay") == 0)
		return replay(argc - 4, argv + 4);
	if (argc != 6)
		return 2;
	int seconds = atoi(argv[3]);
	rng_state = strtoull(argv[4], NULL, 10) * 2654435761u + 1;
	const char *outdir = argv[5];
	static char inputs[BATCH][MAX_INPUT];
	static size_t lens[BATCH];
	time_t end = time(NULL) + seconds;
	unsigned long total = 0, answered = 0;
	while (time(NULL) < end) {
		for (int i = 0; i < BATCH; i++) {
			lens[i] = build(inputs[i], MAX_INPUT / 2);
			lens[i] = mutate(inputs[i], lens[i], MAX_INPUT);
			if (exchange(inputs[i], lens[i]) > 0)
				answered++;
			total++;
		}
		if (!health()) {
			for (int i = 0; i < BATCH; i++) {
				char path[4096];
				snprintf(path, sizeof(path), "%s/crash-%lu-%02d.http", outdir,
				         total, i);
				FILE *f = fopen(path, "wb");
				if (f) {
					fwrite(inputs[i], 1, lens[i], f);
					fclose(f);
				}
			}
			printf(
			    "not ok - the server stopped answering; the last %d inputs are in %s\n",
			    BATCH, outdir);
			return 1;
		}
	}
	printf("ok - %lu mutated requests in %d s, %lu answered, the server still answers\n", total,
	       seconds, answered);
	return 0;
}
