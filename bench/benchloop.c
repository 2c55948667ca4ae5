/*
 * benchloop.c - the workload every breakpoint benchmark measures.
 *
 * loop(n) calls visit_step(i) n times; a breakpoint on visit_step() is hit
 * exactly n times. Built as libbenchloop.so for snare and linked into
 * loop_target for gdb, so both debuggers trap the very same code.
 * timed_loop(n) is loop(n) timed by the program itself, so that a
 * benchmark compares the loop's own time under either debugger, without
 * the process start-up, symbol loading and debugger start around it.
 */
#define _POSIX_C_SOURCE 199309L
#include <time.h>

/* volatile so that no optimisation level can fold the calls away */
static volatile int sink;

/* Not named step(): glibc exports a step() (regexp.h), which is loaded
   first, so the PLT call from loop() would bind to it. */
__attribute__((noinline)) void visit_step(int i) { sink = i; }

int loop(int n) {
  for (int i = 0; i < n; i++)
    visit_step(i);
  return sink;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

long long timed_loop(int n) {
  long long start = now_ns();
  loop(n);
  return now_ns() - start;
}
