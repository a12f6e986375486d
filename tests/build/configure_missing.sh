#!/usr/bin/env bash
# A missing library stops the configure step and names the Debian package.
. "$(dirname "$0")/../lib.sh"
src=${DICTUM_SOURCE:?}
PKG_CONFIG_LIBDIR=$tmp/nothing cmake -S "$src" -B "$tmp/b" >"$tmp/out" 2>&1
rc=$?
check "configure fails without the libraries" test $rc -ne 0
check "it names the Debian package for SQLite" grep -q 'sqlite3 (apt-get install libsqlite3-dev)' "$tmp/out"
check "it names the Debian package for PocketSphinx" grep -q 'pocketsphinx (apt-get install libpocketsphinx-dev)' "$tmp/out"
check "it points to the install script" grep -q 'scripts/install-deps.sh' "$tmp/out"
finish
