/*
 * loop_target.c - a program for gdb to run: loop_target N calls
 * loop(N) from benchloop.c, so `break visit_step` is hit N times, and
 * prints "loop_ns T", the loop's own wall time (timed_loop).
 */
#include <stdio.h>
#include <stdlib.h>

long long timed_loop(int n);

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  printf("loop_ns %lld\n", timed_loop(n));
  return 0;
}
