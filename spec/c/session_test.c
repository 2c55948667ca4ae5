/* session_test.c - sessions: calls, resumes, interrupts, registers,
   teardown. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

static snare_session *session;

static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
}
static void close_session(void) { snare_session_free(session); }

TestSuite(session, .init = open_session, .fini = close_session,
          .timeout = 20);

static uint64_t loops(const char *level, const char *symbol) {
  return fixture_symbol(level, "loops", symbol);
}

Test(session, calls_entries_of_zero_to_eight_arguments) {
  snare_stop stop;
  const uint64_t args[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  cr_assert_eq(snare_call(session, loops("O2", "add8"), 8, args, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.reason, SNARE_REASON_RETURNED);
  cr_assert_eq(stop.return_value, 36);
  cr_assert_eq(snare_call(session, loops("O0", "add6"), 6, args, &stop),
               SNARE_OK);
  cr_assert_eq(stop.return_value, 21);
  uint64_t n = 100;
  snare_call(session, loops("O0", "count_to"), 1, &n, &stop);
  cr_assert_eq(stop.return_value, 5050);
  cr_assert_eq(stop.thread, snare_session_thread(session));
  cr_assert_eq(snare_call(session, loops("O0", "visit_loop"), 0, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
}

Test(session, calls_main_style_entries) {
  char *argv[] = {"prog", "hello", NULL};
  snare_stop stop;
  cr_assert_eq(snare_call_main(session,
                               fixture_symbol("O0", "faults", "main_like"), 2,
                               argv, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq((int)stop.return_value, 2 + 5);
}

Test(session, refuses_bad_calls_and_stays_usable) {
  snare_stop stop;
  uint64_t args[9] = {0};
  uint64_t add8 = loops("O0", "add8");
  cr_assert_eq(snare_call(session, add8, 9, args, &stop),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_call(session, 0, 0, NULL, &stop), SNARE_BAD_ADDRESS);
  static int data;
  cr_assert_eq(snare_call(session, (uint64_t)(uintptr_t)&data, 0, NULL, &stop),
               SNARE_NOT_CODE);
  cr_assert_eq(snare_call(session, add8, 1, NULL, &stop),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop),
               SNARE_WRONG_STATE);
  uint64_t value;
  cr_assert_eq(snare_register_get(session, SNARE_REG_RAX, &value),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_interrupt(session), SNARE_WRONG_STATE);
  cr_assert_eq(snare_call(session, add8, 8, args, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
}

Test(session, timeout_interrupts_an_infinite_loop) {
  snare_session_set_timeout(session, 100);
  snare_stop stop;
  uint64_t no_flag = 0;
  snare_call(session, fixture_symbol("O2", "faults", "spin"), 1, &no_flag,
             &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_INTERRUPT);
  cr_assert(snare_session_stopped(session));
  cr_assert_eq(snare_resume(session, SNARE_RESUME_ABORT, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_ABORTED);
  uint64_t n = 10;
  snare_call(session, loops("O2", "fib"), 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 55);
}

static void *interrupt_soon(void *raw) {
  usleep(50 * 1000);
  while (snare_interrupt(raw) == SNARE_WRONG_STATE)
    usleep(1000);
  return NULL;
}

Test(session, another_thread_interrupts_a_running_worker) {
  pthread_t helper;
  pthread_create(&helper, NULL, interrupt_soon, session);
  snare_stop stop;
  uint64_t no_flag = 0;
  snare_call(session, fixture_symbol("O0", "faults", "spin"), 1, &no_flag,
             &stop);
  pthread_join(helper, NULL);
  cr_assert_eq(stop.kind, SNARE_STOP_INTERRUPT);
  cr_assert_eq(stop.reason, SNARE_REASON_INTERRUPTED);
  /* Continuing runs on; a second interrupt stops it again. */
  snare_session_set_timeout(session, 50);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_INTERRUPT);
}

Test(session, registers_of_a_stopped_worker_are_live) {
  uint64_t fib = loops("O0", "fib");
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fib, NULL, &id), SNARE_OK);
  snare_stop stop;
  uint64_t n = 5;
  snare_call(session, fib, 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(stop.pc, fib);
  cr_assert_eq(stop.registers.value[SNARE_REG_RDI], 5);
  uint64_t rdi, sp;
  cr_assert_eq(snare_register_get(session, SNARE_REG_RDI, &rdi), SNARE_OK);
  cr_assert_eq(rdi, 5);
  snare_register_get(session, SNARE_REG_RSP, &sp);
  cr_assert_eq(sp, stop.registers.value[SNARE_REG_RSP]);
  uint8_t xmm[16];
  cr_assert_eq(snare_vector_register_get(session, 0, xmm), SNARE_OK);
  cr_assert_eq(snare_vector_register_get(session, 16, xmm),
               SNARE_INVALID_ARGUMENT);
  snare_breakpoint_clear(session, id);
  /* fib(7) instead of fib(5), by writing the argument register. */
  cr_assert_eq(snare_register_set(session, SNARE_REG_RDI, 7), SNARE_OK);
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 13);
}

