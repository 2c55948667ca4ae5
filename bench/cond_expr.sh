#!/usr/bin/env bash
# cond_expr.sh - what one hit of `break visit_rec if p->len > 3` (never
# true) costs: the condition written in C (snare.expr, compiled once) as
# a Lua closure and as the core's native program, the same condition in
# Lua, and gdb's. Per-hit cost is a slope: each
# round times every variant at two sizes and subtracts the slope of the
# run without a breakpoint; RUNS rounds give min/median/max, unpinned and
# pinned to CPU 0. A benchmark measures, it does not judge.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
REPEAT=1
GDB_N1=${GDB_N1:-200} GDB_N2=${GDB_N2:-1200}
SNARE_N1=${SNARE_N1:-20000} SNARE_N2=${SNARE_N2:-120000}

cflags=(-std=c11 -Wall -Wextra -Werror -g -O0)
"$CC" "${cflags[@]}" -shared -fPIC bench/recloop.c -o "$out/librecloop.so"
"$CC" "${cflags[@]}" -DREC_MAIN bench/recloop.c -o "$out/rec_target"

prefix=()
snare_variant() {
  "${prefix[@]}" lua5.4 bench/cond_expr.lua "$1" "$2" "$out/librecloop.so"
}
gdb_variant() {
  local args=(-batch -nx -iex 'set debuginfod enabled off'
              -iex 'set startup-with-shell off') log
  [[ $1 == cond ]] && args+=(-ex 'break visit_rec if p->len > 3')
  log=$("${prefix[@]}" gdb "${args[@]}" -ex run --args "$out/rec_target" \
        "$2" 2>&1)
  grep -q 'exited normally' <<<"$log" ||
    { printf 'gdb run failed:\n%s\n' "$log" >&2; return 1; }
}

# stats VALUES...: "min median max" of integers.
stats() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
    END { printf "%d %d %d", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "condition p->len > 3 (false), ns per hit: min median max of $RUNS rounds"
for variant in c c_native lua; do
  echo "  snare $variant condition: breakpoint by $(snare_variant "$variant" 100 |
    awk '{ print $3 ($4 == "" ? "" : ", condition by " $4) }')"
done
printf '%-10s %-24s %-24s %-24s %-24s\n' cpu "snare, C (Lua closure)" \
  "snare, C (native)" "snare, Lua condition" "gdb break if"
for pin in unpinned pinned; do
  prefix=()
  [[ $pin == pinned ]] && prefix=(taskset -c 0)
  c=() nat=() l=() g=()
  for ((r = 0; r < RUNS; r++)); do
    base=$(growth_ns snare_variant none "$SNARE_N1" "$SNARE_N2")
    with=$(growth_ns snare_variant c "$SNARE_N1" "$SNARE_N2")
    c+=("$(per_hit_ns "$with" "$base" "$SNARE_N1" "$SNARE_N2")")
    with=$(growth_ns snare_variant c_native "$SNARE_N1" "$SNARE_N2")
    nat+=("$(per_hit_ns "$with" "$base" "$SNARE_N1" "$SNARE_N2")")
    with=$(growth_ns snare_variant lua "$SNARE_N1" "$SNARE_N2")
    l+=("$(per_hit_ns "$with" "$base" "$SNARE_N1" "$SNARE_N2")")
    base=$(growth_ns gdb_variant none "$GDB_N1" "$GDB_N2")
    with=$(growth_ns gdb_variant cond "$GDB_N1" "$GDB_N2")
    g+=("$(per_hit_ns "$with" "$base" "$GDB_N1" "$GDB_N2")")
  done
  printf '%-10s %-24s %-24s %-24s %-24s\n' "$pin" "$(stats "${c[@]}")" \
    "$(stats "${nat[@]}")" "$(stats "${l[@]}")" "$(stats "${g[@]}")"
done
