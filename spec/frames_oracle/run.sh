#!/usr/bin/env bash
# run.sh - compares snare's backtraces and variables with gdb's.
#
# For each fixture level and each marked line of spec/fixtures/frames.c,
# gdb runs a small program calling frames_entry(2) to a breakpoint there
# and prints `bt full`; snare_frames.lua does the same through the Lua API
# in this process's way (the shared object loaded by snare). normalise.py
# puts both in one form and compares function names, lines, arguments and
# locals of every frame up to frames_entry. Exits non-zero on a mismatch.
#
# Usage: spec/frames_oracle/run.sh   (LUA_PATH/LUA_CPATH as `make test` sets)
#   SNARE_FIXTURES  where O0/ and O2/ fixture objects are (build/fixtures)
set -u
cd "$(dirname "$0")/../.."
here=spec/frames_oracle
fixtures=$(realpath "${SNARE_FIXTURES:-build/fixtures}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int frames_entry(int);\nint main(void) { return frames_entry(2) & 0; }\n' \
  >"$work/main.c"

frames=0 values=0 entry=0 mismatches=0
for level in O0 O2; do
  lib=$fixtures/$level/libframes.so
  gcc -g -O0 -o "$work/prog-$level" "$work/main.c" "$lib" \
    -Wl,-rpath,"$fixtures/$level" || exit 2
  for mark in leaf nfp-call recurse-call entry-call; do
    line=$(grep -n "MARK: $mark" spec/fixtures/frames.c | cut -d: -f1)
    gdb -nx -batch -ex 'set breakpoint pending on' -ex 'set width 0' \
      -ex "break frames.c:$line" -ex run -ex 'bt full' "$work/prog-$level" \
      2>&1 | python3 "$here/normalise.py" gdb >"$work/gdb"
    lua5.4 "$here/snare_frames.lua" "$lib" "$line" 2>&1 |
      python3 "$here/normalise.py" snare >"$work/snare"
    if [ ! -s "$work/gdb" ]; then
      echo "== $level $mark: gdb printed no frames"
      mismatches=$((mismatches + 1))
      continue
    fi
    read -r f v e m < <(python3 "$here/normalise.py" compare "$work/gdb" \
      "$work/snare" | tee "$work/out" | tail -n 1)
    if [ "$m" -ne 0 ]; then
      echo "== $level frames.c:$line ($mark)"
      head -n -1 "$work/out"
    fi
    frames=$((frames + f)) values=$((values + v)) entry=$((entry + e))
    mismatches=$((mismatches + m))
  done
done
echo "frames oracle: $frames frames, $values values compared," \
  "$mismatches mismatches ($entry entry values gdb knows and snare reports" \
  "optimized out, not compared)"
[ "$mismatches" -eq 0 ]
