/*
 * location.c - DWARF location expressions and location lists, evaluated
 * against one frame's registers and CFA, and reading the located bytes.
 */
#include <string.h>

#include "internal/os.h"
#include "location_arith.h"
#include "variables_private.h"

/* DWARF's x86-64 register numbering (System V psABI), 0..16. */
static const int dwarf_to_snare[] = {
    SNARE_REG_RAX, SNARE_REG_RDX, SNARE_REG_RCX, SNARE_REG_RBX,
    SNARE_REG_RSI, SNARE_REG_RDI, SNARE_REG_RBP, SNARE_REG_RSP,
    SNARE_REG_R8,  SNARE_REG_R9,  SNARE_REG_R10, SNARE_REG_R11,
    SNARE_REG_R12, SNARE_REG_R13, SNARE_REG_R14, SNARE_REG_R15,
    SNARE_REG_RIP,
};
#define DWARF_XMM0 17

int di_dwarf_register(int dwarf_reg)
{
  if (dwarf_reg < 0 ||
      (size_t)dwarf_reg >= sizeof dwarf_to_snare / sizeof *dwarf_to_snare)
    return -1;
  return dwarf_to_snare[dwarf_reg];
}

/* A general register's value in fs, or false if this frame lost it. */
static bool reg_value(const snare_frame_state *fs, int dwarf_reg,
                      uint64_t *out)
{
  int r = di_dwarf_register(dwarf_reg);
  if (r < 0 || !(fs->valid & (1u << r)))
    return false;
  *out = fs->regs[r];
  return true;
}

#define STACK_MAX 64

typedef struct machine {
  const snare_debuginfo *di; /* addresses in DW_OP_addr are link-time */
  const snare_frame_state *fs;
  unsigned entry_depth; /* entry values followed into callers so far */
  Dwarf_Off unit; /* where the evaluated DIE's unit starts (its header) */
  Dwarf_Die die;  /* the evaluated DIE: its unit's .debug_addr entries */
  uint64_t frame_base;
  bool has_frame_base;
  uint64_t stack[STACK_MAX];
  di_stack_type type[STACK_MAX]; /* of each entry: generic unless typed */
  size_t depth;
  di_piece current; /* the location being built, before a DW_OP_piece */
  bool has_current;
} machine;

static bool push_typed(machine *m, uint64_t v, di_stack_type t)
{
  if (m->depth == STACK_MAX)
    return false;
  m->type[m->depth] = t;
  m->stack[m->depth++] = di_arith_normalise(v, t);
  return true;
}

static bool push(machine *m, uint64_t v)
{
  return push_typed(m, v, DI_GENERIC_TYPE);
}

static bool pop(machine *m, uint64_t *v)
{
  if (m->depth == 0)
    return false;
  *v = m->stack[--m->depth];
  return true;
}

/* Ops on two operands: second from top `a`, top `b`, in a's type. */
static bool binary(machine *m, Dwarf_Small op)
{
  uint64_t a, b, v;
  if (m->depth < 2)
    return false;
  di_stack_type t = m->type[m->depth - 2];
  bool comparison = op >= DW_OP_eq && op <= DW_OP_ne;
  return pop(m, &b) && pop(m, &a) && di_arith_binary(op, a, b, t, &v) &&
         push_typed(m, v, comparison ? DI_GENERIC_TYPE : t);
}

/* Entry `index` of the unit's .debug_addr table. libdwarf resolves it
   into o2 in location lists, but not in a single expression (o2 0). */
static bool debug_addr(const machine *m, Dwarf_Unsigned index,
                       Dwarf_Unsigned resolved, uint64_t *out)
{
  Dwarf_Addr addr = 0;
  if (m->die &&
      dwarf_debug_addr_index_to_addr(m->die, index, &addr, NULL) == DW_DLV_OK) {
    *out = addr;
    return true;
  }
  *out = resolved;
  return resolved != 0;
}

/* Pushes a copy of the entry `from_top` below the top (0: the top). */
static bool pick(machine *m, Dwarf_Unsigned from_top)
{
  return from_top < m->depth &&
         push_typed(m, m->stack[m->depth - 1 - from_top],
                    m->type[m->depth - 1 - from_top]);
}

