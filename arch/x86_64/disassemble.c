/*
 * disassemble.c - one x86-64 instruction as text, decoded by Zydis and
 * spelled as GNU binutils 2.40 spells it (objdump, gdb 13) in either
 * syntax; Zydis's own formatters are far from it ("jz", "movzxb", "mov
 * rbp, rsp"). Here: which operands binutils shows and the line's layout;
 * the prefixes in disassemble_prefixes.c, the syntaxes' spellings in
 * disassemble_att.c and disassemble_intel.c (see disassemble.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "disassemble.h"
#include "internal/disassembler.h"

void snare_x86_append(snare_x86_text *out, const char *format, ...) {
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

/* True if operand is the implicit 1 of a d0/d1 shift by one. */
static bool is_shift_count(const ZydisDecodedInstruction *insn,
                           const ZydisDecodedOperand *operand) {
  return operand->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
         insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
         (insn->opcode == 0xd0 || insn->opcode == 0xd1);
}

bool snare_x86_is_string(const ZydisDecodedInstruction *insn) {
  return insn->meta.category == ZYDIS_CATEGORY_STRINGOP ||
         insn->meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
}

bool snare_x86_is_far(const ZydisDecodedInstruction *insn) {
  return insn->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ||
         (insn->mnemonic == ZYDIS_MNEMONIC_RET &&
          insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
          (insn->opcode == 0xca || insn->opcode == 0xcb));
}

bool snare_x86_is_branch(const ZydisDecodedInstruction *insn) {
  return insn->meta.category == ZYDIS_CATEGORY_CALL ||
         insn->meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
         insn->meta.category == ZYDIS_CATEGORY_COND_BR;
}

void snare_x86_append_register(snare_x86_text *out,
                               const snare_x86_syntax *syntax,
                               ZydisRegister reg,
                               const ZydisDecodedOperand *operand) {
  const char *sigil = syntax->register_sigil;
  if (reg == ZYDIS_REGISTER_ST0 && operand != NULL &&
      operand->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM)
    snare_x86_append(out, "%sst(0)", sigil);
  else if (reg == ZYDIS_REGISTER_ST0)
    snare_x86_append(out, "%sst", sigil);
  else if (reg > ZYDIS_REGISTER_ST0 && reg <= ZYDIS_REGISTER_ST7)
    snare_x86_append(out, "%sst(%d)", sigil, (int)(reg - ZYDIS_REGISTER_ST0));
  else
    snare_x86_append(out, "%s%s", sigil, ZydisRegisterGetString(reg));
}

/* An immediate's value as binutils shows it: a relative target absolute,
   a sign-extended immediate at the operation's width. */
static uint64_t immediate_value(const snare_x86_view *view,
                                const ZydisDecodedOperand *operand) {
  uint64_t value = operand->imm.value.u;
  if (operand->imm.is_relative) {
    ZydisCalcAbsoluteAddress(view->insn, operand, view->addr, &value);
    return value;
  }
  unsigned width = operand->imm.is_signed ? view->insn->operand_width
                                          : operand->size;
  return width < 64 ? value & ((1ULL << width) - 1) : value;
}

bool snare_x86_shows_segment(const snare_x86_view *view,
                             const ZydisDecodedOperand *operand) {
  ZydisRegister segment = operand->mem.segment;
  return segment == ZYDIS_REGISTER_FS || segment == ZYDIS_REGISTER_GS ||
         snare_x86_is_string(view->insn) ||
         view->insn->mnemonic == ZYDIS_MNEMONIC_XLAT;
}

const char *snare_x86_index(const snare_x86_view *view,
                            const ZydisDecodedOperand *operand,
                            unsigned *scale) {
  const ZydisDecodedInstruction *insn = view->insn;
  const ZydisDecodedOperandMem *mem = &operand->mem;
  *scale = mem->scale;
  if (mem->index != ZYDIS_REGISTER_NONE)
    return ZydisRegisterGetString(mem->index);
  bool sib = operand->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM &&
             insn->raw.modrm.mod != 3 && insn->raw.modrm.rm == 4;
  if (!sib || insn->raw.sib.index != 4 ||
      (insn->raw.sib.scale == 0 &&
       (insn->raw.sib.base == 4 ||
        (insn->raw.sib.base == 5 && insn->raw.modrm.mod == 0))))
    return NULL; /* no SIB, a real index, or the SIB (%rsp) and
                    absolute addresses need */
  *scale = 1u << insn->raw.sib.scale;
  return insn->address_width == 64 ? "riz" : "eiz";
}

/* SSE4.1's variable blends and sha256rnds2 read xmm0 implicitly;
   binutils shows it ("pblendvb %xmm0,%xmm2,%xmm1"), Zydis hides it. */
static bool shows_implicit_xmm0(const ZydisDecodedInstruction *insn) {
  return insn->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
         (insn->mnemonic == ZYDIS_MNEMONIC_PBLENDVB ||
          insn->mnemonic == ZYDIS_MNEMONIC_BLENDVPS ||
          insn->mnemonic == ZYDIS_MNEMONIC_BLENDVPD ||
          insn->mnemonic == ZYDIS_MNEMONIC_SHA256RNDS2);
}

