/*
 * trampoline_map.c - where each of a function's first instructions went
 * in its entry trampoline, so a thread stopped inside the bytes a jump
 * replaces can go on at the same instruction of the relocated copy.
 *
 * It relies only on the trampoline's layout (trampoline.c): the
 * dispatcher, then the relocated instructions in their order, then a
 * jump back. So the trampoline of the first k bytes ends, before its
 * jump back, exactly where the instruction at k begins in the whole one.
 */
#include "decode.h"
#include "internal/hook_arch.h"

/* jmp [rip+0] and its 8-byte target, the end of every trampoline. */
#define JUMP_BACK_SIZE 14

bool snare_arch_hook_relocated_offsets(uint64_t at, uint64_t fn,
                                       const uint8_t *original, size_t length,
                                       uint64_t hook, uint64_t enter,
                                       size_t *offsets) {
  uint8_t scratch[SNARE_ARCH_TRAMPOLINE_SIZE];
  for (size_t k = 0; k < length; k++)
    offsets[k] = 0;
  for (size_t k = 0; k < length;) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    size_t n = snare_arch_hook_trampoline(scratch, sizeof scratch, at, fn,
                                          original, k, hook, enter);
    if (n < JUMP_BACK_SIZE ||
        !snare_x86_decode(original + k, length - k, &insn, operands))
      return false;
    offsets[k] = n - JUMP_BACK_SIZE;
    k += insn.length;
  }
  return true;
}
