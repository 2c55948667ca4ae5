/* probes.c - the example library with marks: SNARE_MARK sites and a
   <sys/sdt.h> (USDT) probe, as a JIT or a C program would place them;
   examples/marks.lua stops at them and hooks them. */
#include <sys/sdt.h>

#include "snare_mark.h"

#define PROBES_API __attribute__((noinline, visibility("default")))

/* Sums the first n squares. Marks the entry, each step (data1 7, data2
   the counter) and the exit; fires the USDT probe demo:square per step. */
PROBES_API long sum_squares(long n)
{
  long sum = 0;
  SNARE_MARK(SNARE_MARK_ENTER, n);
  for (long i = 1; i <= n; i++) {
    SNARE_MARK(7, i);
    sum += i * i;
    DTRACE_PROBE2(demo, square, i, sum);
  }
  SNARE_MARK(SNARE_MARK_LEAVE, sum);
  return sum;
}
