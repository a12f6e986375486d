#!/usr/bin/env bash
# The sentence cursor of the note view (tmux): a note drafted from a
# recording made in the workstation (file capture backend playing dictation
# in real time); ] selects a sentence and the pane under the note shows the
# transcript segment it came from with its times (checked against the
# segments stored in the SQLite file); p plays that span of the recording
# (the status bar says PLAY and, on this test's PulseAudio null sink, a
# playback stream of dictum appears), p again stops it.
dictum=$1
. "$(dirname "$0")/../lib.sh"
command -v sox >/dev/null || { echo "SKIP: sox is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
pulse=0
if command -v pulseaudio >/dev/null && command -v pactl >/dev/null && command -v paplay >/dev/null
then
  . "$(dirname "$0")/../audio/pulse.sh"
  pulse_setup ui_span
  pulse=1
else
  echo "# no PulseAudio: the playback stream check is skipped"
fi
. "$(dirname "$0")/tmux_lib.sh"
trap 'tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null; [ "$pulse" = 1 ] && pulse_teardown; rm -rf "$tmp"' EXIT

clip=$tmp/dictation.wav
dictation_clip "$clip"

export HOME=$tmp/home XDG_DATA_HOME= XDG_CONFIG_HOME= DICTUM_DATA_DIR= USER=dr_test
mkdir -p "$HOME/.config/dictum"
printf '[audio]\nbackend = file\ndevice = %s\n' "$clip" >"$HOME/.config/dictum/config.ini"
data=$tmp/data
"$dictum" --data-dir "$data" patients add --first Jane --last Doe >/dev/null

t -f /dev/null new-session -d -s dictum -x 100 -y 30 \
  "env TERM=screen-256color PULSE_SERVER='${PULSE_SERVER:-}' PULSE_SINK='${sink:-}' '$dictum' --data-dir '$data'; echo EXITED=\$?; sleep 60"
check "first screen" wait_for "No notes yet"
check "the speech model loads" wait_for "speech: sphinx" 30
t send-keys -t dictum 'n' 'Doe, Jane' Enter 'clinicNote' Enter Enter
check "a new encounter is created and opened" wait_for "New encounter created"
t send-keys -t dictum ']'
check "] on an empty note says so" wait_for "This note has no text yet."
t send-keys -t dictum 'R'
check "recording from the dictation file" wait_for "REC 00:0"
check "at the end of the file the recording stops and the note is drafted" wait_for "Drafted" 90
check "the draft holds what was dictated" wait_for "Ear pain."

t send-keys -t dictum ']'
check "] selects the first sentence: the span pane shows where it was heard" wait_for "Heard " 5
line=$(screen | grep -A1 'Heard ' | tr '\n' ' ')
echo "# span pane: $line"
check "the span holds the sentence's words" bash -c "echo '$line' | grep -qi 'ear pain'"
check "the selected sentence is highlighted (reverse video)" bash -c \
  "tmux -S '$sock' capture-pane -e -p -t dictum | grep 'Ear pain' | grep -q $'\e\\[[0-9;]*7[;m]'"
check "the times and words are those of a stored segment run of the recording" python3 - "$data" "$line" <<'PY'
import json, re, sqlite3, sys, glob
db = glob.glob(sys.argv[1] + "/*.db")[0]
line = sys.argv[2]
m = re.search(r"Heard (\d+):(\d\d)\.(\d)-(\d+):(\d\d)\.(\d)", line)
assert m, line
t0 = int(m[1]) * 60 + int(m[2]) + int(m[3]) / 10
t1 = int(m[4]) * 60 + int(m[5]) + int(m[6]) / 10
con = sqlite3.connect(db)
(segs, path), = con.execute(
    "SELECT t.segments, r.path FROM transcripts t JOIN recordings r ON r.id = t.recording_id")
segs = json.loads(segs)
# The words with their own times (else the segments), in time order.
units = [w for s in segs for w in (s.get("words") or [s])]
i = [k for k, u in enumerate(units) if abs(u["start"] - t0) < 0.051]
j = [k for k, u in enumerate(units) if abs(u["end"] - t1) < 0.051]
assert i and j and i[0] <= j[-1], (t0, t1, units)
heard = " ".join(u["text"] for u in units[i[0]:j[-1] + 1])
shown = re.sub(r"^.*?\): ", "", line).strip()
assert re.sub(r"\s+", " ", shown).startswith(heard[:60]), (heard, shown)
assert "ear pain" in heard, heard
PY
t send-keys -t dictum ']'
check "] moves to the next sentence" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | grep -A1 'Heard ' | tr '\n' ' ' | grep -vqF -- '$line'"
t send-keys -t dictum '['
check "[ goes back" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | grep -A1 'Heard ' | tr '\n' ' ' | grep -qF -- \"\$(echo '$line' | cut -c1-40)\""

# Playing: a sentence of a few seconds (the one about the fever), so that
# the stream can be seen and stopped before its end.
for _ in $(seq 12); do
  screen | grep -A1 'Heard ' | grep -q fever && break
  t send-keys -t dictum ']'
  sleep 0.2
done
check "] reaches the sentence heard with 'fever'" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | grep -A1 'Heard ' | grep -q fever"
t send-keys -t dictum 'p'
check "p plays the span: the bottom line says so" wait_for "Playing " 5
if [ "$pulse" = 1 ]; then
  check "the status bar shows PLAY" wait_for "PLAY |" 2
  check "a playback stream of dictum is on the null sink" bash -c \
    "for i in \$(seq 30); do pactl list sink-inputs | grep -q 'application.name = \"dictum\"' && exit 0; sleep 0.1; done; pactl list sink-inputs; exit 1"
  t send-keys -t dictum 'p'
  check "p again stops" wait_for "Playback stopped." 5
  check "PLAY leaves the status bar" gone "PLAY |"
  check "the stream is gone" bash -c \
    "for i in \$(seq 30); do pactl list sink-inputs | grep -q 'application.name = \"dictum\"' || exit 0; sleep 0.1; done; exit 1"
  t send-keys -t dictum 'p'
fi
check "played to its end, the player finishes by itself" wait_for "Playback finished." 30
check "PLAY is gone from the status bar" gone "PLAY |"

t resize-window -t dictum -x 80 -y 24
sleep 0.3
check "at 80x24 the span pane still shows" wait_for "Heard " 5
check "and the status bar is on row 23" eventually bash -c "tmux -S '$sock' capture-pane -p -t dictum | sed -n 23p | grep -q 'speech:'"
t send-keys -t dictum 'q' 'q'
check "q quits with status 0" wait_for "EXITED=0"
finish
