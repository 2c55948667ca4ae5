/*
 * benchloop.c - the workload every breakpoint benchmark measures.
 *
 * loop(n) calls visit_step(i) n times; a breakpoint on visit_step() is hit exactly n
 * times. Built as libbenchloop.so for snare and linked into loop_target
 * for gdb, so both debuggers trap the very same code.
 */

/* Not named step(): glibc exports a step() (regexp.h) that the PLT call
   would bind to. volatile so that no optimisation level can fold the calls away */
static volatile int sink;

__attribute__((noinline)) void visit_step(int i) { sink = i; }

int loop(int n) {
  for (int i = 0; i < n; i++)
    visit_step(i);
  return sink;
}
