/*
 * compiled_variable.c - compiling a scalar variable's read at one pc
 * (see compiled_variable.h).
 *
 * The location is not re-parsed here: the general evaluator
 * (location.c) computes it, and the program is derived from how its
 * result moves with the frame. Each piece's address (or stack value) is
 * evaluated again with one register, or the CFA, shifted by two
 * different amounts: a location that follows exactly one of them by
 * exactly the shift, and no other, is that base plus a constant offset;
 * anything else (a dereference, a product, a mask, two bases, a value
 * that depends on no register at all, as an entry value read from the
 * caller's frame may) is left to the general evaluator. The CFA itself
 * comes from the call frame information at pc, as a register and
 * offset, and is checked against the unwinder's.
 */
#include <string.h>

#include "debuginfo/compiled_variable.h"
#include "internal/arch.h"
#include "internal/os.h"
#include "variables_private.h"

/* Two shifts no mask, product or power-of-two arithmetic follows both. */
static const uint64_t shifts[] = {0x10000, 0x1234567};

/* The base the piece's address or value follows, or false. */
typedef struct probe {
  const snare_debuginfo *di;
  const di_var *var;
  const snare_frame_state *fs;
  const di_loc *loc; /* the location in the real frame */
} probe;

static uint64_t piece_number(const di_piece *p) {
  return p->kind == DI_LOC_MEMORY ? p->address : p->value;
}

/* How piece i moves when candidate base (a register or the CFA) moves by
   shift: 1 exactly with it, 0 not at all, -1 otherwise. */
static int follows(const probe *pr, size_t i, int base, uint64_t shift) {
  snare_frame_state moved = *pr->fs;
  if (base == SNARE_PIECE_BASE_CFA)
    moved.cfa += shift;
  else
    moved.regs[base] += shift;
  di_loc loc;
  di_var_location(pr->di, pr->var, &moved, &loc);
  if (loc.count != pr->loc->count ||
      loc.pieces[i].kind != pr->loc->pieces[i].kind)
    return -1;
  uint64_t delta = piece_number(&loc.pieces[i]) -
                   piece_number(&pr->loc->pieces[i]);
  return delta == shift ? 1 : delta == 0 ? 0 : -1;
}

/* The one base piece i depends on (SNARE_PIECE_BASE_NONE for a constant
   address); false when it is not base plus a constant. */
static bool find_base(const probe *pr, size_t i, int *base) {
  *base = SNARE_PIECE_BASE_NONE;
  for (int candidate = SNARE_PIECE_BASE_CFA; candidate < SNARE_REG_COUNT;
       candidate++) {
    if (candidate == SNARE_PIECE_BASE_NONE ||
        (candidate >= 0 && !(pr->fs->valid & (1u << candidate))) ||
        (candidate == SNARE_PIECE_BASE_CFA && pr->fs->cfa == 0))
      continue;
    int first = follows(pr, i, candidate, shifts[0]);
    int second = follows(pr, i, candidate, shifts[1]);
    if (first < 0 || second < 0 || first != second)
      return false;
    if (first == 1) {
      if (*base != SNARE_PIECE_BASE_NONE)
        return false;
      *base = candidate;
    }
  }
  return true;
}

/* The CFA rule at link-time pc from the object's call frame information:
   register plus offset, or false. */
static bool cfa_rule(const snare_debuginfo *di, uint64_t link, int *reg,
                     int64_t *offset) {
  Dwarf_Cie *cies = NULL;
  Dwarf_Fde *fdes = NULL;
  Dwarf_Signed cie_count = 0, fde_count = 0;
  bool eh = dwarf_get_fde_list_eh(di->dbg, &cies, &cie_count, &fdes,
                                  &fde_count, NULL) == DW_DLV_OK;
  if (!eh && dwarf_get_fde_list(di->dbg, &cies, &cie_count, &fdes,
                                &fde_count, NULL) != DW_DLV_OK)
    return false;
  Dwarf_Fde fde = NULL;
  Dwarf_Addr low = 0, high = 0, row = 0, next = 0;
  Dwarf_Small type = 0;
  Dwarf_Signed relevant = 0, dwarf_reg = 0, off = 0;
  Dwarf_Ptr block = NULL;
  Dwarf_Bool more = 0;
  bool ok = dwarf_get_fde_at_pc(fdes, link, &fde, &low, &high, NULL) ==
                DW_DLV_OK &&
            dwarf_get_fde_info_for_cfa_reg3_b(fde, link, &type, &relevant,
                                              &dwarf_reg, &off, &block, &row,
                                              &more, &next,
                                              NULL) == DW_DLV_OK &&
            type == DW_EXPR_OFFSET && relevant != 0;
  dwarf_fde_cie_list_dealloc(di->dbg, cies, cie_count, fdes, fde_count);
  *reg = ok ? di_dwarf_register((int)dwarf_reg) : -1;
  *offset = off;
  return *reg >= 0;
}

static bool scalar_kind(snare_value_kind kind, size_t size) {
  switch (kind) {
  case SNARE_VALUE_SIGNED:
  case SNARE_VALUE_UNSIGNED:
  case SNARE_VALUE_BOOL:
  case SNARE_VALUE_POINTER:
    return size >= 1 && size <= 8;
  case SNARE_VALUE_FLOAT:
    return size == 4 || size == 8;
  default:
    return false;
  }
}

