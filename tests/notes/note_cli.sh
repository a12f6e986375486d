#!/usr/bin/env bash
# `dictum note` and `dictum templates` end to end, through the real binary.
dictum=$1
. "$(dirname "$0")/../lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
d=(--data-dir "$tmp/data")

cat >"$tmp/visit.txt" <<'T'
[doctor] hi , what brings you in today ?
[patient] i've had this cough for three days .
[doctor] any chest pain ?
[patient] no .
[doctor] do you take any medications ?
[patient] i take lisinopril 20 milligrams once a day .
[doctor] on exam your lungs have some wheezing on the right .
[doctor] my impression is acute bronchitis . i'll see you back in two weeks .
T
out=$("$dictum" note --type clinicNote --mode ambient "$tmp/visit.txt")
check "text: a history sentence in third person" grep -qx 'Reports a 3-day history of cough.' <<<"$out"
check "text: the pertinent negative" grep -qx 'Cardiovascular: Denies chest pain.' <<<"$out"
check "text: medication with dose" grep -qx 'Lisinopril 20 mg once a day.' <<<"$out"
check "text: section titles" grep -qx 'Review of Systems' <<<"$out"
check "text: no invented exam" bash -c "! grep -qi 'clear' <<<'$out'"
out=$("$dictum" note --type clinicNote --format markdown "$tmp/visit.txt")
check "markdown: headings (mode from the speaker tags)" grep -qx '## History of Present Illness' <<<"$out"
"$dictum" note --type clinicNote --json - <"$tmp/visit.txt" >"$tmp/draft.json"
check "json: sections, spans into the transcript, no unsupported terms" python3 - "$tmp/draft.json" "$tmp/visit.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = open(sys.argv[2]).read()
assert d["noteType"] == "clinicNote" and d["mode"] == "ambient", d
assert d["unsupported"] == [], d["unsupported"]
hpi = [s for s in d["sections"] if s["key"] == "hpi"][0]
sent = hpi["sentences"][0]
a, b = sent["source"][0]
assert t[a:b] == "i've had this cough for three days .", t[a:b]
assert hpi["text"][sent["start"]:sent["end"]] == sent["text"]
PY
printf '# Plan\nStart amoxicillin 500 mg.\n' >"$tmp/dict.txt"
out=$("$dictum" note --type clinicNote --mode dictation "$tmp/dict.txt")
check "dictation: plan goes to Assessment and Plan" grep -qx 'Start amoxicillin 500 mg.' <<<"$out"
out=$(echo "chief complaint colon ear pain period history of present illness colon six year old boy with two days of left ear pain period new paragraph assessment and plan colon otitis media period amoxicillin forty five milligrams per kilogram twice daily period" |
  "$dictum" note --type clinicNote --mode dictation -)
check "dictation: a raw spoken word stream goes through the post-processor" grep -qx 'Ear pain.' <<<"$out"
check "dictation: spoken numbers and units" grep -qx '6-year-old boy with 2 days of left ear pain.' <<<"$out"
check "dictation: spoken header routes to Assessment and Plan" grep -qx 'Otitis media.' <<<"$out"
"$dictum" note --type clinicNote --specialty astrology "$tmp/visit.txt" >/dev/null 2>"$tmp/err"
check "an unknown specialty drafts, with a one-line notice" grep -q "no section adjustments for specialty 'astrology'" "$tmp/err"
out=$("$dictum" note --type clinicNote --specialty psych "$tmp/visit.txt")
check "a specialty alias adjusts sections (psychiatry: mental status exam)" grep -qx 'Mental Status Examination' <<<"$out"
out=$("$dictum" note --type psychiatricEvaluation --specialty psychiatry "$tmp/visit.txt")
check "another note type drafts" grep -q 'Reports a 3-day history of cough.' <<<"$out"
printf '[{"speaker":"doctor","text":"any fever?","start":0,"end":1},{"speaker":"patient","text":"no.","start":1,"end":2}]' >"$tmp/seg.json"
out=$("$dictum" note --type clinicNote "$tmp/seg.json")
check "JSON segments are a transcript" grep -qx 'Constitutional: Denies fever.' <<<"$out"

