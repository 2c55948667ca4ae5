#!/usr/bin/env bash
# run.sh - compares snare's line steps with gdb's.
#
# For each fixture level (O0, O2), each starting function of
# spec/fixtures/stepping.c and each command (step, next), gdb runs a small
# program calling stepping_main(4) to `break FUNCTION` and repeats the
# command (gdb_steps.py); snare_steps.lua does the same through the Lua
# API. The two sequences of function:line must be equal, step by step.
# Exits non-zero on a mismatch.
#
# Usage: spec/stepping_oracle/run.sh   (LUA_PATH/LUA_CPATH as `make test`
# sets; SNARE_FIXTURES: where O0/ and O2/ fixture objects are)
set -u
cd "$(dirname "$0")/../.." || exit 2
here=spec/stepping_oracle
fixtures=$(realpath "${SNARE_FIXTURES:-build/fixtures}")
count=60
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int stepping_main(int);\nint main(void) { return stepping_main(4) & 0; }\n' \
  >"$work/main.c"

steps=0 mismatches=0
for level in O0 O2; do
  lib=$fixtures/$level/libstepping.so
  gcc -g -O0 -o "$work/prog-$level" "$work/main.c" "$lib" \
    -Wl,-rpath,"$fixtures/$level" || exit 2
  for func in stepping_main middle fact loop_sum measure; do
    for command in step next; do
      # only the fixture's own DWARF, as snare knows only what it loaded
      STEP_COMMAND=$command STEP_COUNT=$count gdb -nx -batch \
        -iex 'set debug-file-directory /nonexistent' \
        -iex 'set debuginfod enabled off' -ex 'set pagination off' \
        -ex 'set breakpoint pending on' -ex "break $func" -ex run \
        -ex "source $here/gdb_steps.py" "$work/prog-$level" 2>&1 |
        grep '^SEQ' >"$work/gdb"
      lua5.4 "$here/snare_steps.lua" "$lib" "$func" "$command" "$count" \
        2>&1 | grep '^SEQ' >"$work/snare"
      read -r n m < <(python3 - "$work/gdb" "$work/snare" <<'PY'
import sys
gdb, snare = (open(p).read().split()[1:] for p in sys.argv[1:3])
n = max(len(gdb), len(snare))
m = sum(1 for i in range(n)
        if i >= len(gdb) or i >= len(snare) or gdb[i] != snare[i])
print(n, m)
PY
)
      if [ "$m" -ne 0 ]; then
        echo "== $level break $func, $command x$count: $m mismatches"
        echo "   gdb:   $(cut -c5- "$work/gdb")"
        echo "   snare: $(cut -c5- "$work/snare")"
      fi
      steps=$((steps + n)) mismatches=$((mismatches + m))
    done
  done
done
echo "stepping oracle: $steps steps compared, $mismatches mismatches"
[ "$mismatches" -eq 0 ]
