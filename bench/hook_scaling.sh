#!/usr/bin/env bash
# hook_scaling.sh - what a hook costs per call: one leaf function by jump
# hook and by trap hook (tally and profile), and how the cost grows with
# the number of hooks (tally over 100 and 10,000 functions) and with the
# depth of the hooked stack (profile at depth 10 and 1000); workloads in
# bench/hookscale.c. A figure is the CPU time the N calls take hooked
# minus unhooked, per call, as bench/hookscale_bench.lua measures it
# around the calls alone (installing 10,000 hooks stays out, other load
# on the machine counts less than in wall time); each row gives
# min/median/max of RUNS rounds, pinned to CPU 0 and unpinned, and names
# the mechanism the hooks used ("jump hook" or "trap hook").
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
N=${SCALE_N:-2000000}
N_TRAP=${SCALE_N_TRAP:-100000} # a trap costs microseconds
RUNS=${RUNS:-5}
"$CC" -std=c11 -Wall -Wextra -Werror -g -O2 -shared -fPIC bench/hookscale.c \
  -o "$out/libhookscale.so"

unpinned() { lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }
pinned() { taskset -c 0 lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }

# per_call RUNNER WORKLOAD SIZE HOOK: "min median max" ns per call.
per_call() {
  local runner=$1 workload=$2 size=$3 hook=$4 i figures=() with without
  local n=$N
  [[ $workload == trapped ]] && n=$N_TRAP
  for ((i = 0; i < RUNS; i++)); do
    with=$("$runner" "$workload" "$size" "$hook" "$n" | cut -f2)
    without=$("$runner" "$workload" "$size" none "$n" | cut -f2)
    figures+=("$(awk -v a="$with" -v b="$without" -v n="$n" \
      'BEGIN { printf "%.1f", (a - b) * 1e9 / n }')")
  done
  printf '%s\n' "${figures[@]}" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "hook cost per call, ns of CPU time: min median max of $RUNS rounds"
printf '%-26s %-10s %-9s %s\n' "workload" "mechanism" "cpu" "min median max"
for row in "leaf 1 tally" "leaf 1 profile" "trapped 1 tally" "trapped 1 profile" \
           "fan 100 tally" "fan 10000 tally" "deep 10 profile" "deep 1000 profile"; do
  read -r workload size hook <<<"$row"
  mechanism=$(unpinned "$workload" "$size" "$hook" 1000 | cut -f1)
  for runner in pinned unpinned; do
    printf '%-26s %-10s %-9s %s\n' "$hook, $workload $size" "$mechanism" \
      "$runner" "$(per_call "$runner" "$workload" "$size" "$hook")"
  done
done
