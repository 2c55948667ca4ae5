#!/usr/bin/env bash
# watch.sh - what one hit of a watchpoint whose condition is false costs:
# snare (perf_event_open PERF_TYPE_BREAKPOINT with sigtrap: the thread's
# own debug register raises a SIGTRAP in-process, and the condition runs
# on that thread) against gdb's `watch VAR if COND` (debug registers set
# through ptrace: every hit is a ptrace stop, gdb reads the value and
# evaluates the condition, then resumes), on the same program doing the
# same work: bench/watch_target.c writes a global N times, each time a new
# value. gdb's condition counts its evaluations in $n, which must equal
# the number of writes; snare's hit count must too.
#
# The floor row is bench/watch_floor.c: the same debug register and an
# empty SIGTRAP handler, no debugger at all.
#
# Per hit: (t(N2) - t(N1)) / (N2 - N1) of one run at each size (start-up
# cancels), RUNS times, pinned to one CPU (taskset -c 0: the controller,
# gdb and the target share it) and unpinned; min / median / max.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
GDB_N1=${GDB_N1:-500} GDB_N2=${GDB_N2:-3000}
SNARE_N1=${SNARE_N1:-20000} SNARE_N2=${SNARE_N2:-200000}

"$CC" -std=c11 -Wall -Wextra -Werror -g -O0 bench/watch_target.c \
  -o "$out/watch_target"
"$CC" -std=c11 -Wall -Wextra -Werror -O2 bench/watch_floor.c \
  -o "$out/watch_floor"
FLOOR_N=${FLOOR_N:-100000}

# gdb_run N: watches `watched` under gdb with a condition that is never
# true and counts its evaluations; fails unless there were N of them.
gdb_run() {
  local log
  log=$("${pin[@]}" gdb -batch -nx -iex 'set debuginfod enabled off' \
    -iex 'set startup-with-shell off' -ex 'break main' -ex run \
    -ex 'set $n = 0' -ex 'watch watched if ($n = $n + 1) < 0' \
    -ex continue -ex 'print $n' --args "$out/watch_target" "$1" 2>&1)
  if ! grep -q "exited normally" <<<"$log" ||
    ! grep -q "^\$1 = $1\$" <<<"$log"; then
    printf 'gdb run failed or miscounted (N = %s):\n%s\n' "$1" "$log" >&2
    return 1
  fi
}

# snare_run MODE N: snare exec bench/watch_bench.lua, which checks that
# snare counted N hits.
snare_run() {
  local log
  log=$("${pin[@]}" bin/snare exec bench/watch_bench.lua "$1" "$2" -- \
    "$out/watch_target" "$2" 2>&1 >/dev/null)
  grep -q "watch_bench: ok" <<<"$log" ||
    { printf 'snare run failed (%s, N = %s):\n%s\n' "$1" "$2" "$log" >&2
      return 1; }
}

# Wall time of one run of a command, in ns.
time_ns() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null
  t1=$(date +%s%N)
  echo $((t1 - t0))
}

# per_hit_runs N1 N2 COMMAND...: RUNS per-hit costs (ns), one a line.
per_hit_runs() {
  local n1=$1 n2=$2 r a b
  shift 2
  for ((r = 0; r < RUNS; r++)); do
    a=$(time_ns "$@" "$n1")
    b=$(time_ns "$@" "$n2")
    awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" \
      'BEGIN { printf "%.0f\n", (b - a) / (n2 - n1) }'
  done
}

# min median max of numbers, one a line.
stats() { sort -n | awk '{ v[NR] = $1 } END {
  printf "%d %d %d\n", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

echo "watchpoint hit, condition false: snare N = $SNARE_N1, $SNARE_N2;" \
  "gdb N = $GDB_N1, $GDB_N2; $RUNS runs"
echo "  snare: perf_event_open(PERF_TYPE_BREAKPOINT, sigtrap) -> SIGTRAP" \
  "TRAP_PERF in-process, condition on the trapped thread"
echo "  gdb:   debug registers through ptrace, a ptrace stop per hit" \
  "(watch watched if COND)"
printf '%-9s %-28s %10s %10s %10s %12s\n' cpus what "min ns" "median ns" \
  "max ns" "gdb/this"
declare -A lua_median gdb_median
for placement in pinned unpinned; do
  if [[ $placement == pinned ]]; then pin=(taskset -c 0); else pin=(); fi
  # (assignments, so that a failed or miscounted run ends the benchmark)
  g=$(per_hit_runs "$GDB_N1" "$GDB_N2" gdb_run | stats)
  s=$(per_hit_runs "$SNARE_N1" "$SNARE_N2" snare_run skip | stats)
  l=$(per_hit_runs "$SNARE_N1" "$SNARE_N2" snare_run lua | stats)
  f=$(for ((r = 0; r < RUNS; r++)); do
    "${pin[@]}" "$out/watch_floor" "$FLOOR_N"; done | stats)
  read -r fmin fmed fmax <<<"$f"
  read -r gmin gmed gmax <<<"$g"
  read -r smin smed smax <<<"$s"
  read -r lmin lmed lmax <<<"$l"
  row() {
    printf '%-9s %-28s %10s %10s %10s %11sx\n' "$placement" "$1" "$2" "$3" \
      "$4" "$(awk -v g="$gmed" -v m="$3" 'BEGIN { printf "%.0f", g / m }')"
  }
  row "floor: bare debug trap" "$fmin" "$fmed" "$fmax"
  row "snare, C path (skip)" "$smin" "$smed" "$smax"
  row "snare, Lua condition false" "$lmin" "$lmed" "$lmax"
  row "gdb watch if (false)" "$gmin" "$gmed" "$gmax"
  lua_median[$placement]=$lmed gdb_median[$placement]=$gmed
done
echo "goal: gdb / snare (Lua condition, median) >= 100x:" \
  "$(awk -v g="${gdb_median[pinned]}" -v l="${lua_median[pinned]}" \
    -v g2="${gdb_median[unpinned]}" -v l2="${lua_median[unpinned]}" 'BEGIN { printf "pinned %.0fx %s, unpinned %.0fx %s",
      g / l, (g >= 100 * l) ? "PASS" : "MISS", g2 / l2,
      (g2 >= 100 * l2) ? "PASS" : "MISS" }')"
