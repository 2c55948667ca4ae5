/* location_arith_test.c - the typed arithmetic of DWARF expressions
   (lib/debuginfo/location_arith.c) with gdb's signedness: the generic
   type divides and compares signed, takes DW_OP_mod and DW_OP_shr
   unsigned; typed entries truncate and extend to their size. */
#include <criterion/criterion.h>

#include "debuginfo/location_arith.h"

static const di_stack_type u32 = {.size = 4, .is_signed = false};
static const di_stack_type s32 = {.size = 4, .is_signed = true};

static uint64_t op(Dwarf_Small code, uint64_t a, uint64_t b, di_stack_type t)
{
  uint64_t v = 0;
  cr_assert(di_arith_binary(code, a, b, t, &v), "op 0x%x failed", code);
  return v;
}

Test(location_arith, generic_division_and_comparisons_are_signed)
{
  uint64_t minus_six = (uint64_t)-6;
  cr_assert_eq(op(DW_OP_div, minus_six, 3, DI_GENERIC_TYPE), (uint64_t)-2);
  cr_assert_eq(op(DW_OP_lt, minus_six, 1, DI_GENERIC_TYPE), 1);
  cr_assert_eq(op(DW_OP_gt, minus_six, 1, DI_GENERIC_TYPE), 0);
  /* DW_OP_mod of the generic type is unsigned, as in gdb */
  cr_assert_eq(op(DW_OP_mod, minus_six, 4, DI_GENERIC_TYPE),
               UINT64_C(0xfffffffffffffffa) % 4);
}

Test(location_arith, typed_entries_wrap_at_their_size)
{
  cr_assert_eq(op(DW_OP_plus, 0xffffffff, 1, u32), 0);
  cr_assert_eq(op(DW_OP_div, 0xfffffffe, 2, u32), 0x7fffffff);
  cr_assert_eq(op(DW_OP_div, di_arith_normalise((uint64_t)-8, s32), 2, s32),
               (uint64_t)-4);
  cr_assert_eq(op(DW_OP_shr, di_arith_normalise(0x80000000, s32), 31, s32),
               1);
  cr_assert_eq(op(DW_OP_shra, di_arith_normalise(0x80000000, s32), 31, s32),
               (uint64_t)-1);
  cr_assert_eq(di_arith_normalise(0x1ffffffff, u32), 0xffffffff);
  cr_assert_eq(di_arith_normalise(0xffffffff, s32), (uint64_t)-1);
}

Test(location_arith, division_by_zero_is_refused)
{
  uint64_t v;
  cr_assert_not(di_arith_binary(DW_OP_div, 1, 0, DI_GENERIC_TYPE, &v));
  cr_assert_not(di_arith_binary(DW_OP_mod, 1, 0, u32, &v));
}