/*
 * Whether binutils shows the operand: of a nop only its ModRM r/m
 * ("nopl 0x0(%rax)", "nop %eax"), not an EVEX
 * write mask (a decoration of the destination), nor in AT&T the 1 of a
 * shift by one (d0/d1: "shr %edx", Intel's "shr edx,1"); of a string instruction, its memory
 * operands, accumulator and port, which Zydis keeps hidden ("rep stos
 * %rax,%es:(%rdi)", "outsb %ds:(%rsi),(%dx)").
 */
static bool shows_operand(const snare_x86_view *view,
                          const snare_x86_syntax *syntax,
                          const ZydisDecodedOperand *operand) {
  const ZydisDecodedInstruction *insn = view->insn;
  if (snare_x86_is_string(insn))
    return operand->type == ZYDIS_OPERAND_TYPE_MEMORY ||
           (operand->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64,
                                              operand->reg.value) ==
                 ZYDIS_REGISTER_RAX ||
             operand->reg.value == ZYDIS_REGISTER_DX));
  if (insn->mnemonic == ZYDIS_MNEMONIC_NOP)
    return operand->encoding == ZYDIS_OPERAND_ENCODING_MODRM_RM;
  if (insn->mnemonic == ZYDIS_MNEMONIC_XLAT)
    return operand->type == ZYDIS_OPERAND_TYPE_MEMORY; /* "xlat %ds:(%rbx)" */
  if (operand->encoding == ZYDIS_OPERAND_ENCODING_MASK)
    return false;
  return syntax->shift_count != NULL ||
         !is_shift_count(insn, operand);
}

/* binutils' names of the EVEX rounding controls */
static const char *rounding_name(const ZydisDecodedInstruction *insn) {
  switch (insn->avx.rounding.mode) {
  case ZYDIS_ROUNDING_MODE_RN: return "rn-sae";
  case ZYDIS_ROUNDING_MODE_RD: return "rd-sae";
  case ZYDIS_ROUNDING_MODE_RU: return "ru-sae";
  case ZYDIS_ROUNDING_MODE_RZ: return "rz-sae";
  default: return insn->avx.has_sae ? "sae" : NULL;
  }
}

/* Fills view's operands, in Intel order, and their decorations. */
static void select_operands(snare_x86_view *view,
                            const snare_x86_syntax *syntax) {
  const ZydisDecodedInstruction *insn = view->insn;
  unsigned total = snare_x86_is_string(insn) ||
                           insn->mnemonic == ZYDIS_MNEMONIC_XLAT ||
                           shows_implicit_xmm0(insn)
                       ? insn->operand_count
                       : insn->operand_count_visible - view->pseudo_op;
  view->count = 0;
  view->mask = ZYDIS_REGISTER_NONE;
  for (unsigned i = 0; i < total; i++) {
    const ZydisDecodedOperand *operand = &view->operands[i];
    if (operand->encoding == ZYDIS_OPERAND_ENCODING_MASK &&
        operand->reg.value != ZYDIS_REGISTER_K0)
      view->mask = operand->reg.value;
    if (shows_operand(view, syntax, operand))
      view->shown[view->count++] = operand;
  }
  /* EVEX.z itself: Zydis calls a compare's masking "zeroing" too */
  view->zeroing = insn->encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX &&
                  insn->raw.evex.z;
  /* the rounding follows the last operand that is not an immediate */
  view->rounding = rounding_name(insn);
  view->rounded = view->count;
  for (unsigned i = view->count; i-- > 0;)
    if (view->shown[i]->type != ZYDIS_OPERAND_TYPE_IMMEDIATE) {
      view->rounded = i;
      break;
    }
}


/* True for the port register dx of in, out, ins and outs */
static bool is_port(const ZydisDecodedInstruction *insn,
                    const ZydisDecodedOperand *operand) {
  return (insn->mnemonic == ZYDIS_MNEMONIC_IN ||
          insn->mnemonic == ZYDIS_MNEMONIC_OUT ||
          insn->meta.category == ZYDIS_CATEGORY_IOSTRINGOP) &&
         operand->reg.value == ZYDIS_REGISTER_DX;
}

