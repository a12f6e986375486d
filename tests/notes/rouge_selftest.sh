#!/usr/bin/env bash
# The benchmark's ROUGE implementation against hand-worked examples.
exec python3 "${DICTUM_SOURCE:-$(dirname "$0")/../..}/bench/notes/rouge.py" --selftest
