#!/usr/bin/env bash
# The ICD-10 and billing panels in a real terminal (tmux): suggested codes
# with their evidence, accept and reject, a code found in the table and
# added, the billing (E/M with its MDM reasoning, HCC, CPT) recomputed on
# the store thread after each decision and after an edit of the note; the
# accepted codes stored with the note.
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Grace --last Hopper >/dev/null
printf '# Chief Complaint\nFollow up of type 2 diabetes with diabetic chronic kidney disease stage 3.\n# Assessment and Plan\nHypertension stable on lisinopril. Continue metformin 500 mg twice daily, check A1c.\n' |
  "$dictum" --data-dir "$data" notes add --patient 1 --type clinicNote - >/dev/null

cat >"$tmp/editor.sh" <<'ED'
#!/bin/sh
printf '# Chief Complaint\nFollow up of type 2 diabetes with diabetic chronic kidney disease stage 3.\n# Assessment and Plan\nHypertension stable on lisinopril. Continue metformin 500 mg twice daily, check A1c.\nNew wheezing: mild intermittent asthma, start albuterol inhaler.\n' >"$1"
ED
chmod +x "$tmp/editor.sh"

t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
  "env TERM=screen-256color EDITOR='$tmp/editor.sh' VISUAL= '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
check "first screen" wait_for "Hopper, Grace"
t send-keys -t dictum Enter
check "the note opens" wait_for "Chief Complaint"
check "the note view sums up its codes (computed on the store thread)" wait_for "Codes: E11.22"
check "and its E/M level" wait_for "E/M 99214"

t send-keys -t dictum 'c'
check "c opens the codes panel" wait_for "ICD-10-CM ("
check "suggested codes are listed" wait_for "[ ] E11.22"
check "the selected code shows its evidence words" \
  wait_for 'E11.22 evidence: "type 2 diabetes with diabetic chronic kidney disease"'
check "the billing panel gives the E/M level with its MDM reasoning" wait_for "MDM moderate -> 99214"
check "element by element" wait_for "problems  moderate"
t send-keys -t dictum ' '
check "Space scrolls the billing to the HCC categories" wait_for "HCC 37 Diabetes with Chronic Complications (E11.22)"
check "and the CPT suggestions" wait_for "99214  Office visit, established patient"
t send-keys -t dictum 'b'
check "b scrolls back" wait_for "MDM moderate -> 99214"

t send-keys -t dictum '+'
check "+ accepts the selected code" wait_for "[+] E11.22"
# select CODE: j until the panel's evidence line is CODE's (the selected one).
select_code() {
  for _ in $(seq 12); do
    screen | grep -qF "$1 evidence:" && return 0
    t send-keys -t dictum 'j'
    sleep 0.2
  done
  return 1
}
check "j moves the selection down the list" select_code N18.30
t send-keys -t dictum '-'
check "- rejects the selected code" wait_for "[-] N18.30"
t send-keys -t dictum ' '
check "the accepted code's HCC stays in the billing" wait_for "HCC 37 Diabetes"
check "the billing is recomputed without the rejected code's HCC" gone "HCC 329"
t send-keys -t dictum 'b'

t send-keys -t dictum 'A'
check "A asks for a search of the code table" wait_for "Add an ICD-10-CM code"
t send-keys -t dictum 'morbid obesity' Enter
check "the search lists codes of the table" wait_for "E66.01"
pick_row "E66.01 "
check "Enter adds the code as accepted" wait_for "[+] E66.01"
check "the added code shows its name as evidence" wait_for "E66.01 (Morbid (severe) obesity due to excess calories)"
t send-keys -t dictum ' ' ' '
check "Space scrolls the billing; the added code's HCC joins it" wait_for "HCC 48 Morbid Obesity (E66.01)"
check "with its documentation opportunity" wait_for "opportunity E66.01: morbid obesity: document the BMI"

t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "at 80x24 the panel keeps the status bar on row 23" \
  eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'offline'"
check "the code list still shows" wait_for "[+] E11.22"

t send-keys -t dictum 'q'
check "q goes back to the note, which sums up the decisions" wait_for "E11.22+"
check "a rejected code is left out of the sum" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q 'N18.30'"
t send-keys -t dictum 'e'
check "an edit is saved" wait_for "Saved (version 2)."
check "the edited note's codes are recomputed: the new asthma code" wait_for "J45.20"
check "the clinician's decisions survive the edit" wait_for "E66.01+"
t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
t kill-server 2>/dev/null

check "the accepted and rejected codes are stored with the note" python3 -c "
import sqlite3
db = sqlite3.connect('$data/dictum.db')
rows = dict(db.execute(\"SELECT code, status FROM note_codes WHERE note_id = 1 AND system = 'icd10'\"))
assert rows.get('E11.22') == 'accepted' and rows.get('E66.01') == 'accepted', rows
assert rows.get('N18.30') == 'rejected' and rows.get('J45.20') == 'suggested', rows"
finish
