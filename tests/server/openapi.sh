#!/usr/bin/env bash
# api/openapi.yaml against a real `dictum serve`: every documented
# operation answers with documented statuses and fields (openapi_walk.py).
dictum=$1
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/srv_lib.sh"
py=python3
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c 'import yaml' 2>/dev/null; then py=$candidate; break; fi
done
"$py" -c 'import yaml' 2>/dev/null || { echo "python3 yaml missing (apt-get install python3-yaml): skip"; exit 77; }
KEY=$(new_key acme)
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=100000 || exit 1
"$py" "$(dirname "$0")/openapi_walk.py" "$DICTUM_SOURCE/api/openapi.yaml" "$base" "$KEY"
rc=$?
stop_server
exit $rc
