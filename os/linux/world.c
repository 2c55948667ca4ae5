/*
 * world.c - stopping every other thread of the process for a moment, so
 * that code they may be executing can be rewritten under them. Each
 * thread listed in /proc/self/task is sent a real-time signal of snare's
 * carrying the stop's epoch; its handler lets the core adjust its saved
 * context, then parks until the controller resumes the world.
 *
 * A thread that blocks the signal cannot be stopped: it is left out (code
 * writes stay safe for threads arriving at the patch; see
 * snare_sites_write_jump). One that blocks it after it was looked at is
 * waited for a bounded time; its signal, delivered later, carries a
 * finished epoch and does nothing.
 * Controller side, under the global lock; between stop and resume the
 * controller must not allocate or lock (a parked thread may hold the
 * lock).
 */
#include <fcntl.h>
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

/* How long to wait for a signalled thread to park; after the first
   part, a thread not parked yet is asked whether it blocks the signal. */
#define ARRIVAL_WAIT_NS (200u * 1000u * 1000u)
#define ARRIVAL_GRACE_NS (20u * 1000u * 1000u)
/* Threads remembered as blocking the signal, not signalled again while
   they still do (each signal would stay queued until they unblock). */
#define BLOCKING_MAX 64

typedef struct stopped_thread {
  pid_t tid;
  _Atomic bool parked;
  bool waited; /* signalled, and expected to park */
} stopped_thread;

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
  stopped_thread *threads; /* this stop's, appended before published */
  _Atomic size_t count;
  size_t capacity;
  pid_t blocking[BLOCKING_MAX];
  size_t blocking_count;
} world;

int snare_linux_world_signal(void) { return SIGRTMIN + 8; }

static long futex(_Atomic int *word, int op, int value,
                  const struct timespec *timeout) {
  return syscall(SYS_futex, word, op, value, timeout, NULL, 0);
}

static void on_stop(int sig, siginfo_t *info, void *context) {
  (void)sig;
  int saved_errno = errno;
  snare_linux_signal_taken();
  atomic_fetch_add(&world.inside, 1);
  int epoch = info->si_code == SI_QUEUE ? info->si_value.sival_int : 0;
  if (epoch != 0 && atomic_load(&world.stopping) == epoch) {
    if (world.adjust != NULL)
      world.adjust(context, world.arg);
    pid_t self = (pid_t)syscall(SYS_gettid);
    for (size_t i = 0, n = atomic_load(&world.count); i < n; i++)
      if (world.threads[i].tid == self)
        atomic_store(&world.threads[i].parked, true);
    atomic_fetch_add(&world.arrived, 1);
    futex(&world.arrived, FUTEX_WAKE_PRIVATE, 1, NULL);
    /* The value waited on is the one just checked: loaded again, a
       release landing in between would be waited past forever. */
    int seen;
    while ((seen = atomic_load(&world.released)) != epoch)
      futex(&world.released, FUTEX_WAIT_PRIVATE, seen, NULL);
  }
  snare_linux_signal_x87_settle(context);
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
      snare_linux_sigaction(snare_linux_world_signal(), &action,
                            &world.previous) == 0;
  return world.installed;
}

void snare_linux_world_restore(void) {
  /* A thread that blocks the signal holds one still queued: its default
     action would end the process. */
  if (!world.installed || world.blocking_count > 0)
    return;
  snare_linux_sigaction(snare_linux_world_signal(), &world.previous, NULL);
  world.installed = false;
  free(world.threads);
  world.threads = NULL;
  atomic_store(&world.count, 0);
  world.capacity = world.blocking_count = 0;
}

static bool was_signalled(pid_t tid) {
  for (size_t i = 0, n = atomic_load(&world.count); i < n; i++)
    if (world.threads[i].tid == tid)
      return true;
  return false;
}

/*
 * Once the first thread is parked, nothing may allocate: the listing of
 * /proc/self/task and the reading of a thread's status use the system
 * calls themselves and buffers on the stack.
 */
typedef struct task_list {
  int fd;
  char buf[4096];
  long size, at;
} task_list;

static bool tasks_open(task_list *list) {
  list->fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  list->size = list->at = 0;
  return list->fd >= 0;
}

/* The next thread id, 0 at the end. */
static pid_t tasks_next(task_list *list) {
  for (;;) {
    if (list->at >= list->size) {
      list->size = syscall(SYS_getdents64, list->fd, list->buf,
                           sizeof list->buf);
      list->at = 0;
      if (list->size <= 0)
        return 0;
    }
    /* struct linux_dirent64: ino, off, reclen, type, name */
    const char *entry = list->buf + list->at;
    unsigned short reclen;
    memcpy(&reclen, entry + 16, sizeof reclen);
    list->at += reclen;
    const char *name = entry + 19;
    if (name[0] >= '1' && name[0] <= '9')
      return (pid_t)strtol(name, NULL, 10);
  }
}

