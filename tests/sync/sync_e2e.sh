#!/usr/bin/env bash
# End to end sync between workstations (data directories with real SQLite
# stores) and a real `dictum serve` on 127.0.0.1.
# usage: sync_e2e.sh DICTUM SYNC_TOOL SCENARIO
# scenarios: server_kill client_kill conflict rate_limit bad_server offline addendum upload
#   server_engine
# DICTUM_SYNC_TEST_NOTES sets how many notes the kill scenarios push (500;
# the sanitizer build uses fewer).
dictum=$1
tool=$2
scenario=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib.sh"
source "$here/../server/srv_lib.sh"
N=${DICTUM_SYNC_TEST_NOTES:-500}
fast_limits=(DICTUM_SERVE_RATE_TEAM_MINUTE=1000000 DICTUM_SERVE_RATE_TEAM_DAY=10000000)

ws_db() { echo "$tmp/$1/dictum.db"; }
seed() { mkdir -p "$tmp/$1" && "$tool" seed "$(ws_db "$1")" "$2"; }
# wsync WS [args]: dictum sync for workstation WS against $base with $key.
wsync() {
  local ws=$1
  shift
  DICTUM_SERVER=$base DICTUM_API_KEY=$key "$dictum" --data-dir "$tmp/$ws" sync "$@"
}
# sql DB QUERY: one value from an SQLite file.
sql() {
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2"
}
server_notes() { sql "$db" "SELECT count(*) FROM notes"; }
server_distinct() { sql "$db" "SELECT count(DISTINCT external_id) FROM notes WHERE external_id IS NOT NULL"; }
local_unsynced() { sql "$(ws_db "$1")" "SELECT count(*) FROM notes WHERE sync_state <> 'synced'"; }
outbox() { sql "$(ws_db "$1")" "SELECT count(*) FROM outbox"; }
eq() { [ "$1" = "$2" ] || { echo "  expected '$2', got '$1'"; return 1; }; }
contains() { grep -q -- "$2" "$1" || { echo "  '$2' not in:"; cat "$1"; return 1; }; }

# every note on the server exactly once, every local note synced
all_synced_once() {
  local ws=$1 n=$2
  eq "$(server_notes)" "$n" && eq "$(server_distinct)" "$n" && eq "$(local_unsynced "$ws")" 0 &&
    eq "$(outbox "$ws")" 0
}

# sync_and_kill VICTIM: runs `dictum sync` for ws1 (output in $tmp/sync.out)
# and SIGKILLs VICTIM (a pid, or "client" for the sync itself) once the
# server holds a random number more notes, a point somewhere in the push
# (or when the sync ends first, or after 30 s). Exits with the sync's
# status. The watcher starts the sync itself and polls every ms.
sync_and_kill() {
  local have
  have=$(server_notes)
  DICTUM_SERVER=$base DICTUM_API_KEY=$key python3 -c '
import os, signal, sqlite3, subprocess, sys, time
db, victim, target, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = sqlite3.connect(db, timeout=5)
p = subprocess.Popen(sys.argv[5:], stdout=open(out, "w"), stderr=subprocess.STDOUT)
end = time.time() + 30
while time.time() < end and p.poll() is None:
    try:
        if c.execute("SELECT count(*) FROM notes").fetchone()[0] >= target:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.001)
try:
    os.kill(p.pid if victim == "client" else int(victim), signal.SIGKILL)
except OSError:
    pass
rc = p.wait()
sys.exit(rc if rc >= 0 else 0)
' "$db" "$1" "$((have + 1 + RANDOM % (N / 6 + 1)))" "$tmp/sync.out" \
    "$dictum" --data-dir "$tmp/ws1" sync "${@:2}"
}

