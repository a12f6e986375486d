#!/usr/bin/env bash
# The record panel in a real terminal (tmux) on a real PulseAudio server:
# a new encounter, the capture device chosen in the picker (the monitor of
# this test's null sink), recording with the level meter and its silence
# and clipping warnings, pause and resume, a resize to 80x24 while
# recording, the live transcript while paplay plays dictation into the
# sink, and on stop the transcript stored and the note drafted into the
# encounter's note. Then a recording left running at quit is finished.
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../audio/pulse.sh"
command -v tmux >/dev/null || { echo "SKIP: tmux is not installed"; exit 77; }
command -v sox >/dev/null || { echo "SKIP: sox is not installed"; exit 77; }
pulse_setup ui_record
. "$(dirname "$0")/tmux_lib.sh"
trap 'tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null; pulse_teardown; rm -rf "$tmp"' EXIT

# Dictation with spoken punctuation and section cues: the shared data set's
# clip, else the same words from flite.
clip=$tmp/dictation.wav
dictation_clip "$clip"
sox -n -r 48000 -c 2 "$tmp/loud.wav" synth 1.5 square 300 vol 1.0

export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Jane --last Doe >/dev/null

elapsed() { screen | sed -n 's/.*REC \([0-9][0-9]\):\([0-9][0-9]\).*/\1 \2/p' | awk '{print $1*60+$2}'; }

start() {
  t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
    "env TERM=screen-256color PULSE_SERVER='$PULSE_SERVER' '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 60"
}
start
check "first screen" wait_for "No notes yet"
check "the speech model loads in the background" wait_for "speech: sphinx" 30

t send-keys -t dictum 'R'
check "R outside a note says to open one" wait_for "Open a note first"

t send-keys -t dictum 'n' 'Doe, Jane' Enter 'clinicNote' Enter Enter
check "a new encounter is created and opened" wait_for "New encounter created"

t send-keys -t dictum 'D'
check "D lists the capture devices of the pulse backend" wait_for "Capture devices (pulse)"
check "the picker shows this test's sink monitor" wait_for "$sink.monitor"
pick_row "$sink.monitor"
check "Enter chooses the device" wait_for "Capture device: $sink.monitor (pulse)"
check "and goes back to the note" wait_for "Doe, Jane"

t send-keys -t dictum 'R'
check "R starts recording: the status bar shows REC and the meter" wait_for "REC 00:0"
check "the live transcript panel is shown" wait_for "Live transcript (recording"
check "silent input is warned about" wait_for "NO SOUND" 8
a=$(elapsed)
sleep 1.5
b=$(elapsed)
check "the clock runs while recording ($a s, then $b s)" test "${b:-0}" -gt "${a:-0}"

t send-keys -t dictum 'R'
check "R pauses" wait_for "PAUSED"
check "the panel says paused" wait_for "Live transcript (paused"
t send-keys -t dictum 'R'
check "R resumes" wait_for "Live transcript (recording"

paplay --latency-msec=200 -d "$sink" "$tmp/loud.wav"
check "a full-scale square wave is warned about as clipping" wait_for "CLIPPING" 5

t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "resized to 80x24 while recording: the status bar is on row 23" \
  eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'REC'"
check "the status bar fits 80 columns" eventually bash -c "[ \$(tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | wc -L) -le 80 ]"
t resize-window -t dictum -x 110 -y 35
sleep 0.3
check "resized to 110x35: the status bar is on row 34" \
  eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 34p | grep -q 'REC'"

paplay --latency-msec=200 -d "$sink" "$clip" &
player=$!
# The clip lasts about 20 s; under load the recogniser can lag behind it, so
# this is checked while it plays, before the transcript is waited for.
check "the silence warning goes while there is sound" gone "NO SOUND"
check "the transcript appears while the clinician speaks" wait_for "ear" 25
check "the draft appears while the clinician speaks" wait_for "Draft so far" 25
check "the draft so far is shown, not stored: the note is still version 1" python3 -c "
import json, subprocess, sys
n = json.loads(subprocess.run([sys.argv[1], '--data-dir', sys.argv[2], '--json', 'notes', 'show', '1'],
                              capture_output=True, text=True, check=True).stdout)
assert n['version'] == 1, n['version']" "$dictum" "$data"
wait $player
sleep 1
t send-keys -t dictum 'x'
check "x stops: transcribing and drafting" wait_for "Drafted" 60
check "the drafted note shows its sections" wait_for "Chief Complaint"
check "the draft holds what was dictated" wait_for "Ear pain."
check "the recording panel is gone" gone "Live transcript"
check "the status bar is idle again" bash -c "! tmux -S '$sock' capture-pane -p -t dictum | grep -q 'REC '"

t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
check "the terminal is restored" bash -c "[ \"\$(tmux -S '$sock' display -p -t dictum '#{alternate_on}')\" = 0 ]"
screen >"$tmp/last-screen.txt"; t kill-server 2>/dev/null

"$dictum" --data-dir "$data" --json notes list >"$tmp/notes.json"
"$dictum" --data-dir "$data" --json notes show 1 >"$tmp/note.json"
check "the store holds the drafted note as version 2" python3 -c "
import json; n=json.load(open('$tmp/note.json'))
assert n['version']==2 and n['noteType']=='clinicNote', n
keys=[s['key'] for s in n['sections']]
text=' '.join(s['text'] for s in n['sections']).lower()
assert keys[:2]==['cc','hpi'] and 'ear pain' in text, (keys, text)"
"$dictum" --data-dir "$data" --json db check >"$tmp/check.json"
check "one recording and one transcript are stored" python3 -c "
import json; c=json.load(open('$tmp/check.json'))['counts']
assert c['recordings']==1 and c['transcripts']==1, c"
wav=$(ls "$data"/recordings/rec-*.wav | head -1)
check "the recording is a WAV of the whole session" bash -c "d=\$(soxi -D '$wav'); python3 -c \"import sys; assert float('\$d') > 20, '\$d'\""
"$dictum" --data-dir "$data" --json recover >"$tmp/recover.json" 2>/dev/null
check "the recording was finished cleanly (nothing to recover)" python3 -c "import json; assert json.load(open('$tmp/recover.json')) == []"

# Quit while recording: the recording, its transcript and the draft stay.
# The device comes from config.ini this time.
mkdir -p "$HOME/.config/dictum"
printf '[audio]\nbackend = pulse\ndevice = %s.monitor\n' "$sink" >"$HOME/.config/dictum/config.ini"
start
check "the workstation starts again" wait_for "Doe, Jane"
check "the speech model loads" wait_for "speech: sphinx" 30
t send-keys -t dictum Enter
check "the note opens" wait_for "Chief Complaint"
t send-keys -t dictum 'R'
check "recording again, from the device in config.ini" wait_for "Recording from $sink.monitor"
paplay --latency-msec=200 -d "$sink" "$clip" &
player=$!
sleep 3
t send-keys -t dictum 'q' 'q'
check "quitting while recording finishes the recording first" wait_for "EXITED=0" 60
kill $player 2>/dev/null
wait $player 2>/dev/null
screen >"$tmp/last-screen.txt"; t kill-server 2>/dev/null
"$dictum" --data-dir "$data" --json db check >"$tmp/check2.json"
check "the second recording and its transcript are stored" python3 -c "
import json; c=json.load(open('$tmp/check2.json'))['counts']
assert c['recordings']==2 and c['transcripts']==2, c"
"$dictum" --data-dir "$data" --json recover >"$tmp/recover2.json" 2>/dev/null
check "nothing is left half-recorded" python3 -c "import json; assert json.load(open('$tmp/recover2.json')) == []"
finish
