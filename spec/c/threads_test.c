/* threads_test.c - threads that attach themselves, events, per-thread
   control (libjit's debugger model), with the threads.c fixture. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

/* Long enough for a loaded CI machine; a deadlock fails the wait. */
#define WAIT_MS 10000

enum { STOP_AT_ATTACH = 1, UNBREAKABLE = 2, SPIN = 4, TOUCH_GUARDED = 8,
       TAIL_CALL = 16 };

static snare_session *session;
static snare_event ev;

static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  memset(&ev, 0, sizeof ev);
}
static void close_session(void) {
  snare_event_free(&ev);
  snare_session_free(session);
}

TestSuite(threads, .init = open_session, .fini = close_session,
          .timeout = 60);

static uint64_t sym(const char *name) {
  return fixture_symbol("O0", "threads", name);
}

static int start(int n, int iterations, int flags) {
  int (*fn)(int, void *, int, int) =
      (int (*)(int, void *, int, int))(uintptr_t)sym("start_workers");
  return fn(n, session, iterations, flags);
}

static long join(void) {
  long (*fn)(void) = (long (*)(void))(uintptr_t)sym("join_workers");
  return fn();
}

static void call_void(const char *name) {
  void (*fn)(void) = (void (*)(void))(uintptr_t)sym(name);
  fn();
}

/* sum of thread_hit(i) = 3i + 1 for i < n */
static long expected(int n) { return 3L * n * (n - 1) / 2 + n; }

static void next_event(snare_event_type type) {
  cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK,
               "no event within %d ms (expected %s)", WAIT_MS,
               snare_event_type_name(type));
  cr_assert_eq(ev.type, type, "got %s, expected %s",
               snare_event_type_name(ev.type), snare_event_type_name(type));
}

static int set_breakpoint(int thread) {
  snare_breakpoint_options opts = {.thread = thread};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, sym("thread_hit"), &opts, &id),
               SNARE_OK);
  return id;
}

Test(threads, attach_without_stopping_posts_attach_then_detach) {
  cr_assert_eq(start(1, 5, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  cr_assert_eq(ev.data1, 0);
  int id = ev.thread;
  cr_assert_eq(id, snare_session_thread(session) + 1);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(ev.thread, id);
  cr_assert_eq(join(), expected(5));
  cr_assert_not(snare_thread_is_alive(session, id));
  cr_assert_eq(snare_wait_event(session, 0, &ev), SNARE_TIMEOUT);
}

Test(threads, attach_with_stop_parks_until_resumed) {
  cr_assert_eq(start(1, 3, STOP_AT_ATTACH), 1);
  next_event(SNARE_EVENT_ATTACH);
  cr_assert_eq(ev.data1, 1);
  int id = ev.thread;
  cr_assert(snare_thread_is_alive(session, id));
  cr_assert_not(snare_thread_is_running(session, id));
  /* Parked in attach: no frame to step or move. */
  cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_STEP_INSTRUCTION,
                                   NULL),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_ABORT, NULL),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL),
               SNARE_OK);
  /* Running, or already gone: either way not parked. */
  cr_assert_neq(snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL),
                SNARE_OK);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(3));
}

Test(threads, ids_follow_the_worker_and_are_listed) {
  int worker = snare_session_thread(session);
  cr_assert_eq(start(3, 1, STOP_AT_ATTACH), 3);
  bool seen[3] = {false, false, false};
  for (int i = 0; i < 3; i++) {
    next_event(SNARE_EVENT_ATTACH);
    int k = ev.thread - worker - 1;
    cr_assert(k >= 0 && k < 3 && !seen[k], "unexpected id %d", ev.thread);
    seen[k] = true;
  }
  int ids[8];
  cr_assert_eq(snare_thread_list(session, ids, 8), 4);
  cr_assert_eq(ids[0], worker);
  cr_assert(snare_thread_is_alive(session, worker));
  cr_assert_not(snare_thread_is_running(session, worker), "worker is idle");
  for (int i = 1; i < 4; i++)
    cr_assert_eq(snare_thread_resume(session, ids[i], SNARE_RESUME_CONTINUE,
                                     NULL),
                 SNARE_OK);
  for (int i = 0; i < 3; i++)
    next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), 3 * expected(1));
  cr_assert_eq(snare_thread_list(session, NULL, 0), 1);
  cr_assert_eq(snare_thread_resume(session, worker, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_WRONG_STATE, "the worker resumes with snare_resume");
}

