/*
 * lifecycle.c - the ways a program ends or changes that skip exit():
 * _exit() and _Exit() (quick_exit's handler is registered with the
 * atexit one), an exec() replacing the image, an end signal (SIGINT,
 * SIGTERM, SIGHUP, see signals.c). fork() is in fork.c.
 *
 * Each writes the report first: the calling thread waits until the
 * script is done, then the call goes on as the program made it, so the
 * exit status (or the new image) is the program's.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"

AGENT_INTERPOSE void _exit(int status) {
  agent_real_resolve();
  agent_end_program(END_EXIT, 0);
  real.exit_now(status);
  __builtin_unreachable();
}

AGENT_INTERPOSE void _Exit(int status) {
  agent_real_resolve();
  agent_end_program(END_EXIT, 0);
  real.exit_quick(status);
  __builtin_unreachable();
}

/* The report of the image about to be replaced. A vfork's child shares
   the parent's memory but not its pid: it must not end the parent's
   session (agent_end_program checks the pid). The new image runs without
   the agent (its variables were taken out of the environment at start)
   unless exec is followed: then the environment to pass instead. */
static char **before_exec(char *const envp[]) {
  agent_real_resolve();
  agent_end_program(END_EXEC, 0);
  return agent_follow_env(envp);
}

/* Runs exec `call` with the environment following may replace; frees it
   if the exec fails. */
#define EXEC_WITH(call, envp)                                                  \
  do {                                                                         \
    char **followed = before_exec(envp);                                       \
    int status = call(followed != NULL ? followed : (envp));                   \
    int saved = errno;                                                         \
    free(followed);                                                            \
    errno = saved;                                                             \
    return status;                                                             \
  } while (0)

#define CALL_EXECVE(env) real.execve(path, argv, env)
#define CALL_EXECVPE(env) real.execvpe(file, argv, env)
#define CALL_FEXECVE(env) real.fexecve(fd, argv, env)

AGENT_INTERPOSE int execve(const char *path, char *const argv[],
                           char *const envp[]) {
  EXEC_WITH(CALL_EXECVE, envp);
}

AGENT_INTERPOSE int execv(const char *path, char *const argv[]) {
  EXEC_WITH(CALL_EXECVE, environ);
}

AGENT_INTERPOSE int execvpe(const char *file, char *const argv[],
                            char *const envp[]) {
  EXEC_WITH(CALL_EXECVPE, envp);
}

AGENT_INTERPOSE int execvp(const char *file, char *const argv[]) {
  EXEC_WITH(CALL_EXECVPE, environ);
}

AGENT_INTERPOSE int fexecve(int fd, char *const argv[], char *const envp[]) {
  EXEC_WITH(CALL_FEXECVE, envp);
}

/* The argument list of an execl* call, NULL-terminated, in a new array;
   *envp receives the environment that follows it when `with_env`. */
static char **collect_args(const char *first, va_list ap, bool with_env,
                           char ***envp) {
  size_t count = 1, capacity = 8;
  char **args = malloc(capacity * sizeof *args);
  if (args == NULL)
    return NULL;
  args[0] = (char *)first;
  for (char *arg = (char *)first; arg != NULL; count++) {
    arg = va_arg(ap, char *);
    if (count == capacity) {
      char **grown = realloc(args, (capacity *= 2) * sizeof *args);
      if (grown == NULL) {
        free(args);
        return NULL;
      }
      args = grown;
    }
    args[count] = arg;
  }
  if (with_env)
    *envp = va_arg(ap, char **);
  return args;
}

/* execl, execlp, execle: the list becomes an array for the exec* call. */
#define EXEC_LIST(name, target, with_env)                                      \
  AGENT_INTERPOSE int name(const char *path, const char *arg, ...) {                          \
    char **envp = environ;                                                     \
    va_list ap;                                                                \
    va_start(ap, arg);                                                         \
    char **args = collect_args(arg, ap, with_env, &envp);                      \
    va_end(ap);                                                                \
    if (args == NULL) {                                                        \
      errno = ENOMEM;                                                          \
      return -1;                                                               \
    }                                                                          \
    int status = target(path, args, envp);                                     \
    int saved = errno;                                                         \
    free(args);                                                                \
    errno = saved;                                                             \
    return status;                                                             \
  }

EXEC_LIST(execl, execve, false)
EXEC_LIST(execle, execve, true)
EXEC_LIST(execlp, execvpe, false)

/* ---- end signals: reported by a thread of their own ---- */

static sem_t end_signalled;
static atomic_int end_signal;
/* Under `snare debug -- PROG`, a SIGINT at its default action stops the
   program for the prompt (gdb's Ctrl-C) instead of ending it. */
static atomic_bool sigint_interrupts, interrupt_pending;

void agent_sigint_interrupts(bool on) {
  atomic_store(&sigint_interrupts, on);
  agent_sigint_keep(on);
}

void agent_end_signal_raised(int signo) {
  if (signo == SIGINT && atomic_load(&sigint_interrupts) &&
      !atomic_load(&the_agent.child)) {
    atomic_store(&interrupt_pending, true);
    sem_post(&end_signalled);
    return;
  }
  int none = 0;
  /* A second end signal (^C again), or one in a child, has its default
     effect at once. */
  if (atomic_load(&the_agent.child) ||
      !atomic_compare_exchange_strong(&end_signal, &none, signo))
    agent_die_of(signo);
  sem_post(&end_signalled);
}

static void *watch_end_signals(void *unused) {
  (void)unused;
  agent_own_thread = true;
  for (;;) {
    while (sem_wait(&end_signalled) != 0)
      ; /* EINTR */
    if (!atomic_exchange(&interrupt_pending, false))
      break;
    agent_interrupt_program();
  }
  int signo = atomic_load(&end_signal);
  agent_end_program(END_SIGNAL, signo);
  agent_die_of(signo);
}

void agent_lifecycle_start(void) {
  sem_init(&end_signalled, 0, 0);
  pthread_t watcher;
  sigset_t all, old;
  sigfillset(&all);
  /* The watcher takes no signal: they go to the program's threads. */
  real.pthread_sigmask(SIG_SETMASK, &all, &old);
  if (real.pthread_create(&watcher, NULL, watch_end_signals, NULL) == 0)
    pthread_detach(watcher);
  real.pthread_sigmask(SIG_SETMASK, &old, NULL);
}
