#!/usr/bin/env bash
# Over ACI-Bench valid (20 visits): no sentence of a drafted clinic note holds
# a number its transcript does not contain, checked here independently of the
# engine's own faithfulness check (which must also report nothing).
dictum=$1
root=${DICTUM_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
csv=$root/../shared/data/aci-bench/valid.csv
if [ ! -f "$csv" ]; then
  echo "skip: $csv is absent (ACI-Bench data lives outside the repository)"
  exit 77
fi
exec python3 - "$dictum" "$csv" <<'PY'
import csv, json, re, subprocess, sys, tempfile
dictum, path = sys.argv[1], sys.argv[2]
UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
         "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
         "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}

def values(text):
    """Every number a text says: digits, and runs of number words read the
    way people say them ("twenty three hundred", "a hundred and forty")."""
    out = {float(m) for m in re.findall(r"\d+(?:\.\d+)?", text)}
    words = re.findall(r"[a-z]+", text.lower())
    for i in range(len(words)):
        total, seen = 0, False
        for w in words[i:i + 6]:
            if w in UNITS or w in TENS:
                v = UNITS.get(w, TENS.get(w))
                if seen and not (total % 10 == 0 and v < 10) and not (total % 100 == 0 and total):
                    break
                total += v
            elif w == "hundred":
                total = (total or 1) * 100
            elif w == "thousand":
                total = (total or 1) * 1000
            elif w in ("and", "a") and (seen or w == "a"):
                continue
            else:
                break
            seen = True
            out.add(float(total))
    return out

bad = 0
rows = list(csv.DictReader(open(path, newline="")))
for row in rows:
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write(row["dialogue"]); f.flush()
        d = json.loads(subprocess.check_output(
            [dictum, "note", "--type", "clinicNote", "--mode", "ambient", "--json", f.name]))
    have = values(row["dialogue"])
    for s in d["sections"]:
        for sent in s["sentences"]:
            for m in re.findall(r"\d+(?:\.\d+)?", sent["text"]):
                if float(m) not in have:
                    bad += 1
                    print(f"not ok - {row['encounter_id']}: {m!r} is not in the transcript")
    if d["unsupported"]:
        bad += 1
        print(f"not ok - {row['encounter_id']}: the engine flags {d['unsupported']}")
print(f"{len(rows)} visits, {bad} unsupported numbers")
sys.exit(1 if bad else 0)
PY
