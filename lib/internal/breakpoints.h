/*
 * breakpoints.h - what the rest of the core may ask of the breakpoint
 * table. Implemented in lib/breakpoint*.c.
 */
#ifndef SNARE_INTERNAL_BREAKPOINTS_H
#define SNARE_INTERNAL_BREAKPOINTS_H

#include <stdint.h>

#include "snare.h"

/*
 * Clears every breakpoint of every session in [start, start+size), e.g.
 * when a code region is unregistered or a library closed. Controller only.
 */
void snare_breakpoints_clear_range(uint64_t start, uint64_t size)
    __attribute__((visibility("hidden")));

/*
 * snare_breakpoint_set without its address checks (mapped, executable,
 * on an instruction boundary: they read /proc/self/maps and decode the
 * function), for addresses the caller knows are instruction starts in
 * code: the stepper's return addresses right after a decoded call, and
 * DWARF statement addresses. Controller only.
 */
snare_status snare_breakpoint_set_trusted(snare_session *session,
                                          uint64_t addr,
                                          const snare_breakpoint_options *opts,
                                          int *id)
    __attribute__((visibility("hidden")));

#endif
