#!/usr/bin/env bash
# run.sh - what one hit of a conditional breakpoint whose condition is false
# costs: a bare in-process SIGTRAP, snare (C-only rejection and a Lua
# condition), and gdb's `break ... if`. Prints a table and the goals.
#
# Per-hit costs are slopes: each variant is timed at two sizes and
# (t(N2) - t(N1)) / (N2 - N1) cancels start-up (gdb, Lua, dlopen); the
# same slope of the variant without a breakpoint is subtracted. Each
# point is the minimum of REPEAT runs. A benchmark measures, it does not
# judge: the exit status is 0 unless a run failed or miscounted.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
BARE_N=${BARE_N:-1000000}
GDB_N1=${GDB_N1:-1000} GDB_N2=${GDB_N2:-8000}
SNARE_N1=${SNARE_N1:-100000} SNARE_N2=${SNARE_N2:-1000000}


cflags=(-std=c11 -Wall -Wextra -Werror -g)
"$CC" "${cflags[@]}" -O2 bench/bare_trap.c -o "$out/bare_trap"
"$CC" "${cflags[@]}" -O0 bench/loop_target.c bench/benchloop.c \
  -o "$out/loop_target"
"$CC" "${cflags[@]}" -O0 -shared -fPIC bench/benchloop.c \
  -o "$out/libbenchloop.so"

# gdb_variant none|cond N: runs loop_target N under gdb, with a breakpoint
# on visit_step() whose condition is never true for `cond`; fails unless the
# inferior exits normally.
gdb_variant() {
  local args=(-batch -nx -iex 'set debuginfod enabled off'
              -iex 'set startup-with-shell off') log
  [[ $1 == cond ]] && args+=(-ex 'break visit_step if i == -1')
  log=$(gdb "${args[@]}" -ex run --args "$out/loop_target" "$2" 2>&1)
  grep -q 'exited normally' <<<"$log" ||
    { printf 'gdb run failed:\n%s\n' "$log" >&2; return 1; }
}

# snare_variant none|skip|lua N: one run of bench/condbp.lua.
snare_variant() {
  lua5.4 bench/condbp.lua "$1" "$2" "$out/libbenchloop.so"
}

echo "bare trap: $BARE_N traps x $REPEAT"
bare=""
for ((r = 0; r < REPEAT; r++)); do
  v=$("$out/bare_trap" "$BARE_N")
  if [[ -z $bare ]] || awk -v a="$v" -v b="$bare" 'BEGIN { exit !(a < b) }'
  then bare=$v; fi
done
bare=$(awk -v v="$bare" 'BEGIN { printf "%.0f", v }')

echo "gdb: break visit_step if i == -1, N = $GDB_N1 and $GDB_N2"
base=$(growth_ns gdb_variant none "$GDB_N1" "$GDB_N2")
with=$(growth_ns gdb_variant cond "$GDB_N1" "$GDB_N2")
gdb_ns=$(per_hit_ns "$with" "$base" "$GDB_N1" "$GDB_N2")

snare_skip="" snare_lua=""
if [[ -e $snare_build/lua/snare/core.so ]]; then
  echo "snare: N = $SNARE_N1 and $SNARE_N2"
  base=$(growth_ns snare_variant none "$SNARE_N1" "$SNARE_N2")
  with=$(growth_ns snare_variant skip "$SNARE_N1" "$SNARE_N2")
  snare_skip=$(per_hit_ns "$with" "$base" "$SNARE_N1" "$SNARE_N2")
  with=$(growth_ns snare_variant lua "$SNARE_N1" "$SNARE_N2")
  snare_lua=$(per_hit_ns "$with" "$base" "$SNARE_N1" "$SNARE_N2")
else
  echo "snare: $snare_build/lua/snare/core.so missing (run make first); skipped"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
row() {
  local what=$1 ns=$2
  if [[ -z $ns ]]; then
    printf '%-30s %8s %14s %12s\n' "$what" n/a n/a n/a
  else
    printf '%-30s %8s %14s %12s\n' "$what" "$ns" "$(ratio "$ns" "$bare")" \
      "$(ratio "$gdb_ns" "$ns")"
  fi
}
# goal TEXT EXPR: PASS/MISS for an awk condition over g (gdb), l (snare
# Lua) and b (bare trap).
goal() {
  local verdict=MISS
  if [[ -z $snare_lua ]]; then verdict="n/a (snare not built)"
  elif awk -v g="$gdb_ns" -v l="$snare_lua" -v b="$bare" \
    "BEGIN { exit !($2) }"; then
    verdict=PASS
  fi
  printf '  %-34s %s\n' "$1" "$verdict"
}

echo
printf '%-30s %8s %14s %12s\n' what ns/hit "vs bare trap" "gdb / this"
row "bare SIGTRAP handler" "$bare"
row "snare, C path (skip)" "$snare_skip"
row "snare, Lua condition false" "$snare_lua"
row "gdb break if (false)" "$gdb_ns"
echo
echo "goals:"
goal "gdb / snare-lua >= 100x" 'g >= 100 * l'
goal "snare-lua <= 2x bare trap" 'l <= 2 * b'

echo
bash bench/hooks.sh
bash bench/hook_scaling.sh
echo
bash bench/install.sh
echo
if [[ -x build/corpus/bin/gcc-O2/bzip2 ]]; then
  bash bench/corpus.sh
else
  echo "corpus: not built, skipped (make corpus builds it)"
fi

echo
bash bench/record.sh

echo
bash bench/dwarf.sh
echo
bash bench/stepping.sh
