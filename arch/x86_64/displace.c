/*
 * displace.c - executing an instruction away from its address, so a
 * breakpoint never has to be lifted: decoded with Zydis, RIP-relative
 * operands rebased onto the slot, relative branches and calls emulated on
 * the saved context (they would otherwise jump relative to the slot).
 */
#include <string.h>
#include <ucontext.h>

#include "decode.h"

#include "internal/arch.h"
#include "internal/os.h"

enum {
  COND_JRCXZ = 16,
  COND_JECXZ,
  COND_LOOP,
  COND_LOOPE,
  COND_LOOPNE
};

enum { FLAG_CF = 1u << 0, FLAG_PF = 1u << 2, FLAG_ZF = 1u << 6,
       FLAG_SF = 1u << 7, FLAG_OF = 1u << 11 };

/* An absolute jump: jmp qword [rip+0] followed by the 8-byte target. */
#define ABSOLUTE_JUMP_SIZE 14

bool snare_x86_decode(const uint8_t *bytes, size_t avail,
                      ZydisDecodedInstruction *insn,
                      ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT]) {
  ZydisDecoder decoder;
  if (ZYAN_FAILED(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                   ZYDIS_STACK_WIDTH_64)))
    return false;
  return ZYAN_SUCCESS(
      ZydisDecoderDecodeFull(&decoder, bytes, avail, insn, operands));
}

bool snare_x86_is_relative_branch(const ZydisDecodedInstruction *insn) {
  return (insn->attributes & ZYDIS_ATTRIB_IS_RELATIVE) &&
         insn->raw.imm[0].is_relative;
}

static bool fits_int32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

uint64_t snare_x86_relative_target(const ZydisDecodedInstruction *insn,
                                   uint64_t addr) {
  return addr + insn->length + (uint64_t)insn->raw.imm[0].value.s;
}

static int branch_condition(const ZydisDecodedInstruction *insn) {
  switch (insn->mnemonic) {
  case ZYDIS_MNEMONIC_JRCXZ: return COND_JRCXZ;
  case ZYDIS_MNEMONIC_JECXZ: return COND_JECXZ;
  case ZYDIS_MNEMONIC_LOOP: return COND_LOOP;
  case ZYDIS_MNEMONIC_LOOPE: return COND_LOOPE;
  case ZYDIS_MNEMONIC_LOOPNE: return COND_LOOPNE;
  default: return insn->opcode & 0x0F; /* 7x and 0F 8x share the cc nibble */
  }
}

bool snare_x86_rebase(
    const ZydisDecodedInstruction *insn,
    const ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT],
    const uint8_t *bytes, uint64_t from, uint64_t to, uint8_t *out) {
  memcpy(out, bytes, insn->length);
  for (unsigned i = 0; i < insn->operand_count; i++) {
    const ZydisDecodedOperand *op = &operands[i];
    if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
        op->mem.base != ZYDIS_REGISTER_RIP)
      continue;
    if (insn->raw.disp.size != 32)
      return false;
    uint64_t target = from + insn->length + (uint64_t)insn->raw.disp.value;
    int64_t rebased = (int64_t)(target - (to + insn->length));
    if (!fits_int32(rebased))
      return false; /* too far from the data it names */
    int32_t disp = (int32_t)rebased;
    memcpy(out + insn->raw.disp.offset, &disp, sizeof disp);
  }
  return true;
}

static snare_status plan_copy(const ZydisDecodedInstruction *insn,
                              const ZydisDecodedOperand *operands,
                              snare_displaced *d) {
  uint8_t *code = d->code;
  if (!snare_x86_rebase(insn, operands, d->original, d->address, d->slot,
                        code))
    return SNARE_UNSUPPORTED;
  static const uint8_t jump_rip0[] = {0xFF, 0x25, 0, 0, 0, 0};
  uint64_t back = d->address + insn->length;
  memcpy(code + insn->length, jump_rip0, sizeof jump_rip0);
  memcpy(code + insn->length + sizeof jump_rip0, &back, sizeof back);
  d->code_length = (uint8_t)(insn->length + ABSOLUTE_JUMP_SIZE);
  d->kind = SNARE_DISPLACED_COPY;
  return SNARE_OK;
}

