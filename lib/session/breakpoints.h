/*
 * breakpoints.h - what the rest of the core may ask of the breakpoint
 * table. Implemented in breakpoint.c.
 */
#ifndef SNARE_INTERNAL_BREAKPOINTS_H
#define SNARE_INTERNAL_BREAKPOINTS_H

#include <stdint.h>

#include "snare.h"

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

/*
 * The inlined calls a stop at pc hides (hidden, the stepper's count),
 * as gdb's skip_inline_frames counts them where user breakpoints are:
 * no more than an enabled one there hides at its own stops (its
 * inline_hidden), whether or not it is to stop (its condition, its
 * ignore count). A step that ends on `break FUNC`'s location in an
 * inlined copy shows FUNC's frame, as that breakpoint's hit does.
 * Controller only.
 */
unsigned snare_breakpoints_inline_shown(uint64_t pc, unsigned hidden)
    __attribute__((visibility("hidden")));

#endif
