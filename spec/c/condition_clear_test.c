/*
 * condition_clear_test.c - a breakpoint cleared while an attached thread
 * runs its condition (a Lua condition waiting for its turn does so for
 * long): the breakpoint and its condition data live until the condition
 * returns (released at the next reclaim after), the condition sees it
 * cleared (snare_frame_cleared), the hit does not stop, and
 * snare_session_free waits for the condition. Trap and jump breakpoints
 * both, and an execute watchpoint, on the loops fixture's count_to.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"
#include "snare.h"
#include "traps/traps.h" /* snare_dispatch_depth */

#define WAIT_MS 10000

static snare_session *session;
static snare_library *loops; /* opened: its functions' extents allow jumps */
static uint64_t count_to_address;

static void setup(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  cr_assert_eq(snare_library_open(fixture_path("O2", "loops"), &loops),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(loops, "count_to", &sym), SNARE_OK);
  count_to_address = sym.address;
}

static void teardown(void) {
  if (session != NULL)
    snare_session_free(session);
  snare_library_close(loops);
}

TestSuite(condition_clear, .init = setup, .fini = teardown, .timeout = 60);

/* A condition that holds its thread until opened. */
typedef struct gate {
  atomic_int entered, returned, releases;
  atomic_bool open, saw_cleared;
  bool answer;
} gate;

static bool gated(snare_frame *frame, void *data) {
  gate *g = data;
  atomic_fetch_add(&g->entered, 1);
  while (!atomic_load(&g->open))
    sched_yield();
  atomic_store(&g->saw_cleared, snare_frame_cleared(frame));
  atomic_fetch_add(&g->returned, 1);
  return g->answer;
}

static void released(void *data) {
  gate *g = data;
  atomic_fetch_add(&g->releases, 1);
}

static uint64_t count_to(void) { return count_to_address; }

/* An attached thread calling count_to(10) once; detaches unless told
   the session is gone. */
typedef struct caller {
  pthread_t handle;
  atomic_int result;
  atomic_bool done;
  bool keep_attached;
} caller;

static void *call_once(void *arg) {
  caller *c = arg;
  int id;
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_OK);
  int (*fn)(int) = (int (*)(int))(uintptr_t)count_to();
  atomic_store(&c->result, fn(10));
  atomic_store(&c->done, true);
  if (!c->keep_attached)
    snare_thread_detach(session);
  return NULL;
}

static void start(caller *c) {
  cr_assert_eq(pthread_create(&c->handle, NULL, call_once, c), 0);
}

static int set_gated(gate *g, bool trap) {
  snare_breakpoint_options opts = {.condition = gated, .condition_data = g,
                                   .release = released, .trap = trap};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, count_to(), &opts, &id),
               SNARE_OK);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_assert_eq(info.mechanism,
               trap ? SNARE_BREAKPOINT_TRAP : SNARE_BREAKPOINT_JUMP);
  return id;
}

static void await_count(atomic_int *n, int want) {
  for (int i = 0; i < WAIT_MS && atomic_load(n) < want; i++)
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  cr_assert_geq(atomic_load(n), want, "waited %d ms", WAIT_MS);
}

/* The events left, none of them a stop (attach and detach only). */
static void assert_no_stop(void) {
  snare_event ev;
  memset(&ev, 0, sizeof ev);
  while (snare_wait_event(session, 100, &ev) == SNARE_OK) {
    cr_assert(ev.type == SNARE_EVENT_ATTACH || ev.type == SNARE_EVENT_DETACH,
              "a %s event", snare_event_type_name(ev.type));
    snare_event_free(&ev);
  }
}

/* Clears breakpoint (or watchpoint) id, gated by g, while a thread runs
   its condition: released only after, no stop. */
static void clear_under_condition(gate *g, int id, bool watchpoint) {
  caller c = {0};
  start(&c);
  await_count(&g->entered, 1);
  if (watchpoint) {
    cr_assert_eq(snare_watchpoint_clear(session, id), SNARE_OK);
    snare_watchpoint_info info;
    cr_assert_eq(snare_watchpoint_info_get(session, id, &info),
                 SNARE_NOT_FOUND);
  } else {
    cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
    snare_breakpoint_info info;
    cr_assert_eq(snare_breakpoint_info_get(session, id, &info),
                 SNARE_NOT_FOUND);
  }
  cr_assert_eq(atomic_load(&g->releases), 0, "released under its condition");
  atomic_store(&g->open, true);
  pthread_join(c.handle, NULL);
  cr_assert(atomic_load(&g->saw_cleared));
  cr_assert_eq(atomic_load(&c.result), 55);
  assert_no_stop(); /* also reclaims: after each event */
  cr_assert_eq(atomic_load(&g->releases), 1);
}

static void clear_while_evaluating(bool trap, bool answer) {
  gate g = {.answer = answer};
  clear_under_condition(&g, set_gated(&g, trap), false);
}

Test(condition_clear, trap_cleared_while_evaluating_is_released_after) {
  clear_while_evaluating(true, false);
}

