/* The pure parts of the server: route matching, cursors, rate-limit
 * windows, key hashing and scopes, typed ids, webhook signatures. */
#include "testutil.h"

#include "server/auth.h"
#include "server/cursor.h"
#include "server/internal.h"
#include "server/ratelimit.h"
#include "server/route.h"

static void test_route_match(void **state)
{
	struct srv_route_params p;
	assert_true(srv_route_match("/health", "/health", &p));
	assert_int_equal(p.count, 0);
	assert_false(srv_route_match("/health", "/health/", &p));
	assert_false(srv_route_match("/health", "/healthz", &p));
	assert_true(srv_route_match("/api/clinical/notes/{id}", "/api/clinical/notes/note_1", &p));
	assert_int_equal(p.count, 1);
	assert_string_equal(p.value[0], "note_1");
	assert_false(srv_route_match("/api/clinical/notes/{id}", "/api/clinical/notes/", &p));
	assert_false(srv_route_match("/api/clinical/notes/{id}", "/api/clinical/notes/a/b", &p));
	assert_true(srv_route_match("/jobs/{id}/cancel", "/jobs/job_x/cancel", &p));
	assert_string_equal(p.value[0], "job_x");
	assert_false(srv_route_match("/jobs/{id}/cancel", "/jobs/job_x/cancelx", &p));
	char longseg[300];
	memset(longseg, 'a', sizeof(longseg));
	memcpy(longseg, "/jobs/", 6);
	longseg[sizeof(longseg) - 1] = '\0';
	assert_false(srv_route_match("/jobs/{id}", longseg, &p));
}

static void test_route_table(void **state)
{
	struct srv_route_params p;
	int status;
	char allow[64];
	const struct api_route *r =
	    api_route_find("GET", "/api/clinical/notes", &p, &status, allow, sizeof(allow));
	assert_non_null(r);
	assert_ptr_equal(r->handler, api_notes_list);
	r = api_route_find("PATCH", "/api/clinical/notes/note_1", &p, &status, allow,
	                   sizeof(allow));
	assert_ptr_equal(r->handler, api_notes_patch);
	assert_int_equal(r->scope, SRV_SCOPE_NOTES_WRITE);
	assert_null(api_route_find("DELETE", "/api/clinical/notes/note_1", &p, &status, allow,
	                           sizeof(allow)));
	assert_int_equal(status, 405);
	assert_string_equal(allow, "GET, PATCH");
	assert_null(api_route_find("GET", "/nope", &p, &status, allow, sizeof(allow)));
	assert_int_equal(status, 404);
	/* No two routes share a method and pattern. */
	for (size_t i = 0; i < api_route_count; i++)
		for (size_t k = i + 1; k < api_route_count; k++)
			assert_false(strcmp(api_routes[i].method, api_routes[k].method) == 0 &&
			             strcmp(api_routes[i].pattern, api_routes[k].pattern) == 0);
}

static void test_cursor(void **state)
{
	char c[SRV_CURSOR_LEN];
	int64_t v = -1;
	const int64_t values[] = {0, 1, 9, 10, 12345, INT64_MAX};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		srv_cursor_encode('n', values[i], c);
		assert_int_equal(srv_cursor_decode(c, 'n', &v), 0);
		assert_true(v == values[i]);
		assert_int_equal(srv_cursor_decode(c, 's', &v), -1);
		for (const char *p = c; *p; p++)
			assert_non_null(
			    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			           "0123456789-_",
			           *p));
	}
	assert_int_equal(srv_cursor_decode("", 'n', &v), -1);
	assert_int_equal(srv_cursor_decode(NULL, 'n', &v), -1);
	assert_int_equal(srv_cursor_decode("!!!!", 'n', &v), -1);
	assert_int_equal(srv_cursor_decode("bjE6", 'n', &v), -1);    /* "n1:" with no digits */
	assert_int_equal(srv_cursor_decode("bjE6LTE", 'n', &v), -1); /* "n1:-1" */
	/* 20 digits overflow int64. */
	assert_int_equal(srv_cursor_decode("bjE6OTk5OTk5OTk5OTk5OTk5OTk5OTk", 'n', &v), -1);
	srv_cursor_encode('s', 42, c);
	c[strlen(c) - 1] ^= 1; /* a damaged cursor */
	assert_int_equal(srv_cursor_decode(c, 's', &v) == 0 && v == 42, 0);
}

