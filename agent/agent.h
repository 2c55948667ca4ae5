/* agent.h - what the agent's files share: its state, the way the program
   ends, and the system functions its interposers call through. */
#ifndef SNARE_AGENT_H
#define SNARE_AGENT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/types.h>

#include "snare.h"

typedef enum agent_state {
  STARTING, /* the controller prepares */
  SESSION,  /* it passed its session: the main thread may attach */
  RUNNING,  /* the main thread attached and was resumed: the program runs */
  DONE,     /* the script ended */
} agent_state;

/* Why the program ends, as the script's agent.run reports it. */
typedef enum agent_end {
  END_NONE,
  END_EXIT,   /* exit(), _exit(), quick_exit(), main returned */
  END_EXEC,   /* an exec() replaces the program */
  END_SIGNAL, /* SIGINT, SIGTERM or SIGHUP with no handler of its own */
  END_DETACH, /* snare attach: snare leaves the running program */
} agent_end;

typedef struct agent {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  agent_state state;
  snare_session *session;
  int thread;         /* the main thread's id, told by the script */
  agent_end end;      /* the first way of ending the program took */
  int end_signal;     /* END_SIGNAL: which */
  int fault_signal;   /* kill the process with it when done */
  pthread_t controller;
  pthread_t main_thread;
  pid_t pid;          /* the process the agent started in */
  atomic_bool child;  /* a fork's child: no controller, nothing attached */
  char *script;
  char *args;
  char *start_dir;    /* where `snare` and the program started */
  struct lua_State *lua; /* the controller's state */
  int generation;     /* execs followed before this image (follow.c) */
  bool late;          /* dlopen'ed into a running process (attach.c) */
  bool attach_at_main; /* snare exec: the main thread attaches at main,
                          after the program's initialisers (start_main.c) */
} agent;

extern agent the_agent;

/* The system's own functions, behind the agent's interposers. */
typedef struct agent_real {
  int (*pthread_create)(pthread_t *, const pthread_attr_t *,
                        void *(*)(void *), void *);
  void (*pthread_exit)(void *);
  int (*sigaction)(int, const struct sigaction *, struct sigaction *);
  int (*sigprocmask)(int, const sigset_t *, sigset_t *);
  int (*pthread_sigmask)(int, const sigset_t *, sigset_t *);
  void (*exit_now)(int); /* _exit */
  void (*exit_quick)(int); /* _Exit */
  int (*execve)(const char *, char *const[], char *const[]);
  int (*execvpe)(const char *, char *const[], char *const[]);
  int (*fexecve)(int, char *const[], char *const[]);
  int (*pipe2)(int[2], int);
  int (*clock_nanosleep)(clockid_t, int, const struct timespec *,
                         struct timespec *);
  int (*pause)(void);
  int (*sigsuspend)(const sigset_t *);
  int (*poll)(struct pollfd *, nfds_t, int);
  int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
  int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
               const sigset_t *);
  int (*pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                 const sigset_t *);
  int (*start_main)(int (*)(int, char **, char **), int, char **,
                    void (*)(void), void (*)(void), void (*)(void), void *);
} agent_real;

extern agent_real real;

/* The agent is built with hidden visibility; its interposers must be
   seen by the program. */
#define AGENT_INTERPOSE __attribute__((visibility("default")))

/* Resolves `real` (before anything else of the agent runs). */
void agent_real_resolve(void);

/* Starts libunwind with its pipe kept high (unwinder_pipe.c); once
   snare.core is loaded, before the program runs on. */
void agent_unwinder_start(void);

/* A function of the snare C API, from the snare.core module. */
void *agent_snare_function(const char *name);

/* Waits until the state is at least `state`; returns the state reached. */
agent_state agent_wait_state(agent_state state);
agent_state agent_current_state(void);

/* "exit", "exec", "signal" as agent.run says; NULL for END_NONE. */
const char *agent_end_name(agent_end end);

/* The program ends in way `end`: unless it is the controller calling, or a
   child, or the program is not running yet, the script is told (a quit
   event) and the call returns when it is done, its report written. */
void agent_end_program(agent_end end, int signo);

/* True on the agent's own threads (the controller, the watcher): the
   threads they start are snare's, not the program's. */
extern _Thread_local bool agent_own_thread;

/* Sets the default action of signo, unblocks it and raises it: the process
   dies of it. Async-signal-safe. */
_Noreturn void agent_die_of(int signo);

/* The controller's Lua state with snare loaded and snare.agent.core
   there, its package paths (NULL: Lua's defaults) kept to their absolute
   templates; NULL and *why on failure. */
struct lua_State *agent_controller_state(const char *path, const char *cpath,
                                         const char **why);
/* Runs the controller script the_agent.script in L; false (its error said
   on `say`) if it failed. */
bool agent_run_script(struct lua_State *L, FILE *say);

/* agent/attach.c (snare attach): the running program's threads adopted
   into the session, new ones attached as they start, its exit told to
   snare; returns snare's id of the main thread, 0 if it is gone. */
int agent_attach_threads(snare_session *session);
int agent_l_running(struct lua_State *L);

