#!/usr/bin/env bash
# Capture end to end with a real PulseAudio server: speech played into a
# null sink with paplay is recorded from its monitor through the pulse
# backend and through ALSA's pulse plugin, then compared with the source.
dictum=$1
tool=$2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pulse.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR=
mkdir -p "$HOME"
pulse_setup cap
d=(--data-dir "$tmp/data")
speech_clip "$tmp/clip.wav"
clip_s=$(soxi -D "$tmp/clip.wav")

out=$("$dictum" devices)
check "devices lists the null sink's monitor under pulse" grep -q "$sink.monitor" <<<"$out"
check "devices lists alsa's pulse device" grep -Eq '^  pulse +' <<<"$out"
check "devices --json is valid and names both backends" bash -c \
  "'$dictum' --json devices | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o[\"pulse\"][\"available\"] and \"alsa\" in o'"

# record_while_playing NAME SECONDS ARGS...: records while the clip plays.
record_while_playing() {
  local name=$1 secs=$2
  shift 2
  "$dictum" "${d[@]}" record -t "$secs" -o "$tmp/$name.wav" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  local pid=$!
  for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/$name.err" 2>/dev/null && break; sleep 0.05; done
  sleep 0.3
  paplay --latency-msec=500 -d "$sink" "$tmp/clip.wav"
  wait "$pid"
}

within5() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-b)<=0.05*b else 1)" "$@"; }
corr_above() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1])>0.9 else 1)" "$1"; }

secs=$(python3 -c "print(round($clip_s + 1.5, 2))")
for backend in pulse alsa; do
  if [ $backend = pulse ]; then
    args=(-b pulse -d "$sink.monitor")
  else
    # ALSA's "pulse" device records from PulseAudio's default source, which
    # libpulse takes from PULSE_SOURCE.
    export PULSE_SOURCE=$sink.monitor
    args=(-b alsa -d pulse)
  fi
  record_while_playing "$backend" "$secs" "${args[@]}"
  check "$backend: record exits 0" test $? = 0
  unset PULSE_SOURCE
  check "$backend: prints the path and duration" grep -q "$tmp/$backend.wav" "$tmp/$backend.out"
  got=$("$tool" header "$tmp/$backend.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
  check "$backend: duration $got s is within 5% of $secs s" within5 "${got:-0}" "$secs"
  c=$("$tool" corr "$tmp/clip.wav" "$tmp/$backend.wav")
  echo "# $backend: $c"
  # Correlation per 0.5 s window after alignment (median), so that an underrun
  # of paplay on a loaded machine costs one window rather than the test.
  check "$backend: matches the played speech (windowed ncc > 0.9)" corr_above "$(sed -E 's/.*wcorr=([-0-9.]+).*/\1/' <<<"$c")"
  check "$backend: registered as complete in the store" bash -c \
    "'$dictum' --data-dir '$tmp/data' db check | grep -q 'recordings [1-9]'"
done

# Pause and resume with SIGUSR1: the paused second is not in the file.
"$dictum" "${d[@]}" record -b pulse -d "$sink.monitor" -o "$tmp/pause.wav" 2>"$tmp/pause.err" >/dev/null &
pid=$!
for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/pause.err" 2>/dev/null && break; sleep 0.05; done
paplay --latency-msec=500 -d "$sink" "$tmp/clip.wav" &
play=$!
sleep 1
kill -USR1 $pid
sleep 1.5
kill -USR1 $pid
sleep 1
kill -INT $pid
wait $pid
check "pause: record stops cleanly on SIGINT" test $? = 0
kill $play 2>/dev/null
wait $play 2>/dev/null
check "pause: says paused and resumed" bash -c "grep -q paused '$tmp/pause.err' && grep -q resumed '$tmp/pause.err'"
got=$("$tool" header "$tmp/pause.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
# The bounds leave room for a loaded machine (sleep and signal delivery
# stretch); a pause that is ignored keeps 3.5 s and still fails.
check "pause: about 2 s kept of 3.5 s ($got s)" python3 -c "import sys; sys.exit(0 if 1.0 <= $got <= 2.8 else 1)"

# The level meter: a reading every 50 ms with RMS and peak in dBFS.
"$dictum" "${d[@]}" record -b pulse -d "$sink.monitor" -t 1 --meter -o "$tmp/meter.wav" 2>"$tmp/meter.err" >/dev/null
n=$(grep -c 'rms .* dBFS  peak .* dBFS' "$tmp/meter.err")
check "meter: 20 readings for 1 s ($n)" test "$n" -ge 19 -a "$n" -le 21

# A device that disappears mid-recording: a clear event, the audio so far kept.
m2=$(pactl load-module module-null-sink sink_name="${sink}_gone")
"$dictum" "${d[@]}" record -b pulse -d "${sink}_gone.monitor" -o "$tmp/lost.wav" 2>"$tmp/lost.err" >/dev/null &
pid=$!
for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/lost.err" 2>/dev/null && break; sleep 0.05; done
paplay --latency-msec=500 -d "${sink}_gone" "$tmp/clip.wav" 2>/dev/null &
sleep 1.5
pactl unload-module "$m2"
wait $pid
rc=$?
check "device lost: record exits non-zero" test $rc != 0
check "device lost: says so in one line" grep -q 'device was lost' "$tmp/lost.err"
got=$("$tool" header "$tmp/lost.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
check "device lost: the audio before it is kept in a valid WAV ($got s)" python3 -c "import sys; sys.exit(0 if 0.8 <= ${got:-0} <= 3.0 else 1)"

# The same with --fallback: the recording goes on from another device, in the same file.
m3=$(pactl load-module module-null-sink sink_name="${sink}_gone2")
"$dictum" "${d[@]}" record -b pulse -d "${sink}_gone2.monitor" --fallback "$sink.monitor" -t 4 \
  -o "$tmp/fallback.wav" 2>"$tmp/fallback.err" >/dev/null &
pid=$!
for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/fallback.err" 2>/dev/null && break; sleep 0.05; done
sleep 1
pactl unload-module "$m3"
wait $pid
check "fallback: record exits 0" test $? = 0
check "fallback: says it continues on the other device" grep -q "continuing on $sink.monitor" "$tmp/fallback.err"
got=$("$tool" header "$tmp/fallback.wav" | sed -E 's/.*seconds=([0-9.]+).*/\1/')
check "fallback: one file of 4 s ($got s)" within5 "${got:-0}" 4

check "record with a missing device fails clearly" bash -c \
  "! '$dictum' --data-dir '$tmp/data' record -b pulse -d no_such_source -t 1 -o '$tmp/x.wav' 2>'$tmp/nodev.err' && grep -q no_such_source '$tmp/nodev.err' && [ ! -e '$tmp/x.wav' ]"
check "record refuses an unknown backend" bash -c \
  "! '$dictum' --data-dir '$tmp/data' record -b jack -t 1 2>/dev/null"
finish
