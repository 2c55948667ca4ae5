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

void agent_signal_taken(void) { agent_signals++; }

void agent_sleeps_start(void) {
  core_signals_taken =
      (unsigned long (*)(void))agent_snare_function("snare_signals_taken");
}

/* Snare's signals this thread has taken so far. Async-signal-safe. */
static unsigned long taken(void) {
  unsigned long (*core)(void) = core_signals_taken;
  return agent_signals + (core != NULL ? core() : 0);
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
  unsigned long before;
  do {
    before = taken();
    status = real.clock_nanosleep(clock, flags, asked, rem);
    if (status == EINTR && relative) {
      struct timespec now;
      clock_gettime(measured_on(clock), &now);
      left = until(deadline, now);
      asked = &left;
    }
  } while (status == EINTR && taken() != before);
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
