#!/usr/bin/env bash
# run.sh - compares snare's line answers with gdb's on the fixtures.
#
# For every line of every fixture source, asks gdb (`info line`) and the
# driver (snare) the same question, normalises both, and diffs them. Then
# the breakpoint locations: `break FILE:LINE` for every line snare says
# has code (gdb also accepts lines without code, moving them to the next
# line that has some, where snare reports an error instead), and
# `break NAME` for every function the DWARF names (breaks.py).
# Exits non-zero on any mismatch.
#
# Usage: spec/debuginfo_oracle/run.sh [DRIVER]
#   SNARE_FIXTURES  where O0/ and O2/ fixture objects are (build/fixtures)
set -u
cd "$(dirname "$0")/../.." || exit 2
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
breaks=0
break_mismatches=0

# compare KIND GDB-FILE SNARE-FILE: diffs two answer lists, counting.
compare() {
  local bad
  bad=$(diff "$2" "$3" | grep -c '^[<>]')
  if [ "$bad" -ne 0 ]; then
    echo "== $level $name $1: gdb (<) vs snare (>)"
    diff "$2" "$3"
  fi
  breaks=$((breaks + $(wc -l <"$3")))
  break_mismatches=$((break_mismatches + bad))
}

# Names of the functions (defined or inlined-only) in an object's DWARF.
function_names() {
  readelf --debug-dump=info "$1" 2>/dev/null | awk '
    /DW_TAG_/ { sub_ = ($0 ~ /DW_TAG_subprogram/) }
    sub_ && /DW_AT_name/ { print $NF }' | sort -u
}
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

    "$driver" -b "$obj" "$name" 1 "$last" >"$work/snare_breaks" || exit 2
    ORACLE_FILE=$name ORACLE_FIRST=1 ORACLE_LAST=$last \
      gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$obj" 2>/dev/null |
      grep -E '^[0-9]+ break ' >"$work/gdb_breaks_all"
    # only the lines snare says have code (see above)
    cut -d' ' -f1 "$work/snare_breaks" | sed 's/$/ /' >"$work/lines"
    grep -F -f "$work/lines" "$work/gdb_breaks_all" |
      awk 'NR==FNR { want[$1]; next } $1 in want' "$work/snare_breaks" - \
      >"$work/gdb_breaks"
    compare "break FILE:LINE" "$work/gdb_breaks" "$work/snare_breaks"
  done
  obj=$fixtures/$level/liblines.so
  name=functions
  names=$(function_names "$obj")
  # shellcheck disable=SC2086
  "$driver" -f "$obj" $names >"$work/snare_funcs" || exit 2
  ORACLE_FILE=lines.c ORACLE_FIRST=1 ORACLE_LAST=0 ORACLE_FUNCS="$names" \
    gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$obj" 2>/dev/null |
    grep -E '^[A-Za-z_][A-Za-z0-9_]* func ' >"$work/gdb_funcs"
  compare "break FUNCTION" "$work/gdb_funcs" "$work/snare_funcs"
done
echo "debuginfo oracle: $compared lines compared, $mismatches mismatches"
echo "debuginfo oracle: $breaks breakpoints compared (file:line, function)," \
  "$break_mismatches mismatches"
[ "$mismatches" -eq 0 ] && [ "$break_mismatches" -eq 0 ]
