/*
 * signals.c - the program's own signal calls, interposed:
 *
 * - Snare's signals (traps, faults, its interrupt signal) keep snare's
 *   handler first: a handler the program sets for one of them becomes
 *   the one snare chains to (snare_signal_chain), and what it reads back
 *   is its own. Masks the program sets never block them (a trap while
 *   SIGTRAP is blocked kills the process); the mask it reads back still
 *   shows them as it set them.
 * - Under the prompt, the signals its `handle` table stops at, prints or
 *   keeps from the program get the agent's handler whatever the program
 *   sets, and what the program set is kept aside for when the signal is
 *   passed on (agent/program_signals.c).
 * - The end signals (SIGINT, SIGTERM, SIGHUP) get a handler of the agent
 *   while the program leaves them at their default action: the report is
 *   written, then the process dies of the signal. Once the program sets
 *   a handler (or SIG_IGN) of its own, it alone decides; but under the
 *   prompt SIGINT stays the agent's (it stops the program, as gdb's
 *   Ctrl-C), and the program's handler runs when the prompt delivers the
 *   signal (agent/program_sigint.c).
 *
 * Snare.core sets its handlers with the system's sigaction directly
 * (os/linux/signals.c), and the agent calls the system's functions.
 */
#include <string.h>

#include "agent.h"

static const int end_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define END_SIGNAL_COUNT (sizeof end_signals / sizeof end_signals[0])

/* Per signal: the agent's handler is on it, and what the program sees
   there (what it set, or the action it found). */
static bool agent_handles[NSIG];
static struct sigaction program_view[NSIG];
/* Under the prompt: the signals the agent keeps whatever the program
   sets (agent/program_signals.c decides what they do). */
static atomic_bool kept[NSIG];

static sigset_t reserved;
static bool have_reserved;

/* Snare's signals the program asked blocked on this thread. */
static _Thread_local sigset_t blocked_by_program;

static bool is_end_signal(int sig) {
  for (size_t i = 0; i < END_SIGNAL_COUNT; i++)
    if (end_signals[i] == sig)
      return true;
  return false;
}

static bool is_default(const struct sigaction *act);

/* Snare's own asynchronous signals (its interrupt, its world stop: the
   real-time ones it reserves) wait until the agent's handler returns,
   when the kernel restores the mask the signal found. The SIGINT that
   stops the program wakes the end signals' watcher, which interrupts
   this thread: landing before the return (the watcher may preempt it
   in sem_post), the stop would show the handler's sem_post instead of
   the program's code where the SIGINT came. Traps and faults stay
   unblocked: blocked, they kill. */
static void defer_snare_signals(void) {
  if (!have_reserved)
    return;
  sigset_t deferred;
  sigemptyset(&deferred);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    if (sigismember(&reserved, sig) == 1)
      sigaddset(&deferred, sig);
  real.pthread_sigmask(SIG_BLOCK, &deferred, NULL);
}

static void on_agent_signal(int sig, siginfo_t *info, void *context) {
  if (sig == SIGINT && agent_sigint_delivered(info, context))
    return; /* the prompt handed it to the program's handler */
  if (sig != SIGINT && atomic_load(&kept[sig])) {
    agent_program_signal(sig, info, context);
    return;
  }
  agent_signal_taken(); /* not the program's: its sleep goes on */
  defer_snare_signals();
  agent_end_signal_raised(sig);
}

/* Under the prompt: SIGINT stays the agent's whatever the program sets. */
static atomic_bool keep_sigint;

static bool keeps(int sig) {
  return sig == SIGINT ? atomic_load(&keep_sigint) : atomic_load(&kept[sig]);
}

bool agent_program_action(int sig, struct sigaction *out) {
  if (sig <= 0 || sig >= NSIG || !agent_handles[sig])
    return false;
  *out = program_view[sig];
  return true;
}

void agent_program_action_reset(int sig) {
  if (sig > 0 && sig < NSIG) {
    memset(&program_view[sig], 0, sizeof program_view[sig]);
    program_view[sig].sa_handler = SIG_DFL;
  }
}

/* The agent's handler on sig, restarting system calls as the program's
   own handler asked (a read that an alarm's handler should cut short
   fails with EINTR as without snare), else always. */
static bool install_agent_handler(int sig) {
  const struct sigaction *view = &program_view[sig];
  bool handler = (view->sa_flags & SA_SIGINFO) ||
                 (view->sa_handler != SIG_DFL && view->sa_handler != SIG_IGN);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_agent_signal;
  action.sa_flags = SA_SIGINFO | (handler ? view->sa_flags & SA_RESTART
                                          : SA_RESTART);
  sigemptyset(&action.sa_mask);
  return real.sigaction(sig, &action, NULL) == 0;
}

void agent_sigint_keep(bool on) {
  atomic_store(&keep_sigint, on);
  if (!on && agent_handles[SIGINT] && !is_default(&program_view[SIGINT])) {
    agent_handles[SIGINT] = false; /* the program's handler takes it again */
    real.sigaction(SIGINT, &program_view[SIGINT], NULL);
  }
}

bool agent_signal_keepable(int sig) {
  return sig > 0 && sig < NSIG && sig != SIGINT && sig != SIGKILL &&
         sig != SIGSTOP && !(have_reserved && sigismember(&reserved, sig)) &&
         (sig < 32 || (sig >= SIGRTMIN && sig <= SIGRTMAX));
}

