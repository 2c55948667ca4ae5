/* fault_test.c - faults in the target become stops; the process and the
   session survive them. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

static void check_fault(const char *level, const char *function,
                        uint64_t argument, int signal,
                        snare_stop_reason reason) {
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_stop stop;
  uint64_t fn = fixture_symbol(level, "faults", function);
  cr_assert_eq(snare_call(session, fn, 1, &argument, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_SIGNAL, "%s: kind %s", function,
               snare_stop_kind_name(stop.kind));
  cr_assert_eq(stop.signal, signal, "%s: signal %d", function, stop.signal);
  cr_assert_eq(stop.reason, reason, "%s: reason %s", function,
               snare_stop_reason_text(stop.reason));
  cr_assert(snare_session_stopped(session));
  cr_assert_eq(snare_resume(session, SNARE_RESUME_ABORT, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_ABORTED);
  uint64_t n = 10;
  snare_call(session, fixture_symbol("O2", "loops", "fib"), 1, &n, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 55);
  snare_session_free(session);
}

TestSuite(fault, .timeout = 20);

Test(fault, segfault) {
  check_fault("O0", "do_segv", 0, SIGSEGV, SNARE_REASON_SEGFAULT);
  check_fault("O2", "do_segv", 0, SIGSEGV, SNARE_REASON_SEGFAULT);
}

Test(fault, division_by_zero) {
  check_fault("O0", "do_divzero", 0, SIGFPE, SNARE_REASON_ARITHMETIC);
  check_fault("O2", "do_divzero", 0, SIGFPE, SNARE_REASON_ARITHMETIC);
}

Test(fault, illegal_instruction) {
  check_fault("O0", "do_ud2", 0, SIGILL, SNARE_REASON_ILLEGAL_INSTRUCTION);
}

Test(fault, abort_call) {
  check_fault("O0", "do_abort", 0, SIGABRT, SNARE_REASON_ABORT);
}

Test(fault, stack_overflow) {
  check_fault("O0", "do_overflow", 1, SIGSEGV, SNARE_REASON_STACK_OVERFLOW);
  check_fault("O2", "do_overflow", 1, SIGSEGV, SNARE_REASON_STACK_OVERFLOW);
}

Test(fault, trap_instruction_in_the_program) {
  check_fault("O0", "do_int3", 0, SIGTRAP, SNARE_REASON_PROGRAM_TRAP);
}

Test(fault, segfault_reports_the_faulting_pc_and_address, .timeout = 20) {
  snare_session *session;
  snare_session_new(&session);
  snare_stop stop;
  uint64_t fn = fixture_symbol("O0", "faults", "do_segv");
  snare_call(session, fn, 0, NULL, &stop);
  cr_assert_eq(stop.fault_address, 0);
  cr_assert_geq(stop.pc, fn);
  cr_assert_lt(stop.pc, fn + 64);
  /* Continuing re-runs the faulting instruction: the same stop again. */
  uint64_t pc = stop.pc;
  snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_SIGNAL);
  cr_assert_eq(stop.pc, pc);
  snare_session_free(session);
}

Test(fault, continuing_after_abort_is_refused, .timeout = 20) {
  snare_session *session;
  snare_session_new(&session);
  snare_stop stop;
  snare_call(session, fixture_symbol("O0", "faults", "do_abort"), 0, NULL,
             &stop);
  cr_assert_eq(stop.reason, SNARE_REASON_ABORT);
  cr_assert_eq(snare_resume(session, SNARE_RESUME_CONTINUE, NULL, &stop),
               SNARE_WRONG_STATE);
  cr_assert(snare_session_stopped(session));
  snare_session_free(session); /* aborts the stopped worker */
}

static volatile sig_atomic_t own_handler_calls;
static void own_segv_handler(int sig, siginfo_t *info, void *context) {
  (void)sig;
  (void)context;
  own_handler_calls++;
  /* Repair the fault so the access succeeds when it is retried. */
  uintptr_t page = (uintptr_t)info->si_addr & ~(uintptr_t)4095;
  mprotect((void *)page, 4096, PROT_READ | PROT_WRITE);
}

Test(fault, faults_of_other_threads_reach_the_handler_installed_before,
     .timeout = 20) {
  struct sigaction own = {.sa_sigaction = own_segv_handler,
                          .sa_flags = SA_SIGINFO};
  sigemptyset(&own.sa_mask);
  sigaction(SIGSEGV, &own, NULL);
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  volatile int *guarded = mmap(NULL, 4096, PROT_NONE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *guarded = 42; /* faults on this unattached thread */
  cr_assert_eq(own_handler_calls, 1);
  cr_assert_eq(*guarded, 42);
  /* The worker's faults are still snare's. */
  snare_stop stop;
  snare_call(session, fixture_symbol("O0", "faults", "do_segv"), 0, NULL,
             &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_SIGNAL);
  cr_assert_eq(own_handler_calls, 1);
  snare_session_free(session);
  struct sigaction after;
  sigaction(SIGSEGV, NULL, &after);
  cr_assert_eq((void *)after.sa_sigaction, (void *)own_segv_handler);
}
