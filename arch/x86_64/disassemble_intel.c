/*
 * disassemble_intel.c - Intel syntax as binutils spells it (`set
 * disassembly-flavor intel`, objdump -M intel): destination first, a
 * memory operand's size spelt out ("DWORD PTR [rbp-0x14]", "XMMWORD PTR",
 * "QWORD PTR fs:0x28", "DWORD BCST [rax]" for an EVEX broadcast), an
 * absolute address in ds: ("ds:0x601040"), a rip-relative displacement as
 * 64 bits unsigned ("[rip+0xfffffffffffffe92]"), bare mnemonics of string
 * instructions ("rep stos QWORD PTR es:[rdi],rax"), decorations as
 * "zmm1{k1}{z}" and "zmm2{rn-sae}".
 */
#include <string.h>

#include "disassemble.h"

/* Instructions whose memory operand binutils shows with no size: what
   they read or write is a structure, not a value (descriptor tables,
   saved states, MPX bounds). */
static bool is_unsized(const ZydisDecodedInstruction *insn) {
  static const char *const stems[] = {"lgdt", "lidt", "sgdt", "sidt",
                                      "fxsave", "fxrstor", "xsave", "xrstor",
                                      "fldenv", "fnstenv", "frstor", "fnsave",
                                      "fstenv", "fsave", "bnd"};
  const char *name = ZydisMnemonicGetString(insn->mnemonic);
  for (size_t i = 0; i < sizeof stems / sizeof stems[0]; i++)
    if (strncmp(name, stems[i], strlen(stems[i])) == 0)
      return true;
  return insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
         insn->opcode >= 0xa0 && insn->opcode <= 0xa3; /* moffs */
}

/* binutils' name of a memory operand of `bits` bits; NULL if none.
   A cache line flush names a byte, a far pointer is an FWORD. */
static const char *size_name(const ZydisDecodedInstruction *insn,
                             unsigned bits) {
  if (insn->mnemonic == ZYDIS_MNEMONIC_CLFLUSH ||
      insn->mnemonic == ZYDIS_MNEMONIC_CLFLUSHOPT ||
      insn->mnemonic == ZYDIS_MNEMONIC_CLWB)
    return "BYTE";
  if (snare_x86_is_far(insn))
    return "FWORD";
  switch (bits) {
  case 8: return "BYTE";
  case 16: return "WORD";
  case 32: return "DWORD";
  case 48: return "FWORD";
  case 64: return "QWORD";
  case 80: return "TBYTE";
  case 128:
    return insn->mnemonic == ZYDIS_MNEMONIC_CMPXCHG16B ? "OWORD" : "XMMWORD";
  case 256: return "YMMWORD";
  case 512: return "ZMMWORD";
  default: return NULL;
  }
}

/* A memory operand: "QWORD PTR fs:0x28", "DWORD PTR [rbp-0x14]",
   "QWORD PTR [rax*8+0x10]", "DWORD BCST [rax]", "ds:0x601040". */
static void append_memory(snare_x86_text *out, const snare_x86_view *view,
                          const ZydisDecodedOperand *operand) {
  const ZydisDecodedInstruction *insn = view->insn;
  const ZydisDecodedOperandMem *mem = &operand->mem;
  const snare_x86_syntax *syntax = &snare_x86_intel_syntax;
  bool broadcast = insn->avx.broadcast.mode != ZYDIS_BROADCAST_MODE_INVALID &&
                   !insn->avx.broadcast.is_static;
  const char *size = size_name(insn, broadcast ? operand->element_size
                                               : operand->size);
  if (mem->type == ZYDIS_MEMOP_TYPE_MEM && size && !is_unsized(insn))
    snare_x86_append(out, "%s %s ", size, broadcast ? "BCST" : "PTR");
  unsigned scale;
  const char *index = snare_x86_index(view, operand, &scale);
  bool has_register = mem->base != ZYDIS_REGISTER_NONE || index;
  if (snare_x86_shows_segment(view, operand) || !has_register) {
    snare_x86_append_register(out, syntax, mem->segment, NULL);
    snare_x86_append(out, ":");
  }
  if (!has_register) {
    snare_x86_append(out, "0x%llx", (unsigned long long)mem->disp.value);
    return;
  }
  snare_x86_append(out, "[");
  if (mem->base != ZYDIS_REGISTER_NONE)
    snare_x86_append_register(out, syntax, mem->base, NULL);
  if (index)
    snare_x86_append(out, "%s%s*%u",
                     mem->base != ZYDIS_REGISTER_NONE ? "+" : "", index, scale);
  int64_t disp = mem->disp.value;
  bool negative = disp < 0 && mem->base != ZYDIS_REGISTER_RIP;
  if (mem->disp.has_displacement)
    snare_x86_append(out, "%s0x%llx", negative ? "-" : "+",
                     (unsigned long long)(negative ? -(uint64_t)disp
                                                   : (uint64_t)disp));
  snare_x86_append(out, "]");
}

/* String instructions go by their bare names ("movs", "stos"): the
   operands tell the size; a far return is "retf". */
static void intel_mnemonic(snare_x86_text *out, const snare_x86_view *view) {
  size_t length = strlen(view->name);
  if (snare_x86_is_string(view->insn) && length > 0)
    length--;
  bool far_return = snare_x86_is_far(view->insn) &&
                    view->insn->mnemonic == ZYDIS_MNEMONIC_RET;
  snare_x86_append(out, "%.*s%s", (int)length, view->name,
                   far_return ? "f" : ""); /* retf */
}

const snare_x86_syntax snare_x86_intel_syntax = {
    .register_sigil = "",
    .reversed = false,
    .shift_count = "1",
    .branch_hints = false,
    .rounding_first = false,
    .immediate_sigil = "",
    .indirect_mark = "",
    .port = NULL,
    .mnemonic = intel_mnemonic,
    .memory = append_memory,
};
