#!/usr/bin/env bash
# Configures and builds Dictum into a build folder.
# usage: scripts/build.sh BUILD_DIR [extra cmake arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: build.sh BUILD_DIR [cmake args]}
shift
mkdir -p "$dir"
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1 \
  || { cat "$dir/configure.log" >&2; exit 1; }
cmake --build "$dir" -j"$(nproc)"
