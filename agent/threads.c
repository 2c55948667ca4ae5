/*
 * threads.c - every thread the program creates is attached to the
 * session, so its calls are its own and its faults are reported as the
 * main thread's are; it detaches when it ends (returning, pthread_exit,
 * cancellation).
 *
 * The agent also keeps the count of the program's threads that glibc
 * keeps for itself: glibc ends the process when its last thread ends,
 * after main called pthread_exit, but the controller thread is one of
 * glibc's too and never ends. So the agent ends the process (exit(0),
 * as glibc does) when the last of the program's own threads ends.
 */
#include <stdlib.h>

#include "agent.h"

typedef struct thread_start {
  void *(*routine)(void *);
  void *arg;
  sigset_t blocked; /* agent_blocked_by_program() of its creator */
} thread_start;

static atomic_int live_threads = 1; /* the main thread */
static atomic_bool main_ended;
static _Thread_local bool attached;

/* A cancellation must not end the thread inside snare (holding its
   locks), nor before the program's routine has run at all. */
static void attach_self(void) {
  if (atomic_load(&the_agent.child) || agent_current_state() != RUNNING)
    return;
  snare_status (*attach)(snare_session *, bool, int *) =
      (snare_status(*)(snare_session *, bool, int *))agent_snare_function(
          "snare_thread_attach");
  int id, cancel_state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  attached = attach(the_agent.session, false, &id) == SNARE_OK;
  pthread_setcancelstate(cancel_state, NULL);
}

static void detach_self(void) {
  if (!attached)
    return;
  attached = false;
  snare_status (*detach)(snare_session *) =
      (snare_status(*)(snare_session *))agent_snare_function(
          "snare_thread_detach");
  int cancel_state;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
  detach(the_agent.session);
  pthread_setcancelstate(cancel_state, NULL);
}

/* One of the program's threads ends; the last one after main ends the
   process. A fork's child has glibc's own count back. */
static void thread_ended(void) {
  detach_self();
  if (atomic_fetch_sub(&live_threads, 1) == 1 && atomic_load(&main_ended) &&
      !atomic_load(&the_agent.child))
    exit(0);
}

static void thread_cleanup(void *unused) {
  (void)unused;
  thread_ended();
}

static void *thread_main(void *raw) {
  thread_start start = *(thread_start *)raw;
  free(raw);
  agent_inherit_blocked(&start.blocked);
  attach_self();
  void *result;
  pthread_cleanup_push(thread_cleanup, NULL);
  result = start.routine(start.arg);
  pthread_cleanup_pop(1);
  return result;
}

AGENT_INTERPOSE int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*routine)(void *), void *arg) {
  agent_real_resolve();
  if (the_agent.script == NULL || agent_own_thread)
    return real.pthread_create(thread, attr, routine, arg);
  thread_start *start = malloc(sizeof *start);
  if (start == NULL)
    return real.pthread_create(thread, attr, routine, arg);
  *start = (thread_start){routine, arg, agent_blocked_by_program()};
  atomic_fetch_add(&live_threads, 1);
  int status = real.pthread_create(thread, attr, thread_main, start);
  if (status != 0) {
    atomic_fetch_sub(&live_threads, 1);
    free(start);
  }
  return status;
}

AGENT_INTERPOSE void pthread_exit(void *value) {
  agent_real_resolve();
  if (the_agent.script != NULL) {
    /* glibc unwinds pthread_exit through a libgcc_s it loads itself,
       whose _Unwind_ForcedUnwind no preloaded definition replaces: the
       hooked frames show their real returns before it walks them. */
    void (*reveal)(uint64_t) = (void (*)(uint64_t))agent_snare_function(
        "snare_hook_frames_reveal");
    reveal((uint64_t)(uintptr_t)__builtin_frame_address(0) + 8);
  }
  if (the_agent.script != NULL && !atomic_load(&the_agent.child) &&
      pthread_equal(pthread_self(), the_agent.main_thread)) {
    detach_self();
    atomic_store(&main_ended, true);
    if (atomic_fetch_sub(&live_threads, 1) == 1)
      exit(0);
  }
  real.pthread_exit(value);
  __builtin_unreachable();
}

void agent_threads_main_attached(void) { attached = true; }

void agent_threads_forked_child(void) { attached = false; }