/* Swaps the entries i and j places from the top (1: the top). */
static void exchange(machine *m, size_t i, size_t j)
{
  uint64_t v = m->stack[m->depth - i];
  di_stack_type t = m->type[m->depth - i];
  m->stack[m->depth - i] = m->stack[m->depth - j];
  m->type[m->depth - i] = m->type[m->depth - j];
  m->stack[m->depth - j] = v;
  m->type[m->depth - j] = t;
}

/* The base type a typed op names by its unit-relative offset. */
static bool stack_type(const machine *m, Dwarf_Unsigned off, di_stack_type *t)
{
  return di_arith_base_type(m->di->dbg, off ? m->unit + off : 0, t);
}

/* DW_OP_convert (a value as another type) and DW_OP_reinterpret (the
   same bits as another type). */
static bool convert(machine *m, Dwarf_Unsigned off, bool same_bits)
{
  di_stack_type to;
  uint64_t v;
  if (m->depth == 0 || !stack_type(m, off, &to))
    return false;
  di_stack_type from = m->type[m->depth - 1];
  if (!pop(m, &v))
    return false;
  if (same_bits && from.size > 0 && from.size < 8)
    v &= (UINT64_C(1) << (8 * from.size)) - 1;
  return push_typed(m, v, to);
}

/* Variables and what they point to are data, which snare never patches:
   read directly, without the global lock (conditions read variables on
   the trapped thread). */
static bool deref(machine *m, uint64_t size)
{
  uint64_t addr, v = 0;
  if (size > 8 || !pop(m, &addr) || !snare_os_memory_read(addr, &v, size))
    return false;
  return push(m, v);
}

/* Ends a location description: the top of the stack is an address. */
static void finish_memory(machine *m)
{
  uint64_t addr;
  if (!m->has_current && pop(m, &addr)) {
    m->current = (di_piece){.kind = DI_LOC_MEMORY, .address = addr};
    m->has_current = true;
  }
}

/* What an entry value asks for: a register at entry, or the value at the
   call site of a parameter (DW_OP_GNU_parameter_ref: its DIE). */
typedef struct entry_key {
  int reg;         /* -1: by parameter */
  Dwarf_Off param; /* the parameter's DIE */
} entry_key;

static bool entry_value(machine *m, entry_key key);

/* Where die's unit starts: unit-relative references count from there. */
static Dwarf_Off unit_start(Dwarf_Die die)
{
  Dwarf_Off global = 0, relative = 0;
  if (dwarf_dieoffset(die, &global, NULL) != DW_DLV_OK ||
      dwarf_die_CU_offset(die, &relative, NULL) != DW_DLV_OK)
    return 0;
  return global - relative;
}
static int entry_register(Dwarf_Unsigned size, const uint8_t *expr);
static bool evaluate(const snare_debuginfo *di, Dwarf_Die die, Dwarf_Half at,
                     machine *m, uint64_t link, di_loc *out);
static bool frame_base(const snare_debuginfo *di, const di_var *var,
                       const snare_frame_state *fs, uint64_t link,
                       uint64_t *out);

/*
 * One operation. Returns false for what cannot be evaluated here (the
 * caller then reports the variable optimised out).
 */
