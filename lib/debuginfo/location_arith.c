/*
 * location_arith.c - the arithmetic of DWARF expressions on typed stack
 * entries (DWARF 5 DW_OP_convert and friends) and on the generic type,
 * with the signedness rules gdb applies: the generic type is signed for
 * division and comparisons, unsigned for DW_OP_mod and DW_OP_shr.
 */
#include "location_arith.h"

static uint64_t mask(unsigned size)
{
  return size == 0 || size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

uint64_t di_arith_normalise(uint64_t v, di_stack_type t)
{
  if (t.size == 0 || t.size >= 8)
    return v;
  v &= mask(t.size);
  uint64_t sign = UINT64_C(1) << (8 * t.size - 1);
  return t.is_signed && (v & sign) ? v | ~mask(t.size) : v;
}

bool di_arith_base_type(Dwarf_Debug dbg, Dwarf_Off off, di_stack_type *out)
{
  Dwarf_Die die = NULL;
  if (off == 0) { /* DW_OP_convert 0: back to the generic type */
    *out = DI_GENERIC_TYPE;
    return true;
  }
  if (dwarf_offdie_b(dbg, off, true, &die, NULL) != DW_DLV_OK)
    return false;
  Dwarf_Half tag = 0;
  Dwarf_Unsigned size = 0, encoding = 0;
  Dwarf_Attribute attr;
  bool ok = dwarf_tag(die, &tag, NULL) == DW_DLV_OK &&
            tag == DW_TAG_base_type &&
            dwarf_bytesize(die, &size, NULL) == DW_DLV_OK && size > 0 &&
            size <= 8 &&
            dwarf_attr(die, DW_AT_encoding, &attr, NULL) == DW_DLV_OK;
  if (ok) {
    ok = dwarf_formudata(attr, &encoding, NULL) == DW_DLV_OK;
    dwarf_dealloc_attribute(attr);
  }
  dwarf_dealloc_die(die);
  /* Floating-point entries would need value conversions: not here. */
  if (!ok || encoding == DW_ATE_float || encoding == DW_ATE_complex_float)
    return false;
  *out = (di_stack_type){
      .size = (uint8_t)size,
      .is_signed = encoding == DW_ATE_signed ||
                   encoding == DW_ATE_signed_char,
  };
  return true;
}

static bool compare(Dwarf_Small op, uint64_t a, uint64_t b, bool is_signed)
{
  int order = is_signed ? ((int64_t)a > (int64_t)b) - ((int64_t)a < (int64_t)b)
                        : (a > b) - (a < b);
  switch (op) {
  case DW_OP_eq: return order == 0;
  case DW_OP_ne: return order != 0;
  case DW_OP_lt: return order < 0;
  case DW_OP_le: return order <= 0;
  case DW_OP_gt: return order > 0;
  default: return order >= 0; /* DW_OP_ge */
  }
}

bool di_arith_binary(Dwarf_Small op, uint64_t a, uint64_t b, di_stack_type t,
                     uint64_t *out)
{
  bool generic = t.size == 0;
  bool is_signed = generic || t.is_signed;
  unsigned bits = generic || t.size >= 8 ? 64 : 8 * t.size;
  uint64_t v;
  switch (op) {
  case DW_OP_plus: v = a + b; break;
  case DW_OP_minus: v = a - b; break;
  case DW_OP_mul: v = a * b; break;
  case DW_OP_and: v = a & b; break;
  case DW_OP_or: v = a | b; break;
  case DW_OP_xor: v = a ^ b; break;
  case DW_OP_shl: v = b < 64 ? a << b : 0; break;
  case DW_OP_shr: /* logical: on the unsigned bits */
    v = b < bits ? (a & mask(bits / 8)) >> b : 0;
    break;
  case DW_OP_shra:
    v = (uint64_t)((int64_t)di_arith_normalise(
                       a, (di_stack_type){.size = (uint8_t)(bits / 8),
                                          .is_signed = true}) >>
                   (b < bits ? b : bits - 1));
    break;
  case DW_OP_div:
    if (b == 0 || (is_signed && (int64_t)b == -1 && (int64_t)a == INT64_MIN))
      return false;
    v = is_signed ? (uint64_t)((int64_t)a / (int64_t)b) : a / b;
    break;
  case DW_OP_mod: /* the generic type's modulus is unsigned, as gdb's */
    if (b == 0)
      return false;
    if (!generic && t.is_signed)
      v = (int64_t)b == -1 ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
    else
      v = a % b;
    break;
  case DW_OP_eq: case DW_OP_ne: case DW_OP_lt: case DW_OP_le:
  case DW_OP_gt: case DW_OP_ge:
    /* A comparison's result is of the generic type. */
    *out = compare(op, a, b, is_signed);
    return true;
  default:
    return false;
  }
  *out = di_arith_normalise(v, t);
  return true;
}
