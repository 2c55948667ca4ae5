/*
 * branch_targets.h - which direct branches of a module land where: one
 * sweep of a library's executable segments (or of a JIT region) made when
 * a hook first needs it, kept sorted by target. Implemented in
 * branch_targets.c. Under the global lock.
 */
#ifndef SNARE_HOOKS_BRANCH_TARGETS_H
#define SNARE_HOOKS_BRANCH_TARGETS_H

#include <stdbool.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/*
 * Sets *entered if a direct branch or call from outside the function
 * [fn, fn+fn_size) targets [low, high), by the sweep of the code around
 * fn. NOT_FOUND if snare knows no code around fn, BAD_ADDRESS if it
 * cannot be read, NO_MEMORY.
 */
SNARE_HIDDEN snare_status snare_branch_targets_entering(uint64_t fn,
                                                        uint64_t fn_size,
                                                        uint64_t low,
                                                        uint64_t high,
                                                        bool *entered);

/* Drops the sweeps of code overlapping [start, start+size): it changed
   or went away. */
SNARE_HIDDEN void snare_branch_targets_forget(uint64_t start, uint64_t size);

#endif
