/*
 * disassemble_att.c - AT&T syntax (gdb's default) as binutils spells it:
 * operands reversed, size suffixes only where no register gives the size
 * (movl $0x0,-0x4(%rbp)), movzbl / movslq / cltq, the UnixWare names of
 * x87's reversed forms, "*" before indirect branch targets, EVEX
 * decorations as "%zmm1{%k1}{z}", "(%rax){1to16}" and "{rn-sae},".
 */
#include <string.h>

#include "disassemble.h"

/* binutils' size suffix for an operand of `bits` bits */
static char size_suffix(unsigned bits) {
  switch (bits) {
  case 8: return 'b';
  case 16: return 'w';
  case 32: return 'l';
  case 64: return 'q';
  default: return 0;
  }
}

/* AT&T names of the sign-extensions of the accumulator */
static const char *accumulator_extension(ZydisMnemonic mnemonic) {
  switch (mnemonic) {
  case ZYDIS_MNEMONIC_CBW: return "cbtw";
  case ZYDIS_MNEMONIC_CWDE: return "cwtl";
  case ZYDIS_MNEMONIC_CDQE: return "cltq";
  case ZYDIS_MNEMONIC_CWD: return "cwtd";
  case ZYDIS_MNEMONIC_CDQ: return "cltd";
  case ZYDIS_MNEMONIC_CQO: return "cqto";
  default: return NULL;
  }
}

static bool is_vector_register(ZydisRegister reg) {
  ZydisRegisterClass class = ZydisRegisterGetClass(reg);
  return class == ZYDIS_REGCLASS_XMM || class == ZYDIS_REGCLASS_YMM ||
         class == ZYDIS_REGCLASS_ZMM || class == ZYDIS_REGCLASS_MASK;
}

/* The conversions of a float to an integer register, which tells the
   size ("cvttsd2si 0x8(%rsp),%r13d") */
static bool is_conversion_to_integer(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_CVTSD2SI || m == ZYDIS_MNEMONIC_CVTTSD2SI ||
         m == ZYDIS_MNEMONIC_CVTSS2SI || m == ZYDIS_MNEMONIC_CVTTSS2SI ||
         m == ZYDIS_MNEMONIC_VCVTSD2SI || m == ZYDIS_MNEMONIC_VCVTTSD2SI ||
         m == ZYDIS_MNEMONIC_VCVTSS2SI || m == ZYDIS_MNEMONIC_VCVTTSS2SI;
}

/*
 * Whether binutils spells the operand size into the mnemonic: a memory
 * operand whose size no register operand of the same size tells
 * ("movl $0x0,(%rax)", "shll %cl,(%rax)", "cvtsi2sdl (%rax),%xmm0"), but
 * not for branches, push/pop (64-bit by default), vector instructions,
 * conversions to an integer register, system instructions (sldt, lar)
 * or the MXCSR's load and store.
 */
static bool needs_suffix(const snare_x86_view *view,
                         const ZydisDecodedOperand **memory) {
  const ZydisDecodedInstruction *insn = view->insn;
  const ZydisDecodedOperand *const *operands = view->shown;
  bool vector = false, sized_by_register = false;
  *memory = NULL;
  for (unsigned i = 0; i < view->count; i++)
    if (operands[i]->type == ZYDIS_OPERAND_TYPE_MEMORY &&
        operands[i]->mem.type == ZYDIS_MEMOP_TYPE_MEM)
      *memory = operands[i];
  if (*memory == NULL || insn->mnemonic == ZYDIS_MNEMONIC_NOP)
    return *memory != NULL; /* a nop's register operand is no operand */
  if (snare_x86_is_branch(insn) ||
      insn->meta.category == ZYDIS_CATEGORY_SETCC ||
      insn->meta.category == ZYDIS_CATEGORY_PREFETCH ||
      snare_x86_is_string(insn) || insn->mnemonic == ZYDIS_MNEMONIC_XLAT ||
      insn->meta.category == ZYDIS_CATEGORY_SYSTEM ||
      insn->mnemonic == ZYDIS_MNEMONIC_LAR ||
      insn->mnemonic == ZYDIS_MNEMONIC_LSL ||
      insn->mnemonic == ZYDIS_MNEMONIC_INVLPG ||
      insn->mnemonic == ZYDIS_MNEMONIC_CMPXCHG8B ||
      insn->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B ||
      insn->mnemonic == ZYDIS_MNEMONIC_PUSH ||
      insn->mnemonic == ZYDIS_MNEMONIC_POP ||
      insn->mnemonic == ZYDIS_MNEMONIC_MOVSX ||
      insn->mnemonic == ZYDIS_MNEMONIC_MOVZX ||
      insn->mnemonic == ZYDIS_MNEMONIC_MOVSXD ||
      is_conversion_to_integer(insn->mnemonic) ||
      insn->mnemonic == ZYDIS_MNEMONIC_LDMXCSR ||
      insn->mnemonic == ZYDIS_MNEMONIC_STMXCSR ||
      insn->mnemonic == ZYDIS_MNEMONIC_VLDMXCSR ||
      insn->mnemonic == ZYDIS_MNEMONIC_VSTMXCSR)
    return false;
  bool shift = insn->meta.category == ZYDIS_CATEGORY_SHIFT ||
               insn->meta.category == ZYDIS_CATEGORY_ROTATE;
  for (unsigned i = 0; i < view->count; i++) {
    if (operands[i]->type != ZYDIS_OPERAND_TYPE_REGISTER ||
        (shift && operands[i]->reg.value == ZYDIS_REGISTER_CL))
      continue; /* a count does not size ("shrb %cl,(%rbx)") */
    vector |= is_vector_register(operands[i]->reg.value);
    sized_by_register |= operands[i]->size == (*memory)->size;
  }
  if (insn->mnemonic == ZYDIS_MNEMONIC_CVTSI2SD ||
      insn->mnemonic == ZYDIS_MNEMONIC_CVTSI2SS ||
      insn->mnemonic == ZYDIS_MNEMONIC_CRC32)
    return true; /* the register is not what is read: "crc32l (%rsi),%eax" */
  return !vector && !sized_by_register;
}

