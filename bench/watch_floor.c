/*
 * watch_floor.c - the floor for any watchpoint hit, in-process or not:
 * one write to memory a debug register watches (a perf breakpoint event
 * with sigtrap, as snare arms it), delivered to a SIGTRAP handler that
 * does nothing and returns. The debug exception is in every debugger's
 * cost (gdb's adds the ptrace stop).
 *
 * Usage: watch_floor N. Prints the nanoseconds per hit: the time of N
 * watched writes minus N writes to an unwatched word.
 */
#define _GNU_SOURCE
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile long watched, unwatched;

static void on_trap(int sig, siginfo_t *info, void *context)
{
  (void)sig;
  (void)info;
  (void)context;
}

static long long now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long run(long n, volatile long *target)
{
  long long start = now_ns();
  for (long i = 0; i < n; i++)
    *target = i + 1;
  return now_ns() - start;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 100000;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_trap;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGTRAP, &action, NULL);
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_BREAKPOINT;
  attr.size = sizeof attr;
  attr.bp_type = HW_BREAKPOINT_W;
  attr.bp_addr = (unsigned long)&watched;
  attr.bp_len = sizeof watched;
  attr.sample_period = 1;
  attr.sigtrap = 1;
  attr.remove_on_exec = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  if (syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0) < 0) {
    perror("watch_floor: perf_event_open");
    return 1;
  }
  long long with = run(n, &watched), without = run(n, &unwatched);
  printf("%.0f\n", (double)(with - without) / (double)n);
  return 0;
}
