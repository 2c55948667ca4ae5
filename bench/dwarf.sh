#!/usr/bin/env bash
# dwarf.sh - DWARF at gdb's scale: time to the first breakpoint, resident
# memory, and 1000 `break FILE:LINE` actually set, snare against gdb in
# the same run, on generated objects of about 1, 10 and 50 MB of DWARF
# (DWARF_SIZES) and on libc read from its separate debug file (libc6-dbg).
#
# The generated objects (bench/dwarf_gen.lua: five units per MB, each of
# 100 functions with a loop and an inlined helper and 400 structure types,
# gcc -g -O1) are built once into build/bench/dwarf/SIZE/. Each figure is
# the wall time (and maximum resident set) of a whole process, min /
# median / max of REPEAT runs (at least 5): `gdb -batch` with `break` on
# the first location, or with all 1000 (a -x file), against
# bench/dwarf_lines.lua setting the same breakpoints in a snare session.
# "1000 breaks" is the median with 1000 minus the median with one. CPU
# time (user + system) is shown beside wall time: on a shared machine the
# wall time mostly measures waiting for a core.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
SIZES=${DWARF_SIZES:-1 10 50}
LINES=1000
((REPEAT >= 5)) || REPEAT=5

build_object() {
  local mb=$1 d=$out/dwarf/$1
  [[ -e $d/libdwarfbig.so && $d/libdwarfbig.so -nt bench/dwarf_gen.lua ]] &&
    return
  echo "building the ${mb} MB object (takes a while)"
  mkdir -p "$d"
  rm -f "$d"/big_*.c "$d"/big_*.o
  lua5.4 bench/dwarf_gen.lua "$d" "$d/lines.txt" $((mb * 500)) 100 400
  find "$d" -name 'big_*.c' -print0 |
    xargs -0 -P2 -I{} "$CC" -std=c11 -g -O1 -fno-eliminate-unused-debug-types \
      -fPIC -c {} -o {}.o
  "$CC" -shared "$d"/big_*.c.o -o "$d/libdwarfbig.so"
}

dwarf_mb() {
  size -A "$1" | awk '/^\.(z)?debug/ { s += $2 } END { printf "%.1f", s / 1e6 }'
}

# stats FILE: "min median max" of the numbers in FILE.
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    printf "%.0f %.0f %.0f", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# measure NAME COMMAND...: REPEAT runs; NAME.ms, NAME.cpu and NAME.kb
# get one figure a run (wall ms, CPU ms, maximum resident KB).
measure() {
  local name=$1 i
  shift
  : >"$work/$name.ms"
  : >"$work/$name.cpu"
  : >"$work/$name.kb"
  for ((i = 0; i < REPEAT; i++)); do
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>&1 ||
      { echo "dwarf.sh: failed: $*" >&2; exit 1; }
    awk '{ printf "%.0f\n", $1 * 1000 }' "$work/time" >>"$work/$name.ms"
    awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$work/time" >>"$work/$name.cpu"
    awk '{ print $4 }' "$work/time" >>"$work/$name.kb"
  done
}

# Commands, not functions: /usr/bin/time runs them.
gdb_run=(gdb -nx -batch -iex 'set debuginfod enabled off')
snare_run=(lua5.4 bench/dwarf_lines.lua)
median() { stats "$1" | cut -d' ' -f2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-18s %5s %-5s %16s %16s %16s %12s\n' object "MB" tool \
  "1st break ms" "1st break CPU" "resident MB" "1000 br ms/CPU"
verdicts=()

# compare LABEL OBJECT LINES-FILE [DWARF-FILE]: one object, both tools
# (its DWARF in DWARF-FILE when separate: as stored, compressed or not).
compare() {
  local label=$1 obj=$2 lines=$3 mb
  mb=$(dwarf_mb "${4:-$obj}")
  head -n 1 "$lines" >"$work/first.txt"
  head -n "$LINES" "$lines" >"$work/all.txt"
  sed 's/^/break /' "$work/first.txt" >"$work/first.gdb"
  sed 's/^/break /' "$work/all.txt" >"$work/all.gdb"
  local set
  set=$("${gdb_run[@]}" -x "$work/all.gdb" "$obj" 2>&1 |
    grep -c '^Breakpoint [0-9]* at ') ||
    true
  [[ $set -eq $LINES ]] ||
    { echo "dwarf.sh: gdb set $set of $LINES breakpoints in $label" >&2; exit 1; }
  measure gdb1 "${gdb_run[@]}" -x "$work/first.gdb" "$obj"
  measure gdbN "${gdb_run[@]}" -x "$work/all.gdb" "$obj"
  measure snare1 "${snare_run[@]}" "$obj" "$work/first.txt" 1
  measure snareN "${snare_run[@]}" "$obj" "$work/all.txt" "$LINES"
  local tool g_first s_first g_mem s_mem g_many s_many
  for tool in snare gdb; do
    local many=$(($(median "$work/${tool}N.ms") - $(median "$work/${tool}1.ms")))
    local many_cpu=$(($(median "$work/${tool}N.cpu") - $(median "$work/${tool}1.cpu")))
    local mem
    mem=$(stats "$work/${tool}1.kb" |
      awk '{ printf "%.1f/%.1f/%.1f", $1 / 1024, $2 / 1024, $3 / 1024 }')
    printf '%-18s %5s %-5s %16s %16s %16s %12s\n' "$label" "$mb" "$tool" \
      "$(stats "$work/${tool}1.ms" | tr ' ' /)" \
      "$(stats "$work/${tool}1.cpu" | tr ' ' /)" "$mem" "$many/$many_cpu"
    if [[ $tool == snare ]]; then
      s_first=$(median "$work/snare1.cpu") s_mem=$(median "$work/snare1.kb")
      s_many=$many_cpu
    else
      g_first=$(median "$work/gdb1.cpu") g_mem=$(median "$work/gdb1.kb")
      g_many=$many_cpu
    fi
  done
  local ok=yes
  ((s_first <= g_first && s_mem <= g_mem && s_many * 3 <= g_many)) || ok=no
  verdicts+=("$label (medians, CPU): first break $s_first <= $g_first ms," \
    "resident $((s_mem / 1024)) <= $((g_mem / 1024)) MB, 1000 breaks" \
    "$s_many <= $g_many / 3 ms: $ok")
}

for mb in $SIZES; do
  build_object "$mb"
  compare "generated ${mb} MB" "$out/dwarf/$mb/libdwarfbig.so" \
    "$out/dwarf/$mb/lines.txt"
done

libc=$(realpath "$("$CC" -print-file-name=libc.so.6)")
id=$(readelf -n "$libc" | awk '/Build ID/ { print $3 }')
debug=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
if [[ -r $debug ]]; then
  # 1000 libc lines with code, in code the Lua interpreter itself does
  # not run (snare's breakpoints are in its own process: one in malloc
  # would trap at every allocation of the controller).
  if [[ ! -s $out/dwarf/libc_lines.txt ]]; then
    mkdir -p "$out/dwarf"
    for f in regcomp.c regexec.c msort.c setenv.c; do
      build/debuginfo_oracle/driver -b "$libc" "$f" 1 6000 |
        awk -v f="$f" '{ print f ":" $1 }'
    done | head -n "$LINES" >"$out/dwarf/libc_lines.txt"
  fi
  compare "libc (libc6-dbg)" "$libc" "$out/dwarf/libc_lines.txt" "$debug"
else
  echo "libc: no debug file (install libc6-dbg); skipped"
fi
echo
printf '%s\n' "${verdicts[@]}"