static bool step(machine *m, Dwarf_Small op, Dwarf_Unsigned o1,
                 Dwarf_Unsigned o2, di_loc *out)
{
  uint64_t v;
  if (op >= DW_OP_lit0 && op <= DW_OP_lit31)
    return push(m, op - DW_OP_lit0);
  if (op >= DW_OP_reg0 && op <= DW_OP_reg31) {
    m->current = (di_piece){.kind = DI_LOC_REGISTER,
                            .dwarf_reg = op - DW_OP_reg0};
    return m->has_current = true;
  }
  if (op >= DW_OP_breg0 && op <= DW_OP_breg31)
    return reg_value(m->fs, op - DW_OP_breg0, &v) && push(m, v + o1);
  switch (op) {
  case DW_OP_addr: /* a static or global: where the object was loaded */
    return push(m, o1 + m->di->bias);
  case DW_OP_addrx: case DW_OP_GNU_addr_index:
    return debug_addr(m, o1, o2, &v) && push(m, v + m->di->bias);
  case DW_OP_constx: case DW_OP_GNU_const_index: /* not an address */
    return debug_addr(m, o1, o2, &v) && push(m, v);
  case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u:
  case DW_OP_const8u: case DW_OP_constu:
  case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s:
  case DW_OP_const8s: case DW_OP_consts:
    return push(m, o1);
  case DW_OP_regx:
    m->current = (di_piece){.kind = DI_LOC_REGISTER, .dwarf_reg = (int)o1};
    return m->has_current = true;
  case DW_OP_bregx:
    return reg_value(m->fs, (int)o1, &v) && push(m, v + o2);
  case DW_OP_fbreg:
    return m->has_frame_base && push(m, m->frame_base + o1);
  case DW_OP_call_frame_cfa:
    return m->fs->cfa != 0 && push(m, m->fs->cfa);
  case DW_OP_plus_uconst:
    return pop(m, &v) && push(m, v + o1);
  case DW_OP_neg:
    return pop(m, &v) && push(m, -v);
  case DW_OP_not:
    return pop(m, &v) && push(m, ~v);
  case DW_OP_dup:
    return pick(m, 0);
  case DW_OP_over:
    return pick(m, 1);
  case DW_OP_pick:
    return pick(m, o1);
  case DW_OP_drop:
    return pop(m, &v);
  case DW_OP_swap:
    return m->depth >= 2 && (exchange(m, 1, 2), true);
  case DW_OP_rot: /* top to third, second to top, third to second */
    return m->depth >= 3 && (exchange(m, 1, 2), exchange(m, 2, 3), true);
  case DW_OP_deref:
    return deref(m, 8);
  case DW_OP_deref_size:
    return deref(m, o1);
  case DW_OP_stack_value:
    if (!pop(m, &v))
      return false;
    m->current = (di_piece){.kind = DI_LOC_VALUE, .value = v};
    return m->has_current = true;
  case DW_OP_implicit_value:
    m->current = (di_piece){.kind = DI_LOC_VALUE,
                            .bytes = (const uint8_t *)(uintptr_t)o2,
                            .size = o1};
    return m->has_current = true;
  case DW_OP_piece:
    finish_memory(m);
    if (!m->has_current) /* an empty piece: that part is optimised out */
      m->current = (di_piece){.kind = DI_LOC_OPTIMIZED_OUT};
    if (out->count == DI_MAX_PIECES)
      return false;
    m->current.size = o1;
    out->pieces[out->count++] = m->current;
    m->has_current = false;
    return true;
  case DW_OP_plus: case DW_OP_minus: case DW_OP_mul: case DW_OP_and:
  case DW_OP_or: case DW_OP_xor: case DW_OP_shl: case DW_OP_shr:
  case DW_OP_shra: case DW_OP_div: case DW_OP_mod: case DW_OP_eq:
  case DW_OP_ne: case DW_OP_lt: case DW_OP_le: case DW_OP_gt: case DW_OP_ge:
    return binary(m, op);
  case DW_OP_abs:
    if (m->depth == 0)
      return false;
    v = m->stack[m->depth - 1];
    if ((m->type[m->depth - 1].size == 0 || m->type[m->depth - 1].is_signed) &&
        (int64_t)v < 0)
      m->stack[m->depth - 1] = di_arith_normalise(-v, m->type[m->depth - 1]);
    return true;
  case DW_OP_convert: case DW_OP_GNU_convert:
    return convert(m, o1, false);
  case DW_OP_reinterpret: case DW_OP_GNU_reinterpret:
    return convert(m, o1, true);
  case DW_OP_regval_type: case DW_OP_GNU_regval_type: {
    di_stack_type t;
    return stack_type(m, o2, &t) && reg_value(m->fs, (int)o1, &v) &&
           push_typed(m, v, t);
  }
  case DW_OP_deref_type: case DW_OP_GNU_deref_type: {
    di_stack_type t;
    return stack_type(m, o2, &t) && deref(m, o1) &&
           pop(m, &v) && push_typed(m, v, t);
  }
  case DW_OP_entry_value: case DW_OP_GNU_entry_value: {
    entry_key key = {.reg = o2 ? entry_register(o1, (const uint8_t *)(uintptr_t)o2)
                               : -1};
    return key.reg >= 0 && entry_value(m, key);
  }
  case DW_OP_implicit_pointer: case DW_OP_GNU_implicit_pointer:
    m->current = (di_piece){.kind = DI_LOC_IMPLICIT_POINTER, .address = o1,
                            .value = o2};
    return m->has_current = true;
  case DW_OP_GNU_parameter_ref:
    return entry_value(m, (entry_key){.reg = -1, .param = m->unit + o1});
  default:
    return false;
  }
}