Test(session, resume_at_a_new_pc) {
  uint64_t fib = loops("O0", "fib");
  int id;
  snare_breakpoint_set(session, fib, NULL, &id);
  snare_stop stop;
  uint64_t n = 5;
  snare_call(session, fib, 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  uint64_t count_to = loops("O0", "count_to");
  static int data;
  uint64_t bad = (uint64_t)(uintptr_t)&data;
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, &bad, &stop),
               SNARE_NOT_CODE);
  cr_assert(snare_session_stopped(session));
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, &count_to, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 15); /* count_to(5), not fib(5) */
}

Test(session, step_instruction_advances_the_pc) {
  uint64_t add6 = loops("O0", "add6");
  int id;
  snare_breakpoint_set(session, add6, NULL, &id);
  snare_stop stop;
  const uint64_t args[6] = {1, 2, 3, 4, 5, 6};
  snare_call(session, add6, 6, args, &stop);
  cr_assert_eq(stop.pc, add6);
  uint64_t last = stop.pc;
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(snare_resume(session, SNARE_RESUME_STEP_INSTRUCTION, NULL,
                              &stop),
                 SNARE_OK);
    cr_assert_eq(stop.kind, SNARE_STOP_STEP);
    cr_assert_gt(stop.pc, last);
    cr_assert_lt(stop.pc, add6 + 64);
    last = stop.pc;
  }
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 21);
}

Test(session, abort_unwinds_and_leaves_the_session_reusable) {
  uint64_t fib = loops("O0", "fib");
  int id;
  snare_breakpoint_set(session, fib, &(snare_breakpoint_options){.skip = 3},
                       &id);
  snare_stop stop;
  uint64_t n = 6;
  snare_call(session, fib, 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  snare_resume(session, SNARE_RESUME_ABORT, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_ABORTED);
  cr_assert_not(snare_session_stopped(session));
  snare_breakpoint_clear(session, id);
  snare_call(session, fib, 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 8);
}

static void *handler_of(int sig) {
  struct sigaction current;
  sigaction(sig, NULL, &current);
  return (current.sa_flags & SA_SIGINFO) ? (void *)current.sa_sigaction
                                         : (void *)current.sa_handler;
}

Test(teardown, freeing_a_stopped_session_leaves_nothing_behind,
     .timeout = 20) {
  int threads = fixture_thread_count(), fds = fixture_fd_count();
  void *segv_before = handler_of(SIGSEGV), *trap_before = handler_of(SIGTRAP);
  uint64_t fib = loops("O0", "fib");
  uint8_t original[16];
  memcpy(original, (void *)(uintptr_t)fib, sizeof original);
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  cr_assert_eq(fixture_thread_count(), threads + 1);
  cr_assert_neq(handler_of(SIGSEGV), segv_before);
  int id;
  snare_breakpoint_set(s, fib, NULL, &id);
  cr_assert_neq(memcmp(original, (void *)(uintptr_t)fib, sizeof original), 0);
  snare_stop stop;
  uint64_t n = 4;
  snare_call(s, fib, 1, &n, &stop);
  cr_assert(snare_session_stopped(s));
  snare_session_free(s);
  cr_assert_eq(fixture_thread_count(), threads);
  cr_assert_eq(fixture_fd_count(), fds);
  cr_assert_eq(handler_of(SIGSEGV), segv_before);
  cr_assert_eq(handler_of(SIGTRAP), trap_before);
  cr_assert_eq(memcmp(original, (void *)(uintptr_t)fib, sizeof original), 0);
}

Test(teardown, free_accepts_null) { snare_session_free(NULL); }

Test(teardown, many_sessions_come_and_go, .timeout = 60) {
  int threads = fixture_thread_count();
  uint64_t fib = loops("O0", "fib");
  for (int i = 0; i < 100; i++) {
    snare_session *s;
    cr_assert_eq(snare_session_new(&s), SNARE_OK);
    int id;
    snare_breakpoint_set(s, fib, NULL, &id);
    snare_stop stop;
    uint64_t n = 3;
    snare_call(s, fib, 1, &n, &stop);
    cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
    snare_session_free(s);
  }
  cr_assert_eq(fixture_thread_count(), threads);
}
