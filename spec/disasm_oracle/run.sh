#!/bin/sh
# run.sh - snare's text of every instruction objdump 2.40 disassembles,
# compared with objdump's, in both flavors (AT&T and Intel): by default
# the corpus programs (build/corpus/bin/*/*, every compiler setting; a
# minute), libc.so.6 (AVX2 and AVX-512 string functions) and libm.so.6
# (x87); or the objects named (`run.sh DRIVER /usr/bin/*`: 20 minutes).
# Prints the objects that differ with their first differing lines, then
#   FIGURE disassembly vs objdump FLAVOR: N instructions in K objects, M differ
# and exits 1 if any differ.
# Usage: spec/disasm_oracle/run.sh DRIVER [OBJECT...]
set -u
driver=${1:?usage: run.sh DRIVER [OBJECT...]}
shift
if [ $# -eq 0 ]; then
  libraries=$(ldconfig -p |
    awk '/lib[cm]\.so\.6 .*x86-64/ { print $NF }' | sort -u)
  # shellcheck disable=SC2086 # paths without blanks, one a word
  set -- build/corpus/bin/*/* $libraries
fi
status=0
for flavor in att intel; do
  options=
  [ "$flavor" = intel ] && options="-M intel"
  compared=0 differ=0 objects=0 seen=" "
  for named in "$@"; do
    # each file once, by its real name (/usr/bin has links to programs)
    object=$(readlink -f "$named") || continue
    case $seen in *" $object "*) continue ;; esac
    seen="$seen$object "
    if [ ! -f "$object" ]; then continue; fi
    head -c 4 "$object" 2>/dev/null | grep -q 'ELF' || continue
    # shellcheck disable=SC2086 # options is two words or none
    result=$(objdump -d -w --insn-width=15 $options "$object" 2>/dev/null |
               "$driver" "$flavor" -n 3)
    summary=$(printf '%s\n' "$result" | tail -n 1)
    n=$(echo "$summary" | awk '{ print $2 }')
    m=$(echo "$summary" | awk '{ print $4 }')
    [ "${n:-0}" -gt 0 ] || continue
    objects=$((objects + 1))
    compared=$((compared + n))
    differ=$((differ + m))
    if [ "$m" -gt 0 ]; then
      echo "$object ($flavor): $summary"
      printf '%s\n' "$result" | sed '$d'
    fi
  done
  echo "FIGURE disassembly vs objdump $flavor: $compared instructions in" \
       "$objects objects, $differ differ"
  [ "$differ" -eq 0 ] || status=1
done
exit $status
