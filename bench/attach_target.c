/* attach_target GOFILE N - the running program of bench/attach.sh: waits
   (polling every millisecond) until GOFILE exists, the signal that a
   debugger attached to it has set its breakpoint; then times loop(N)
   (benchloop.c: N calls of visit_step) and prints "ns T". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int loop(int n);

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  struct timespec ms = {0, 1000000};
  while (access(argv[1], F_OK) != 0)
    nanosleep(&ms, NULL);
  long long start = now_ns();
  loop(atoi(argv[2]));
  printf("ns %lld\n", now_ns() - start);
  return 0;
}