scenario_server_kill() {
  seed ws1 "$N" || return 1
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  local kills=0 partial=0
  for round in 1 2 3 4 5; do
    sync_and_kill "$srv_pid" --once
    local rc=$? on
    kill_server
    kills=$((kills + 1))
    on=$(server_notes)
    echo "  round $round: server killed with $on of $N notes; sync exit $rc: $(tail -1 "$tmp/sync.out")"
    [ "$rc" = 0 ] || { cat "$tmp/sync.out"; return 1; }
    [ "$on" -gt 0 ] && [ "$on" -lt "$N" ] && partial=$((partial + 1))
    start_server "${fast_limits[@]}" || return 1
  done
  wsync ws1 >"$tmp/sync.out" 2>&1 || { cat "$tmp/sync.out"; return 1; }
  echo "  last run: $(head -1 "$tmp/sync.out")"
  echo "  $kills kills, $partial in the middle of the push"
  check "server_kill: the server was killed mid-push several times" [ "$partial" -ge 4 ]
  check "server_kill: each note once on the server, all synced locally" all_synced_once ws1 "$N"
  check "server_kill: a second sync pushes nothing" sh -c \
    "DICTUM_SERVER=$base DICTUM_API_KEY=$key '$dictum' --data-dir '$tmp/ws1' sync | grep -q '^pushed 0'"
}

scenario_client_kill() {
  seed ws1 "$N" || return 1
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  local partial=0
  for round in 1 2 3 4; do
    sync_and_kill client
    local on=$(server_notes)
    echo "  round $round: client killed with $on of $N notes on the server, $(outbox ws1) rows queued"
    [ "$on" -gt 0 ] && [ "$on" -lt "$N" ] && partial=$((partial + 1))
  done
  wsync ws1 >"$tmp/sync.out" 2>&1 || { cat "$tmp/sync.out"; return 1; }
  echo "  last run: $(head -1 "$tmp/sync.out")"
  check "client_kill: the client was killed mid-push several times" [ "$partial" -ge 3 ]
  check "client_kill: each note once on the server, all synced locally" all_synced_once ws1 "$N"
  check "client_kill: the store passes its integrity check" sh -c \
    "'$dictum' --data-dir '$tmp/ws1' db check | grep -Eq 'integrity: +ok'"
}

