#!/usr/bin/env bash
# run.sh - compares snare's line steps with gdb's.
#
# For each fixture level (O0, O2), each starting function of
# spec/fixtures/stepping.c and each command (step, next), gdb runs a small
# program calling stepping_main(4) to `break FUNCTION` and repeats the
# command (gdb_steps.py); snare_steps.lua does the same through the Lua
# API; the same for spec/fixtures/tail_calls.c and for programs of the
# real-world corpus (spec/corpus_oracle/programs.sh). The two sequences
# of function:line must be equal, step by step. Exits non-zero on any
# mismatch, the corpus's included.
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

# compare_steps GDB-FILE SNARE-FILE: "steps mismatches" of two sequences
# (a step one side lacks is a mismatch).
compare_steps() {
  python3 - "$1" "$2" <<'PY'
import sys
gdb, snare = (open(p).read().split()[1:] for p in sys.argv[1:3])
n = max(len(gdb), len(snare))
m = sum(1 for i in range(n)
        if i >= len(gdb) or i >= len(snare) or gdb[i] != snare[i])
print(n, m)
PY
}

# show_steps GDB-FILE SNARE-FILE: both sequences from their first
# difference on.
show_steps() {
  python3 - "$1" "$2" <<'PY'
import sys
gdb, snare = (open(p).read().split()[1:] for p in sys.argv[1:3])
i = next((k for k in range(max(len(gdb), len(snare)))
          if k >= len(gdb) or k >= len(snare) or gdb[k] != snare[k]), 0)
print("   from step %d: gdb:   %s" % (i, " ".join(gdb[i:i + 8])))
print("   from step %d: snare: %s" % (i, " ".join(snare[i:i + 8])))
PY
}

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
      read -r n m < <(compare_steps "$work/gdb" "$work/snare")
      if [ "$m" -ne 0 ]; then
        echo "== $level break $func, $command x$count: $m mismatches"
        show_steps "$work/gdb" "$work/snare"
      fi
      steps=$((steps + n)) mismatches=$((mismatches + m))
    done
  done
done

# Tail calls (spec/fixtures/tail_calls.c): at -O2 a jump into getenv,
# which has no lines; `next` stops in the PLT stub ("getenv@plt"). gdb
# runs with LD_BIND_NOW=1, as snare.load binds the library at once (lazy
# binding is compared in spec/plt_names_spec.lua).
printf 'int tail_calls_main(void);\nint main(void) { return tail_calls_main() & 0; }\n' \
  >"$work/tail_main.c"
for level in O0 O2; do
  lib=$fixtures/$level/libtail_calls.so
  gcc -g -O0 -o "$work/tail-$level" "$work/tail_main.c" "$lib" \
    -Wl,-rpath,"$fixtures/$level" || exit 2
  for run in "tail_getenv step" "tail_getenv next" "tail_calls_main step" \
    "tail_calls_main next"; do
    read -r func command <<<"$run"
    LD_BIND_NOW=1 STEP_COMMAND=$command STEP_COUNT=$count gdb -nx -batch \
      -iex 'set debug-file-directory /nonexistent' \
      -iex 'set debuginfod enabled off' -ex 'set pagination off' \
      -ex 'set breakpoint pending on' -ex "break $func" -ex run \
      -ex "source $here/gdb_steps.py" "$work/tail-$level" 2>&1 |
      grep '^SEQ' >"$work/gdb"
    lua5.4 "$here/snare_steps.lua" "$lib" "$func" "$command" "$count" \
      tail_calls_main 2>&1 | grep '^SEQ' >"$work/snare"
    read -r n m < <(compare_steps "$work/gdb" "$work/snare")
    if [ "$m" -ne 0 ]; then
      echo "== $level tail_calls break $func, $command x$count: $m mismatches"
      show_steps "$work/gdb" "$work/snare"
    fi
    steps=$((steps + n)) mismatches=$((mismatches + m))
  done
done

# The real-world corpus (spec/corpus_oracle/programs.sh): step and next
# sequences from `break FUNCTION` in each program's stepping start (4
# settings x 2 commands x 40 steps: 320 steps per program).
. spec/corpus_oracle/programs.sh
corpus_oracle_inputs "$work"
corpus_count=40 corpus_steps=0 corpus_mismatches=0
snare=$PWD/bin/snare
summary=()
for setting in "${corpus_oracle_settings[@]}"; do
  bin=$(corpus_oracle_bin "$PWD" "$setting") || exit 2
  for prog in "${corpus_oracle_programs[@]}"; do
    read -ra args < <(corpus_oracle_args "$prog" "$work")
    pn=0 pm=0
    for func in $(corpus_oracle_step_function "$prog"); do
      for command in step next; do
        STEP_COMMAND=$command STEP_COUNT=$corpus_count gdb -nx -batch \
          -iex 'set debug-file-directory /nonexistent' \
          -iex 'set debuginfod enabled off' -ex 'set pagination off' \
          -ex 'set breakpoint pending on' -ex "break $func" -ex run \
          -ex "source $here/gdb_steps.py" --args "$bin/$prog" "${args[@]}" \
          2>&1 | grep '^SEQ' >"$work/gdb"
        timeout 120 "$snare" exec "$here/snare_corpus_steps.lua" "$func" \
          "$command" "$corpus_count" "$prog" "${args[@]}" -- "$bin/$prog" \
          2>&1 | grep '^SEQ' >"$work/snare"
        read -r n m < <(compare_steps "$work/gdb" "$work/snare")
        if [ "$m" -ne 0 ]; then
          echo "== $prog/$setting break $func, $command x$corpus_count:" \
            "$m mismatches"
          show_steps "$work/gdb" "$work/snare"
        fi
        corpus_steps=$((corpus_steps + n))
        corpus_mismatches=$((corpus_mismatches + m))
        pn=$((pn + n)) pm=$((pm + m))
      done
    done
    summary+=("  $prog/$setting: $pn steps, $pm mismatches")
  done
done
echo "stepping oracle per corpus program:"
printf '%s\n' "${summary[@]}"
echo "stepping oracle: $steps steps compared on the fixtures, $mismatches" \
  "mismatches; $corpus_steps on the corpus, $corpus_mismatches mismatches"
# A step of the corpus that differs from gdb's fails the run too.
mismatches=$((mismatches + corpus_mismatches))
[ "$mismatches" -eq 0 ]
