#!/usr/bin/env bash
# attach.sh - one conditional breakpoint hit in a program that is already
# running: `snare attach PID exec` (a breakpoint on visit_step() whose Lua
# condition counts the hit and is false, run in-process) against `gdb -p
# PID` with `break visit_step if ($hits = $hits + 1) == 0` on the same
# program (attach_target); both counts are checked (gdb's own hit count
# counts only conditions that held). The program times its own loop once the debugger is
# in; per hit = loop time / N minus the loop's own time per call. RUNS
# runs each (min/median/max), pinned to one CPU (taskset -c 0, program
# and debugger) and unpinned.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
GDB_N=${GDB_N:-2000} SNARE_N=${SNARE_N:-200000} BARE_N=${BARE_N:-2000000}

"$CC" -std=c11 -Wall -Wextra -Werror -g -O0 bench/attach_target.c \
  bench/benchloop.c -o "$out/attach_target"

# start_target PIN N: starts attach_target waiting for its go file; sets
# target_pid, go, log.
start_target() {
  go=$(mktemp -u) log=$(mktemp)
  $1 "$out/attach_target" "$go" "$2" >"$log" &
  target_pid=$!
}

# loop_ns: the time the target printed, once it has exited.
loop_ns() {
  wait "$target_pid"
  awk '/^ns / { print $2 }' "$log"
  rm -f "$go" "$log"
}

bare_run() { # PIN: ns per call without any debugger
  start_target "$1" "$BARE_N"
  touch "$go"
  awk -v t="$(loop_ns)" -v n="$BARE_N" 'BEGIN { printf "%.1f", t / n }'
}

gdb_run() { # PIN BARE: ns per hit
  local out_gdb
  start_target "$1" "$GDB_N"
  sleep 0.1
  out_gdb=$($1 gdb -p "$target_pid" -batch -nx \
    -iex 'set debuginfod enabled off' \
    -ex 'set $hits = 0' -ex 'break visit_step if ($hits = $hits + 1) == 0' \
    -ex "shell touch $go" -ex continue -ex 'print $hits' 2>&1)
  grep -q "^\$1 = $GDB_N\$" <<<"$out_gdb" ||
    { printf 'gdb: wrong hit count:\n%s\n' "$out_gdb" >&2
      kill "$target_pid"; return 1; }
  awk -v t="$(loop_ns)" -v n="$GDB_N" -v b="$2" \
    'BEGIN { printf "%.0f", t / n - b }'
}

snare_run() { # PIN BARE: ns per hit
  local said
  start_target "$1" "$SNARE_N"
  sleep 0.1
  said=$($1 bin/snare attach "$target_pid" exec bench/attach_cond.lua "$go" \
    2>/dev/null)
  [[ $said == "exit	$SNARE_N" ]] ||
    { printf 'snare: wrong hit count: %s\n' "$said" >&2
      kill "$target_pid"; return 1; }
  awk -v t="$(loop_ns)" -v n="$SNARE_N" -v b="$2" \
    'BEGIN { printf "%.0f", t / n - b }'
}

# stats VALUES...: min/median/max.
stats() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
    END { printf "%s/%s/%s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "attached conditional breakpoint (false), $RUNS runs, ns per hit min/median/max"
printf '%-10s %-24s %-24s %s\n' cpus "snare attach (Lua cond)" "gdb -p (break if)" \
  "gdb/snare (median)"
for pin in "taskset -c 0" ""; do
  bare=$(bare_run "$pin")
  snare_ns=() gdb_ns=()
  for ((r = 0; r < RUNS; r++)); do
    snare_ns+=("$(snare_run "$pin" "$bare")")
    gdb_ns+=("$(gdb_run "$pin" "$bare")")
  done
  s=$(stats "${snare_ns[@]}") g=$(stats "${gdb_ns[@]}")
  ratio=$(awk -v a="${g#*/}" -v b="${s#*/}" \
    'BEGIN { split(a, x, "/"); split(b, y, "/"); printf "%.0fx", x[1] / y[1] }')
  printf '%-10s %-24s %-24s %s\n' "$([[ -n $pin ]] && echo pinned || echo unpinned)" "$s" "$g" \
    "$ratio"
done
