/*
 * thread.c - threads with alternate signal stacks, events, the global
 * lock, the interrupt signal and unwinding a thread back to its catch
 * point, on Linux with POSIX threads.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "internal/os.h"
#include "linux.h"

/* Room for condition callbacks (a Lua call, under sanitizers) on the
   alternate stack, where handlers run. */
#define ALTERNATE_STACK_SIZE (4u << 20)

struct snare_os_thread {
  pthread_t handle;
  void (*body)(void *);
  void *arg;
};

struct snare_os_event {
  sem_t sem;
};

struct snare_os_catch {
  sigjmp_buf env;
};

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

int snare_linux_interrupt_signal(void) { return SIGRTMIN + 7; }

uintptr_t snare_os_thread_self(void) { return (uintptr_t)pthread_self(); }

/* glibc's pthread_t is the address of the thread's control block, which
   is what the thread pointer register holds (TLS variant II). */
uint64_t snare_os_thread_pointer(uintptr_t self) { return self; }

static void *thread_main(void *raw) {
  snare_os_thread *thread = raw;
  stack_t alt = {.ss_flags = 0, .ss_size = ALTERNATE_STACK_SIZE};
  alt.ss_sp = mmap(NULL, alt.ss_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  bool have_alt = alt.ss_sp != MAP_FAILED && sigaltstack(&alt, NULL) == 0;
  thread->body(thread->arg);
  if (have_alt) {
    stack_t off = {.ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
  }
  if (alt.ss_sp != MAP_FAILED)
    munmap(alt.ss_sp, alt.ss_size);
  return NULL;
}

snare_status snare_os_thread_start(void (*body)(void *), void *arg,
                                   snare_os_thread **out) {
  snare_os_thread *thread = calloc(1, sizeof *thread);
  if (thread == NULL)
    return SNARE_NO_MEMORY;
  thread->body = body;
  thread->arg = arg;
  if (pthread_create(&thread->handle, NULL, thread_main, thread) != 0) {
    free(thread);
    return SNARE_SYSTEM;
  }
  *out = thread;
  return SNARE_OK;
}

void snare_os_thread_yield(void) { sched_yield(); }

void snare_os_thread_join(snare_os_thread *thread) {
  pthread_join(thread->handle, NULL);
  free(thread);
}

uint64_t snare_os_stack_low(void) {
  pthread_attr_t attr;
  void *low = NULL;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return 0;
  pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  return (uint64_t)(uintptr_t)low;
}

snare_status snare_os_thread_interrupt(snare_os_thread *thread) {
  return pthread_kill(thread->handle, snare_linux_interrupt_signal()) == 0
             ? SNARE_OK
             : SNARE_SYSTEM;
}

snare_status snare_os_event_new(snare_os_event **out) {
  snare_os_event *event = malloc(sizeof *event);
  if (event == NULL)
    return SNARE_NO_MEMORY;
  if (sem_init(&event->sem, 0, 0) != 0) {
    free(event);
    return SNARE_SYSTEM;
  }
  *out = event;
  return SNARE_OK;
}

void snare_os_event_free(snare_os_event *event) {
  if (event == NULL)
    return;
  sem_destroy(&event->sem);
  free(event);
}

void snare_os_event_signal(snare_os_event *event) { sem_post(&event->sem); }

/*
 * Before sleeping in the kernel a wait polls the semaphore for up to
 * SPIN_NS, yielding the CPU between polls: the stops, steps and resumes
 * handed between a controller and a target thread mostly come back
 * within that, and a futex sleep costs 3 us of wake-up when the other
 * CPU is busy, up to 50 us when it idles (a VM's idle CPU halts). The
 * yield lets the very thread waited for run when it shares this CPU
 * (pinned, or a loaded machine), where a plain spin would hold it off.
 * A post to a polling waiter makes no system call (glibc wakes only
 * sleepers).
 */
enum { SPIN_NS = 20000 };

static uint64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Takes the event if it is posted within SPIN_NS. */
static bool poll_take(snare_os_event *event) {
  uint64_t start = monotonic_ns();
  do {
    if (sem_trywait(&event->sem) == 0)
      return true;
    sched_yield();
  } while (monotonic_ns() - start < SPIN_NS);
  return false;
}

void snare_os_event_wait(snare_os_event *event) {
  if (poll_take(event))
    return;
  while (sem_wait(&event->sem) != 0 && errno == EINTR)
    ;
}

bool snare_os_event_wait_ms(snare_os_event *event, unsigned ms) {
  if (poll_take(event))
    return true;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  for (;;) {
    if (sem_timedwait(&event->sem, &deadline) == 0)
      return true;
    if (errno != EINTR)
      return false;
  }
}

unsigned snare_linux_global_lock_epoch;

void snare_os_global_lock(void) {
  pthread_mutex_lock(&global_lock);
  snare_linux_global_lock_epoch++;
}
void snare_os_global_unlock(void) { pthread_mutex_unlock(&global_lock); }

bool snare_os_call_with_catch(snare_os_catch **slot, void (*body)(void *),
                              void *arg) {
  snare_os_catch here;
  *slot = &here;
  if (sigsetjmp(here.env, 1) == 0) {
    body(arg);
    *slot = NULL;
    return true;
  }
  *slot = NULL;
  return false;
}

void snare_os_abort_to_catch(snare_os_catch *catch_) {
  siglongjmp(catch_->env, 1);
}
