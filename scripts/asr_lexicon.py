#!/usr/bin/env python3
"""Builds data/asr/medical.dic, Dictum's medical pronunciation lexicon.

Words come from data/asr/lexicon/terms.txt (written by us) and
data/asr/lexicon/harvested.txt (words of the official ICD-10-CM code titles
that the stock dictionary lacks; refresh it with --harvest DATA_DIR; no
research corpus is read, so nothing derived from one ships). Pronunciations:
  - data/asr/lexicon/checked.dic: checked by hand, used as written;
  - an all-capital token (EKG): its letters, from the LETTERS table;
  - anything else: espeak-ng's IPA (en-us) mapped to the CMU phone set by
    the IPA table below, and, as an alternate where it differs, flite's
    letter-to-sound rules (CMU's own G2P, trained on the CMU dictionary;
    its phone set is the CMU one in lower case, see FLITE); checked words
    get flite's form too, as a variant.
Words already in the stock dictionary are skipped, except abbreviations,
which get their spelled-out pronunciation as an alternate (ace(2)), and our
own terms (terms.txt) and the words of seven letters or more of the
dictation model (data/asr/dictation.lm: build it first), which get flite's
form as an alternate where it differs from every stock pronunciation
(colchicine(2), vesicles(2)).

usage: scripts/asr_lexicon.py [--harvest DATA_DIR] [--check]
  --check  only verifies that every phone of medical.dic is a CMU phone.
"""
import argparse
import collections
import gzip
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEX = os.path.join(ROOT, "data", "asr", "lexicon")
OUT = os.path.join(ROOT, "data", "asr", "medical.dic")
STOCK = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"

CMU = set("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH "
          "T TH UH UW V W Y Z ZH".split())

LETTERS = {
    "A": "EY", "B": "B IY", "C": "S IY", "D": "D IY", "E": "IY", "F": "EH F", "G": "JH IY",
    "H": "EY CH", "I": "AY", "J": "JH EY", "K": "K EY", "L": "EH L", "M": "EH M", "N": "EH N",
    "O": "OW", "P": "P IY", "Q": "K Y UW", "R": "AA R", "S": "EH S", "T": "T IY", "U": "Y UW",
    "V": "V IY", "W": "D AH B AH L Y UW", "X": "EH K S", "Y": "W AY", "Z": "Z IY",
}

# espeak-ng en-us IPA segments -> CMU phones. Longest match first.
IPA = {
    # r-coloured vowels and diphthongs
    "ɑːɹ": "AA R", "ɔːɹ": "AO R", "oːɹ": "AO R", "oɹ": "AO R", "ɛɹ": "EH R", "ɪɹ": "IH R",
    "ʊɹ": "UH R", "aɪɚ": "AY ER", "aɪə": "AY AH", "aʊɚ": "AW ER", "iə": "IY AH",
    "eɪ": "EY", "aɪ": "AY", "ɔɪ": "OY", "aʊ": "AW", "oʊ": "OW", "əʊ": "OW",
    "ɜː": "ER", "ɝ": "ER", "ɚ": "ER", "ɜ": "ER",
    # monophthongs
    "iː": "IY", "i": "IY", "ɪ": "IH", "ᵻ": "IH", "ɨ": "IH", "e": "EH", "ɛ": "EH", "æ": "AE",
    "a": "AE", "ɐ": "AH", "ə": "AH", "ʌ": "AH", "ɑː": "AA", "ɑ": "AA", "ɒ": "AA", "ɔː": "AO",
    "ɔ": "AO", "oː": "AO", "o": "OW", "uː": "UW", "u": "UW", "ʊ": "UH",
    # consonants
    "tʃ": "CH", "dʒ": "JH", "p": "P", "b": "B", "t": "T", "d": "D", "k": "K", "ɡ": "G",
    "g": "G", "f": "F", "v": "V", "θ": "TH", "ð": "DH", "s": "S", "z": "Z", "ʃ": "SH",
    "ʒ": "ZH", "h": "HH", "m": "M", "n": "N", "ŋ": "NG", "l": "L", "ɫ": "L", "ɹ": "R",
    "r": "R", "w": "W", "j": "Y", "ɾ": "T", "ʔ": "T", "x": "K", "ç": "HH",
    "n̩": "AH N", "l̩": "AH L", "m̩": "AH M",
}
DROP = "ˈˌː‿ ̃-"


def ipa_to_cmu(ipa):
    phones = []
    for seg in ipa.replace("\n", "_").split("_"):
        seg = seg.strip().replace("ˈ", "").replace("ˌ", "")
        while seg:
            for n in (3, 2, 1):
                if seg[:n] in IPA:
                    phones.extend(IPA[seg[:n]].split())
                    seg = seg[n:]
                    break
            else:
                if seg[0] in DROP:
                    seg = seg[1:]
                    continue
                raise ValueError("no CMU phone for IPA '%s'" % seg[0])
    # espeak marks syllabic consonants after a schwa-less cluster; collapse
    # doubled phones it can produce across segment boundaries.
    out = []
    for p in phones:
        if out and out[-1] == p and p not in ("AH",):
            continue
        out.append(p)
    return out


# flite's phones that are not CMU phones as written.
FLITE = {"ax": "AH", "axr": "ER", "el": "AH L", "em": "AH M", "en": "AH N", "nx": "N",
         "pau": ""}


def flite_to_cmu(phones):
    out = []
    for p in phones.split():
        out.extend((FLITE[p] if p in FLITE else p.upper()).split())
    return out


