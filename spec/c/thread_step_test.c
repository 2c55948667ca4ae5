/*
 * thread_step_test.c - libjit's per-thread step/next/finish and the
 * registers and backtrace of a parked attached thread, over the threads
 * fixture (its line numbers): one thread is stepped through
 * thread_compute while another keeps hitting its own breakpoint.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

#define WAIT_MS 10000
#define STOP_AT_ATTACH 1
#define HITTER_ITERATIONS 100000
#define COMPUTER_ITERATIONS 3

/* Lines of spec/fixtures/threads.c. */
enum { SQUARE_BODY = 135, B_LINE = 141, CALL_LINE = 142, D_LINE = 143,
       RETURN_LINE = 144 };

static snare_library *lib;
static snare_session *session;
static snare_event ev;
static int hitter, computer; /* thread ids */
static int hitter_bp;
static long hitter_next; /* the i the hitter's next event must carry */
static int hitter_resumes;

static uint64_t sym(const char *name)
{
  snare_symbol s;
  cr_assert_eq(snare_library_symbol(lib, name, &s), SNARE_OK, "%s", name);
  return s.address;
}

static uint64_t function_address(const char *name)
{
  uint64_t addr;
  size_t n = 0;
  cr_assert_eq(snare_library_function_addresses(lib, name, &addr, 1, &n),
               SNARE_OK);
  return addr;
}

static unsigned line_of(uint64_t pc)
{
  snare_line_info li;
  return snare_line_at(pc, &li) == SNARE_OK ? li.line : 0;
}

static int set_breakpoint(uint64_t addr, int thread)
{
  snare_breakpoint_options opts = {.thread = thread};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, addr, &opts, &id), SNARE_OK);
  return id;
}

static void wait_any(void)
{
  cr_assert_eq(snare_wait_event(session, WAIT_MS, &ev), SNARE_OK,
               "no event within %d ms", WAIT_MS);
}

/* Checks an event of the hitter: a hit of its breakpoint, the next i in
   order (thread_hit's argument, from the registers snapshot). */
static void check_hitter_event(void)
{
  cr_assert_eq(ev.type, SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(ev.breakpoint, hitter_bp);
  cr_assert(ev.has_registers);
  cr_assert_eq((long)ev.registers.value[SNARE_REG_RDI], hitter_next,
               "hitter event for i=%ld, expected i=%ld",
               (long)ev.registers.value[SNARE_REG_RDI], hitter_next);
  hitter_next++;
}

/* The computer's next event, checking the hitter's that come first. */
static void computer_event(snare_event_type type)
{
  for (;;) {
    wait_any();
    if (ev.thread == computer)
      break;
    cr_assert_eq(ev.thread, hitter);
    check_hitter_event();
  }
  cr_assert_eq(ev.type, type, "got %s", snare_event_type_name(ev.type));
}

/* Step policy: at every new line, resumes the hitter if it is parked, so
   that it hits its breakpoint again while the computer is stepped. */
static int resume_hitter(snare_session *s, void *data)
{
  (void)data;
  if (!snare_thread_is_running(s, hitter) &&
      snare_thread_resume(s, hitter, SNARE_RESUME_CONTINUE, NULL) == SNARE_OK)
    hitter_resumes++;
  return 1;
}

static const snare_step_policy policy = {NULL, resume_hitter, NULL};

static unsigned step(snare_step_mode mode, snare_stop *stop)
{
  cr_assert_eq(snare_thread_step(session, computer, mode, &policy, stop),
               SNARE_OK);
  cr_assert_eq(stop->kind, SNARE_STOP_STEP);
  cr_assert_eq(stop->reason, SNARE_REASON_STEP_DONE);
  cr_assert_eq(stop->thread, computer);
  cr_assert_not(snare_thread_is_running(session, computer));
  return line_of(stop->pc);
}

static void setup(void)
{
  cr_assert_eq(snare_library_open(fixture_path("O0", "threads"), &lib),
               SNARE_OK);
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_session_set_timeout(session, WAIT_MS);
  memset(&ev, 0, sizeof ev);
  hitter_next = 0;
  hitter_resumes = 0;
  int (*start)(int, void *, int, int) =
      (int (*)(int, void *, int, int))(uintptr_t)sym("start_workers");
  int (*start_computer)(void *, int, int) =
      (int (*)(void *, int, int))(uintptr_t)sym("start_computer");
  int (*worker_id)(int) = (int (*)(int))(uintptr_t)sym("worker_id");
  cr_assert_eq(start(1, session, HITTER_ITERATIONS, STOP_AT_ATTACH), 1);
  cr_assert_eq(start_computer(session, COMPUTER_ITERATIONS, STOP_AT_ATTACH),
               1);
  for (int i = 0; i < 2; i++) {
    wait_any();
    cr_assert_eq(ev.type, SNARE_EVENT_ATTACH);
  }
  hitter = worker_id(0);
  computer = worker_id(1);
  hitter_bp = set_breakpoint(sym("thread_hit"), hitter);
  set_breakpoint(function_address("thread_compute"), computer);
}

static void teardown(void)
{
  snare_event_free(&ev);
  snare_session_free(session);
  snare_library_close(lib);
}

TestSuite(thread_step, .init = setup, .fini = teardown, .timeout = 60);

/* Lets both threads run to their end and returns join_workers(). */
static long finish_threads(void)
{
  snare_breakpoint_clear_all(session);
  snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE, NULL);
  snare_thread_resume(session, hitter, SNARE_RESUME_CONTINUE, NULL);
  int detached = 0;
  while (detached < 2) {
    wait_any();
    if (ev.type == SNARE_EVENT_DETACH)
      detached++;
    else if (ev.thread == hitter)
      check_hitter_event(); /* posted before the clear */
  }
  long (*join)(void) = (long (*)(void))(uintptr_t)sym("join_workers");
  return join();
}

