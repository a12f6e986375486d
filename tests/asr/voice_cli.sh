#!/usr/bin/env bash
# dictum asr enroll end to end: a voice (flite's slt) reads 12 of our
# prompts; the profile lands in DATA_DIR/asr/voice, every transcription in
# that data directory uses it (transcribe --json says voice_profile: true),
# and held-out sentences of the same voice are recognised with fewer word
# errors than without it. [asr] voice_profile = off and another
# data directory do without it. A missing or failing tool is a one-line
# error that leaves the old profile (or none) and no temporary folder;
# --remove drops the profile.
source "$(dirname "$0")/../lib.sh"
dictum=$1
need_speech
if ! command -v sphinx_fe >/dev/null || [ ! -x /usr/lib/sphinxtrain/bw ] ||
  [ ! -x /usr/lib/sphinxtrain/map_adapt ]; then
  echo "skip: needs sphinxtrain and sphinxbase-utils (scripts/install-deps.sh)"
  exit 77
fi
source=${DICTUM_SOURCE:-$(dirname "$0")/../..}
prompts=$source/data/asr/enroll_prompts.txt
say() { # say TEXT OUT.wav: flite's slt at 16 kHz mono
  flite -voice slt -t "$1" -o "$2.raw.wav" && sox "$2.raw.wav" -r 16000 -c 1 -b 16 "$2" &&
    rm "$2.raw.wav"
}
mkdir -p "$tmp/enrol"
i=0
grep -v '^#' "$prompts" | head -12 >"$tmp/train.txt"
while IFS= read -r line; do
  i=$((i + 1))
  say "$line" "$tmp/enrol/p$i.wav"
  printf '%s\n' "$line" >"$tmp/enrol/p$i.txt"
done <"$tmp/train.txt"
# Held out: sentences the profile never heard, as one recording.
held=(
  "Assessment and plan: chronic kidney disease, stable, recheck labs in three months."
  "She measured the sugar, then poured warm milk into the orange bowl."
  "Thousands of birds gathered on the wires above the church that evening."
  "He thought the math problem was easy, but it took an hour."
  "Continue the inhaler twice a day and return if the cough gets worse."
)
parts=()
for k in "${!held[@]}"; do
  say "${held[$k]}" "$tmp/h$k.wav"
  parts+=("$tmp/h$k.wav")
done
sox "${parts[@]}" "$tmp/held.wav"
sox -n -r 16000 -c 1 -b 16 "$tmp/quiet.wav" trim 0 0.3
printf '%s ' "${held[@]}" >"$tmp/held.txt"

"$dictum" --data-dir "$tmp/dd" --json transcribe "$tmp/held.wav" >"$tmp/before.json"
check "before enrolling, no voice profile" grep -q '"voice_profile":false' "$tmp/before.json"

"$dictum" --data-dir "$tmp/dd" --json asr enroll --from "$tmp/enrol" >"$tmp/enroll.json" \
  2>"$tmp/err.txt"
check "enroll runs" [ $? -eq 0 ]
cat "$tmp/err.txt"
check "enroll reports the profile and how it fits" python3 - "$tmp/enroll.json" "$tmp/dd" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["profile"] == sys.argv[2] + "/asr/voice", o
assert o["method"] == "mllr+map" and o["sentences"] == 12 and o["skipped"] == 0, o
assert o["seconds"] > 20 and o["frames"] > 2000, o
assert o["loglik_per_frame_before"] < o["loglik_per_frame_mllr"] < o["loglik_per_frame_after"], o
PY
check "the transform is there" grep -q . "$tmp/dd/asr/voice/mllr_matrix"
check "and the adapted means" [ -s "$tmp/dd/asr/voice/means" ]
check "and the voice's mean cepstrum, 13 numbers, the first (energy) plausible" \
  python3 - "$tmp/dd/asr/voice/cmninit" <<'PY'
import sys
m = [float(x) for x in open(sys.argv[1]).read().strip().split(",")]
assert len(m) == 13 and 10 < m[0] < 120, m
PY
check "and what it was made from" grep -q '"sentences": 12' "$tmp/dd/asr/voice/profile.json"
check "no temporary folder is left" bash -c "! ls -a '$tmp/dd/asr' | grep -q '^\.voice'"

"$dictum" --data-dir "$tmp/dd" --json transcribe "$tmp/held.wav" >"$tmp/after.json"
check "transcribe uses the profile" grep -q '"voice_profile":true' "$tmp/after.json"
check "held-out sentences: fewer word errors with the profile" \
  python3 - "$tmp/held.txt" "$tmp/before.json" "$tmp/after.json" "$source/bench/asr" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
from bench_asr import edits, norm
ref = norm(open(sys.argv[1]).read())
before = edits(ref, norm(json.load(open(sys.argv[2]))["text"]))
after = edits(ref, norm(json.load(open(sys.argv[3]))["text"]))
print("word errors over %d words: %d without the profile, %d with it" % (len(ref), before, after))
assert after < before
PY