/* The index of the operation at byte offset target of the expression
   (ops: when it is the end); false if no operation starts there. */
static bool op_at(Dwarf_Locdesc_c desc, Dwarf_Unsigned ops, uint64_t target,
                  Dwarf_Unsigned *index)
{
  for (Dwarf_Unsigned i = 0; i <= ops; i++) {
    Dwarf_Small op = 0;
    Dwarf_Unsigned o1, o2, o3, offset = 0;
    if (i == ops || dwarf_get_location_op_value_c(desc, i, &op, &o1, &o2, &o3,
                                                  &offset, NULL) != DW_DLV_OK)
      return false;
    if (offset == target) {
      *index = i;
      return true;
    }
    if (offset > target)
      return false;
  }
  return false;
}

/* Where a DW_OP_skip or a taken DW_OP_bra at byte offset `at` goes. */
static bool jump(Dwarf_Locdesc_c desc, Dwarf_Unsigned ops, uint64_t at,
                 Dwarf_Unsigned o1, Dwarf_Unsigned *next)
{
  uint64_t target = at + 3 + (uint64_t)(int64_t)(int16_t)o1;
  Dwarf_Small op = 0;
  Dwarf_Unsigned last = 0, u1, u2, u3;
  /* A jump to the end ends the expression. */
  if (ops > 0 && dwarf_get_location_op_value_c(desc, ops - 1, &op, &u1, &u2,
                                               &u3, &last, NULL) == DW_DLV_OK &&
      target > last && !op_at(desc, ops, target, next)) {
    *next = ops;
    return true;
  }
  return op_at(desc, ops, target, next);
}

/* Runs one expression; false when it cannot be evaluated. */
static bool run(machine *m, Dwarf_Locdesc_c desc, Dwarf_Unsigned ops,
                di_loc *out)
{
  /* A bound on the steps, as a loop of branches may never end. */
  unsigned budget = 10000;
  for (Dwarf_Unsigned i = 0; i < ops; i++) {
    Dwarf_Small op = 0;
    Dwarf_Unsigned o1 = 0, o2 = 0, o3 = 0, at = 0;
    uint64_t v = 0;
    if (budget-- == 0 ||
        dwarf_get_location_op_value_c(desc, i, &op, &o1, &o2, &o3, &at,
                                      NULL) != DW_DLV_OK)
      return false;
    if (op == DW_OP_skip || op == DW_OP_bra) {
      if (op == DW_OP_bra && !pop(m, &v))
        return false;
      if ((op == DW_OP_skip || v != 0) && !jump(desc, ops, at, o1, &i))
        return false;
      if (op == DW_OP_skip || v != 0)
        i--; /* the loop's i++ lands on the target */
      continue;
    }
    if (!step(m, op, o1, o2, out))
      return false;
  }
  if (out->count > 0) /* pieces: every part ended in DW_OP_piece */
    return true;
  finish_memory(m);
  if (!m->has_current)
    return false;
  out->pieces[out->count++] = m->current;
  return true;
}

static bool entry_applies(Dwarf_Small lle, unsigned kind, uint64_t pc,
                          Dwarf_Addr low, Dwarf_Addr high)
{
  if (kind == DW_LKIND_expression)
    return true;
  if (lle == DW_LLE_default_location)
    return true;
  bool range = lle == DW_LLE_offset_pair || lle == DW_LLE_start_end ||
               lle == DW_LLE_start_length || lle == DW_LLE_startx_length ||
               lle == DW_LLE_startx_endx ||
               kind != DW_LKIND_loclists; /* DWARF 4 lists: ranges */
  return range && pc >= low && pc < high;
}

/*
 * Evaluates the location attribute `at` of die at fs->pc (link-time pc
 * `link`) into *out; false when there is none or it cannot be computed.
 */
