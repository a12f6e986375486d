#!/usr/bin/env bash
# One command: install what is missing, then build twice (normal, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and run every test in both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
for variant in normal sanitize; do
  dir="$root/build-test-$variant"
  args=()
  [ "$variant" = sanitize ] && args+=(-DDICTUM_SANITIZE=ON)
  echo "== build ($variant)"
  "$root/scripts/build.sh" "$dir" "${args[@]}"
  echo "== test ($variant)"
  if ! (cd "$dir" && ctest --output-on-failure --timeout 900 -j2); then
    status=1
  fi
done
exit $status
