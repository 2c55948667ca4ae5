/*
 * bare_trap.c - the floor for any in-process breakpoint: the cost of one
 * int3 delivered to a SIGTRAP handler that does nothing and returns.
 *
 * Usage: bare_trap N. Prints the nanoseconds per trap: the time of N
 * iterations executing int3 minus N iterations without it.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* int3 reports RIP after itself, so returning resumes past the trap. */
static void on_trap(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)info;
  (void)context;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Wall time of n iterations, with or without a trap in each. */
static long long run(long n, bool trap) {
  long long start = now_ns();
  for (long i = 0; i < n; i++) {
    if (trap)
      __asm__ volatile("int3");
    else
      __asm__ volatile("" ::: "memory"); /* keep the empty loop */
  }
  return now_ns() - start;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  if (n <= 0) {
    fprintf(stderr, "usage: bare_trap N (N > 0)\n");
    return 2;
  }
  struct sigaction sa = {0};
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTRAP, &sa, NULL) != 0) {
    perror("sigaction");
    return 1;
  }
  long long with = run(n, true);
  long long without = run(n, false);
  printf("%.1f\n", (double)(with - without) / (double)n);
  return 0;
}
