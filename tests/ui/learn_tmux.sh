#!/usr/bin/env bash
# Speech learns from signed notes in the workstation (tmux): with notes
# signed since the user's language model was built ([ui] adapt_after = 1
# here), the workstation offers to learn once the speech model has loaded;
# L builds the model from the signed notes and reloads speech; the model
# is the data directory's (a phrase misheard before is then recognised by
# dictum transcribe); the offer is not made again at the next start; L
# while nothing is signed says so.
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.sh"
need_speech
export HOME=$tmp/home DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
phrase="the purple walrus prescribed eleven lemons to the astronaut"
# kal16: slt's "walrus" is heard "well as" once a file starts from its own
# cepstral mean (cmn_prime), with the phrase in the model or not.
flite -voice kal16 -t "$phrase" -o "$tmp/raw.wav"
sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/walrus.wav"
"$dictum" --data-dir "$data" transcribe "$tmp/walrus.wav" >"$tmp/before.txt"
check "before learning, the phrase is misheard" bash -c "[ \"\$(cat '$tmp/before.txt')\" != '$phrase' ]"

"$dictum" --data-dir "$data" patients add --first Ada --last Lovelace >/dev/null
printf '# Plan\nThe purple walrus prescribed eleven lemons to the astronaut.\n' |
  "$dictum" --data-dir "$data" notes add --patient 1 --type clinicNote - >/dev/null
printf '[ui]\nadapt_after = 1\n' >"$XDG_CONFIG_HOME/dictum/config.ini"

start() {
  t -f /dev/null new-session -d -s dictum -x 110 -y 30 \
    "env TERM=screen-256color '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 30"
}
start
check "first screen" wait_for "Lovelace, Ada"
check "the speech model loads" wait_for "speech: sphinx" 60
t send-keys -t dictum 'L'
check "L with nothing signed says so" wait_for "No signed notes yet" 20
t send-keys -t dictum 'q'
check "q quits" wait_for "EXITED=0"
t kill-session -t dictum

"$dictum" --data-dir "$data" notes sign 1 >/dev/null
start
check "the offer comes once speech has loaded" wait_for "1 notes signed since speech last learned" 60
t send-keys -t dictum 'L'
check "L learns from the signed note" wait_for "Speech learned your words from 1 signed notes" 60
check "the model is in the data directory" grep -qP '\tpurple walrus prescribed' "$data/asr/user.lm"
t send-keys -t dictum 'q'
check "q quits" wait_for "EXITED=0"
t kill-session -t dictum

"$dictum" --data-dir "$data" transcribe "$tmp/walrus.wav" >"$tmp/after.txt"
check "after learning, the phrase is recognised" [ "$(cat "$tmp/after.txt")" = "$phrase" ]

start
check "the workstation starts again" wait_for "speech: sphinx" 60
sleep 1
check "no offer: nothing was signed since" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q 'signed since'"
t send-keys -t dictum 'q'
check "q quits" wait_for "EXITED=0"
finish
