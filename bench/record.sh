#!/usr/bin/env bash
# record.sh - `snare record` against `uftrace record`, in one run:
#
#  1. the overhead per call of a tiny function (bench/hookloop.c: the
#     program built -g for snare, -pg for uftrace), as the slope between
#     two loop lengths, minimum of REPEAT runs;
#  2. whole corpus programs at gcc -O2 (bzip2, xz, pcre2grep on the
#     input of bench/corpus.sh): the wall time over the plain run,
#     min/median/max of RUNS runs, unpinned and pinned to CPU 0 (the
#     tools' writer threads then share that CPU with the program);
#  3. the recordings' bytes per event on disk (the threads' data files
#     over two events a call), and the events snare lost (0 expected:
#     --lossless, the default).
#
# uftrace records with --no-libcall: snare records the program's own
# functions, not its calls into libraries. Goal: snare <= 1.0x uftrace.
# RECORD_PROGRAMS picks the whole programs (default "bzip2 xz pcre2grep").
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
N1=${RECORD_N1:-200000} N2=${RECORD_N2:-2000000}
bin=build/corpus/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cflags=(-std=c11 -Wall -Wextra -Werror -g -O2)
"$CC" "${cflags[@]}" -DHOOKLOOP_MAIN bench/hookloop.c -o "$out/hookloop"
"$CC" "${cflags[@]}" -DHOOKLOOP_MAIN -pg bench/hookloop.c -o "$out/hookloop_pg"

# The calls a recording holds: snare's report counts, or uftrace's.
snare_calls() {
  bin/snare report -f counts -d "$1" | awk '{ n += $1 } END { print n + 0 }'
}
uftrace_calls() {
  uftrace report --no-pager -d "$1" -f call 2>/dev/null |
    awk '$NF !~ /linux:/ && $1 ~ /^[0-9]+$/ { n += $1 } END { print n + 0 }'
}
data_bytes() { cat "$1"/*.dat | wc -c; }

loop_variant() {
  case $1 in
    plain) "$out/hookloop" "$2" ;;
    snare) bin/snare record -d "$work/loop.snare" -- "$out/hookloop" "$2" ;;
    uftrace) uftrace record --no-pager --no-libcall -d "$work/loop.uftrace" \
      "$out/hookloop_pg" "$2" ;;
  esac
}

echo "record: overhead per call of bench_hot, N = $N1 and $N2 (slope, best of $REPEAT)"
plain=$(growth_ns loop_variant plain "$N1" "$N2")
snare=$(growth_ns loop_variant snare "$N1" "$N2")
uftrace=$(growth_ns loop_variant uftrace "$N1" "$N2")
snare_ns=$(per_hit_ns "$snare" "$plain" "$N1" "$N2")
uftrace_ns=$(per_hit_ns "$uftrace" "$plain" "$N1" "$N2")
printf '  %-24s %8s ns/call\n' "uftrace record" "$uftrace_ns" "snare record" "$snare_ns"
awk -v s="$snare_ns" -v u="$uftrace_ns" \
  'BEGIN { printf "  snare/uftrace %.2fx (goal <= 1.0x)\n", s / u }'
# The loop's recordings, at N2, for bytes per event.
sb=$(data_bytes "$work/loop.snare") sc=$(snare_calls "$work/loop.snare")
ub=$(data_bytes "$work/loop.uftrace") uc=$(uftrace_calls "$work/loop.uftrace")
awk -v sb="$sb" -v sc="$sc" -v ub="$ub" -v uc="$uc" 'BEGIN {
  printf "  disk: snare %.2f bytes/event (%d calls), uftrace %.2f (%d calls)\n",
         sb / (2 * sc), sc, ub / (2 * uc), uc }'

[[ -x $bin/gcc-O2/bzip2 ]] || {
  echo "record: the corpus is not built, whole programs skipped (make corpus)"
  exit 0
}
awk 'BEGIN { srand(11); for (i = 1; i <= 150000; i++)
               printf "%d %d %s lorem ipsum %s\n", i, int(rand() * 1e6),
                      (rand() < 0.5 ? "alpha beta" : "gamma"),
                      (i % 7 ? "sit" : "amet Lorem") }' >"$work/text"
read -ra programs <<<"${RECORD_PROGRAMS:-bzip2 xz pcre2grep}"
args_of() {
  case $1 in
    bzip2 | xz) echo "-c $work/text" ;;
    pcre2grep) echo "-c -i (beta|gamma)\\s+lorem\\s+[a-z]+\\s+(sit|amet) $work/text" ;;
  esac
}

# run_once PIN TOOL PROGRAM: the wall time in ns of one run.
run_once() {
  local pin=$1 tool=$2 program=$3 t0 t1 args prefix=()
  read -ra args <<<"$(args_of "$program")"
  [[ $pin == pinned ]] && prefix=(taskset -c 0)
  # (only this tool's: the counts below read both tools' last recordings)
  [[ $tool == plain ]] || rm -rf "${work:?}/$program.$tool"
  t0=$(date +%s%N)
  case $tool in
    plain) "${prefix[@]}" "$bin/gcc-O2/$program" "${args[@]}" >/dev/null ;;
    uftrace) "${prefix[@]}" uftrace record --no-pager --no-libcall \
      -d "$work/$program.uftrace" "$bin/gcc-O2/$program.pg" "${args[@]}" >/dev/null ;;
    snare) "${prefix[@]}" bin/snare record -d "$work/$program.snare" -- \
      "$bin/gcc-O2/$program" "${args[@]}" >/dev/null ;;
  esac
  t1=$(date +%s%N)
  echo $((t1 - t0))
}

# min/median/max of RUNS (tool minus plain) overheads, in ms.
overheads() {
  local pin=$1 tool=$2 program=$3 i plain with figures=()
  for ((i = 0; i < RUNS; i++)); do
    plain=$(run_once "$pin" plain "$program")
    with=$(run_once "$pin" "$tool" "$program")
    figures+=("$(awk -v a="$with" -v b="$plain" 'BEGIN { printf "%.1f", (a - b) / 1e6 }')")
  done
  printf '%s\n' "${figures[@]}" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo
echo "record: whole programs at gcc -O2, ms over the plain run"
echo "(min median max of $RUNS runs; uftrace records the -pg build)"
printf '%-10s %-9s %-24s %-24s %s\n' program cpu "uftrace record" "snare record" "snare/uftrace (median)"
for program in "${programs[@]}"; do
  for pin in unpinned pinned; do
    u=$(overheads "$pin" uftrace "$program")
    s=$(overheads "$pin" snare "$program")
    ratio=$(awk -v u="$u" -v s="$s" 'BEGIN { split(u, a, " "); split(s, b, " ");
      if (a[2] <= 0) print "n/a"; else printf "%.2fx", b[2] / a[2] }')
    printf '%-10s %-9s %-24s %-24s %s\n' "$program" "$pin" "$u" "$s" "$ratio"
  done
  sc=$(snare_calls "$work/$program.snare") uc=$(uftrace_calls "$work/$program.uftrace")
  sb=$(data_bytes "$work/$program.snare") ub=$(data_bytes "$work/$program.uftrace")
  lost=$(awk '$1 == "lost" { print $2 }' "$work/$program.snare/info.txt")
  awk -v sb="$sb" -v sc="$sc" -v ub="$ub" -v uc="$uc" -v lost="$lost" 'BEGIN {
    printf "  %d calls (uftrace %d); disk: snare %.2f bytes/event, uftrace %.2f; snare lost %d\n",
           sc, uc, sb / (2 * sc), ub / (2 * uc), lost }'
done
