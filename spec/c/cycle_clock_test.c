/* cycle_clock_test.c - the recordings' clock (os/linux/cycle_clock.c)
   runs at the monotonic clock's rate (within 0.1%: the kernel scales
   the two apart by its frequency corrections) and never goes back.
   Reads of one clock bracket the other's, so the comparisons hold
   however the test is scheduled. */
#include <criterion/criterion.h>
#include <time.h>

#include "internal/os.h"

Test(cycle_clock, runs_at_the_monotonic_rate) {
  snare_os_cycle_clock_start();
  uint64_t c0 = snare_os_cycle_now_ns();
  uint64_t m0 = snare_os_now_ns();
  uint64_t c1 = snare_os_cycle_now_ns();
  struct timespec nap = {0, 50 * 1000 * 1000};
  nanosleep(&nap, NULL);
  uint64_t c2 = snare_os_cycle_now_ns();
  uint64_t m1 = snare_os_now_ns();
  uint64_t c3 = snare_os_cycle_now_ns();
  uint64_t mono = m1 - m0;
  cr_assert_geq(mono, 50u * 1000 * 1000);
  cr_assert_leq(c2 - c1, mono + mono / 1000);
  cr_assert_geq(c3 - c0, mono - mono / 1000);
  uint64_t last = snare_os_cycle_now_ns();
  for (int i = 0; i < 100000; i++) {
    uint64_t now = snare_os_cycle_now_ns();
    cr_assert_geq(now, last);
    last = now;
  }
}
