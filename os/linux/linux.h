/* linux.h - what the Linux files share among themselves. */
#ifndef SNARE_OS_LINUX_H
#define SNARE_OS_LINUX_H

#include <signal.h>
#include <stdint.h>
#include <stdbool.h>

#include "internal/hidden.h"

/* The real-time signal snare uses to interrupt a running worker. */
SNARE_HIDDEN int snare_linux_interrupt_signal(void);
/* The real-time signal that stops threads for a code write (world.c),
   and the restoring of whatever handled it before. */
SNARE_HIDDEN int snare_linux_world_signal(void);
/* sigaction as the C library has it, past any interposed definition (an
   LD_PRELOAD agent's): how snare sets its own handlers (signals.c). */
SNARE_HIDDEN int snare_linux_sigaction(int sig, const struct sigaction *action,
                                       struct sigaction *old);
SNARE_HIDDEN void snare_linux_world_restore(void);
/* The calling thread took one of snare's signals (signals.c counts them
   for snare_os_signals_taken). Async-signal-safe. */
SNARE_HIDDEN void snare_linux_signal_taken(void);
/* si_code of a perf event's SIGTRAP (TRAP_PERF; glibc 2.36 lacks it),
   and the event's sig_data it carries (watch_registers.c). */
#define SNARE_LINUX_TRAP_PERF 6
SNARE_HIDDEN uint64_t snare_linux_perf_cookie(const siginfo_t *info);
/* A fault of snare_os_memory_read_fast's load (probe_read.c): the read
   returns false instead; true if context was that fault. */
SNARE_HIDDEN bool snare_linux_probe_recover(void *context);
/* Counts the takings of the global lock (thread.c): what was checked
   under the lock holds until it is released. */
extern unsigned snare_linux_global_lock_epoch SNARE_HIDDEN;

#endif