static bool evaluate(const snare_debuginfo *di, Dwarf_Die die, Dwarf_Half at,
                     machine *m, uint64_t link, di_loc *out)
{
  Dwarf_Attribute attr;
  Dwarf_Loc_Head_c head = NULL;
  Dwarf_Unsigned count = 0;
  unsigned kind = 0;
  bool ok = false;
  if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return false;
  m->die = die;
  if (di_list_attr_safe(di->lists, die, attr, true) &&
      dwarf_get_loclist_c(attr, &head, &count, NULL) == DW_DLV_OK &&
      dwarf_get_loclist_head_kind(head, &kind, NULL) == DW_DLV_OK) {
    for (Dwarf_Unsigned i = 0; i < count && !ok; i++) {
      Dwarf_Small lle = 0, source = 0;
      Dwarf_Unsigned raw_low, raw_high, ops = 0, expr_off, desc_off;
      Dwarf_Bool unavailable = 0;
      Dwarf_Addr low = 0, high = 0;
      Dwarf_Locdesc_c desc = NULL;
      if (dwarf_get_locdesc_entry_d(head, i, &lle, &raw_low, &raw_high,
                                    &unavailable, &low, &high, &ops, &desc,
                                    &source, &expr_off, &desc_off,
                                    NULL) != DW_DLV_OK)
        break;
      if (unavailable || !entry_applies(lle, kind, link, low, high))
        continue;
      ok = ops > 0 && run(m, desc, ops, out);
      break; /* the covering entry decides, evaluable or not */
    }
  }
  if (head)
    dwarf_loc_head_c_dealloc(head);
  dwarf_dealloc_attribute(attr);
  return ok;
}

/*
 * Values at entry, as gdb finds them: DW_OP_entry_value(DW_OP_regN) is
 * what register N held when the function was entered, which the caller's
 * DWARF says at the call site it returns to (DW_TAG_call_site, or GCC's
 * DW_TAG_GNU_call_site, whose parameter located in register N has a
 * DW_AT_call_value computed in the caller's frame). Only a register is
 * followed, as gdb does; a caller's value may itself be an entry value.
 */
#define MAX_ENTRY_DEPTH 8

/* The DWARF register an entry value's expression names, or -1. */
static int entry_register(Dwarf_Unsigned size, const uint8_t *expr)
{
  if (size == 1 && expr[0] >= DW_OP_reg0 && expr[0] <= DW_OP_reg31)
    return expr[0] - DW_OP_reg0;
  if (size >= 2 && expr[0] == DW_OP_regx && !(expr[1] & 0x80))
    return expr[1]; /* small ULEB128 */
  return -1;
}

/* The register a call site parameter's DW_AT_location names, or -1. */
static int parameter_register(const snare_debuginfo *di, Dwarf_Die param)
{
  Dwarf_Attribute attr;
  Dwarf_Loc_Head_c head = NULL;
  Dwarf_Unsigned count = 0;
  int reg = -1;
  if (dwarf_attr(param, DW_AT_location, &attr, NULL) != DW_DLV_OK)
    return -1;
  if (di_list_attr_safe(di->lists, param, attr, true) &&
      dwarf_get_loclist_c(attr, &head, &count, NULL) == DW_DLV_OK &&
      count == 1) {
    Dwarf_Small lle = 0, source = 0, op = 0;
    Dwarf_Unsigned raw_low, raw_high, ops = 0, expr_off, desc_off;
    Dwarf_Unsigned o1 = 0, o2 = 0, o3 = 0, branch = 0;
    Dwarf_Bool unavailable = 0;
    Dwarf_Addr low = 0, high = 0;
    Dwarf_Locdesc_c desc = NULL;
    if (dwarf_get_locdesc_entry_d(head, 0, &lle, &raw_low, &raw_high,
                                  &unavailable, &low, &high, &ops, &desc,
                                  &source, &expr_off, &desc_off,
                                  NULL) == DW_DLV_OK &&
        ops == 1 &&
        dwarf_get_location_op_value_c(desc, 0, &op, &o1, &o2, &o3, &branch,
                                      NULL) == DW_DLV_OK)
      reg = op >= DW_OP_reg0 && op <= DW_OP_reg31 ? op - DW_OP_reg0
            : op == DW_OP_regx                    ? (int)o1
                                                  : -1;
  }
  if (head)
    dwarf_loc_head_c_dealloc(head);
  dwarf_dealloc_attribute(attr);
  return reg;
}

