#!/usr/bin/env bash
# stepping.sh - the cost of one `next` over a source line that calls a
# function, one `step` (into the call and back, line by line) and one
# `finish` (out of one frame of a recursion), snare (from Lua, in
# process) against gdb (through ptrace), on the same generated target,
# in the same run; unpinned, then both tools pinned to CPU 0. Each tool
# times its own loop of STEP_N2 commands (Lua's clock, gdb's Python
# time.perf_counter), so start-up (loading DWARF, gdb's own start) stays
# out of it on a loaded machine; min/median/max of RUNS. A gdb run whose
# loop raised (its breakpoint not hit) prints no time and fails the run.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
STEP_N2=${STEP_N2:-500} RUNS=${RUNS:-5}

# chain(): STEP_N2 + 1 lines, each `s += work(k);`; deep(n): n frames
# above deep_bottom().
{
  echo '#define NOINLINE __attribute__((noinline))'
  echo 'NOINLINE int work(int x) { return x * 3 + 1; }'
  echo 'int chain(int unused)'
  echo '{'
  echo '  int s = unused;'
  for ((k = 0; k <= 2 * STEP_N2; k++)); do echo "  s += work($k);"; done
  echo '  return s;'
  echo '}'
  echo 'NOINLINE int deep_bottom(void) { return 1; }'
  echo 'NOINLINE int deep(int n)'
  echo '{'
  echo '  if (n == 0)'
  echo '    return deep_bottom();'
  echo '  return deep(n - 1) + 1;'
  echo '}'
} >"$out/stepchain.c"
"$CC" -g -O0 -shared -fPIC "$out/stepchain.c" -o "$out/libstepchain.so"
printf 'int chain(int);\nint deep(int);\n%s\n' \
  'int main(int c, char **v) { return (v[1][0] == 102 ? deep(c * 0 + atoi(v[2])) : chain(0)) & 0; }' \
  >"$out/stepchain_main.c"
"$CC" -g -O0 -include stdlib.h "$out/stepchain_main.c" "$out/libstepchain.so" \
  -Wl,-rpath,"$(realpath "$out")" -o "$out/stepchain"

pin=()
snare_run() { # MODE N: ns of the loop
  "${pin[@]}" lua5.4 bench/stepping_bench.lua "$out/libstepchain.so" "$1" "$2"
}
gdb_run() { # MODE N: ns of the loop
  local entry=chain
  [[ $1 == finish ]] && entry=deep_bottom
  "${pin[@]}" gdb -nx -batch -iex 'set debuginfod enabled off' \
    -iex 'set breakpoint pending on' \
    -ex "break $entry" -ex run \
    -ex "python import time; t = time.perf_counter(); [gdb.execute('$1', to_string=True) for _ in range($2)]; print('LOOP_NS', int((time.perf_counter() - t) * 1e9))" \
    -ex kill --args "$out/stepchain" "$1" "$2" 2>/dev/null |
    awk '$1 == "LOOP_NS" { print $2; found = 1 } END { exit !found }'
}
# per-command ns of RUNS runs, "min median max"
measure() {
  local r
  for ((r = 0; r < RUNS; r++)); do
    echo $(($("$1" "$2" "$STEP_N2") / STEP_N2))
  done | sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.0f %.0f %.0f\n", v[1], m, v[NR] }'
}

table() {
  echo "stepping ($1; us per command, min median max of $RUNS)"
  printf '%-8s %28s %28s %12s\n' command snare gdb "gdb / snare"
  local mode s g
  for mode in next step finish; do
    s=$(measure snare_run "$mode") g=$(measure gdb_run "$mode")
    awk -v m="$mode" -v s="$s" -v g="$g" 'BEGIN {
      split(s, a, " "); split(g, b, " ")
      printf "%-8s %9.1f %8.1f %8.1f %9.1f %8.1f %8.1f %11.1fx\n", m,
        a[1] / 1000, a[2] / 1000, a[3] / 1000, b[1] / 1000, b[2] / 1000,
        b[3] / 1000, b[2] / a[2]
      printf "  %-50s %s\n", m " >= 10x faster than gdb (medians)",
        (b[2] >= 10 * a[2]) ? "PASS" : "MISS" }'
  done
}

table unpinned
pin=(taskset -c 0)
table "pinned: both tools on CPU 0"
