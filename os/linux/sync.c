/*
 * sync.c - what attached threads need from Linux: a plain lock for the
 * per-session tables, an alternate signal stack for a thread snare did not
 * start, and the interrupt signal sent to any attached thread by identity.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal/os.h"
#include "linux.h"

/* As big as the stacks of the threads snare starts (see thread.c). */
#define ATTACHED_STACK_SIZE (4u << 20)

struct snare_os_lock {
  pthread_mutex_t mutex;
};

snare_status snare_os_lock_new(snare_os_lock **out) {
  snare_os_lock *lock = malloc(sizeof *lock);
  if (lock == NULL)
    return SNARE_NO_MEMORY;
  pthread_mutex_init(&lock->mutex, NULL);
  *out = lock;
  return SNARE_OK;
}

void snare_os_lock_free(snare_os_lock *lock) {
  if (lock == NULL)
    return;
  pthread_mutex_destroy(&lock->mutex);
  free(lock);
}

void snare_os_lock_acquire(snare_os_lock *lock) {
  pthread_mutex_lock(&lock->mutex);
}

void snare_os_lock_release(snare_os_lock *lock) {
  pthread_mutex_unlock(&lock->mutex);
}

void *snare_os_altstack_ensure(void) {
  stack_t current;
  if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE))
    return NULL; /* the thread has one: keep it */
  stack_t alt = {.ss_flags = 0, .ss_size = ATTACHED_STACK_SIZE};
  alt.ss_sp = mmap(NULL, alt.ss_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (alt.ss_sp == MAP_FAILED)
    return NULL;
  if (sigaltstack(&alt, NULL) != 0) {
    munmap(alt.ss_sp, alt.ss_size);
    return NULL;
  }
  return alt.ss_sp;
}

void snare_os_altstack_release(void *stack) {
  if (stack == NULL)
    return;
  stack_t off = {.ss_flags = SS_DISABLE};
  sigaltstack(&off, NULL);
  munmap(stack, ATTACHED_STACK_SIZE);
}

snare_status snare_os_thread_signal(uintptr_t os_self) {
  return pthread_kill((pthread_t)os_self, snare_linux_interrupt_signal()) == 0
             ? SNARE_OK
             : SNARE_SYSTEM;
}