/* One operand in the syntax's spelling. */
static void append_operand(snare_x86_text *out, const snare_x86_view *view,
                           const snare_x86_syntax *syntax,
                           const ZydisDecodedOperand *operand) {
  if (snare_x86_is_branch(view->insn) &&
      operand->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
    snare_x86_append(out, "%s", syntax->indirect_mark);
  switch (operand->type) {
  case ZYDIS_OPERAND_TYPE_REGISTER:
    if (syntax->port && is_port(view->insn, operand))
      snare_x86_append(out, "%s", syntax->port);
    else
      snare_x86_append_register(out, syntax, operand->reg.value, operand);
    break;
  case ZYDIS_OPERAND_TYPE_IMMEDIATE:
    if (is_shift_count(view->insn, operand))
      snare_x86_append(out, "%s", syntax->shift_count);
    else
      snare_x86_append(out, "%s0x%llx",
                       operand->imm.is_relative ? "" : syntax->immediate_sigil,
                       (unsigned long long)immediate_value(view, operand));
    break;
  case ZYDIS_OPERAND_TYPE_MEMORY:
    syntax->memory(out, view, operand);
    break;
  default:
    break;
  }
}

/* Shown operand i and its EVEX decorations: the destination's write mask
   and {z} ("%zmm1{%k1}{z}"), the rounding control of the operand it
   follows ("zmm2{rn-sae}", or before it in AT&T: "{rn-sae},%zmm2"). */
static void append_decorated(snare_x86_text *out, const snare_x86_view *view,
                             const snare_x86_syntax *syntax, unsigned i) {
  bool rounded = view->rounding && i == view->rounded;
  if (rounded && syntax->rounding_first)
    snare_x86_append(out, "{%s},", view->rounding);
  append_operand(out, view, syntax, view->shown[i]);
  if (i == 0 && view->mask != ZYDIS_REGISTER_NONE)
    snare_x86_append(out, "{%s%s}", syntax->register_sigil,
                     ZydisRegisterGetString(view->mask));
  if (i == 0 && view->zeroing)
    snare_x86_append(out, "{z}");
  if (rounded && !syntax->rounding_first)
    snare_x86_append(out, "{%s}", view->rounding);
}

/* The whole line: prefixes, mnemonic, operands, rip-relative comment. */
static void append_instruction(snare_x86_text *out,
                               const snare_x86_view *view,
                               const snare_x86_syntax *syntax) {
  snare_x86_append_prefixes(out, view, syntax);
  syntax->mnemonic(out, view);
  if (view->count == 0)
    return;
  while (out->used < 6)
    snare_x86_append(out, " ");
  snare_x86_append(out, " ");
  /* enter keeps its Intel order in AT&T too ("enter $0x10,$0x0") */
  bool reversed =
      syntax->reversed && view->insn->mnemonic != ZYDIS_MNEMONIC_ENTER;
  const ZydisDecodedOperand *riprel = NULL;
  for (unsigned k = 0; k < view->count; k++) {
    unsigned i = reversed ? view->count - 1 - k : k;
    if (k > 0)
      snare_x86_append(out, ",");
    append_decorated(out, view, syntax, i);
    if (view->shown[i]->type == ZYDIS_OPERAND_TYPE_MEMORY &&
        view->shown[i]->mem.base == ZYDIS_REGISTER_RIP)
      riprel = view->shown[i];
  }
  uint64_t target;
  if (riprel && ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(view->insn, riprel,
                                                      view->addr, &target)))
    snare_x86_append(out, "        # 0x%llx", (unsigned long long)target);
}

snare_status snare_arch_disassemble(uint64_t addr,
                                    snare_disassembly_flavor flavor,
                                    const uint8_t *bytes, size_t avail,
                                    char *text, size_t cap, size_t *length) {
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (cap == 0)
    return SNARE_UNSUPPORTED;
  const snare_x86_syntax *syntax = flavor == SNARE_DISASSEMBLY_INTEL
                                       ? &snare_x86_intel_syntax
                                       : &snare_x86_att_syntax;
  snare_x86_text out = {text, cap, 0};
  text[0] = '\0';
  if (snare_x86_append_lone_rex(&out, bytes, avail)) {
    *length = 1;
    return out.used < cap ? SNARE_OK : SNARE_UNSUPPORTED;
  }
  /* binutils shows an fwait before an x87 instruction as one with it
     ("fstcw" from 9b and fnstcw), and a lock before what cannot be locked
     as its prefix ("lock ret"): one lead byte before what Zydis decodes */
  bool waits = avail > 1 && bytes[0] == 0x9b &&
               snare_x86_decode(bytes + 1, avail - 1, &insn, operands) &&
               insn.meta.isa_set == ZYDIS_ISA_SET_X87;
  bool decoded = waits || snare_x86_decode(bytes, avail, &insn, operands);
  bool locks = !decoded && avail > 1 && bytes[0] == 0xf0 &&
               snare_x86_decode(bytes + 1, avail - 1, &insn, operands);
  if (!decoded && !locks)
    return SNARE_UNDECODABLE;
  size_t lead = waits || locks;
  if (locks)
    snare_x86_append(&out, "lock ");
  /* 66 90: binutils shows the operand-size prefixed nop as the exchange
     it encodes */
  if (insn.length == 2 && bytes[lead] == 0x66 && bytes[lead + 1] == 0x90) {
    snare_x86_append(&out, "xchg   %sax,%sax", syntax->register_sigil,
                     syntax->register_sigil);
  } else {
    snare_x86_view view = {.insn = &insn, .operands = operands,
                           .bytes = bytes + lead, .addr = addr + lead,
                           .waits = waits};
    snare_x86_name(&view);
    select_operands(&view, syntax);
    append_instruction(&out, &view, syntax);
  }
  if (out.used >= cap)
    return SNARE_UNSUPPORTED;
  *length = insn.length + lead;
  return SNARE_OK;
}
