#!/usr/bin/env bash
# Faithfulness flags in the note view (tmux): a note drafted from a
# transcript shows nothing flagged; after an edit adds a drug, a dose and a
# side the transcript never said, they are listed and marked in the text.
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Edward --last Jenner >/dev/null
printf 'Chief complaint: cough for three days. Plan: amoxicillin 500 mg three times daily.\n' >"$tmp/t.txt"
"$dictum" --data-dir "$data" note --type clinicNote --save --patient 1 "$tmp/t.txt" >/dev/null
cat >"$tmp/editor.sh" <<'ED'
#!/bin/sh
printf '# Chief Complaint\nCough for three days.\n# Plan\nAmoxicillin 500 mg three times daily. Start warfarin 5 mg daily for the right leg.\n' >"$1"
ED
chmod +x "$tmp/editor.sh"
t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
  "env TERM=screen-256color EDITOR='$tmp/editor.sh' VISUAL= '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
check "first screen" wait_for "Jenner, Edward"
t send-keys -t dictum Enter
check "the drafted note opens" wait_for "Amoxicillin 500 mg"
sleep 1
check "nothing of the draft is flagged" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q 'Not in the transcript'"
t send-keys -t dictum 'e'
check "the edit is saved" wait_for "Saved (version 2)."
check "the drug the transcript never said is flagged" wait_for "warfarin (drug)"
check "and the dose" wait_for "5 (number)"
check "and the side" wait_for "right (side)"
check "the supported drug is not" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -qi 'amoxicillin (drug)'"
check "the term is marked in the text (underlined)" eventually bash -c "tmux -S '$sock' capture-pane -e -p -t dictum | grep 'Start' | grep -q $'\e\\[[0-9;]*4[;m]'"
t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
finish
