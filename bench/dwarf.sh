#!/usr/bin/env bash
# dwarf.sh - reading the DWARF of a large -g object and resolving 1,000
# `file:line` breakpoint locations: snare against gdb, in the same run.
#
# The object is generated (bench/dwarf_gen.lua: DWARF_FUNCTIONS functions,
# 2000 by default, each with a loop and an inlined helper) and built with
# -g -O2. snare's figures come from bench/dwarf_lines.lua (in-process CPU
# time: the first line query reads the DWARF, then each location is
# resolved as s:breakpoint does). gdb's are wall-time differences of
# `gdb -batch` runs, each the minimum of REPEAT: with the object and no
# commands minus without the object (loading its symbols and DWARF
# index), and with DWARF_LINES `break file:line` commands minus with the
# object alone (resolving them, which expands the units they are in).
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
FUNCTIONS=${DWARF_FUNCTIONS:-2000}
LINES=${DWARF_LINES:-1000}


lib=$out/libdwarfbig.so
if [[ ! -e $lib || bench/dwarf_gen.lua -nt $lib ]]; then
  echo "building a $FUNCTIONS-function -g object (takes a while)"
  lua5.4 bench/dwarf_gen.lua "$out/dwarfbig.c" "$out/dwarfbig_lines.txt" \
    "$FUNCTIONS"
  "$CC" -std=c11 -g -O2 -shared -fPIC "$out/dwarfbig.c" -o "$lib"
fi
head -n "$LINES" "$out/dwarfbig_lines.txt" >"$out/dwarf_lines.txt"
sed 's/^/break /' "$out/dwarf_lines.txt" >"$out/dwarf_breaks.gdb"
echo "DWARF: $(stat -c %s "$lib") bytes, $FUNCTIONS functions;" \
  "$LINES file:line locations"

gdb_run() {
  gdb -nx -batch -iex 'set debuginfod enabled off' "$@"
}
set_count=$(gdb_run -x "$out/dwarf_breaks.gdb" "$lib" 2>&1 |
  grep -c '^Breakpoint [0-9]* at ') || true
[[ $set_count -eq $LINES ]] ||
  { echo "gdb set $set_count of $LINES breakpoints" >&2; exit 1; }
empty=$(best_ns gdb_run)
loaded=$(best_ns gdb_run "$lib")
breaks=$(best_ns gdb_run -x "$out/dwarf_breaks.gdb" "$lib")
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
gdb_load=$(ms $((loaded - empty)))
gdb_resolve=$(ms $((breaks - loaded)))
gdb_total=$(ms $((breaks - empty)))

snare_load="" snare_resolve="" snare_total=""
if [[ -e $snare_build/lua/snare/core.so ]]; then
  for ((r = 0; r < REPEAT; r++)); do
    read -r load resolve locations < <(lua5.4 bench/dwarf_lines.lua "$lib" \
      "$out/dwarf_lines.txt")
    [[ $locations -ge $LINES ]] ||
      { echo "snare resolved $locations locations" >&2; exit 1; }
    if [[ -z $snare_load ]] ||
      awk -v a="$load" -v b="$resolve" -v c="$snare_load" -v d="$snare_resolve" \
        'BEGIN { exit !(a + b < c + d) }'; then
      snare_load=$load snare_resolve=$resolve
    fi
  done
  snare_total=$(awk -v a="$snare_load" -v b="$snare_resolve" \
    'BEGIN { printf "%.1f", a + b }')
else
  echo "snare: $snare_build/lua/snare/core.so missing (run make first); skipped"
fi

ratio() {
  [[ -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'
}
echo
printf '%-34s %10s %10s %12s\n' what "snare ms" "gdb ms" "gdb / snare"
printf '%-34s %10s %10s %12s\n' "read DWARF" "${snare_load:-n/a}" \
  "$gdb_load" "$(ratio "$gdb_load" "$snare_load")"
printf '%-34s %10s %10s %12s\n' "resolve $LINES file:line" \
  "${snare_resolve:-n/a}" "$gdb_resolve" \
  "$(ratio "$gdb_resolve" "$snare_resolve")"
printf '%-34s %10s %10s %12s\n' "total" "${snare_total:-n/a}" "$gdb_total" \
  "$(ratio "$gdb_total" "$snare_total")"
