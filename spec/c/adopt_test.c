/* adopt_test.c - snare_thread_adopt: a running thread attached from
   another (snare attach's controller adopts the program's threads). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

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
  cr_assert_eq(snare_thread_adopt(session, (uintptr_t)thread, 0, 0, &id),
               SNARE_OK);
  cr_assert_gt(id, 0);
  int again;
  cr_assert_eq(snare_thread_adopt(session, (uintptr_t)thread, 0, 0, &again),
               SNARE_EXISTS);
  cr_assert_eq(snare_thread_adopt(session, 0, 0, 0, &again),
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

static volatile long watched;
static atomic_int writer_tid;

static void *writer(void *unused) {
  (void)unused;
  atomic_store(&writer_tid, (int)gettid());
  while (atomic_load(&phase) == 0) {
    watched++;
    sched_yield();
  }
  return NULL;
}

Test(adopt, an_adopted_thread_gets_the_session_watchpoints, .timeout = 60) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  atomic_store(&phase, 0);
  atomic_store(&writer_tid, 0);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, writer, NULL), 0);
  while (atomic_load(&writer_tid) == 0)
    sched_yield();
  int id = 0;
  cr_assert_eq(snare_thread_adopt(session, (uintptr_t)thread, 0,
                                  atomic_load(&writer_tid), &id),
               SNARE_OK);
  snare_event ev = next_event();
  cr_assert_eq(ev.type, SNARE_EVENT_ATTACH);
  snare_event_free(&ev);
  snare_watchpoint_options opts = {.kind = SNARE_WATCH_WRITE};
  int wp;
  cr_assert_eq(snare_watchpoint_set(session, (uint64_t)(uintptr_t)&watched,
                                    sizeof watched, &opts, &wp),
               SNARE_OK, "%s", snare_watchpoint_error());
  ev = next_event(); /* the adopted thread's next write stops it */
  cr_assert_eq(ev.type, SNARE_EVENT_WATCHPOINT);
  cr_assert_eq(ev.thread, id);
  cr_assert_eq(ev.watchpoint, wp);
  cr_assert_gt(ev.new_value, ev.old_value); /* it wrote, and counts on */
  snare_event_free(&ev);
  cr_assert_eq(snare_watchpoint_clear(session, wp), SNARE_OK);
  cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL),
               SNARE_OK);
  atomic_store(&phase, 1);
  pthread_join(thread, NULL);
  snare_session_free(session);
}
