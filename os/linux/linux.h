/* linux.h - what the Linux files share among themselves. */
#ifndef SNARE_OS_LINUX_H
#define SNARE_OS_LINUX_H

#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

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
/* Before a handler of snare's returns: a frame whose x87 state is the
   initial one has it restored as initial, not merely as its values, so
   the thread's XINUSE says initial again (signal_fpu.c). Signal-safe. */
SNARE_HIDDEN void snare_linux_signal_x87_settle(void *context);
/* A fault of snare_os_memory_read_fast's load (probe_read.c): the read
   returns false instead; true if context was that fault. */
SNARE_HIDDEN bool snare_linux_probe_recover(void *context);
/* Counts the takings of the global lock (thread.c): what was checked
   under the lock holds until it is released. */
extern unsigned snare_linux_global_lock_epoch SNARE_HIDDEN;
/* getpid() without a system call once known (safe_memory.c); signal-safe. */
SNARE_HIDDEN pid_t snare_linux_pid(void);
/* The writable views of snare's own code slabs (code_slabs.c), kept with
   the JIT's (jit_pages.c) for snare_os_code_alias; in a fork's child each
   slab becomes private memory again (snare_linux_code_privatize: true
   once the executable view is a private copy and the alias unmapped). */
SNARE_HIDDEN bool snare_linux_alias_remember(uint64_t exec, void *writable,
                                             size_t size);
SNARE_HIDDEN void snare_linux_alias_forget(uint64_t exec);
SNARE_HIDDEN void snare_linux_aliases_privatize(void);
SNARE_HIDDEN bool snare_linux_code_privatize(uint64_t exec, void *writable,
                                             size_t size);

#endif
