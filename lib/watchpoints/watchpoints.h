/*
 * watchpoints.h - the watchpoints subsystem: the process's debug
 * registers and the threads they are armed on. A watched range is split
 * into the aligned pieces the hardware takes (1, 2, 4 or 8 bytes); each
 * piece holds one of the SNARE_WATCH_REGISTERS slots, armed on every
 * known thread (or one), including threads that start later and never
 * on one that has ended. A hit reaches the fault handler as a cookie
 * that names the slot; snare_watch_owner turns it back into the owner
 * that claimed it (a session's watchpoint, lib/session/watchpoint.c).
 * Implemented in registers.c.
 */
#ifndef SNARE_WATCHPOINTS_WATCHPOINTS_H
#define SNARE_WATCHPOINTS_WATCHPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "internal/watch_registers.h"
#include "snare.h"
#include "threads/threads.h"

/* The registers one owner holds. */
typedef struct snare_watch_registers {
  size_t count;
  int slot[SNARE_WATCH_REGISTERS];
} snare_watch_registers;

/*
 * How many aligned pieces [addr, addr+length) splits into; the first
 * min(count, cap) are written to addrs/lengths.
 */
SNARE_HIDDEN size_t snare_watch_split(uint64_t addr, unsigned length,
                                      uint64_t *addrs, unsigned *lengths,
                                      size_t cap);

/*
 * Claims and arms the registers for [addr, addr+length) on every known
 * thread (thread 0) or only on thread id `thread`. NO_DEBUG_REGISTER
 * when too few are free, UNSUPPORTED with *why when the kernel refuses
 * (see snare_os_watch_probe). Controller side.
 */
SNARE_HIDDEN snare_status snare_watch_claim(uint64_t addr, unsigned length,
                                            snare_watch_kind kind, int thread,
                                            void *owner,
                                            snare_watch_registers *out,
                                            const char **why);
/* Disarms on every thread and frees the slots; controller side. */
SNARE_HIDDEN void snare_watch_release(snare_watch_registers *registers);
/* Disarms (the slots stay claimed) or arms again; controller side. */
SNARE_HIDDEN snare_status snare_watch_arm(snare_watch_registers *registers,
                                          bool armed);

/* Whether a trap's cookie is one of snare's; signal-safe. */
SNARE_HIDDEN bool snare_watch_cookie_is_ours(uint64_t cookie);
/* Owner of the slot a cookie names, NULL if it was released since (a
   late trap); signal-safe. */
SNARE_HIDDEN void *snare_watch_owner(uint64_t cookie);
/* Calls fn(owner, arg) for each distinct owner of an armed slot on the
   calling thread; signal-safe (for a step that ended, see
   lib/session/watchpoint.c). */
SNARE_HIDDEN void snare_watch_each_owner(void (*fn)(void *owner, void *arg),
                                         void *arg);

/* A thread became known (on that thread: the worker's start, an
   attach): every armed slot that concerns it is armed on it too. */
SNARE_HIDDEN void snare_watch_thread_started(snare_thread *thread);
/* The same for another running thread of the process, by its kernel
   thread id (an adopted one). */
SNARE_HIDDEN void snare_watch_thread_known(snare_thread *thread, int tid);
/* A known thread ends or detaches: its registers are disarmed. */
SNARE_HIDDEN void snare_watch_thread_ended(snare_thread *thread);

#endif