/*
 * An x87 memory operand's suffix: "s"/"l"/"ll" for integers (fild,
 * fistp), "s"/"l"/"t" for floats of 32/64/80 bits (flds, fstpt); none for
 * control words and saved states (fnstcw, fxsave).
 */
static const char *x87_suffix(const char *name, unsigned bits) {
  static const char *const unsized[] = {"cw", "sw", "env", "save", "rstor",
                                        "fbld", "fbstp"};
  for (size_t i = 0; i < sizeof unsized / sizeof unsized[0]; i++)
    if (strstr(name, unsized[i]))
      return "";
  if (strncmp(name, "fi", 2) == 0)
    return bits == 16 ? "s" : bits == 32 ? "l" : bits == 64 ? "ll" : "";
  return bits == 32 ? "s" : bits == 64 ? "l" : bits == 80 ? "t" : "";
}

/*
 * binutils keeps the UnixWare assembler's reversed names of the popping
 * and st(i)-destination register forms of fsub/fdiv (dc/de e0-ff) in
 * AT&T: Intel's "fdivp st(1),st" is its "fdivrp %st,%st(1)".
 */
static const char *x87_reversed(const ZydisDecodedInstruction *insn,
                                const char *name) {
  static const char *const pairs[][2] = {
      {"fsub", "fsubr"}, {"fsubr", "fsub"}, {"fdiv", "fdivr"},
      {"fdivr", "fdiv"}, {"fsubp", "fsubrp"}, {"fsubrp", "fsubp"},
      {"fdivp", "fdivrp"}, {"fdivrp", "fdivp"},
  };
  if (insn->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT ||
      (insn->opcode != 0xdc && insn->opcode != 0xde) ||
      insn->raw.modrm.mod != 3 || insn->raw.modrm.reg < 4)
    return name;
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
    if (strcmp(name, pairs[i][0]) == 0)
      return pairs[i][1];
  return name;
}

/* The conversions of a vector to a narrower one, whose memory source's
   size binutils spells in AT&T: "vcvtpd2dqx (%rax),%xmm0" */
static bool narrows_vector(const ZydisDecodedInstruction *insn) {
  ZydisMnemonic m = insn->mnemonic;
  return insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
         (m == ZYDIS_MNEMONIC_VCVTPD2DQ || m == ZYDIS_MNEMONIC_VCVTTPD2DQ ||
          m == ZYDIS_MNEMONIC_VCVTPD2PS || m == ZYDIS_MNEMONIC_VCVTPD2UDQ ||
          m == ZYDIS_MNEMONIC_VCVTTPD2UDQ || m == ZYDIS_MNEMONIC_VCVTQQ2PS ||
          m == ZYDIS_MNEMONIC_VCVTUQQ2PS);
}

