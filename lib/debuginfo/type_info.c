/*
 * type_info.c - a DWARF type as an expression evaluator needs it: its
 * kind, name, size, the type it points to or qualifies, its members,
 * enumerators and parameters. Array dimensions are types of their own
 * (snare_type.dim), so int [2][3] indexes to int [3].
 */
#include <stdio.h>
#include <string.h>

#include "private.h"
#include "type_info.h"

static Dwarf_Die die_of(snare_type t)
{
  const snare_debuginfo *di = t.owner;
  return di ? di_key_die(di->dbg, (Dwarf_Off)t.die) : NULL;
}

static void release(Dwarf_Die die)
{
  if (die)
    dwarf_dealloc_die(die);
}

static Dwarf_Half tag_of(Dwarf_Die die)
{
  Dwarf_Half tag = 0;
  dwarf_tag(die, &tag, NULL);
  return tag;
}

static bool flag(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  Dwarf_Attribute attr;
  if (dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return false;
  if (dwarf_formflag(attr, &yes, NULL) != DW_DLV_OK)
    yes = 1; /* DW_FORM_flag_present */
  dwarf_dealloc_attribute(attr);
  return yes != 0;
}

static bool has_attribute(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  return dwarf_hasattr(die, at, &yes, NULL) == DW_DLV_OK && yes;
}

/* The type DW_AT_type of die names, void when it has none. */
static snare_type referenced(const snare_debuginfo *di, Dwarf_Die die)
{
  snare_type t = {0};
  Dwarf_Die target = di_ref(di->dbg, die, DW_AT_type);
  if (target)
    t = (snare_type){.owner = di, .die = di_die_key(di->dbg, target)};
  if (target)
    dwarf_dealloc_die(target);
  return t;
}

/* DW_AT_language of the unit that holds die, 0 when unknown. */
static unsigned unit_language(const snare_debuginfo *di, Dwarf_Die die)
{
  Dwarf_Off unit = 0;
  if (dwarf_CU_dieoffset_given_die(die, &unit, NULL) != DW_DLV_OK)
    return 0;
  for (size_t i = 0; i < di->unit_count; i++)
    if (di->units[i].offset == unit)
      return di->units[i].language;
  return 0;
}

/* Whether a function type is prototyped as gdb takes it: DW_AT_prototyped
   says so in C (and Objective C, OpenCL), where a function can be
   unprototyped; in any other language (C++ writes no DW_AT_prototyped)
   every function is. */
static bool prototyped(const snare_debuginfo *di, Dwarf_Die die)
{
  if (flag(die, DW_AT_prototyped))
    return true;
  switch (unit_language(di, die)) {
  case 0:
  case DW_LANG_C89: case DW_LANG_C: case DW_LANG_C99: case DW_LANG_C11:
  case 0x2c /* DW_LANG_C17 */: case DW_LANG_ObjC: case DW_LANG_OpenCL:
    return false;
  default:
    return true;
  }
}

bool di_in_cplus_unit(const snare_debuginfo *di, Dwarf_Die die)
{
  return di_cplus_language(unit_language(di, die));
}

bool di_cplus_language(unsigned language)
{
  switch (language) {
  case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_03:
  case DW_LANG_C_plus_plus_11: case DW_LANG_C_plus_plus_14:
  case 0x2a /* DW_LANG_C_plus_plus_17 */:
  case 0x2b /* DW_LANG_C_plus_plus_20 */:
    return true;
  default:
    return false;
  }
}

/* Whether a DW_TAG_member declares a static member (clang's DWARF, and
   DWARF 4's: an external declaration) rather than a data member. */
static bool static_member(Dwarf_Die member)
{
  return flag(member, DW_AT_external) || flag(member, DW_AT_declaration);
}

/* The i-th child of die with tag (want), or NULL; the caller frees it.
   Of members, the data members only. */
static Dwarf_Die child_at(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half want,
                          size_t i, size_t *count)
{
  Dwarf_Die child = NULL, found = NULL;
  size_t n = 0;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    child = NULL;
  while (child) {
    if (tag_of(child) == want &&
        !(want == DW_TAG_member && static_member(child)) && n++ == i &&
        !found) {
      found = di_key_die(dbg, di_die_key(dbg, child));
    }
    child = di_next_sibling(dbg, child);
  }
  if (count)
    *count = n;
  return found;
}

static snare_type_kind base_kind(Dwarf_Die die, bool *is_char)
{
  Dwarf_Unsigned enc = 0, size = 0;
  di_udata(die, DW_AT_encoding, &enc);
  di_udata(die, DW_AT_byte_size, &size);
  *is_char = size == 1 &&
             (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
  switch (enc) {
  case DW_ATE_signed:
  case DW_ATE_signed_char:
    return SNARE_TYPE_SIGNED;
  case DW_ATE_unsigned:
  case DW_ATE_unsigned_char:
  case DW_ATE_UTF:
    return SNARE_TYPE_UNSIGNED;
  case DW_ATE_float:
    return SNARE_TYPE_FLOAT;
  case DW_ATE_boolean:
    return SNARE_TYPE_BOOL;
  default:
    return SNARE_TYPE_OTHER;
  }
}

static snare_type_kind kind_of(Dwarf_Half tag)
{
  switch (tag) {
  case DW_TAG_pointer_type: return SNARE_TYPE_POINTER;
  case DW_TAG_array_type: return SNARE_TYPE_ARRAY;
  case DW_TAG_structure_type:
  case DW_TAG_class_type: return SNARE_TYPE_STRUCT;
  case DW_TAG_union_type: return SNARE_TYPE_UNION;
  case DW_TAG_enumeration_type: return SNARE_TYPE_ENUM;
  case DW_TAG_subprogram:
  case DW_TAG_subroutine_type: return SNARE_TYPE_FUNCTION;
  case DW_TAG_typedef: return SNARE_TYPE_TYPEDEF;
  case DW_TAG_const_type: return SNARE_TYPE_CONST;
  case DW_TAG_volatile_type: return SNARE_TYPE_VOLATILE;
  case DW_TAG_restrict_type: return SNARE_TYPE_RESTRICT;
  case DW_TAG_atomic_type: return SNARE_TYPE_TYPEDEF; /* reads as its type */
  case DW_TAG_unspecified_type: return SNARE_TYPE_VOID; /* gdb's reading */
  case DW_TAG_reference_type: return SNARE_TYPE_REFERENCE;
  case DW_TAG_rvalue_reference_type: return SNARE_TYPE_RVALUE_REFERENCE;
  default: return SNARE_TYPE_OTHER;
  }
}

/* Elements of dimension dim of an array DIE (0 when unbounded). */
static size_t dimension(Dwarf_Debug dbg, Dwarf_Die array, unsigned dim,
                        size_t *dims)
{
  Dwarf_Die sub = child_at(dbg, array, DW_TAG_subrange_type, dim, dims);
  Dwarf_Unsigned count = 0, upper = 0;
  if (sub && !di_udata(sub, DW_AT_count, &count) &&
      di_udata(sub, DW_AT_upper_bound, &upper))
    count = upper + 1;
  if (sub)
    dwarf_dealloc_die(sub);
  return (size_t)count;
}

/* Whether method m takes an object (its first parameter is artificial). */
static bool takes_object(Dwarf_Debug dbg, Dwarf_Die m)
{
  Dwarf_Die first = child_at(dbg, m, DW_TAG_formal_parameter, 0, NULL);
  bool yes = first && flag(first, DW_AT_artificial);
  release(first);
  return yes;
}

/* The return type of function die: its DW_AT_type, else the one the
   declaration it completes or the abstract instance it is a copy of
   gives (gdb's dwarf2_attr follows DW_AT_specification and
   DW_AT_abstract_origin: an out-of-line copy of an inline method at -O2
   names its abstract instance, which names the class's declaration). */
static snare_type returned(const snare_debuginfo *di, Dwarf_Die die)
{
  snare_type t = referenced(di, die);
  Dwarf_Die at = NULL;
  for (int depth = 0; t.owner == NULL && depth < 4; depth++) {
    Dwarf_Die next = di_ref(di->dbg, at ? at : die, DW_AT_abstract_origin);
    if (next == NULL)
      next = di_ref(di->dbg, at ? at : die, DW_AT_specification);
    if (at)
      dwarf_dealloc_die(at);
    if ((at = next) == NULL)
      break;
    t = referenced(di, at);
  }
  if (at)
    dwarf_dealloc_die(at);
  return t;
}

static void describe_array(const snare_debuginfo *di, Dwarf_Die die,
                           snare_type t, snare_type_info *out)
{
  size_t dims = 0;
  out->count = dimension(di->dbg, die, t.dim, &dims);
  out->vector = di_flag(die, DW_AT_GNU_vector);
  if (t.dim + 1 < dims)
    out->target = (snare_type){.owner = di, .die = t.die, .dim = t.dim + 1};
  else
    out->target = referenced(di, die);
  snare_type_info elem;
  if (snare_type_describe(out->target, &elem) == SNARE_OK)
    out->size = out->count * elem.size;
}

snare_status snare_type_describe(snare_type t, snare_type_info *out)
{
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  *out = (snare_type_info){.kind = SNARE_TYPE_VOID, .name = "void"};
  if (t.owner == NULL)
    return SNARE_OK;
  const snare_debuginfo *di = t.owner;
  Dwarf_Die die = die_of(t);
  if (die == NULL)
    return SNARE_NOT_FOUND;
  Dwarf_Half tag = tag_of(die);
  char *name = NULL;
  out->name = dwarf_diename(die, &name, NULL) == DW_DLV_OK ? name : NULL;
  out->kind = tag == DW_TAG_base_type ? base_kind(die, &out->is_char)
                                      : kind_of(tag);
  Dwarf_Unsigned size = 0;
  if (di_udata(die, DW_AT_byte_size, &size))
    out->size = (size_t)size;
  out->declaration = flag(die, DW_AT_declaration);
  out->cplus = di_in_cplus_unit(di, die);
  out->class_tag = tag == DW_TAG_class_type;
  out->enum_class = tag == DW_TAG_enumeration_type && flag(die, DW_AT_enum_class);
  if (out->name == NULL)
    out->linkage = di_string(die, DW_AT_linkage_name);
  switch (out->kind) {
  case SNARE_TYPE_ARRAY:
    describe_array(di, die, t, out);
    break;
  case SNARE_TYPE_POINTER:
  case SNARE_TYPE_REFERENCE:
  case SNARE_TYPE_RVALUE_REFERENCE:
    out->target = referenced(di, die);
    if (out->size == 0)
      out->size = 8;
    break;
  case SNARE_TYPE_STRUCT:
  case SNARE_TYPE_UNION:
    release(child_at(di->dbg, die, DW_TAG_member, 0,
                               &out->children));
    break;
  case SNARE_TYPE_ENUM:
    out->target = referenced(di, die);
    release(child_at(di->dbg, die, DW_TAG_enumerator, 0,
                               &out->children));
    break;
  case SNARE_TYPE_FUNCTION: {
    out->target = returned(di, die);
    out->prototyped = prototyped(di, die);
    out->object_param = out->cplus && takes_object(di->dbg, die);
    size_t rest = 0;
    release(child_at(di->dbg, die, DW_TAG_formal_parameter, 0,
                               &out->children));
    release(child_at(di->dbg, die, DW_TAG_unspecified_parameters,
                               0, &rest));
    out->varargs = rest > 0;
    break;
  }
  case SNARE_TYPE_TYPEDEF:
  case SNARE_TYPE_CONST:
  case SNARE_TYPE_VOLATILE:
  case SNARE_TYPE_RESTRICT: {
    out->target = referenced(di, die);
    snare_type_info inner;
    if (out->size == 0 && snare_type_describe(out->target, &inner) == SNARE_OK)
      out->size = inner.size;
    break;
  }
  default:
    break;
  }
  dwarf_dealloc_die(die);
  return SNARE_OK;
}

/* Where a member starts, in bits from the start of its aggregate. */
static uint64_t member_bits(Dwarf_Die member, unsigned bit_size)
{
  Dwarf_Unsigned loc = 0, bits = 0, storage = 0, old = 0;
  if (di_udata(member, DW_AT_data_bit_offset, &bits))
    return bits;
  di_udata(member, DW_AT_data_member_location, &loc);
  if (bit_size && di_udata(member, DW_AT_bit_offset, &old) &&
      di_udata(member, DW_AT_byte_size, &storage))
    /* DWARF 2-4 count from the storage unit's most significant bit */
    return loc * 8 + storage * 8 - old - bit_size;
  return loc * 8;
}

snare_status snare_type_member_at(snare_type t, size_t i,
                                  snare_type_member *out)
{
  Dwarf_Die die = die_of(t);
  if (die == NULL || out == NULL) {
    if (die)
      dwarf_dealloc_die(die);
    return die ? SNARE_INVALID_ARGUMENT : SNARE_NOT_FOUND;
  }
  const snare_debuginfo *di = t.owner;
  Dwarf_Die member = child_at(di->dbg, die, DW_TAG_member, i, NULL);
  dwarf_dealloc_die(die);
  if (member == NULL)
    return SNARE_NOT_FOUND;
  char *name = NULL;
  Dwarf_Unsigned bit_size = 0;
  di_udata(member, DW_AT_bit_size, &bit_size);
  uint64_t bits = member_bits(member, (unsigned)bit_size);
  *out = (snare_type_member){
      .name = dwarf_diename(member, &name, NULL) == DW_DLV_OK ? name : NULL,
      .type = referenced(di, member),
      .offset = (size_t)(bits / 8),
      .bit_size = (unsigned)bit_size,
      .bit_offset = bit_size ? (unsigned)(bits % 8) : 0};
  dwarf_dealloc_die(member);
  return SNARE_OK;
}

snare_status snare_type_enumerator(snare_type t, size_t i, const char **name,
                                   int64_t *value)
{
  Dwarf_Die die = die_of(t);
  if (die == NULL)
    return SNARE_NOT_FOUND;
  const snare_debuginfo *di = t.owner;
  Dwarf_Die e = child_at(di->dbg, die, DW_TAG_enumerator, i, NULL);
  dwarf_dealloc_die(die);
  if (e == NULL)
    return SNARE_NOT_FOUND;
  char *text = NULL;
  Dwarf_Unsigned v = 0;
  di_udata(e, DW_AT_const_value, &v);
  *name = dwarf_diename(e, &text, NULL) == DW_DLV_OK ? text : "";
  *value = (int64_t)v;
  dwarf_dealloc_die(e);
  return SNARE_OK;
}

snare_status snare_type_param(snare_type t, size_t i, snare_type *out)
{
  Dwarf_Die die = die_of(t);
  if (die == NULL)
    return SNARE_NOT_FOUND;
  const snare_debuginfo *di = t.owner;
  Dwarf_Die p = child_at(di->dbg, die, DW_TAG_formal_parameter, i, NULL);
  dwarf_dealloc_die(die);
  if (p == NULL)
    return SNARE_NOT_FOUND;
  *out = referenced(di, p);
  if (out->owner == NULL) { /* an out-of-line copy: the abstract origin */
    Dwarf_Die origin = di_ref(di->dbg, p, DW_AT_abstract_origin);
    if (origin) {
      *out = referenced(di, origin);
      dwarf_dealloc_die(origin);
    }
  }
  dwarf_dealloc_die(p);
  return SNARE_OK;
}

/* Appends "::" (unless buf is empty) and the name of scope DIE s to buf. */
static void append_scope(Dwarf_Die s, char *buf, size_t cap)
{
  char *name = NULL;
  const char *text = dwarf_diename(s, &name, NULL) == DW_DLV_OK ? name : NULL;
  if (text == NULL)
    text = tag_of(s) == DW_TAG_namespace ? "(anonymous namespace)" : "{...}";
  size_t used = strlen(buf);
  snprintf(buf + used, cap - used, "%s%s", used ? "::" : "", text);
}

static bool is_scope_tag(Dwarf_Half tag)
{
  return tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
         tag == DW_TAG_class_type || tag == DW_TAG_union_type;
}

/*
 * Writes into buf the scopes between the unit DIE and the DIE at offset
 * target of debug file dbg: DWARF writes no parent links, so the walk
 * goes down from the unit, into the one child whose subtree spans the
 * target (it lies before the next sibling). A function on the way
 * starts the name again (its local types go by their own name).
 */
static void scope_of(Dwarf_Debug dbg, Dwarf_Die unit, Dwarf_Off target,
                     char *buf, size_t cap)
{
  Dwarf_Die child = NULL;
  if (dwarf_child(unit, &child, NULL) != DW_DLV_OK)
    return;
  while (child) {
    Dwarf_Off at = 0, next_at = (Dwarf_Off)-1;
    dwarf_dieoffset(child, &at, NULL);
    if (at == target) {
      dwarf_dealloc_die(child);
      return;
    }
    Dwarf_Die next = NULL;
    if (dwarf_siblingof_b(dbg, child, true, &next, NULL) != DW_DLV_OK)
      next = NULL;
    if (next)
      dwarf_dieoffset(next, &next_at, NULL);
    if (at < target && target < next_at) {
      if (next)
        dwarf_dealloc_die(next);
      Dwarf_Half tag = tag_of(child);
      if (is_scope_tag(tag))
        append_scope(child, buf, cap);
      else if (tag == DW_TAG_subprogram)
        buf[0] = '\0';
      Dwarf_Die inner = NULL;
      if (dwarf_child(child, &inner, NULL) != DW_DLV_OK || next_at <= at) {
        dwarf_dealloc_die(child);
        return;
      }
      dwarf_dealloc_die(child);
      child = inner;
      continue;
    }
    dwarf_dealloc_die(child);
    child = next_at > at ? next : NULL; /* forward only (corrupt siblings) */
    if (next && !child)
      dwarf_dealloc_die(next);
  }
}

snare_status snare_type_scope(snare_type t, char *buf, size_t cap)
{
  if (buf == NULL || cap == 0)
    return SNARE_INVALID_ARGUMENT;
  buf[0] = '\0';
  if (t.owner == NULL)
    return SNARE_OK;
  const snare_debuginfo *di = t.owner;
  Dwarf_Die die = die_of(t);
  if (die == NULL)
    return SNARE_NOT_FOUND;
  /* A definition out of its scope (struct ns::K::Inner {...} at the top
     level) names the scope of its declaration. */
  Dwarf_Die decl = di_ref(di->dbg, die, DW_AT_specification);
  if (decl) {
    dwarf_dealloc_die(die);
    die = decl;
  }
  Dwarf_Debug dbg = di_die_debug(di->dbg, die);
  Dwarf_Off unit_at = 0, at = 0;
  Dwarf_Die unit = NULL;
  if (dwarf_CU_dieoffset_given_die(die, &unit_at, NULL) == DW_DLV_OK &&
      dwarf_dieoffset(die, &at, NULL) == DW_DLV_OK &&
      dwarf_offdie_b(dbg, unit_at, true, &unit, NULL) == DW_DLV_OK) {
    scope_of(dbg, unit, at, buf, cap);
    dwarf_dealloc_die(unit);
  }
  dwarf_dealloc_die(die);
  return SNARE_OK;
}

/* DW_AT_accessibility of die, else the default of its aggregate (private
   in a class, public in a struct or union). */
static snare_access access_of(Dwarf_Die die, bool in_class)
{
  Dwarf_Unsigned access = 0;
  if (!di_udata(die, DW_AT_accessibility, &access))
    return in_class ? SNARE_ACCESS_PRIVATE : SNARE_ACCESS_PUBLIC;
  return access == DW_ACCESS_private     ? SNARE_ACCESS_PRIVATE
         : access == DW_ACCESS_protected ? SNARE_ACCESS_PROTECTED
                                         : SNARE_ACCESS_PUBLIC;
}

/* The part kind of an aggregate's child with tag, or -1 for none. */
static int part_kind(Dwarf_Die child, Dwarf_Half tag)
{
  switch (tag) {
  case DW_TAG_member:
    return static_member(child) ? SNARE_PART_STATIC_MEMBER : SNARE_PART_MEMBER;
  case DW_TAG_variable: return SNARE_PART_STATIC_MEMBER;
  case DW_TAG_subprogram: return SNARE_PART_METHOD;
  case DW_TAG_template_type_parameter: return SNARE_PART_TEMPLATE_TYPE;
  case DW_TAG_inheritance: return SNARE_PART_BASE;
  case DW_TAG_typedef: return SNARE_PART_TYPEDEF;
  default: return -1;
  }
}

/* A static member's DW_AT_const_value into part (nothing without one). */
static void member_value(Dwarf_Die member, snare_type_part *part)
{
  Dwarf_Attribute attr;
  if (dwarf_attr(member, DW_AT_const_value, &attr, NULL) != DW_DLV_OK)
    return;
  Dwarf_Signed s = 0;
  Dwarf_Unsigned u = 0;
  Dwarf_Block *block = NULL;
  if (dwarf_formsdata(attr, &s, NULL) == DW_DLV_OK) {
    part->has_value = true;
    part->value = (uint64_t)s;
  } else if (dwarf_formudata(attr, &u, NULL) == DW_DLV_OK) {
    part->has_value = true;
    part->value = u;
  } else if (dwarf_formblock(attr, &block, NULL) == DW_DLV_OK) {
    /* bytes stay in the section data, valid while the handle is open */
    part->value_bytes = block->bl_data;
    part->value_size = block->bl_len;
  }
  dwarf_dealloc_attribute(attr);
}

snare_status snare_type_part_at(snare_type t, size_t i, snare_type_part *out)
{
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  Dwarf_Die die = die_of(t);
  if (die == NULL)
    return SNARE_NOT_FOUND;
  const snare_debuginfo *di = t.owner;
  bool in_class = tag_of(die) == DW_TAG_class_type;
  Dwarf_Die child = NULL;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    child = NULL;
  dwarf_dealloc_die(die);
  size_t n = 0;
  snare_status st = SNARE_NOT_FOUND;
  while (child) {
    Dwarf_Half tag = tag_of(child);
    int kind = part_kind(child, tag);
    if (kind >= 0 && n++ == i) {
      char *name = NULL;
      *out = (snare_type_part){
          .kind = (snare_type_part_kind)kind,
          .name = dwarf_diename(child, &name, NULL) == DW_DLV_OK ? name : NULL,
          .type = kind == SNARE_PART_METHOD
                      ? (snare_type){.owner = di,
                                     .die = di_die_key(di->dbg, child)}
                      : referenced(di, child),
          .access = access_of(child, in_class),
          .artificial = flag(child, DW_AT_artificial),
          .is_virtual = kind == SNARE_PART_METHOD
                            ? has_attribute(child, DW_AT_vtable_elem_location)
                            : flag(child, DW_AT_virtuality),
          .is_static = kind == SNARE_PART_METHOD &&
                       !takes_object(di->dbg, child)};
      Dwarf_Unsigned at = 0;
      if (kind == SNARE_PART_BASE &&
          di_udata(child, DW_AT_data_member_location, &at))
        out->offset = (uint64_t)at;
      if (kind == SNARE_PART_STATIC_MEMBER)
        member_value(child, out);
      st = SNARE_OK;
      dwarf_dealloc_die(child);
      break;
    }
    child = di_next_sibling(di->dbg, child);
  }
  return st;
}