Test(threads, breakpoint_hits_become_events_with_function_and_stack) {
  int bp = set_breakpoint(0);
  cr_assert_eq(start(1, 2, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  int id = ev.thread;
  for (int i = 0; i < 2; i++) {
    next_event(SNARE_EVENT_HARD_BREAKPOINT);
    cr_assert_eq(ev.thread, id);
    cr_assert_eq(ev.breakpoint, bp);
    cr_assert_eq(ev.pc, sym("thread_hit"));
    cr_assert_eq(ev.function, 0, "fixture not opened through snare");
    cr_assert_geq(ev.stack_depth, 1);
    cr_assert_eq(ev.stack[0], ev.pc);
    cr_assert_not(snare_thread_is_running(session, id));
    cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL),
                 SNARE_OK);
  }
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(2));
  snare_breakpoint_info info;
  snare_breakpoint_info_get(session, bp, &info);
  cr_assert_eq(info.stops, 2);
}

Test(threads, events_name_functions_of_libraries_opened_through_snare) {
  snare_library *lib;
  cr_assert_eq(snare_library_open(fixture_path("O0", "threads"), &lib),
               SNARE_OK);
  snare_symbol hit, caller;
  snare_library_symbol(lib, "thread_hit", &hit);
  snare_library_symbol(lib, "run", &caller);
  set_breakpoint(0);
  cr_assert_eq(start(1, 1, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  next_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(ev.function, hit.address);
  cr_assert_str_eq(ev.function_name, "thread_hit");
  /* At the entry rbp is still the caller's: its return address is run's
     caller's, and the walk goes on from there (O0 keeps frame pointers). */
  cr_assert_geq(ev.stack_depth, 2);
  snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
  snare_library_close(lib);
}

/* The second return address of the stack a thread's stop at thread_hit
   posts, the thread calling forward_hit, which jumps to framed_hit; with
   `hooked`, both are timed (their exits caught). */
static uint64_t caller_at_hit(bool hooked) {
  int hooks[2];
  const char *names[2] = {"forward_hit", "framed_hit"};
  snare_hook_options opts = {.time = true};
  for (int i = 0; hooked && i < 2; i++)
    cr_assert_eq(snare_hook_function(sym(names[i]), &opts, &hooks[i]),
                 SNARE_OK);
  int bp = set_breakpoint(0);
  cr_assert_eq(start(1, 1, TAIL_CALL), 1);
  next_event(SNARE_EVENT_ATTACH);
  next_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_geq(ev.stack_depth, 2);
  uint64_t caller = ev.stack[1];
  snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
  snare_breakpoint_clear(session, bp);
  for (int i = 0; hooked && i < 2; i++) {
    snare_hook_stats stats;
    snare_hook_stats_get(hooks[i], &stats);
    cr_assert_eq(stats.calls, 1, "%s", names[i]);
    snare_hook_remove(hooks[i]);
  }
  return caller;
}

Test(threads, event_stacks_show_a_tail_called_hooked_frame_s_caller) {
  /* At thread_hit's entry rbp is framed_hit's: the walk reads framed_hit's
     return slot, which is forward_hit's. framed_hit's hook found the exit
     stub there already; the real return is the one forward_hit's saved. */
  uint64_t plain = caller_at_hit(false);
  cr_assert_eq(caller_at_hit(true), plain);
}

Test(threads, step_posts_soft_breakpoint_then_runs_on) {
  int bp = set_breakpoint(0);
  cr_assert_eq(start(1, 1, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  next_event(SNARE_EVENT_HARD_BREAKPOINT);
  int id = ev.thread;
  uint64_t at = ev.pc;
  cr_assert_eq(snare_thread_resume(session, id, SNARE_RESUME_STEP_INSTRUCTION,
                                   NULL),
               SNARE_OK);
  next_event(SNARE_EVENT_SOFT_BREAKPOINT);
  cr_assert_eq(ev.thread, id);
  cr_assert_eq(ev.breakpoint, 0);
  cr_assert(ev.pc > at && ev.pc < at + 16, "one instruction on: %#lx",
            (unsigned long)ev.pc);
  uint64_t second = ev.pc;
  snare_thread_resume(session, id, SNARE_RESUME_STEP_INSTRUCTION, NULL);
  next_event(SNARE_EVENT_SOFT_BREAKPOINT);
  cr_assert_neq(ev.pc, second);
  snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
  (void)bp;
}

Test(threads, resume_at_a_new_pc) {
  set_breakpoint(0);
  cr_assert_eq(start(1, 1, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  next_event(SNARE_EVENT_HARD_BREAKPOINT);
  uint64_t bad = 16;
  cr_assert_eq(snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE,
                                   &bad),
               SNARE_BAD_ADDRESS);
  uint64_t again = ev.pc; /* re-run the trapped instruction's breakpoint */
  cr_assert_eq(snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE,
                                   &again),
               SNARE_OK);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
}

Test(threads, unbreakable_threads_run_through_breakpoints) {
  int bp = set_breakpoint(0);
  cr_assert_eq(start(4, 50, UNBREAKABLE), 4);
  int attached = 0, detached = 0;
  while (detached < 4) {
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
    cr_assert(ev.type == SNARE_EVENT_ATTACH || ev.type == SNARE_EVENT_DETACH,
              "got %s", snare_event_type_name(ev.type));
    if (ev.type == SNARE_EVENT_ATTACH)
      attached++;
    else
      cr_assert_leq(++detached, attached);
  }
  cr_assert_eq(join(), 4 * expected(50));
  snare_breakpoint_info info;
  snare_breakpoint_info_get(session, bp, &info);
  cr_assert_eq(info.hits, 0);
  cr_assert_eq(snare_wait_event(session, 0, &ev), SNARE_TIMEOUT);
}

Test(threads, breakpoint_thread_filter_stops_only_that_thread) {
  cr_assert_eq(start(2, 3, STOP_AT_ATTACH), 2);
  next_event(SNARE_EVENT_ATTACH);
  int a = ev.thread;
  next_event(SNARE_EVENT_ATTACH);
  int b = ev.thread;
  int bp = set_breakpoint(b);
  snare_thread_resume(session, a, SNARE_RESUME_CONTINUE, NULL);
  snare_thread_resume(session, b, SNARE_RESUME_CONTINUE, NULL);
  int b_stops = 0, detached = 0;
  while (detached < 2) {
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
    if (ev.type == SNARE_EVENT_DETACH) {
      detached++;
      continue;
    }
    cr_assert_eq(ev.type, SNARE_EVENT_HARD_BREAKPOINT);
    cr_assert_eq(ev.thread, b);
    cr_assert_eq(ev.breakpoint, bp);
    b_stops++;
    snare_thread_resume(session, b, SNARE_RESUME_CONTINUE, NULL);
  }
  cr_assert_eq(b_stops, 3);
  cr_assert_eq(join(), 2 * expected(3));
}

Test(threads, function_filter_matches_the_pc) {
  uint64_t hit = sym("thread_hit");
  snare_breakpoint_options elsewhere = {.function_start = hit + 1,
                                        .function_end = hit + 100};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, hit, &elsewhere, &id), SNARE_OK);
  snare_breakpoint_options here = {.function_start = hit,
                                   .function_end = hit + 1};
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, hit, &here, &bp), SNARE_OK);
  cr_assert_eq(start(1, 1, 0), 1);
  next_event(SNARE_EVENT_ATTACH);
  next_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(ev.breakpoint, bp);
  snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
}

