/* adopt_test.c - snare_thread_adopt: a running thread attached from
   another (snare attach's controller adopts the program's threads). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "snare.h"

#define WAIT_MS 10000

static snare_session *session;
static atomic_int phase; /* 0 wait, 1 detach yourself, 2 detached */
static snare_status detached;

static void *adoptee(void *unused) {
  (void)unused;
  while (atomic_load(&phase) == 0)
    sched_yield();
  detached = snare_thread_detach(session);
  atomic_store(&phase, 2);
  return NULL;
}

static snare_event next_event(void) {
  snare_event ev;
  memset(&ev, 0, sizeof ev);
  cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
  return ev;
}

Test(adopt, a_running_thread_is_attached_from_another_then_detaches_itself,
     .timeout = 60) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  atomic_store(&phase, 0);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, adoptee, NULL), 0);
  int id = 0;
  cr_assert_eq(snare_thread_adopt(session, (uintptr_t)thread, 0, &id),
               SNARE_OK);
  cr_assert_gt(id, 0);
  int again;
  cr_assert_eq(snare_thread_adopt(session, (uintptr_t)thread, 0, &again),
               SNARE_EXISTS);
  cr_assert_eq(snare_thread_adopt(session, 0, 0, &again),
               SNARE_INVALID_ARGUMENT);
  snare_event ev = next_event();
  cr_assert_eq(ev.type, SNARE_EVENT_ATTACH);
  cr_assert_eq(ev.thread, id);
  snare_event_free(&ev);
  cr_assert_eq(snare_thread_from_native(session, (uintptr_t)thread), id);
  cr_assert(snare_thread_is_running(session, id)); /* not parked */
  atomic_store(&phase, 1);
  pthread_join(thread, NULL);
  cr_assert_eq(detached, SNARE_OK); /* it found its record by itself */
  ev = next_event();
  cr_assert_eq(ev.type, SNARE_EVENT_DETACH);
  cr_assert_eq(ev.thread, id);
  snare_event_free(&ev);
  cr_assert_not(snare_thread_is_alive(session, id));
  snare_session_free(session);
}
