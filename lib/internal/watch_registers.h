/*
 * watch_registers.h - what the watchpoints ask of the OS: one hardware
 * debug register armed on one thread of this process, reporting each
 * access as a synchronous trap on the thread that made it, carrying a
 * cookie (on Linux: a perf breakpoint event with sigtrap; the fault
 * handler gives the cookie as the fault address of a
 * SNARE_FAULT_WATCH_TRAP). Implemented in os/linux/watch_registers.c.
 */
#ifndef SNARE_INTERNAL_WATCH_REGISTERS_H
#define SNARE_INTERNAL_WATCH_REGISTERS_H

#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* The debug registers one thread has for data (x86-64: DR0..DR3). */
#define SNARE_WATCH_REGISTERS 4

/*
 * Whether this process may arm its own debug registers at all. On
 * refusal returns UNSUPPORTED and sets *why to a sentence (static
 * storage) saying why and what to change. Controller side.
 */
SNARE_HIDDEN snare_status snare_os_watch_probe(const char **why);

/*
 * Arms one register on thread tid over [addr, addr+len) (len 1, 2, 4 or
 * 8, addr aligned to it). *handle receives what snare_os_watch_close
 * takes. NO_DEBUG_REGISTER when the thread has none left, BAD_ADDRESS
 * when the kernel takes no watchpoint there (its own addresses),
 * UNSUPPORTED (with *why) when it refuses, NOT_FOUND when the thread is
 * gone.
 */
SNARE_HIDDEN snare_status snare_os_watch_open(int tid, uint64_t addr,
                                              unsigned len,
                                              snare_watch_kind kind,
                                              uint64_t cookie, int *handle,
                                              const char **why);
/*
 * Whether the kernel would arm [addr, addr+len) at all (BAD_ADDRESS if
 * not: its own addresses), tried on the calling thread and undone; a
 * trap meanwhile carries `cookie`. OK when that thread has no register
 * free to try with.
 */
SNARE_HIDDEN snare_status snare_os_watch_check(uint64_t addr, unsigned len,
                                               snare_watch_kind kind,
                                               uint64_t cookie);
/* Disarms (unless the program closed the descriptor and reused its
   number); signal-safe. */
SNARE_HIDDEN void snare_os_watch_close(int handle);

#endif
