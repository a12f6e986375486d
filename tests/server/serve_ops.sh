#!/usr/bin/env bash
# `dictum serve` under operational stress, each with a real server on
# 127.0.0.1: rate limits (a low limit through the environment), cancelling
# queued jobs, a SIGKILL with jobs in flight and a restart, webhook
# retries with backoff, stalled clients, and a clean SIGTERM.
dictum=$1
listener=$2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/srv_lib.sh"

KEY=$(new_key acme)
A=(-H "X-API-KEY: $KEY")
ENT=$(new_key bigco --plan enterprise)

# ---- rate limits ----
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=5 DICTUM_SERVE_RATE_ENTERPRISE_MINUTE=8 || exit 1
for i in 1 2 3 4 5; do req GET /health/auth "${A[@]}"; codes="${codes:-}$status "; done
check "five requests pass under a limit of 5" test "$codes" = "200 200 200 200 200 "
check "X-RateLimit-Remaining reaches 0" test "$(hdr X-RateLimit-Remaining)" = 0
req GET /health/auth "${A[@]}"
check "the sixth is 429" test "$status" = 429
check "429 carries Retry-After" bash -c "[ '$(hdr Retry-After)' -ge 1 ] && [ '$(hdr Retry-After)' -le 60 ]"
check "429 carries a detail message" bash -c "grep -q 'Rate limit of 5 requests per minute exceeded' <<<'$(jget 'd["detail"]')'"
check "429 keeps the error envelope" test "$(jget 'd["error"]["code"]')" = rate_limited
check "X-RateLimit-Reset is a time within the minute" bash -c "r=$(hdr X-RateLimit-Reset); now=\$(date +%s); [ \$r -ge \$now ] && [ \$r -le \$((now + 61)) ]"
for i in $(seq 1 8); do req GET /health/auth -H "X-API-KEY: $ENT"; done
check "another key has its own window (enterprise limit 8)" test "$status:$(hdr X-RateLimit-Limit)" = 200:8
req GET /health/auth -H "X-API-KEY: $ENT"
check "... and is refused past it" test "$status" = 429
check "stop" stop_server

# ---- cancel queued jobs (no workers: jobs stay queued) ----
start_server DICTUM_SERVE_WORKERS=0 || exit 1
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","sections":[{"key":"a","text":"b"}]}'
N=$(jget 'd["id"]')
req POST /api/clinical/notes/$N/export "${A[@]}" "${json_hdr[@]}" -d '{}'
J=$(jget 'd["id"]')
req GET /jobs/$J "${A[@]}"
check "with no workers the job stays queued" test "$(jget 'd["status"]')" = queued
req POST /jobs/$J/cancel "${A[@]}" -H 'Idempotency-Key: cancel-1'
check "POST /jobs/{id}/cancel cancels a queued job" test "$status:$(jget 'd["status"]')" = 200:cancelled
req POST /jobs/$J/cancel "${A[@]}" -H 'Idempotency-Key: cancel-1'
check "a retried cancel replays 200" test "$status:$(hdr Idempotent-Replayed)" = 200:true
req POST /jobs/$J/cancel "${A[@]}"
check "cancelling again is 409" test "$status" = 409
req POST /api/clinical/notes/$N/export "${A[@]}" "${json_hdr[@]}" -d '{"format":"text"}'
J2=$(jget 'd["id"]')
check "stop with a job queued" stop_server

# ---- SIGKILL with a job in flight, then a restart ----
start_server DICTUM_SERVE_WORKERS=1 DICTUM_SERVE_JOB_DELAY_MS=4000 || exit 1
for _ in $(seq 1 100); do
  req GET /jobs/$J2 "${A[@]}"
  [ "$(jget 'd["status"]')" = processing ] && [ "$(jget 'd["progress"]["percent"]')" -gt 0 ] && break
  sleep 0.05
done
check "a slow job reports progress while processing" bash -c "[ '$(jget 'd["status"]')' = processing ] && [ '$(jget 'd["progress"]["percent"]')' -gt 0 ]"
req POST /api/clinical/notes/$N/export "${A[@]}" "${json_hdr[@]}" -d '{}'
J3=$(jget 'd["id"]')
kill_server
check "after SIGKILL the job row says processing" test "$(sqlite3 "$db" "SELECT status FROM jobs WHERE uid = '$J2'")" = processing
start_server DICTUM_SERVE_WORKERS=2 || exit 1
for _ in $(seq 1 200); do
  req GET "/jobs?status=completed" "${A[@]}"
  [ "$(jget 'len(d["data"])')" = 2 ] && break
  sleep 0.05
