/*
 * signals.c - snare's signal handlers on Linux: turn a signal into a
 * snare_fault for the core, and pass whatever the core does not claim to
 * the handler that was installed before snare's.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "internal/os.h"
#include "linux.h"

static const int fault_signals[] = {SIGTRAP, SIGSEGV, SIGBUS,
                                    SIGILL,  SIGFPE,  SIGABRT};
#define FAULT_SIGNAL_COUNT (sizeof fault_signals / sizeof fault_signals[0])

static struct sigaction previous[FAULT_SIGNAL_COUNT + 1];
/* previous[i] was set by snare_os_signal_chain: the program's handler. */
static bool set_behind[FAULT_SIGNAL_COUNT + 1];
static bool installed;

/*
 * Snare sets its own handlers with the C library's sigaction under its
 * internal name (glibc's __sigaction), which nobody interposes: an
 * LD_PRELOAD agent interposes sigaction so that the handlers the program
 * sets go behind snare's, and snare's own changes must not be taken for
 * the program's (a sanitizer's interceptor in between would hide who
 * calls, and RTLD_NEXT can lead back into either). It is linked directly:
 * a dlsym lookup of it at the first install made relocate_test.c's
 * jmp_within_the_window case die of an unclaimed SIGTRAP (why is not
 * established; the direct call needs no lookup at all).
 */
/* glibc's exported internal name of sigaction (the same function). */
extern int __sigaction(int sig, const struct sigaction *action,
                       struct sigaction *old);

int snare_linux_sigaction(int sig, const struct sigaction *action,
                          struct sigaction *old) {
  return __sigaction(sig, action, old);
}

static snare_fault_kind trap_kind(int code) {
  if (code == SI_KERNEL)
    return SNARE_FAULT_BREAKPOINT_TRAP; /* int3 */
  if (code == TRAP_TRACE)
    return SNARE_FAULT_STEP_TRAP;
  if (code == SNARE_LINUX_TRAP_PERF)
    return SNARE_FAULT_WATCH_TRAP; /* a watchpoint (watch_registers.c) */
  return SNARE_FAULT_OTHER_TRAP;
}

static snare_fault_kind fault_kind(int sig, int code) {
  switch (sig) {
  case SIGTRAP: return trap_kind(code);
  case SIGSEGV: return SNARE_FAULT_SEGV;
  case SIGBUS: return SNARE_FAULT_BUS;
  case SIGILL: return SNARE_FAULT_ILL;
  case SIGFPE: return SNARE_FAULT_FPE;
  case SIGABRT: return SNARE_FAULT_ABORT;
  default: return SNARE_FAULT_INTERRUPT;
  }
}

int snare_os_fault_signal(snare_fault_kind kind) {
  switch (kind) {
  case SNARE_FAULT_SEGV: return SIGSEGV;
  case SNARE_FAULT_BUS: return SIGBUS;
  case SNARE_FAULT_ILL: return SIGILL;
  case SNARE_FAULT_FPE: return SIGFPE;
  case SNARE_FAULT_ABORT: return SIGABRT;
  case SNARE_FAULT_INTERRUPT: return snare_linux_interrupt_signal();
  default: return SIGTRAP;
  }
}

static struct sigaction *previous_for(int sig) {
  if (sig == snare_linux_interrupt_signal())
    return &previous[FAULT_SIGNAL_COUNT];
  for (size_t i = 0; i < FAULT_SIGNAL_COUNT; i++)
    if (fault_signals[i] == sig)
      return &previous[i];
  return NULL;
}

/*
 * Hands a signal snare does not claim to whoever had it before. With no
 * handler before, the default action must happen: reinstall it and
 * re-raise, so the process dies of the real signal as it would have.
 */
static void chain(int sig, siginfo_t *info, void *context) {
  struct sigaction *prev = previous_for(sig);
  if (prev != NULL && (prev->sa_flags & SA_SIGINFO) &&
      prev->sa_sigaction != NULL) {
    prev->sa_sigaction(sig, info, context);
    return;
  }
  if (prev != NULL && prev->sa_handler != SIG_DFL &&
      prev->sa_handler != SIG_IGN) {
    prev->sa_handler(sig);
    return;
  }
  if (prev != NULL && prev->sa_handler == SIG_IGN && sig != SIGSEGV &&
      sig != SIGBUS && sig != SIGILL && sig != SIGFPE)
    return;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  snare_linux_sigaction(sig, &dfl, NULL);
  raise(sig);
}

/* Snare's signals this thread took; initial-exec: read and written in
   handlers, where a lazily allocated TLS block could not be. */
static _Thread_local __attribute__((tls_model("initial-exec"))) unsigned long
    signals_taken;

void snare_linux_signal_taken(void) { signals_taken++; }

