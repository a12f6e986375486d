#!/usr/bin/env bash
# The store commands end to end, through the real binary and real files.
dictum=$1
. "$(dirname "$0")/../lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
d=(--data-dir "$tmp/data")

out=$("$dictum" --version)
check "--version prints the version" grep -Eq '^dictum [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"
out=$("$dictum" --help)
for c in patients notes db workstation; do
  check "--help lists $c" grep -Eq "^  $c +[a-z]" <<<"$out"
done

check "unknown command fails" bash -c "! '$dictum' frobnicate 2>$tmp/err"
check "unknown command says so in one line" bash -c "[ \$(wc -l <$tmp/err) = 1 ] && grep -q 'unknown command' $tmp/err"

pid=$("$dictum" "${d[@]}" --json patients add --first Ada --last Lovelace --dob 1815-12-10 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "patients add returns an id" test "$pid" = 1
check "patients add rejects a bad date" bash -c "! '$dictum' --data-dir '$tmp/data' patients add --first A --last B --dob 12/10/1815 2>/dev/null"
out=$("$dictum" "${d[@]}" patients list --search love)
check "patients list finds by part of the name" grep -q 'Lovelace, Ada' <<<"$out"

cat >"$tmp/note.md" <<'NOTE'
# Chief Complaint
Palpitations for one week.
# Assessment and Plan
Holter monitor. Metoprolol 25 mg twice daily.
NOTE
nid=$("$dictum" "${d[@]}" notes add --patient 1 --type clinicNote "$tmp/note.md" | cut -f1)
check "notes add stores a note" test "$nid" = 1
check "notes add refuses an unknown type and lists the valid ones" \
  bash -c "! '$dictum' --data-dir '$tmp/data' notes add --patient 1 --type soapNote '$tmp/note.md' 2>$tmp/err && grep -q criticalCareProgressNote $tmp/err"
check "notes add refuses an unknown patient" \
  bash -c "! '$dictum' --data-dir '$tmp/data' notes add --patient 99 --type clinicNote '$tmp/note.md' 2>/dev/null"

out=$("$dictum" "${d[@]}" notes list)
check "notes list shows the note" grep -q $'Lovelace, Ada\tclinicNote\tdraft v1' <<<"$out"
check "notes list --json is an array of one" bash -c "'$dictum' --data-dir '$tmp/data' notes list --json | python3 -c 'import json,sys; a=json.load(sys.stdin); assert len(a)==1 and a[0][\"note_type\"]==\"clinicNote\"'"
out=$("$dictum" "${d[@]}" notes search metoprolol)
check "notes search finds a word" grep -q '\[Metoprolol\]' <<<"$out"
out=$("$dictum" "${d[@]}" notes search 'NEAR("x' 2>&1)
check "notes search survives search syntax" test $? -le 1
out=$("$dictum" "${d[@]}" notes show 1 --format markdown)
check "notes show markdown has headings" grep -q '^## Assessment and Plan$' <<<"$out"
"$dictum" "${d[@]}" notes export 1 --format json -o "$tmp/export.json"
check "notes export writes JSON with sections" python3 -c "
import json; n=json.load(open('$tmp/export.json'))
assert n['noteType']=='clinicNote' and n['sections'][1]['text'].startswith('Holter'), n"
"$dictum" "${d[@]}" notes export 1 --format text -o "$tmp/export.txt"
check "notes export text" grep -q '^Palpitations for one week.$' "$tmp/export.txt"
check "notes show of a missing note fails" bash -c "! '$dictum' --data-dir '$tmp/data' notes show 42 2>/dev/null"
check "notes sign" bash -c "'$dictum' --data-dir '$tmp/data' notes sign 1 | grep -q signed"
check "a signed note cannot be signed again" bash -c "! '$dictum' --data-dir '$tmp/data' notes sign 1 2>/dev/null"
check "a signed note takes an addendum" bash -c "echo 'Holter results normal.' | '$dictum' --data-dir '$tmp/data' notes addendum 1 - | grep -q 'version 3'"
out=$("$dictum" "${d[@]}" notes show 1)
check "the addendum follows the signed text" grep -A1 '^Addendum (' <<<"$out"
check "the addendum text is shown" grep -q '^Holter results normal.$' <<<"$out"

out=$("$dictum" "${d[@]}" db check)
check "db check reports ok" grep -q '^integrity: *ok$' <<<"$out"
check "db check reports the schema" grep -Eq '^schema version: ([0-9]+) \(this build writes \1\)' <<<"$out"
check "db check --json counts notes and versions" bash -c "'$dictum' --data-dir '$tmp/data' --json db check | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r[\"ok\"] and r[\"counts\"][\"notes\"]==1 and r[\"counts\"][\"note_versions\"]==3, r'"

# DICTUM_DATA_DIR and the XDG default choose the store.
DICTUM_DATA_DIR=$tmp/data "$dictum" notes list >"$tmp/env.out"
check "DICTUM_DATA_DIR selects the store" grep -q Lovelace "$tmp/env.out"
"$dictum" patients list >/dev/null
check "default store lives under the XDG data home" test -f "$HOME/.local/share/dictum/dictum.db"

# Faults: each a one-line reason, a non-zero exit, and the file untouched.
touch "$tmp/afile"
"$dictum" --data-dir "$tmp/afile/sub" notes list 2>"$tmp/err"
rc=$?
check "uncreatable data dir fails" test $rc -ne 0
check "uncreatable data dir names the folder" grep -q "cannot create the data directory $tmp/afile/sub" "$tmp/err"

mkdir -p "$tmp/textdir"
echo "not a database" >"$tmp/textdir/dictum.db"
sum=$(sha256sum <"$tmp/textdir/dictum.db")
"$dictum" --data-dir "$tmp/textdir" notes list 2>"$tmp/err"
rc=$?
check "a text file as store fails" test $rc -ne 0
check "the reason is one line naming the file" bash -c "[ \$(wc -l <$tmp/err) = 1 ] && grep -q '$tmp/textdir/dictum.db is not a Dictum store' $tmp/err"
check "the text file is untouched" test "$(sha256sum <"$tmp/textdir/dictum.db")" = "$sum"

mkdir -p "$tmp/newer"
cp "$tmp/data/dictum.db" "$tmp/newer/dictum.db"
sqlite3 "$tmp/newer/dictum.db" 'PRAGMA journal_mode=DELETE; PRAGMA user_version=7;' >/dev/null
sum=$(sha256sum <"$tmp/newer/dictum.db")
"$dictum" --data-dir "$tmp/newer" notes list 2>"$tmp/err"
rc=$?
check "a newer store fails" test $rc -ne 0
check "the reason says to upgrade" grep -q 'schema version 7.*upgrade Dictum' "$tmp/err"
check "the newer store is untouched" test "$(sha256sum <"$tmp/newer/dictum.db")" = "$sum"
finish
