#!/usr/bin/env bash
# dictum asr adapt end to end: a phrase of ordinary words in an order no
# model expects ("the purple walrus ...") is misheard by the recogniser
# before; after adapting to a corpus that holds it, the model file is in the
# data directory, holds the phrase's trigrams, and the same recording is
# recognised right. Also: the JSON summary, unknown words reported, a data
# directory without a model left alone, and one-line errors for bad input.
source "$(dirname "$0")/../lib.sh"
dictum=$1
need_speech
phrase="the purple walrus prescribed eleven lemons to the astronaut"
# kal16: slt's "walrus" is heard "well as" once a file starts from its own
# cepstral mean (cmn_prime), with the phrase in the model or not.
flite -voice kal16 -t "$phrase" -o "$tmp/raw.wav"
sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/walrus.wav"

"$dictum" --data-dir "$tmp/dd" transcribe "$tmp/walrus.wav" >"$tmp/before.txt"
check "before adapting, the phrase is misheard" bash -c "[ \"\$(cat '$tmp/before.txt')\" != '$phrase' ]"

cat >"$tmp/corpus.md" <<TXT
# Plan
The purple walrus prescribed eleven lemons to the astronaut.
The purple walrus prescribed eleven lemons.
Eleven lemons to the astronaut, 2 times a day. Zqxvbrt was fine.
TXT
"$dictum" --data-dir "$tmp/dd" asr adapt --corpus "$tmp/corpus.md" >"$tmp/adapt.txt" 2>"$tmp/err.txt"
check "adapt runs" [ $? -eq 0 ]
check "adapt says where the model is" grep -q "dd/asr/user.lm" "$tmp/adapt.txt"
check "adapt names the word it cannot say" grep -q "zqxvbrt" "$tmp/adapt.txt"
check "the model is an ARPA trigram model" grep -q '^ngram 3=' "$tmp/dd/asr/user.lm"
check "the model holds the phrase" grep -qP '\tpurple walrus prescribed' "$tmp/dd/asr/user.lm"
check "punctuation and numbers are spoken" grep -qP '\tcomma two times' "$tmp/dd/asr/user.lm"

"$dictum" --data-dir "$tmp/dd" transcribe "$tmp/walrus.wav" >"$tmp/after.txt"
check "after adapting, the phrase is recognised" [ "$(cat "$tmp/after.txt")" = "$phrase" ]
"$dictum" --data-dir "$tmp/other" transcribe "$tmp/walrus.wav" >"$tmp/other.txt"
DICTUM_DATA_DIR="$tmp/other" "$dictum" --data-dir "$tmp/dd" transcribe "$tmp/walrus.wav" >"$tmp/both.txt"
check "--data-dir outranks DICTUM_DATA_DIR for the model too" [ "$(cat "$tmp/both.txt")" = "$phrase" ]
check "another data directory is not adapted" cmp -s "$tmp/before.txt" "$tmp/other.txt"
printf '[asr.sphinx]\nuser_weight = 0\n' >"$XDG_CONFIG_HOME/dictum/config.ini"
"$dictum" --data-dir "$tmp/dd" transcribe "$tmp/walrus.wav" >"$tmp/off.txt"
check "user_weight = 0 turns the model off" cmp -s "$tmp/before.txt" "$tmp/off.txt"
rm "$XDG_CONFIG_HOME/dictum/config.ini"

"$dictum" --json --data-dir "$tmp/dd" asr adapt --corpus "$tmp/corpus.md" >"$tmp/adapt.json"
check "json summary" python3 - "$tmp/adapt.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["model"].endswith("asr/user.lm"), o
assert o["sentences"] == 4 and o["unknown_words"] == 1, o
assert o["ngrams"][2] > 10 and 0 < o["weight"] < 1, o
PY

"$dictum" --data-dir "$tmp/dd" asr adapt >/dev/null 2>&1
check "no --corpus is a usage error" [ $? -eq 2 ]
"$dictum" --data-dir "$tmp/dd" asr adapt --corpus "$tmp/missing.txt" 2>"$tmp/err.txt"
check "a missing file fails" [ $? -eq 1 ]
check "and says which" grep -q "missing.txt" "$tmp/err.txt"
printf '\n  \n' >"$tmp/blank.txt"
"$dictum" --data-dir "$tmp/dd" asr adapt --corpus "$tmp/blank.txt" 2>"$tmp/err.txt"
check "a corpus without words fails" [ $? -eq 1 ]
check "and says so" grep -q "no words" "$tmp/err.txt"
check "the model from before is kept" grep -qP '\tpurple walrus prescribed' "$tmp/dd/asr/user.lm"

# --signed-notes: the store's signed notes are the corpus; drafts are not.
"$dictum" --data-dir "$tmp/sn" patients add --first Ada --last Lovelace >/dev/null
"$dictum" --data-dir "$tmp/sn" asr adapt --signed-notes 2>"$tmp/err.txt"
check "--signed-notes with nothing signed fails" [ $? -eq 1 ]
check "and says so" grep -q "no signed notes yet" "$tmp/err.txt"
printf '# Plan\nThe purple walrus prescribed eleven lemons to the astronaut.\n' |
  "$dictum" --data-dir "$tmp/sn" notes add --patient 1 --type clinicNote - >/dev/null
printf '# Plan\nThe green heron audited nine oranges.\n' |
  "$dictum" --data-dir "$tmp/sn" notes add --patient 1 --type clinicNote - >/dev/null
"$dictum" --data-dir "$tmp/sn" notes sign 1 >/dev/null
"$dictum" --json --data-dir "$tmp/sn" asr adapt --signed-notes >"$tmp/sn.json"
check "--signed-notes counts the signed note" python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
assert o['signed_notes'] == 1 and o['model'].endswith('sn/asr/user.lm'), o" "$tmp/sn.json"
check "the signed note is in the model" grep -qP '\tpurple walrus prescribed' "$tmp/sn/asr/user.lm"
check "the draft is not" bash -c "! grep -q heron '$tmp/sn/asr/user.lm'"
check "its title is spoken as a heading" grep -qP '\tplan colon' "$tmp/sn/asr/user.lm"
"$dictum" --data-dir "$tmp/sn" transcribe "$tmp/walrus.wav" >"$tmp/sn.txt"
check "and the phrase is recognised" [ "$(cat "$tmp/sn.txt")" = "$phrase" ]
"$dictum" --data-dir "$tmp/sn" asr adapt --signed-notes stray.txt >/dev/null 2>&1
check "a file without --corpus is a usage error" [ $? -eq 2 ]
finish