bool agent_signal_keep(int sig, bool on) {
  if (!agent_signal_keepable(sig))
    return false;
  atomic_store(&kept[sig], on);
  if (on && !agent_handles[sig]) {
    if (real.sigaction(sig, NULL, &program_view[sig]) != 0)
      return false;
    agent_handles[sig] = install_agent_handler(sig);
  } else if (!on && agent_handles[sig] &&
             !(is_end_signal(sig) && is_default(&program_view[sig]))) {
    agent_handles[sig] = false; /* the program's own action again */
    real.sigaction(sig, &program_view[sig], NULL);
  }
  return agent_handles[sig] == on;
}

void agent_end_signals_install(void) {
  for (size_t i = 0; i < END_SIGNAL_COUNT; i++) {
    int sig = end_signals[i];
    struct sigaction current;
    if (real.sigaction(sig, NULL, &current) != 0 ||
        (current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL)
      continue; /* ignored, or handled by whoever started us */
    program_view[sig] = current;
    agent_handles[sig] = install_agent_handler(sig);
  }
  size_t (*list)(int *, size_t) =
      (size_t(*)(int *, size_t))agent_snare_function("snare_signals_reserved");
  int numbers[16];
  size_t count = list(numbers, 16);
  sigemptyset(&reserved);
  for (size_t i = 0; i < count && i < 16; i++)
    sigaddset(&reserved, numbers[i]);
  have_reserved = count > 0;
}

int agent_thread_start(pthread_t *thread, void *(*body)(void *), void *arg) {
  sigset_t program, old;
  sigfillset(&program);
  for (int sig = 1; sig < NSIG; sig++)
    if (have_reserved && sigismember(&reserved, sig) == 1)
      sigdelset(&program, sig);
  real.pthread_sigmask(SIG_BLOCK, &program, &old);
  int status = real.pthread_create(thread, NULL, body, arg);
  real.pthread_sigmask(SIG_SETMASK, &old, NULL);
  return status;
}

void agent_end_signals_forget(void) {
  for (int sig = 1; sig < NSIG; sig++) {
    atomic_store(&kept[sig], false);
    if (agent_handles[sig]) {
      real.sigaction(sig, &program_view[sig], NULL);
      agent_handles[sig] = false;
    }
  }
}

static bool is_default(const struct sigaction *act) {
  return !(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_DFL;
}

static int program_sigaction(int sig, const struct sigaction *act,
                             struct sigaction *old) {
  if (sig > 0 && sig < NSIG && agent_handles[sig]) {
    if (act != NULL && !is_default(act) && !keeps(sig)) {
      agent_handles[sig] = false; /* the program decides from now on */
      int status = real.sigaction(sig, act, NULL);
      if (status == 0 && old != NULL)
        *old = program_view[sig];
      return status;
    }
    if (old != NULL)
      *old = program_view[sig];
    if (act != NULL) {
      program_view[sig] = *act;
      if (sig != SIGINT && keeps(sig))
        install_agent_handler(sig); /* its SA_RESTART */
    }
    return 0;
  }
  if (have_reserved && sig > 0 && sig < NSIG && sigismember(&reserved, sig)) {
    snare_status (*chain)(int, const void *, void *) =
        (snare_status(*)(int, const void *, void *))agent_snare_function(
            "snare_signal_chain");
    struct sigaction previous;
    if (chain(sig, act, &previous) == SNARE_OK) {
      if (old != NULL)
        *old = previous;
      return 0;
    }
  }
  return real.sigaction(sig, act, old);
}

AGENT_INTERPOSE int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  agent_real_resolve();
  if (the_agent.script == NULL)
    return real.sigaction(sig, act, old);
  return program_sigaction(sig, act, old);
}

/* glibc's signal(): BSD semantics (restarting, the signal blocked in its
   own handler). */
AGENT_INTERPOSE __sighandler_t signal(int sig, __sighandler_t handler) {
  agent_real_resolve();
  struct sigaction action, old;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sig > 0 && sig < NSIG)
    sigaddset(&action.sa_mask, sig);
  int status = the_agent.script == NULL
                   ? real.sigaction(sig, &action, &old)
                   : program_sigaction(sig, &action, &old);
  return status == 0 ? old.sa_handler : SIG_ERR;
}

/* Sets a mask for the program: snare's signals are taken out of it and
   remembered, and added back into the old mask it reads. */
static int program_mask(int (*set_mask)(int, const sigset_t *, sigset_t *),
                        int how, const sigset_t *set, sigset_t *old) {
  if (!have_reserved || the_agent.script == NULL)
    return set_mask(how, set, old);
  sigset_t before = blocked_by_program, wanted;
  if (set != NULL) {
    wanted = *set;
    for (int sig = 1; sig < NSIG; sig++) {
      if (!sigismember(&reserved, sig))
        continue;
      bool named = sigismember(set, sig) == 1;
      if (how == SIG_SETMASK || (how == SIG_BLOCK && named))
        named ? sigaddset(&blocked_by_program, sig)
              : sigdelset(&blocked_by_program, sig);
      else if (how == SIG_UNBLOCK && named)
        sigdelset(&blocked_by_program, sig);
      sigdelset(&wanted, sig);
    }
    set = &wanted;
  }
  int status = set_mask(how, set, old);
  if (status != 0) {
    blocked_by_program = before;
    return status;
  }
  if (old != NULL)
    for (int sig = 1; sig < NSIG; sig++)
      if (sigismember(&before, sig) == 1)
        sigaddset(old, sig);
  return 0;
}

sigset_t agent_blocked_by_program(void) { return blocked_by_program; }

void agent_inherit_blocked(const sigset_t *blocked) {
  blocked_by_program = *blocked;
}

AGENT_INTERPOSE int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  agent_real_resolve();
  return program_mask(real.sigprocmask, how, set, old);
}

AGENT_INTERPOSE int pthread_sigmask(int how, const sigset_t *set, sigset_t *old) {
  agent_real_resolve();
  return program_mask(real.pthread_sigmask, how, set, old);
}
