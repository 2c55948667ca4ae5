# common.sh - what every benchmark script starts with (sourced first):
# strict mode, the repository root as working directory, where builds
# and the snare module are, and the wall-clock helpers. Per-unit costs
# are slopes between two sizes, so start-up cancels out; each point is
# the minimum of REPEAT runs.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=build/bench
# make bench points SNARE_BUILD and LUA_PATH/LUA_CPATH at its build.
snare_build=${SNARE_BUILD:-build}
export LUA_PATH=${LUA_PATH:-"lua/?.lua;lua/?/init.lua;;"}
export LUA_CPATH=${LUA_CPATH:-"$snare_build/lua/?.so;;"}
CC=${CC:-gcc}
REPEAT=${REPEAT:-3}
mkdir -p "$out"

# Prints the minimum wall time in ns of REPEAT runs of a command; fails
# if any run fails.
best_ns() {
  local best="" t0 t1 i
  for ((i = 0; i < REPEAT; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    if [[ -z $best ]] || ((t1 - t0 < best)); then best=$((t1 - t0)); fi
  done
  echo "$best"
}

# growth_ns RUNNER VARIANT N1 N2: how many ns longer the run at N2 takes
# than the run at N1 (start-up cancels out).
growth_ns() {
  local t1 t2
  t1=$(best_ns "$1" "$2" "$3")
  t2=$(best_ns "$1" "$2" "$4")
  echo $((t2 - t1))
}

# per_hit_ns WITH_GROWTH BASE_GROWTH N1 N2: ns per hit added by the
# breakpoint.
per_hit_ns() {
  awk -v w="$1" -v b="$2" -v n1="$3" -v n2="$4" \
    'BEGIN { printf "%.0f", (w - b) / (n2 - n1) }'
}

