#!/usr/bin/env bash
# Fuzzing the request parsing of `dictum serve` (fuzz_server.c).
# usage: fuzz.sh DICTUM FUZZER [SECONDS]
#   with SECONDS: mutate requests for that long (not part of the test run;
#   `cmake --build build --target fuzz_server`); crashing inputs land in
#   tests/server/fuzz-regressions/ to be kept as regression cases.
#   without: replay every saved case and the hand-made ones (a ctest test).
dictum=$1
fuzzer=$2
seconds=${3:-}
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/srv_lib.sh"
KEY=$(new_key fuzz)
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=100000000 DICTUM_SERVE_RATE_ANON_MINUTE=100000000 \
  DICTUM_SERVE_MAX_BODY=32768 DICTUM_SERVE_CONN_TIMEOUT=2 || exit 1
port=${base##*:}
cases=$(dirname "$0")/fuzz-regressions
if [ -n "$seconds" ]; then
  check "the server survives $seconds s of mutated requests" \
    "$fuzzer" "$port" "$KEY" "$seconds" "${FUZZ_SEED:-$RANDOM}" "$cases"
else
  check "the server survives every saved input" "$fuzzer" "$port" "$KEY" --replay "$cases"/*.http
fi
check "and stops cleanly" stop_server
finish
