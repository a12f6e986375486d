# Shared by the server tests: start a real `dictum serve` on 127.0.0.1 on
# a free port, make requests with curl, read JSON with python3.
# Needs $dictum and $tmp (tests/lib.sh) set by the caller.
command -v curl >/dev/null || { echo "curl missing: skip"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing: skip"; exit 77; }
# The system python starts in milliseconds; a version-manager shim may take
# a second under load, and these tests read JSON with it a hundred times.
if [ -x /usr/bin/python3 ]; then
  python3() { /usr/bin/python3 "$@"; }
  export -f python3
fi
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR=
db=$tmp/server.db
srv_pid=
base=

# start_server [ENV=VALUE...]: picks a port, retries when it is taken.
start_server() {
  local attempt port
  for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 30000))
    : >"$tmp/serve.out"
    env "$@" "$dictum" serve --listen "127.0.0.1:$port" --db "$db" >"$tmp/serve.out" 2>>"$tmp/serve.err" &
    srv_pid=$!
    for _ in $(seq 1 100); do
      if grep -q '^listening on' "$tmp/serve.out"; then
        base=http://127.0.0.1:$port
        return 0
      fi
      kill -0 "$srv_pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$srv_pid" 2>/dev/null
    wait "$srv_pid" 2>/dev/null
  done
  echo "could not start dictum serve:"; cat "$tmp/serve.err"
  return 1
}

# stop_server: SIGTERM, and the exit status must be 0.
stop_server() {
  kill -TERM "$srv_pid"
  wait "$srv_pid"
  local rc=$?
  srv_pid=
  return $rc
}

kill_server() {
  kill -KILL "$srv_pid"
  wait "$srv_pid" 2>/dev/null
  srv_pid=
}

# req METHOD PATH [curl args...]: sets $status; the body is in $tmp/body,
# the headers in $tmp/headers.
req() {
  local m=$1 p=$2
  shift 2
  status=$(curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -X "$m" "$base$p" "$@")
}

# jget EXPR: evaluates a python expression over d, the last body's JSON.
jget() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if not isinstance(v,(dict,list,bool)) and v is not None else json.dumps(v))' "$tmp/body" "$1" 2>/dev/null
}

# hdr NAME: a header of the last response.
hdr() {
  grep -i "^$1:" "$tmp/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

json_hdr=(-H 'Content-Type: application/json')

new_key() { # new_key ORG [extra args]: prints the key; its id goes to $tmp/last_key_id
  "$dictum" --json keys create --db "$db" --org "$@" >"$tmp/key.json" || return 1
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/key.json" >"$tmp/last_key_id"
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$tmp/key.json"
}

cleanup_server() {
  [ -n "$srv_pid" ] && kill -KILL "$srv_pid" 2>/dev/null
  [ -n "${hook_pid:-}" ] && kill -TERM "$hook_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup_server EXIT
