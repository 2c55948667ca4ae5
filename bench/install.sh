#!/usr/bin/env bash
# install.sh - what installing and removing a function hook costs, for
# INSTALL_N functions of a generated library, with 0 and INSTALL_THREADS
# other (idle) threads in the process: every jump is written with the
# other threads stopped, so each thread adds a signal round trip.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
INSTALL_N=${INSTALL_N:-10000} INSTALL_THREADS=${INSTALL_THREADS:-4}

for ((i = 0; i < INSTALL_N; i++)); do
  echo "int f$i(int x) { volatile int v = x; return v + $i; }"
done >"$out/many.c"
"$CC" -O2 -g -fPIC -shared "$out/many.c" -o "$out/libmany.so"
"$CC" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Ilib/include \
  bench/install_cost.c "$snare_build/lib/libsnare_core.a" \
  -lZydis -lelf -ldwarf -lunwind -lpthread -ldl -o "$out/install_cost"
echo "hook install and removal, $INSTALL_N functions"
for threads in 0 "$INSTALL_THREADS"; do
  "$out/install_cost" "$out/libmany.so" "$INSTALL_N" "$threads"
done
