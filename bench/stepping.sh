#!/usr/bin/env bash
# stepping.sh - cost of one `next` over a source line that calls a
# function, snare (s:next from Lua, in process) against gdb (`next`
# through ptrace), on the same generated target, in the same run. Costs
# are slopes between two step counts (start-up cancels), minimum of
# REPEAT runs.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
STEP_N1=${STEP_N1:-200} STEP_N2=${STEP_N2:-1000}

# chain(): STEP_N2 + 1 lines, each `s += work(k);`.
{
  echo '#define NOINLINE __attribute__((noinline))'
  echo 'NOINLINE int work(int x) { return x * 3 + 1; }'
  echo 'int chain(void)'
  echo '{'
  echo '  int s = 0;'
  for ((k = 0; k <= STEP_N2; k++)); do echo "  s += work($k);"; done
  echo '  return s;'
  echo '}'
} >"$out/stepchain.c"
"$CC" -g -O0 -shared -fPIC "$out/stepchain.c" -o "$out/libstepchain.so"
printf 'int chain(void);\nint main(void) { return chain() & 0; }\n' \
  >"$out/stepchain_main.c"
"$CC" -g -O0 "$out/stepchain_main.c" "$out/libstepchain.so" \
  -Wl,-rpath,"$(realpath "$out")" -o "$out/stepchain"

snare_variant() { lua5.4 bench/stepping_bench.lua "$out/libstepchain.so" "$2"; }
gdb_variant() {
  gdb -nx -batch -iex 'set debuginfod enabled off' -ex 'break chain' -ex run \
    -ex "python [gdb.execute('next', to_string=True) for _ in range($2)]" \
    -ex kill "$out/stepchain"
}

echo "stepping: next over a line calling a function, N = $STEP_N1 and $STEP_N2"
snare_ns=$(($(growth_ns snare_variant - "$STEP_N1" "$STEP_N2") /
  (STEP_N2 - STEP_N1)))
gdb_ns=$(($(growth_ns gdb_variant - "$STEP_N1" "$STEP_N2") /
  (STEP_N2 - STEP_N1)))
printf '%-34s %12s %12s\n' what "us/next" "gdb / this"
awk -v s="$snare_ns" -v g="$gdb_ns" 'BEGIN {
  printf "%-34s %12.1f %11.1fx\n", "snare s:next()", s / 1000, g / s
  printf "%-34s %12.1f %11.1fx\n", "gdb next", g / 1000, 1
}'