"$dictum" --data-dir "$tmp/other" --json transcribe "$tmp/quiet.wav" >"$tmp/other.json"
check "another data directory has no profile" grep -q '"voice_profile":false' "$tmp/other.json"
printf '[asr]\nvoice_profile = off\n' >"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd" --json transcribe "$tmp/quiet.wav" >"$tmp/off.json"
check "voice_profile = off turns it off" grep -q '"voice_profile":false' "$tmp/off.json"

# Tools missing or failing: a clear error, the old profile intact.
cp "$tmp/dd/asr/voice/means" "$tmp/means.before"
printf '[asr]\nsphinxtrain = %s/nowhere\n' "$tmp" >"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd2" asr enroll --from "$tmp/enrol" 2>"$tmp/err.txt"
check "a missing tool fails" [ $? -eq 1 ]
check "and names it and its package" grep -q "bw not found in $tmp/nowhere (apt-get install sphinxtrain)" "$tmp/err.txt"
check "and makes no profile" [ ! -e "$tmp/dd2/asr/voice" ]
mkdir -p "$tmp/broken"
printf '#!/bin/sh\necho "ERROR: broken statistics"\nexit 3\n' >"$tmp/broken/bw"
for t in mllr_solve mllr_transform map_adapt; do
  ln -s /usr/lib/sphinxtrain/$t "$tmp/broken/$t"
done
chmod +x "$tmp/broken/bw"
printf '[asr]\nsphinxtrain = %s/broken\n' "$tmp" >"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd" asr enroll --from "$tmp/enrol" 2>"$tmp/err.txt"
check "a failing tool fails" [ $? -eq 1 ]
check "and says what it said" grep -q "bw failed (exit 3): ERROR: broken statistics" "$tmp/err.txt"
check "the old profile is kept" cmp -s "$tmp/means.before" "$tmp/dd/asr/voice/means"
check "no temporary folder is left" bash -c "! ls -a '$tmp/dd/asr' | grep -q '^\.voice'"
rm "$XDG_CONFIG_HOME/dictum/config.ini"

# Pairs on the command line; a word without a pronunciation leaves its sentence out.
printf '[asr]\nvoice_map = no\n' >"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd3" --json asr enroll --audio "$tmp/enrol/p1.wav" \
  --text "$(cat "$tmp/enrol/p1.txt")" --audio "$tmp/enrol/p2.wav" \
  --text "$(cat "$tmp/enrol/p2.txt")" --audio "$tmp/enrol/p3.wav" \
  --text "zqxvbrt $(cat "$tmp/enrol/p3.txt")" >"$tmp/pairs.json"
check "--audio/--text pairs enrol" python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
assert o['sentences'] == 2 and o['skipped'] == 1 and 'zqxvbrt' in o['skipped_reason'], o
assert o['method'] == 'mllr', o
" "$tmp/pairs.json"
check "voice_map = no keeps the transform alone" [ ! -e "$tmp/dd3/asr/voice/means" ]
rm "$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd3" asr enroll --audio "$tmp/enrol/p1.wav" >/dev/null 2>&1
check "--audio without --text is a usage error" [ $? -eq 2 ]

# Interactive: prompts shown with progress, each read through the audio
# module (the file backend plays a recording in real time; the recording
# stops at its end, or at Enter).
mkfifo "$tmp/keys"
"$dictum" --data-dir "$tmp/ddi" asr enroll -b file -d "$tmp/enrol/p2.wav" --count 3 \
  <"$tmp/keys" >"$tmp/inter.txt" 2>&1 &
pid=$!
exec 3>"$tmp/keys"
for k in 1 2 3; do
  echo >&3
  for _ in $(seq 600); do
    [ "$(grep -c ' [0-9.]* s$' "$tmp/inter.txt")" -ge $k ] && break
    sleep 0.1
  done
done
exec 3>&-
wait $pid
check "interactive enrolment succeeds" [ $? -eq 0 ]
check "it shows the progress" grep -q "sentence 3 of 3:" "$tmp/inter.txt"
check "it shows the prompt" grep -q "    $(head -1 "$tmp/train.txt")" "$tmp/inter.txt"
check "the profile is made from the three recordings" \
  grep -q '"sentences": 3' "$tmp/ddi/asr/voice/profile.json"

"$dictum" --data-dir "$tmp/dd" --json asr enroll --remove >"$tmp/rm.json"
check "--remove drops the profile" grep -q '"removed":true' "$tmp/rm.json"
check "and it is gone" [ ! -e "$tmp/dd/asr/voice" ]
"$dictum" --data-dir "$tmp/dd" --json transcribe "$tmp/quiet.wav" >"$tmp/gone.json"
check "transcribe goes on without it" grep -q '"voice_profile":false' "$tmp/gone.json"
check "--remove again says there is none" bash -c \
  "'$dictum' --data-dir '$tmp/dd' asr enroll --remove | grep -q 'no voice profile'"
finish