Test(threads, break_request_stops_a_spinning_thread) {
  cr_assert_eq(start(1, 2, SPIN), 1);
  next_event(SNARE_EVENT_ATTACH);
  int id = ev.thread;
  while (!snare_thread_is_running(session, id))
    ; /* attach returns running; the flag may trail the event */
  cr_assert_eq(snare_thread_break(session, id), SNARE_OK);
  next_event(SNARE_EVENT_USER_BREAKPOINT);
  cr_assert_eq(ev.thread, id);
  cr_assert_neq(ev.pc, 0);
  cr_assert_eq(snare_thread_break(session, id), SNARE_WRONG_STATE);
  call_void("release_spinners");
  snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(2));
  cr_assert_eq(snare_thread_break(session, id), SNARE_NOT_FOUND);
}

Test(threads, a_fault_parks_the_thread_with_a_fault_event) {
  cr_assert_eq(start(1, 1, TOUCH_GUARDED), 1);
  next_event(SNARE_EVENT_ATTACH);
  int id = ev.thread;
  next_event(SNARE_EVENT_FAULT);
  cr_assert_eq(ev.thread, id);
  cr_assert_eq(ev.data1, SIGSEGV);
  cr_assert_neq(ev.pc, 0);
  /* Resuming re-executes the faulting read: it faults again... */
  snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_FAULT);
  /* ...until the page is readable. */
  call_void("open_guarded");
  snare_thread_resume(session, id, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
}

