/*
 * real.c - the system's functions the agent interposes, found behind it
 * (RTLD_NEXT). The agent itself calls only these, never its own
 * interposers.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

agent_real real;

/* dlsym gives a data pointer; the function pointer is that address. */
#define RESOLVE(field, name)                                                   \
  do {                                                                         \
    void *found = dlsym(RTLD_NEXT, name);                                      \
    if (found == NULL) {                                                       \
      fprintf(stderr, "snare agent: no %s behind the agent\n", name);         \
      syscall(SYS_exit_group, 125); /* _exit is the agent's own */             \
    }                                                                          \
    *(void **)&real.field = found;                                             \
  } while (0)

void agent_real_resolve(void) {
  if (real.pthread_create != NULL)
    return;
  RESOLVE(pthread_create, "pthread_create");
  RESOLVE(pthread_exit, "pthread_exit");
  RESOLVE(sigaction, "sigaction");
  RESOLVE(sigprocmask, "sigprocmask");
  RESOLVE(pthread_sigmask, "pthread_sigmask");
  RESOLVE(exit_now, "_exit");
  RESOLVE(exit_quick, "_Exit");
  RESOLVE(execve, "execve");
  RESOLVE(execvpe, "execvpe");
  RESOLVE(fexecve, "fexecve");
  RESOLVE(pipe2, "pipe2");
  RESOLVE(clock_nanosleep, "clock_nanosleep");
  RESOLVE(pause, "pause");
  RESOLVE(sigsuspend, "sigsuspend");
  RESOLVE(poll, "poll");
  RESOLVE(select, "select");
  RESOLVE(ppoll, "ppoll");
  RESOLVE(pselect, "pselect");
  RESOLVE(start_main, "__libc_start_main");
}
