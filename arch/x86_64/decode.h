/* decode.h - Zydis decoding shared by the x86-64 files. */
#ifndef SNARE_ARCH_X86_64_DECODE_H
#define SNARE_ARCH_X86_64_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

#include "internal/hidden.h"

/* Decodes one 64-bit-mode instruction from bytes (avail readable). */
SNARE_HIDDEN bool snare_x86_decode(
    const uint8_t *bytes, size_t avail, ZydisDecodedInstruction *insn,
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT]);

/* Target of a relative branch or call decoded at addr. */
SNARE_HIDDEN uint64_t snare_x86_relative_target(
    const ZydisDecodedInstruction *insn, uint64_t addr);

/* True if insn is a branch or call with a relative target. */
SNARE_HIDDEN bool snare_x86_is_relative_branch(
    const ZydisDecodedInstruction *insn);

/*
 * Copies insn (its bytes at `from`) into out as it must read at `to`:
 * RIP-relative memory operands rebased so they still name the same
 * address. False if the new displacement does not fit in 32 bits.
 */
SNARE_HIDDEN bool snare_x86_rebase(
    const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT],
    const uint8_t *bytes, uint64_t from, uint64_t to, uint8_t *out);

#endif
