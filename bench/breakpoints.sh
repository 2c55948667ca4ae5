#!/usr/bin/env bash
# breakpoints.sh - setting and clearing BREAKPOINTS_N breakpoints by
# address (one per function of a generated library), the CPU time of each,
# min/median/max of RUNS runs.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
BREAKPOINTS_N=${BREAKPOINTS_N:-10000} RUNS=${RUNS:-5}

for ((i = 0; i < BREAKPOINTS_N; i++)); do
  echo "int f$i(int x) { volatile int v = x; return v + $i; }"
done >"$out/many.c"
"$CC" -O2 -g -fPIC -shared "$out/many.c" -o "$out/libmany.so"
echo "$BREAKPOINTS_N breakpoints by address (us each; min median max of $RUNS)"
runs=$(for ((r = 0; r < RUNS; r++)); do
  lua5.4 bench/breakpoints_bench.lua "$out/libmany.so" "$BREAKPOINTS_N"
done)
spread() {
  sort -n | awk '{ v[NR] = $1 } END {
    printf "%.2f %.2f %.2f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}
set_us=$(awk '{ print $1 }' <<<"$runs" | spread)
clear_us=$(awk '{ print $2 }' <<<"$runs" | spread)
batch_us=$(awk '{ print $3 }' <<<"$runs" | spread)
printf '  set one by one        %s
  clear                 %s
  set in a snare.batch  %s
' "$set_us" "$clear_us" "$batch_us"
awk -v s="$set_us" -v b="$batch_us" 'BEGIN { split(s, a, " "); split(b, c, " ")
  printf "  set <= 5 us each (median, one by one)   %s\n", (a[2] <= 5) ? "PASS" : "MISS"
  printf "  set <= 5 us each (median, batched)      %s\n", (c[2] <= 5) ? "PASS" : "MISS" }'
