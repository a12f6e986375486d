#!/usr/bin/env python3
"""bench_ui: the workstation in a real terminal (tmux).

usage: bench/ui/bench_ui.py [DICTUM_BINARY] [--presses N] [--notes N]

Prints the time from start to the first full screen (and, apart, to the speech
model being loaded in the background), and the time from a key press to the
screen showing its effect (p50/p99), measured by polling tmux's capture-pane:
first on the idle list, then in the note view WHILE a recording runs (the file
capture backend plays a speech recording in real time: capture thread, crash-safe
WAV, streaming recognition and the live level meter all running). Resolution is
the cost of one capture-pane call (printed too).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    args = sys.argv[1:]
    binary = "build/dictum"
    presses, notes = 200, 200
    i = 0
    while i < len(args):
        if args[i] == "--presses":
            presses = int(args[i + 1]); i += 2
        elif args[i] == "--notes":
            notes = int(args[i + 1]); i += 2
        else:
            binary = args[i]; i += 1
    load = os.getloadavg()[0]
    binary = os.path.abspath(binary)
    if not shutil.which("tmux"):
        sys.exit("bench_ui: tmux is not installed")
    tmp = tempfile.mkdtemp(prefix="dictum-bench-ui-")
    data = os.path.join(tmp, "data")
    sock = os.path.join(tmp, "tmux.sock")
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME="", XDG_DATA_HOME="")

    def dictum(*a, stdin=None):
        return subprocess.run([binary, "--data-dir", data, *a], input=stdin, env=env,
                              check=True, capture_output=True, text=True).stdout

    # A long speech recording for the file capture backend to play.
    speech = None
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "../../../shared/data/dictation/wav"),
              "/work/shared/data/dictation/wav"):
        if os.path.exists(os.path.join(d, "d02-slt.wav")):
            speech = os.path.join(d, "d02-slt.wav")
            break
    clip = os.path.join(tmp, "long.wav")
    if speech and shutil.which("sox"):
        subprocess.run(["sox", speech, "-r", "16000", clip, "repeat", "8"], check=True)
    elif shutil.which("sox"):
        subprocess.run(["sox", "-n", "-r", "16000", clip, "synth", "180", "pinknoise",
                        "vol", "0.2"], check=True)
    else:
        clip = None
    os.makedirs(os.path.join(tmp, ".config", "dictum"), exist_ok=True)
    if clip:
        with open(os.path.join(tmp, ".config", "dictum", "config.ini"), "w") as f:
            f.write(f"[audio]\nbackend = file\ndevice = {clip}\n")

    dictum("patients", "add", "--first", "Bench", "--last", "Patient")
    for n in range(notes):
        dictum("notes", "add", "--patient", "1", "--type", "clinicNote", "-",
               stdin=f"# Chief Complaint\nCough {n}\n# Plan\nFluids and rest, visit {n}.\n")

    def tmux(*a):
        return subprocess.run(["tmux", "-S", sock, *a], check=True, capture_output=True,
                              text=True).stdout

    def screen():
        return tmux("capture-pane", "-p", "-t", "b")

    def wait(pred, timeout=10.0):
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            s = screen()
            if pred(s):
                return time.perf_counter()
        raise SystemExit("bench_ui: timed out; screen was:\n" + screen())

    rec, heard, inproc = [], False, []

    try:
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "100", "-y", "30",
             "sh")
        t0 = time.perf_counter()
        screen()
        capture_cost = time.perf_counter() - t0

        # First screen: from the command line reaching the shell to the list.
        t0 = time.perf_counter()
        tmux("send-keys", "-t", "b", f"env TERM=screen-256color HOME={tmp} XDG_CONFIG_HOME= DICTUM_UI_LATENCY_LOG={tmp}/lat.txt {binary} --data-dir {data}",
             "Enter")
        first = wait(lambda s: "Patient, Bench" in s and f"{notes} notes" in s) - t0
        model = wait(lambda s: "speech: sphinx" in s or "speech: none" in s, 60) - t0

        # Key latency: '?' opens help, 'q' closes it; each press waits for its effect.
        lat = []
        for k in range(presses):
            if k % 2 == 0:
                key, pred = "?", lambda s: "Search notes (full text)" in s
            else:
                key, pred = "q", lambda s: "Patient, Bench" in s
            t0 = time.perf_counter()
            tmux("send-keys", "-t", "b", key)
            lat.append(wait(pred) - t0)

        # The same while recording, in the note view.
        rec = []
        if clip:
            tmux("send-keys", "-t", "b", "Enter")
            wait(lambda s: "Chief Complaint" in s)
            tmux("send-keys", "-t", "b", "R")
            wait(lambda s: "REC 00:0" in s and "Live transcript" in s)
            time.sleep(2)
            for k in range(presses):
                if k % 2 == 0:
                    key, pred = "?", lambda s: "Show this help" in s
                else:
                    key, pred = "q", lambda s: "Live transcript" in s
                t0 = time.perf_counter()
                tmux("send-keys", "-t", "b", key)
                rec.append(wait(pred) - t0)
            words = screen()
            tmux("send-keys", "-t", "b", "x")
            wait(lambda s: "Drafted" in s or "No speech" in s, 120)
            heard = "REC" in words
        tmux("send-keys", "-t", "b", "q", "q")
        log = os.path.join(tmp, "lat.txt")
        end = time.time() + 60
        while not os.path.exists(log) and time.time() < end:
            time.sleep(0.1)
        time.sleep(0.2)
        inproc = [int(x) / 1000.0 for x in open(os.path.join(tmp, "lat.txt")).read().split()]
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    def p99(v):
        v = sorted(v)
        return v[min(len(v) - 1, int(len(v) * 0.99))]

    print(f"bench_ui: {notes} notes, {presses} key presses per phase, tmux capture-pane "
          f"costs {capture_cost * 1000:.1f} ms (the resolution); load average "
          f"{load:.1f} on {os.cpu_count()} cores at the start")
    print(f"first full screen                 {first * 1000:8.1f} ms   (goal < 150 ms)")
    print(f"speech model loaded (background)  {model * 1000:8.1f} ms   (does not hold the "
          f"first screen)")
    print(f"key press to screen, idle list    p50 {statistics.median(lat) * 1000:6.1f} ms"
          f"   p99 {p99(lat) * 1000:6.1f} ms   (goal p99 < 16 ms)")
    if rec:
        print(f"key press to screen, RECORDING    p50 {statistics.median(rec) * 1000:6.1f} ms"
              f"   p99 {p99(rec) * 1000:6.1f} ms   (goal p99 < 16 ms; file capture of "
              f"speech, streaming recognition, level meter){'' if heard else ' (recording ended early)'}")
    else:
        print("key press while recording: not measured (sox is needed to make the recording)")
    # The log has every key in order: the idle presses, Enter and R, the
    # presses while recording, then x and the quits.
    if len(inproc) >= 2 * presses + 2:
        idle_in, rec_in = inproc[:presses], inproc[presses + 2:2 * presses + 2]
        print(f"inside dictum (key read to screen written), idle list  p50 "
              f"{statistics.median(idle_in):6.2f} ms   p99 {p99(idle_in):6.2f} ms")
        print(f"inside dictum (key read to screen written), RECORDING  p50 "
              f"{statistics.median(rec_in):6.2f} ms   p99 {p99(rec_in):6.2f} ms")


if __name__ == "__main__":
    main()