static void test_window(void **state)
{
	struct srv_window w;
	srv_window_init(&w, 60000, 60);
	int64_t t0 = 1000000000000LL;
	for (int i = 0; i < 5; i++)
		assert_true(srv_window_take(&w, t0 + i * 1000, 5));
	assert_false(srv_window_take(&w, t0 + 5000, 5));
	assert_int_equal(srv_window_count(&w, t0 + 5000), 5);
	/* The oldest request leaves the window 60 s after its bucket began. */
	assert_true(srv_window_reset_ms(&w, t0 + 5000) == t0 + 60000);
	assert_false(srv_window_take(&w, t0 + 59999, 5));
	assert_true(srv_window_take(&w, t0 + 60000, 5));
	assert_int_equal(srv_window_count(&w, t0 + 60000), 5);
	/* Sliding, not fixed: at +62 s three requests remain counted. */
	assert_int_equal(srv_window_count(&w, t0 + 62000), 3);
	/* A long pause empties it. */
	assert_int_equal(srv_window_count(&w, t0 + 10 * 60000), 0);
	assert_true(srv_window_reset_ms(&w, t0 + 10 * 60000) == t0 + 10 * 60000);
}

static void test_ratelimiter(void **state)
{
	struct srv_ratelimiter *rl = srv_ratelimiter_new();
	assert_non_null(rl);
	struct srv_limits team = {3, 5};
	struct srv_rate_result r;
	int64_t t0 = 1000000000000LL;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(srv_ratelimiter_check(rl, "key_a", &team, t0, &r), 0);
		assert_true(r.allowed);
		assert_int_equal(r.limit, 3);
		assert_int_equal(r.remaining, 2 - i);
	}
	assert_int_equal(srv_ratelimiter_check(rl, "key_a", &team, t0 + 10, &r), 0);
	assert_false(r.allowed);
	assert_true(r.retry_after >= 59 && r.retry_after <= 60);
	assert_true(r.reset_s == (t0 + 60000) / 1000);
	/* Another key has its own window. */
	assert_int_equal(srv_ratelimiter_check(rl, "key_b", &team, t0, &r), 0);
	assert_true(r.allowed);
	/* The daily window: 5 a day, so after the minute frees two more pass
	 * and then the day refuses. */
	for (int i = 0; i < 2; i++) {
		srv_ratelimiter_check(rl, "key_a", &team, t0 + 61000, &r);
		assert_true(r.allowed);
	}
	srv_ratelimiter_check(rl, "key_a", &team, t0 + 61000, &r);
	assert_false(r.allowed);
	assert_true(r.day_exceeded);
	assert_true(r.retry_after > 3600);
	srv_ratelimiter_free(&rl);
	assert_null(rl);
}

