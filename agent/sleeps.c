/*
 * sleeps.c - the program's sleeps, kept whole across snare's signals.
 *
 * Snare stops a running thread with a signal (a break request, Ctrl-C
 * under the prompt, a code write stopping the world), and a handler that
 * runs during a system call makes it fail with EINTR unless the kernel
 * restarts it. SA_RESTART restarts read(), write(), wait() and the like,
 * but never the sleeps (nanosleep, clock_nanosleep; signal(7)): a program
 * under snare would see a sleep cut short that gdb, whose ptrace stops
 * run no handler in the target, never cuts.
 *
 * So the agent interposes them. A sleep that fails with EINTR while the
 * thread took one of snare's signals (snare_signals_taken grew, or the
 * agent's own SIGINT handler ran) goes on to the deadline it had from
 * the start, as the kernel's own restart of a sleep stopped by ptrace
 * does (the time spent parked counts). A sleep interrupted by the
 * program's own signal fails as it would have, with the time left.
 * glibc's sleep() and usleep() call its nanosleep internally, past any
 * interposer: they are made of the interposed one here, as glibc makes
 * them.
 *
 * The waits a handler cuts short whatever SA_RESTART says (signal(7))
 * go on the same way where gdb's stop does not end them: pause() and
 * sigsuspend() wait again; poll() and select() wait again for the time
 * their timeout has left (the time spent stopped counts, as in a
 * sleep), select() with the descriptor sets it was given (a failed
 * select leaves them as they were). epoll_wait() fails with EINTR after
 * a ptrace stop too (the kernel never restarts it), so it is left as it
 * is (but under the prompt the SIGINT of a Ctrl-C ends it before the
 * stop, which a program that ends at once may outrun), and so is
 * epoll_pwait. ppoll() and pselect() go on as poll() and select() do
 * (gdb's stop restarts them), for what is left of their timeout from a
 * monotonic deadline.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define NANOS 1000000000L

static unsigned long (*core_signals_taken)(void);
static _Thread_local __attribute__((tls_model("initial-exec"))) unsigned long
    agent_signals;

/* The program's handlers the agent ran on this thread (a signal it
   passed on): a wait they cut short ends, whatever snare's signals did
   meanwhile. */
static _Thread_local __attribute__((tls_model("initial-exec"))) unsigned long
    program_handled;

void agent_signal_taken(void) { agent_signals++; }

void agent_program_handler_runs(void) { program_handled++; }

void agent_sleeps_start(void) {
  core_signals_taken =
      (unsigned long (*)(void))agent_snare_function("snare_signals_taken");
}

/* Snare's signals this thread has taken so far. Async-signal-safe. */
static unsigned long taken(void) {
  unsigned long (*core)(void) = core_signals_taken;
  return agent_signals + (core != NULL ? core() : 0);
}

/* What a wait that failed with EINTR compares: it goes on when snare's
   signals alone cut it short. */
typedef struct signals_seen {
  unsigned long snare, program;
} signals_seen;

static signals_seen seen(void) {
  return (signals_seen){taken(), program_handled};
}

static bool only_snare(bool interrupted, signals_seen before) {
  return interrupted && taken() != before.snare &&
         program_handled == before.program;
}

static struct timespec plus(struct timespec a, struct timespec b) {
  struct timespec sum = {a.tv_sec + b.tv_sec, a.tv_nsec + b.tv_nsec};
  if (sum.tv_nsec >= NANOS) {
    sum.tv_sec++;
    sum.tv_nsec -= NANOS;
  }
  return sum;
}

/* a - b, or zero when b is later. */
static struct timespec until(struct timespec a, struct timespec b) {
  struct timespec left = {a.tv_sec - b.tv_sec, a.tv_nsec - b.tv_nsec};
  if (left.tv_nsec < 0) {
    left.tv_sec--;
    left.tv_nsec += NANOS;
  }
  if (left.tv_sec < 0)
    left = (struct timespec){0, 0};
  return left;
}

