/*
 * threads.c - the table of threads snare has attached, searched by fault
 * handlers without locks.
 */
#include "threads/threads.h"

#define MAX_THREADS 256

static _Atomic(snare_thread *) table[MAX_THREADS];
static _Atomic int high_water; /* entries at or above are all empty */
static _Atomic int last_id;

int snare_threads_next_id(void) { return atomic_fetch_add(&last_id, 1) + 1; }

bool snare_threads_add(snare_thread *thread) {
  for (int i = 0; i < MAX_THREADS; i++) {
    snare_thread *expected = NULL;
    if (atomic_compare_exchange_strong(&table[i], &expected, thread)) {
      int seen = atomic_load(&high_water);
      while (seen < i + 1 &&
             !atomic_compare_exchange_weak(&high_water, &seen, i + 1))
        ;
      return true;
    }
  }
  return false;
}

void snare_threads_remove(snare_thread *thread) {
  for (int i = 0; i < MAX_THREADS; i++) {
    snare_thread *expected = thread;
    if (atomic_compare_exchange_strong(&table[i], &expected, NULL))
      return;
  }
}

snare_thread *snare_threads_current(void) {
  uintptr_t self = snare_os_thread_self();
  int limit = atomic_load(&high_water);
  for (int i = 0; i < limit; i++) {
    snare_thread *thread = atomic_load(&table[i]);
    if (thread != NULL && thread->os_self == self)
      return thread;
  }
  return NULL;
}

void snare_threads_clear(void) {
  int limit = atomic_load(&high_water);
  for (int i = 0; i < limit; i++) {
    snare_thread *thread = atomic_exchange(&table[i], NULL);
    /* An attached record is then as good as detached: its session frees
       it. A worker's stays its session's. */
    if (thread != NULL && !thread->is_worker)
      atomic_store(&thread->alive, false);
  }
}
