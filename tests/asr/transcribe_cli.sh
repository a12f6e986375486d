#!/usr/bin/env bash
# dictum transcribe end to end: a clip spoken by flite, silence, an empty
# recording, JSON segments with low-confidence marks, and one-line errors.
source "$(dirname "$0")/../lib.sh"
dictum=$1
need_speech

flite -voice slt -t "chief complaint colon cough for three days period" -o "$tmp/raw.wav"
sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/clip.wav"
sox -n -r 16000 -c 1 -b 16 "$tmp/silence.wav" trim 0 2
sox -n -r 16000 -c 1 -b 16 "$tmp/empty.wav" trim 0 0

"$dictum" transcribe "$tmp/clip.wav" >"$tmp/plain.txt" 2>"$tmp/err.txt"
check "plain transcript runs" [ $? -eq 0 ]
check "plain transcript has the words" grep -q "complaint" "$tmp/plain.txt"
check "no PocketSphinx chatter on stderr" [ ! -s "$tmp/err.txt" ]

"$dictum" transcribe --dictation "$tmp/clip.wav" >"$tmp/dictation.txt"
check "dictation makes a section" grep -q "^Chief Complaint:" "$tmp/dictation.txt"
check "dictation drops the spoken commands" bash -c "! grep -qw -e colon -e period '$tmp/dictation.txt'"

"$dictum" --json transcribe --dictation "$tmp/clip.wav" >"$tmp/out.json"
check "json: segments with word times and confidence marks" python3 - "$tmp/out.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["engine"] == "sphinx" and o["segments"], o
for s in o["segments"]:
    assert 0 <= s["start"] <= s["end"] <= o["duration"] + 0.05
    for w in s["words"]:
        assert s["start"] - 0.01 <= w["start"] <= w["end"] <= s["end"] + 0.01
        assert 0 <= w["confidence"] <= 1 and isinstance(w["low_confidence"], bool)
        assert w["low_confidence"] == (w["confidence"] < o["low_confidence_below"])
sec = o["dictation"][0]
assert sec["key"] == "cc" or sec["title"] == "Chief Complaint", sec
assert isinstance(sec["low_confidence"], list)
PY

sox "$tmp/clip.wav" -r 44100 -c 2 "$tmp/clip.flac"
check "a 44.1 kHz stereo FLAC is decoded by audio/" bash -c "'$dictum' transcribe '$tmp/clip.flac' | grep -q complaint"
check "standard input is read for -" bash -c "'$dictum' transcribe - <'$tmp/clip.wav' | grep -q complaint"

"$dictum" --json transcribe "$tmp/silence.wav" >"$tmp/silence.json"
check "silence gives no words" python3 -c "
import json,sys; o=json.load(open('$tmp/silence.json')); assert o['segments']==[] and o['text']==''"
out=$("$dictum" transcribe "$tmp/empty.wav")
check "an empty recording gives no words" [ $? -eq 0 -a -z "$out" ]

err=$("$dictum" transcribe "$tmp/missing.wav" 2>&1)
check "missing file: one-line error" [ $? -eq 1 -a "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
err=$("$dictum" transcribe --engine nope "$tmp/clip.wav" 2>&1)
check "unknown engine: one-line error naming it" grep -q nope <<<"$err"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[asr.http]\nurl = http://127.0.0.1:%s\nretries = 0\n' "$port" >"$XDG_CONFIG_HOME/dictum/config.ini"
err=$("$dictum" transcribe --engine http "$tmp/clip.wav" 2>&1)
check "http unreachable: clear error" grep -q "unreachable" <<<"$err"
check "http unreachable: one line" [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
printf 'fallback = sphinx\n' >>"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" transcribe --engine http "$tmp/clip.wav" >"$tmp/fb.txt" 2>"$tmp/fb.err"
check "http falls back to sphinx when configured" grep -q "complaint" "$tmp/fb.txt"
check "the fall-back is reported" grep -q "sphinx" "$tmp/fb.err"
finish
