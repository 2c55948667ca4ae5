#!/usr/bin/env bash
# run.sh - the C library debugged from its separate debug file (Debian's
# libc6-dbg, found by build ID under /usr/lib/debug), compared with gdb:
#   - `info line` for every line of three libc sources (driver vs gdb)
#   - `break FILE:LINE` for each line that has code, `break FUNCTION`
#     for libc functions by name (session breakpoints)
#   - the backtrace from a qsort callback through libc's frames (msort.c,
#     inlined msort_with_tmp included), fixture at -O0 and -O2
#   - `step` sequences from the fixture into getenv and strtol (-O0
#     fixture: its calls are real calls; libc itself is -O2 code)
# Files compare by base name (gdb names the fixture's relative to its
# build directory). Tail-call frames (synthesised from call-site DWARF
# where a function jumped to another: qsort -> __qsort_r) are "T" lines
# on both sides, compared and counted.
# Prints the counts and exits non-zero on any mismatch.
#
# Usage: spec/libc_oracle/run.sh [DRIVER]   (LUA_PATH/LUA_CPATH as make test)
set -u
cd "$(dirname "$0")/../.." || exit 2
here=spec/libc_oracle
driver=${1:-build/debuginfo_oracle/driver}
fixtures=$(realpath "${SNARE_FIXTURES:-build/fixtures}")
libc=$(realpath "$(gcc -print-file-name=libc.so.6)")
id=$(readelf -n "$libc" | awk '/Build ID/ { print $3 }')
if [ ! -r "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ]; then
  echo "libc oracle: no debug file for $libc (install libc6-dbg)"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mismatches=0 lines=0 breaks=0 frames=0 steps=0 tailcalls=0

# differ WHAT GDB SNARE: counts the lines that differ, showing them.
differ() {
  local bad
  bad=$(diff "$2" "$3" | grep -c '^[<>]')
  if [ "$bad" -ne 0 ]; then
    echo "== $1: gdb (<) vs snare (>)"
    diff "$2" "$3"
  fi
  mismatches=$((mismatches + bad))
}

normalise_gdb() {
  sed -nE \
    -e 's/^Line ([0-9]+) of "[^"]*" starts at address (0x[0-9a-f]+) .* and ends at (0x[0-9a-f]+).*/\1 code \2 \3/p' \
    -e 's/^Line ([0-9]+) of "[^"]*" is at address (0x[0-9a-f]+) .*but contains no code.*/\1 nocode \2/p' \
    -e 's/^Line number ([0-9]+) is out of range.*/\1 none/p'
}

last=500
for name in getenv.c msort.c setenv.c; do
  args=()
  for ((n = 1; n <= last; n++)); do args+=(-ex "info line $name:$n"); done
  gdb -nx -batch "${args[@]}" "$libc" 2>&1 | normalise_gdb >"$work/gdb"
  "$driver" "$libc" "$name" 1 "$last" >"$work/snare" || exit 2
  lines=$((lines + $(wc -l <"$work/gdb")))
  differ "info line $name" "$work/gdb" "$work/snare"

  "$driver" -b "$libc" "$name" 1 "$last" >"$work/snare" || exit 2
  ORACLE_FILE=$name ORACLE_FIRST=1 ORACLE_LAST=$last \
    gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$libc" 2>/dev/null |
    grep -E '^[0-9]+ break ' >"$work/gdb_all"
  # only the lines snare says have code (gdb moves the others)
  awk 'NR==FNR { want[$1]; next } $1 in want' "$work/snare" "$work/gdb_all" \
    >"$work/gdb"
  breaks=$((breaks + $(wc -l <"$work/snare")))
  differ "break $name:LINE" "$work/gdb" "$work/snare"
done

# By name as a session sets them: DWARF names and the ELF aliases
# (strtol is __strtol's).
funcs="getenv secure_getenv strtol qsort strtok_r setenv unsetenv"
# shellcheck disable=SC2086
lua5.4 "$here/snare_libc.lua" "$libc" break 0 $funcs >"$work/snare" 2>&1
ORACLE_FILE=getenv.c ORACLE_FIRST=1 ORACLE_LAST=0 ORACLE_FUNCS="$funcs" \
  gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$libc" 2>/dev/null |
  grep -E '^[A-Za-z_][A-Za-z0-9_]* func ' >"$work/gdb"
breaks=$((breaks + $(wc -l <"$work/snare")))
differ "break FUNCTION" "$work/gdb" "$work/snare"

printf '%s\n' 'int libc_calls_sort(int); int libc_calls_env(void);' \
  'long libc_calls_parse(const char *);' \
  'int main(void) { libc_calls_env(); libc_calls_parse("42");' \
  '  return libc_calls_sort(8) & 0; }' >"$work/main.c"
mark() { grep -n "MARK: $1" spec/fixtures/libc_calls.c | cut -d: -f1; }

# run LEVEL MODE MARK [COUNT]: one gdb/snare comparison at a mark.
run() {
  local lib=$fixtures/$1/liblibc_calls.so line
  line=$(mark "$3")
  gcc -g -O0 -o "$work/prog" "$work/main.c" "$lib" \
    -Wl,-rpath,"$fixtures/$1" || exit 2
  ORACLE_MODE=$2 ORACLE_LINE=$line ORACLE_COUNT=${4:-0} \
    gdb -nx -batch -x "$here/gdb_libc.py" "$work/prog" 2>/dev/null |
    grep -E '^[FTS] ' >"$work/gdb"
  tailcalls=$((tailcalls + $(grep -c '^T ' "$work/gdb")))
  lua5.4 "$here/snare_libc.lua" "$lib" "$2" "$line" "${4:-0}" \
    >"$work/snare" 2>&1
  if [ "$2" = bt ]; then
    frames=$((frames + $(wc -l <"$work/gdb")))
  else
    steps=$((steps + $(wc -l <"$work/gdb")))
  fi
  differ "$1 $2 at libc_calls.c:$line" "$work/gdb" "$work/snare"
}
run O0 bt compare
run O2 bt compare
run O0 step getenv 3
run O0 step strtol 30

echo "libc oracle: $lines lines, $breaks breakpoints, $frames frames," \
  "$steps steps compared ($tailcalls of the frames tail-call frames)," \
  "$mismatches mismatches"
[ "$mismatches" -eq 0 ]
