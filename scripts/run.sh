#!/usr/bin/env bash
# One command: install what is missing, build, and open the workstation on
# the default data directory ($XDG_DATA_HOME/dictum), local engines, no server.
# Extra arguments go to dictum (for example: scripts/run.sh notes list).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" "$root/build" >/dev/null
exec "$root/build/dictum" "$@"
