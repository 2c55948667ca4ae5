/*
 * cycle_clock.c - a cheaper clock for recordings: the time-stamp counter
 * read directly and scaled to nanoseconds with the kernel's own factors
 * (the perf_event page of a software event publishes them), where the
 * kernel's clock source is the TSC and it is invariant. Reading it is
 * one rdtsc and a multiply, where clock_gettime in a virtual machine
 * costs several times that; recordings pay it twice a call. Its zero
 * is arbitrary and it may drift from CLOCK_MONOTONIC by the kernel's
 * frequency corrections (parts per million): only durations and order
 * within a recording use it. Runs between a hooked function and its
 * caller (general registers only).
 */
#include "internal/general_regs_only.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/os.h"

static uint32_t cycle_mult;  /* 0: not usable, use snare_os_now_ns */
static uint16_t cycle_shift;

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

void snare_os_cycle_clock_start(void) {
  if (cycle_mult != 0 || !clock_source_is_tsc())
    return;
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_DUMMY;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd < 0)
    return;
  long page = sysconf(_SC_PAGESIZE);
  struct perf_event_mmap_page *info =
      mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, (int)fd, 0);
  close((int)fd);
  if (info == MAP_FAILED)
    return;
  if (info->cap_user_time && info->time_mult != 0) {
    cycle_shift = info->time_shift;
    cycle_mult = info->time_mult;
  }
  munmap(info, (size_t)page);
}

uint64_t snare_os_cycle_now_ns(void) {
  if (cycle_mult == 0)
    return snare_os_now_ns();
  uint32_t low, high;
  __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
  unsigned __int128 cycles = (uint64_t)high << 32 | low;
  return (uint64_t)((cycles * cycle_mult) >> cycle_shift);
}
