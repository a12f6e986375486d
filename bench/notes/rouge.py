#!/usr/bin/env python3
"""ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 as ACI-Bench scores them.

Re-implements what Google's rouge_score package does with its defaults
(no stemming), which HuggingFace `evaluate` calls: lower-case, every run of
characters other than a-z0-9 becomes a space, split on white space; n-gram
overlap counts clipped per n-gram; ROUGE-Lsum splits both texts into
sentences at newlines and takes the union LCS of each reference sentence
against every candidate sentence. Standard library only.

    rouge.py --selftest      checks the implementation on hand-worked examples
"""
import collections
import re
import sys


def tokenize(text):
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return [t for t in re.split(r"\s+", text) if re.match(r"^[a-z0-9]+$", t)]


def _f(hits, n_ref, n_cand):
    if n_ref == 0 or n_cand == 0:
        return 0.0
    p, r = hits / n_cand, hits / n_ref
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def rouge_n(ref, cand, n):
    def grams(tokens):
        return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    r, c = grams(tokenize(ref)), grams(tokenize(cand))
    hits = sum(min(cnt, c[g]) for g, cnt in r.items())
    return _f(hits, sum(r.values()), sum(c.values()))


def _lcs_table(ref, can):
    t = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        for j in range(1, len(can) + 1):
            if ref[i - 1] == can[j - 1]:
                t[i][j] = t[i - 1][j - 1] + 1
            else:
                t[i][j] = max(t[i - 1][j], t[i][j - 1])
    return t


def _lcs_indices(ref, can):
    t = _lcs_table(ref, can)
    i, j, out = len(ref), len(can), []
    while i > 0 and j > 0:
        if ref[i - 1] == can[j - 1]:
            out.insert(0, i - 1)
            i -= 1
            j -= 1
        elif t[i][j - 1] > t[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return out


def rouge_lsum(ref, cand):
    def sents(text):
        return [tokenize(s) for s in text.split("\n") if len(s)]
    rs, cs = sents(ref), sents(cand)
    m, n = sum(map(len, rs)), sum(map(len, cs))
    if not rs or not cs or not m or not n:
        return 0.0
    cnt_r, cnt_c = collections.Counter(), collections.Counter()
    for s in rs:
        cnt_r.update(s)
    for s in cs:
        cnt_c.update(s)
    hits = 0
    for r in rs:
        union = set()
        for c in cs:
            union.update(_lcs_indices(r, c))
        for t in (r[i] for i in sorted(union)):
            if cnt_c[t] > 0 and cnt_r[t] > 0:
                hits += 1
                cnt_c[t] -= 1
                cnt_r[t] -= 1
    return _f(hits, m, n)


def scores(ref, cand):
    return rouge_n(ref, cand, 1), rouge_n(ref, cand, 2), rouge_lsum(ref, cand)


def selftest():
    close = lambda a, b: abs(a - b) < 1e-9
    assert tokenize("The Cat's 3/6 murmur!") == ["the", "cat", "s", "3", "6", "murmur"]
    # 4 reference and 4 candidate unigrams, 3 shared: P = R = 3/4.
    assert close(rouge_n("the cat sat down", "the cat lay down", 1), 0.75)
    # bigrams: ref {the cat, cat sat, sat down}, cand {the cat, cat lay, lay down}: 1 shared.
    assert close(rouge_n("the cat sat down", "the cat lay down", 2), 1 / 3)
    # Clipping: "the the the" vs "the": 1 hit, P = 1, R = 1/3 -> F = 0.5.
    assert close(rouge_n("the the the", "the", 1), 0.5)
    # Lsum: reference line "a b c d" against candidate lines "a b" and "c x":
    # union LCS {a, b, c} = 3 hits; m = 4, n = 4 -> F = 0.75.
    assert close(rouge_lsum("a b c d", "a b\nc x"), 0.75)
    # On one line the LCS of "a b c d" and "c x a b" is "a b": F = 0.5.
    assert close(rouge_lsum("a b c d", "c x a b"), 0.5)
    # Empty lines are ignored; no overlap gives 0.
    assert close(rouge_lsum("a\n\nb", "c"), 0.0)
    print("rouge selftest: ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        selftest()
    else:
        print(__doc__)