snare_status snare_arch_displaced_plan(uint64_t addr, const uint8_t *bytes,
                                       size_t avail, uint64_t slot,
                                       snare_displaced *out) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (!snare_x86_decode(bytes, avail, &insn, operands))
    return SNARE_UNDECODABLE;
  snare_displaced d;
  memset(&d, 0, sizeof d);
  d.address = addr;
  d.slot = slot;
  d.length = insn.length;
  memcpy(d.original, bytes, insn.length);

  bool relative_branch = snare_x86_is_relative_branch(&insn);
  switch (insn.meta.category) {
  case ZYDIS_CATEGORY_CALL:
    if (relative_branch) {
      d.kind = SNARE_DISPLACED_CALL;
      d.target = snare_x86_relative_target(&insn, addr);
    } else {
      if (insn.operand_count_visible < 1 ||
          (operands[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
           operands[0].mem.segment != ZYDIS_REGISTER_DS &&
           operands[0].mem.segment != ZYDIS_REGISTER_SS))
        return SNARE_UNSUPPORTED; /* far calls, fs:/gs: tables */
      d.kind = SNARE_DISPLACED_INDIRECT_CALL;
    }
    break;
  case ZYDIS_CATEGORY_UNCOND_BR:
    if (!relative_branch)
      return (*out = d, plan_copy(&insn, operands, out));
    d.kind = SNARE_DISPLACED_JUMP;
    d.target = snare_x86_relative_target(&insn, addr);
    break;
  case ZYDIS_CATEGORY_COND_BR:
    if (!relative_branch)
      return SNARE_UNSUPPORTED;
    d.kind = SNARE_DISPLACED_CONDITIONAL;
    d.condition = (uint8_t)branch_condition(&insn);
    d.target = snare_x86_relative_target(&insn, addr);
    break;
  default:
    if (relative_branch)
      return SNARE_UNSUPPORTED; /* xbegin and other rarities */
    *out = d;
    return plan_copy(&insn, operands, out);
  }
  *out = d;
  return SNARE_OK;
}

static bool condition_holds(uint8_t cc, uint64_t flags) {
  bool cf = flags & FLAG_CF, pf = flags & FLAG_PF, zf = flags & FLAG_ZF,
       sf = flags & FLAG_SF, of = flags & FLAG_OF;
  bool base;
  switch (cc >> 1) {
  case 0: base = of; break;
  case 1: base = cf; break;
  case 2: base = zf; break;
  case 3: base = cf || zf; break;
  case 4: base = sf; break;
  case 5: base = pf; break;
  case 6: base = sf != of; break;
  default: base = zf || (sf != of); break;
  }
  return (cc & 1) ? !base : base; /* odd codes are the negations */
}

static bool branch_taken(uint8_t condition, void *context) {
  uint64_t flags = snare_arch_register_get(context, SNARE_REG_EFLAGS);
  uint64_t rcx = snare_arch_register_get(context, SNARE_REG_RCX);
  switch (condition) {
  case COND_JRCXZ: return rcx == 0;
  case COND_JECXZ: return (uint32_t)rcx == 0;
  case COND_LOOP:
  case COND_LOOPE:
  case COND_LOOPNE:
    rcx -= 1;
    snare_arch_register_set(context, SNARE_REG_RCX, rcx);
    if (condition == COND_LOOPE)
      return rcx != 0 && (flags & FLAG_ZF);
    if (condition == COND_LOOPNE)
      return rcx != 0 && !(flags & FLAG_ZF);
    return rcx != 0;
  default: return condition_holds(condition, flags);
  }
}

/* Pushes the return address and jumps, as the call would have. */
static snare_displaced_result emulate_call(const snare_displaced *d,
                                           uint64_t target, void *context) {
  uint64_t sp = snare_arch_register_get(context, SNARE_REG_RSP) - 8;
  uint64_t back = d->address + d->length;
  if (!snare_os_memory_write(sp, &back, sizeof back))
    return SNARE_DISPLACED_FAULTED;
  snare_arch_register_set(context, SNARE_REG_RSP, sp);
  snare_arch_register_set(context, SNARE_REG_RIP, target);
  return SNARE_DISPLACED_DONE;
}

static const ZydisRegister gpr64[SNARE_REG_COUNT] = {
    [SNARE_REG_RAX] = ZYDIS_REGISTER_RAX, [SNARE_REG_RBX] = ZYDIS_REGISTER_RBX,
    [SNARE_REG_RCX] = ZYDIS_REGISTER_RCX, [SNARE_REG_RDX] = ZYDIS_REGISTER_RDX,
    [SNARE_REG_RSI] = ZYDIS_REGISTER_RSI, [SNARE_REG_RDI] = ZYDIS_REGISTER_RDI,
    [SNARE_REG_RBP] = ZYDIS_REGISTER_RBP, [SNARE_REG_RSP] = ZYDIS_REGISTER_RSP,
    [SNARE_REG_R8] = ZYDIS_REGISTER_R8,   [SNARE_REG_R9] = ZYDIS_REGISTER_R9,
    [SNARE_REG_R10] = ZYDIS_REGISTER_R10, [SNARE_REG_R11] = ZYDIS_REGISTER_R11,
    [SNARE_REG_R12] = ZYDIS_REGISTER_R12, [SNARE_REG_R13] = ZYDIS_REGISTER_R13,
    [SNARE_REG_R14] = ZYDIS_REGISTER_R14, [SNARE_REG_R15] = ZYDIS_REGISTER_R15,
    [SNARE_REG_RIP] = ZYDIS_REGISTER_RIP, [SNARE_REG_EFLAGS] = ZYDIS_REGISTER_RFLAGS,
};

