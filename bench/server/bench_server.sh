#!/usr/bin/env bash
# bench_server: requests/s and latency of `dictum serve` on loopback with
# wrk, for GET /api/clinical/notes/:id and GET /api/clinical/notes, next to
# a minimal libmicrohttpd responder measured in the same run, with each
# server's CPU time per request.
# usage: bench_server.sh DICTUM MHD_MINIMAL [SECONDS] [CONNECTIONS] [NOTES]
# (BENCH_SERVER_AUDIO=0 leaves out the audio-to-note timing; BENCH_SERVER_THREADS
# sets the libmicrohttpd thread pool of both servers, 4 by default)
set -euo pipefail
dictum=$1
minimal=$2
secs=${3:-10}
conns=${4:-64}
notes=${5:-1000}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk (scripts/install-deps.sh)"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
export HOME=$tmp DICTUM_DATA_DIR=$tmp
key=$("$dictum" --json keys create --db "$tmp/server.db" --org bench --plan enterprise |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

threads=${BENCH_SERVER_THREADS:-4}
DICTUM_SERVE_THREADS=$threads DICTUM_SERVE_RATE_ENTERPRISE_MINUTE=4000000000 \
  DICTUM_SERVE_RATE_ANON_MINUTE=4000000000 "$dictum" serve --listen 127.0.0.1:0 \
  --db "$tmp/server.db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 100); do grep -q '^listening' "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$tmp/serve.out")
"$minimal" "$threads" >"$tmp/minimal.port" &
minimal_pid=$!
pids+=($minimal_pid)
for _ in $(seq 1 100); do [ -s "$tmp/minimal.port" ] && break; sleep 0.05; done
minimal_base=http://127.0.0.1:$(cat "$tmp/minimal.port")

# Seed notes of realistic size (six sections, about 2 kB each).
python3 - "$base" "$key" "$notes" >"$tmp/note_id" <<'PY'
import json, sys, urllib.request
base, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = "Patient reports intermittent palpitations over two weeks, worse at night. " * 4
last = None
for i in range(n):
    body = {"noteType": "progressNote", "provider": "Dr %d" % (i % 7),
            "patient": {"first_name": "P%d" % (i % 50), "last_name": "Bench"},
            "sections": [{"key": k, "title": k.upper(), "text": text} for k in ("cc", "hpi", "ros", "exam", "assessment", "plan")]}
    req = urllib.request.Request(base + "/api/clinical/notes", json.dumps(body).encode(), method="POST",
                                 headers={"X-API-KEY": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        last = json.load(r)["id"]
print(last)
PY
note=$(cat "$tmp/note_id")

# The CPU time (user + system, clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # run NAME PID URL [wrk args]: prints a row (PID: the server measured)
  local name=$1 pid=$2 url=$3
  shift 3
  local out t0 t1
  t0=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  t1=$(cpu_ticks "$pid")
  local rps p50 p99 errors requests cpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  # The server's CPU per request: steadier than requests/s on a shared machine.
  cpu=$(awk -v t="$((t1 - t0))" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0)}')
  printf '%-50s %12s %10s %10s %8s %10s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" "$cpu"
}

echo "wrk -t2 -c$conns -d${secs}s on 127.0.0.1, $(nproc) cores, $threads server threads, $notes notes in the store, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-50s %12s %10s %10s %8s %10s\n' endpoint requests/s p50 p99 non-2xx us-CPU/req
run "minimal libmicrohttpd responder" "$minimal_pid" "$minimal_base/"
run "GET /api/clinical/notes/:id" "$serve_pid" "$base/api/clinical/notes/$note" -H "X-API-KEY: $key"
run "GET /api/clinical/notes?limit=20" "$serve_pid" "$base/api/clinical/notes?limit=20" -H "X-API-KEY: $key"
run "GET /api/clinical/notes?limit=20&include=sections" "$serve_pid" "$base/api/clinical/notes?limit=20&include=sections" -H "X-API-KEY: $key"
run "GET /health (no key, no database)" "$serve_pid" "$base/health"
run "minimal libmicrohttpd responder (again)" "$minimal_pid" "$minimal_base/"

# Audio to note: a 60-second recording (flite speech, repeated and cut to
# 60 s with sox) through POST /api/v1/pcr/audio/notes until the job is
# completed: upload, decode, PocketSphinx, note drafting.
if [ "${BENCH_SERVER_AUDIO:-1}" = 0 ]; then
  echo "audio to note: skipped (BENCH_SERVER_AUDIO=0)"
elif command -v flite >/dev/null && command -v sox >/dev/null &&
  [ -d /usr/share/pocketsphinx/model/en-us/en-us ]; then
  flite -voice slt -t "The patient is a sixty year old man with chest pain for two days. \
He denies fever. Blood pressure is one forty over ninety. Plan: aspirin, an ECG and troponin." \
    -o "$tmp/speech.wav"
  sox "$tmp/speech.wav" -r 16000 -c 1 -b 16 "$tmp/one.wav"
  reps=$(python3 -c 'import sys,wave; w=wave.open(sys.argv[1]); print(int(60*w.getframerate()/w.getnframes())+1)' "$tmp/one.wav")
  sox $(for _ in $(seq 1 "$reps"); do printf '%s ' "$tmp/one.wav"; done) "$tmp/long.wav"
  sox "$tmp/long.wav" "$tmp/sixty.wav" trim 0 60
  python3 - "$base" "$key" "$tmp/sixty.wav" <<'PY'
import json, subprocess, sys, time, urllib.request
base, key, path = sys.argv[1:4]
tpl = json.load(urllib.request.urlopen(urllib.request.Request(
    base + "/api/v1/pcr/templates/community", headers={"X-API-KEY": key})))["data"][0]["_id"]
for run in (1, 2):  # the first run also loads the speech model
    t0 = time.monotonic()
    out = subprocess.run(["curl", "-s", "-H", "X-API-KEY: " + key, "-F", "file=@" + path,
                          "-F", "template_id=" + tpl, base + "/api/v1/pcr/audio/notes"],
                         capture_output=True, check=True).stdout
    job = json.loads(out)["job_id"]
    t_accepted = time.monotonic() - t0
    while True:
        d = json.load(urllib.request.urlopen(urllib.request.Request(
            base + "/api/v1/pcr/audio/notes/" + job, headers={"X-API-KEY": key})))
        if d["status"] in ("completed", "failed"):
            break
        time.sleep(0.05)
    total = time.monotonic() - t0
    print("POST /api/v1/pcr/audio/notes, 60 s WAV, run %d: 202 after %.2f s, %s after %.2f s "
          "(%d transcript words, %d note characters)" % (run, t_accepted, d["status"], total,
          len(d.get("transcript", "").split()), len(d.get("note", ""))))
PY
else
  echo "audio to note: skipped (needs flite, sox and pocketsphinx-en-us)"
fi