static void att_mnemonic(snare_x86_text *out, const snare_x86_view *view) {
  const ZydisDecodedInstruction *insn = view->insn;
  const char *name = view->name;
  const char *extension = accumulator_extension(insn->mnemonic);
  if (insn->meta.isa_set == ZYDIS_ISA_SET_X87 ||
      insn->mnemonic == ZYDIS_MNEMONIC_FISTTP) { /* fisttp is SSE3's */
    snare_x86_append(out, "%s", x87_reversed(insn, name));
    for (unsigned i = 0; i < view->count; i++)
      if (view->shown[i]->type == ZYDIS_OPERAND_TYPE_MEMORY)
        snare_x86_append(out, "%s", x87_suffix(name, view->shown[i]->size));
    return;
  }
  if (extension) {
    snare_x86_append(out, "%s", extension);
  } else if (insn->mnemonic == ZYDIS_MNEMONIC_MOVSX ||
             insn->mnemonic == ZYDIS_MNEMONIC_MOVZX ||
             (insn->mnemonic == ZYDIS_MNEMONIC_MOVSXD &&
              view->shown[0]->size == 64)) {
    snare_x86_append(out, "mov%c%c%c", name[3] == 'z' ? 'z' : 's',
                     size_suffix(view->shown[1]->size),
                     size_suffix(view->shown[0]->size));
  } else if (snare_x86_is_string(insn) &&
             (strncmp(name, "stos", 4) == 0 || strncmp(name, "lods", 4) == 0 ||
              strncmp(name, "scas", 4) == 0)) {
    snare_x86_append(out, "%.4s", name); /* the accumulator tells the size */
  } else if (snare_x86_is_string(insn) && name[strlen(name) - 1] == 'd') {
    /* movsd, insd: binutils' movsl, insl */
    snare_x86_append(out, "%.*sl", (int)strlen(name) - 1, name);
  } else if (snare_x86_is_far(insn)) {
    snare_x86_append(out, "l%s", name); /* ljmp, lcall, lret */
  } else {
    snare_x86_append(out, "%s", name);
  }
  if (insn->meta.category == ZYDIS_CATEGORY_COND_BR)
    snare_x86_append(out, "%s",
                     insn->attributes & ZYDIS_ATTRIB_HAS_BRANCH_TAKEN ? ",pt"
                     : insn->attributes & ZYDIS_ATTRIB_HAS_BRANCH_NOT_TAKEN
                         ? ",pn"
                         : "");
  const ZydisDecodedOperand *memory;
  char suffix;
  if (needs_suffix(view, &memory) && (suffix = size_suffix(memory->size)))
    snare_x86_append(out, "%c", suffix);
  else if (narrows_vector(insn) && memory && view->shown[0] != memory &&
           !insn->avx.broadcast.mode && memory->size <= 256)
    snare_x86_append(out, "%c", memory->size == 128 ? 'x' : 'y');
}

static void append_signed_hex(snare_x86_text *out, int64_t value) {
  if (value < 0)
    snare_x86_append(out, "-0x%llx", (unsigned long long)-(uint64_t)value);
  else
    snare_x86_append(out, "0x%llx", (unsigned long long)value);
}

/* A memory operand: "%fs:0x28", "-0x14(%rbp)", "0x10(,%rax,8)",
   "(%rax){1to16}". */
static void append_memory(snare_x86_text *out, const snare_x86_view *view,
                          const ZydisDecodedOperand *operand) {
  const ZydisDecodedOperandMem *mem = &operand->mem;
  const snare_x86_syntax *syntax = &snare_x86_att_syntax;
  if (snare_x86_shows_segment(view, operand)) {
    snare_x86_append_register(out, syntax, mem->segment, NULL);
    snare_x86_append(out, ":");
  }
  unsigned scale;
  const char *index = snare_x86_index(view, operand, &scale);
  bool has_register = mem->base != ZYDIS_REGISTER_NONE || index;
  if (!has_register) { /* an absolute address, 64 bits unsigned */
    snare_x86_append(out, "0x%llx", (unsigned long long)mem->disp.value);
    return;
  }
  if (mem->disp.has_displacement)
    append_signed_hex(out, mem->disp.value);
  snare_x86_append(out, "(");
  if (mem->base != ZYDIS_REGISTER_NONE)
    snare_x86_append_register(out, syntax, mem->base, NULL);
  if (index)
    snare_x86_append(out, ",%%%s,%u", index, scale);
  snare_x86_append(out, ")");
  const ZydisDecodedInstructionAvx *avx = &view->insn->avx;
  if (avx->broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID &&
      !avx->broadcast.is_static && operand->element_size > 0)
    snare_x86_append(out, "{1to%u}",
                     (unsigned)(avx->vector_length / operand->element_size));
}

const snare_x86_syntax snare_x86_att_syntax = {
    .register_sigil = "%",
    .reversed = true,
    .shift_count = NULL,
    .branch_hints = true,
    .rounding_first = true,
    .immediate_sigil = "$",
    .indirect_mark = "*",
    .port = "(%dx)",
    .mnemonic = att_mnemonic,
    .memory = append_memory,
};
