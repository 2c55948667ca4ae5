#!/usr/bin/env bash
# run.sh - every benchmark, each against its reference tool in the same
# run: conditional breakpoints against gdb (condbp.sh), hooks against
# uftrace, hook installation, whole corpus programs, DWARF against gdb,
# stepping against gdb and many breakpoints at once. A benchmark measures,
# it does not judge: the exit status is 0 unless a run failed or
# miscounted.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"

bash bench/condbp.sh
echo
bash bench/cond_expr.sh
echo
bash bench/hooks.sh
bash bench/hook_scaling.sh
echo
bash bench/install.sh
echo
if [[ -x build/corpus/bin/gcc-O2/bzip2 ]]; then
  bash bench/corpus.sh
else
  echo "corpus: not built, skipped (make corpus builds it)"
fi

echo
bash bench/record.sh

echo
bash bench/dwarf.sh
echo
bash bench/stepping.sh
echo
bash bench/watch.sh
echo
bash bench/breakpoints.sh
echo
bash bench/attach.sh
