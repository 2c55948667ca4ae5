/*
 * disassembler.h - what the core asks of the architecture to show an
 * instruction as text. Implemented in arch/<arch>/disassemble.c.
 */
#ifndef SNARE_INTERNAL_DISASSEMBLER_H
#define SNARE_INTERNAL_DISASSEMBLER_H

#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/*
 * Decodes the first instruction of `bytes` (avail readable bytes, as they
 * sit at run-time address addr) and formats it in `flavor` into text (cap
 * bytes, NUL terminated; UNSUPPORTED if too small). *length receives its length in bytes.
 * UNDECODABLE if the bytes are not a whole instruction. Any thread.
 */
SNARE_HIDDEN snare_status snare_arch_disassemble(
    uint64_t addr, snare_disassembly_flavor flavor, const uint8_t *bytes,
    size_t avail, char *text, size_t cap, size_t *length);

#endif
