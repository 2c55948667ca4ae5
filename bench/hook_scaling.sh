#!/usr/bin/env bash
# hook_scaling.sh - what a jump hook costs per call as the number of hooks
# and the depth of the hooked stack grow (bench/hookscale.c): tally over
# 100 and 10,000 hooked functions, profile at depth 10 and 1000. Per-call
# figures are (hooked - unhooked) growth between N1 and N2 calls, as
# min/median/max of RUNS runs, pinned to CPU 0 and unpinned. Each row
# names the mechanism the hooks used ("jump hook" or "trap hook").
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
N1=${SCALE_N1:-200000} N2=${SCALE_N2:-2000000}
"$CC" -std=c11 -Wall -Wextra -Werror -g -O2 -shared -fPIC bench/hookscale.c \
  -o "$out/libhookscale.so"

one() { lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }
pinned() { taskset -c 0 lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }
# per_call RUNNER WORKLOAD SIZE HOOK: "min median max" ns per call, the
# k-th smallest of each timing set against the k-th of the others.
per_call() {
  local runner=$1 h1 h2 p1 p2
  h1=$(spread_ns "$runner" "$2" "$3" "$4" "$N1")
  h2=$(spread_ns "$runner" "$2" "$3" "$4" "$N2")
  p1=$(spread_ns "$runner" "$2" "$3" none "$N1")
  p2=$(spread_ns "$runner" "$2" "$3" none "$N2")
  awk -v h1="$h1" -v h2="$h2" -v p1="$p1" -v p2="$p2" -v n=$((N2 - N1)) '
    BEGIN { split(h1, a); split(h2, b); split(p1, c); split(p2, d)
            for (i = 1; i <= 3; i++) v[i] = ((b[i] - a[i]) - (d[i] - c[i])) / n
            printf "%.1f %.1f %.1f", v[1], v[2], v[3] }'
}

printf '%-28s %-10s %-9s %s\n' "workload" "mechanism" "cpu" "ns/call min median max"
for row in "fan 100 tally" "fan 10000 tally" "deep 10 profile" "deep 1000 profile"; do
  read -r workload size hook <<<"$row"
  mechanism=$(one "$workload" "$size" "$hook" 1000)
  for runner in pinned one; do
    printf '%-28s %-10s %-9s %s\n' "$hook, $workload $size" "$mechanism" \
      "$([[ $runner == pinned ]] && echo pinned || echo unpinned)" \
      "$(per_call "$runner" "$workload" "$size" "$hook")"
  done
done
