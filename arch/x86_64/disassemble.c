/*
 * disassemble.c - one x86-64 instruction as text, decoded by Zydis.
 *
 * Intel flavor: Zydis's Intel formatter ("mov rbp, rsp"), hex lower-case
 * and unpadded, relative branch targets absolute.
 *
 * AT&T flavor (gdb's default): written here from Zydis's decoded
 * operands rather than by Zydis's AT&T formatter, whose spelling is far
 * from GNU libopcodes' (upper-case padded hex, "jz", "movzxb", "nop
 * %eax, (%rax)"). This is the one place that knows binutils' spelling:
 * mnemonic padded to 6 columns then a space, operands reversed and joined
 * by "," alone, GNU condition names (je, ja, cmovge, setne), size suffixes
 * only where no register gives the size (movl $0x0,-0x4(%rbp)), movzbl /
 * movslq / cltq, movabs, ignored prefixes named (cs nopw, data16),
 * "*" before indirect branch targets, and a rip-relative operand followed
 * by "        # 0x<target>" (the caller appends gdb's " <symbol>").
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "internal/disassembler.h"

typedef struct {
  char *text;
  size_t cap;
  size_t used;
} text_buffer;

static void append(text_buffer *out, const char *format, ...) {
  if (out->used >= out->cap)
    return;
  va_list args;
  va_start(args, format);
  int n = vsnprintf(out->text + out->used, out->cap - out->used, format, args);
  va_end(args);
  if (n > 0)
    out->used += (size_t)n;
  if (out->used >= out->cap)
    out->used = out->cap; /* truncated: vsnprintf kept the NUL */
}

static snare_status format_intel(const ZydisDecodedInstruction *insn,
                                 const ZydisDecodedOperand *operands,
                                 uint64_t addr, char *text, size_t cap) {
  ZydisFormatter formatter;
  if (ZYAN_FAILED(ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL)) ||
      ZYAN_FAILED(ZydisFormatterSetProperty(
          &formatter, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE)) ||
      ZYAN_FAILED(ZydisFormatterSetProperty(
          &formatter, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
          ZYDIS_PADDING_DISABLED)))
    return SNARE_UNSUPPORTED;
  if (ZYAN_FAILED(ZydisFormatterFormatInstruction(
          &formatter, insn, operands, insn->operand_count_visible, text, cap,
          addr, NULL)))
    return SNARE_UNSUPPORTED; /* only when text is too small */
  return SNARE_OK;
}

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

/* GNU's name of a condition code where Intel's (Zydis's) differs */
static const char *gnu_condition(const char *intel) {
  static const char *const renames[][2] = {
      {"z", "e"}, {"nz", "ne"}, {"nb", "ae"}, {"nbe", "a"},
      {"nl", "ge"}, {"nle", "g"},
  };
  for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++)
    if (strcmp(intel, renames[i][0]) == 0)
      return renames[i][1];
  return intel;
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

static int is_vector_register(ZydisRegister reg) {
  ZydisRegisterClass class = ZydisRegisterGetClass(reg);
  return class == ZYDIS_REGCLASS_XMM || class == ZYDIS_REGCLASS_YMM ||
         class == ZYDIS_REGCLASS_ZMM;
}

static int is_branch(const ZydisDecodedInstruction *insn) {
  return insn->meta.category == ZYDIS_CATEGORY_CALL ||
         insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
         insn->meta.category == ZYDIS_CATEGORY_COND_BR;
}

/*
 * Whether binutils spells the operand size into the mnemonic: a memory
 * operand whose size no register operand of the same size tells
 * ("movl $0x0,(%rax)", "shll %cl,(%rax)", "cvtsi2sdl (%rax),%xmm0"), but
 * not for branches, push/pop (64-bit by default) or vector instructions.
 */