static long hitter_sum(void)
{
  long n = HITTER_ITERATIONS;
  return 3 * n * (n - 1) / 2 + n;
}

static long compute(long a) { return (a + 1) * (a + 1) - a; }

Test(thread_step, step_next_finish_visit_lines_while_another_thread_hits)
{
  cr_assert_eq(snare_thread_resume(session, hitter, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(line_of(ev.pc), B_LINE);
  /* The hitter parked at its breakpoint before the first step, so that
     the step policy has it to resume: left to the scheduler, a loaded
     machine ran all the steps before its first hit (hitter_resumes 0). */
  while (snare_thread_is_running(session, hitter)) {
    wait_any();
    cr_assert_eq(ev.thread, hitter);
    check_hitter_event();
  }
  snare_stop stop;
  cr_assert_eq(step(SNARE_STEP_INTO, &stop), CALL_LINE);
  cr_assert_eq(step(SNARE_STEP_INTO, &stop), SQUARE_BODY);
  cr_assert_eq(step(SNARE_STEP_OUT, &stop), CALL_LINE);
  cr_assert(stop.has_return_value);
  cr_assert_eq(stop.return_value, 1); /* thread_square(1) */
  cr_assert_eq(step(SNARE_STEP_OVER, &stop), D_LINE);
  cr_assert_eq(step(SNARE_STEP_OVER, &stop), RETURN_LINE);
  step(SNARE_STEP_OUT, &stop);
  cr_assert_eq(stop.return_value, (uint64_t)compute(0));
  /* The hitter ran meanwhile: every hit it made is queued, in order. */
  cr_assert_geq(hitter_resumes, 1);
  for (long want = hitter_resumes + 1; hitter_next < want;) {
    wait_any();
    cr_assert_eq(ev.thread, hitter);
    check_hitter_event();
  }
  /* Next iteration: a = 1. */
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(finish_threads(),
               hitter_sum() + compute(0) + compute(1) + compute(2));
}

Test(thread_step, registers_of_a_parked_thread_are_read_and_written)
{
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT);
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT); /* thread_compute(1) */
  uint64_t rdi, rip;
  cr_assert_eq(snare_thread_register_get(session, computer, SNARE_REG_RDI,
                                         &rdi),
               SNARE_OK);
  cr_assert_eq(snare_thread_register_get(session, computer, SNARE_REG_RIP,
                                         &rip),
               SNARE_OK);
  cr_assert_eq(rip, ev.pc);
  cr_assert_eq(ev.registers.value[SNARE_REG_RIP], ev.pc);
  /* Past the prologue, a lives in memory and rdi is dead: change the
     argument of the call to thread_square instead, at its entry. */
  snare_stop stop;
  uint64_t square = sym("thread_square");
  cr_assert_eq(snare_thread_run_to(session, computer, &square, 1,
                                   SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_OK);
  cr_assert_eq(stop.reason, SNARE_REASON_STEP_DONE);
  cr_assert_eq(stop.pc, square);
  cr_assert_eq(snare_thread_register_get(session, computer, SNARE_REG_RDI,
                                         &rdi),
               SNARE_OK);
  cr_assert_eq(rdi, 2); /* b = a + 1 */
  cr_assert_eq(snare_thread_register_set(session, computer, SNARE_REG_RDI, 10),
               SNARE_OK);
  uint8_t xmm[16];
  cr_assert_eq(snare_thread_vector_register_get(session, computer, 0, xmm),
               SNARE_OK);
  snare_backtrace_frame frames[8];
  size_t count = 0;
  cr_assert_eq(snare_thread_backtrace(session, computer, frames, 8, &count),
               SNARE_OK);
  cr_assert_geq(count, 3);
  cr_assert_str_eq(frames[0].function, "thread_square");
  cr_assert_str_eq(frames[1].function, "thread_compute");
  cr_assert_eq(frames[1].line, CALL_LINE);
  cr_assert_str_eq(frames[2].function, "compute");
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OUT, NULL,
                                 &stop),
               SNARE_OK);
  cr_assert_eq(stop.return_value, 100); /* thread_square(10) */
  /* thread_compute(1) now returns 100 - 1, not compute(1). */
  cr_assert_eq(finish_threads(), hitter_sum() + compute(0) + 99 + compute(2));
}

