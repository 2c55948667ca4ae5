/* attach_target GOFILE N - the running program of bench/attach.sh: waits
   (polling every millisecond) until GOFILE exists, the signal that a
   debugger attached to it has set its breakpoint; then times loop(N)
   (benchloop.c's timed_loop: N calls of visit_step) and prints "ns T". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

long long timed_loop(int n);

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  struct timespec ms = {0, 1000000};
  while (access(argv[1], F_OK) != 0)
    nanosleep(&ms, NULL);
  printf("ns %lld\n", timed_loop(atoi(argv[2])));
  return 0;
}
