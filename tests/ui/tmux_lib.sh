# Sourced by the workstation's tmux tests after lib.sh: drive a tmux server
# of the test's own ($tmp/tmux.sock) whose session is called dictum.
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed (scripts/install-deps.sh)"; exit 77; }
sock=$tmp/tmux.sock
# Tests with more to clean up set their own trap after this one.
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
t() { tmux -S "$sock" "$@"; }
screen() { t capture-pane -p -t dictum; }
# wait_for TEXT [SECONDS]: up to SECONDS (10) for TEXT to appear on the screen.
wait_for() {
  local n=$(( ${2:-10} * 10 ))
  for _ in $(seq "$n"); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "--- screen while waiting for '$1':"
  screen
  return 1
}
# gone TEXT: up to 10 s for TEXT to leave the screen.
# eventually CMD...: CMD succeeds within 10 s (retried every 0.1 s), for
# checks that read the screen right after a key or a resize.
eventually() {
  for _ in $(seq 100); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  "$@"
}
# wait_re REGEX [SECONDS]: like wait_for, for a line matching REGEX (grep -E).
wait_re() {
  local n=$(( ${2:-10} * 10 ))
  for _ in $(seq "$n"); do
    screen | grep -qE -- "$1" && return 0
    sleep 0.1
  done
  echo "--- screen while waiting for /$1/:"
  screen
  return 1
}
gone() {
  for _ in $(seq 100); do
    screen | grep -qF -- "$1" || return 0
    sleep 0.1
  done
  echo "--- screen while waiting for '$1' to go:"
  screen
  return 1
}
# pick_row TEXT: in a picker whose first row is screen line 3, moves down
# to the first row holding TEXT and presses Enter.
pick_row() {
  local row
  row=$(screen | grep -nF -- "$1" | head -1 | cut -d: -f1)
  [ -n "$row" ] || return 1
  for _ in $(seq $((row - 3))); do t send-keys -t dictum Down; done
  t send-keys -t dictum Enter
}
# dictation_clip OUT: dictation with spoken punctuation and section cues at
# 16 kHz: the shared data set's clip, else the same words from flite (needs
# sox; exits 77 when there is neither).
dictation_clip() {
  local shared=${DICTUM_SOURCE:-.}/../shared/data/dictation/wav/d02-slt.wav
  [ -f "$shared" ] || shared=/work/shared/data/dictation/wav/d02-slt.wav
  if [ -f "$shared" ]; then
    sox "$shared" -r 16000 "$1"
  elif command -v flite >/dev/null; then
    flite -t "chief complaint colon ear pain period history of present illness colon six year \
old boy with two days of left ear pain and fever period new paragraph assessment and plan colon \
acute otitis media of the left ear period" -o "$tmp/flite.wav" && sox "$tmp/flite.wav" -r 16000 "$1"
  else
    echo "SKIP: no dictation to play (neither shared/data/dictation nor flite)"
    exit 77
  fi
}
