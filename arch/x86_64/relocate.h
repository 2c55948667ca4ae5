/* relocate.h - moving a function's first instructions into a trampoline. */
#ifndef SNARE_ARCH_X86_64_RELOCATE_H
#define SNARE_ARCH_X86_64_RELOCATE_H

#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"

/*
 * Writes into buf (cap bytes, for address `at`) the `length` bytes of
 * instructions found at `from` (their bytes: original), relocated so they
 * behave there as they did at `from`, then a jump back to from+length.
 * Branches that cannot reach their targets from `at` by rel32 go through
 * absolute jumps. Returns the bytes written, 0 if they do not fit or cannot move.
 * With `placed` (length entries, or NULL): placed[k] is the offset in buf
 * where the instruction that began at byte k now begins, SIZE_MAX where
 * none began.
 */
SNARE_HIDDEN size_t snare_x86_relocate(uint8_t *buf, size_t cap, uint64_t at,
                                       uint64_t from, const uint8_t *original,
                                       size_t length, size_t *placed);

#endif
