/*
 * program_sigint.c - a program's own SIGINT handler under `snare debug --
 * PROG`, as under gdb: a SIGINT stops the program (the agent keeps the
 * signal, agent/signals.c), and the program's handler runs only when the
 * prompt passes the signal on (`signal SIGINT`, or `continue` after
 * `handle SIGINT pass`), on the stopped thread, as it resumes.
 *
 * That thread is parked inside snare's signal handler, where SIGINT is
 * not blocked: sent there, the signal would run the program's handler
 * while the thread is stopped. So the first arrival only defers it: the
 * agent's handler adds SIGINT to the mask its return restores and sends
 * the signal again, which stays pending while the thread is parked; the
 * return of snare's handler at the resume restores the program's own
 * mask, and the signal arrives then, in program code, where the agent's
 * handler runs the program's (with its sa_mask and SA_RESETHAND).
 */
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "agent.h"

enum delivery { IDLE, ARMED, DEFERRED, DIRECT };

static atomic_int delivery;
static pthread_t delivery_thread;

static void run_program_handler(siginfo_t *info, void *context) {
  struct sigaction act;
  if (agent_program_action(SIGINT, &act))
    agent_run_program_handler(SIGINT, &act, info, context);
}

bool agent_sigint_delivered(siginfo_t *info, void *context) {
  int state = atomic_load(&delivery);
  if (state == IDLE || !pthread_equal(pthread_self(), delivery_thread))
    return false;
  if (state == ARMED) { /* parked: again once it resumes */
    sigaddset(&((ucontext_t *)context)->uc_sigmask, SIGINT);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGINT);
    atomic_store(&delivery, DEFERRED);
    return true;
  }
  atomic_store(&delivery, IDLE);
  run_program_handler(info, context);
  return true;
}

int agent_sigint_deliver(pthread_t target) {
  struct sigaction act;
  if (!agent_program_action(SIGINT, &act))
    return 0;
  if (!(act.sa_flags & SA_SIGINFO) && act.sa_handler == SIG_IGN)
    return 0;
  if (!(act.sa_flags & SA_SIGINFO) && act.sa_handler == SIG_DFL)
    return -1;
  delivery_thread = target;
  atomic_store(&delivery, ARMED);
  if (pthread_kill(target, SIGINT) != 0) {
    atomic_store(&delivery, IDLE);
    return 0;
  }
  /* The parked thread defers it at once, unless the program blocks
     SIGINT there: it then arrives whenever the program unblocks it, in
     program code, and runs the handler at once. */
  struct timespec pause = {0, 1000000};
  for (int i = 0; i < 1000 && atomic_load(&delivery) == ARMED; i++)
    nanosleep(&pause, NULL);
  int armed = ARMED;
  atomic_compare_exchange_strong(&delivery, &armed, DIRECT);
  return 1;
}
