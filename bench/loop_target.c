/*
 * loop_target.c - a program for gdb to run: loop_target N calls
 * loop(N) from benchloop.c, so `break visit_step` is hit N times.
 */
#include <stdlib.h>

int loop(int n);

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  loop(n);
  return 0;
}
