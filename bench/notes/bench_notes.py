#!/usr/bin/env python3
"""Scores `dictum note --type clinicNote --mode ambient` on ACI-Bench.

usage: bench_notes.py DICTUM_BINARY BENCH_NOTES_TIME_BINARY [CSV]

CSV defaults to ../shared/data/aci-bench/valid.csv next to the repository
(20 encounters). For each encounter it drafts the note with the real binary,
scores it against the reference note with ROUGE-1/2/Lsum F1 as ACI-Bench
does (rouge.py; per-note F1 averaged, x100), scores the transcript itself
as the note (the paper's "transcript copied as the note" baseline), counts
the faithfulness check's unsupported numbers and drug names, and times the
engine alone per encounter (bench_notes_time, engine loaded once).
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rouge  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    dictum, timer = sys.argv[1], sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "..", "shared", "data", "aci-bench", "valid.csv")
    path = sys.argv[3] if len(sys.argv) > 3 else default
    if not os.path.exists(path):
        print(f"bench_notes: {path} not found (ACI-Bench data absent)")
        return 77
    rows = list(csv.DictReader(open(path, newline="")))
    sys_scores, base_scores, unsupported, files = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            f = os.path.join(tmp, row["encounter_id"] + ".txt")
            with open(f, "w") as out:
                out.write(row["dialogue"])
            files.append(f)
            run = subprocess.run([dictum, "note", "--type", "clinicNote", "--mode", "ambient",
                                  "--json", f], capture_output=True, text=True, check=True)
            draft = json.loads(run.stdout)
            text = "\n\n".join(s["title"].upper() + "\n\n" + s["text"] for s in draft["sections"])
            sys_scores.append(rouge.scores(row["note"], text))
            base_scores.append(rouge.scores(row["note"], row["dialogue"]))
            unsupported.extend(u["kind"] for u in draft["unsupported"])
        timing = subprocess.run([timer, "20"] + files, capture_output=True, text=True, check=True)
        ms = [float(line.split("\t")[0]) for line in timing.stdout.splitlines()]

    def avg(scores, k):
        return 100 * statistics.mean(s[k] for s in scores)

    print(f"ACI-Bench {os.path.basename(path)}: {len(rows)} encounters, clinicNote, ambient mode")
    print(f"{'':32} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-Lsum':>10}")
    for name, sc in (("dictum note (local engine)", sys_scores),
                     ("transcript copied as the note", base_scores)):
        print(f"{name:32} {avg(sc, 0):8.2f} {avg(sc, 1):8.2f} {avg(sc, 2):10.2f}")
    kinds = {k: unsupported.count(k) for k in ("number", "drug", "side", "negation")}
    print(f"faithfulness flags (each sentence against its own source spans): "
          f"unsupported numbers {kinds['number']}, drug names {kinds['drug']}, "
          f"sides {kinds['side']}; negations lost {kinds['negation']}")
    print(f"engine time per encounter: mean {statistics.mean(ms):.2f} ms, "
          f"max {max(ms):.2f} ms (one core, engine loaded once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
