/*
 * types.c - turning bytes of a variable into a snare_value tree by its
 * DWARF type: base types, pointers, arrays, structs, unions, enums,
 * typedefs and qualifiers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/os.h"
#include "variables_private.h"

static Dwarf_Half tag_of(Dwarf_Die die)
{
  Dwarf_Half tag = 0;
  if (die)
    dwarf_tag(die, &tag, NULL);
  return tag;
}

static bool is_qualifier(Dwarf_Half tag)
{
  return tag == DW_TAG_typedef || tag == DW_TAG_const_type ||
         tag == DW_TAG_volatile_type || tag == DW_TAG_restrict_type ||
         tag == DW_TAG_atomic_type;
}

/* How many typedefs, qualifiers or array elements one type may go
   through: corrupted DWARF can make a typedef its own target. */
#define TYPE_HOPS 32

/* Follows typedefs and qualifiers; returns a new DIE (or NULL for void,
   and for a chain longer than TYPE_HOPS) and releases type. */
static Dwarf_Die strip(Dwarf_Debug dbg, Dwarf_Die type)
{
  for (int hops = 0; type && is_qualifier(tag_of(type)); hops++) {
    Dwarf_Die next = hops < TYPE_HOPS ? di_ref(dbg, type, DW_AT_type) : NULL;
    dwarf_dealloc_die(type);
    type = next;
  }
  return type;
}

static Dwarf_Die copy_die(Dwarf_Debug dbg, Dwarf_Die die)
{
  /* A variable without DW_AT_type (a corrupted unit) has no type DIE. */
  return die ? di_key_die(dbg, di_die_key(dbg, die)) : NULL;
}

static size_t type_size(Dwarf_Debug dbg, Dwarf_Die type, int depth)
{
  Dwarf_Die t = depth < TYPE_HOPS ? strip(dbg, copy_die(dbg, type)) : NULL;
  Dwarf_Unsigned size = 0;
  /* (clang writes no size on a pointer or a C++ reference) */
  if (t && !di_udata(t, DW_AT_byte_size, &size) &&
      (tag_of(t) == DW_TAG_pointer_type || tag_of(t) == DW_TAG_reference_type ||
       tag_of(t) == DW_TAG_rvalue_reference_type))
    size = 8;
  if (t && tag_of(t) == DW_TAG_array_type && size == 0) {
    Dwarf_Die elem = di_ref(dbg, t, DW_AT_type);
    Dwarf_Die sub = NULL;
    Dwarf_Unsigned count = 0, upper = 0;
    if (elem && dwarf_child(t, &sub, NULL) == DW_DLV_OK) {
      if (di_udata(sub, DW_AT_count, &count) ||
          (di_udata(sub, DW_AT_upper_bound, &upper) && (count = upper + 1)))
        size = count * type_size(dbg, elem, depth + 1);
      dwarf_dealloc_die(sub);
    }
    if (elem)
      dwarf_dealloc_die(elem);
  }
  if (t)
    dwarf_dealloc_die(t);
  return (size_t)size;
}

size_t di_type_size(Dwarf_Debug dbg, Dwarf_Die type)
{
  return type_size(dbg, type, 0);
}

/* The C spelling of type ("const char *", "struct p", "int [3]"), at
   `depth` types down from the one asked (a cycle of corrupted DWARF
   spells as "..." there). */
static void spell_at(Dwarf_Debug dbg, Dwarf_Die type, char *buf, size_t cap,
                     int depth)
{
  char *name = NULL;
  buf[0] = '\0';
  if (!type || depth >= TYPE_HOPS) {
    snprintf(buf, cap, type ? "..." : "void");
    return;
  }
  Dwarf_Half tag = tag_of(type);
  bool named = dwarf_diename(type, &name, NULL) == DW_DLV_OK;
  Dwarf_Die inner = di_ref(dbg, type, DW_AT_type);
  char sub[128];
  switch (tag) {
  case DW_TAG_structure_type:
  case DW_TAG_union_type:
  case DW_TAG_enumeration_type:
    snprintf(buf, cap, "%s %s",
             tag == DW_TAG_structure_type ? "struct"
             : tag == DW_TAG_union_type   ? "union"
                                          : "enum",
             named ? name : "{...}");
    break;
  case DW_TAG_pointer_type:
    spell_at(dbg, inner, sub, sizeof sub, depth + 1);
    snprintf(buf, cap, "%s *", sub);
    break;
  case DW_TAG_const_type:
  case DW_TAG_volatile_type:
    spell_at(dbg, inner, sub, sizeof sub, depth + 1);
    snprintf(buf, cap, "%s %s", tag == DW_TAG_const_type ? "const" : "volatile",
             sub);
    break;
  case DW_TAG_array_type: {
    spell_at(dbg, inner, sub, sizeof sub, depth + 1);
    size_t whole = di_type_size(dbg, type);
    size_t each = inner ? di_type_size(dbg, inner) : 0;
    snprintf(buf, cap, "%s [%zu]", sub, each ? whole / each : 0);
    break;
  }
  default:
    if (named)
      snprintf(buf, cap, "%s", name);
    else if (tag == DW_TAG_subroutine_type)
      snprintf(buf, cap, "function");
    else if (inner)
      spell_at(dbg, inner, buf, cap, depth + 1);
  }
  if (inner)
    dwarf_dealloc_die(inner);
}

