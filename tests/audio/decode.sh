#!/usr/bin/env bash
# Decoding every accepted format, made at test time from one speech clip
# with sox and ffmpeg, and every bad input the decoder must refuse with a
# clear error that names the file (never a crash).
dictum=$1
tool=$2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pulse.sh"
for t in sox ffmpeg; do
  command -v $t >/dev/null || { echo "skip: $t is not installed (scripts/install-deps.sh)"; exit 77; }
done
speech_clip "$tmp/full.wav"
src=$tmp/src.wav
sox "$tmp/full.wav" "$src" trim 0 5
ff() { ffmpeg -nostdin -loglevel error -y "$@"; }
# In the sanitizer build: leaks inside libvorbis on damaged Ogg are not ours.
export LSAN_OPTIONS=suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}

sox "$src" -r 44100 -c 2 -b 24 "$tmp/a.wav"
sox "$src" -r 44100 -c 2 "$tmp/a.flac"
sox "$src" -r 22050 "$tmp/a.ogg"
ff -i "$src" -ar 44100 -ac 2 -c:a libmp3lame -b:a 64k "$tmp/a.mp3"
ff -i "$src" -ar 48000 -c:a aac -b:a 64k "$tmp/a.m4a"
ff -i "$src" -ar 48000 -c:a libopus -b:a 32k "$tmp/a.webm"
ff -i "$src" -c:a libopus "$tmp/opus.ogg"
sox "$src" -r 8000 -e u-law "$tmp/ulaw.wav"

for f in a.wav a.flac a.ogg a.mp3 a.m4a a.webm opus.ogg ulaw.wav; do
  out=$("$tool" decode "$tmp/$f" 2>&1)
  echo "# $f: $out"
  secs=$(sed -nE 's/.*seconds=([0-9.]+).*/\1/p' <<<"$out")
  check "$f decodes to 5 s at 16 kHz (${secs:-error})" python3 -c "import sys; sys.exit(0 if abs(float('${secs:-0}') - 5) < 0.1 else 1)"
  c=$("$tool" corr "$src" "$tmp/$f" | sed -E 's/corr=([-0-9.]+).*/\1/')
  check "$f matches the source (ncc $c > 0.9)" python3 -c "import sys; sys.exit(0 if float('${c:-0}') > 0.9 else 1)"
done

# bad NAME REASON_REGEX [MAX_BYTES]: refused, exit 1 (not a signal), one line naming the file.
bad() {
  local f=$tmp/$1 want=$2
  "$tool" decode "$f" ${3:-} >/dev/null 2>"$tmp/err"
  local rc=$?
  check "$1: refused with exit 1 (got $rc)" test $rc = 1
  check "$1: the error names the file and says '$want' ($(head -c 160 "$tmp/err"))" \
    bash -c "[ \$(wc -l <'$tmp/err') = 1 ] && grep -q '^$f: ' '$tmp/err' && grep -Eqi '$want' '$tmp/err'"
}
: >"$tmp/empty.wav"
bad empty.wav 'empty file'
for f in a.wav a.flac a.ogg a.mp3 a.m4a a.webm; do
  n=$(stat -c %s "$tmp/$f")
  head -c $((n / 2)) "$tmp/$f" >"$tmp/trunc-$f"
  bad "trunc-$f" 'truncated|damaged'
done
cp "$src" "$tmp/lying.wav"
printf '\xff\xff\xff\x00' | dd of="$tmp/lying.wav" bs=1 seek=40 conv=notrunc status=none
bad lying.wav 'lying header'
echo "Chief complaint: chest pain for two days." >"$tmp/note.wav"
bad note.wav 'text file, not audio'
cp "$src" "$tmp/codec.wav"
printf '\x34\x12' | dd of="$tmp/codec.wav" bs=1 seek=20 conv=notrunc status=none
bad codec.wav 'unsupported codec'
ff -f lavfi -i testsrc=duration=1:size=32x32:rate=5 -c:v libvpx "$tmp/video.webm"
bad video.webm 'no audio stream'
bad a.flac 'over the limit' 1000
head -c 4096 /dev/urandom >"$tmp/noise.mp3"
bad noise.mp3 'not a recognised audio format|damaged'
bad missing.wav 'No such file'

# Fuzz regressions: inputs that once crashed a decoder stay decodable or refused.
for f in "${DICTUM_SOURCE:-.}"/tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  "$tool" decode "$f" >/dev/null 2>&1
  rc=$?
  check "regression $(basename "$f") does not crash" test $rc -lt 2
done
finish