static int needs_suffix(const ZydisDecodedInstruction *insn,
                        const ZydisDecodedOperand *operands) {
  const ZydisDecodedOperand *memory = NULL;
  int vector = 0, sized_by_register = 0;
  for (unsigned i = 0; i < insn->operand_count_visible; i++)
    if (operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
        operands[i].mem.type == ZYDIS_MEMOP_TYPE_MEM)
      memory = &operands[i];
  if (insn->mnemonic == ZYDIS_MNEMONIC_NOP)
    return memory != NULL; /* its register operand is no operand */
  if (memory == NULL || is_branch(insn) ||
      insn->meta.category == ZYDIS_CATEGORY_SETCC ||
      insn->meta.category == ZYDIS_CATEGORY_PREFETCH ||
      insn->mnemonic == ZYDIS_MNEMONIC_PUSH ||
      insn->mnemonic == ZYDIS_MNEMONIC_POP)
    return 0;
  for (unsigned i = 0; i < insn->operand_count_visible; i++) {
    if (operands[i].type != ZYDIS_OPERAND_TYPE_REGISTER)
      continue;
    vector |= is_vector_register(operands[i].reg.value);
    sized_by_register |= operands[i].size == memory->size;
  }
  if (insn->mnemonic == ZYDIS_MNEMONIC_CVTSI2SD ||
      insn->mnemonic == ZYDIS_MNEMONIC_CVTSI2SS)
    return 1;
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
 * and st(i)-destination register forms of fsub/fdiv (dc/de e0-ff):
 * Intel's "fdivp st(1), st0" is its "fdivrp %st,%st(1)".
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

/* The pseudo-op binutils names for a comparison predicate or a carry-less
   multiply's halves (cmpltsd, pclmulhqlqdq), its immediate then unshown;
   NULL if there is none. */
static const char *predicate_name(const ZydisDecodedInstruction *insn,
                                  const ZydisDecodedOperand *operands,
                                  char *name, size_t cap) {
  static const char *const predicates[] = {"eq",  "lt",  "le",  "unord",
                                           "neq", "nlt", "nle", "ord"};
  static const char *const halves[] = {"lqlq", "hqlq", "lqhq", "hqhq"};
  if (insn->operand_count_visible == 0)
    return NULL;
  const ZydisDecodedOperand *last = &operands[insn->operand_count_visible - 1];
  if (last->type != ZYDIS_OPERAND_TYPE_IMMEDIATE ||
      insn->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY)
    return NULL;
  uint64_t imm = last->imm.value.u;
  const char *mnemonic = ZydisMnemonicGetString(insn->mnemonic);
  if (insn->mnemonic == ZYDIS_MNEMONIC_PCLMULQDQ && (imm & ~0x11ULL) == 0) {
    snprintf(name, cap, "pclmul%sdq", halves[(imm & 1) | (imm >> 3)]);
    return name;
  }
  if ((insn->mnemonic == ZYDIS_MNEMONIC_CMPSD ||
       insn->mnemonic == ZYDIS_MNEMONIC_CMPSS ||
       insn->mnemonic == ZYDIS_MNEMONIC_CMPPD ||
       insn->mnemonic == ZYDIS_MNEMONIC_CMPPS) &&
      insn->meta.category != ZYDIS_CATEGORY_STRINGOP && imm < 8) {
    snprintf(name, cap, "cmp%s%s", predicates[imm], mnemonic + 3);
    return name;
  }
  return NULL;
}

static void append_mnemonic(text_buffer *out,
                            const ZydisDecodedInstruction *insn,
                            const ZydisDecodedOperand *operands) {
  const char *name = ZydisMnemonicGetString(insn->mnemonic);
  const char *extension = accumulator_extension(insn->mnemonic);
  char pseudo[32];
  if (insn->meta.isa_set == ZYDIS_ISA_SET_X87) {
    append(out, "%s", x87_reversed(insn, name));
    for (unsigned i = 0; i < insn->operand_count_visible; i++)
      if (operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
        append(out, "%s", x87_suffix(name, operands[i].size));
    return;
  } else if (predicate_name(insn, operands, pseudo, sizeof pseudo)) {
    append(out, "%s", pseudo);
  } else if (extension) {
    append(out, "%s", extension);
  } else if (insn->mnemonic == ZYDIS_MNEMONIC_MOVSX ||
             insn->mnemonic == ZYDIS_MNEMONIC_MOVZX ||
             insn->mnemonic == ZYDIS_MNEMONIC_MOVSXD) {
    append(out, "mov%c%c%c", name[3] == 'z' ? 'z' : 's',
           size_suffix(operands[1].size), size_suffix(operands[0].size));
  } else if (insn->mnemonic == ZYDIS_MNEMONIC_MOV &&
             ((operands[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
               insn->raw.imm[0].size == 64) ||
              (insn->opcode >= 0xa0 && insn->opcode <= 0xa3 &&
               insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT))) {
    append(out, "movabs");
  } else if (insn->meta.category == ZYDIS_CATEGORY_COND_BR && name[0] == 'j' &&
             strcmp(name, "jrcxz") != 0 && strcmp(name, "jecxz") != 0) {
    append(out, "j%s", gnu_condition(name + 1));
  } else if (insn->meta.category == ZYDIS_CATEGORY_SETCC) {
    append(out, "set%s", gnu_condition(name + 3));
  } else if (insn->meta.category == ZYDIS_CATEGORY_CMOV) {
    append(out, "cmov%s", gnu_condition(name + 4));
  } else if (insn->meta.category == ZYDIS_CATEGORY_STRINGOP &&
             (strncmp(name, "stos", 4) == 0 || strncmp(name, "lods", 4) == 0 ||
              strncmp(name, "scas", 4) == 0)) {
    append(out, "%.4s", name); /* the accumulator operand tells the size */
  } else if (insn->meta.category == ZYDIS_CATEGORY_STRINGOP &&
             name[4] == 'd') {
    append(out, "%.4sl", name); /* movsd: binutils' movsl */
  } else {
    append(out, "%s", name);
  }
  if (insn->mnemonic != ZYDIS_MNEMONIC_MOVSX &&
      insn->mnemonic != ZYDIS_MNEMONIC_MOVZX &&
      insn->mnemonic != ZYDIS_MNEMONIC_MOVSXD && needs_suffix(insn, operands)) {
    for (unsigned i = 0; i < insn->operand_count_visible; i++)
      if (operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
          operands[i].mem.type == ZYDIS_MEMOP_TYPE_MEM) {
        char suffix = size_suffix(operands[i].size);
        if (suffix)
          append(out, "%c", suffix);
      }
  }
}

/* The prefixes binutils names before the mnemonic: lock, rep*, notrack,
   bnd, and the ones the instruction ignores (cs, data16 on padding nops). */
static void append_prefixes(text_buffer *out,
                            const ZydisDecodedInstruction *insn) {
  uint64_t attributes = insn->attributes;
  for (unsigned i = 0; i < insn->raw.prefix_count; i++) {
    uint8_t value = insn->raw.prefixes[i].value;
    int ignored = insn->raw.prefixes[i].type == ZYDIS_PREFIX_TYPE_IGNORED;
    if (value == 0x66 && ignored)
      append(out, "data16 ");
    else if (value == 0x2e && !(attributes & ZYDIS_ATTRIB_HAS_BRANCH_NOT_TAKEN))
      append(out, "cs ");
    else if (value == 0x3e && (attributes & ZYDIS_ATTRIB_HAS_NOTRACK))
      append(out, "notrack ");
    else if (value == 0x3e && !ignored)
      continue;
    else if (value == 0x3e)
      append(out, "ds ");
  }
  if (attributes & ZYDIS_ATTRIB_HAS_LOCK)
    append(out, "lock ");
  if (attributes & ZYDIS_ATTRIB_HAS_BND)
    append(out, "bnd ");
  if (attributes & ZYDIS_ATTRIB_HAS_REPNE)
    append(out, "repnz ");
  else if ((attributes & ZYDIS_ATTRIB_HAS_REPE) &&
           (insn->mnemonic == ZYDIS_MNEMONIC_CMPSB ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSW ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSD ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSQ ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASB ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASW ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASD ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASQ))
    append(out, "repz ");
  else if (attributes & ZYDIS_ATTRIB_HAS_REP)
    append(out, "rep ");
}

static void append_signed_hex(text_buffer *out, int64_t value) {
  if (value < 0)
    append(out, "-0x%llx", (unsigned long long)-(uint64_t)value);
  else
    append(out, "0x%llx", (unsigned long long)value);
}

static void append_register(text_buffer *out, ZydisRegister reg) {
  if (reg == ZYDIS_REGISTER_ST0)
    append(out, "%%st");
  else if (reg > ZYDIS_REGISTER_ST0 && reg <= ZYDIS_REGISTER_ST7)
    append(out, "%%st(%d)", (int)(reg - ZYDIS_REGISTER_ST0));
  else
    append(out, "%%%s", ZydisRegisterGetString(reg));
}

/* Appends one operand; *riprel receives a rip-relative operand's target. */
static void append_operand(text_buffer *out,
                           const ZydisDecodedInstruction *insn,
                           const ZydisDecodedOperand *operand, uint64_t addr,
                           uint64_t *riprel) {
  int indirect = is_branch(insn) &&
                 operand->type != ZYDIS_OPERAND_TYPE_IMMEDIATE;
  if (indirect)
    append(out, "*");
  switch (operand->type) {
  case ZYDIS_OPERAND_TYPE_REGISTER:
    /* an x87 register named by the ModRM byte is "%st(0)", the
       implicit top of the stack "%st" */
    if (operand->reg.value == ZYDIS_REGISTER_ST0 &&
        operand->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM)
      append(out, "%%st(0)");
    else
      append_register(out, operand->reg.value);
    break;
  case ZYDIS_OPERAND_TYPE_IMMEDIATE: {
    if (operand->imm.is_relative) {
      uint64_t target = 0;
      ZydisCalcAbsoluteAddress(insn, operand, addr, &target);
      append(out, "0x%llx", (unsigned long long)target);
      break;
    }
    /* binutils shows a sign-extended immediate at the operation's width */
    unsigned width = operand->imm.is_signed ? insn->operand_width
                                            : operand->size;
    uint64_t value = operand->imm.value.u;
    if (width < 64)
      value &= (1ULL << width) - 1;
    append(out, "$0x%llx", (unsigned long long)value);
    break;
  }
  case ZYDIS_OPERAND_TYPE_MEMORY: {
    const ZydisDecodedOperandMem *mem = &operand->mem;
    if (mem->segment == ZYDIS_REGISTER_FS || mem->segment == ZYDIS_REGISTER_GS ||
        insn->meta.category == ZYDIS_CATEGORY_STRINGOP) {
      append_register(out, mem->segment);
      append(out, ":");
    }
    int has_register = mem->base != ZYDIS_REGISTER_NONE ||
                       mem->index != ZYDIS_REGISTER_NONE;
    if (mem->disp.has_displacement || !has_register)
      append_signed_hex(out, mem->disp.value);
    if (mem->base == ZYDIS_REGISTER_RIP) {
      ZydisCalcAbsoluteAddress(insn, operand, addr, riprel);
    }
    if (has_register) {
      append(out, "(");
      if (mem->base != ZYDIS_REGISTER_NONE)
        append_register(out, mem->base);
      if (mem->index != ZYDIS_REGISTER_NONE) {
        append(out, ",");
        append_register(out, mem->index);
        append(out, ",%u", mem->scale);
      }
      append(out, ")");
    }
    break;
  }
  default:
    break;
  }
}

/* SSE4.1's variable blends read xmm0 implicitly; binutils shows it
   ("pblendvb %xmm0,%xmm2,%xmm1"), Zydis hides it. */
static int shows_implicit_xmm0(const ZydisDecodedInstruction *insn) {
  return insn->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
         (insn->mnemonic == ZYDIS_MNEMONIC_PBLENDVB ||
          insn->mnemonic == ZYDIS_MNEMONIC_BLENDVPS ||
          insn->mnemonic == ZYDIS_MNEMONIC_BLENDVPD);
}

/*
 * Whether binutils shows the operand: not a nop's register, nor the 1 of
 * a shift by one (d0/d1: "shr %edx"); of a string instruction, its memory
 * operands and accumulator, which Zydis keeps hidden ("rep stos
 * %rax,%es:(%rdi)").
 */
static int shows_operand(const ZydisDecodedInstruction *insn,
                         const ZydisDecodedOperand *operand, int string) {
  if (string)
    return operand->type == ZYDIS_OPERAND_TYPE_MEMORY ||
           (operand->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64,
                                             operand->reg.value) ==
                ZYDIS_REGISTER_RAX);
  if (insn->mnemonic == ZYDIS_MNEMONIC_NOP)
    return operand->type == ZYDIS_OPERAND_TYPE_MEMORY;
  return !(operand->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
           insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
           (insn->opcode == 0xd0 || insn->opcode == 0xd1));
}

static snare_status format_att(const ZydisDecodedInstruction *insn,
                               const ZydisDecodedOperand *operands,
                               const uint8_t *bytes, uint64_t addr,
                               char *text, size_t cap) {
  text_buffer out = {text, cap, 0};
  text[0] = '\0';
  /* 66 90: binutils shows the operand-size prefixed nop as the exchange
     it encodes */
  if (insn->length == 2 && bytes[0] == 0x66 && bytes[1] == 0x90) {
    append(&out, "xchg   %%ax,%%ax");
    return out.used < cap ? SNARE_OK : SNARE_UNSUPPORTED;
  }
  append_prefixes(&out, insn);
  append_mnemonic(&out, insn, operands);
  /* the operands binutils shows, last first; a nop shows only its
     memory operand */
  const ZydisDecodedOperand *shown[ZYDIS_MAX_OPERAND_COUNT];
  unsigned count = 0;
  int string = insn->meta.category == ZYDIS_CATEGORY_STRINGOP;
  char pseudo[32];
  int pseudo_op = predicate_name(insn, operands, pseudo, sizeof pseudo) != NULL;
  for (unsigned i = string || shows_implicit_xmm0(insn)
                        ? insn->operand_count
                        : insn->operand_count_visible - pseudo_op;
       i-- > 0;) {
    if (!shows_operand(insn, &operands[i], string))
      continue;
    shown[count++] = &operands[i];
  }
  if (insn->mnemonic == ZYDIS_MNEMONIC_ENTER && count == 2) {
    const ZydisDecodedOperand *first = shown[0];
    shown[0] = shown[1];
    shown[1] = first;
  }
  uint64_t riprel = 0;
  int has_riprel = 0;
  if (count > 0) {
    while (out.used < 6)
      append(&out, " ");
    append(&out, " ");
    for (unsigned i = 0; i < count; i++) {
      if (i > 0)
        append(&out, ",");
      append_operand(&out, insn, shown[i], addr, &riprel);
      has_riprel |= shown[i]->type == ZYDIS_OPERAND_TYPE_MEMORY &&
                    shown[i]->mem.base == ZYDIS_REGISTER_RIP;
    }
  }
  if (has_riprel)
    append(&out, "        # 0x%llx", (unsigned long long)riprel);
  return out.used < cap ? SNARE_OK : SNARE_UNSUPPORTED;
}

snare_status snare_arch_disassemble(uint64_t addr,
                                    snare_disassembly_flavor flavor,
                                    const uint8_t *bytes, size_t avail,
                                    char *text, size_t cap, size_t *length) {
  ZydisDecoder decoder;
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (ZYAN_FAILED(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
                                   ZYDIS_STACK_WIDTH_64)))
    return SNARE_UNSUPPORTED;
  if (ZYAN_FAILED(
          ZydisDecoderDecodeFull(&decoder, bytes, avail, &insn, operands)))
    return SNARE_UNDECODABLE;
  snare_status st =
      flavor == SNARE_DISASSEMBLY_INTEL
          ? format_intel(&insn, operands, addr, text, cap)
          : format_att(&insn, operands, bytes, addr, text, cap);
  if (st == SNARE_OK)
    *length = insn.length;
  return st;
}