/* The attribute die has of at and gnu_at (GCC's DW_AT_GNU_ form), or 0. */
static Dwarf_Half attribute_of(Dwarf_Die die, Dwarf_Half at, Dwarf_Half gnu_at)
{
  Dwarf_Bool has = 0;
  if (dwarf_hasattr(die, at, &has, NULL) == DW_DLV_OK && has)
    return at;
  has = 0;
  return dwarf_hasattr(die, gnu_at, &has, NULL) == DW_DLV_OK && has ? gnu_at
                                                                     : 0;
}

/* The value a DWARF expression of a call site DIE (attribute at of die:
   a parameter's DW_AT_call_value, the site's DW_AT_call_target) computes
   in the caller's frame (cfn: the caller's out-of-line function); an
   expression's memory location is its address, as gdb takes it. */
static bool call_value(const machine *m, Dwarf_Die die, Dwarf_Half at,
                       Dwarf_Die cfn, uint64_t *out)
{
  const snare_frame_state *caller = m->fs->caller;
  const snare_debuginfo *cdi = m->fs->caller_di;
  uint64_t link = caller->pc - cdi->bias;
  di_var host = {.function = cfn};
  machine cm = {.di = cdi, .fs = caller, .entry_depth = m->entry_depth + 1,
                .unit = unit_start(die)};
  cm.has_frame_base = frame_base(cdi, &host, caller, link, &cm.frame_base);
  di_loc loc = {0};
  if (at == 0 || !evaluate(cdi, die, at, &cm, link, &loc) || loc.count != 1)
    return false;
  const di_piece *p = &loc.pieces[0];
  switch (p->kind) {
  case DI_LOC_MEMORY: /* the expression's result is the value itself */
    *out = p->address;
    return true;
  case DI_LOC_VALUE:
    if (p->bytes)
      return false;
    *out = p->value;
    return true;
  case DI_LOC_REGISTER:
    return reg_value(caller, p->dwarf_reg, out);
  default:
    return false;
  }
}

/* A DIE's name, or that of the DIE it completes or instantiates. */
static bool target_name(Dwarf_Debug dbg, Dwarf_Die die, char **out)
{
  Dwarf_Attribute attr;
  for (int depth = 0; die && depth < 4; depth++) {
    bool named = false;
    if (dwarf_attr(die, DW_AT_linkage_name, &attr, NULL) == DW_DLV_OK) {
      named = dwarf_formstring(attr, out, NULL) == DW_DLV_OK;
      dwarf_dealloc_attribute(attr);
    }
    if (named || dwarf_diename(die, out, NULL) == DW_DLV_OK) {
      if (depth > 0)
        dwarf_dealloc_die(die);
      return true;
    }
    Dwarf_Die next = di_ref(dbg, die, DW_AT_abstract_origin);
    if (!next)
      next = di_ref(dbg, die, DW_AT_specification);
    if (depth > 0)
      dwarf_dealloc_die(die);
    die = next;
  }
  if (die)
    dwarf_dealloc_die(die);
  return false;
}

/*
 * Whether the call site calls the function the value is wanted in
 * (entry: its link-time entry in m->di), as gdb checks: its DW_AT_call_origin
 * (DW_AT_abstract_origin for GCC's call sites) is the callee: a concrete
 * function at its low pc, else by name the callee object's symbol of that
 * name. An indirect call has no origin: the address its DW_AT_call_target
 * computes in the caller's frame (cfn) is the callee's (clang's call
 * through xz's `run` pointer, a callee-saved register).
 */
static bool site_calls(const machine *m, Dwarf_Die site, Dwarf_Die cfn,
                       uint64_t entry)
{
  Dwarf_Debug cdbg = m->fs->caller_di->dbg;
  Dwarf_Die origin = di_ref(cdbg, site, DW_AT_call_origin);
  if (!origin)
    origin = di_ref(cdbg, site, DW_AT_abstract_origin);
  if (!origin) {
    uint64_t target = 0;
    return call_value(m, site,
                      attribute_of(site, DW_AT_call_target,
                                   DW_AT_GNU_call_site_target),
                      cfn, &target) &&
           target == entry + m->di->bias;
  }
  char *name = NULL;
  Dwarf_Addr low = 0;
  uint64_t addr = 0;
  bool calls;
  if (di_die_addr(origin, DW_AT_low_pc, &low))
    calls = low + m->fs->caller_di->bias == entry + m->di->bias;
  else
    calls = target_name(cdbg, origin, &name) &&
            di_symbol_address(m->di, name, &addr) && addr == entry;
  dwarf_dealloc_die(origin);
  return calls;
}

