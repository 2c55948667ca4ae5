#!/usr/bin/env bash
# run.sh - C++ function names against gdb: `break NAME` locations (one
# per overload, template instance and inlined copy) for names qualified,
# partly qualified, unqualified, with ABI tags left out and mangled, on
# the overloads fixture (-O0, -O2) and on the corpus's jsoncpp_test
# (gcc -O0, -O2, clang -O2). Exits non-zero on a mismatch.
#
# Usage: spec/cxx_names_oracle/run.sh [DRIVER]
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$PWD
driver=${1:-build/debuginfo_oracle/driver}
fixtures=${SNARE_FIXTURES:-build/fixtures}
. spec/corpus_oracle/programs.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
compared=0 mismatches=0

# compare OBJECT NAME...: gdb's and snare's locations of each name.
compare() {
  local obj=$1
  shift
  ORACLE_FILE=none.c ORACLE_FIRST=1 ORACLE_LAST=0 ORACLE_FUNCS="$*" \
    gdb -nx -batch -x spec/debuginfo_oracle/breaks.py "$obj" 2>/dev/null |
    grep -E ' func ' >"$work/gdb"
  "$driver" -f "$obj" "$@" >"$work/snare" || exit 2
  local bad
  bad=$(diff "$work/gdb" "$work/snare" | grep -c '^[<>]')
  if [ "$bad" -ne 0 ]; then
    echo "== $obj: gdb (<) vs snare (>)"
    diff "$work/gdb" "$work/snare"
  fi
  compared=$((compared + $(wc -l <"$work/gdb")))
  mismatches=$((mismatches + bad))
}

for level in O0 O2; do
  compare "$fixtures/$level/liboverloads.so" ns::K::get K::get get \
    ns::twice twice ns::sum sum 'ns::sum<int>' ns::K::make ns::K::label \
    label overloads_entry _ZNK2ns1K3getEv _ZN2ns5twiceEd
done
# The corpus builds jsoncpp at these settings only.
for setting in gcc-O0 gcc-O2 clang-O2; do
  bin=$(corpus_oracle_bin "$root" "$setting") || exit 2
  compare "$bin/jsoncpp_test" Json::Value::isMember Json::Value::get \
    Json::Value::asString asString Json::Value::resize Json::Reader::parse \
    Json::Value::Value Json::Value::removeMember Json::Value::append \
    Json::Value::compare Json::valueToString valueToString \
    Json::Value::asInt Value::get isMember Json::Value::~Value
done
echo "C++ names oracle: $compared names compared (break NAME, every" \
  "location), $mismatches mismatches"
[ "$mismatches" -eq 0 ]
