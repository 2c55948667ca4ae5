/*
 * disassemble_names.c - the mnemonic names binutils gives in both
 * syntaxes where Zydis's differ: GNU condition names (je, ja, cmovge,
 * setne), movabs, pushf, the waiting x87 forms (fstcw), and the pseudo-ops that name a comparison predicate or
 * a carry-less multiply's halves (cmpltsd, vcmpnle_uqps, vpcmpnequb,
 * pclmulhqlqdq), whose immediate is then not shown.
 */
#include <stdio.h>
#include <string.h>

#include "disassemble.h"

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

/* The predicates of cmpps and its kin, by immediate: legacy SSE has the
   first 8, VEX and EVEX all 32. */
static const char *const predicates[32] = {
    "eq",    "lt",    "le",     "unord",    "neq",    "nlt",   "nle",
    "ord",   "eq_uq", "nge",    "ngt",      "false",  "neq_oq", "ge",
    "gt",    "true",  "eq_os",  "lt_oq",    "le_oq",  "unord_s",
    "neq_us", "nlt_uq", "nle_uq", "ord_s",  "eq_us",  "nge_uq", "ngt_uq",
    "false_os", "neq_os", "ge_oq", "gt_oq", "true_us",
};

static bool is_float_compare(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_CMPSD || m == ZYDIS_MNEMONIC_CMPSS ||
         m == ZYDIS_MNEMONIC_CMPPD || m == ZYDIS_MNEMONIC_CMPPS ||
         m == ZYDIS_MNEMONIC_VCMPSD || m == ZYDIS_MNEMONIC_VCMPSS ||
         m == ZYDIS_MNEMONIC_VCMPPD || m == ZYDIS_MNEMONIC_VCMPPS;
}

static bool is_integer_compare(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_VPCMPB || m == ZYDIS_MNEMONIC_VPCMPUB ||
         m == ZYDIS_MNEMONIC_VPCMPW || m == ZYDIS_MNEMONIC_VPCMPUW ||
         m == ZYDIS_MNEMONIC_VPCMPD || m == ZYDIS_MNEMONIC_VPCMPUD ||
         m == ZYDIS_MNEMONIC_VPCMPQ || m == ZYDIS_MNEMONIC_VPCMPUQ;
}

/* Writes the pseudo-op of a predicate or a multiply's halves into
   view->name; false if there is none. */
static bool name_pseudo_op(snare_x86_view *view) {
  static const char *const halves[] = {"lqlq", "hqlq", "lqhq", "hqhq"};
  const ZydisDecodedInstruction *insn = view->insn;
  if (insn->operand_count_visible == 0)
    return false;
  const ZydisDecodedOperand *last =
      &view->operands[insn->operand_count_visible - 1];
  if (last->type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
    return false;
  uint64_t imm = last->imm.value.u;
  const char *mnemonic = ZydisMnemonicGetString(insn->mnemonic);
  bool legacy = insn->encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY;
  size_t cap = sizeof view->name;
  if ((insn->mnemonic == ZYDIS_MNEMONIC_PCLMULQDQ ||
       insn->mnemonic == ZYDIS_MNEMONIC_VPCLMULQDQ) &&
      (imm & ~0x11ULL) == 0) {
    snprintf(view->name, cap, "%spclmul%sdq", legacy ? "" : "v",
             halves[(imm & 1) | (imm >> 3)]);
    return true;
  }
  if (is_float_compare(insn->mnemonic) &&
      !snare_x86_is_string(insn) && imm < (legacy ? 8 : 32)) {
    size_t stem = legacy ? 3 : 4; /* "cmp", "vcmp" */
    snprintf(view->name, cap, "%.*s%s%s", (int)stem, mnemonic, predicates[imm],
             mnemonic + stem);
    return true;
  }
  /* 3 and 7 (false, true) have no name */
  if (is_integer_compare(insn->mnemonic) && imm < 7 && imm != 3) {
    snprintf(view->name, cap, "vpcmp%s%s", predicates[imm], mnemonic + 5);
    return true;
  }
  return false;
}

void snare_x86_name(snare_x86_view *view) {
  const ZydisDecodedInstruction *insn = view->insn;
  const char *name = ZydisMnemonicGetString(insn->mnemonic);
  size_t cap = sizeof view->name;
  view->pseudo_op = name_pseudo_op(view);
  if (view->pseudo_op)
    return;
  if (insn->mnemonic == ZYDIS_MNEMONIC_MOV &&
      ((view->operands[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
        insn->raw.imm[0].size == 64) ||
       (insn->opcode >= 0xa0 && insn->opcode <= 0xa3 &&
        insn->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT)))
    snprintf(view->name, cap, "movabs");
  else if (insn->meta.category == ZYDIS_CATEGORY_COND_BR && name[0] == 'j' &&
           strcmp(name, "jrcxz") != 0 && strcmp(name, "jecxz") != 0)
    snprintf(view->name, cap, "j%s", gnu_condition(name + 1));
  else if (insn->meta.category == ZYDIS_CATEGORY_SETCC)
    snprintf(view->name, cap, "set%s", gnu_condition(name + 3));
  else if (insn->meta.category == ZYDIS_CATEGORY_CMOV)
    snprintf(view->name, cap, "cmov%s", gnu_condition(name + 4));
  else if (insn->mnemonic == ZYDIS_MNEMONIC_PUSHFQ ||
           insn->mnemonic == ZYDIS_MNEMONIC_POPFQ ||
           insn->mnemonic == ZYDIS_MNEMONIC_IRETD)
    snprintf(view->name, cap, "%.*s", (int)strlen(name) - 1, name); /* iret */
  else if (view->waits && strncmp(name, "fn", 2) == 0)
    snprintf(view->name, cap, "f%s", name + 2); /* fnstcw waiting: fstcw */
  else
    snprintf(view->name, cap, "%s", name);
}