def flite(word):
    """flite's pronunciation of word as CMU phones; [] when flite is absent."""
    try:
        r = subprocess.run(["flite", "-t", word, "-ps", "-o", "none"], capture_output=True,
                           text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return []
    return flite_to_cmu(r.stdout)


def espeak(word):
    r = subprocess.run(["espeak-ng", "-v", "en-us", "-q", "--ipa", "--sep=_", word],
                       capture_output=True, text=True, check=True)
    return r.stdout.strip()


def stock_words():
    """The stock dictionary: word -> its pronunciations (a list)."""
    prons = collections.defaultdict(list)
    with open(STOCK, encoding="utf-8", errors="replace") as f:
        for line in f:
            w, _, pron = line.strip().partition(" ")
            prons[re.sub(r"\(\d+\)$", "", w)].append(pron.strip())
    return prons


def read_terms(path):
    terms = []
    if not os.path.exists(path):
        return terms
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0]
            terms.extend(line.split())
    return terms


def dictated_words():
    """The words of the dictation model (data/asr/dictation.lm): what
    clinicians are expected to say, so the ones worth a second
    pronunciation."""
    words, uni = set(), False
    path = os.path.join(ROOT, "data", "asr", "dictation.lm")
    if not os.path.exists(path):
        return words
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("\\1-grams"):
                uni = True
            elif line.startswith("\\2-grams"):
                break
            elif uni and "\t" in line:
                words.add(line.split("\t")[1].strip())
    return words


def read_checked():
    checked = {}
    path = os.path.join(LEX, "checked.dic")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                checked.setdefault(line[0], []).append(" ".join(line[1:]))
    return checked


WORD = re.compile(r"[a-z]+")


def harvest(data_dir, stock):
    """Medical words of development corpora missing from the stock dictionary."""
    counts = collections.Counter()
    if "holdout" in os.path.abspath(data_dir).split(os.sep):
        sys.exit("asr_lexicon: refusing to read a holdout folder")

    def add(text, weight=1):
        for w in WORD.findall(text.lower()):
            if len(w) >= 4 and w not in stock:
                counts[w] += weight

    with gzip.open(os.path.join(data_dir, "icd10cm", "icd10cm-codes-2026.txt.gz"), "rt") as f:
        for line in f:
            add(line[8:])
    # Only the official code set: research corpora (ACI-Bench, MTS-Dialog) are
    # for measuring, and nothing derived from them ships.
    # Words seen at least three times: rare forms are mostly misspellings.
    words = sorted(w for w, c in counts.items() if c >= 3)
    with open(os.path.join(LEX, "harvested.txt"), "w", encoding="utf-8") as f:
        f.write("# Generated by scripts/asr_lexicon.py --harvest: words of the official\n"
                "# ICD-10-CM code titles (US public domain; seen 3+ times) missing from the\n"
                "# stock dictionary. Not hand-checked; checked.dic overrides.\n")
        for w in words:
            f.write(w + "\n")
    print("harvested %d words" % len(words), file=sys.stderr)


def check(path):
    bad = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            for p in parts[1:]:
                if p not in CMU:
                    print("%s:%d: '%s' is not a CMU phone" % (path, n, p), file=sys.stderr)
                    bad += 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harvest", metavar="DATA_DIR")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    if args.check:
        sys.exit(1 if check(OUT) else 0)
    stock = stock_words()
    if args.harvest:
        harvest(args.harvest, stock)
    checked = read_checked()
    terms = read_terms(os.path.join(LEX, "terms.txt"))
    own = {t.lower() for t in terms}
    terms += read_terms(os.path.join(LEX, "harvested.txt"))
    # Longer words of the dictation model the stock dictionary has ("vesicles",
    # "hyperplasia") get flite's form as an alternate too, as our terms do.
    long_words = sorted(w for w in dictated_words() - own if len(w) >= 7 and w in stock)
    own |= set(long_words)
    terms += long_words
    entries = {}
    for term in terms:
        abbrev = len(term) > 1 and term.isupper() and term.isalpha()
        word = term.lower()
        if not WORD.fullmatch(word) or word in entries:
            continue
        if word in checked:
            prons = checked[word]
        elif abbrev:
            prons = [" ".join(LETTERS[c] for c in term)]
        elif word in stock:
            # Our own terms the stock dictionary has: flite's form as an
            # alternate where it differs from all of the stock's (speakers
            # and synthetic voices say "colchicine" both ways).
            prons = []
            if word in own:
                alt = " ".join(flite(word))
                if alt and alt not in stock[word] and all(p in CMU for p in alt.split()):
                    prons = [alt]
            if not prons:
                continue
        else:
            try:
                prons = [" ".join(ipa_to_cmu(espeak(word)))]
            except ValueError as e:
                print("asr_lexicon: %s: %s" % (word, e), file=sys.stderr)
                continue
        if not abbrev and word not in stock:
            alt = " ".join(flite(word))
            if alt and alt not in prons and all(p in CMU for p in alt.split()):
                prons = prons + [alt]
        entries[word] = prons
    lines = []
    for word in sorted(entries):
        have = len(stock.get(word, ()))
        for pron in entries[word]:
            have += 1
            lines.append("%s %s" % (word if have == 1 else "%s(%d)" % (word, have), pron))
    # Atomically: a running recogniser never reads half a file.
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(OUT + ".tmp", OUT)
    print("asr_lexicon: %d words, %d pronunciations -> %s" % (len(entries), len(lines), OUT),
          file=sys.stderr)
    sys.exit(1 if check(OUT) else 0)


if __name__ == "__main__":
    main()
