#!/usr/bin/env bash
# Conflicts in a real terminal (tmux) against a real `dictum serve`: three
# notes edited on two workstations (two data directories) are in conflict
# on the second; the workstation shows local beside the server's copy (one
# above the other at 80 columns), and the clinician merges one in $EDITOR,
# keeps the server's copy of another and the local copy of the third. The
# choices are saved as new versions, the conflicts cleared and pushed; a
# signed local note is never overwritten.
dictum=$1
tool=$2
. "$(dirname "$0")/../lib.sh"
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
. "$(dirname "$0")/../server/srv_lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
trap 'tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null; cleanup_server; rm -rf "$tmp"' EXIT
export USER=dr_test
sql() {
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2"
}
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=1000000 || exit 1
key=$(new_key acme) || exit 1
wsync() { DICTUM_SERVER=$base DICTUM_API_KEY=$key "$dictum" --data-dir "$tmp/$1" sync >/dev/null 2>&1; }

mkdir -p "$tmp/ws1"
"$tool" seed "$tmp/ws1/dictum.db" 4 >/dev/null || exit 1
wsync ws1 && wsync ws2 || { echo "not ok - the first syncs"; exit 1; }
uids=($(python3 -c 'import sqlite3,sys; print(" ".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT uid FROM notes ORDER BY id")))' "$tmp/ws1/dictum.db"))
for i in 0 1 2 3; do
  "$tool" edit "$tmp/ws1/dictum.db" "${uids[$i]}" "Server side $i: cough better." >/dev/null
  "$tool" edit "$tmp/ws2/dictum.db" "${uids[$i]}" "Local side $i: cough worse." >/dev/null
done
# The fourth: edited on the first, signed on the second.
"$tool" edit "$tmp/ws1/dictum.db" "${uids[3]}" "Server side 3: edited after all." >/dev/null
"$dictum" --data-dir "$tmp/ws2" notes sign "$(sql "$tmp/ws2/dictum.db" "SELECT id FROM notes WHERE uid = '${uids[3]}'")" >/dev/null
wsync ws1 && wsync ws2
check "the second workstation has four conflicts" test "$(sql "$tmp/ws2/dictum.db" "SELECT count(*) FROM notes WHERE sync_state = 'conflict'")" = 4

cat >"$tmp/editor.sh" <<'ED'
#!/bin/sh
printf '# History of Present Illness\nMerged: cough better in the morning, worse at night.\n' >"$1"
ED
chmod +x "$tmp/editor.sh"

t -f /dev/null new-session -d -s dictum -x 130 -y 30 \
  "env TERM=screen-256color EDITOR='$tmp/editor.sh' VISUAL= DICTUM_SERVER='$base' DICTUM_API_KEY='$key' '$dictum' --data-dir '$tmp/ws2'; echo EXITED=\$?; sleep 30"
check "the list shows the conflicts" wait_for "conflict"
check "the status bar counts them" wait_for "4 conflict(s)"

# open_note N: back to the list, search for the note saying "Local side N", open it.
# search WORDS: back to the list and search for WORDS ("" for all notes).
search() {
  t send-keys -t dictum 'h' 'h' '/'
  for _ in $(seq 20); do t send-keys -t dictum BSpace; done
  [ -n "$1" ] && t send-keys -t dictum "$1"
  t send-keys -t dictum Enter
  sleep 0.5
}
open_note() {
  search "Local side $1"
  wait_for "search: Local side $1" >/dev/null
  t send-keys -t dictum Enter
}

open_note 0
check "an open note in conflict says so" wait_for "CONFLICT: this note changed here and on the server"
check "it shows the local text" wait_for "Local side 0"
t send-keys -t dictum 'm'
check "m compares: local" wait_for "LOCAL (version"
check "beside the server's copy" wait_for "SERVER (version"
check "side by side at 130 columns (both texts on one row)" \
  eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | grep 'Local side 0' | grep -q 'Server side 0'"
check "the differing section is marked" wait_for "[differs]"
t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "at 80x24 the two are stacked: local" wait_for "Local side 0"
check "at 80x24 the two are stacked: no row holds both" \
  bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep 'Local side 0' | grep -q 'Server side 0'"
check "at 80x24 the server's copy is below" wait_for "Server side 0"
check "the status bar is on row 23" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'conflict'"
t resize-window -t dictum -x 130 -y 30
t send-keys -t dictum 'e'
check "e merges in \$EDITOR; the merge is saved and the conflict cleared" wait_for "Conflict resolved"
check "the merged text is the note" wait_for "Merged: cough better in the morning"
check "and it is pushed" wait_for "Synced:" 10

# choose N KEY WHAT TEXT: opens note N, compares, presses KEY; then TEXT is the note.
choose() {
  open_note "$1"
  check "note $1 in conflict opens" wait_for "Local side $1: cough worse."
  t send-keys -t dictum 'm'
  check "note $1 compares" wait_for "Server side $1"
  t send-keys -t dictum "$2"
  check "$2 $3" wait_for "Conflict resolved"
  check "then the note says '$4'" wait_for "$4"
}
choose 1 '>' "keeps the server's copy" "Server side 1: cough better."
choose 2 '<' "keeps the local note" "Local side 2: cough worse."
check "the bar counts the one left" wait_for "| 1 conflict(s)" 10

# The signed one: the server's copy may not overwrite it.
search ""
signed_row=$(screen | grep -n "signed" | grep conflict | head -1 | cut -d: -f1)
for _ in $(seq $((signed_row - 3))); do t send-keys -t dictum 'j'; done
t send-keys -t dictum Enter
check "the signed note in conflict opens" wait_for "CONFLICT: this note changed"
t send-keys -t dictum 'm'
check "it compares: the local copy is signed" wait_for ", signed)"
t send-keys -t dictum '>'
check "> is refused: a signed note is never overwritten" wait_for "is signed and is never overwritten"
t send-keys -t dictum '<'
check "< keeps the signed note" wait_for "Conflict resolved"
check "everything is pushed: no conflict left in the bar" gone "conflict(s)"
t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
t kill-server 2>/dev/null

wsync ws2
check "no conflict is left on the second workstation" test "$(sql "$tmp/ws2/dictum.db" "SELECT count(*) FROM notes WHERE sync_state = 'conflict'")" = 0
wsync ws1
check "the first workstation pulls the merge" test "$("$tool" text "$tmp/ws1/dictum.db" "${uids[0]}")" = "Merged: cough better in the morning, worse at night."
check "the server's copy stayed for the second" test "$("$tool" text "$tmp/ws1/dictum.db" "${uids[1]}")" = "Server side 1: cough better."
check "the local copy won for the third" test "$("$tool" text "$tmp/ws1/dictum.db" "${uids[2]}")" = "Local side 2: cough worse."
check "the signed note kept its text here" test "$("$tool" text "$tmp/ws2/dictum.db" "${uids[3]}")" = "Local side 3: cough worse."
check "and is signed on the server too" test "$(sql "$tmp/ws1/dictum.db" "SELECT status FROM notes WHERE uid = '${uids[3]}'")" = signed
check "the versions before the merge are kept in the history" test \
  "$(sql "$tmp/ws2/dictum.db" "SELECT count(*) FROM note_versions WHERE note_id = (SELECT id FROM notes WHERE uid = '${uids[0]}')")" -ge 3
finish
