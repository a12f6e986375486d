#!/usr/bin/env bash
# The shipped code tables against the official files: every curated
# ICD-10-CM code must exist in the FY code file (which lists billable codes
# only) with the same description, and our V28 mapping must agree with the
# CMS tables. Skips (77) when the shared data folder is absent.
. "$(dirname "$0")/../lib.sh"
src=${DICTUM_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
shared=${DICTUM_SHARED_DATA:-$src/../shared/data}
codes=$shared/icd10cm/icd10cm-codes-2026.txt.gz
hcc=$shared/hcc/ra_dx_to_cc_2026.csv
if [ ! -f "$codes" ] && [ ! -f "$hcc" ]; then
  echo "SKIP: official tables not found under $shared (set DICTUM_SHARED_DATA); nothing checked"
  exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to compare the tables"; exit 77; }

if [ -f "$codes" ]; then
  out=$(python3 - "$codes" "$src/data/icd10/curated.tsv" <<'PY'
import gzip, sys
official = {}
with gzip.open(sys.argv[1], 'rt') as f:
    for line in f:
        official[line[:7].strip()] = line[8:].strip()
bad = 0; n = 0; syn = 0
for line in open(sys.argv[2]):
    if line.startswith('#') or not line.strip():
        continue
    code, desc, words = line.rstrip('\n').split('\t')
    n += 1
    syn += len([w for w in words.split('|') if w])
    key = code.replace('.', '')
    if key not in official:
        print('not a billable FY2026 code:', code); bad += 1
    elif official[key] != desc:
        print('description differs for', code, ':', desc, '!=', official[key]); bad += 1
    elif len(code) > 3 and code[3] != '.':
        print('code not dotted:', code); bad += 1
print('checked %d curated codes, %d synonyms, %d problems' % (n, syn, bad))
sys.exit(1 if bad or n < 2000 else 0)
PY
  )
  rc=$?
  echo "$out" | tail -20
  check "every curated code is billable in FY2026 with the official description" test $rc = 0
else
  echo "SKIP part: $codes absent"
fi

if [ -f "$hcc" ]; then
  out=$(python3 - "$shared/hcc" "$src/data" <<'PY'
import csv, sys
d, data = sys.argv[1], sys.argv[2]
v28 = {}
for r in csv.DictReader(open(d + '/ra_dx_to_cc_2026.csv')):
    if r['model_name'] == 'CMS-HCC Model V28':
        v28.setdefault(r['diagnosis_code'], set()).add(int(r['cc']))
ours = {}
for line in open(data + '/hcc/v28.tsv'):
    if line.startswith('#'): continue
    c, h = line.split()
    ours.setdefault(c, set()).add(int(h))
curated = [l.split('\t')[0].replace('.', '') for l in open(data + '/icd10/curated.tsv') if not l.startswith('#')]
bad = 0
for c, hs in ours.items():
    if v28.get(c) != hs:
        print('mapping differs for', c, sorted(hs), 'CMS:', sorted(v28.get(c, []))); bad += 1
for c in curated:
    if c in v28 and c not in ours:
        print('curated code maps to an HCC in CMS V28 but not in ours:', c); bad += 1
hier = set()
for r in csv.DictReader(open(d + '/ra_hierarchies_2026.csv')):
    if r['model_version'] == 'V28' and r['model_domain'] == 'CMS-HCC':
        hier.add((int(r['cc_parent']), int(r['cc_child'])))
mine = set()
for line in open(data + '/hcc/v28_hierarchy.tsv'):
    if not line.startswith('#'):
        p, c = line.split(); mine.add((int(p), int(c)))
if mine != hier:
    print('hierarchy differs:', len(mine ^ hier), 'rows'); bad += 1
print('checked %d mapped codes, %d hierarchy rows, %d problems' % (len(ours), len(mine), bad))
sys.exit(1 if bad else 0)
PY
  )
  rc=$?
  echo "$out" | tail -20
  check "the V28 mapping and hierarchy agree with the CMS tables" test $rc = 0
else
  echo "SKIP part: $hcc absent"
fi
finish
