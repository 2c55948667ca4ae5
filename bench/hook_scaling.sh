#!/usr/bin/env bash
# hook_scaling.sh - what a hook costs per call: one leaf function by jump
# hook and by trap hook (tally and profile), and how the cost grows with
# the number of hooks (tally over 100 and 10,000 functions) and with the
# depth of the hooked stack (profile at depth 10 and 1000); workloads in
# bench/hookscale.c. A figure is the CPU time (user + system, so other
# load on the machine counts less) the hooks add per call, a slope
# between N1 and N2 calls with the unhooked run's slope subtracted; each
# row gives min/median/max of RUNS rounds, pinned to CPU 0 and unpinned,
# and names the mechanism the hooks used ("jump hook" or "trap hook").
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
N1=${SCALE_N1:-200000} N2=${SCALE_N2:-2000000}
RUNS=${RUNS:-5}
"$CC" -std=c11 -Wall -Wextra -Werror -g -O2 -shared -fPIC bench/hookscale.c \
  -o "$out/libhookscale.so"

unpinned() { lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }
pinned() { taskset -c 0 lua5.4 bench/hookscale_bench.lua "$@" "$out/libhookscale.so"; }

# cpu_ns COMMAND...: user + system time of the command, in ns.
cpu_ns() {
  local TIMEFORMAT='%3U %3S' t
  t=$({ time "$@" >/dev/null; } 2>&1)
  awk '{ printf "%.0f", ($1 + $2) * 1e9 }' <<<"$t"
}

# per_call RUNNER WORKLOAD SIZE HOOK: "min median max" ns per call.
per_call() {
  local runner=$1 workload=$2 size=$3 hook=$4 i figures=()
  for ((i = 0; i < RUNS; i++)); do
    local h1 h2 p1 p2
    h1=$(cpu_ns "$runner" "$workload" "$size" "$hook" "$N1")
    h2=$(cpu_ns "$runner" "$workload" "$size" "$hook" "$N2")
    p1=$(cpu_ns "$runner" "$workload" "$size" none "$N1")
    p2=$(cpu_ns "$runner" "$workload" "$size" none "$N2")
    figures+=("$(awk -v a="$h1" -v b="$h2" -v c="$p1" -v d="$p2" \
      -v n=$((N2 - N1)) 'BEGIN { printf "%.1f", ((b - a) - (d - c)) / n }')")
  done
  printf '%s\n' "${figures[@]}" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "hook cost per call, ns of CPU time: min median max of $RUNS rounds"
printf '%-26s %-10s %-9s %s\n' "workload" "mechanism" "cpu" "min median max"
for row in "leaf 1 tally" "leaf 1 profile" "trapped 1 tally" "trapped 1 profile" \
           "fan 100 tally" "fan 10000 tally" "deep 10 profile" "deep 1000 profile"; do
  read -r workload size hook <<<"$row"
  mechanism=$(unpinned "$workload" "$size" "$hook" 1000)
  for runner in pinned unpinned; do
    printf '%-26s %-10s %-9s %s\n' "$hook, $workload $size" "$mechanism" \
      "$runner" "$(per_call "$runner" "$workload" "$size" "$hook")"
  done
done