static bool valid(const struct timespec *t) {
  return t != NULL && t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec < NANOS;
}

/* The clock a relative sleep on `clock` is measured on: its own, but
   the monotonic one for wall-clock time, which may be set meanwhile. */
static clockid_t measured_on(clockid_t clock) {
  return clock == CLOCK_REALTIME ? CLOCK_MONOTONIC : clock;
}

/*
 * clock_nanosleep's work: the sleep on `clock` (TIMER_ABSTIME in flags or
 * not) of *req, resumed to its deadline after snare's signals (a relative
 * one with the time left then, so that the call looks as the program
 * made it). Returns 0 or an error number, *rem as the system's.
 */
static int sleep_on(clockid_t clock, int flags, const struct timespec *req,
                    struct timespec *rem) {
  struct timespec start;
  bool relative = !(flags & TIMER_ABSTIME);
  if (!valid(req) ||
      (relative && clock_gettime(measured_on(clock), &start) != 0))
    return real.clock_nanosleep(clock, flags, req, rem);
  struct timespec deadline = relative ? plus(start, *req) : *req, left;
  const struct timespec *asked = req;
  int status;
  signals_seen before;
  do {
    before = seen();
    status = real.clock_nanosleep(clock, flags, asked, rem);
    if (status == EINTR && relative) {
      struct timespec now;
      clock_gettime(measured_on(clock), &now);
      left = until(deadline, now);
      asked = &left;
    }
  } while (only_snare(status == EINTR, before));
  return status;
}

AGENT_INTERPOSE int clock_nanosleep(clockid_t clock, int flags,
                                    const struct timespec *req,
                                    struct timespec *rem) {
  agent_real_resolve();
  return sleep_on(clock, flags, req, rem);
}

/* glibc's nanosleep is its clock_nanosleep on CLOCK_REALTIME. */
AGENT_INTERPOSE int nanosleep(const struct timespec *req,
                              struct timespec *rem) {
  agent_real_resolve();
  int status = sleep_on(CLOCK_REALTIME, 0, req, rem);
  if (status == 0)
    return 0;
  errno = status;
  return -1;
}

AGENT_INTERPOSE int usleep(useconds_t micros) {
  struct timespec length = {micros / 1000000, (long)(micros % 1000000) * 1000};
  return nanosleep(&length, NULL);
}

/* glibc's: the seconds left, rounded to the nearest, when cut short. */
AGENT_INTERPOSE unsigned int sleep(unsigned int seconds) {
  int saved_errno = errno;
  struct timespec length = {seconds, 0}, left = {0, 0};
  unsigned int result = 0;
  if (nanosleep(&length, &left) != 0)
    result = (unsigned int)left.tv_sec + (left.tv_nsec >= NANOS / 2);
  errno = saved_errno;
  return result;
}

/* ---- waits: pause, sigsuspend, poll, select ---- */

#define WAIT_AGAIN(call)                                                       \
  do {                                                                         \
    signals_seen before = seen();                                              \
    int status = (call);                                                       \
    if (status != -1 || !only_snare(errno == EINTR, before))                     \
      return status;                                                           \
  } while (1)

AGENT_INTERPOSE int pause(void) {
  agent_real_resolve();
  WAIT_AGAIN(real.pause());
}

AGENT_INTERPOSE int sigsuspend(const sigset_t *mask) {
  agent_real_resolve();
  WAIT_AGAIN(real.sigsuspend(mask));
}

/* A timeout of `ms` milliseconds from now: its end; and what is left of
   it then, rounded up (a wait never ends early; negative: none). */
static struct timespec ms_deadline(int ms) {
  struct timespec now, length = {ms / 1000, (long)(ms % 1000) * 1000000};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return plus(now, length);
}