/* The pieces of loc as a program's; false for what it cannot express. */
static bool compile_pieces(const probe *pr, snare_variable_program *out) {
  const di_loc *loc = pr->loc;
  if (loc->count > SNARE_VARIABLE_PIECES)
    return false;
  size_t covered = 0;
  for (size_t i = 0; i < loc->count && covered < out->size; i++) {
    const di_piece *p = &loc->pieces[i];
    size_t size = p->size == 0 ? out->size : p->size;
    if (size > out->size - covered)
      size = out->size - covered;
    snare_variable_piece *piece = &out->pieces[out->piece_count++];
    *piece = (snare_variable_piece){.size = (uint8_t)size};
    int base;
    switch (p->kind) {
    case DI_LOC_REGISTER:
      base = di_dwarf_register(p->dwarf_reg);
      if (base < 0 || base == SNARE_REG_RIP)
        return false; /* vector registers: the general evaluator */
      piece->source = SNARE_PIECE_REGISTER;
      piece->base = (int8_t)base;
      break;
    case DI_LOC_MEMORY:
    case DI_LOC_VALUE:
      if (p->bytes != NULL || !find_base(pr, i, &base) ||
          (p->kind == DI_LOC_VALUE && base == SNARE_PIECE_BASE_NONE))
        return false;
      piece->source = p->kind == DI_LOC_MEMORY ? SNARE_PIECE_MEMORY
                                               : SNARE_PIECE_VALUE;
      piece->base = (int8_t)base;
      piece->offset = (int64_t)(piece_number(p) -
                                (base == SNARE_PIECE_BASE_NONE ? 0
                                 : base == SNARE_PIECE_BASE_CFA
                                     ? pr->fs->cfa
                                     : pr->fs->regs[base]));
      break;
    default:
      return false;
    }
    covered += size;
  }
  return covered == out->size;
}

static bool uses_cfa(const snare_variable_program *p) {
  for (size_t i = 0; i < p->piece_count; i++)
    if (p->pieces[i].base == SNARE_PIECE_BASE_CFA)
      return true;
  return false;
}

snare_status snare_variable_compile(const snare_debuginfo *di, long scope,
                                    const snare_frame_state *fs,
                                    const char *name,
                                    snare_variable_program *out) {
  di_var var;
  if (scope < 0 || !di_var_find(di, scope, name, &var))
    return SNARE_NOT_FOUND;
  *out = (snare_variable_program){.pc = fs->pc, .cfa_register = -1};
  Dwarf_Die type = di_ref(di->dbg, var.die, DW_AT_type);
  if (type == NULL && var.origin != NULL)
    type = di_ref(di->dbg, var.origin, DW_AT_type);
  size_t size = type ? di_type_size(di->dbg, type) : 0;
  out->kind = type ? di_scalar_kind(di->dbg, type) : SNARE_VALUE_OTHER;
  out->size = (uint8_t)(size <= 8 ? size : 0);
  Dwarf_Attribute constant;
  bool folded =
      dwarf_attr(var.die, DW_AT_const_value, &constant, NULL) == DW_DLV_OK;
  if (folded)
    dwarf_dealloc_attribute(constant);
  bool ok = !folded && scalar_kind(out->kind, size);
  if (ok) {
    di_loc loc;
    di_var_location(di, &var, fs, &loc);
    probe pr = {di, &var, fs, &loc};
    ok = compile_pieces(&pr, out);
  }
  if (ok && uses_cfa(out)) {
    int reg = -1;
    int64_t offset = 0;
    ok = cfa_rule(di, fs->pc - di->bias, &reg, &offset) &&
         (fs->valid & (1u << reg)) && fs->regs[reg] + (uint64_t)offset == fs->cfa;
    out->cfa_register = (int8_t)reg;
    out->cfa_offset = offset;
  }
  if (type)
    dwarf_dealloc_die(type);
  di_var_done(di, &var);
  return ok ? SNARE_OK : SNARE_UNSUPPORTED;
}

static uint64_t base_value(const snare_variable_program *p, int base,
                           const void *context) {
  if (base == SNARE_PIECE_BASE_NONE)
    return 0;
  if (base == SNARE_PIECE_BASE_CFA)
    return snare_arch_register_get(context,
                                   (snare_register)p->cfa_register) +
           (uint64_t)p->cfa_offset;
  return snare_arch_register_get(context, (snare_register)base);
}

bool snare_variable_program_run(const snare_variable_program *p,
                                const void *context, snare_value *out) {
  if (snare_arch_register_get(context, SNARE_REG_RIP) != p->pc)
    return false;
  uint8_t bytes[8] = {0};
  size_t at = 0;
  for (size_t i = 0; i < p->piece_count; i++) {
    const snare_variable_piece *piece = &p->pieces[i];
    /* a register piece has its register as base and no offset */
    uint64_t v = base_value(p, piece->base, context) + (uint64_t)piece->offset;
    if (piece->source == SNARE_PIECE_MEMORY) {
      if (!snare_os_memory_read_fast(v, bytes + at, piece->size))
        return false;
    } else {
      /* little-endian: the low bytes; by shifts, not memcpy, which the C
         library may do with vector registers a jump-patched hit has not
         saved (lib/session/native_conditions.c) */
      for (size_t b = 0; b < piece->size && at + b < sizeof bytes; b++)
        bytes[at + b] = (uint8_t)(v >> (8 * b));
    }
    at += piece->size;
  }
  uint64_t raw = 0;
  memcpy(&raw, bytes, sizeof raw);
  out->kind = p->kind;
  out->size = p->size;
  if (p->kind == SNARE_VALUE_FLOAT) {
    if (p->size == 4) {
      float f;
      memcpy(&f, bytes, sizeof f);
      out->f = f;
    } else {
      memcpy(&out->f, bytes, sizeof out->f);
    }
  } else if (p->kind == SNARE_VALUE_SIGNED) {
    unsigned shift = 64 - 8 * p->size;
    out->i = shift == 0 ? (int64_t)raw : (int64_t)(raw << shift) >> shift;
  } else {
    out->u = raw;
  }
  return true;
}
