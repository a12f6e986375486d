#!/usr/bin/env python3
"""bench/asr: Dictum's speech engine against stock PocketSphinx, same run.

For ../shared/data/speech (read speech, reference_norm) and
../shared/data/dictation (synthetic dictations), runs
  dictum transcribe [--engine sphinx] FILE
  pocketsphinx_continuous -infile FILE -logfn /dev/null
once per file and prints word error rate, CPU seconds per audio second
(with and without the fixed start-up cost, measured on a 0.5 s silent file)
and peak resident memory. Also prints the out-of-vocabulary rate of each
recogniser's dictionary over the words of the ACI-Bench development
dialogues (valid.csv).

usage: bench_asr.py DICTUM [--data DIR] [--sets speech,dictation,oov] [--jobs N]
Extra engine settings come from the user's config.ini ([asr.sphinx]);
point XDG_CONFIG_HOME elsewhere to try others. Never reads holdout/.
"""
import argparse
import collections
import csv
import os
import re
import subprocess
import sys
import tempfile
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = "/usr/share/pocketsphinx/model/en-us"


def norm(text):
    text = text.lower().replace("-", " ")
    text = re.sub(r"\(\d+\)", "", text)
    text = re.sub(r"[^a-z' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edits(ref, hyp):
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def run_measured(cmd):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s failed (%d)" % (" ".join(cmd), os.waitstatus_to_exitcode(status)))
    return b"".join(chunks).decode("utf-8", "replace"), ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def engines(dictum):
    return {
        "dictum": lambda f: [dictum, "transcribe", f],
        "stock": lambda f: ["pocketsphinx_continuous", "-infile", f, "-logfn", "/dev/null"],
    }


def silent_wav(path):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 8000)


def startup(dictum):
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "silence.wav")
        silent_wav(f)
        return {name: min(run_measured(cmd(f))[1] for _ in range(2))
                for name, cmd in engines(dictum).items()}


def read_set(folder):
    with open(os.path.join(folder, "transcripts.tsv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return rows


def wer_set(dictum, folder, title, start_cost, key_terms=False):
    rows = read_set(folder)
    stats = {name: collections.Counter() for name in engines(dictum)}
    terms = {name: [0, 0] for name in engines(dictum)}
    for row in rows:
        wav = os.path.join(folder, row["wav"])
        ref = norm(row["reference_norm"])
        dur = float(row["duration_s"])
        for name, cmd in engines(dictum).items():
            out, cpu, rss = run_measured(cmd(wav))
            hyp = norm(out)
            s = stats[name]
            s["err"] += edits(ref, hyp)
            s["words"] += len(ref)
            s["cpu"] += cpu
            s["audio"] += dur
            s["files"] += 1
            s["rss"] = max(s["rss"], rss)
            if key_terms and row.get("key_terms"):
                joined = " " + " ".join(hyp) + " "
                for t in row["key_terms"].split(";"):
                    terms[name][1] += 1
                    terms[name][0] += (" " + " ".join(norm(t)) + " ") in joined
    print("\n%s (%d files, %.0f s of audio, %d reference words)" % (
        title, len(rows), stats["dictum"]["audio"], stats["dictum"]["words"]))
    print("  %-7s %7s %14s %20s %10s%s" % ("engine", "WER", "CPU s/audio s",
                                           "without start-up", "peak MiB",
                                           "  key terms" if key_terms else ""))
    for name, s in stats.items():
        net = (s["cpu"] - s["files"] * start_cost[name]) / s["audio"]
        line = "  %-7s %6.1f%% %14.3f %20.3f %10.0f" % (
            name, 100.0 * s["err"] / s["words"], s["cpu"] / s["audio"], net, s["rss"])
        if key_terms:
            line += "  %d/%d" % tuple(terms[name])
        print(line)
    d, k = stats["dictum"], stats["stock"]
    print("  dictum/stock WER ratio: %.2f" % ((d["err"] / d["words"]) / (k["err"] / k["words"])))


def dictionary_words(path):
    words = set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                words.add(re.sub(r"\(\d+\)$", "", line.split()[0]))
    return words


def oov(data):
    stock = dictionary_words(os.path.join(MODEL, "cmudict-en-us.dict"))
    medical = dictionary_words(os.path.join(ROOT, "data", "asr", "medical.dic"))
    csv.field_size_limit(1 << 30)
    with open(os.path.join(data, "aci-bench", "valid.csv"), encoding="utf-8") as f:
        dialogues = [row["dialogue"] for row in csv.DictReader(f)]
    raw, joined = [], []
    for d in dialogues:
        d = re.sub(r"\[(doctor|patient)\]", " ", d.lower()).replace("-", " ")
        raw += re.findall(r"[a-z]+(?:'[a-z]+)*", d)
        # The corpus splits contractions ("do n't", "gon na"); join them back.
        d = re.sub(r"(\w) n't\b", r"\1n't", d)
        d = re.sub(r"\b(gon|wan|got) na\b", r"\1na", d)
        d = re.sub(r"(\w) '(s|re|ve|ll|d|m)\b", r"\1'\2", d)
        joined += re.findall(r"[a-z]+(?:'[a-z]+)*", d)
    print("\nOOV over ACI-Bench valid dialogues (%d tokens; %d after joining split "
          "contractions)" % (len(raw), len(joined)))
    print("  %-7s %12s %18s %8s" % ("engine", "OOV tokens", "joined contractions", "words"))
    for name, vocab in (("dictum", stock | medical), ("stock", stock)):
        a = sum(t not in vocab for t in raw)
        b = [t for t in joined if t not in vocab]
        print("  %-7s %11.2f%% %17.2f%% %8d" % (name, 100.0 * a / len(raw),
                                                100.0 * len(b) / len(joined), len(vocab)))
        if name == "dictum":
            common = collections.Counter(b).most_common(15)
            print("  dictum's most frequent unknown words: " +
                  ", ".join("%s %d" % wc for wc in common))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dictum")
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--sets", default="speech,dictation,oov")
    args = ap.parse_args()
    data = os.path.abspath(args.data)
    if "holdout" in data.split(os.sep):
        sys.exit("bench_asr: refusing a holdout folder")
    sets = args.sets.split(",")
    print("bench/asr: %s vs stock pocketsphinx_continuous (%s)" % (args.dictum, MODEL))
    cost = startup(args.dictum)
    print("start-up CPU on 0.5 s of silence: dictum %.2f s, stock %.2f s" % (
        cost["dictum"], cost["stock"]))
    if "speech" in sets:
        folder = os.path.join(data, "speech")
        if os.path.exists(folder):
            wer_set(args.dictum, folder, "read speech: ../shared/data/speech", cost)
        else:
            print("\nskip: %s absent" % folder)
    if "dictation" in sets:
        folder = os.path.join(data, "dictation")
        if os.path.exists(folder):
            wer_set(args.dictum, folder, "dictation: ../shared/data/dictation", cost,
                    key_terms=True)
        else:
            print("\nskip: %s absent" % folder)
    if "oov" in sets:
        if os.path.exists(os.path.join(data, "aci-bench", "valid.csv")):
            oov(data)
        else:
            print("\nskip: ACI-Bench absent")


if __name__ == "__main__":
    main()
