#!/usr/bin/env bash
# hooks.sh - what a hook costs per call of a tiny function: snare's
# C-level tally and profile and a Lua hook (on the unmodified shared
# object), against uftrace recording the same function (built with -pg),
# and the uninstrumented call, all measured in this run. Costs are slopes
# between two loop lengths (start-up cancels), minimum of REPEAT runs.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
HOOK_N1=${HOOK_N1:-200000} HOOK_N2=${HOOK_N2:-2000000}

cflags=(-std=c11 -Wall -Wextra -Werror -g -O2)
"$CC" "${cflags[@]}" -DHOOKLOOP_MAIN bench/hookloop.c -o "$out/hookloop"
"$CC" "${cflags[@]}" -DHOOKLOOP_MAIN -pg bench/hookloop.c \
  -o "$out/hookloop_pg"
"$CC" "${cflags[@]}" -shared -fPIC bench/hookloop.c -o "$out/libhookloop.so"
trace_dir=$(mktemp -d)
trap 'rm -rf "$trace_dir"' EXIT

plain_variant() { "$out/hookloop" "$2"; }
uftrace_variant() {
  uftrace record --no-pager -d "$trace_dir/data" "$out/hookloop_pg" "$2"
}
snare_variant() { lua5.4 bench/hooks_bench.lua "$1" "$2" "$out/libhookloop.so"; }

n1=$HOOK_N1 n2=$HOOK_N2
echo "hooks: calls of bench_hot, N = $n1 and $n2"
plain=$(growth_ns plain_variant - "$n1" "$n2")
uftrace_growth=$(growth_ns uftrace_variant - "$n1" "$n2")
uftrace_ns=$(per_hit_ns "$uftrace_growth" "$plain" "$n1" "$n2")
plain_ns=$(per_hit_ns "$plain" 0 "$n1" "$n2")
base=$(growth_ns snare_variant none "$n1" "$n2")
tally=$(growth_ns snare_variant tally "$n1" "$n2")
profile=$(growth_ns snare_variant profile "$n1" "$n2")
lua=$(growth_ns snare_variant lua "$n1" "$n2")
lua_timeout=$(growth_ns snare_variant lua_timeout "$n1" "$n2")
tally_ns=$(per_hit_ns "$tally" "$base" "$n1" "$n2")
profile_ns=$(per_hit_ns "$profile" "$base" "$n1" "$n2")
lua_ns=$(per_hit_ns "$lua" "$base" "$n1" "$n2")
lua_timeout_ns=$(per_hit_ns "$lua_timeout" "$base" "$n1" "$n2")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo
printf '%-36s %10s %14s\n' "overhead per call" "ns/call" "vs uftrace"
printf '%-36s %10s %14s\n' "uninstrumented call (the call itself)" "$plain_ns" "-"
printf '%-36s %10s %14s\n' "uftrace record (-pg)" "$uftrace_ns" "1.00x"
printf '%-36s %10s %14s\n' "snare tally (C, count)" "$tally_ns" "$(ratio "$tally_ns" "$uftrace_ns")"
printf '%-36s %10s %14s\n' "snare profile (C, entry+exit time)" "$profile_ns" "$(ratio "$profile_ns" "$uftrace_ns")"
printf '%-36s %10s %14s\n' "snare Lua hook (entry)" "$lua_ns" "$(ratio "$lua_ns" "$uftrace_ns")"
printf '%-36s %10s %14s\n' "snare Lua hook, session timeout set" "$lua_timeout_ns" "$(ratio "$lua_timeout_ns" "$uftrace_ns")"
echo
goal() {
  if awk -v a="$2" -v b="$3" -v f="$4" 'BEGIN { exit !(a < b * f) }'; then
    echo "  $1  PASS"
  else
    echo "  $1  MISS"
  fi
}
echo "goals:"
goal "C-level tally < 0.5x uftrace   " "$tally_ns" "$uftrace_ns" 0.5
goal "Lua hook      < 2x uftrace     " "$lua_ns" "$uftrace_ns" 2
