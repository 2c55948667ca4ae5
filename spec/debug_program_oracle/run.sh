#!/usr/bin/env bash
# run.sh - `snare debug -- PROG` against gdb on the same programs: the
# same batch commands (break FUNCTION, run, bt, info args, info locals,
# finish, up, info locals, continue to the next stop, bt) through both;
# compare.py matches the backtrace, argument, local and print lines, each
# tool run twice: a line that differs between a tool's two runs
# (uninitialised locals, stack garbage) is left out and counted apart.
# Programs: the threaded fixture (spec/fixtures/programs/debug_program.c)
# and real ones of the corpus (spec/corpus_oracle/programs.sh: bzip2 and
# xz at gcc -O0 and -O2, their first two sampled functions). Prints the
# mismatch count per program; exits non-zero on a mismatch of the
# fixture (the corpus figures fail the run with ORACLE_CORPUS_STRICT=1).
#
# Usage: spec/debug_program_oracle/run.sh (LUA_PATH/LUA_CPATH as make test)
set -u
cd "$(dirname "$0")/../.."
here=spec/debug_program_oracle
fixtures=$(realpath "${SNARE_FIXTURES:-build/fixtures}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
snare=$PWD/bin/snare

# compare NAME FUNCTION PROGRAM ARGS...: one comparison; adds to the sums.
lines=0 mismatches=0 unstable=0
compare() {
  local name=$1 func=$2
  shift 2
  local commands=(-ex "break $func" -ex run -ex bt -ex 'info args'
                  -ex 'info locals' -ex finish -ex 'info locals' -ex up
                  -ex 'info locals' -ex continue -ex bt -ex kill)
  # each tool twice: what differs between its own runs is not compared;
  # with address space randomisation on, so that stack garbage (what an
  # uninitialised local holds: the earlier calls' pointers, which under
  # snare were the agent's, before main) moves from one run to the next
  local run
  for run in gdb gdb-again; do
    timeout 120 gdb -nx -batch -iex 'set debuginfod enabled off' \
      -iex 'set width 0' -iex 'set print elements 200' \
      -iex 'set print repeats 10' -iex 'set disable-randomization off' \
      "${commands[@]}" --args "$@" >"$work/$run" 2>&1 </dev/null
  done
  for run in snare snare-again; do
    timeout 120 "$snare" debug -batch -ex 'set disable-randomization off' \
      "${commands[@]}" -- "$@" >"$work/$run" 2>&1 </dev/null
  done
  python3 "$here/compare.py" "$work/gdb" "$work/snare" "$work/gdb-again" \
    "$work/snare-again" >"$work/out"
  read -r n bad varying < <(tail -n 1 "$work/out")
  echo "debug program oracle: $name break $func: $n lines, $bad mismatches," \
    "$varying lines left out (they differ between two runs of one tool)"
  unstable=$((unstable + varying))
  if [ "$bad" -ne 0 ]; then
    head -n -1 "$work/out" | head -n 16
  fi
  lines=$((lines + n)) mismatches=$((mismatches + bad))
}

compare fixture scale "$fixtures/bin/debug_program"
fixture_mismatches=$mismatches

. spec/corpus_oracle/programs.sh
corpus_oracle_inputs "$work"
for setting in gcc-O0 gcc-O2; do
  bin=$(corpus_oracle_bin "$PWD" "$setting") || exit 2
  for prog in bzip2 xz; do
    read -ra args < <(corpus_oracle_args "$prog" "$work")
    read -ra funcs < <(corpus_oracle_functions "$prog")
    for func in "${funcs[@]:0:2}"; do
      compare "$prog/$setting" "$func" "$bin/$prog" "${args[@]}"
    done
  done
done
corpus_mismatches=$((mismatches - fixture_mismatches))
echo "debug program oracle: $lines lines compared, $fixture_mismatches" \
  "fixture mismatches, $corpus_mismatches corpus mismatches, $unstable" \
  "lines left out as differing between runs"
if [ "${ORACLE_CORPUS_STRICT:-0}" = 1 ]; then
  fixture_mismatches=$mismatches
fi
[ "$fixture_mismatches" -eq 0 ]