static void spell(Dwarf_Debug dbg, Dwarf_Die type, char *buf, size_t cap)
{
  spell_at(dbg, type, buf, cap, 0);
}

snare_value_kind di_scalar_kind(Dwarf_Debug dbg, Dwarf_Die type)
{
  Dwarf_Die t = strip(dbg, copy_die(dbg, type));
  snare_value_kind kind = SNARE_VALUE_OTHER;
  Dwarf_Unsigned enc = 0;
  if (!t)
    return kind;
  switch (tag_of(t)) {
  case DW_TAG_pointer_type:
  case DW_TAG_reference_type: /* a reference is a pointer underneath */
  case DW_TAG_rvalue_reference_type: kind = SNARE_VALUE_POINTER; break;
  case DW_TAG_enumeration_type: kind = SNARE_VALUE_ENUM; break;
  case DW_TAG_base_type:
    di_udata(t, DW_AT_encoding, &enc);
    kind = enc == DW_ATE_float                        ? SNARE_VALUE_FLOAT
           : enc == DW_ATE_boolean                    ? SNARE_VALUE_BOOL
           : enc == DW_ATE_signed || enc == DW_ATE_signed_char
               ? SNARE_VALUE_SIGNED
           : enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char
               ? SNARE_VALUE_UNSIGNED
               : SNARE_VALUE_OTHER;
    break;
  default: break;
  }
  dwarf_dealloc_die(t);
  return kind;
}

static uint64_t load(const uint8_t *buf, size_t size)
{
  uint64_t v = 0;
  memcpy(&v, buf, size < 8 ? size : 8);
  return v;
}

static int64_t sign_extend(uint64_t v, size_t size)
{
  if (size >= 8 || size == 0)
    return (int64_t)v;
  unsigned shift = (unsigned)(64 - 8 * size);
  return (int64_t)(v << shift) >> shift;
}

/* The enumerator of t named by value v, copied; NULL if none. */
static char *enumerator(Dwarf_Debug dbg, Dwarf_Die t, int64_t v)
{
  Dwarf_Die child = NULL;
  char *found = NULL;
  if (dwarf_child(t, &child, NULL) != DW_DLV_OK)
    return NULL;
  while (child) {
    Dwarf_Unsigned cv = 0;
    char *name = NULL;
    if (!found && di_udata(child, DW_AT_const_value, &cv) && (int64_t)cv == v &&
        dwarf_diename(child, &name, NULL) == DW_DLV_OK)
      found = strdup(name);
    child = di_next_sibling(dbg, child);
  }
  return found;
}

/* A char pointer's string, read up to max bytes; NULL if unreadable. */
static char *read_string(uint64_t addr, size_t max)
{
  char *s = malloc(max + 1);
  size_t n = 0;
  while (s && n < max && snare_os_memory_read(addr + n, &s[n], 1) &&
         s[n] != '\0')
    n++;
  if (s && n == 0 && !snare_os_memory_read(addr, s, 1)) {
    free(s);
    return NULL;
  }
  if (s)
    s[n] = '\0';
  return s;
}

