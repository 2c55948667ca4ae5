/*
 * process.c - the process's lifecycle edges an in-process agent must
 * handle: a forked child, and the program's own calls that set signal
 * handlers snare relies on.
 */
#include "threads/threads.h"

void snare_threads_forget_all(void) { snare_threads_clear(); }

void snare_fork_prepare(void) { snare_os_global_lock(); }

void snare_fork_parent(void) { snare_os_global_unlock(); }

void snare_fork_child(void) {
  snare_os_global_unlock();
  snare_threads_clear();
}

unsigned long snare_signals_taken(void) { return snare_os_signals_taken(); }

size_t snare_signals_reserved(int *out, size_t cap) {
  return snare_os_signals_reserved(out, cap);
}

snare_status snare_signal_chain(int signal, const void *action,
                                void *previous) {
  return snare_os_signal_chain(signal, action, previous);
}