/* Target of call r/m64, evaluated against the trapped thread's registers. */
static bool indirect_target(const snare_displaced *d, const void *context,
                            uint64_t *target) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (!snare_x86_decode(d->original, d->length, &insn, operands))
    return false;
  ZydisRegisterContext regs;
  memset(&regs, 0, sizeof regs);
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    regs.values[gpr64[r]] = snare_arch_register_get(context, (snare_register)r);
  regs.values[ZYDIS_REGISTER_RIP] = d->address;
  const ZydisDecodedOperand *op = &operands[0];
  if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
    ZydisRegister wide = ZydisRegisterGetLargestEnclosing(
        ZYDIS_MACHINE_MODE_LONG_64, op->reg.value);
    *target = regs.values[wide];
    return true;
  }
  ZyanU64 slot;
  if (ZYAN_FAILED(ZydisCalcAbsoluteAddressEx(&insn, op, d->address, &regs,
                                             &slot)))
    return false;
  return snare_os_memory_read(slot, target, sizeof *target);
}

bool snare_arch_falls_through(const snare_displaced *d) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (d->kind != SNARE_DISPLACED_COPY ||
      !snare_x86_decode(d->original, d->length, &insn, operands))
    return false;
  switch (insn.meta.category) {
  case ZYDIS_CATEGORY_RET:
  case ZYDIS_CATEGORY_UNCOND_BR:
  case ZYDIS_CATEGORY_COND_BR:
  case ZYDIS_CATEGORY_CALL:
  case ZYDIS_CATEGORY_SYSCALL:
  case ZYDIS_CATEGORY_INTERRUPT:
  case ZYDIS_CATEGORY_SYSTEM:
  case ZYDIS_CATEGORY_SYSRET:
  case ZYDIS_CATEGORY_UINTR:
  case ZYDIS_CATEGORY_VTX:
  case ZYDIS_CATEGORY_SGX:
    return false;
  default:
    return true;
  }
}

/* Linux x86-64 system calls that do not return to the next instruction
   of the calling thread alone. */
static bool leaves_elsewhere(uint64_t number) {
  switch (number) {
  case 15:  /* rt_sigreturn */
  case 56:  /* clone */
  case 57:  /* fork */
  case 58:  /* vfork */
  case 59:  /* execve */
  case 60:  /* exit */
  case 231: /* exit_group */
  case 322: /* execveat */
  case 435: /* clone3 */
    return true;
  default:
    return false;
  }
}

bool snare_arch_returning_system_call(const snare_displaced *d,
                                      const void *context) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  return d->kind == SNARE_DISPLACED_COPY &&
         snare_x86_decode(d->original, d->length, &insn, operands) &&
         insn.mnemonic == ZYDIS_MNEMONIC_SYSCALL &&
         !leaves_elsewhere(snare_arch_register_get(context, SNARE_REG_RAX));
}

void snare_arch_slot_step_done(const snare_displaced *d, void *context) {
  uint64_t next = d->address + d->length;
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (snare_x86_decode(d->original, d->length, &insn, operands) &&
      insn.mnemonic == ZYDIS_MNEMONIC_SYSCALL)
    snare_arch_register_set(context, SNARE_REG_RCX, next);
  snare_arch_register_set(context, SNARE_REG_RIP, next);
}

snare_displaced_result snare_arch_displaced_start(const snare_displaced *d,
                                                  void *context) {
  uint64_t target;
  switch (d->kind) {
  case SNARE_DISPLACED_COPY:
    snare_arch_register_set(context, SNARE_REG_RIP, d->slot);
    return SNARE_DISPLACED_RUNS_IN_SLOT;
  case SNARE_DISPLACED_JUMP:
    snare_arch_register_set(context, SNARE_REG_RIP, d->target);
    return SNARE_DISPLACED_DONE;
  case SNARE_DISPLACED_CALL:
    return emulate_call(d, d->target, context);
  case SNARE_DISPLACED_CONDITIONAL:
    target = branch_taken(d->condition, context) ? d->target
                                                 : d->address + d->length;
    snare_arch_register_set(context, SNARE_REG_RIP, target);
    return SNARE_DISPLACED_DONE;
  case SNARE_DISPLACED_INDIRECT_CALL:
    if (!indirect_target(d, context, &target))
      return SNARE_DISPLACED_FAULTED;
    return emulate_call(d, target, context);
  }
  return SNARE_DISPLACED_FAULTED;
}

bool snare_arch_displaced_finish(const snare_displaced *d, void *context) {
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  if (d->kind != SNARE_DISPLACED_COPY)
    return false;
  if (pc == d->slot + d->length) {
    snare_arch_register_set(context, SNARE_REG_RIP, d->address + d->length);
    return true;
  }
  if (pc == d->slot) {
    snare_arch_register_set(context, SNARE_REG_RIP, d->address);
    return true;
  }
  return false;
}

snare_status snare_arch_check_boundary(const uint8_t *code, size_t size,
                                       size_t offset) {
  size_t at = 0;
  while (at < offset && at < size) {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    if (!snare_x86_decode(code + at, size - at, &insn, operands))
      return SNARE_OK; /* data in code: the sweep cannot tell, so allow */
    at += insn.length;
  }
  return at == offset ? SNARE_OK : SNARE_INSIDE_INSTRUCTION;
}