scenario_conflict() {
  seed ws1 3 || return 1
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  wsync ws1 >/dev/null && wsync ws2 >"$tmp/ws2.out" || return 1
  check "conflict: the second workstation pulls the 3 notes" contains "$tmp/ws2.out" "pulled 3 (3 new"
  local a b c
  a=$(sql "$(ws_db ws1)" "SELECT uid FROM notes ORDER BY id LIMIT 1")
  b=$(sql "$(ws_db ws1)" "SELECT uid FROM notes ORDER BY id LIMIT 1 OFFSET 1")
  c=$(sql "$(ws_db ws1)" "SELECT uid FROM notes ORDER BY id LIMIT 1 OFFSET 2")
  check "conflict: both workstations know the note by one uid" eq \
    "$(sql "$(ws_db ws2)" "SELECT count(*) FROM notes WHERE uid IN ('$a','$b','$c')")" 3
  "$tool" edit "$(ws_db ws1)" "$a" "Edited on workstation one." &&
    "$tool" edit "$(ws_db ws2)" "$a" "Edited on workstation two." || return 1
  wsync ws1 >"$tmp/ws1.out" && wsync ws2 --json >"$tmp/ws2.json"
  check "conflict: exit 0 and one conflict reported" sh -c \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"conflicts\"]==1 and d[\"state\"]==\"conflict\" else 1)' '$tmp/ws2.json'"
  check "conflict: the local edit is kept" eq "$("$tool" text "$(ws_db ws2)" "$a")" "Edited on workstation two."
  check "conflict: the server's copy is kept beside it" sh -c \
    "'$dictum' --data-dir '$tmp/ws2' --json sync conflicts | grep -q 'Edited on workstation one.'"
  check "conflict: note and encounter marked conflict" eq \
    "$(sql "$(ws_db ws2)" "SELECT n.sync_state || '/' || e.status FROM notes n JOIN encounters e ON e.id = n.encounter_id WHERE n.uid = '$a'")" \
    "conflict/conflict"
  check "conflict: the server still has workstation one's edit" eq \
    "$(sql "$db" "SELECT json_extract(sections, '\$[0].text') FROM notes WHERE external_id = '$a'")" \
    "Edited on workstation one."
  # keep local: pushed on top of the server's version, then pulled by ws1
  local cid
  cid=$(sql "$(ws_db ws2)" "SELECT id FROM note_conflicts WHERE resolved_at IS NULL")
  "$dictum" --data-dir "$tmp/ws2" sync resolve "$cid" --keep-local >/dev/null &&
    wsync ws2 >"$tmp/ws2.out" && wsync ws1 >"$tmp/ws1.out"
  check "conflict: keep local pushes the local edit" eq \
    "$(sql "$db" "SELECT json_extract(sections, '\$[0].text') FROM notes WHERE external_id = '$a'")" \
    "Edited on workstation two."
  check "conflict: the other workstation pulls it, its own edit in history" sh -c \
    "[ \"\$('$tool' text '$(ws_db ws1)' '$a')\" = 'Edited on workstation two.' ] &&
     [ \"\$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM note_versions v JOIN notes n ON n.id = v.note_id WHERE n.uid = ? AND v.sections LIKE ?\", (sys.argv[2], \"%workstation one%\")).fetchone()[0])' '$(ws_db ws1)' '$a')\" -ge 1 ]"
  check "conflict: nothing left queued on either side" sh -c \
    "[ $(outbox ws1) = 0 ] && [ \"\$(python3 -c 'import sqlite3; print(sqlite3.connect(\"$(ws_db ws2)\").execute(\"SELECT count(*) FROM outbox\").fetchone()[0])')\" = 0 ]"
  # a signed note is never overwritten: ws1 signs b, ws2 edits b
  local id_b
  id_b=$(sql "$(ws_db ws1)" "SELECT id FROM notes WHERE uid = '$b'")
  "$dictum" --data-dir "$tmp/ws1" notes sign "$id_b" >/dev/null && wsync ws1 >/dev/null &&
    "$tool" edit "$(ws_db ws2)" "$b" "Late edit on two." && wsync ws2 >"$tmp/ws2.out"
  check "conflict: an edit of a note signed elsewhere is a conflict" contains "$tmp/ws2.out" "conflicts 1"
  check "conflict: the signed server copy is untouched" eq \
    "$(sql "$db" "SELECT status || '/' || json_extract(sections, '\$[0].text') FROM notes WHERE external_id = '$b'")" \
    "signed/Seeded note 1: cough for 2 days."
  # ws2 signs c locally while ws1 edits it and syncs first
  local id_c
  id_c=$(sql "$(ws_db ws2)" "SELECT id FROM notes WHERE uid = '$c'")
  "$tool" edit "$(ws_db ws1)" "$c" "Edit of c on one." && wsync ws1 >/dev/null &&
    "$dictum" --data-dir "$tmp/ws2" notes sign "$id_c" >/dev/null && wsync ws2 >"$tmp/ws2.out"
  cid=$(sql "$(ws_db ws2)" "SELECT c.id FROM note_conflicts c JOIN notes n ON n.id = c.note_id WHERE n.uid = '$c' AND c.resolved_at IS NULL")
  check "conflict: keeping the server's copy over a signed local note is refused" sh -c \
    "! '$dictum' --data-dir '$tmp/ws2' sync resolve '$cid' --keep-server 2>/dev/null"
  check "conflict: the locally signed note is intact" eq \
    "$(sql "$(ws_db ws2)" "SELECT status || '/' || (SELECT text FROM note_sections WHERE note_id = notes.id AND position = 0) FROM notes WHERE uid = '$c'")" \
    "signed/Seeded note 2: cough for 3 days."
}

scenario_rate_limit() {
  local n=10
  seed ws1 "$n" || return 1
  start_server DICTUM_SERVE_RATE_TEAM_MINUTE=8 || return 1
  key=$(new_key acme) || return 1
  local t0=$SECONDS
  wsync ws1 --json >"$tmp/out.json" 2>"$tmp/err"
  local rc=$?
  echo "  $((SECONDS - t0)) s: $(tr -d '\n ' <"$tmp/out.json")"
  check "rate_limit: the sync finishes with exit 0" eq "$rc" 0
  check "rate_limit: it slowed down (waited)" sh -c \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"waited_ms\"]>1000 else 1)' '$tmp/out.json'"
  check "rate_limit: no errors, everything pushed once" all_synced_once ws1 "$n"
}

# A test double for a broken server: answers every request with an HTML 502
# page (mode html) or a 200 with cut-off JSON (mode json).
start_double() {
  local mode=$1
  dport=$((20000 + RANDOM % 30000))
  python3 -c '
import http.server, sys
mode = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n: self.rfile.read(n)
        if mode == "html":
            body, status, ctype = b"<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "text/html"
        else:
            body, status, ctype = b"{\"id\": \"note_12", 200, "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PATCH = answer
    def log_message(self, *a): pass
import os
open(sys.argv[3], "w").write(str(os.getpid()))
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$dport" "$mode" "$tmp/double.pid" >/dev/null 2>&1 &
  for _ in $(seq 1 50); do
    if [ -s "$tmp/double.pid" ] && curl -s -o /dev/null "http://127.0.0.1:$dport/"; then
      double_pid=$(cat "$tmp/double.pid") # python's own pid, whatever launched it
      return 0
    fi
    sleep 0.1
  done
  return 1
}

scenario_bad_server() {
  seed ws1 5 || return 1
  key=not-a-real-key
  for mode in html json; do
    start_double "$mode" || return 1
    base=http://127.0.0.1:$dport
    wsync ws1 --once >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    kill "$double_pid"
    rm -f "$tmp/double.pid"
    double_pid=
    echo "  $mode: exit $rc: $(cat "$tmp/err")"
    check "bad_server ($mode): exit non-zero" [ "$rc" -ne 0 ]
    check "bad_server ($mode): a clear error" contains "$tmp/err" \
      "$([ "$mode" = html ] && echo 'an HTML page' || echo 'malformed JSON')"
    check "bad_server ($mode): the outbox is intact" eq "$(outbox ws1)" 5
    check "bad_server ($mode): no note marked synced" eq "$(local_unsynced ws1)" 5
  done
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  wsync ws1 >"$tmp/out" 2>&1
  check "bad_server: a real server then gets everything (after backoff)" all_synced_once ws1 5
}

scenario_offline() {
  seed ws1 4 || return 1
  "$dictum" --data-dir "$tmp/ws1" sync >"$tmp/out" 2>&1
  check "offline: no server configured is exit 0" eq "$?" 0
  check "offline: ... and says offline" contains "$tmp/out" "offline: no server configured"
  local port=$((20000 + RANDOM % 30000))
  base=http://127.0.0.1:$port key=k
  wsync ws1 >"$tmp/out" 2>&1
  check "offline: connection refused is exit 0" eq "$?" 0
  check "offline: ... and says offline" contains "$tmp/out" "^offline: "
  wsync ws1 --strict >/dev/null 2>&1
  check "offline: --strict makes it exit 1" eq "$?" 1
  base=http://sync-test.invalid key=k
  wsync ws1 >"$tmp/out" 2>&1
  check "offline: a name that does not resolve is offline, exit 0" contains "$tmp/out" "^offline: "
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  local plain=$base
  base=${plain/http:/https:}
  wsync ws1 >"$tmp/out" 2>&1
  local rc=$?
  check "offline: TLS to a plain HTTP server is the tls state, exit 1" sh -c \
    "[ $rc = 1 ] && grep -q '^tls: ' '$tmp/out'"
  check "offline: nothing lost" sh -c "[ $(outbox ws1) = 4 ] && [ $(local_unsynced ws1) = 4 ]"
  base=$plain
  local good=$key
  key=dk_wrong_key_for_this_test
  wsync ws1 >"$tmp/out" 2>&1
  rc=$?
  check "offline: a key the server refuses is exit 1, rejected, nothing lost" sh -c \
    "[ $rc = 1 ] && grep -q '^rejected: HTTP 401' '$tmp/out' && [ $(outbox ws1) = 4 ]"
  key=$good
  DICTUM_LOG=trace wsync ws1 >"$tmp/out" 2>&1
  check "offline: back online, everything goes" all_synced_once ws1 4
  check "offline: the API key is never printed, even at DICTUM_LOG=trace" sh -c \
    "! grep -q -- '$key' '$tmp/out'"
}

# A signed note's addendum made offline reaches the server (POST .../addenda)
# and the other workstation; the signed text stays as it was everywhere.
scenario_addendum() {
  seed ws1 2 || return 1
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  local id uid signed_text
  id=$(sql "$(ws_db ws1)" "SELECT id FROM notes ORDER BY id LIMIT 1")
  uid=$(sql "$(ws_db ws1)" "SELECT uid FROM notes WHERE id = $id")
  "$dictum" --data-dir "$tmp/ws1" notes sign "$id" >/dev/null && wsync ws1 >/dev/null || return 1
  check "addendum: the server has the signed note" eq \
    "$(sql "$db" "SELECT status || '/' || version FROM notes WHERE external_id = '$uid'")" signed/2
  signed_text=$(sql "$db" "SELECT sections FROM notes WHERE external_id = '$uid'")
  wsync ws2 >/dev/null || return 1
  # offline: the server is down while the addendum is written
  stop_server || return 1
  echo "Potassium 4.1 on recheck." | "$dictum" --data-dir "$tmp/ws1" notes addendum "$id" - >/dev/null || return 1
  check "addendum: queued as an addendum row" eq \
    "$(sql "$(ws_db ws1)" "SELECT operation FROM outbox")" addendum
  wsync ws1 >"$tmp/off.out"
  check "addendum: offline keeps it queued" eq "$(outbox ws1)" 1
  start_server "${fast_limits[@]}" || return 1
  wsync ws1 --json >"$tmp/ws1.json"
  check "addendum: back online it is pushed, no conflict" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pushed"] == 1 and d["conflicts"] == 0 and d["state"] == "ok", d' "$tmp/ws1.json"
  check "addendum: the server's note has it as a new last section, version 3" eq \
    "$(sql "$db" "SELECT version || '/' || json_extract(sections, '\$[#-1].text') || '/' || json_extract(sections, '\$[#-1].key') FROM notes WHERE external_id = '$uid'")" \
    "3/Potassium 4.1 on recheck./addendum_3"
  check "addendum: the signed sections are unchanged" python3 -c '
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
now = json.loads(c.execute("SELECT sections FROM notes WHERE external_id = ?", (sys.argv[2],)).fetchone()[0])
assert now[:-1] == json.loads(sys.argv[3]), now' "$db" "$uid" "$signed_text"
  check "addendum: the note is still signed on the server" eq \
    "$(sql "$db" "SELECT status FROM notes WHERE external_id = '$uid'")" signed
  check "addendum: everything synced on the workstation" sh -c \
    "[ $(outbox ws1) = 0 ] && [ $(local_unsynced ws1) = 0 ]"
  wsync ws1 --json >"$tmp/again.json"
  check "addendum: a second sync sends nothing" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pushed"] == 0 and d["conflicts"] == 0, d' "$tmp/again.json"
  check "addendum: the server holds it once" eq \
    "$(sql "$db" "SELECT count(*) FROM audit WHERE action = 'note.addendum'")" 1
  wsync ws2 >"$tmp/ws2.out"
  check "addendum: the other workstation pulls it" sh -c \
    "'$dictum' --data-dir '$tmp/ws2' notes show \$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM notes WHERE uid = ?\", (sys.argv[2],)).fetchone()[0])' '$(ws_db ws2)' '$uid') | grep -q 'Potassium 4.1 on recheck.'"
  stop_server
}

# A multi-MB recording (and a transcript) upload in 1 MiB chunks after
# their note; the server
# is SIGKILLed in the middle of it, restarted, and the next sync resumes
# from the server's offset: the server's file is byte-identical and no
# byte it had stored was sent again.
scenario_upload() {
  command -v sox >/dev/null || { echo "sox missing: skip"; exit 77; }
  seed ws1 1 || return 1
  sox -n -r 16000 -c 1 -b 16 "$tmp/rec.wav" synth 400 whitenoise vol 0.3 || return 1
  local size rec
  size=$(stat -c %s "$tmp/rec.wav")
  rec=$("$tool" recording "$(ws_db ws1)" "$tmp/rec.wav") || return 1
  local words="Chief complaint: cough for three days. Plan: rest."
  "$tool" transcript "$(ws_db ws1)" "$words" || return 1
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  # kill the server once it holds 3 MiB of the recording
  DICTUM_SERVER=$base DICTUM_API_KEY=$key python3 -c '
import os, signal, sqlite3, subprocess, sys, time
db, victim, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
p = subprocess.Popen(sys.argv[4:], stdout=open(out, "w"), stderr=subprocess.STDOUT)
c = sqlite3.connect(db, timeout=5)
end = time.time() + 60
while time.time() < end and p.poll() is None:
    try:
        r = c.execute("SELECT max(received) FROM uploads").fetchone()[0]
        if r and r >= 3 << 20:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.001)
os.kill(victim, signal.SIGKILL)
p.wait()
' "$db" "$srv_pid" "$tmp/first.out" "$dictum" --data-dir "$tmp/ws1" sync --once
  wait "$srv_pid" 2>/dev/null
  srv_pid=
  local at_kill
  at_kill=$(sql "$db" "SELECT received FROM uploads")
  check "upload: the server was killed part way ($at_kill of $size bytes)" \
    sh -c "[ '$at_kill' -ge $((3 << 20)) ] && [ '$at_kill' -lt $size ]"
  check "upload: the note went first" eq "$(sql "$db" "SELECT count(*) FROM notes")" 1
  check "upload: the workstation keeps the server's upload id" eq \
    "$(sql "$(ws_db ws1)" "SELECT upload_id = '$(sql "$db" "SELECT uid FROM uploads")' FROM recordings")" 1
  start_server "${fast_limits[@]}" || return 1
  wsync ws1 --json >"$tmp/second.json" 2>"$tmp/second.err"
  check "upload: the next sync finishes it, resumed from the server's offset" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
at = int(sys.argv[2]); size = int(sys.argv[3])
assert d["uploaded"] == 2 and d["uploads_resumed"] == 1 and d["uploads_left"] == 0, d
sent = size - d["upload_skipped_bytes"] + int(sys.argv[4])
assert d["upload_skipped_bytes"] >= at and d["upload_bytes"] == sent, d' \
    "$tmp/second.json" "$at_kill" "$size" "${#words}"
  check "upload: progress is shown on standard error" grep -q "uploading $rec: .* of" "$tmp/second.err"
  local file
  file=$(sql "$db" "SELECT path FROM uploads WHERE kind = 'recording'")
  check "upload: the server's file is byte-identical" cmp "$tmp/rec.wav" "$file"
  check "upload: complete, checked, attached to the note" eq \
    "$(sql "$db" "SELECT u.status || '/' || (u.note_uid = n.uid) || '/' || u.sha256 FROM uploads u, notes n WHERE u.kind = 'recording'")" \
    "complete/1/$(sha256sum "$tmp/rec.wav" | cut -d' ' -f1)"
  check "upload: no stored byte was sent twice (bytes in == size)" eq \
    "$(sql "$db" "SELECT bytes_in FROM uploads WHERE kind = 'recording'")" "$size"
  check "upload: in 1 MiB chunks" eq "$(sql "$db" "SELECT chunks FROM uploads WHERE kind = 'recording'")" \
    "$(((size + (1 << 20) - 1) >> 20))"
  check "upload: the workstation marks it uploaded" eq \
    "$(sql "$(ws_db ws1)" "SELECT (SELECT uploaded_at IS NOT NULL FROM recordings) + (SELECT uploaded_at IS NOT NULL FROM transcripts)")" 2
  wsync ws1 --json >"$tmp/third.json"
  check "upload: a third sync sends nothing" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uploaded"] == 0 and d["upload_bytes"] == 0 and d["uploads_left"] == 0, d' "$tmp/third.json"
  check "upload: the transcript went too, complete and attached" eq \
    "$(sql "$db" "SELECT u.status || '/' || (u.note_uid = n.uid) FROM uploads u, notes n WHERE u.kind = 'transcript'")" complete/1
  check "upload: the server holds the transcript's text" eq \
    "$(cat "$(sql "$db" "SELECT path FROM uploads WHERE kind = 'transcript'")")" "$words"
  check "upload: one upload of each on the server" eq "$(sql "$db" "SELECT count(*) FROM uploads")" 2
  stop_server
}

