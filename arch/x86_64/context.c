/*
 * context.c - x86-64 registers in a Linux ucontext_t, the trap
 * instruction and the trap flag.
 */
#include <string.h>
#include <ucontext.h>

#include "internal/arch.h"

/* ucontext's gregs index of each snare register, in snare_register order. */
static const int greg_index[SNARE_REG_COUNT] = {
    [SNARE_REG_RAX] = REG_RAX, [SNARE_REG_RBX] = REG_RBX,
    [SNARE_REG_RCX] = REG_RCX, [SNARE_REG_RDX] = REG_RDX,
    [SNARE_REG_RSI] = REG_RSI, [SNARE_REG_RDI] = REG_RDI,
    [SNARE_REG_RBP] = REG_RBP, [SNARE_REG_RSP] = REG_RSP,
    [SNARE_REG_R8] = REG_R8,   [SNARE_REG_R9] = REG_R9,
    [SNARE_REG_R10] = REG_R10, [SNARE_REG_R11] = REG_R11,
    [SNARE_REG_R12] = REG_R12, [SNARE_REG_R13] = REG_R13,
    [SNARE_REG_R14] = REG_R14, [SNARE_REG_R15] = REG_R15,
    [SNARE_REG_RIP] = REG_RIP, [SNARE_REG_EFLAGS] = REG_EFL,
};

#define TRAP_FLAG 0x100u

const uint8_t snare_arch_trap_instruction[] = {0xCC};
const size_t snare_arch_trap_size = sizeof snare_arch_trap_instruction;

uint64_t snare_arch_trap_address(uint64_t reported_pc) {
  return reported_pc - snare_arch_trap_size; /* int3 reports the next byte */
}

uint64_t snare_arch_register_get(const void *context, snare_register reg) {
  const ucontext_t *uc = context;
  return (uint64_t)uc->uc_mcontext.gregs[greg_index[reg]];
}

void snare_arch_register_set(void *context, snare_register reg,
                             uint64_t value) {
  ucontext_t *uc = context;
  uc->uc_mcontext.gregs[greg_index[reg]] = (greg_t)value;
}

bool snare_arch_vector_get(const void *context, unsigned index,
                           uint8_t out[16]) {
  const ucontext_t *uc = context;
  if (index > 15 || uc->uc_mcontext.fpregs == NULL)
    return false;
  memcpy(out, &uc->uc_mcontext.fpregs->_xmm[index], 16);
  return true;
}

void snare_arch_single_step(void *context, bool on) {
  ucontext_t *uc = context;
  greg_t flags = uc->uc_mcontext.gregs[REG_EFL];
  uc->uc_mcontext.gregs[REG_EFL] = on ? (flags | TRAP_FLAG)
                                      : (flags & ~(greg_t)TRAP_FLAG);
}
