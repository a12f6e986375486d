# Shared by the shell tests: `check` counts, `finish` prints the tally.
set -u
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dictum-sh-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
# For the speech tests: skips (exit 77) unless the en-us speech model, flite
# and sox are installed; then gives the test its own config and data homes.
need_speech() {
  if [ ! -d /usr/share/pocketsphinx/model/en-us/en-us ] || ! command -v flite >/dev/null ||
    ! command -v sox >/dev/null; then
    echo "skip: needs pocketsphinx-en-us, flite and sox (scripts/install-deps.sh)"
    exit 77
  fi
  export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data
  mkdir -p "$XDG_CONFIG_HOME/dictum"
}
