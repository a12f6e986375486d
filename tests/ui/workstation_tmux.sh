#!/usr/bin/env bash
# The real workstation in a real terminal (tmux): it starts on a store,
# lists, searches and opens notes, and gives the terminal back on quit.
dictum=$1
. "$(dirname "$0")/../lib.sh"
if ! command -v tmux >/dev/null; then
  echo "SKIP: tmux is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Ada --last Lovelace >/dev/null
"$dictum" --data-dir "$data" patients add --first Alan --last Turing >/dev/null
printf '# Chief Complaint\nWheezing at night.\n# Plan\nAlbuterol inhaler.\n' |
  "$dictum" --data-dir "$data" notes add --patient 1 --type clinicNote - >/dev/null
printf '# Chief Complaint\nKnee pain after a fall.\n# Plan\nX-ray of the left knee.\n' |
  "$dictum" --data-dir "$data" notes add --patient 2 --type edProviderNote - >/dev/null

# A recording cut off by a crash (SIGKILL while recording), for the
# workstation to repair at start.
crash_ok=0
if command -v sox >/dev/null; then
  sox -n -r 16000 -c 1 "$tmp/tone.wav" synth 6 sine 440 vol 0.3
  "$dictum" --data-dir "$data" record -b file -d "$tmp/tone.wav" -o "$data/cut.wav" -t 6 \
    >"$tmp/rec.out" 2>"$tmp/rec.err" &
  rec=$!
  for _ in $(seq 100); do grep -q 'receiving audio' "$tmp/rec.err" && break; sleep 0.1; done
  sleep 2.5
  kill -KILL $rec 2>/dev/null
  wait $rec 2>/dev/null
  crash_ok=1
fi

. "$(dirname "$0")/tmux_lib.sh"

# The clinician's $EDITOR: a script that writes what a clinician would,
# one answer per invocation.
cat >"$tmp/editor.sh" <<'ED'
#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0)
echo $((n + 1)) >"$0.count"
case $n in
0) printf '# Situation\nStable overnight, lactate 1.1.\n# Plan\nContinue vancomycin 1 g IV every 12 hours.\n' >"$1" ;;
*) printf 'Family updated by phone.\n' >"$1" ;;
esac
ED
chmod +x "$tmp/editor.sh"

t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
  "env TERM=screen-256color EDITOR='$tmp/editor.sh' VISUAL= '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
check "first screen shows the notes" wait_for "Turing, Alan"
check "both notes are listed" wait_for "Lovelace, Ada"
check "status bar shows offline, the queued changes, the speech engine" wait_for "offline | 2 queued | speech: "
check "status bar counts the notes" wait_for "| 2 notes | ? help"
if [ $crash_ok = 1 ]; then
  check "at start the workstation repairs the recording a crash cut off" \
    wait_for "A crash cut off 1 recording(s): 1 recovered"
fi

t send-keys -t dictum '?'
check "help lists actions from the table" wait_for "Search notes (full text)"
t send-keys -t dictum 'q'
check "q leaves help" wait_for "Turing, Alan"

t send-keys -t dictum 't'
check "t switches to the light theme" wait_for "Theme: light"
t send-keys -t dictum 't' 't' 't'
check "t cycles back to dark" wait_for "Theme: dark"

t send-keys -t dictum '/' 'albuterol' Enter
check "search narrows the list" wait_for "search: albuterol"
check "search shows the matching note" wait_for "1 notes"
check "the non-matching note is gone" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q Turing"
t send-keys -t dictum Enter
check "Enter opens the note" wait_for "Albuterol inhaler."
check "the note shows its sections" wait_for "Chief Complaint"

t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "after a resize to 80x24 the status bar is on row 23" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'offline'"
t send-keys -t dictum '?'
check "help opens at 80x24" wait_for "Keys"
screen | sed -e "1s/Dictum [^ ]* /Dictum VERSION /" -e "s/speech: [a-z]*/speech: ENGINE/" \
  >"$tmp/help-80x24.txt"
check "the help screen at 80x24 is as expected (tests/ui/screens/help-80x24.txt)" \
  diff -u "$(dirname "$0")/screens/help-80x24.txt" "$tmp/help-80x24.txt"
t send-keys -t dictum j j j j j j j j j j j j j j j j
check "j scrolls the help to the last actions" wait_for "Next theme (dark, light"
t send-keys -t dictum 'q'
check "q leaves help for the note" wait_for "Albuterol inhaler."
t send-keys -t dictum 'q'
check "q goes back to the list" wait_for "search: albuterol"

