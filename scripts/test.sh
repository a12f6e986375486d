#!/usr/bin/env bash
# One command: install what is missing, then build twice (normal, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and run every test in both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# A PulseAudio daemon of our own for the audio tests (tests/audio/pulse.sh
# finds it through PULSE_SERVER; each test loads its own null sink), in a
# private runtime folder, stopped on exit even when a test fails. CI runs as
# root: --disallow-exit and an anonymous unix socket make that work without
# --system.
pulse_dir=""
stop_pulse() {
  local pid=""
  [ -n "$pulse_dir" ] || return 0
  [ -f "$pulse_dir/pulse/pid" ] && pid=$(cat "$pulse_dir/pulse/pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    # It writes into its folder while it shuts down: wait before removing it.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$pulse_dir" 2>/dev/null || true
  return 0
}
if command -v pulseaudio >/dev/null 2>&1; then
  pulse_dir=$(mktemp -d "${TMPDIR:-/tmp}/dictum-pulse-XXXXXX")
  trap stop_pulse EXIT
  if XDG_RUNTIME_DIR=$pulse_dir HOME=$pulse_dir pulseaudio -D -n --exit-idle-time=-1 \
      --disallow-exit --use-pid-file=yes \
      -L "module-native-protocol-unix auth-anonymous=1 socket=$pulse_dir/native" \
      -L module-null-sink --log-target=file:"$pulse_dir/pulse.log" </dev/null >/dev/null 2>&1; then
    export PULSE_SERVER=unix:$pulse_dir/native
    echo "== PulseAudio test daemon at $PULSE_SERVER"
  else
    echo "== could not start a PulseAudio daemon: the audio tests start their own or skip" >&2
  fi
fi

status=0
for variant in normal sanitize; do
  dir="$root/build-test-$variant"
  args=()
  [ "$variant" = sanitize ] && args+=(-DDICTUM_SANITIZE=ON)
  echo "== build ($variant)"
  bash "$root/scripts/build.sh" "$dir" "${args[@]}"
  echo "== test ($variant)"
  if ! (cd "$dir" && ctest --output-on-failure --timeout 900 -j2); then
    status=1
  fi
done
exit $status
