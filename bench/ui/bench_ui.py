#!/usr/bin/env python3
"""bench_ui: the workstation in a real terminal (tmux).

usage: bench/ui/bench_ui.py [DICTUM_BINARY] [--presses N] [--notes N]

Prints the time from start to the first full screen, and the time from a key
press to the screen showing its effect (p50/p99), measured by polling tmux's
capture-pane. Resolution is the cost of one capture-pane call (printed too).
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

    try:
        tmux("-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "100", "-y", "30",
             "sh")
        t0 = time.perf_counter()
        screen()
        capture_cost = time.perf_counter() - t0

        # First screen: from the command line reaching the shell to the list.
        t0 = time.perf_counter()
        tmux("send-keys", "-t", "b", f"env TERM=screen-256color {binary} --data-dir {data}",
             "Enter")
        first = wait(lambda s: "Patient, Bench" in s and f"{notes} notes" in s) - t0

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
        tmux("send-keys", "-t", "b", "q")
    finally:
        subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)

    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"bench_ui: {notes} notes, {presses} key presses, tmux capture-pane costs "
          f"{capture_cost * 1000:.1f} ms (the resolution)")
    print(f"first full screen                 {first * 1000:8.1f} ms   (goal < 150 ms)")
    print(f"key press to screen (help toggle) p50 {statistics.median(lat) * 1000:6.1f} ms"
          f"   p99 {p99 * 1000:6.1f} ms   (goal p99 < 16 ms)")
    print("note: no recording runs during these presses yet (the workstation does not"
          " record until the audio pane lands)")


if __name__ == "__main__":
    main()
