#!/usr/bin/env bash
# Recordings survive crashes: dictum record is killed with SIGKILL at random
# moments while speech plays, then dictum recover repairs every file, which
# must be a valid WAV holding all but at most the last 2 s. Also: a live
# recording is left alone, and a full disk stops a recording cleanly.
dictum=$1
tool=$2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pulse.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR=
mkdir -p "$HOME"
pulse_setup crash
d=(--data-dir "$tmp/data")
speech_clip "$tmp/clip.wav"
# Longer than the whole test, so no recording spans two plays of it.
sox "$tmp/clip.wav" "$tmp/clip.wav" "$tmp/clip.wav" "$tmp/clip.wav" "$tmp/clip.wav" "$tmp/clip.wav" "$tmp/long.wav"

(while :; do paplay --latency-msec=500 -d "$sink" "$tmp/long.wav" 2>/dev/null || exit 0; done) &
player=$!
trap 'kill $player 2>/dev/null; pulse_teardown; rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

# Kill 0: right after start, before audio may even flow.
"$dictum" "${d[@]}" record -b pulse -d "$sink.monitor" -o "$tmp/k0.wav" 2>/dev/null >/dev/null &
sleep 0.0$((RANDOM % 10))
kill -9 $!
wait $! 2>/dev/null

declare -A elapsed
for i in 1 2 3 4; do
  "$dictum" "${d[@]}" record -b pulse -d "$sink.monitor" -o "$tmp/k$i.wav" 2>"$tmp/k$i.err" >/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/k$i.err" 2>/dev/null && break; sleep 0.05; done
  t0=$(now)
  delay=$(python3 -c "import random; print(round(random.uniform(1.0, 4.5), 2))")
  sleep "$delay"
  kill -9 $pid
  t1=$(now)
  wait $pid 2>/dev/null || true
  elapsed[$i]=$(python3 -c "print(round($t1 - $t0, 3))")
  echo "# k$i killed after ${elapsed[$i]} s of audio"
done

# A live recording must not be touched by recover.
"$dictum" "${d[@]}" record -b pulse -d "$sink.monitor" -o "$tmp/live.wav" 2>"$tmp/live.err" >/dev/null &
live=$!
for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/live.err" 2>/dev/null && break; sleep 0.05; done

"$dictum" "${d[@]}" recover >"$tmp/recover.out" 2>"$tmp/recover.err"
check "recover exits 0" test $? = 0
cat "$tmp/recover.out" "$tmp/recover.err" | sed 's/^/# /'
check "recover leaves the live recording alone" grep -q "^in progress.*live.wav" "$tmp/recover.out"
for i in 1 2 3 4; do
  check "k$i: recovered" grep -q "^recovered.*k$i.wav" "$tmp/recover.out"
  check "k$i: the repaired header counts exactly the file's audio" "$tool" header "$tmp/k$i.wav"
  got=$("$tool" header "$tmp/k$i.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
  check "k$i: holds ${got:-0} s of ${elapsed[$i]} s played (at most 2 s lost)" \
    python3 -c "import sys; sys.exit(0 if ${got:-0} >= ${elapsed[$i]} - 2.0 else 1)"
  # The content check needs a few sentences to align on: a 1 s snippet may
  # hold little more than the pause between two of them.
  if python3 -c "import sys; sys.exit(0 if ${got:-0} >= 2.5 else 1)"; then
    c=$("$tool" corr "$tmp/long.wav" "$tmp/k$i.wav" | sed -E 's/.*wcorr=([-0-9.]+).*/\1/')
    check "k$i: the audio is the speech played (windowed ncc $c > 0.9)" python3 -c "import sys; sys.exit(0 if float('${c:-0}') > 0.9 else 1)"
  fi
done
if [ -e "$tmp/k0.wav" ]; then
  check "k0 (killed at start): a valid WAV after recover" "$tool" header "$tmp/k0.wav"
fi
check "nothing was deleted" bash -c "ls '$tmp'/k[1-4].wav | wc -l | grep -qx 4"
"$dictum" "${d[@]}" recover >"$tmp/recover2.out" 2>&1
check "a second recover finds nothing new" bash -c "! grep -q '^recovered' '$tmp/recover2.out'"
kill -INT $live
wait $live
check "the live recording then finishes cleanly" test $? = 0
check "the live recording is valid" "$tool" header "$tmp/live.wav"

# A full disk: a small tmpfs of our own when we may mount one, else a file
# size limit (EFBIG is handled like ENOSPC). The store stays on the big disk.
kill $player 2>/dev/null
full_run() {
  "$dictum" "${d[@]}" record -b file -d "$tmp/long.wav" -o "$1" 2>"$tmp/full.err" >/dev/null
}
if unshare -m true 2>/dev/null; then
  mkdir -p "$tmp/small"
  export -f full_run
  export dictum tmp
  unshare -m bash -c "mount -t tmpfs -o size=64k tmpfs '$tmp/small' && d=(--data-dir '$tmp/data') && full_run '$tmp/small/full.wav'; rc=\$?; cp '$tmp/small/full.wav' '$tmp/full.wav'; exit \$rc"
  rc=$?
  how="a 64 KiB tmpfs"
else
  (ulimit -f 64 && full_run "$tmp/full.wav")
  rc=$?
  how="ulimit -f 64"
fi
cat "$tmp/full.err" | sed 's/^/# /'
check "full disk ($how): record stops with exit 1" test $rc = 1
check "full disk: the error says so" grep -Eq 'disk is full|size limit' "$tmp/full.err"
check "full disk: what was written is a valid WAV" "$tool" header "$tmp/full.wav"
got=$("$tool" header "$tmp/full.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
check "full disk: about 2 s kept (${got:-0} s)" python3 -c "import sys; sys.exit(0 if 1.5 <= ${got:-0} <= 2.1 else 1)"
finish
