/*
 * location_arith.h - typed arithmetic of the DWARF expression evaluator
 * (location.c): stack entries of a base type or of the generic type.
 */
#ifndef SNARE_DEBUGINFO_LOCATION_ARITH_H
#define SNARE_DEBUGINFO_LOCATION_ARITH_H

#include "private.h"

/* A stack entry's type: size 0 is the generic (address-sized) type. */
typedef struct di_stack_type {
  uint8_t size;
  bool is_signed;
} di_stack_type;

#define DI_GENERIC_TYPE ((di_stack_type){0})

/* v (64 bits) as a value of type t: truncated and sign- or zero-extended. */
uint64_t di_arith_normalise(uint64_t v, di_stack_type t) SNARE_HIDDEN;

/* The integral base type whose DIE is at global offset off (0: generic);
   false for others (floating point included). */
bool di_arith_base_type(Dwarf_Debug dbg, Dwarf_Off off,
                        di_stack_type *out) SNARE_HIDDEN;

/* a op b on operands of type t; false for division by zero and ops that
   are not binary arithmetic. Comparisons give 0 or 1 (generic). */
bool di_arith_binary(Dwarf_Small op, uint64_t a, uint64_t b, di_stack_type t,
                     uint64_t *out) SNARE_HIDDEN;

#endif