# Encounters set to the server's engines: dictum sync sends the recording
# to the server, which transcribes it and drafts the note; both are stored
# here and the note goes back up. With the server down, the local engines
# do it. An encounter left on local engines is not touched by sync.
scenario_server_engine() {
  local model=/usr/share/pocketsphinx/model/en-us/en-us
  if [ ! -d "$model" ] || ! command -v flite >/dev/null || ! command -v sox >/dev/null; then
    echo "skip: needs pocketsphinx-en-us, flite and sox"
    exit 77
  fi
  flite -voice slt -t "chief complaint cough for three days. the patient denies fever." -o "$tmp/raw.wav"
  sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/a.wav" && cp "$tmp/a.wav" "$tmp/b.wav" &&
    cp "$tmp/a.wav" "$tmp/c.wav" || return 1
  mkdir -p "$tmp/ws1"
  local e1 e2 e3 w1="$(ws_db ws1)"
  e1=$("$tool" encounter "$w1" progressNote) && e2=$("$tool" encounter "$w1" clinicNote) &&
    e3=$("$tool" encounter "$w1" clinicNote) || return 1
  "$tool" recording "$w1" "$tmp/a.wav" "$e1" >/dev/null && "$tool" recording "$w1" "$tmp/b.wav" "$e2" >/dev/null &&
    "$tool" recording "$w1" "$tmp/c.wav" "$e3" >/dev/null || return 1
  check "engine: local by default" eq "$("$dictum" --data-dir "$tmp/ws1" encounters engine "$e1")" "encounter $e1: local"
  "$dictum" --data-dir "$tmp/ws1" encounters engine "$e1" server >/dev/null
  check "engine: set to server" eq "$("$dictum" --data-dir "$tmp/ws1" --json encounters engine "$e1" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["encounter"], d["engine"])')" "$e1 server"
  check "engine: a bad value is refused with a reason" sh -c \
    "! '$dictum' --data-dir '$tmp/ws1' encounters engine $e1 cloud 2>'$tmp/err' && grep -q 'local or server' '$tmp/err'"
  check "engine: an unknown encounter is refused" sh -c "! '$dictum' --data-dir '$tmp/ws1' encounters engine 999 server 2>/dev/null"
  start_server "${fast_limits[@]}" || return 1
  key=$(new_key acme) || return 1
  wsync ws1 --json >"$tmp/s1.json" 2>"$tmp/s1.err"
  check "engine: the server drafted the server encounter's recording" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["drafted_by_server"] == 1 and d["drafted_locally"] == 0 and d["notes_drafted"] == 1, d' "$tmp/s1.json"
  check "engine: the transcript is stored here, from the server" eq \
    "$(sql "$w1" "SELECT engine || '/' || (text LIKE '%patient%') FROM transcripts WHERE encounter_id = $e1")" server/1
  check "engine: the server ran the audio-note job" eq \
    "$(sql "$db" "SELECT count(*) FROM jobs WHERE type = 'audio.note' AND status = 'completed'")" 1
  check "engine: the note is drafted into the encounter in its type" eq \
    "$(sql "$w1" "SELECT note_type || '/' || (body LIKE '%patient%') FROM notes WHERE encounter_id = $e1")" progressNote/1
  check "engine: and pushed to the server in the same run" eq \
    "$(sql "$w1" "SELECT sync_state FROM notes WHERE encounter_id = $e1")" synced
  check "engine: local encounters are left alone" eq \
    "$(sql "$w1" "SELECT count(*) FROM transcripts WHERE encounter_id IN ($e2, $e3)")" 0
  # the server goes away: the local engines take over
  stop_server
  "$dictum" --data-dir "$tmp/ws1" encounters engine "$e2" server >/dev/null
  wsync ws1 --json >"$tmp/s2.json" 2>"$tmp/s2.err"
  check "engine: server unreachable: the local engines draft it" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["state"] == "offline" and d["drafted_locally"] == 1 and d["drafted_by_server"] == 0, d' "$tmp/s2.json"
  check "engine: its transcript is the local engine's" eq \
    "$(sql "$w1" "SELECT engine || '/' || (text LIKE '%patient%') FROM transcripts WHERE encounter_id = $e2")" sphinx/1
  check "engine: and its note waits to be pushed" eq \
    "$(sql "$w1" "SELECT sync_state FROM notes WHERE encounter_id = $e2")" queued
  start_server "${fast_limits[@]}" || return 1
  wsync ws1 --json >"$tmp/s3.json"
  check "engine: back online the note goes up and nothing is drafted twice" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["drafted_by_server"] == 0 and d["drafted_locally"] == 0 and d["pushed"] >= 1, d' "$tmp/s3.json"
  check "engine: one transcript per recording" eq \
    "$(sql "$w1" "SELECT count(*) || '/' || count(DISTINCT recording_id) FROM transcripts")" 2/2
  stop_server
}

case $scenario in
server_kill | client_kill | conflict | rate_limit | bad_server | offline | addendum | upload | server_engine)
  "scenario_$scenario" || not_ok "$scenario: setup failed"
  ;;
*)
  echo "unknown scenario $scenario"
  exit 2
  ;;
esac
[ -n "${double_pid:-}" ] && kill "$double_pid" 2>/dev/null
finish
