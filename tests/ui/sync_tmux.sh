#!/usr/bin/env bash
# The workstation's background sync in a real terminal (tmux) against a
# real `dictum serve` on 127.0.0.1: offline is a state in the status bar,
# s syncs on demand, a local edit is pushed by itself shortly after, a
# server that never answers does not block the screen, and a killed server
# is offline again with nothing lost.
dictum=$1
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
. "$(dirname "$0")/../server/srv_lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
trap 'tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null; cleanup_server; [ -n "${hang:-}" ] && kill $hang 2>/dev/null; rm -rf "$tmp"' EXIT
export USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Rosalind --last Franklin >/dev/null
for i in 1 2; do
  printf '# Chief Complaint\nCough %s.\n# Plan\nFluids.\n' "$i" |
    "$dictum" --data-dir "$data" notes add --patient 1 --type clinicNote - >/dev/null
done
cat >"$tmp/editor.sh" <<'ED'
#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0)
echo $((n + 1)) >"$0.count"
printf '# Chief Complaint\nCough 2, better today (edit %s).\n# Plan\nFluids.\n' "$n" >"$1"
ED
chmod +x "$tmp/editor.sh"

# A port where a server will run, and nothing runs yet.
start_server || exit 1
port=${base##*:}
key=$(new_key acme) || exit 1
stop_server
mkdir -p "$HOME/.config/dictum"
printf '[ui]\nsync_interval_s = 600\n[server]\ntimeout_ms = 3000\n' >"$HOME/.config/dictum/config.ini"

t -f /dev/null new-session -d -s dictum -x 110 -y 30 \
  "env TERM=screen-256color EDITOR='$tmp/editor.sh' VISUAL= DICTUM_SERVER='$base' DICTUM_API_KEY='$key' '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
check "first screen" wait_for "Franklin, Rosalind"
check "with the server down the status bar says offline, not an error" wait_for " offline | 2 queued |"
check "the reason is on the bottom line" wait_for "Sync: offline:"

"$dictum" serve --listen "127.0.0.1:$port" --db "$db" >"$tmp/serve2.out" 2>>"$tmp/serve.err" &
srv_pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$tmp/serve2.out" && break; sleep 0.05; done
t send-keys -t dictum 's'
check "s syncs now: both notes pushed" wait_for "Synced: 2 change(s) pushed"
check "the status bar says online with the time of the sync" wait_for " online | synced "
check "nothing is queued any more" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q queued"
check "the list shows the notes synced" wait_for "synced"
check "the server holds both notes" bash -c "[ \$(python3 -c \"import sqlite3; print(sqlite3.connect('$db').execute('SELECT count(*) FROM notes').fetchone()[0])\") = 2 ]"

t send-keys -t dictum Enter
check "a note opens" wait_for "Chief Complaint"
t send-keys -t dictum 'e'
check "an edit is saved" wait_for "Saved (version 2)."
check "and pushed by itself shortly after" wait_for "Synced: 1 change(s) pushed" 10
DICTUM_SERVER=$base DICTUM_API_KEY=$key "$dictum" --data-dir "$tmp/ws2" sync >/dev/null 2>&1
check "a second workstation pulls the edit from the server" \
  bash -c "'$dictum' --data-dir '$tmp/ws2' notes search better | grep -q 'better] today (edit 0)'"

kill_server
t send-keys -t dictum 'q' 's'
check "with the server killed, s says offline" wait_for " offline | synced "
check "and why, on the bottom line" wait_for "Sync: offline:"
t send-keys -t dictum Enter
check "the note opens offline" wait_for "better today"
t send-keys -t dictum 'e'
check "work goes on offline: the edit is saved" wait_for "Saved (version 3)."
check "and queued" wait_for " offline | 1 queued"

# A server that accepts and never answers: the pass waits for the timeout
# on the sync thread while the screen keeps answering keys.
python3 -c '
import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept(); conns.append(c)
    except socket.timeout:
        pass
' "$port" >/dev/null 2>&1 &
hang=$!
sleep 0.5
t send-keys -t dictum 's'
check "against a server that never answers the bar says syncing" wait_for "syncing..."
t send-keys -t dictum '?'
check "keys still work while the sync waits" wait_for "Show this help"
check "the help came before the sync gave up" bash -c "tmux -S '$sock' capture-pane -p -t dictum | grep -q 'syncing...'"
check "then the timeout is offline, nothing lost" wait_for " offline | 1 queued" 15
kill $hang 2>/dev/null
wait $hang 2>/dev/null
hang=
t send-keys -t dictum 'q' 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
t kill-server 2>/dev/null
check "the edit made offline is still queued in the store" python3 -c "
import sqlite3; c = sqlite3.connect('$data/dictum.db')
assert c.execute('SELECT count(*) FROM outbox').fetchone()[0] == 1"
finish
