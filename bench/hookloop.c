/*
 * hookloop.c - the workload of the hook benchmark: hot_loop(n) makes n
 * calls of a tiny function. Built three ways by bench/hooks.sh: plain (the
 * uninstrumented baseline), with -pg for uftrace, and as a shared object
 * for snare, which needs no recompilation.
 */
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) int bench_hot(int i) { return sink += i; }

int hot_loop(int n) {
  for (int i = 0; i < n; i++)
    bench_hot(i);
  return sink;
}

#ifdef HOOKLOOP_MAIN
int main(int argc, char **argv) {
  hot_loop(argc > 1 ? atoi(argv[1]) : 1000);
  return 0;
}
#endif
