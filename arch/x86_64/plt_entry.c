/*
 * plt_entry.c - which GOT slot an x86-64 PLT entry jumps through, so
 * that the entry can be named after the slot's symbol (`getenv@plt`), as
 * BFD's synthetic symbols name it for gdb and objdump. Entries of .plt,
 * .plt.sec and .plt.got all reach their slot by `jmp *slot(%rip)`, after
 * an optional endbr64 and with an optional bnd prefix; a lazy IBT .plt
 * entry only pushes and jumps to PLT0, and has no slot of its own.
 */
#include "decode.h"
#include "internal/arch.h"

bool snare_arch_plt_entry_slot(const uint8_t *code, size_t size,
                               uint64_t addr, uint64_t *slot) {
  size_t at = 0;
  while (at < size) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!snare_x86_decode(code + at, size - at, &insn, operands))
      return false;
    const ZydisDecodedOperand *target = &operands[0];
    if (insn.mnemonic == ZYDIS_MNEMONIC_JMP &&
        target->type == ZYDIS_OPERAND_TYPE_MEMORY &&
        target->mem.base == ZYDIS_REGISTER_RIP &&
        target->mem.index == ZYDIS_REGISTER_NONE) {
      *slot = addr + at + insn.length + (uint64_t)target->mem.disp.value;
      return true;
    }
    if (insn.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
        insn.meta.category == ZYDIS_CATEGORY_RET)
      return false; /* the entry ends without a jump through a slot */
    at += insn.length;
  }
  return false;
}
