#!/usr/bin/env bash
# bench_sync: a real dictum serve on a free loopback port (rate limits raised
# so the plan limit is not what is measured), a fresh API key, then
# bench_sync's four steps. usage: bench_sync.sh DICTUM BENCH_SYNC [NOTES]
set -u
dictum=$1 bench=$2 notes=${3:-1000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dictum-bench-sync-XXXXXX")
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
export HOME=$tmp XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR=
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 30000))
  DICTUM_SERVE_RATE_TEAM_MINUTE=1000000 DICTUM_SERVE_RATE_TEAM_DAY=100000000 \
    "$dictum" serve --listen "127.0.0.1:$port" --db "$tmp/server.db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
  srv=$!
  for _ in $(seq 1 100); do
    grep -q '^listening on' "$tmp/serve.out" && break 2
    kill -0 "$srv" 2>/dev/null || break
    sleep 0.05
  done
  kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; srv=
done
[ -n "$srv" ] || { echo "cannot start dictum serve"; cat "$tmp/serve.err"; exit 1; }
key=$("$dictum" --json keys create --db "$tmp/server.db" --org bench |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])') || exit 1
echo "dictum serve on 127.0.0.1:$port (its own SQLite database), $notes notes, $(nproc) cores"
"$bench" "http://127.0.0.1:$port" "$key" "$tmp" "$notes"
