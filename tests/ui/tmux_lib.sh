# Sourced by the workstation's tmux tests after lib.sh: drive a tmux server
# of the test's own ($tmp/tmux.sock) whose session is called dictum.
sock=$tmp/tmux.sock
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
gone() {
  for _ in $(seq 100); do
    screen | grep -qF -- "$1" || return 0
    sleep 0.1
  done
  echo "--- screen while waiting for '$1' to go:"
  screen
  return 1
}
