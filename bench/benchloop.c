/*
 * benchloop.c - the workload every breakpoint benchmark measures.
 *
 * loop(n) calls step(i) n times; a breakpoint on step() is hit exactly n
 * times. Built as libbenchloop.so for snare and linked into loop_target
 * for gdb, so both debuggers trap the very same code.
 */

/* volatile so that no optimisation level can fold the calls away */
static volatile int sink;

__attribute__((noinline)) void step(int i) { sink = i; }

int loop(int n) {
  for (int i = 0; i < n; i++)
    step(i);
  return sink;
}
