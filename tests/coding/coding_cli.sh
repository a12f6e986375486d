#!/usr/bin/env bash
# The coding commands end to end through the real binary and a real store.
dictum=$1
. "$(dirname "$0")/../lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR=
d=(--data-dir "$tmp/data")
fails() { ! "$@" 2>"$tmp/err"; }
one_line() { [ "$(wc -l <"$tmp/err")" = 1 ]; }

out=$("$dictum" --help)
for c in icd10 billing hcc; do
  check "--help lists $c" grep -Eq "^  $c +[A-Za-z]" <<<"$out"
done

cat >"$tmp/note.txt" <<'NOTE'
Established patient. Type 2 diabetes with diabetic CKD stage 3a, poorly controlled.
Hypertension. Denies chest pain. Family history of colon cancer. Rule out pneumonia.
A1c and BMP reviewed. Lipid panel ordered. Increase metformin to 1000 mg twice daily. ECG done.
NOTE

json=$("$dictum" "${d[@]}" icd10 suggest --json "$tmp/note.txt")
check "suggest --json is the seed shape with span and score" python3 -c '
import json, sys
a = json.loads(sys.argv[1]); text = open(sys.argv[2]).read()
codes = {c["icd10_code"] for c in a}
assert {"E11.22", "N18.31", "I12.9", "Z80.0"} <= codes, codes
assert not codes & {"R07.9", "J18.9", "C18.9", "E11.9", "I10"}, codes
for c in a:
    assert set(c) >= {"name", "icd10_code", "evidence", "span", "score"}
    s, e = c["span"]
    assert text[s:e] == c["evidence"], (c, text[s:e])
' "$json" "$tmp/note.txt"
out=$("$dictum" "${d[@]}" icd10 suggest - <"$tmp/note.txt")
check "suggest reads standard input and shows evidence" grep -q 'evidence: "diabetic CKD"' <<<"$out"
check "suggest says what it did not code and why" grep -q 'not coded: R07.9 "chest pain" (negated)' <<<"$out"
check "suggest refuses a missing file in one line" fails "$dictum" "${d[@]}" icd10 suggest "$tmp/none.txt"
check "  ... one line" one_line
printf '  \n\n' >"$tmp/empty.txt"
check "suggest refuses empty text" fails "$dictum" "${d[@]}" icd10 suggest "$tmp/empty.txt"
check "  ... and says it is empty" grep -q 'empty' "$tmp/err"
check "suggest without a file prints usage" fails "$dictum" "${d[@]}" icd10 suggest
check "an unknown icd10 verb prints usage" fails "$dictum" "${d[@]}" icd10 frobnicate x

out=$("$dictum" "${d[@]}" icd10 search type 2 diabetes with ckd)
check "search ranks E11.22 first for 'type 2 diabetes with ckd'" grep -q '^E11.22 ' <<<"$(head -1 <<<"$out")"
out=$("$dictum" "${d[@]}" icd10 search E11.2)
check "search by code prefix" bash -c "grep -q '^E11.21 ' <<<'$out' && ! grep -qv '^E11.2' <<<'$out'"
check "search --json is an array" bash -c "'$dictum' --data-dir '$tmp/data' --json icd10 search htn | python3 -c 'import json,sys; a=json.load(sys.stdin); assert a[0][\"icd10_code\"]==\"I10\"'"
check "search refuses an empty query" fails "$dictum" "${d[@]}" icd10 search " "

printf 'A000    Cholera due to Vibrio cholerae 01, biovar cholerae\nI10     Essential (primary) hypertension\n' >"$tmp/icd10cm-codes-2030.txt"
gzip -c "$tmp/icd10cm-codes-2030.txt" >"$tmp/icd10cm-codes-2030.txt.gz"
out=$("$dictum" "${d[@]}" icd10 import "$tmp/icd10cm-codes-2030.txt.gz")
check "import reads gzip and records the fiscal year" grep -q 'imported 2 codes (fiscal year 2030)' <<<"$out"
out=$("$dictum" "${d[@]}" --json icd10 import --fy 2031 "$tmp/icd10cm-codes-2030.txt")
check "import --fy overrides the year" grep -q '"fiscal_year":"2031"' <<<"${out// /}"
check "import refuses a missing file" fails "$dictum" "${d[@]}" icd10 import "$tmp/none.txt.gz"
check "  ... one line" one_line
echo '{"not": "codes"}' >"$tmp/bad.json"
check "import refuses a file that is not a code table" fails "$dictum" "${d[@]}" icd10 import "$tmp/bad.json"
check "  ... and says so" grep -q 'not an ICD-10-CM codes file' "$tmp/err"
out=$("$dictum" "${d[@]}" icd10 search cholera)
check "the store still searches after imports" grep -q '^A00.0 ' <<<"$out"
out=$("$dictum" "${d[@]}" icd10 search E11.22)
check "curated codes survive an official import" grep -q '^E11.22 ' <<<"$out"

