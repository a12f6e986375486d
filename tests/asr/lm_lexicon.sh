#!/usr/bin/env bash
# The data generators: the Kneser-Ney estimator's distributions sum to one,
# number words are spoken right, and every phone of data/asr/medical.dic is
# one of the CMU phones the acoustic model knows.
source "$(dirname "$0")/../lib.sh"
src=${DICTUM_SOURCE:?}
check "asr_lm.py selftest" python3 "$src/scripts/asr_lm.py" --selftest
check "medical.dic uses CMU phones only" python3 "$src/scripts/asr_lexicon.py" --check
check "checked.dic uses CMU phones only" python3 - "$src" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/scripts")
import asr_lexicon
sys.exit(1 if asr_lexicon.check(sys.argv[1] + "/data/asr/lexicon/checked.dic") else 0)
PY
check "the IPA table maps espeak-ng's phonemes" python3 - "$src" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/scripts")
from asr_lexicon import ipa_to_cmu
assert ipa_to_cmu("m_ˈɛ_t_f_oːɹ_m_ˌɪ_n") == "M EH T F AO R M IH N".split()
assert ipa_to_cmu("k_ˌoʊ_l_ə_n_ˈɑː_s_k_ə_p_i") == "K OW L AH N AA S K AH P IY".split()
assert ipa_to_cmu("ɡ_ˌæ_b_eɪ_p_ˈɛ_n_t_ɪ_n") == "G AE B EY P EH N T IH N".split()
PY
check "every word of the dictation LM is in a dictionary" python3 - "$src" <<'PY'
import re, sys
src = sys.argv[1]
words = set()
for f in ("/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict", src + "/data/asr/medical.dic"):
    try:
        for line in open(f, errors="replace"):
            if line.strip():
                words.add(re.sub(r"\(\d+\)$", "", line.split()[0]))
    except FileNotFoundError:
        sys.exit(0)
uni = False
for line in open(src + "/data/asr/dictation.lm"):
    if line.startswith("\\1-grams"):
        uni = True
    elif line.startswith("\\2-grams"):
        break
    elif uni and line.strip():
        w = line.split("\t")[1].strip()
        assert w in words or w in ("<s>", "</s>"), w
PY
finish