static void test_key_hash(void **state)
{
	unsigned char secret[32];
	memset(secret, 7, sizeof(secret));
	char key[SRV_KEY_LEN], key2[SRV_KEY_LEN], h1[SRV_HEX_LEN], h2[SRV_HEX_LEN];
	assert_int_equal(srv_key_generate(key), 0);
	assert_int_equal(srv_key_generate(key2), 0);
	assert_int_equal(strlen(key), 43);
	assert_memory_equal(key, "dk_", 3);
	assert_string_not_equal(key, key2);
	srv_key_hash(secret, key, h1);
	srv_key_hash(secret, key, h2);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	assert_null(strstr(h1, key + 3));
	secret[0] = 8;
	srv_key_hash(secret, key, h2);
	assert_string_not_equal(h1, h2);
	/* RFC 4231 test case 2. */
	char mac[SRV_HEX_LEN];
	srv_hmac_hex("Jefe", 4, "what do ya want for nothing?", 28, mac);
	assert_string_equal(mac,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(srv_secure_equal("abc", "abc"));
	assert_false(srv_secure_equal("abc", "abd"));
	assert_false(srv_secure_equal("abc", "ab"));
}

static void test_fingerprint(void **state)
{
	char a[SRV_HEX_LEN], b[SRV_HEX_LEN];
	const char *p1[] = {"POST", "/api/clinical/notes", "{}"};
	size_t l1[] = {4, 19, 2};
	const char *p2[] = {"POST", "/api/clinical/notes{", "}"};
	size_t l2[] = {4, 20, 1};
	srv_sha256_parts_hex(p1, l1, 3, a);
	srv_sha256_parts_hex(p2, l2, 3, b);
	/* Parts are separated, so moving a byte across a boundary changes it. */
	assert_string_not_equal(a, b);
	srv_sha256_parts_hex(p1, l1, 3, b);
	assert_string_equal(a, b);
}

static void test_scopes_and_ids(void **state)
{
	unsigned mask = 0;
	char bad[32], text[128];
	assert_int_equal(srv_scopes_parse("notes:read, codes", &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, SRV_SCOPE_NOTES_READ | SRV_SCOPE_CODES);
	srv_scopes_format(mask, text, sizeof(text));
	assert_string_equal(text, "notes:read codes");
	assert_int_equal(srv_scopes_parse("notes:read,admin", &mask, bad, sizeof(bad)), -1);
	assert_string_equal(bad, "admin");
	assert_int_equal(srv_scopes_parse("", &mask, bad, sizeof(bad)), 0);
	assert_int_equal(mask, 0);
	assert_true(srv_id_valid("note", "note_0123456789abcdef01234567"));
	assert_false(srv_id_valid("note", "note_0123456789abcdef0123456"));
	assert_false(srv_id_valid("note", "note_0123456789ABCDEF01234567"));
	assert_false(srv_id_valid("job", "note_0123456789abcdef01234567"));
	assert_false(srv_id_valid("job", "job0123456789abcdef012345678"));
	assert_string_equal(srv_key_from_headers("Bearer abc", NULL), "abc");
	assert_string_equal(srv_key_from_headers("bearer  abc", "x"), "abc");
	assert_string_equal(srv_key_from_headers("Basic abc", "x"), "x");
	assert_null(srv_key_from_headers(NULL, ""));
	assert_null(srv_key_from_headers("Bearer ", NULL));
}

static void test_webhook_signature(void **state)
{
	char sig[128], mac[SRV_HEX_LEN], expect[128];
	srv_hooks_sign("whsec_abc", 1700000000, "{\"a\":1}", sig, sizeof(sig));
	srv_hmac_hex("whsec_abc", 9, "1700000000.{\"a\":1}", 18, mac);
	snprintf(expect, sizeof(expect), "t=1700000000,v1=%s", mac);
	assert_string_equal(sig, expect);
}

static void test_config(void **state)
{
	struct srv_config cfg;
	srv_config_defaults(&cfg);
	assert_int_equal(cfg.team.per_minute, 100);
	assert_int_equal(cfg.team.per_day, 10000);
	assert_int_equal(cfg.enterprise.per_minute, 1000);
	assert_int_equal(cfg.enterprise.per_day, 0);
	assert_int_equal(srv_config_listen(&cfg, "0.0.0.0:9000"), 0);
	assert_string_equal(cfg.host, "0.0.0.0");
	assert_int_equal(cfg.port, 9000);
	assert_int_equal(srv_config_listen(&cfg, ":9001"), 0);
	assert_int_equal(cfg.port, 9001);
	assert_int_not_equal(srv_config_listen(&cfg, "host:99999"), 0);
	assert_int_not_equal(srv_config_listen(&cfg, "host:"), 0);
	char bad[64];
	setenv("DICTUM_SERVE_RATE_TEAM_MINUTE", "7", 1);
	assert_int_equal(srv_config_apply(&cfg, NULL, bad, sizeof(bad)), 0);
	assert_int_equal(cfg.team.per_minute, 7);
	setenv("DICTUM_SERVE_RATE_TEAM_MINUTE", "seven", 1);
	assert_int_not_equal(srv_config_apply(&cfg, NULL, bad, sizeof(bad)), 0);
	assert_string_equal(bad, "DICTUM_SERVE_RATE_TEAM_MINUTE");
	unsetenv("DICTUM_SERVE_RATE_TEAM_MINUTE");
}

/* api/openapi.yaml documents exactly the routes of the table. */
static void test_openapi_matches_routes(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/api/openapi.yaml", DICTUM_SOURCE_DATADIR);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512], current[256] = "";
	char ops[64][300];
	size_t nops = 0;
	while (fgets(line, sizeof(line), f)) {
		char word[32];
		if (strncmp(line, "  /", 3) == 0 && strchr(line, ':')) {
			snprintf(current, sizeof(current), "%.*s",
			         (int)(strchr(line, ':') - line - 2), line + 2);
		} else if (current[0] && strncmp(line, "    ", 4) == 0 && line[4] >= 'a' &&
		           line[4] <= 'z' && sscanf(line + 4, "%31[a-z]", word) == 1 &&
		           line[4 + strlen(word)] == ':' && strcmp(word, "parameters") != 0) {
			for (char *p = word; *p; p++)
				*p = (char)(*p - 'a' + 'A');
			assert_true(nops < 64);
			snprintf(ops[nops++], sizeof(ops[0]), "%s %s", word, current);
		} else if (strncmp(line, "components:", 11) == 0) {
			break;
		}
	}
	fclose(f);
	assert_int_equal(nops, api_route_count);
	for (size_t i = 0; i < api_route_count; i++) {
		char want[300];
		snprintf(want, sizeof(want), "%s %s", api_routes[i].method, api_routes[i].pattern);
		bool found = false;
		for (size_t k = 0; k < nops; k++)
			found |= strcmp(ops[k], want) == 0;
		if (!found)
			fail_msg("%s is served but not in api/openapi.yaml", want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_match),
	    cmocka_unit_test(test_route_table),
	    cmocka_unit_test(test_cursor),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_ratelimiter),
	    cmocka_unit_test(test_key_hash),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_scopes_and_ids),
	    cmocka_unit_test(test_webhook_signature),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_openapi_matches_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