Test(threads, quits_waiting_for_delivery_coalesce) {
  cr_assert_eq(snare_session_quit(session), SNARE_OK);
  cr_assert_eq(snare_session_quit(session), SNARE_OK);
  next_event(SNARE_EVENT_QUIT);
  cr_assert_eq(snare_wait_event(session, 0, &ev), SNARE_TIMEOUT);
  cr_assert_eq(snare_session_quit(session), SNARE_OK);
  next_event(SNARE_EVENT_QUIT);
}

Test(threads, quit_and_attach_events_keep_their_order) {
  cr_assert_eq(snare_session_quit(session), SNARE_OK);
  cr_assert_eq(start(1, 1, STOP_AT_ATTACH), 1);
  next_event(SNARE_EVENT_QUIT);
  cr_assert_eq(ev.thread, 0);
  next_event(SNARE_EVENT_ATTACH);
  cr_assert_eq(snare_session_quit(session), SNARE_OK);
  snare_thread_resume(session, ev.thread, SNARE_RESUME_CONTINUE, NULL);
  next_event(SNARE_EVENT_QUIT);
  next_event(SNARE_EVENT_DETACH);
  cr_assert_eq(join(), expected(1));
  cr_assert_eq(snare_wait_event(session, 10, &ev), SNARE_TIMEOUT);
}

Test(threads, attaching_twice_or_a_worker_is_refused) {
  int id;
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_OK);
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_EXISTS);
  cr_assert_eq(snare_thread_detach(session), SNARE_OK);
  cr_assert_eq(snare_thread_detach(session), SNARE_NOT_FOUND);
  next_event(SNARE_EVENT_ATTACH);
  cr_assert_eq(ev.thread, id);
  next_event(SNARE_EVENT_DETACH);
}

static bool count_calls(snare_frame *frame, void *data) {
  (void)frame;
  __atomic_fetch_add((int *)data, 1, __ATOMIC_SEQ_CST);
  return false;
}

Test(threads, conditions_run_on_attached_threads) {
  int calls = 0;
  snare_breakpoint_options opts = {.condition = count_calls,
                                   .condition_data = &calls};
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, sym("thread_hit"), &opts, &bp),
               SNARE_OK);
  cr_assert_eq(start(4, 25, 0), 4);
  for (int i = 0; i < 8; i++)
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK);
  cr_assert_eq(join(), 4 * expected(25));
  cr_assert_eq(calls, 100);
}

/* Every hit of 8 threads is one event, none lost, per-thread order kept. */
Test(threads, eight_threads_hitting_breakpoints_lose_no_event) {
  enum { THREADS = 8, ITERATIONS = 200 };
  int bp = set_breakpoint(0);
  int worker = snare_session_thread(session);
  cr_assert_eq(start(THREADS, ITERATIONS, 0), THREADS);
  int hits[THREADS] = {0}, phase[THREADS] = {0}; /* 0 new, 1 on, 2 gone */
  int detached = 0;
  while (detached < THREADS) {
    cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK,
                 "stalled after %d detaches", detached);
    int k = ev.thread - worker - 1;
    cr_assert(k >= 0 && k < THREADS, "thread %d", ev.thread);
    switch (ev.type) {
    case SNARE_EVENT_ATTACH:
      cr_assert_eq(phase[k]++, 0);
      break;
    case SNARE_EVENT_HARD_BREAKPOINT:
      cr_assert_eq(phase[k], 1, "breakpoint before attach or after detach");
      cr_assert_eq(ev.breakpoint, bp);
      hits[k]++;
      cr_assert_eq(snare_thread_resume(session, ev.thread,
                                       SNARE_RESUME_CONTINUE, NULL),
                   SNARE_OK);
      break;
    case SNARE_EVENT_DETACH:
      cr_assert_eq(phase[k]++, 1);
      detached++;
      break;
    default:
      cr_assert_fail("unexpected %s", snare_event_type_name(ev.type));
    }
  }
  for (int k = 0; k < THREADS; k++)
    cr_assert_eq(hits[k], ITERATIONS, "thread %d: %d hits", k, hits[k]);
  cr_assert_eq(join(), THREADS * expected(ITERATIONS));
  snare_breakpoint_info info;
  snare_breakpoint_info_get(session, bp, &info);
  cr_assert_eq(info.stops, THREADS * ITERATIONS);
  cr_assert_eq(snare_wait_event(session, 0, &ev), SNARE_TIMEOUT);
}
