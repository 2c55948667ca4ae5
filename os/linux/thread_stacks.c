/*
 * thread_stacks.c - what hook exits need to know of a thread on Linux:
 * whether an address is on its alternate signal stack (another stack
 * than the one the code it interrupted runs on), and when it exits.
 */
#include <pthread.h>
#include <signal.h>

#include "internal/os.h"

bool snare_os_on_alternate_stack(uint64_t addr) {
  stack_t current;
  if (sigaltstack(NULL, &current) != 0 || (current.ss_flags & SS_DISABLE))
    return false;
  uint64_t low = (uint64_t)(uintptr_t)current.ss_sp;
  return addr - low < current.ss_size;
}

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void (*exit_callback)(void);
static bool exit_key_made;

static void on_thread_exit(void *value) {
  (void)value;
  exit_callback();
}

static void make_exit_key(void) {
  exit_key_made = pthread_key_create(&exit_key, on_thread_exit) == 0;
}

void snare_os_thread_at_exit(void (*callback)(void)) {
  exit_callback = callback;
  pthread_once(&exit_once, make_exit_key);
  if (exit_key_made)
    pthread_setspecific(exit_key, (void *)1);
}
