/*
 * breakpoints.h - what the rest of the core may ask of the breakpoint
 * table. Implemented in lib/breakpoint*.c.
 */
#ifndef SNARE_INTERNAL_BREAKPOINTS_H
#define SNARE_INTERNAL_BREAKPOINTS_H

#include <stdint.h>

/*
 * Clears every breakpoint of every session in [start, start+size), e.g.
 * when a code region is unregistered or a library closed. Controller only.
 */
void snare_breakpoints_clear_range(uint64_t start, uint64_t size)
    __attribute__((visibility("hidden")));

#endif