Test(condition_clear, jump_cleared_while_evaluating_is_released_after) {
  clear_while_evaluating(false, false);
}

/* A condition that says stop on a breakpoint cleared meanwhile: the
   thread runs on. */
Test(condition_clear, trap_cleared_while_evaluating_does_not_stop) {
  clear_while_evaluating(true, true);
}

Test(condition_clear, jump_cleared_while_evaluating_does_not_stop) {
  clear_while_evaluating(false, true);
}

/* Two threads in its condition: released once both returned. */
Test(condition_clear, released_after_the_last_of_two_conditions) {
  gate g = {.answer = false};
  int id = set_gated(&g, true);
  caller c[2] = {0};
  start(&c[0]);
  start(&c[1]);
  await_count(&g.entered, 2);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  atomic_store(&g.open, true);
  await_count(&g.returned, 2);
  pthread_join(c[0].handle, NULL);
  pthread_join(c[1].handle, NULL);
  cr_assert_eq(atomic_load(&g.releases), 0, "no reclaim since");
  assert_no_stop();
  cr_assert_eq(atomic_load(&g.releases), 1);
}

Test(condition_clear, not_cleared_while_it_holds) {
  gate g = {.answer = false};
  int id = set_gated(&g, true);
  caller c = {0};
  start(&c);
  await_count(&g.entered, 1);
  atomic_store(&g.open, true);
  pthread_join(c.handle, NULL);
  cr_assert_not(atomic_load(&g.saw_cleared));
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  cr_assert_eq(atomic_load(&g.releases), 1, "nothing ran it: released now");
}

/* A jump breakpoint that stops, cleared while its thread is parked:
   released at once, and the parked thread no longer counts as
   dispatching (else nothing retired would be freed again). */
Test(condition_clear, jump_stop_then_clear_releases_at_once) {
  gate g = {.answer = true};
  atomic_store(&g.open, true);
  int id = set_gated(&g, false);
  caller c = {0};
  start(&c);
  snare_event ev;
  memset(&ev, 0, sizeof ev);
  do {
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
  } while (ev.type == SNARE_EVENT_ATTACH);
  cr_assert_eq(ev.type, SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(ev.breakpoint, id);
  cr_assert_eq(ev.pc, count_to());
  int thread = ev.thread;
  snare_event_free(&ev);
  /* its trap took over the trampoline's count; parked, it has none */
  cr_assert_eq(atomic_load(&snare_dispatch_depth), 0);
  cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  cr_assert_eq(atomic_load(&g.releases), 1);
  cr_assert_eq(snare_thread_resume(session, thread, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  pthread_join(c.handle, NULL);
  cr_assert_eq(atomic_load(&c.result), 55);
}

typedef struct freer {
  pthread_t handle;
  atomic_bool done;
} freer;

static void *free_session(void *arg) {
  freer *f = arg;
  snare_session_free(session);
  atomic_store(&f->done, true);
  return NULL;
}

/* Session free clears the breakpoint (or watchpoint) set_gated_hit
   sets, then waits for the condition before the session (and its code)
   goes. */
static void free_while_evaluating(void (*set_gated_hit)(gate *)) {
  gate g = {.answer = true};
  set_gated_hit(&g);
  caller c = {.keep_attached = true};
  start(&c);
  await_count(&g.entered, 1);
  freer f = {0};
  cr_assert_eq(pthread_create(&f.handle, NULL, free_session, &f), 0);
  nanosleep(&(struct timespec){.tv_nsec = 200000000}, NULL);
  cr_assert_not(atomic_load(&f.done), "freed under a running condition");
  cr_assert_eq(atomic_load(&g.releases), 0);
  atomic_store(&g.open, true);
  pthread_join(f.handle, NULL);
  cr_assert_eq(atomic_load(&g.releases), 1);
  cr_assert(atomic_load(&g.saw_cleared));
  session = NULL;
  pthread_join(c.handle, NULL);
  cr_assert_eq(atomic_load(&c.result), 55, "ran on without stopping");
}

static void set_trap_gated(gate *g) { set_gated(g, true); }

Test(condition_clear, session_free_waits_for_the_condition) {
  free_while_evaluating(set_trap_gated);
}

/* An execute watchpoint at count_to's first instruction whose condition
   is the gate: a watchpoint's condition outlives its clear as a
   breakpoint's does. */
static int watch_gated(gate *g) {
  snare_watchpoint_options opts = {.kind = SNARE_WATCH_EXECUTE,
                                   .condition = gated, .condition_data = g,
                                   .release = released};
  int id;
  cr_assert_eq(snare_watchpoint_set(session, count_to(), 1, &opts, &id),
               SNARE_OK);
  return id;
}

Test(condition_clear, watchpoint_cleared_while_evaluating_does_not_stop) {
  gate g = {.answer = true};
  clear_under_condition(&g, watch_gated(&g), true);
}

static void watch_gated_hit(gate *g) { watch_gated(g); }

Test(condition_clear, session_free_waits_for_a_watchpoint_condition) {
  free_while_evaluating(watch_gated_hit);
}
