/*
 * disassemble_prefixes.c - the prefixes binutils names before an x86-64
 * mnemonic: lock, rep/repz/repnz, notrack, bnd, and those the instruction
 * ignores or that change nothing ("data16 cs nopw", "repz ret", addr32,
 * "rex.W call", segments but fs/gs of a memory operand). Whether one
 * changes nothing is told by decoding the instruction without it.
 */
#include <string.h>

#include "decode.h"
#include "disassemble.h"

/* True if a shown operand is in memory, where an address-size prefix
   (67) tells its registers' width. */
static bool addresses_memory(const snare_x86_view *view) {
  for (unsigned i = 0; i < view->count; i++)
    if (view->shown[i]->type == ZYDIS_OPERAND_TYPE_MEMORY)
      return true;
  return false;
}

/* binutils' names of the segment override prefixes */
static const char *segment_name(uint8_t prefix) {
  switch (prefix) {
  case 0x26: return "es";
  case 0x2e: return "cs";
  case 0x36: return "ss";
  case 0x3e: return "ds";
  case 0x64: return "fs";
  case 0x65: return "gs";
  default: return NULL;
  }
}

/* True if the two decodings name the same operation on the same
   operands. */
static bool same_instruction(const ZydisDecodedInstruction *a,
                             const ZydisDecodedOperand *a_operands,
                             const ZydisDecodedInstruction *b,
                             const ZydisDecodedOperand *b_operands) {
  if (a->mnemonic != b->mnemonic ||
      a->operand_count_visible != b->operand_count_visible)
    return false;
  for (unsigned i = 0; i < a->operand_count_visible; i++) {
    const ZydisDecodedOperand *x = &a_operands[i], *y = &b_operands[i];
    if (x->type != y->type || x->size != y->size)
      return false;
    if ((x->type == ZYDIS_OPERAND_TYPE_REGISTER &&
         x->reg.value != y->reg.value) ||
        (x->type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
         x->imm.value.u != y->imm.value.u) ||
        (x->type == ZYDIS_OPERAND_TYPE_MEMORY &&
         (x->mem.base != y->mem.base || x->mem.index != y->mem.index ||
          x->mem.scale != y->mem.scale ||
          x->mem.disp.value != y->mem.disp.value)))
      return false;
  }
  return true;
}

/* Whether the REX prefix at `offset` changes nothing binutils would show
   without one of its bits (or, for a bare 40, without it): binutils then
   names it ("rex.W call", gcc's TLS call; "rex.WRX" in data). */
static bool unused_rex(const snare_x86_view *view, unsigned offset,
                       bool ignored) {
  uint8_t copy[ZYDIS_MAX_INSTRUCTION_LENGTH];
  size_t length = view->insn->length;
  ZydisDecodedInstruction other;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (ignored)
    return true;
  memcpy(copy, view->bytes, length);
  uint8_t rex = copy[offset];
  if ((rex & 0x0f) == 0) {
    memmove(copy + offset, copy + offset + 1, length - offset - 1);
    return snare_x86_decode(copy, length - 1, &other, operands) &&
           same_instruction(view->insn, view->operands, &other, operands);
  }
  for (uint8_t bit = 1; bit <= 8; bit <<= 1) {
    if (!(rex & bit))
      continue;
    copy[offset] = rex & ~bit;
    if (snare_x86_decode(copy, length, &other, operands) &&
        same_instruction(view->insn, view->operands, &other, operands))
      return true;
  }
  return false;
}

/* Whether the operand-size prefix at `offset` is one binutils calls
   data16: all but the last 66 change nothing, and the last nothing where
   the instruction decodes the same without any ("data16 lea" beside a
   REX.W, on a byte operation, gcc's padding "data16 cs nopw"). */
static bool unused_operand_size(const snare_x86_view *view, unsigned offset,
                                unsigned last) {
  uint8_t copy[ZYDIS_MAX_INSTRUCTION_LENGTH];
  size_t length = 0;
  ZydisDecodedInstruction other;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (offset != last)
    return true;
  for (size_t i = 0; i < view->insn->length; i++)
    if (i >= view->insn->raw.prefix_count || view->bytes[i] != 0x66)
      copy[length++] = view->bytes[i];
  return snare_x86_decode(copy, length, &other, operands) &&
         same_instruction(view->insn, view->operands, &other, operands);
}

/* True for a legacy or REX prefix byte */
static bool is_prefix(uint8_t byte) {
  static const uint8_t legacy[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65,
                                   0x66, 0x67, 0xf0, 0xf2, 0xf3};
  if ((byte & 0xf0) == 0x40)
    return true;
  return memchr(legacy, byte, sizeof legacy) != NULL;
}

