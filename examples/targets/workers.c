/* workers.c - the example library whose threads attach themselves to a
   snare session (libjit's debugger model), for examples/threads.lua. It
   calls snare's C API, which the process that loads it already has (the
   Lua module exports it). */
#include <pthread.h>

#include "snare.h"

#define WORKERS_API __attribute__((noinline, visibility("default")))
#define MAX_WORKERS 4

typedef struct worker {
  pthread_t handle;
  snare_session *session;
  int rounds;
  long total;
} worker;

static worker workers[MAX_WORKERS];
static int started;

/* One unit of work: where the example puts its breakpoint. */
WORKERS_API long work_item(int round)
{
  return (long)round * round;
}

static void *run(void *raw)
{
  worker *w = raw;
  int id;
  /* Attach without stopping: the thread is visible to the session, its
     breakpoint hits become events, and it runs until one fires. */
  if (snare_thread_attach(w->session, false, &id) != SNARE_OK)
    return NULL;
  for (int round = 1; round <= w->rounds; round++)
    w->total += work_item(round);
  snare_thread_detach(w->session);
  return NULL;
}

/* Starts n threads that attach to session (a snare_session *, from Lua
   s:handle()) and each do work_item(1..rounds); returns how many started. */
WORKERS_API int start_workers(int n, void *session, int rounds)
{
  if (n > MAX_WORKERS)
    n = MAX_WORKERS;
  for (started = 0; started < n; started++) {
    workers[started] = (worker){.session = session, .rounds = rounds};
    if (pthread_create(&workers[started].handle, NULL, run,
                       &workers[started]) != 0)
      break;
  }
  return started;
}

/* Joins the threads; returns the sum of their totals. */
WORKERS_API long join_workers(void)
{
  long sum = 0;
  for (int i = 0; i < started; i++) {
    pthread_join(workers[i].handle, NULL);
    sum += workers[i].total;
  }
  started = 0;
  return sum;
}
