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

The voice set (--sets voice) measures the voice profile (dictum asr
enroll): per speaker of ../shared/data/speech with at least 3 utterances,
leave-one-out (enrol on all the speaker's other utterances, decode the one
left out), WER with the profile, without it and stock, same run; then the
same for flite voices (enrolled on the first 20 of data/asr/enroll_prompts.txt,
tested on the other prompts and the held-out dictations of
bench/dictation/dictations.tsv).

usage: bench_asr.py DICTUM [--data DIR] [--sets speech,dictation,oov,voice]
                    [--voice-folds 0,3,6,9] [--no-flite]
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


def transcribe_words(cmd):
    return norm(run_measured(cmd)[0])


def enrol(dictum, data_dir, pairs, work):
    """Enrols a voice profile in data_dir from (wav, text) pairs."""
    src = os.path.join(work, "enrol")
    os.makedirs(src)
    for i, (wav, text) in enumerate(pairs):
        os.symlink(os.path.abspath(wav), os.path.join(src, "u%03d.wav" % i))
        with open(os.path.join(src, "u%03d.txt" % i), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    out = subprocess.run([dictum, "--data-dir", data_dir, "--json", "asr", "enroll", "--from",
                          src], capture_output=True, text=True, check=True).stdout
    return out


def voice_rows(dictum, tests, data_dir, work):
    """Errors of (profile, none, stock) over tests [(wav, ref words)]."""
    none_dir = os.path.join(work, "none")
    e = collections.Counter()
    for wav, ref in tests:
        e["words"] += len(ref)
        e["profile"] += edits(ref, transcribe_words([dictum, "--data-dir", data_dir,
                                                     "transcribe", wav]))
        e["none"] += edits(ref, transcribe_words([dictum, "--data-dir", none_dir,
                                                  "transcribe", wav]))
        e["stock"] += edits(ref, transcribe_words(
            ["pocketsphinx_continuous", "-infile", wav, "-logfn", "/dev/null"]))
    return e


def print_voice(title, e):
    w = e["words"]
    if not w:
        return
    print("  %-34s %5d %9.1f%% %9.1f%% %7.1f%% %8.2f" % (
        title, w, 100.0 * e["profile"] / w, 100.0 * e["none"] / w, 100.0 * e["stock"] / w,
        (e["profile"] / w) / (e["stock"] / w) if e["stock"] else 0))


def flite_wav(text, voice, path):
    raw = path + ".raw.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", raw], check=True)
    subprocess.run(["sox", raw, "-r", "16000", "-c", "1", "-b", "16", path], check=True)
    os.unlink(raw)


def voice(dictum, folder, folds=None, flite=True):
    header = "  %-34s %5s %10s %10s %8s %8s" % ("set", "words", "profile", "none", "stock",
                                               "prof/stock")
    print("\nvoice profile (dictum asr enroll: MLLR, then MAP of the means unless [asr] "
          "voice_map = no), WER with the profile, without it, and stock "
          "pocketsphinx_continuous")
    if os.path.exists(folder):
        rows = read_set(folder)
        speakers = collections.defaultdict(list)
        for r in rows:
            speakers[r["speaker"]].append(r)
        print("read speech %s, leave-one-out per speaker (enrol on the speaker's other "
              "utterances)" % folder)
        print(header)
        total = collections.Counter()
        for spk, utts in sorted(speakers.items()):
            if len(utts) < 3:
                print("  speaker %s: %d utterances, fewer than 3: left out" % (spk, len(utts)))
                continue
            e = collections.Counter()
            for i, r in enumerate(utts):
                if folds is not None and i not in folds:
                    continue
                with tempfile.TemporaryDirectory() as work:
                    dd = os.path.join(work, "dd")
                    enrol(dictum, dd, [(os.path.join(folder, o["wav"]), o["reference_norm"])
                                       for j, o in enumerate(utts) if j != i], work)
                    e += voice_rows(dictum, [(os.path.join(folder, r["wav"]),
                                              norm(r["reference_norm"]))], dd, work)
            print_voice("speaker %s (%d folds)" % (spk, len(utts) if folds is None else
                                                    len([f for f in folds if f < len(utts)])), e)
            total += e
        if total["words"]:
            print_voice("all speakers", total)
    else:
        print("\nskip: %s absent" % folder)
    if not flite:
        return
    prompts = [l.strip() for l in open(os.path.join(ROOT, "data", "asr", "enroll_prompts.txt"),
                                       encoding="utf-8") if l.strip() and l[0] != "#"]
    tests = prompts[20:]
    with open(os.path.join(ROOT, "bench", "dictation", "dictations.tsv"), encoding="utf-8") as f:
        rows = csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t")
        tests += [r["text"] for r in rows if r["split"] == "heldout"]
    print("flite voices: enrolled on prompts 1-20, tested on prompts 21-%d and %d held-out "
          "dictations" % (len(prompts), len(tests) - len(prompts) + 20))
    print(header)
    total = collections.Counter()
    for v in ("slt", "kal16", "awb", "rms"):
        with tempfile.TemporaryDirectory() as work:
            pairs = []
            for i, text in enumerate(prompts[:20]):
                wav = os.path.join(work, "p%02d.wav" % i)
                flite_wav(text, v, wav)
                pairs.append((wav, text))
            dd = os.path.join(work, "dd")
            enrol(dictum, dd, pairs, work)
            tw = []
            for i, text in enumerate(tests):
                wav = os.path.join(work, "t%02d.wav" % i)
                flite_wav(text, v, wav)
                tw.append((wav, norm(text)))
            e = voice_rows(dictum, tw, dd, work)
            print_voice("flite %s" % v, e)
            total += e
    print_voice("all flite voices", total)


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
    ap.add_argument("--voice-folds", help="voice set: only these leave-one-out folds (0,3,..; -1: none)")
    ap.add_argument("--no-flite", action="store_true", help="voice set: read speech only")
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
    if "voice" in sets:
        folds = args.voice_folds and {int(f) for f in args.voice_folds.split(",")}
        voice(args.dictum, os.path.join(data, "speech"), folds, not args.no_flite)
    if "oov" in sets:
        if os.path.exists(os.path.join(data, "aci-bench", "valid.csv")):
            oov(data)
        else:
            print("\nskip: ACI-Bench absent")


if __name__ == "__main__":
    main()