/* The out-of-line function holding link-time address pc of di, or NULL. */
static const di_function *host_function(const snare_debuginfo *di,
                                        uint64_t pc)
{
  long b = di_block_at(di, pc);
  while (b >= 0 && di->blocks[b].kind != DI_BLOCK_FUNCTION)
    b = di->blocks[b].parent;
  return b >= 0 ? &di->functions[di->blocks[b].function] : NULL;
}

/* The link-time entry of that function, or 0. */
static uint64_t host_entry(const snare_debuginfo *di, uint64_t pc)
{
  const di_function *fn = host_function(di, pc);
  return fn ? fn->info.entry : 0;
}

/* Whether a call site parameter is the one key asks for. */
static bool parameter_matches(const snare_debuginfo *di, Dwarf_Die param,
                              entry_key key)
{
  Dwarf_Debug dbg = di->dbg;
  if (key.reg >= 0)
    return parameter_register(di, param) == key.reg;
  Dwarf_Die ref = di_ref(dbg, param, DW_AT_call_parameter);
  if (!ref)
    ref = di_ref(dbg, param, DW_AT_abstract_origin);
  Dwarf_Off off = di_die_key(dbg, ref);
  if (ref)
    dwarf_dealloc_die(ref);
  return ref && off == key.param;
}

static bool entry_value(machine *m, entry_key key)
{
  const snare_frame_state *caller = m->fs->caller;
  const snare_debuginfo *cdi = m->fs->caller_di;
  if (!caller || !cdi || m->entry_depth >= MAX_ENTRY_DEPTH)
    return false;
  /* A caller's lookup pc is its return address less one. */
  uint64_t link = caller->pc - cdi->bias;
  di_need_address(cdi, link);
  long b = di_block_at(cdi, link);
  while (b >= 0 && cdi->blocks[b].kind != DI_BLOCK_FUNCTION)
    b = cdi->blocks[b].parent;
  Dwarf_Die cfn = NULL;
  if (b < 0 || !(cfn = di_key_die(cdi->dbg, cdi->blocks[b].die)))
    return false;
  bool ok = false;
  /* gdb unwinds no frame past main's (backtrace past-main off), so it
     finds no caller for an entry value of main's */
  const di_function *fn = host_function(m->di, m->fs->pc - m->di->bias);
  Dwarf_Die site = fn && fn->info.name && strcmp(fn->info.name, "main") == 0
                       ? NULL
                       : di_call_site_returning(cdi->dbg, cfn, link + 1);
  Dwarf_Die param = NULL;
  uint64_t callee = fn ? fn->info.entry : 0;
  if (site && (!site_calls(m, site, cfn, callee) ||
               (m->fs->no_self_tail_call &&
                !m->fs->no_self_tail_call(callee + m->di->bias)) ||
               dwarf_child(site, &param, NULL) != DW_DLV_OK))
    param = NULL;
  while (param && !ok) {
    Dwarf_Half tag = 0;
    uint64_t v = 0;
    dwarf_tag(param, &tag, NULL);
    if ((tag == DW_TAG_call_site_parameter ||
         tag == DW_TAG_GNU_call_site_parameter) &&
        parameter_matches(cdi, param, key)) {
      ok = call_value(m, param,
                      attribute_of(param, DW_AT_call_value,
                                   DW_AT_GNU_call_site_value),
                      cfn, &v) &&
           push(m, v);
      break;
    }
    param = di_next_sibling(cdi->dbg, param);
  }
  if (param)
    dwarf_dealloc_die(param);
  if (site)
    dwarf_dealloc_die(site);
  dwarf_dealloc_die(cfn);
  return ok;
}

