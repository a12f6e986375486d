/* The pure parts of sync: backoff with jitter, Retry-After, and the one
 * table that turns a transfer's outcome into a state. */
#include "sync/policy.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void backoff_grows_within_jitter_bounds(void **state)
{
	(void)state;
	static const uint32_t randoms[] = {0, 1, 12345, 0x7fffffffu, 0xffffffffu};
	for (int attempts = 0; attempts < 30; attempts++) {
		int64_t d = (int64_t)SYNC_BACKOFF_BASE_MS << (attempts > 20 ? 20 : attempts);
		if (d > SYNC_BACKOFF_CAP_MS)
			d = SYNC_BACKOFF_CAP_MS;
		for (size_t i = 0; i < sizeof(randoms) / sizeof(randoms[0]); i++) {
			int64_t v = sync_backoff_ms(attempts, randoms[i]);
			assert_true(v >= d / 2);
			assert_true(v <= d);
		}
	}
	/* the schedule: 0.5-1 s, 1-2 s, 2-4 s, ... capped at 5 minutes */
	assert_int_equal(sync_backoff_ms(0, 0), 500);
	assert_int_equal(sync_backoff_ms(1, 0), 1000);
	assert_int_equal(sync_backoff_ms(3, 0), 4000);
	assert_int_equal(sync_backoff_ms(3, 4000), 8000);
	assert_int_equal(sync_backoff_ms(100, 0), SYNC_BACKOFF_CAP_MS / 2);
	assert_int_equal(sync_backoff_ms(-5, 0), 500);
}

static void backoff_jitter_spreads(void **state)
{
	(void)state;
	int64_t lo = INT64_MAX, hi = 0;
	uint32_t x = 2463534242u;
	for (int i = 0; i < 1000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		int64_t v = sync_backoff_ms(4, x);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	assert_true(lo < 9000); /* spread over most of [8 s, 16 s] */
	assert_true(hi > 15000);
}

static void retry_after_seconds_and_dates(void **state)
{
	(void)state;
	const int64_t now = 1445412480000; /* Wed, 21 Oct 2015 07:28:00 GMT */
	static const struct {
		const char *value;
		int64_t ms;
	} cases[] = {
	    {"0", 0},
	    {"1", 1000},
	    {"120", 120000},
	    {" 7 ", 7000},
	    {"Wed, 21 Oct 2015 07:28:00 GMT", 0},
	    {"Wed, 21 Oct 2015 07:28:30 GMT", 30000},
	    {"Wed, 21 Oct 2015 08:28:00 GMT", 3600000},
	    {"Tue, 20 Oct 2015 07:28:00 GMT", 0}, /* in the past: now */
	    {"Fri, 01 Jan 2016 00:00:00 GMT", 6193920000},
	    {"", -1},
	    {"soon", -1},
	    {"-5", -1},
	    {"1.5", -1},
	    {"Wed, 21 Foo 2015 07:28:00 GMT", -1},
	    {"Wednesday, 21-Oct-15 07:28:00 GMT", -1},
	    {"Wed, 21 Oct 2015 25:28:00 GMT", -1},
	    {"99999999999", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = sync_retry_after_ms(cases[i].value, now);
		if (got != cases[i].ms)
			fail_msg("Retry-After '%s': %lld, expected %lld", cases[i].value,
			         (long long)got, (long long)cases[i].ms);
	}
	assert_int_equal(sync_retry_after_ms(NULL, now), -1);
}

static void classification_table(void **state)
{
	(void)state;
	static const struct {
		int curl;
		long status;
		bool json;
		enum sync_net_state want;
	} cases[] = {
	    {CURLE_OK, 200, true, SYNC_NET_OK},
	    {CURLE_OK, 201, true, SYNC_NET_OK},
	    {CURLE_OK, 200, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 204, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 409, true, SYNC_NET_CONFLICT},
	    {CURLE_OK, 409, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 429, true, SYNC_NET_RATE_LIMITED},
	    {CURLE_OK, 429, false, SYNC_NET_RATE_LIMITED},
	    {CURLE_OK, 400, true, SYNC_NET_REJECTED},
	    {CURLE_OK, 401, true, SYNC_NET_REJECTED},
	    {CURLE_OK, 404, true, SYNC_NET_REJECTED},
	    {CURLE_OK, 428, true, SYNC_NET_REJECTED},
	    {CURLE_OK, 404, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 500, true, SYNC_NET_SERVER_ERROR},
	    {CURLE_OK, 503, true, SYNC_NET_SERVER_ERROR},
	    {CURLE_OK, 502, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 301, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_OK, 101, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_COULDNT_RESOLVE_HOST, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_COULDNT_CONNECT, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_OPERATION_TIMEDOUT, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_GOT_NOTHING, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_RECV_ERROR, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_SEND_ERROR, 0, false, SYNC_NET_OFFLINE},
	    {CURLE_PEER_FAILED_VERIFICATION, 0, false, SYNC_NET_TLS},
	    {CURLE_SSL_CONNECT_ERROR, 0, false, SYNC_NET_TLS},
	    {CURLE_SSL_CACERT_BADFILE, 0, false, SYNC_NET_TLS},
	    {CURLE_WEIRD_SERVER_REPLY, 0, false, SYNC_NET_BAD_RESPONSE},
	    {CURLE_ABORTED_BY_CALLBACK, 0, false, SYNC_NET_OFFLINE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sync_net_state got =
		    sync_classify(cases[i].curl, cases[i].status, cases[i].json);
		if (got != cases[i].want)
			fail_msg("curl %d, HTTP %ld, json %d: %s, expected %s", cases[i].curl,
			         cases[i].status, cases[i].json, sync_net_state_name(got),
			         sync_net_state_name(cases[i].want));
	}
}

static void state_names(void **state)
{
	(void)state;
	for (int s = 0; s < SYNC_NET_STATE_COUNT; s++)
		assert_string_not_equal(sync_net_state_name((enum sync_net_state)s), "unknown");
	assert_string_equal(sync_net_state_name(SYNC_NET_OFFLINE), "offline");
	assert_string_equal(sync_net_state_name(SYNC_NET_STATE_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(backoff_grows_within_jitter_bounds),
	    cmocka_unit_test(backoff_jitter_spreads),
	    cmocka_unit_test(retry_after_seconds_and_dates),
	    cmocka_unit_test(classification_table),
	    cmocka_unit_test(state_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
