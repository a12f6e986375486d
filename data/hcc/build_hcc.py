#!/usr/bin/env python3
"""Builds data/hcc/v28.tsv (CMS-HCC V28 category for each curated code),
data/hcc/v28_labels.tsv and data/hcc/v28_hierarchy.tsv from the CMS model
tables (US government work, public domain).
usage: python3 data/hcc/build_hcc.py [DIR with ra_dx_to_cc_2026.csv ...]"""
import csv, os, sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '../../../shared/data/hcc')
curated = set()
for line in open(os.path.join(here, '../icd10/curated.tsv')):
    if not line.startswith('#'):
        curated.add(line.split('\t')[0].replace('.', ''))
rows = []
for r in csv.DictReader(open(os.path.join(src, 'ra_dx_to_cc_2026.csv'))):
    if r['model_name'] == 'CMS-HCC Model V28' and r['diagnosis_code'] in curated:
        rows.append((r['diagnosis_code'], int(r['cc'])))
rows.sort()
with open(os.path.join(here, 'v28.tsv'), 'w') as f:
    f.write('# CMS-HCC V28 (payment year 2026) category of each curated ICD-10-CM code\n'
            '# that maps to one: code<TAB>hcc. From CMS model tables; build_hcc.py.\n')
    for c, h in rows:
        f.write('%s\t%d\n' % (c, h))
labels = {}
for r in csv.DictReader(open(os.path.join(src, 'ra_labels_2026.csv'))):
    if r['model_version'] == 'V28' and r['model_domain'] == 'CMS-HCC':
        labels[int(r['cc'].replace('HCC', ''))] = r['label']
with open(os.path.join(here, 'v28_labels.tsv'), 'w') as f:
    f.write('# CMS-HCC V28 category labels: hcc<TAB>label\n')
    for h in sorted(labels):
        f.write('%d\t%s\n' % (h, labels[h]))
hier = []
for r in csv.DictReader(open(os.path.join(src, 'ra_hierarchies_2026.csv'))):
    if r['model_version'] == 'V28' and r['model_domain'] == 'CMS-HCC':
        hier.append((int(r['cc_parent']), int(r['cc_child'])))
with open(os.path.join(here, 'v28_hierarchy.tsv'), 'w') as f:
    f.write('# CMS-HCC V28 hierarchies: parent<TAB>child (the child is dropped when\n'
            '# the parent is present)\n')
    for p, c in sorted(set(hier)):
        f.write('%d\t%d\n' % (p, c))
print(len(rows), 'mapped codes,', len(labels), 'labels,', len(set(hier)), 'hierarchy rows')