/* DW_AT_frame_base of the function: an address (CFA, a base register). */
static bool frame_base(const snare_debuginfo *di, const di_var *var,
                       const snare_frame_state *fs, uint64_t link,
                       uint64_t *out)
{
  machine m = {.di = di, .fs = fs};
  di_loc loc = {0};
  if (!evaluate(di, var->function, DW_AT_frame_base, &m, link, &loc) ||
      loc.count != 1)
    return false;
  const di_piece *p = &loc.pieces[0];
  if (p->kind == DI_LOC_MEMORY) {
    *out = p->address;
    return true;
  }
  return p->kind == DI_LOC_REGISTER && reg_value(fs, p->dwarf_reg, out);
}

static void optimized_out(di_loc *out)
{
  *out = (di_loc){.count = 1};
  out->pieces[0].kind = DI_LOC_OPTIMIZED_OUT;
}

void di_var_location(const snare_debuginfo *di, const di_var *var,
                     const snare_frame_state *fs, di_loc *out)
{
  uint64_t link = fs->pc - di->bias;
  machine m = {.di = di, .fs = fs};
  m.unit = unit_start(var->die);
  m.has_frame_base = frame_base(di, var, fs, link, &m.frame_base);
  *out = (di_loc){0};
  if (!evaluate(di, var->die, DW_AT_location, &m, link, out))
    optimized_out(out);
}

/*
 * A parameter's value at entry, as gdb's `x@entry`: its location at the
 * function's entry must be a register (DW_OP_regN), whose value at entry
 * the caller's call site gives (entry_value).
 */
void di_var_entry_location(const snare_debuginfo *di, const di_var *var,
                           const snare_frame_state *fs, di_loc *out)
{
  uint64_t entry = host_entry(di, fs->pc - di->bias);
  machine m = {.di = di, .fs = fs, .unit = unit_start(var->die)};
  di_loc at_entry = {0};
  *out = (di_loc){0};
  if (entry == 0 || !evaluate(di, var->die, DW_AT_location, &m, entry,
                              &at_entry) ||
      at_entry.count != 1 || at_entry.pieces[0].kind != DI_LOC_REGISTER ||
      at_entry.pieces[0].size != 0) {
    optimized_out(out);
    return;
  }
  machine em = {.di = di, .fs = fs, .unit = m.unit};
  uint64_t v;
  if (!entry_value(&em, (entry_key){.reg = at_entry.pieces[0].dwarf_reg}) ||
      !pop(&em, &v)) {
    optimized_out(out);
    return;
  }
  *out = (di_loc){.count = 1};
  out->pieces[0] = (di_piece){.kind = DI_LOC_VALUE, .value = v};
}

/* Copies up to n bytes of one piece to dst. */
static bool piece_read(const di_piece *p, const snare_frame_state *fs,
                       uint8_t *dst, size_t n, bool *unreadable)
{
  uint64_t v;
  switch (p->kind) {
  case DI_LOC_MEMORY:
    *unreadable = !snare_os_memory_read(p->address, dst, n);
    return !*unreadable;
  case DI_LOC_REGISTER:
    if (p->dwarf_reg >= DWARF_XMM0 && p->dwarf_reg < DWARF_XMM0 + 16) {
      unsigned x = (unsigned)(p->dwarf_reg - DWARF_XMM0);
      if (!(fs->xmm_valid & (1u << x)) || n > 16)
        return false;
      memcpy(dst, fs->xmm[x], n);
      return true;
    }
    if (n > 8 || !reg_value(fs, p->dwarf_reg, &v))
      return false;
    memcpy(dst, &v, n);
    return true;
  case DI_LOC_VALUE:
    if (p->bytes) {
      if (n > p->size)
        return false;
      memcpy(dst, p->bytes, n);
      return true;
    }
    if (n > 8)
      return false;
    memcpy(dst, &p->value, n);
    return true;
  default:
    return false;
  }
}

bool di_loc_read(const di_loc *loc, const snare_frame_state *fs, uint8_t *buf,
                 size_t size, bool *unreadable)
{
  *unreadable = false;
  if (loc->count == 1 && loc->pieces[0].size == 0)
    return piece_read(&loc->pieces[0], fs, buf, size, unreadable);
  size_t at = 0;
  for (size_t i = 0; i < loc->count && at < size; i++) {
    size_t n = loc->pieces[i].size;
    if (n > size - at)
      n = size - at;
    if (!piece_read(&loc->pieces[i], fs, buf + at, n, unreadable))
      return false;
    at += n;
  }
  return at == size;
}