unsigned long snare_os_signals_taken(void) { return signals_taken; }

static void on_signal(int sig, siginfo_t *info, void *context) {
  int saved_errno = errno;
  if (sig == snare_linux_interrupt_signal())
    signals_taken++;
  snare_fault fault = {
      .kind = fault_kind(sig, info->si_code),
      .signal = sig,
      .code = info->si_code,
  };
  /* si_addr is meaningful only for faults; for raised signals the same
     bytes hold the sender's pid. */
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE)
    fault.address = (uint64_t)(uintptr_t)info->si_addr;
  if (fault.kind == SNARE_FAULT_WATCH_TRAP)
    fault.address = snare_linux_perf_cookie(info);
  if ((sig == SIGSEGV || sig == SIGBUS) && snare_linux_probe_recover(context)) {
    snare_linux_signal_x87_settle(context);
    return;
  }
  if (snare_fault_dispatch(&fault, context))
    snare_linux_signal_x87_settle(context);
  else
    chain(sig, info, context);
  errno = saved_errno;
}

static bool install_one(int sig, struct sigaction *save, int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | flags;
  sigemptyset(&action.sa_mask);
  /* An interrupt must not land inside a fault handler running a callback. */
  sigaddset(&action.sa_mask, snare_linux_interrupt_signal());
  return snare_linux_sigaction(sig, &action, save) == 0;
}

snare_status snare_os_signals_install(void) {
  if (installed)
    return SNARE_OK;
  size_t done = 0;
  for (; done < FAULT_SIGNAL_COUNT; done++)
    /* NODEFER: a trap inside a condition callback must not kill us. */
    if (!install_one(fault_signals[done], &previous[done], SA_NODEFER))
      break;
  if (done == FAULT_SIGNAL_COUNT &&
      install_one(snare_linux_interrupt_signal(), &previous[done], 0)) {
    installed = true;
    return SNARE_OK;
  }
  while (done-- > 0)
    snare_linux_sigaction(fault_signals[done], &previous[done], NULL);
  return SNARE_SYSTEM;
}

static void restore_one(int sig, const struct sigaction *saved) {
  struct sigaction current;
  /* Someone installed a handler after us: theirs stays. */
  if (snare_linux_sigaction(sig, NULL, &current) == 0 &&
      (current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_signal)
    snare_linux_sigaction(sig, saved, NULL);
}

void snare_os_signals_restore(void) {
  if (!installed)
    return;
  for (size_t i = 0; i < FAULT_SIGNAL_COUNT; i++)
    restore_one(fault_signals[i], &previous[i]);
  restore_one(snare_linux_interrupt_signal(), &previous[FAULT_SIGNAL_COUNT]);
  snare_linux_world_restore();
  installed = false;
}

size_t snare_os_signals_reserved(int *out, size_t cap) {
  size_t count = FAULT_SIGNAL_COUNT + 2;
  for (size_t i = 0; i < count && i < cap; i++)
    out[i] = i < FAULT_SIGNAL_COUNT       ? fault_signals[i]
             : i == FAULT_SIGNAL_COUNT ? snare_linux_interrupt_signal()
                                       : snare_linux_world_signal();
  return count;
}

/*
 * A handler the program sets while snare's is installed goes behind
 * snare's: chain() hands it what snare does not claim, and restoring
 * snare's handlers later installs it. A signal arriving while the record
 * is rewritten may see the old handler or the new one, as it would with
 * sigaction() itself.
 */
snare_status snare_os_signal_chain(int sig, const void *action, void *old) {
  struct sigaction *chained = previous_for(sig);
  struct sigaction current;
  if (!installed || chained == NULL ||
      snare_linux_sigaction(sig, NULL, &current) != 0 ||
      !(current.sa_flags & SA_SIGINFO) || current.sa_sigaction != on_signal)
    return SNARE_NOT_FOUND;
  if (old != NULL)
    memcpy(old, chained, sizeof *chained);
  if (action != NULL) {
    memcpy(chained, action, sizeof *chained);
    set_behind[chained - previous] = true;
  }
  return SNARE_OK;
}

void snare_os_interrupt_block(void) {
  sigset_t interrupt;
  sigemptyset(&interrupt);
  sigaddset(&interrupt, snare_linux_interrupt_signal());
  pthread_sigmask(SIG_BLOCK, &interrupt, NULL);
}

bool snare_os_signal_handled_behind(int sig) {
  const struct sigaction *chained = previous_for(sig);
  if (chained == NULL || !set_behind[chained - previous])
    return false;
  if (chained->sa_flags & SA_SIGINFO)
    return chained->sa_sigaction != NULL;
  return chained->sa_handler != SIG_DFL && chained->sa_handler != SIG_IGN;
}