done
check "after a restart both interrupted and queued jobs complete" test "$(jget 'len(d["data"])')" = 2
req GET /jobs/$J2 "${A[@]}"
check "the interrupted job ran twice and finished" test "$(jget 'd["status"]'):$(jget 'd["attempts"]')" = completed:2
req GET /jobs/$J3 "${A[@]}"
check "the job queued before the kill completed too" test "$(jget 'd["status"]')" = completed
check "the cancelled job stayed cancelled" test "$(sqlite3 "$db" "SELECT status FROM jobs WHERE uid = '$J'")" = cancelled
check "stop" stop_server

# ---- webhook retries with backoff ----
"$listener" "$tmp/hook.port" "$tmp/hooks.jsonl" --fail 2 &
hook_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/hook.port" ] && break; sleep 0.05; done
start_server DICTUM_SERVE_WEBHOOK_BACKOFF_MS=100 DICTUM_SERVE_WEBHOOK_ATTEMPTS=5 || exit 1
req POST /webhooks "${A[@]}" "${json_hdr[@]}" -d "{\"url\":\"http://127.0.0.1:$(cat "$tmp/hook.port")/h\",\"events\":[\"note.created\"]}"
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","sections":[]}'
for _ in $(seq 1 100); do
  [ "$(sqlite3 "$db" "SELECT status FROM deliveries WHERE event = 'note.created'")" = delivered ] && break
  sleep 0.05
done
check "a webhook answered 500 twice is delivered on the third try" test "$(sqlite3 "$db" "SELECT status || ':' || attempts FROM deliveries WHERE event = 'note.created'")" = delivered:3
check "the listener saw 500, 500, 200" test "$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["status"]) for l in open(sys.argv[1])))' "$tmp/hooks.jsonl")" = "500 500 200"
req POST /webhooks "${A[@]}" "${json_hdr[@]}" -d '{"url":"http://127.0.0.1:9/nothing","events":["note.updated"]}'
req GET "/api/clinical/notes?limit=1" "${A[@]}"
Nn=$(jget 'd["data"][0]["id"]')
req PATCH /api/clinical/notes/$Nn "${A[@]}" "${json_hdr[@]}" -H 'If-Match: 1' -d '{"specialty":"x"}'
for _ in $(seq 1 100); do
  [ "$(sqlite3 "$db" "SELECT status FROM deliveries WHERE event = 'note.updated'")" = failed ] && break
  sleep 0.05
done
check "an unreachable webhook is given up after 5 tries" test "$(sqlite3 "$db" "SELECT status || ':' || attempts FROM deliveries WHERE event = 'note.updated'")" = failed:5

# ---- stalled clients ----
check "stop" stop_server
start_server DICTUM_SERVE_CONN_TIMEOUT=1 || exit 1
port=${base##*:}
exec 3<>/dev/tcp/127.0.0.1/"$port"
printf 'POST /api/clinical/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"noteType"' >&3
exec 4<>/dev/tcp/127.0.0.1/"$port"
printf 'GET /health HTTP/1.1\r\nHo' >&4
req GET /health
check "a stalled client does not block others" test "$status" = 200
start=$(date +%s)
timeout 10 cat <&3 >/dev/null
check "a stalled upload is cut off after the connection timeout" test $(($(date +%s) - start)) -le 5
timeout 10 cat <&4 >/dev/null
exec 3<&- 4<&-
req GET "/api/clinical/notes?limit=100" "${A[@]}"
check "the cut-off upload left no partial note" test "$(jget 'len(d["data"])')" = 2
kill -TERM "$hook_pid"
wait "$hook_pid"
hook_pid=
curls=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -m 10 "${A[@]}" "$base/api/clinical/notes?limit=5" &
  curls+=($!)
done
check "SIGTERM with requests in flight stops cleanly" stop_server
wait "${curls[@]}"
finish