static size_t count_tasks(void) {
  task_list list;
  size_t n = 0;
  if (tasks_open(&list)) {
    while (tasks_next(&list) != 0)
      n++;
    close(list.fd);
  }
  return n;
}

/* Whether thread tid blocks the stop signal (SigBlk in its status): it
   would not arrive, and queued stops would pile up until it unblocks. */
static bool blocks_stop(pid_t tid) {
  char path[40] = "/proc/self/task/", digits[12];
  size_t n = 0;
  for (unsigned v = (unsigned)tid; v != 0 && n < sizeof digits; v /= 10)
    digits[n++] = (char)('0' + v % 10);
  size_t at = strlen(path);
  while (n > 0)
    path[at++] = digits[--n];
  memcpy(path + at, "/status", sizeof "/status");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char text[4096];
  ssize_t got = read(fd, text, sizeof text - 1);
  close(fd);
  if (got <= 0)
    return false;
  text[got] = '\0';
  const char *line = strstr(text, "SigBlk:");
  if (line == NULL)
    return false;
  unsigned long long blocked = strtoull(line + 7, NULL, 16);
  return (blocked >> (snare_linux_world_signal() - 1)) & 1;
}

/* Room for every thread there is now and some started meanwhile, made
   before any thread is stopped. */
static bool reserve(size_t threads) {
  size_t capacity = threads + 64;
  if (capacity <= world.capacity)
    return true;
  stopped_thread *grown = realloc(world.threads, capacity * sizeof *grown);
  if (grown == NULL)
    return false;
  world.threads = grown;
  world.capacity = capacity;
  return true;
}

static bool known_blocking(pid_t tid) {
  for (size_t i = 0; i < world.blocking_count; i++)
    if (world.blocking[i] == tid) {
      if (blocks_stop(tid))
        return true;
      world.blocking[i] = world.blocking[--world.blocking_count];
      return false;
    }
  return false;
}

/* Threads signalled but not parked yet that block the signal are not
   waited for; returns how many. */
static int give_up_on_blocking(void) {
  int given_up = 0;
  for (size_t i = 0, n = atomic_load(&world.count); i < n; i++) {
    stopped_thread *t = &world.threads[i];
    if (t->waited && !atomic_load(&t->parked) && blocks_stop(t->tid)) {
      t->waited = false;
      given_up++;
      if (world.blocking_count < BLOCKING_MAX)
        world.blocking[world.blocking_count++] = t->tid;
    }
  }
  return given_up;
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
   Threads started meanwhile show up in the next pass; beyond the room
   reserved, they are not stopped. */
static size_t signal_pass(pid_t self) {
  task_list list;
  if (!tasks_open(&list))
    return 0;
  size_t fresh = 0;
  for (pid_t tid; (tid = tasks_next(&list)) != 0;) {
    size_t n = atomic_load(&world.count);
    if (tid == self || was_signalled(tid) || n == world.capacity)
      continue;
    stopped_thread *t = &world.threads[n];
    t->tid = tid;
    t->waited = false;
    atomic_store(&t->parked, false);
    atomic_store(&world.count, n + 1); /* its handler looks for it */
    t->waited = !known_blocking(tid) && send_stop(tid);
    fresh += t->waited;
  }
  close(list.fd);
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
  size_t threads = count_tasks();
  if (threads == 1)
    return false; /* nobody to stop, and nobody to start a thread */
  if (!install() || !reserve(threads))
    return false;
  world.adjust = adjust;
  world.arg = arg;
  world.epoch = world.epoch == 0x7fffffff ? 1 : world.epoch + 1;
  atomic_store(&world.count, 0);
  atomic_store(&world.arrived, 0);
  atomic_store(&world.stopping, world.epoch);
  pid_t self = (pid_t)syscall(SYS_gettid);
  size_t expected = 0, fresh;
  uint64_t deadline = monotonic_ns() + ARRIVAL_WAIT_NS;
  /* Until a pass finds no thread it has not stopped: a thread stopped
     cannot start another one. */
  while ((fresh = signal_pass(self)) > 0) {
    expected += fresh;
    uint64_t grace = monotonic_ns() + ARRIVAL_GRACE_NS;
    await_arrivals((int)expected, grace < deadline ? grace : deadline);
    if (atomic_load(&world.arrived) < (int)expected)
      expected -= (size_t)give_up_on_blocking();
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
