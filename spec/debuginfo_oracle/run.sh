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
shown=${ORACLE_SHOWN:-20} # diff lines shown per comparison
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
    echo "== $1: gdb (<) vs snare (>)"
    diff "$2" "$3" | head -n "$shown"
  fi
  breaks=$((breaks + $(wc -l <"$3")))
  break_mismatches=$((break_mismatches + bad))
  last_bad=$bad
}

# Names of the functions (defined or inlined-only) in an object's DWARF:
# subprograms that are not declarations of functions defined elsewhere.
function_names() {
  readelf --debug-dump=info "$1" 2>/dev/null | awk '
    function flush() { if (sub_ && name != "" && !decl) print name }
    /DW_TAG_|Abbrev Number: 0/ { flush(); sub_ = ($0 ~ /DW_TAG_subprogram/)
                                 name = ""; decl = 0; next }
    sub_ && /DW_AT_name/ { name = $NF }
    sub_ && /DW_AT_declaration/ { decl = 1 }
    END { flush() }' | sort -u
}
# lines OBJECT SOURCE LABEL: `info line` and `break FILE:LINE` for every
# line of SOURCE (a name both tools resolve) in OBJECT.
lines() {
  local obj=$1 src=$2 label=$3 name last n args=() count bad
  name=$(basename "$src")
  last=$(($(wc -l <"$src") + 1))
  for ((n = 1; n <= last; n++)); do
    args+=(-ex "info line $name:$n")
  done
  gdb -nx -batch "${args[@]}" "$obj" 2>&1 | normalise_gdb >"$work/gdb"
  "$driver" "$obj" "$name" 1 "$last" >"$work/snare" || exit 2
  count=$(wc -l <"$work/gdb")
  bad=$(diff "$work/gdb" "$work/snare" | grep -c '^<')
  compared=$((compared + count))
  mismatches=$((mismatches + bad))
  line_bad[$label]=$((${line_bad[$label]:-0} + bad))
  if [ "$bad" -ne 0 ]; then
    echo "== $label $name: gdb (<) vs snare (>)"
    diff "$work/gdb" "$work/snare" | head -n "$shown"
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
  compare "$label $name break FILE:LINE" "$work/gdb_breaks" \
    "$work/snare_breaks"
  file_bad[$label]=$((${file_bad[$label]:-0} + last_bad))
}

# functions OBJECT LABEL: `break NAME` for every function OBJECT defines.
functions() {
  local obj=$1 label=$2 names
  names=$(function_names "$obj")
  # shellcheck disable=SC2086
  "$driver" -f "$obj" $names >"$work/snare_dwarf" || exit 2
  # A name DWARF gives no code for (only an abstract instance) is the ELF
  # symbol's address, as s:breakpoint falls back to it.
  nm "$obj" | awk '$2 ~ /^[Tt]$/ { print $3, "func", "0x" $1 }' |
    sed -E 's/ 0x0+/ 0x/' |
    awk 'NR==FNR { known[$1]; next } !($1 in known)' "$work/snare_dwarf" - |
    awk 'NR==FNR { want[$1]; next } $1 in want' <(printf '%s\n' $names) - |
    cat "$work/snare_dwarf" - | LC_ALL=C sort -u -k1,1 >"$work/snare_funcs"
  # gdb adds the PLT stub of a name that is also a library's function
  # (putchar, inlined from bits/stdio.h here, called through the PLT
  # elsewhere); snare's `break NAME` covers the object's own code only, so
  # such locations are counted apart.
  readelf -SW "$obj" | awk '$2 ~ /^\.plt/ { print $4, $6 }' >"$work/plt"
  ORACLE_FILE=none ORACLE_FIRST=1 ORACLE_LAST=0 ORACLE_FUNCS="$names" \
    gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$obj" 2>/dev/null |
    grep -E '^[A-Za-z_][A-Za-z0-9_]* func ' | LC_ALL=C sort -k1,1 |
    python3 -c '
import sys
plt = [(int(a, 16), int(a, 16) + int(n, 16))
       for a, n in (l.split() for l in open(sys.argv[1]))]
dropped = 0
for line in sys.stdin:
    words = line.split()
    keep = [w for w in words[2:]
            if not any(lo <= int(w, 16) < hi for lo, hi in plt)]
    dropped += len(words) - 2 - len(keep)
    if keep:
        print(" ".join(words[:2] + keep))
open(sys.argv[2], "w").write("%d\n" % dropped)
' "$work/plt" "$work/plt_dropped" >"$work/gdb_funcs"
  plt_locations=$((plt_locations + $(cat "$work/plt_dropped")))
  compare "$label break FUNCTION" "$work/gdb_funcs" "$work/snare_funcs"
  func_bad[$label]=$last_bad
}

declare -A line_bad file_bad func_bad
plt_locations=0
labels=()
for level in O0 O2; do
  for c in $cases; do
    lines "$fixtures/$level/${c%%:*}" "${c#*:}" "$level"
  done
  functions "$fixtures/$level/liblines.so" "$level"
  labels+=("$level")
done

# The real-world corpus (spec/corpus_oracle/programs.sh).
. spec/corpus_oracle/programs.sh
for setting in "${corpus_oracle_settings[@]}"; do
  bin=$(corpus_oracle_bin "$PWD" "$setting") || exit 2
  for prog in "${corpus_oracle_programs[@]}"; do
    label="$prog/$setting"
    for src in $(corpus_oracle_sources "$prog"); do
      path=$(find /var/cache/snare/corpus/src -name "$src" -print -quit)
      lines "$bin/$prog" "$path" "$label"
    done
    functions "$bin/$prog" "$label"
    labels+=("$label")
  done
done
echo "debuginfo oracle mismatches per object (info line, break FILE:LINE," \
  "break FUNCTION):"
for label in "${labels[@]}"; do
  echo "  $label: ${line_bad[$label]:-0} ${file_bad[$label]:-0}" \
    "${func_bad[$label]:-0}"
done
echo "debuginfo oracle: $compared lines compared, $mismatches mismatches"
echo "debuginfo oracle: $breaks breakpoints compared (file:line, function)," \
  "$break_mismatches mismatches ($plt_locations PLT stub locations gdb adds" \
  "to break FUNCTION not compared)"
[ "$mismatches" -eq 0 ] && [ "$break_mismatches" -eq 0 ]
