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

# The real-world corpus (spec/corpus_oracle/programs.sh): at the first
# stop of `break FUNCTION` in the first two sampled functions, every frame
# up to main (function, file:line, inlined) and its variables (corpus.py).
. spec/corpus_oracle/programs.sh
corpus_oracle_inputs "$work"
snare=$PWD/bin/snare
corpus_oracle_known_differences >"$work/known"
c_frames=0 c_values=0 c_skipped=0 c_bad_frames=0 c_bad_values=0 c_known=0
summary=()
for setting in "${corpus_oracle_settings[@]}"; do
  bin=$(corpus_oracle_bin "$PWD" "$setting") || exit 2
  for prog in "${corpus_oracle_programs[@]}"; do
    read -ra args < <(corpus_oracle_args "$prog" "$work")
    pf=0 pv=0
    read -ra funcs < <(corpus_oracle_functions "$prog")
    for func in "${funcs[@]:0:2}"; do
      gdb -nx -batch -iex 'set debug-file-directory /nonexistent' \
        -iex 'set debuginfod enabled off' -ex 'set breakpoint pending on' \
        -ex "break $func" -ex run -ex "source $here/gdb_frames.py" \
        --args "$bin/$prog" "${args[@]}" 2>/dev/null | grep -E '^[FV] ' \
        >"$work/gdb"
      timeout 60 "$snare" exec "$here/snare_corpus_frames.lua" "$func" \
        "$prog" "${args[@]}" -- "$bin/$prog" 2>&1 | grep -E '^[FV] ' \
        >"$work/snare"
      # Again in a new process: what differs is not deterministic.
      timeout 60 "$snare" exec "$here/snare_corpus_frames.lua" "$func" \
        "$prog" "${args[@]}" -- "$bin/$prog" 2>&1 | grep -E '^[FV] ' \
        >"$work/snare-again"
      python3 "$here/corpus.py" "$work/gdb" "$work/snare" "$work/known" \
        "$prog/$setting" "$work/snare-again" >"$work/out"
      read -r f v k bf bv kn < <(tail -n 1 "$work/out")
      sed -n "s|^known: |  $prog/$setting |p" "$work/out" >>"$work/explained"
      if [ "$bf" -ne 0 ] || [ "$bv" -ne 0 ]; then
        echo "== $prog/$setting break $func"
        head -n -1 "$work/out" | head -n 12
      fi
      c_frames=$((c_frames + f)) c_values=$((c_values + v))
      c_skipped=$((c_skipped + k)) c_known=$((c_known + kn))
      c_bad_frames=$((c_bad_frames + bf)) c_bad_values=$((c_bad_values + bv))
      pf=$((pf + bf)) pv=$((pv + bv))
    done
    summary+=("  $prog/$setting: $pf $pv")
  done
done
echo "frames oracle (corpus): differences explained (programs.sh):"
sort -u "$work/explained" 2>/dev/null
echo "frames oracle mismatches per corpus program (frames, values):"
printf '%s\n' "${summary[@]}"
echo "frames oracle (corpus): $c_frames frames, $c_values values compared" \
  "($c_skipped aggregates, and values two snare runs read differently, not" \
  "compared): $c_bad_frames frame mismatches," \
  "$c_bad_values value mismatches ($c_known differences explained in" \
  "spec/corpus_oracle/programs.sh, not counted)"
# Any difference the list does not explain fails the run.
mismatches=$((mismatches + c_bad_frames + c_bad_values))

echo "frames oracle: $frames frames, $values values compared," \
  "$mismatches mismatches ($entry entry values gdb knows and snare reports" \
  "optimized out, not compared)"
[ "$mismatches" -eq 0 ]
