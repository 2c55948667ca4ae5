#!/usr/bin/env bash
# corpus.sh - snare on real programs of the corpus (tools/corpus): the
# whole-program profile overhead of `snare profile` against uftrace's
# `record` of the same program built with -pg, and how each corpus
# program's functions were hooked (jump, trap and why, none).
#
# Overhead: the wall time of a run under the tool minus the plain run of
# the program built without -pg, at gcc -O2, on the same input. Each row
# gives min/median/max of RUNS runs, unpinned and pinned to CPU 0. Both
# peers are checked to have done the work: uftrace's report must list the
# program's main, snare's counts must count main once and a hot function
# many times. The ratio row compares the medians: goal <= 1.0x uftrace.
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-5}
bin=build/corpus/bin
[[ -x $bin/gcc-O2/bzip2 ]] || {
  echo "corpus.sh: the corpus is not built (make corpus builds it)" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Inputs large enough that a run takes a good part of a second.
awk 'BEGIN { srand(11); for (i = 1; i <= 150000; i++)
               printf "%d %d %s lorem ipsum %s\n", i, int(rand() * 1e6),
                      (rand() < 0.5 ? "alpha beta" : "gamma"),
                      (i % 7 ? "sit" : "amet Lorem") }' >"$work/text"

# The programs, their hot function (counted many times when the tool
# really ran), and the arguments of one run.
programs=(bzip2 xz pcre2grep)
declare -A hot=([bzip2]=BZ2_compressBlock [xz]=lzma_code [pcre2grep]=pcre2_match_8)
args_of() {
  case $1 in
    bzip2 | xz) echo "-c $work/text" ;;
    pcre2grep) echo "-c -i (beta|gamma)\\s+lorem\\s+[a-z]+\\s+(sit|amet) $work/text" ;;
  esac
}

# run_once PIN TOOL PROGRAM: the wall time in ns of one run.
run_once() {
  local pin=$1 tool=$2 program=$3 t0 t1 args
  read -ra args <<<"$(args_of "$program")"
  local prefix=()
  [[ $pin == pinned ]] && prefix=(taskset -c 0)
  t0=$(date +%s%N)
  case $tool in
    plain) "${prefix[@]}" "$bin/gcc-O2/$program" "${args[@]}" >/dev/null ;;
    uftrace)
      "${prefix[@]}" uftrace record --no-pager -d "$work/uftrace.data" \
        "$bin/gcc-O2/$program.pg" "${args[@]}" >/dev/null ;;
    snare)
      "${prefix[@]}" bin/snare profile -f counts -o "$work/snare.counts" -- \
        "$bin/gcc-O2/$program" "${args[@]}" >/dev/null ;;
  esac
  t1=$(date +%s%N)
  echo $((t1 - t0))
}

# The peers did the work: main once, the hot function many times.
check_peers() {
  local program=$1 calls
  calls=$(awk -v f="${hot[$program]}" '$2 == f { print $1 }' "$work/snare.counts")
  if ! grep -qx "1 main" "$work/snare.counts" || [[ -z $calls || $calls -lt 2 ]]; then
    echo "corpus.sh: snare's profile of $program counted no work" >&2
    exit 1
  fi
  if ! uftrace report --no-pager -d "$work/uftrace.data" -s call -f call 2>/dev/null |
    grep -qw "${hot[$program]}"; then
    echo "corpus.sh: uftrace's record of $program has no ${hot[$program]}" >&2
    exit 1
  fi
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

# The mechanism line of snare's report: "hooked N functions: J jump, T trap ...".
mechanism() {
  local program=$1 args
  read -ra args <<<"$(args_of "$program")"
  bin/snare profile -o "$work/table" -- "$bin/gcc-O2/$program" "${args[@]}" >/dev/null
  head -n 1 "$work/table" | sed 's/^snare: //'
}

echo "corpus: whole-program profile overhead at gcc -O2, ms over the plain run"
echo "(min median max of $RUNS runs; uftrace records the -pg build)"
printf '%-10s %-9s %-22s %-22s %s\n' program cpu "uftrace record" "snare profile" "snare/uftrace (median)"
for program in "${programs[@]}"; do
  run_once unpinned uftrace "$program" >/dev/null
  run_once unpinned snare "$program" >/dev/null
  check_peers "$program"
  for pin in unpinned pinned; do
    u=$(overheads "$pin" uftrace "$program")
    s=$(overheads "$pin" snare "$program")
    ratio=$(awk -v u="${u#* }" -v s="${s#* }" 'BEGIN {
      split(u, a, " "); split(s, b, " ");
      if (a[1] <= 0) print "n/a"; else printf "%.2fx", b[1] / a[1] }')
    printf '%-10s %-9s %-22s %-22s %s\n' "$program" "$pin" "$u" "$s" "$ratio"
  done
  echo "  snare's mechanism: $(mechanism "$program")"
done

echo
echo "corpus: how each program's functions were hooked (snare profile's summary)"
printf '%-28s %-16s %s\n' program setting "hooked"
# shellcheck source=tools/corpus/settings
source tools/corpus/settings
for setting in "${corpus_settings[@]}"; do
  dir=$bin/$setting/
  for program in "$dir"*; do
    name=$(basename "$program")
    [[ $name == *.pg || ! -x $program ]] && continue
    bin/snare profile -o "$work/summary" -- "$program" --version \
      >/dev/null 2>&1 </dev/null || true
    printf '%-28s %-16s %s\n' "$name" "$setting" \
      "$(head -n 1 "$work/summary" 2>/dev/null | sed 's/^snare: hooked //')"
    rm -f "$work/summary"
  done
done | tee "$work/coverage"
awk '$2 == "gcc-O2" { split($0, p, "functions: "); n += $3; j += p[2] + 0 }
     END { if (n > 0) printf "gcc -O2: %d of %d functions by jump hook (%.1f%%; goal >= 98%%)\n", j, n, 100 * j / n }' \
  "$work/coverage"
