/* install_cost.c - what installing and removing one function hook costs:
   hooks every function f0..fN-1 of the library named on the command
   line (timing hooks, so exits are redirected too), then removes them,
   with THREADS idle threads in the process (each hook's jump is written
   with the other threads stopped). Prints microseconds per hook. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "snare.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *idle(void *arg) {
  (void)arg;
  for (;;)
    pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  int n = atoi(argv[2]), threads = atoi(argv[3]);
  for (int i = 0; i < threads; i++) {
    pthread_t thread;
    pthread_create(&thread, NULL, idle, NULL);
  }
  snare_library *library;
  if (snare_library_open(argv[1], &library) != SNARE_OK)
    return 1;
  uint64_t *functions = calloc((size_t)n, sizeof *functions);
  int *ids = calloc((size_t)n, sizeof *ids);
  for (int i = 0; i < n; i++) {
    char name[32];
    snare_symbol sym;
    snprintf(name, sizeof name, "f%d", i);
    if (snare_library_symbol(library, name, &sym) != SNARE_OK)
      return 1;
    functions[i] = sym.address;
  }
  snare_hook_options timed = {.time = true};
  double t0 = now_s();
  for (int i = 0; i < n; i++)
    if (snare_hook_function(functions[i], &timed, &ids[i]) != SNARE_OK)
      return 1;
  double t1 = now_s();
  for (int i = 0; i < n; i++)
    snare_hook_remove(ids[i]);
  double t2 = now_s();
  printf("%d threads: install %.1f us, remove %.1f us per hook\n", threads,
         (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6);
  return 0;
}