/* binutils' name of a REX prefix: "rex", "rex.W", "rex.WRXB" */
static void append_rex(snare_x86_text *out, uint8_t rex) {
  snare_x86_append(out, "rex%s%s%s%s%s", rex & 0x0f ? "." : "",
                   rex & 8 ? "W" : "", rex & 4 ? "R" : "", rex & 2 ? "X" : "",
                   rex & 1 ? "B" : "");
}

/*
 * A segment prefix binutils names before the mnemonic: es, cs and ss
 * (no segments in 64-bit mode: "cs nopw"), fs and gs where nothing reads
 * memory, ds where it is no notrack; none on a string instruction, and
 * in AT&T none that hints a branch (the mnemonic's ",pt" says it).
 */
static const char *segment_prefix(const ZydisDecodedInstruction *insn,
                                  const snare_x86_syntax *syntax,
                                  uint8_t prefix, bool ignored) {
  const char *name = segment_name(prefix);
  bool hint = insn->attributes & (ZYDIS_ATTRIB_HAS_BRANCH_TAKEN |
                                  ZYDIS_ATTRIB_HAS_BRANCH_NOT_TAKEN);
  if (name == NULL || snare_x86_is_string(insn) ||
      (hint && syntax->branch_hints))
    return NULL;
  if (prefix == 0x3e && (insn->attributes & ZYDIS_ATTRIB_HAS_NOTRACK))
    return "notrack";
  if ((prefix == 0x3e || prefix == 0x64 || prefix == 0x65) && !ignored &&
      !hint)
    return NULL; /* the memory operand's segment */
  return name;
}

void snare_x86_append_prefixes(snare_x86_text *out,
                               const snare_x86_view *view,
                               const snare_x86_syntax *syntax) {
  const ZydisDecodedInstruction *insn = view->insn;
  uint64_t attributes = insn->attributes;
  unsigned last_66 = 0;
  for (unsigned i = 0; i < insn->raw.prefix_count; i++)
    if (insn->raw.prefixes[i].value == 0x66)
      last_66 = i;
  /* the prefixes are the instruction's first bytes, one each */
  for (unsigned i = 0; i < insn->raw.prefix_count; i++) {
    uint8_t value = insn->raw.prefixes[i].value;
    ZydisPrefixType type = insn->raw.prefixes[i].type;
    bool ignored = type == ZYDIS_PREFIX_TYPE_IGNORED;
    const char *segment = segment_prefix(insn, syntax, value, ignored);
    if (value == 0x66 && type != ZYDIS_PREFIX_TYPE_MANDATORY &&
        (ignored || unused_operand_size(view, i, last_66)))
      snare_x86_append(out, "data16 ");
    else if (segment)
      snare_x86_append(out, "%s ", segment);
    else if (value == 0x67 && !addresses_memory(view) &&
             insn->mnemonic != ZYDIS_MNEMONIC_JECXZ) /* it makes jecxz */
      snare_x86_append(out, "addr32 ");
    else if (value == 0xf3 && ignored)
      snare_x86_append(out, "repz ");
    else if (value == 0xf2 && ignored)
      snare_x86_append(out, "repnz ");
    else if ((value & 0xf0) == 0x40 && unused_rex(view, i, ignored)) {
      append_rex(out, value);
      snare_x86_append(out, " ");
    }
  }
  if (attributes & ZYDIS_ATTRIB_HAS_LOCK)
    snare_x86_append(out, "lock ");
  if (attributes & ZYDIS_ATTRIB_HAS_BND)
    snare_x86_append(out, "bnd ");
  if (attributes & ZYDIS_ATTRIB_HAS_REPNE)
    snare_x86_append(out, "repnz ");
  else if ((attributes & ZYDIS_ATTRIB_HAS_REPE) &&
           (insn->mnemonic == ZYDIS_MNEMONIC_CMPSB ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSW ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSD ||
            insn->mnemonic == ZYDIS_MNEMONIC_CMPSQ ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASB ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASW ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASD ||
            insn->mnemonic == ZYDIS_MNEMONIC_SCASQ))
    snare_x86_append(out, "repz ");
  else if (attributes & ZYDIS_ATTRIB_HAS_REP)
    snare_x86_append(out, "rep ");
}

bool snare_x86_append_lone_rex(snare_x86_text *out, const uint8_t *bytes,
                               size_t avail) {
  if (avail < 2 || (bytes[0] & 0xf0) != 0x40 || !is_prefix(bytes[1]))
    return false;
  append_rex(out, bytes[0]);
  return true;
}