/* The main thread attaches itself to the script's session, stopped, and
   returns when the script resumes it. */
void agent_attach_main_thread(void);
/* Runs fn on the main thread on a stack of the agent's own, so that the
   program's stack below its frames keeps the bytes it has without snare. */
void agent_on_own_stack(void (*fn)(void));

/* agent/threads.c: the main thread attached itself / a fork's child has
   nothing attached. */
void agent_threads_main_attached(void);
void agent_threads_forked_child(void);
/* agent/lifecycle.c: the end signals' watcher. */
void agent_lifecycle_start(void);
/* agent/follow.c: reads the start directory and generation, keeps what
   a followed exec needs; the environment an exec passes when following
   (malloc'd), or NULL. */
void agent_follow_start(void);
char **agent_follow_env(char *const envp[]);
/* agent/fork.c: the fork handlers; agent.on_fork(fn) for the script; a
   child's end, reported by what fn returned. */
void agent_fork_start(void);
int agent_l_on_fork(struct lua_State *L);
void agent_child_end(agent_end end, int signo);
/* agent/recorder.c: agent.record_start(dir, lossless, bytes) and
   agent.record_stop() for `snare record`; a fork's child's recording
   ends with it. */
int agent_l_record_start(struct lua_State *L);
int agent_l_record_stop(struct lua_State *L);
void agent_recorder_child_end(void);
/* agent/signals.c: the end signals handled (SIGINT, SIGTERM, SIGHUP). */
void agent_end_signals_install(void);
void agent_end_signals_forget(void); /* in a fork's child */
/* agent/sleeps.c: the program's sleeps resumed after snare's signals
   (started once snare.core is loaded); the agent's own handler took a
   signal on this thread (async-signal-safe). */
void agent_sleeps_start(void);
void agent_signal_taken(void);
/* The agent runs a program's handler on this thread (a signal it passed
   on: a wait it cuts short ends). Async-signal-safe. */
void agent_program_handler_runs(void);
/* agent/signals.c: what the program set for end signal sig while the
   agent's handler is on it (false when the program's own handler is
   installed itself); its reset to the default (SA_RESETHAND). Under the
   prompt, SIGINT stays the agent's (agent_sigint_keep). */
bool agent_program_action(int sig, struct sigaction *out);
void agent_program_action_reset(int sig);
void agent_sigint_keep(bool on);
/* agent/program_sigint.c: the prompt delivers SIGINT to the program's
   handler on thread `target` when it resumes (gdb's `signal SIGINT`):
   1 if the program has a handler (it runs then), 0 if it ignores the
   signal, -1 if it leaves it at its default action (nothing sent). The
   agent's SIGINT handler first asks agent_sigint_delivered whether the
   signal was that delivery (then it ran the program's handler). */
int agent_sigint_deliver(pthread_t target);
bool agent_sigint_delivered(siginfo_t *info, void *context);
/* agent/signals.c, under the prompt: the agent's handler kept on sig
   whatever the program sets (on), or the program's action back (off);
   false if sig cannot be kept (SIGINT has its own, snare's signals,
   SIGKILL, SIGSTOP, the C library's own). */
bool agent_signal_keepable(int sig);
/* pthread_create for a thread of the agent's: it blocks every signal
   but snare's from its first instruction (and so do the threads it
   starts), so a signal sent to the process goes to one of the program's
   threads, as it would without snare, whichever thread starts it. */
int agent_thread_start(pthread_t *thread, void *(*body)(void *), void *arg);
bool agent_signal_keep(int sig, bool on);
/* agent/program_signals.c: the prompt's table for sig (AGENT_SIGNAL_*
   bits; `text` what a print writes, kept by the caller), the descriptor
   it writes to, the verdict for a thread stopped at a signal (false if
   it is not stopped at one); the agent's handler of a kept signal. */
enum { AGENT_SIGNAL_STOP = 1, AGENT_SIGNAL_PRINT = 2, AGENT_SIGNAL_PASS = 4 };
void agent_signal_handling(int sig, int how, const char *text);
void agent_prompt_output(int fd);
bool agent_signal_pass(pthread_t thread, bool pass);
void agent_program_signal(int sig, siginfo_t *info, void *context);
/* Runs the program's handler `act` of sig from inside the agent's, as
   the kernel would have run it: its mask (and sig, without SA_NODEFER)
   blocked, SA_RESETHAND, SA_SIGINFO's arguments. */
void agent_run_program_handler(int sig, const struct sigaction *act,
                               siginfo_t *info, void *context);
/* Snare's signals the program asked blocked on this thread, which a
   thread it starts inherits (a new thread's mask is its creator's). */
sigset_t agent_blocked_by_program(void);
void agent_inherit_blocked(const sigset_t *blocked);
/* An end signal arrived (signal handler): the watcher reports, then the
   process dies of it. */
void agent_end_signal_raised(int signo);
/* Makes SIGINT stop the program (agent_interrupt_program) instead of
   ending it, or end it again. */
void agent_sigint_interrupts(bool on);
/* Asks one running thread of the program (the main thread first) to
   stop: its USER_BREAKPOINT event reaches the controller. */
void agent_interrupt_program(void);

#endif
