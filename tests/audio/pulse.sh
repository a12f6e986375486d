# A new null sink's monitor starts delivering about 1.5 s after a stream
# connects: tests wait for dictum record's "receiving audio" before playing.
#
# Sourced by the audio shell tests after lib.sh: a PulseAudio server with a
# null sink of this test's own. scripts/test.sh starts one daemon for the
# whole run and exports PULSE_SERVER; run alone, a test starts a private
# daemon and stops it on exit. Each test loads its own null sink, so tests
# running in parallel never hear each other.
pulse_pid=""
pulse_module=""

pulse_teardown() {
  [ -n "$pulse_module" ] && pactl unload-module "$pulse_module" >/dev/null 2>&1
  if [ -n "$pulse_pid" ]; then
    kill "$pulse_pid" 2>/dev/null
    # It writes into $tmp while it shuts down: let it finish before rm -rf.
    for _ in $(seq 50); do kill -0 "$pulse_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  pulse_module=""
  pulse_pid=""
}

# pulse_setup NAME: sets $sink (a fresh null sink) or exits 77 (skip).
pulse_setup() {
  for t in pulseaudio pactl paplay; do
    command -v "$t" >/dev/null || { echo "skip: $t is not installed (scripts/install-deps.sh)"; exit 77; }
  done
  trap 'pulse_teardown; rm -rf "$tmp"' EXIT
  if [ -z "${PULSE_SERVER:-}" ] || ! pactl info >/dev/null 2>&1; then
    local dir=$tmp/pulse
    mkdir -p "$dir"
    chmod 700 "$dir"
    export XDG_RUNTIME_DIR=$dir PULSE_SERVER=unix:$dir/native
    HOME=$dir pulseaudio -D -n --exit-idle-time=-1 --disallow-exit --use-pid-file=yes \
      -L "module-native-protocol-unix auth-anonymous=1 socket=$dir/native" \
      --log-target=file:"$dir/pulse.log" </dev/null >/dev/null 2>&1
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pulse_pid=$(cat "$dir/pulse/pid" 2>/dev/null)
    pactl info >/dev/null 2>&1 || { echo "skip: cannot start a PulseAudio daemon"; exit 77; }
  fi
  sink=dictum_$1_$$
  pulse_module=$(pactl load-module module-null-sink sink_name="$sink" rate=48000 channels=2) ||
    { echo "not ok - cannot load a null sink"; exit 1; }
}

# speech_clip OUT: a known WAV of speech, from the shared data set or flite.
speech_clip() {
  local d
  for d in "${DICTUM_SOURCE:-.}/../shared/data/speech/wav" /work/shared/data/speech/wav; do
    if [ -f "$d/LJ001-0001.wav" ] && [ -f "$d/LJ001-0002.wav" ]; then
      sox "$d/LJ001-0001.wav" "$d/LJ001-0002.wav" "$1" trim 0 8 && return 0
    fi
  done
  if command -v flite >/dev/null; then
    flite -t "The patient is a fifty four year old man with chest pain radiating to the left arm \
for two days. He denies shortness of breath. Blood pressure is one hundred forty over ninety." \
      -o "$tmp/flite.wav" && sox "$tmp/flite.wav" -r 16000 "$1" && return 0
  fi
  echo "skip: no speech to play (neither shared/data/speech nor flite)"
  exit 77
}
