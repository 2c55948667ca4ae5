/*
 * cycle_clock.c - a cheaper clock for recordings: the time-stamp counter
 * read directly and scaled to nanoseconds by a factor measured against
 * CLOCK_MONOTONIC when recording starts, where the kernel's clock source
 * is the TSC (so the kernel found it invariant and synchronised across
 * CPUs). Reading it is one rdtsc and a multiply, where clock_gettime in
 * a virtual machine costs several times that; recordings pay it twice a
 * call. It may drift from CLOCK_MONOTONIC by the kernel's frequency
 * corrections (parts per million): only durations and order within a
 * recording use it. Runs between a hooked function and its caller
 * (general registers only).
 */
#include "internal/general_regs_only.h"

#include <stdio.h>
#include <string.h>

#include "internal/os.h"

#define CALIBRATION_NS 2000000u /* the span the factor is measured over */
#define PAIR_CYCLES 20000u      /* a pair of reads taken this close */
#define PAIR_TRIES 64           /* brackets tried for each pair */
#define SHIFT 24

static uint64_t cycle_mult; /* ns << SHIFT per cycle; 0: not usable */
static uint64_t cycle_offset;

static inline uint64_t cycles(void) {
  uint32_t low, high;
  __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
  return (uint64_t)high << 32 | low;
}

static bool clock_source_is_tsc(void) {
  FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/"
                  "current_clocksource", "re");
  char name[32] = "";
  if (f == NULL)
    return false;
  bool read = fgets(name, sizeof name, f) != NULL;
  fclose(f);
  return read && strcmp(name, "tsc\n") == 0;
}

/* A monotonic time and the counter at the same moment: the read of the
   tightest of PAIR_TRIES brackets of two counter reads (the factor's
   error is the brackets' widths over CALIBRATION_NS: a preemption inside
   one, frequent on a loaded machine, made it 0.1-0.4%); none closer than
   PAIR_CYCLES fails. */
static bool pair(uint64_t *count, uint64_t *ns) {
  uint64_t best = PAIR_CYCLES;
  for (int tries = 0; tries < PAIR_TRIES; tries++) {
    uint64_t before = cycles();
    uint64_t now = snare_os_now_ns();
    uint64_t after = cycles();
    if (after - before < best) {
      best = after - before;
      *count = before + (after - before) / 2;
      *ns = now;
    }
  }
  return best < PAIR_CYCLES;
}

void snare_os_cycle_clock_start(void) {
  if (cycle_mult != 0 || !clock_source_is_tsc())
    return;
  uint64_t c0, n0, c1, n1;
  if (!pair(&c0, &n0))
    return;
  do {
    if (!pair(&c1, &n1))
      return;
  } while (n1 - n0 < CALIBRATION_NS);
  if (c1 <= c0)
    return;
  uint64_t mult = (uint64_t)(((unsigned __int128)(n1 - n0) << SHIFT) /
                             (c1 - c0));
  cycle_offset = n1 - (uint64_t)(((unsigned __int128)c1 * mult) >> SHIFT);
  cycle_mult = mult;
}

uint64_t snare_os_cycle_now_ns(void) {
  if (cycle_mult == 0)
    return snare_os_now_ns();
  return (uint64_t)(((unsigned __int128)cycles() * cycle_mult) >> SHIFT) +
         cycle_offset;
}
