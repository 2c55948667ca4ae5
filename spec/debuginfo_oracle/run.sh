#!/usr/bin/env bash
# run.sh - compares snare's line answers with gdb's on the fixtures.
#
# For every line of every fixture source, asks gdb (`info line`) and the
# driver (snare) the same question, normalises both, and diffs them.
# Exits non-zero on any mismatch.
#
# Usage: spec/debuginfo_oracle/run.sh [DRIVER]
#   SNARE_FIXTURES  where O0/ and O2/ fixture objects are (build/fixtures)
set -u
cd "$(dirname "$0")/../.."
driver=${1:-build/debuginfo_oracle/driver}
fixtures=${SNARE_FIXTURES:-build/fixtures}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# object  source-file (as passed to both tools)
cases="liblines.so:spec/fixtures/lines.c liblines.so:spec/fixtures/lines_helper.h"

normalise_gdb() {
  sed -nE \
    -e 's/^Line ([0-9]+) of "[^"]*" starts at address (0x[0-9a-f]+) .* and ends at (0x[0-9a-f]+).*/\1 code \2 \3/p' \
    -e 's/^Line ([0-9]+) of "[^"]*" is at address (0x[0-9a-f]+) .*but contains no code.*/\1 nocode \2/p' \
    -e 's/^Line number ([0-9]+) is out of range.*/\1 none/p'
}

compared=0
mismatches=0
for level in O0 O2; do
  for c in $cases; do
    obj=$fixtures/$level/${c%%:*}
    src=${c#*:}
    name=$(basename "$src")
    last=$(($(wc -l <"$src") + 1))
    args=()
    for ((n = 1; n <= last; n++)); do
      args+=(-ex "info line $name:$n")
    done
    gdb -nx -batch "${args[@]}" "$obj" 2>&1 | normalise_gdb >"$work/gdb"
    "$driver" "$obj" "$name" 1 "$last" >"$work/snare" || exit 2
    count=$(wc -l <"$work/gdb")
    bad=$(diff "$work/gdb" "$work/snare" | grep -c '^<')
    compared=$((compared + count))
    mismatches=$((mismatches + bad))
    if [ "$bad" -ne 0 ]; then
      echo "== $level $name: gdb (<) vs snare (>)"
      diff "$work/gdb" "$work/snare"
    fi
  done
done
echo "debuginfo oracle: $compared lines compared, $mismatches mismatches"
[ "$mismatches" -eq 0 ]
