/*
 * world.c - stopping every other thread of the process for a moment, so
 * that code they may be executing can be rewritten under them. Each
 * thread listed in /proc/self/task is sent a real-time signal of snare's
 * carrying the stop's epoch; its handler lets the core adjust its saved
 * context, then parks until the controller resumes the world.
 *
 * A thread that blocks the signal cannot be stopped: after a bounded
 * wait the controller goes on without it (code writes stay safe for
 * threads arriving at the patch; see snare_sites_write_jump), and its
 * signal, delivered later, carries a finished epoch and does nothing.
 * Controller side, under the global lock; between stop and resume the
 * controller must not allocate or lock (a parked thread may hold the
 * lock).
 */
#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal/os.h"
#include "linux.h"

/* How long to wait for a signalled thread to park. */
#define ARRIVAL_WAIT_NS (200u * 1000u * 1000u)

static struct {
  void (*adjust)(void *context, void *arg);
  void *arg;
  _Atomic int stopping; /* the epoch being stopped; 0 between stops */
  _Atomic int arrived;  /* threads parked in this epoch */
  _Atomic int inside;   /* threads in the handler, any epoch */
  _Atomic int released; /* futex word: the last epoch resumed */
  int epoch;
  bool installed;
  struct sigaction previous;
  pid_t *signalled; /* this stop's threads */
  size_t signalled_count, signalled_capacity;
} world;

int snare_linux_world_signal(void) { return SIGRTMIN + 8; }

static long futex(_Atomic int *word, int op, int value,
                  const struct timespec *timeout) {
  return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

static void on_stop(int sig, siginfo_t *info, void *context) {
  (void)sig;
  int saved_errno = errno;
  atomic_fetch_add(&world.inside, 1);
  int epoch = info->si_code == SI_QUEUE ? info->si_value.sival_int : 0;
  if (epoch != 0 && atomic_load(&world.stopping) == epoch) {
    world.adjust(context, world.arg);
    atomic_fetch_add(&world.arrived, 1);
    futex(&world.arrived, FUTEX_WAKE_PRIVATE, 1, NULL);
    while (atomic_load(&world.released) != epoch)
      futex(&world.released, FUTEX_WAIT_PRIVATE, atomic_load(&world.released),
            NULL);
  }
  atomic_fetch_sub(&world.inside, 1);
  errno = saved_errno;
}

static bool install(void) {
  if (world.installed)
    return true;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_stop;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  /* Parked, a thread runs nothing else of the program's; faults stay
     deliverable. */
  sigfillset(&action.sa_mask);
  sigdelset(&action.sa_mask, SIGSEGV);
  sigdelset(&action.sa_mask, SIGBUS);
  sigdelset(&action.sa_mask, SIGILL);
  sigdelset(&action.sa_mask, SIGFPE);
  sigdelset(&action.sa_mask, SIGTRAP);
  world.installed =
      sigaction(snare_linux_world_signal(), &action, &world.previous) == 0;
  return world.installed;
}

void snare_linux_world_restore(void) {
  if (!world.installed)
    return;
  sigaction(snare_linux_world_signal(), &world.previous, NULL);
  world.installed = false;
  free(world.signalled);
  world.signalled = NULL;
  world.signalled_count = world.signalled_capacity = 0;
}

static bool was_signalled(pid_t tid) {
  for (size_t i = 0; i < world.signalled_count; i++)
    if (world.signalled[i] == tid)
      return true;
  return false;
}

static bool remember(pid_t tid) {
  if (world.signalled_count == world.signalled_capacity) {
    size_t capacity = world.signalled_capacity ? world.signalled_capacity * 2
                                               : 16;
    pid_t *grown = realloc(world.signalled, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    world.signalled = grown;
    world.signalled_capacity = capacity;
  }
  world.signalled[world.signalled_count++] = tid;
  return true;
}

static bool send_stop(pid_t tid) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = snare_linux_world_signal();
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = world.epoch;
  return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, info.si_signo,
                 &info) == 0;
}

/* Signals every thread not signalled yet; returns how many were new.
   Threads started meanwhile show up in the next pass. */
static size_t signal_pass(pid_t self) {
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL)
    return 0;
  size_t fresh = 0;
  struct dirent *entry;
  while ((entry = readdir(tasks)) != NULL) {
    pid_t tid = (pid_t)atoi(entry->d_name);
    if (tid <= 0 || tid == self || was_signalled(tid) || !remember(tid))
      continue;
    if (send_stop(tid))
      fresh++;
    else
      world.signalled_count--; /* it exited: nothing to wait for */
  }
  closedir(tasks);
  return fresh;
}

static uint64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Waits until `expected` threads parked, or the deadline passed. */
static void await_arrivals(int expected, uint64_t deadline) {
  for (;;) {
    int arrived = atomic_load(&world.arrived);
    uint64_t now = monotonic_ns();
    if (arrived >= expected || now >= deadline)
      return;
    uint64_t left = deadline - now;
    struct timespec wait = {(time_t)(left / 1000000000u),
                            (long)(left % 1000000000u)};
    futex(&world.arrived, FUTEX_WAIT_PRIVATE, arrived, &wait);
  }
}

bool snare_os_world_stop(void (*adjust)(void *context, void *arg),
                         void *arg) {
  if (!install())
    return false;
  world.adjust = adjust;
  world.arg = arg;
  world.epoch = world.epoch == 0x7fffffff ? 1 : world.epoch + 1;
  world.signalled_count = 0;
  atomic_store(&world.arrived, 0);
  atomic_store(&world.stopping, world.epoch);
  pid_t self = (pid_t)syscall(SYS_gettid);
  size_t expected = 0, fresh;
  uint64_t deadline = monotonic_ns() + ARRIVAL_WAIT_NS;
  /* Until a pass finds no thread it has not stopped: a thread stopped
     cannot start another one. */
  while ((fresh = signal_pass(self)) > 0) {
    expected += fresh;
    await_arrivals((int)expected, deadline);
  }
  return true;
}

void snare_os_world_resume(void) {
  atomic_store(&world.stopping, 0);
  atomic_store(&world.released, world.epoch);
  futex(&world.released, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL);
  /* The adjust argument lives no longer than this call's caller. */
  while (atomic_load(&world.inside) > 0)
    sched_yield();
}
