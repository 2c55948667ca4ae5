/*
 * detach_slot_test.c - threads going through a trap breakpoint's
 * out-of-line slot while the last session is freed: the slot's code
 * must still be there when they run it, however late (the slot pages
 * stay mapped for the process's life, lib/traps/sites.c). Two ways in:
 * threads of no session stepping over the displaced instruction, and
 * attached threads whose condition waits until the breakpoint is
 * cleared, all let go into the slot by the free itself. Each round
 * makes a session, sets the breakpoint and frees the session; a thread
 * that ran an unmapped slot kills the test (SIGSEGV).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "fixtures.h"
#include "snare.h"
#include "threads/threads.h" /* snare_threads_current */
#include "traps/traps.h"     /* snare_sites_find: the plan runs in the slot */

#define ROUNDS 200
#define THREADS 3
#define WAIT_MS 10000

static snare_library *loops;
static int (*count_to)(int); /* its first instruction runs in the slot */

static void setup(void) {
  cr_assert_eq(snare_library_open(fixture_path("O2", "loops"), &loops),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(loops, "count_to", &sym), SNARE_OK);
  count_to = (int (*)(int))(uintptr_t)sym.address;
}

static void teardown(void) { snare_library_close(loops); }

TestSuite(detach_slot, .init = setup, .fini = teardown, .timeout = 120);

static uint64_t count_to_address(void) {
  return (uint64_t)(uintptr_t)count_to;
}

/* The records of threads still attached when their session was freed:
   snare keeps them on purpose (such a thread may be in its handler
   still, reading its record), held here so LeakSanitizer does not count
   them. */
static snare_thread *kept_records[ROUNDS * THREADS];
static atomic_int kept_count;

/* Threads calling count_to(10) until told to stop, counting wrong sums
   (a slot reused under a thread would give one). */
typedef struct callers {
  pthread_t handles[THREADS];
  snare_session *attach_to; /* NULL: threads of no session */
  atomic_bool stop;
  atomic_int calls, wrong;
} callers;

static void *call_until_stopped(void *arg) {
  callers *c = arg;
  int id;
  if (c->attach_to != NULL) {
    cr_assert_eq(snare_thread_attach(c->attach_to, false, &id), SNARE_OK);
    kept_records[atomic_fetch_add(&kept_count, 1)] = snare_threads_current();
  }
  /* no detach: the session is gone by the time they stop */
  while (!atomic_load(&c->stop)) {
    if (count_to(10) != 55)
      atomic_fetch_add(&c->wrong, 1);
    atomic_fetch_add(&c->calls, 1);
  }
  return NULL;
}

static void start(callers *c) {
  for (int i = 0; i < THREADS; i++)
    cr_assert_eq(pthread_create(&c->handles[i], NULL, call_until_stopped, c),
                 0);
}

static void stop(callers *c) {
  atomic_store(&c->stop, true);
  for (int i = 0; i < THREADS; i++)
    pthread_join(c->handles[i], NULL);
}

static void await_count(atomic_int *n, int want) {
  for (int i = 0; i < WAIT_MS && atomic_load(n) < want; i++)
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  cr_assert_geq(atomic_load(n), want, "waited %d ms", WAIT_MS);
}

/* A trap breakpoint at count_to whose first instruction runs in its
   slot (the premise of both tests). */
static void set_trap(snare_session *session,
                     const snare_breakpoint_options *opts) {
  int id;
  cr_assert_eq(snare_breakpoint_set(session, count_to_address(), opts, &id),
               SNARE_OK);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_TRAP);
  snare_site *site = snare_sites_find(count_to_address());
  cr_assert_not_null(site);
  cr_assert_eq(site->plan.kind, SNARE_DISPLACED_COPY);
}

Test(detach_slot, threads_of_no_session_step_through_as_the_last_goes) {
  callers c = {0};
  start(&c);
  for (int round = 0; round < ROUNDS; round++) {
    snare_session *session;
    cr_assert_eq(snare_session_new(&session), SNARE_OK);
    snare_breakpoint_options opts = {.trap = true};
    set_trap(session, &opts);
    int before = atomic_load(&c.calls);
    await_count(&c.calls, before + THREADS); /* through the trap */
    snare_session_free(session);
  }
  stop(&c);
  cr_assert_eq(atomic_load(&c.wrong), 0);
}

/* Holds its thread until the breakpoint is cleared, as a Lua condition
   waiting for its turn does; then says stop (it does not: cleared). */
static bool until_cleared(snare_frame *frame, void *data) {
  atomic_int *entered = data;
  atomic_fetch_add(entered, 1);
  while (!snare_frame_cleared(frame))
    sched_yield();
  return true;
}

Test(detach_slot, conditions_let_go_by_the_free_step_through) {
  for (int round = 0; round < ROUNDS; round++) {
    snare_session *session;
    cr_assert_eq(snare_session_new(&session), SNARE_OK);
    atomic_int entered = 0;
    snare_breakpoint_options opts = {
        .trap = true, .condition = until_cleared, .condition_data = &entered};
    set_trap(session, &opts);
    callers c = {.attach_to = session};
    start(&c);
    await_count(&entered, THREADS); /* all held in the condition */
    snare_session_free(session);
    stop(&c);
    cr_assert_eq(atomic_load(&c.wrong), 0);
  }
}