json=$("$dictum" "${d[@]}" billing --json "$tmp/note.txt")
check "billing --json has E/M with MDM reasoning, HCC and CPT" python3 -c '
import json, sys
b = json.loads(sys.argv[1])
em = b["em"]
assert em["code"] == "99214", em["code"]
for k in ("problems", "data", "risk"):
    assert em["mdm"][k]["level"] and em["mdm"][k]["reasons"], k
assert em["next_level"]["code"] == "99215" and em["next_level"]["needs"]
hccs = {h["hcc"] for h in b["hcc"]["categories"]}
assert 37 in hccs, hccs
cpt = [c["code"] for c in b["cpt"]]
assert cpt[0] == "99214" and "93000" in cpt, cpt
' "$json"
out=$("$dictum" "${d[@]}" billing --setting ed - <"$tmp/note.txt")
check "billing --setting ed uses the ED codes" grep -q '^E/M 9928[1-5] (emergency department' <<<"$out"
check "billing refuses an unknown setting" fails "$dictum" "${d[@]}" billing --setting moon "$tmp/note.txt"
check "billing refuses empty text" fails "$dictum" "${d[@]}" billing "$tmp/empty.txt"
check "billing refuses a missing file" fails "$dictum" "${d[@]}" billing "$tmp/none.txt"
check "  ... one line" one_line

printf 'diagnosis_code,cc,model_name\nE1122,37,CMS-HCC Model V28\nE1122,18,CMS-HCC Model V24\nI10,999,CMS-HCC Model V28\n' >"$tmp/map.csv"
out=$("$dictum" "${d[@]}" hcc import "$tmp/map.csv")
check "hcc import loads the V28 rows of the CMS CSV" grep -q 'imported 2 V28 mappings' <<<"$out"
out=$(echo "Hypertension." | "$dictum" "${d[@]}" billing -)
check "an imported mapping is used" grep -q 'HCC 999' <<<"$out"
printf 'E1122\t37\t\nI10\t\t\n' >"$tmp/F2824T1N.TXT"
out=$("$dictum" "${d[@]}" hcc import "$tmp/F2824T1N.TXT")
check "hcc import reads the CMS format file" grep -q 'imported 1 V28 mappings' <<<"$out"
check "hcc import refuses a missing file" fails "$dictum" "${d[@]}" hcc import "$tmp/none.csv"
check "hcc import refuses a file that is not a mapping" fails "$dictum" "${d[@]}" hcc import "$tmp/note.txt"
check "hcc without import prints usage" fails "$dictum" "${d[@]}" hcc

"$dictum" "${d[@]}" patients add --first Ada --last Lovelace >/dev/null
printf '# Assessment and Plan\nType 2 diabetes with diabetic CKD stage 3a. ECG done.\n' >"$tmp/ed.md"
"$dictum" "${d[@]}" notes add --patient 1 --type edProviderNote "$tmp/ed.md" >/dev/null
out=$("$dictum" "${d[@]}" billing --note 1)
check "billing --note takes the setting from the note type" grep -q '^E/M 9928[1-5] (emergency department' <<<"$out"
out=$("$dictum" "${d[@]}" db check)
check "billing --note stores the suggested codes" grep -Eq 'codes [1-9][0-9]*,' <<<"$out"
check "billing --note refuses an unknown note" fails "$dictum" "${d[@]}" billing --note 99
check "  ... one line" one_line
check "db check still passes" "$dictum" "${d[@]}" db check
finish