# A new encounter: patient, note type picker, write in $EDITOR, sign, addendum.
t send-keys -t dictum 'n'
check "n asks for the patient" wait_for "New encounter, patient (Last, First):"
t send-keys -t dictum 'Curie, Marie' Enter
check "then offers the note types" wait_for "admissionHP"
t send-keys -t dictum 'hand'
check "typing filters the types" bash -c "sleep 0.3; ! tmux -S '$sock' capture-pane -p -t dictum | grep -q admissionHP"
t send-keys -t dictum Enter
check "then asks for the specialty" wait_for "Specialty (Enter for none):"
t send-keys -t dictum 'Infectious disease' Enter
check "the encounter is created and opened" wait_for "New encounter created"
check "the note shows patient and type" wait_for "Curie, Marie"
check "the note shows its specialty" wait_for "Infectious disease"
t send-keys -t dictum 'e'
check "the edit from \$EDITOR is saved as version 2" wait_for "Saved (version 2)."
check "the saved text is shown" wait_for "Continue vancomycin 1 g IV every 12 hours."
t send-keys -t dictum 'S'
check "signing asks first" wait_for "Sign this note?"
t send-keys -t dictum 'n' Enter
check "anything but y does not sign" wait_for "Not signed."
t send-keys -t dictum 'S' 'y' Enter
check "y signs" wait_for "Signed; the note is now read-only (version 3)."
t send-keys -t dictum 'e'
check "a signed note cannot be edited" wait_for "signed and read-only"
t send-keys -t dictum 'a'
check "an addendum is added from \$EDITOR" wait_for "Addendum added (version 4)."
check "the addendum is shown" wait_for "Family updated by phone."
t send-keys -t dictum 'q'
check "q goes back to the list again" wait_for "search: albuterol"

# Signed elsewhere while open here: the edit fails to save, and is kept.
t send-keys -t dictum Enter
check "the asthma note opens again" wait_for "Albuterol inhaler."
"$dictum" --data-dir "$data" notes sign 1 >/dev/null
t send-keys -t dictum 'e'
check "a save over a note signed elsewhere is refused" wait_for "Not saved;"
check "and says where the edit is kept" wait_for "edit kept in drafts/note_"
check "the kept file holds the edit" bash -c "grep -rq 'Family updated by phone.' '$data/drafts'"
rm -rf "$data/drafts"
t send-keys -t dictum 'q'
check "back to the list" wait_for "search: albuterol"
t send-keys -t dictum 'q'
check "q quits with status 0" wait_for "EXITED=0"
check "the terminal is restored (no alternate screen left)" bash -c "[ \"\$(tmux -S '$sock' display -p -t dictum '#{alternate_on}')\" = 0 ]"
t kill-server 2>/dev/null

"$dictum" --data-dir "$data" --json notes list --patient 3 >"$tmp/curie.json"
check "the store holds the signed handoff note with its addendum" python3 -c "
import json; n=json.load(open('$tmp/curie.json'))
assert len(n)==1 and n[0]['note_type']=='handoff' and n[0]['status']=='signed' and n[0]['version']==4, n"
id=$(python3 -c "import json; print(json.load(open('$tmp/curie.json'))[0]['id'])")
"$dictum" --data-dir "$data" --json notes show "$id" >"$tmp/curie-note.json"
check "the note keeps the specialty chosen at creation" python3 -c "
import json; n=json.load(open('$tmp/curie-note.json'))
assert n.get('specialty') == 'Infectious disease', n.get('specialty')"
check "no draft file is left behind after saves" test -z "$(ls -A "$data/drafts" 2>/dev/null)"

if [ $crash_ok = 1 ]; then
  "$dictum" --data-dir "$data" --json recover >"$tmp/recover.json" 2>/dev/null
  check "nothing is left for dictum recover" python3 -c "import json; assert json.load(open('$tmp/recover.json')) == []"
  check "the repaired file is kept" test -s "$data/cut.wav"
fi

# Not a terminal: a clear error, not a broken screen.
"$dictum" --data-dir "$data" </dev/null >"$tmp/out" 2>"$tmp/err"
check "without a terminal the workstation explains itself" grep -q 'needs a terminal' "$tmp/err"
finish
