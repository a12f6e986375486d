#!/usr/bin/env bash
# The built-in editor (tmux): i opens the note in place; typing, Enter,
# Backspace, Ctrl-K and cursor keys edit it; Ctrl-Z undoes change after
# change; Ctrl-S saves a new version (checked in the store with dictum
# notes show); Esc cancels without a change; a save over a note changed
# elsewhere is refused and the edit kept; a signed note is read-only;
# the editor works at 80x24.
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Ada --last Lovelace >/dev/null
printf '# Chief Complaint\nCough\n# Plan\nFluids and rest.\n' |
  "$dictum" --data-dir "$data" notes add --patient 1 --type clinicNote - >/dev/null
show() { "$dictum" --data-dir "$data" --json notes show 1; }
t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
  "env TERM=screen-256color '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
check "first screen" wait_for "Lovelace, Ada"
t send-keys -t dictum Enter
check "the note opens" wait_for "Fluids and rest."
t send-keys -t dictum 'i'
check "i opens the built-in editor" wait_for "Ctrl-S save"
check "the note is shown as text with its section titles" wait_for "# Chief Complaint"
t send-keys -t dictum Down End ' for two days'
check "typed text appears at the cursor" wait_for "Cough for two days"
t send-keys -t dictum 'X' 'Y' 'Z'
check "more typing" wait_for "Cough for two daysXYZ"
t send-keys -t dictum C-z C-z
check "Ctrl-Z twice undoes the last two changes" wait_re 'Cough for two daysX$'
t send-keys -t dictum C-u
check "Ctrl-U undoes too (multi-level)" wait_re 'Cough for two days$'
t send-keys -t dictum Enter 'Worse at night.'
check "Enter splits the line" wait_re '^Worse at night.$'
t send-keys -t dictum BSpace BSpace '!'
check "Backspace deletes before the cursor" wait_for "Worse at nigh!"
t send-keys -t dictum C-z C-z C-z
check "and is undone" wait_re '^Worse at night.$'
t send-keys -t dictum Down Down Down C-k
check "Ctrl-K deletes the line" gone "Fluids and rest."
t send-keys -t dictum C-z
check "Ctrl-Z brings it back" wait_for "Fluids and rest."
t send-keys -t dictum End ' Paracetamol as needed.'
t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "at 80x24 the editor shows the text" wait_for "Paracetamol as needed."
check "and the status bar is on row 23" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'speech:'"
check "the cursor is shown at the end of the edited line" bash -c \
  "[ \"\$(tmux -S '$sock' display -p -t dictum '#{cursor_x},#{cursor_y}')\" = \"\$(tmux -S '$sock' capture-pane -p -t dictum | grep -n 'Paracetamol' | awk -F: '{print length(\$0) - length(\$1) - 1 \",\" \$1 - 1}')\" ]"
t send-keys -t dictum C-s
check "Ctrl-S saves a new version" wait_for "Saved (version 2)."
check "the note view shows the edit" wait_for "Worse at night."
show >"$tmp/v2.json"
check "the store holds version 2 with the edit" python3 -c "
import json; n=json.load(open('$tmp/v2.json'))
assert n['version'] == 2, n['version']
s = {x['key']: x['text'] for x in n['sections']}
assert s['chief_complaint'] == 'Cough for two days\nWorse at night.', s
assert s['plan'] == 'Fluids and rest. Paracetamol as needed.', s"

t send-keys -t dictum 'i' 'junk'
check "a second edit" wait_for "junk"
t send-keys -t dictum Escape
check "Esc cancels" wait_for "Edit cancelled; the note is unchanged."
check "the text is back as stored" gone "junk"
check "the store still has version 2" bash -c "'$dictum' --data-dir '$data' --json notes show 1 | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"version\"] == 2'"

# Signed elsewhere while edited here: the save (based on version 2) is
# refused and the edit is kept in a draft file.
t send-keys -t dictum 'i' Down End ' Late.'
check "an edit begins" wait_for "Cough for two days Late."
"$dictum" --data-dir "$data" notes sign 1 >/dev/null
t send-keys -t dictum C-s
check "the save over a note changed meanwhile is refused" wait_for "Not saved;"
check "and says where the edit is kept" wait_for "edit kept in drafts/note_"
check "the kept file holds the edit" bash -c "grep -rq 'Cough for two days Late.' '$data/drafts'"
check "the store has the signed version 3, without the edit" bash -c "'$dictum' --data-dir '$data' --json notes show 1 | python3 -c 'import json,sys; n=json.load(sys.stdin); assert n[\"version\"] == 3 and n[\"status\"] == \"signed\" and \"Late\" not in str(n[\"sections\"]), n'"
rm -rf "$data/drafts"
t send-keys -t dictum 'q' Enter
check "the note opens again, signed" wait_for "signed v3"
t send-keys -t dictum 'i'
check "a signed note cannot be edited here" wait_for "signed and read-only"
check "the editor did not open" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q 'Ctrl-S save'"
t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
check "no draft file is left behind" bash -c "! ls '$data'/drafts/* 2>/dev/null | grep -q ."
finish
