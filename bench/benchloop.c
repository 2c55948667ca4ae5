/*
 * benchloop.c - the workload every breakpoint benchmark measures.
 *
 * loop(n) calls visit_step(i) n times; a breakpoint on visit_step() is hit
 * exactly n times. Built as libbenchloop.so for snare and linked into
 * loop_target for gdb, so both debuggers trap the very same code.
 */

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
