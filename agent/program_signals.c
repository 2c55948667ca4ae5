/*
 * program_signals.c - the program's signals under `snare debug -- PROG`,
 * as gdb's `handle` table says: a signal the program gets (raised by
 * itself, sent by another process, a timer's) stops it, is said, and is
 * passed on to the program or not.
 *
 * gdb sees the signals of its program through ptrace before they are
 * delivered. The agent is in the program: the signals the table stops
 * at, prints or keeps from the program get the agent's handler
 * (agent/signals.c keeps it there whatever the program sets, and what
 * the program set aside). The handler stops the thread there
 * (snare_signal_stop: a SIGNAL stop shown by the prompt, the thread
 * parked in this handler), or says the signal on the prompt's output;
 * then it passes the signal on as the prompt decided (the table's pass,
 * or what `signal` or `handle` said while the thread was stopped): the
 * program's handler runs there, with its mask and flags, as if the
 * kernel had called it; an ignored signal does nothing; a signal left
 * at its default action ends the program as gdb shows it (the report of
 * an end signal) unless that action is to ignore it. A signal not
 * passed on counts as snare's (agent_signal_taken): a sleep it cut short
 * goes on, as under gdb, where it never reached the program.
 */
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "agent.h"

static atomic_int handling[NSIG];
static _Atomic(const char *) said[NSIG];
static atomic_int prompt_out = -1;
static bool (*_Atomic stop_here)(int, int, void *);

/* The threads stopped at a signal, and whether it goes on to the
   program when they resume. */
#define VERDICTS 64
static struct verdict {
  atomic_ulong thread; /* a pthread_t; 0: free */
  atomic_bool pass;
} verdicts[VERDICTS];

void agent_signal_handling(int sig, int how, const char *text) {
  if (atomic_load(&stop_here) == NULL)
    atomic_store(&stop_here, (bool (*)(int, int, void *))agent_snare_function(
                                 "snare_signal_stop"));
  if (sig <= 0 || sig >= NSIG)
    return;
  const char *before = atomic_exchange(&said[sig], text);
  (void)before; /* kept: a handler may be writing it (a few bytes a change) */
  atomic_store(&handling[sig], how);
}

void agent_prompt_output(int fd) { atomic_store(&prompt_out, fd); }

bool agent_signal_pass(pthread_t thread, bool pass) {
  for (size_t i = 0; i < VERDICTS; i++)
    if (atomic_load(&verdicts[i].thread) == (unsigned long)thread) {
      atomic_store(&verdicts[i].pass, pass);
      return true;
    }
  return false;
}

static struct verdict *verdict_claim(bool pass) {
  unsigned long self = (unsigned long)pthread_self();
  for (size_t i = 0; i < VERDICTS; i++) {
    unsigned long free_slot = 0;
    if (atomic_compare_exchange_strong(&verdicts[i].thread, &free_slot,
                                       self)) {
      atomic_store(&verdicts[i].pass, pass);
      return &verdicts[i];
    }
  }
  return NULL;
}

static void say(int sig) {
  const char *text = atomic_load(&said[sig]);
  int fd = atomic_load(&prompt_out);
  if (text == NULL || fd < 0)
    return;
  for (size_t left = strlen(text); left > 0;) {
    ssize_t n = write(fd, text, left);
    if (n <= 0)
      return;
    text += n;
    left -= (size_t)n;
  }
}

/* The default action of sig ignores it. */
static bool ignored_by_default(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/* The program's action for sig, as the kernel would have taken it. */
static void pass_on(int sig, siginfo_t *info, void *context) {
  struct sigaction act;
  if (!agent_program_action(sig, &act))
    return;
  bool handler = (act.sa_flags & SA_SIGINFO) ||
                 (act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN);
  if (!handler) {
    if (act.sa_handler == SIG_IGN || ignored_by_default(sig))
      return;
    /* its default action ends it: reported, then the process dies of it;
       the thread goes no further meanwhile */
    agent_end_signal_raised(sig);
    struct timespec second = {1, 0};
    for (;;)
      real.clock_nanosleep(CLOCK_MONOTONIC, 0, &second, NULL);
  }
  agent_run_program_handler(sig, &act, info, context);
}

void agent_run_program_handler(int sig, const struct sigaction *act,
                               siginfo_t *info, void *context) {
  sigset_t mask = act->sa_mask; /* restored when the agent's handler returns */
  if (!(act->sa_flags & SA_NODEFER))
    sigaddset(&mask, sig);
  real.pthread_sigmask(SIG_BLOCK, &mask, NULL);
  if (act->sa_flags & SA_RESETHAND)
    agent_program_action_reset(sig);
  agent_program_handler_runs();
  if (act->sa_flags & SA_SIGINFO)
    act->sa_sigaction(sig, info, context);
  else if (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)
    act->sa_handler(sig);
}

void agent_program_signal(int sig, siginfo_t *info, void *context) {
  int how = atomic_load(&handling[sig]);
  bool pass = how & AGENT_SIGNAL_PASS;
  if (how & AGENT_SIGNAL_STOP) {
    bool (*stop)(int, int, void *) = atomic_load(&stop_here);
    struct verdict *slot = verdict_claim(pass);
    if (stop != NULL && stop(sig, info->si_code, context)) {
      if (slot != NULL)
        pass = atomic_load(&slot->pass);
    } else if (how & AGENT_SIGNAL_PRINT) {
      say(sig); /* a thread that cannot stop (one of snare's) */
    }
    if (slot != NULL)
      atomic_store(&slot->thread, 0);
  } else if (how & AGENT_SIGNAL_PRINT) {
    say(sig);
  }
  if (!pass) {
    agent_signal_taken(); /* it never reached the program */
    return;
  }
  pass_on(sig, info, context);
}