static bool is_char_type(Dwarf_Debug dbg, Dwarf_Die pointee)
{
  Dwarf_Die t = strip(dbg, pointee ? copy_die(dbg, pointee) : NULL);
  Dwarf_Unsigned enc = 0, size = 0;
  bool yes = t && tag_of(t) == DW_TAG_base_type &&
             di_udata(t, DW_AT_encoding, &enc) &&
             di_udata(t, DW_AT_byte_size, &size) && size == 1 &&
             (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
  if (t)
    dwarf_dealloc_die(t);
  return yes;
}

static bool decode_scalar(Dwarf_Debug dbg, Dwarf_Die t, const uint8_t *buf,
                          size_t size, const snare_value_options *opts,
                          snare_value *out)
{
  out->kind = di_scalar_kind(dbg, t);
  uint64_t raw = load(buf, size);
  switch (out->kind) {
  case SNARE_VALUE_FLOAT:
    if (size == 4) {
      float f;
      memcpy(&f, buf, 4);
      out->f = f;
    } else if (size == 8) {
      memcpy(&out->f, buf, 8);
    } else {
      out->kind = SNARE_VALUE_OTHER; /* long double and the like */
    }
    break;
  case SNARE_VALUE_SIGNED:
    out->i = sign_extend(raw, size);
    break;
  case SNARE_VALUE_ENUM:
    out->i = sign_extend(raw, size);
    out->enumerator = enumerator(dbg, t, out->i);
    break;
  case SNARE_VALUE_POINTER: {
    out->u = raw;
    Dwarf_Die pointee = di_ref(dbg, t, DW_AT_type);
    if (opts->strings && raw != 0 && is_char_type(dbg, pointee))
      out->string = read_string(raw, opts->max_string);
    if (pointee)
      dwarf_dealloc_die(pointee);
    break;
  }
  default:
    out->u = raw;
  }
  return true;
}

static bool decode_members(Dwarf_Debug dbg, Dwarf_Die t, const uint8_t *buf,
                           size_t size, uint64_t address,
                           const snare_value_options *opts, unsigned depth,
                           snare_value *out)
{
  Dwarf_Die child = NULL;
  size_t cap = 0;
  bool ok = true;
  if (depth == 0 || dwarf_child(t, &child, NULL) != DW_DLV_OK)
    return true;
  while (child && ok) {
    Dwarf_Unsigned off = 0;
    char *name = NULL;
    Dwarf_Die mtype = NULL;
    if (tag_of(child) == DW_TAG_member &&
        (mtype = di_ref(dbg, child, DW_AT_type)) != NULL) {
      di_udata(child, DW_AT_data_member_location, &off);
      size_t msize = di_type_size(dbg, mtype);
      ok = di_reserve((void **)&out->children, &cap, out->child_count,
                      sizeof *out->children);
      if (ok) {
        snare_value *m = &out->children[out->child_count++];
        *m = (snare_value){0};
        if (dwarf_diename(child, &name, NULL) == DW_DLV_OK)
          m->name = strdup(name);
        if (off + msize <= size)
          ok = di_value_decode(dbg, mtype, buf + off, msize,
                               address ? address + off : 0, opts, depth - 1,
                               m);
        else
          m->kind = SNARE_VALUE_UNREADABLE;
      }
      dwarf_dealloc_die(mtype);
    }
    child = di_next_sibling(dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return ok;
}

static bool decode_array(Dwarf_Debug dbg, Dwarf_Die t, const uint8_t *buf,
                         size_t size, uint64_t address,
                         const snare_value_options *opts, unsigned depth,
                         snare_value *out)
{
  Dwarf_Die elem = di_ref(dbg, t, DW_AT_type);
  size_t each = elem ? di_type_size(dbg, elem) : 0;
  bool ok = true;
  out->length = each ? size / each : 0;
  size_t n = out->length < opts->max_elements ? out->length
                                              : opts->max_elements;
  if (depth > 0 && n > 0) {
    out->children = calloc(n, sizeof *out->children);
    ok = out->children != NULL;
    for (size_t i = 0; ok && i < n; i++) {
      out->child_count++;
      ok = di_value_decode(dbg, elem, buf + i * each, each,
                           address ? address + i * each : 0, opts, depth - 1,
                           &out->children[i]);
    }
  }
  if (elem)
    dwarf_dealloc_die(elem);
  return ok;
}

bool di_value_decode(Dwarf_Debug dbg, Dwarf_Die type, const uint8_t *buf,
                     size_t size, uint64_t address,
                     const snare_value_options *opts, unsigned depth,
                     snare_value *out)
{
  char spelled[256];
  spell(dbg, type, spelled, sizeof spelled);
  out->type = strdup(spelled);
  out->address = address;
  out->size = size;
  if (!out->type)
    return false;
  Dwarf_Die t = strip(dbg, copy_die(dbg, type));
  if (!t) {
    out->kind = SNARE_VALUE_OTHER;
    return true;
  }
  bool ok = true;
  switch (tag_of(t)) {
  case DW_TAG_structure_type:
  case DW_TAG_class_type:
    out->kind = SNARE_VALUE_STRUCT;
    ok = decode_members(dbg, t, buf, size, address, opts, depth, out);
    break;
  case DW_TAG_union_type:
    out->kind = SNARE_VALUE_UNION;
    ok = decode_members(dbg, t, buf, size, address, opts, depth, out);
    break;
  case DW_TAG_array_type:
    out->kind = SNARE_VALUE_ARRAY;
    ok = decode_array(dbg, t, buf, size, address, opts, depth, out);
    break;
  default:
    ok = decode_scalar(dbg, t, buf, size, opts, out);
  }
  dwarf_dealloc_die(t);
  return ok;
}