pid=$("$dictum" "${d[@]}" --json patients add --first Ada --last Lovelace |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
nid=$("$dictum" "${d[@]}" note --type clinicNote --save --patient "$pid" "$tmp/visit.txt")
check "--save prints the note id" test "$nid" = 1
out=$("$dictum" "${d[@]}" notes show "$nid")
check "the saved draft is in the store" grep -qx 'Reports a 3-day history of cough.' <<<"$out"
check "under the patient" grep -q 'Lovelace, Ada' <<<"$out"
nid2=$("$dictum" "${d[@]}" note --type clinicNote --save "$tmp/visit.txt" 2>"$tmp/err")
check "--save without a patient makes an unidentified one" bash -c "[ '$nid2' = 2 ] && grep -q unidentified $tmp/err"
check "--patient without --save is refused" bash -c "! '$dictum' note --type clinicNote --patient 1 '$tmp/visit.txt' 2>/dev/null"

check "unknown type fails and lists the valid ones" \
  bash -c "! '$dictum' note --type soapNote '$tmp/visit.txt' 2>$tmp/err && grep -q criticalCareProgressNote $tmp/err && [ \$(wc -l <$tmp/err) = 1 ]"
: >"$tmp/empty.txt"
check "empty input fails in one line" \
  bash -c "! '$dictum' note --type clinicNote '$tmp/empty.txt' 2>$tmp/err && grep -q 'empty' $tmp/err && [ \$(wc -l <$tmp/err) = 1 ]"
check "missing file fails" \
  bash -c "! '$dictum' note --type clinicNote '$tmp/nope.txt' 2>$tmp/err && grep -q 'cannot read' $tmp/err"
printf 'RIFF\x24\x00\x00\x00WAVEfmt ' >"$tmp/a.wav"
check "a broken recording fails in one line naming the file" \
  bash -c "! '$dictum' note --type clinicNote '$tmp/a.wav' 2>$tmp/err && grep -q 'a.wav' $tmp/err && [ \$(wc -l <$tmp/err) = 1 ]"
if command -v flite >/dev/null && [ -d /usr/share/pocketsphinx/model/en-us ]; then
  # A dictated recording is transcribed by the local speech engine first.
  flite -voice slt -t "chief complaint colon cough for three days period plan colon rest and fluids period" -o "$tmp/dictated.wav"
  out=$("$dictum" note --type clinicNote "$tmp/dictated.wav" 2>"$tmp/err")
  check "audio is transcribed and drafted" grep -qi 'cough' <<<"$out"
  check "the spoken header opens its section" grep -q '^Chief Complaint$' <<<"$out"
  check "no command word is left in the note" bash -c "! grep -qiw 'colon\|period' <<<\"\$1\"" _ "$out"
  out=$("$dictum" note --type clinicNote - <"$tmp/dictated.wav")
  check "a recording on standard input works too" grep -qi 'cough' <<<"$out"
  "$dictum" note --type clinicNote --json "$tmp/dictated.wav" >"$tmp/dictated.json"
  check "json of a recording: what was heard, unsure words marked" python3 - "$tmp/dictated.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
r = o["recognized"]
words = [w for s in r["segments"] for w in s["words"]]
assert r["engine"] == "sphinx" and "complaint" in r["text"].split(), r["text"]
assert [w["word"] for w in words] == r["text"].split()
for w in words:
    assert 0 <= w["confidence"] <= 1
    assert w["low_confidence"] == (w["confidence"] < r["low_confidence_below"])
assert not any(w in ("colon", "period") for s in o["sections"] for w in s["text"].lower().split())
PY
  "$dictum" note --type clinicNote --json "$tmp/visit.txt" >"$tmp/typed.json"
  check "json of a transcript has no recognized part" python3 -c "
import json; assert 'recognized' not in json.load(open('$tmp/typed.json'))"
else
  echo "skip: audio note checks need flite and pocketsphinx-en-us (scripts/install-deps.sh)"
fi
check "bad mode" bash -c "! '$dictum' note --type clinicNote --mode telepathy '$tmp/visit.txt' 2>/dev/null"

out=$("$dictum" templates list)
check "templates list shows the catalogue" grep -q 'GENERAL TEMPLATE' <<<"$out"
out=$("$dictum" templates list --search soap)
check "templates list --search" bash -c "grep -q 'SOAP NOTE' <<<'$out' && [ \$(wc -l <<<'$out') = 1 ]"
mkdir -p "$tmp/home/.config/dictum/templates"
printf '[template 0123456789abcdef01234567]\nname = KNEE CLINIC\nshort_description = My knee visits.\nnote_type = followUpNote\nsections = interval exam ap\n' \
  >"$tmp/home/.config/dictum/templates/knee.ini"
check "templates list --json has user templates, seed 001 fields" python3 -c "
import json, subprocess
o = json.loads(subprocess.check_output(['$dictum', 'templates', 'list', '--json', '--search', 'knee']))
assert o['count'] == 1 and o['data'][0]['_id'] == '0123456789abcdef01234567', o
assert o['data'][0]['source'] == 'user' and o['data'][0]['short_description'] == 'My knee visits.', o"
"$dictum" --help >"$tmp/help"
check "--help lists note" grep -Eq '^  note +draft a note' "$tmp/help"
check "--help lists templates" grep -Eq '^  templates +list note templates' "$tmp/help"
finish
