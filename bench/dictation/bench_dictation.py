#!/usr/bin/env python3
"""bench/dictation: dictation end to end, Dictum against stock PocketSphinx.

For each dictation (a WAV, its note type, key terms and the exact words
spoken) runs, in the same run:
  dictum:    dictum note --mode dictation --type TYPE --json FILE.wav
             (the recogniser's words come back in "recognized")
  stock:     pocketsphinx_continuous -infile FILE.wav, then its words
             through dictum note --mode dictation --type TYPE
  reference: the exact words spoken through dictum note (a perfect
             recogniser: what the note engine alone makes of them)
and prints per set: word error rate against reference_norm (spoken
punctuation words count as words), key-term recall of the transcript,
key-term recall of the note, literal command words left in the notes,
CPU seconds per audio second and wall seconds from file to note.
Then the seconds from the end of the audio to the finished note while
streaming: bench_dictation_latency --realtime on a dictation of about 60 s, fed as the
workstation feeds it; "streaming CPU per audio s" is the engine thread's CPU by phase.

Sets:
  shared    ../shared/data/dictation (10 dictations, voices slt and kal16)
  own-dev   bench/dictation/dictations.tsv rows marked dev, synthesised
            with flite voices slt, kal16 (the voices we tune with)
  own-held  rows marked heldout, synthesised with flite voices awb, rms
            (texts and voices never used while tuning)
  own-unseen  the heldout rows with voices no set uses: kal (flite's 8 kHz
            voice), awb slower and lower, rms faster and higher (not in the
            default sets)
Synthesised WAVs are cached in --cache (default $XDG_CACHE_HOME/dictum/
bench-dictation), never in the repository.

usage: bench_dictation.py DICTUM LATENCY_TOOL [--data DIR] [--sets shared,own-dev,own-held]
                          [--no-latency] [--no-stock] [--voices V,...] [--cache DIR] [--show]
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "asr"))
from bench_asr import edits, norm, run_measured  # noqa: E402

OWN = os.path.join(HERE, "dictations.tsv")
VOICES = {"own-dev": ("slt", "kal16"), "own-held": ("awb", "rms"),
          "own-unseen": ("kal", "awb-slow", "rms-fast")}
# Voices no tuning ever heard: flite's 8 kHz diphone voice kal (upsampled),
# and awb and rms spoken slower or faster and at another pitch.
VOICE_ARGS = {
    "kal": ["-voice", "kal"],
    "awb-slow": ["-voice", "awb", "--setf", "duration_stretch=1.15",
                 "--setf", "int_f0_target_mean=95"],
    "rms-fast": ["-voice", "rms", "--setf", "duration_stretch=0.88",
                 "--setf", "int_f0_target_mean=125"],
}
LATENCY_ID = "long-ed"

# Spoken commands that must never reach a note as words (longest first).
COMMANDS = sorted("""period|full stop|comma|colon|semicolon|semi colon|question mark|
exclamation point|exclamation mark|open paren|close paren|open parenthesis|
close parenthesis|new line|next line|new paragraph|next paragraph|scratch that|
delete that|strike that|next section""".replace("\n", "").split("|"),
                  key=lambda p: -len(p.split()))


def note_words(text):
    text = text.lower().replace("-", " ")
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def command_words(text):
    """Command phrases left in a note, each counted once at its longest."""
    words = note_words(text)
    n, i = 0, 0
    while i < len(words):
        for p in COMMANDS:
            k = p.split()
            if words[i:i + len(k)] == k:
                n += 1
                i += len(k)
                break
        else:
            i += 1
    return n


def has_term(words, term):
    t = " %s " % " ".join(note_words(term))
    return t in " %s " % " ".join(words)


def synthesise(text, voice, cache):
    key = hashlib.sha1(("%s\n%s" % (voice, text)).encode()).hexdigest()[:16]
    out = os.path.join(cache, "%s-%s.wav" % (key, voice))
    if not os.path.exists(out):
        os.makedirs(cache, exist_ok=True)
        raw = out + ".raw.wav"
        subprocess.run(["flite"] + VOICE_ARGS.get(voice, ["-voice", voice]) +
                       ["-t", text, "-o", raw], check=True)
        subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", "-e",
                        "signed-integer", out], check=True)
        os.unlink(raw)
    return out


def sox_duration(path):
    out = subprocess.run(["soxi", "-D", path], capture_output=True, text=True, check=True)
    return float(out.stdout)


def shared_rows(data):
    folder = os.path.join(data, "dictation")
    with open(os.path.join(folder, "transcripts.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for r in rows:
        r["wav"] = os.path.join(folder, r["wav"])
    return rows


def own_texts():
    with open(OWN, encoding="utf-8") as f:
        return list(csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"))


def own_rows(set_name, cache, voices=None):
    split = {"own-dev": "dev", "own-held": "heldout", "own-unseen": "heldout"}[set_name]
    rows = []
    for t in (t for t in own_texts() if t["split"] == split):
        for v in voices or VOICES[set_name]:
            wav = synthesise(t["text"], v, cache)
            rows.append({"utt_id": "%s-%s" % (t["id"], v), "wav": wav, "voice": v,
                         "duration_s": "%.2f" % sox_duration(wav),
                         "note_type": t["note_type"], "key_terms": t["key_terms"],
                         "reference_norm": " ".join(norm(t["text"]))})
    return rows


def note_of(dictum, note_type, text):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text + "\n")
    try:
        out = subprocess.run([dictum, "note", "--mode", "dictation", "--type", note_type,
                              "--json", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        return {"sections": []}
    return json.loads(out.stdout)


def note_text(note):
    return "\n".join(s["title"] + "\n" + s["text"] for s in note["sections"])


def run_set(dictum, rows, title, show, stock=True):
    engines = ("dictum", "stock", "reference") if stock else ("dictum", "reference")
    stats = {e: collections.Counter() for e in engines}
    for row in rows:
        ref = norm(row["reference_norm"])
        dur = float(row["duration_s"])
        terms = [t for t in row["key_terms"].split(";") if t]
        for engine in stats:
            t0 = time.monotonic()
            if engine == "dictum":
                out, cpu, _ = run_measured([dictum, "note", "--mode", "dictation", "--type",
                                            row["note_type"], "--json", row["wav"]])
                note = json.loads(out)
                hyp = norm(note["recognized"]["text"])
            elif engine == "stock":
                out, cpu, _ = run_measured(["pocketsphinx_continuous", "-infile", row["wav"],
                                            "-logfn", "/dev/null"])
                hyp = norm(out)
                note = note_of(dictum, row["note_type"], " ".join(hyp))
            else:
                cpu = 0
                hyp = ref
                note = note_of(dictum, row["note_type"], " ".join(ref))
            wall = time.monotonic() - t0
            text = note_text(note)
            s = stats[engine]
            s["err"] += edits(ref, hyp)
            s["words"] += len(ref)
            s["terms"] += len(terms)
            s["t_hits"] += sum(has_term(hyp, t) for t in terms)
            s["n_hits"] += sum(has_term(note_words(text), t) for t in terms)
            s["commands"] += command_words(text)
            s["cpu"] += cpu
            s["wall"] += wall
            s["audio"] += dur
            s["files"] += 1
            if show and engine != "reference":
                missed = [t for t in terms if not has_term(note_words(text), t)]
                print("  %-16s %-6s %4d/%-4d commands left %d, missed: %s" % (
                    row["utt_id"], engine, edits(ref, hyp), len(ref), command_words(text),
                    ", ".join(missed)))
                if engine == "dictum":
                    print("      " + " ".join(hyp))
    print("\n%s (%d files, %.0f s of audio, %d reference words, %d key terms)" % (
        title, len(rows), stats["dictum"]["audio"], stats["dictum"]["words"],
        stats["dictum"]["terms"]))
    print("  %-9s %6s %15s %11s %14s %13s %16s" % (
        "engine", "WER", "terms (words)", "terms (note)", "commands left",
        "CPU s/audio s", "file to note s"))
    for name, s in stats.items():
        print("  %-9s %5.1f%% %14.1f%% %11.1f%% %14d %13s %16s" % (
            name, 100.0 * s["err"] / s["words"], 100.0 * s["t_hits"] / s["terms"],
            100.0 * s["n_hits"] / s["terms"], s["commands"],
            "%.3f" % (s["cpu"] / s["audio"]) if name != "reference" else "-",
            "%.2f" % (s["wall"] / s["files"]) if name != "reference" else "-"))


def latency(tool, cache):
    rows = [r for r in own_texts() if r["id"] == LATENCY_ID]
    if not rows:
        return
    wavs = [synthesise(rows[0]["text"], v, cache) for v in VOICES["own-held"]]
    run = subprocess.run([tool, "--realtime", rows[0]["note_type"]] + wavs,
                         capture_output=True, text=True, check=True)
    out = run.stdout
    print("\nstreaming, dictum only (bench_dictation_latency --realtime: audio fed at the "
          "pace it is spoken, engines loaded before)")
    print("  %8s %18s %22s %12s %12s %12s  %s" % (
        "audio s", "CPU s/audio s", "end of audio to note s", "of it: asr", "postprocess",
        "note draft", "file"))
    for line in out.splitlines():
        a, c, l, p, f, pp, nd = line.split("\t")[:7]
        print("  %8s %18s %22s %12s %12s %12s  %s" % (a, c, l, f, pp, nd, os.path.basename(p)))
    # The engine's thread CPU by phase (stderr "phases" lines), whole file.
    for line in run.stderr.splitlines():
        cols = line.split("\t")
        if cols[0] != "phases":
            continue
        phases = [c.split() for c in cols[2:] if len(c.split()) == 3]
        total = sum(float(x[1]) for x in phases)
        print("  streaming CPU per audio s %.3f (%s; %s, %s s replayed)  %s" % (
            total, ", ".join("%s %s x%s" % tuple(x) for x in phases),
            " ".join(c for c in cols[2:] if c.startswith("hyps")),
            cols[-1].split()[-1], os.path.basename(cols[1])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dictum")
    ap.add_argument("latency_tool")
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--sets", default="shared,own-dev,own-held")
    ap.add_argument("--cache", default=os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "dictum",
        "bench-dictation"))
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--show", action="store_true", help="per-file errors and hypotheses")
    ap.add_argument("--voices", help="comma-separated voices for the own-* sets instead of "
                    "theirs (flite names, or " + ", ".join(VOICE_ARGS) + ")")
    ap.add_argument("--no-stock", action="store_true",
                    help="leave out stock pocketsphinx_continuous (faster while tuning)")
    args = ap.parse_args()
    data = os.path.abspath(args.data)
    if "holdout" in data.split(os.sep):
        sys.exit("bench_dictation: refusing a holdout folder")
    print("bench/dictation: %s vs stock pocketsphinx_continuous, same run" % args.dictum)
    for name in args.sets.split(","):
        if name == "shared":
            if not os.path.exists(os.path.join(data, "dictation", "transcripts.tsv")):
                print("\nskip: %s absent" % os.path.join(data, "dictation"))
                continue
            run_set(args.dictum, shared_rows(data),
                    "shared: ../shared/data/dictation (voices slt, kal16)", args.show,
                    not args.no_stock)
        elif name in VOICES:
            voices = args.voices.split(",") if args.voices else VOICES[name]
            run_set(args.dictum, own_rows(name, args.cache, voices),
                    "%s: bench/dictation/dictations.tsv, flite voices %s" % (
                        name, ", ".join(voices)), args.show, not args.no_stock)
        else:
            sys.exit("bench_dictation: unknown set %s" % name)
    if not args.no_latency:
        latency(args.latency_tool, args.cache)


if __name__ == "__main__":
    main()