Test(thread_step, a_stop_of_another_thread_ends_a_yielding_step)
{
  /* The hitter parks at its breakpoint once (a frame to step from), then
     runs free; the computer stops before the hitter's run. */
  cr_assert_eq(snare_thread_resume(session, hitter, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  wait_any();
  check_hitter_event();
  cr_assert_eq(snare_breakpoint_clear(session, hitter_bp), SNARE_OK);
  /* Out of thread_hit into its loop (a run stops where its frame
     returns, as gdb's advance), whose own return is 100000 calls away. */
  uint64_t never = sym("join_workers");
  snare_stop stop;
  cr_assert_eq(snare_thread_run_to(session, hitter, &never, 1,
                                   SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_OK);
  cr_assert_eq(stop.reason, SNARE_REASON_STEP_DONE);
  cr_assert_eq(snare_session_set_steps_yield(session, true), SNARE_OK);
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT);
  /* The computer's stop, posted since, ends the hitter's run at once. */
  cr_assert_eq(snare_thread_run_to(session, hitter, &never, 1,
                                   SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_INTERRUPT, "stop kind %d reason %d",
               stop.kind, stop.reason);
  cr_assert_eq(stop.thread, hitter);
  cr_assert(snare_thread_is_running(session, computer) == false);
  cr_assert_eq(snare_session_set_steps_yield(session, false), SNARE_OK);
  cr_assert_eq(snare_session_set_steps_yield(NULL, true),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(finish_threads(),
               hitter_sum() + compute(0) + compute(1) + compute(2));
}

Test(thread_step, refusals)
{
  snare_stop stop;
  uint64_t v;
  /* Parked by attach: no frame. */
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OVER, NULL,
                                 &stop),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_thread_register_get(session, computer, SNARE_REG_RAX,
                                         &v),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_thread_register_set(session, computer, SNARE_REG_RAX, 1),
               SNARE_WRONG_STATE);
  size_t count;
  cr_assert_eq(snare_thread_backtrace(session, computer, NULL, 0, &count),
               SNARE_WRONG_STATE);
  /* No such thread; bad arguments. */
  cr_assert_eq(snare_thread_step(session, 9999, SNARE_STEP_OVER, NULL, &stop),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_thread_register_get(session, 9999, SNARE_REG_RAX, &v),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_thread_step(session, computer, (snare_step_mode)7, NULL,
                                 &stop),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OVER, NULL,
                                 NULL),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_thread_register_get(session, computer, SNARE_REG_COUNT,
                                         &v),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_thread_run_to(session, computer, NULL, 0,
                                   SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_INVALID_ARGUMENT);
  /* The idle worker is not parked. */
  cr_assert_eq(snare_thread_step(session, snare_session_thread(session),
                                 SNARE_STEP_OVER, NULL, &stop),
               SNARE_WRONG_STATE);
  /* Parked at a breakpoint: its registers are there. */
  cr_assert_eq(snare_thread_resume(session, hitter, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  wait_any();
  check_hitter_event();
  cr_assert_eq(snare_thread_register_get(session, hitter, SNARE_REG_RDI, &v),
               SNARE_OK);
  cr_assert_eq(v, 0);
  cr_assert_eq(finish_threads(),
               hitter_sum() + compute(0) + compute(1) + compute(2));
}

Test(thread_step, a_thread_that_detaches_during_a_step_ends_it)
{
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  for (int i = 0; i < COMPUTER_ITERATIONS; i++) {
    if (i > 0)
      cr_assert_eq(snare_thread_resume(session, computer,
                                       SNARE_RESUME_CONTINUE, NULL),
                   SNARE_OK);
    computer_event(SNARE_EVENT_HARD_BREAKPOINT);
  }
  snare_stop stop;
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OUT, NULL,
                                 &stop),
               SNARE_OK);
  cr_assert_eq(stop.return_value, (uint64_t)compute(COMPUTER_ITERATIONS - 1));
  /* Out of compute(): the thread detaches before it returns. */
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OUT, NULL,
                                 &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_not(snare_thread_is_alive(session, computer));
  cr_assert_eq(snare_thread_step(session, computer, SNARE_STEP_OUT, NULL,
                                 &stop),
               SNARE_NOT_FOUND);
  computer_event(SNARE_EVENT_DETACH); /* still posted, in order */
  snare_breakpoint_clear_all(session);
  cr_assert_eq(snare_thread_resume(session, hitter, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  do {
    wait_any();
  } while (ev.type != SNARE_EVENT_DETACH);
  cr_assert_eq(ev.thread, hitter);
  long (*join)(void) = (long (*)(void))(uintptr_t)sym("join_workers");
  cr_assert_eq(join(), hitter_sum() + compute(0) + compute(1) + compute(2));
}

/* The variable functions on a parked thread's frames: list, read, locate
   and write, the write seen by the code when the thread runs on. */
Test(thread_step, variables_of_a_parked_thread_are_read_and_written)
{
  cr_assert_eq(snare_thread_variable_read(session, computer, 0, "a", NULL,
                                          &(snare_value *){NULL}),
               SNARE_WRONG_STATE); /* parked by attach: no frame */
  cr_assert_eq(snare_thread_resume(session, computer, SNARE_RESUME_CONTINUE,
                                   NULL),
               SNARE_OK);
  computer_event(SNARE_EVENT_HARD_BREAKPOINT); /* thread_compute(0) */
  snare_stop stop;
  cr_assert_eq(step(SNARE_STEP_OVER, &stop), CALL_LINE);
  cr_assert_eq(step(SNARE_STEP_OVER, &stop), D_LINE);
  snare_variable_info vars[8];
  size_t n = 0;
  cr_assert_eq(snare_thread_variable_list(session, computer, 0, vars, 8, &n),
               SNARE_OK);
  cr_assert_eq(n, 4);
  cr_assert_str_eq(vars[0].name, "a");
  cr_assert(vars[0].is_param);
  snare_value *v = NULL;
  cr_assert_eq(snare_thread_variable_read(session, computer, 0, "c", NULL, &v),
               SNARE_OK);
  cr_assert_eq(v->i, 1); /* thread_square(1) */
  snare_value_free(v);
  snare_variable_location where;
  cr_assert_eq(snare_thread_variable_locate(session, computer, 0, "b", &where),
               SNARE_OK);
  cr_assert(where.in_memory);
  cr_assert_eq(snare_thread_variable_read(session, computer, 0, "nothing",
                                          NULL, &v),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_thread_variable_read(session, 9999, 0, "c", NULL, &v),
               SNARE_NOT_FOUND);
  /* The caller's frame (compute) is read from the same context. */
  cr_assert_eq(snare_thread_variable_list(session, computer, 1, NULL, 0, &n),
               SNARE_OK);
  cr_assert_geq(n, 1);
  /* d = c - a: thread_compute(0) now returns 5. */
  cr_assert_eq(snare_thread_variable_write_int(session, computer, 0, "c", 5),
               SNARE_OK);
  cr_assert_eq(finish_threads(), hitter_sum() + 5 + compute(1) + compute(2));
}