static int ms_left(int ms, struct timespec deadline) {
  if (ms < 0)
    return ms;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec left = until(deadline, now);
  long long total = (long long)left.tv_sec * 1000 +
                    (left.tv_nsec + 999999) / 1000000;
  return total > ms ? ms : (int)total;
}

AGENT_INTERPOSE int poll(struct pollfd *fds, nfds_t count, int ms) {
  agent_real_resolve();
  struct timespec deadline = ms_deadline(ms < 0 ? 0 : ms);
  WAIT_AGAIN(real.poll(fds, count, ms_left(ms, deadline)));
}

/* The descriptor sets a select was given, and a copy of each, to give
   them back to a wait that goes on (a failed select leaves them as they
   were). */
typedef struct fd_sets {
  fd_set *given[3];
  fd_set copies[3];
} fd_sets;

static fd_sets sets_of(fd_set *read, fd_set *write, fd_set *except) {
  fd_sets sets = {{read, write, except}, {{{0}}}};
  for (int i = 0; i < 3; i++)
    if (sets.given[i] != NULL)
      sets.copies[i] = *sets.given[i];
  return sets;
}

static void sets_restore(const fd_sets *sets) {
  for (int i = 0; i < 3; i++)
    if (sets->given[i] != NULL)
      *sets->given[i] = sets->copies[i];
}

AGENT_INTERPOSE int select(int count, fd_set *read, fd_set *write,
                           fd_set *except, struct timeval *timeout) {
  agent_real_resolve();
  fd_sets sets = sets_of(read, write, except);
  struct timespec deadline = {0, 0};
  bool timed = timeout != NULL && timeout->tv_sec >= 0 &&
               timeout->tv_usec >= 0 && timeout->tv_usec < 1000000;
  if (timed) {
    struct timespec now,
        length = {timeout->tv_sec, (long)timeout->tv_usec * 1000};
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline = plus(now, length);
  }
  for (;;) {
    signals_seen before = seen();
    int status = real.select(count, read, write, except, timeout);
    if (status != -1 || !only_snare(errno == EINTR, before))
      return status;
    sets_restore(&sets);
    if (timed) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      struct timespec left = until(deadline, now);
      timeout->tv_sec = left.tv_sec;
      timeout->tv_usec = (left.tv_nsec + 999) / 1000;
      if (timeout->tv_usec == 1000000) {
        timeout->tv_sec++;
        timeout->tv_usec = 0;
      }
    }
  }
}

/* The end of a wait of `length` from now (NULL, or not valid: none). */
static struct timespec deadline_of(const struct timespec *length) {
  struct timespec now = {0, 0};
  if (valid(length)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    now = plus(now, *length);
  }
  return now;
}

/* What is left of the wait `length` with end `deadline`, in `left`;
   `length` itself when it sets no end (NULL, or not valid). */
static const struct timespec *left_of(const struct timespec *length,
                                      struct timespec deadline,
                                      struct timespec *left) {
  if (!valid(length))
    return length;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  *left = until(deadline, now);
  return left;
}

AGENT_INTERPOSE int ppoll(struct pollfd *fds, nfds_t count,
                          const struct timespec *timeout,
                          const sigset_t *mask) {
  agent_real_resolve();
  struct timespec deadline = deadline_of(timeout), left;
  WAIT_AGAIN(real.ppoll(fds, count, left_of(timeout, deadline, &left), mask));
}

AGENT_INTERPOSE int pselect(int count, fd_set *read, fd_set *write,
                            fd_set *except, const struct timespec *timeout,
                            const sigset_t *mask) {
  agent_real_resolve();
  fd_sets sets = sets_of(read, write, except);
  struct timespec deadline = deadline_of(timeout), left;
  for (;;) {
    signals_seen before = seen();
    int status = real.pselect(count, read, write, except,
                              left_of(timeout, deadline, &left), mask);
    if (status != -1 || !only_snare(errno == EINTR, before))
      return status;
    sets_restore(&sets); /* a failed pselect leaves them as given */
  }
}
