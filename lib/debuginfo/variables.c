/*
 * variables.c - reading a variable of a frame by name into a value tree,
 * and finding where a scalar one lives so it can be written.
 */
#include <stdlib.h>
#include <string.h>

#include "type_info.h"
#include "variables_private.h"

#define MAX_VALUE_BYTES (1u << 20) /* larger objects are read truncated */

static Dwarf_Die var_type(const snare_debuginfo *di, const di_var *var)
{
  Dwarf_Die t = di_ref(di->dbg, var->die, DW_AT_type);
  if (!t && var->origin)
    t = di_ref(di->dbg, var->origin, DW_AT_type);
  return t;
}

/* DW_AT_const_value: the variable is a constant the compiler folded. */
static bool const_value(Dwarf_Die die, di_loc *out)
{
  Dwarf_Attribute attr;
  if (dwarf_attr(die, DW_AT_const_value, &attr, NULL) != DW_DLV_OK)
    return false;
  Dwarf_Unsigned u = 0;
  Dwarf_Signed s = 0;
  Dwarf_Block *block = NULL;
  di_piece *p = &out->pieces[0];
  *out = (di_loc){.count = 1};
  p->kind = DI_LOC_VALUE;
  if (dwarf_formsdata(attr, &s, NULL) == DW_DLV_OK)
    p->value = (uint64_t)s;
  else if (dwarf_formudata(attr, &u, NULL) == DW_DLV_OK)
    p->value = u;
  else if (dwarf_formblock(attr, &block, NULL) == DW_DLV_OK) {
    /* bytes stay in the section data, valid while the handle is open */
    p->bytes = block->bl_data;
    p->size = block->bl_len;
  } else
    p->kind = DI_LOC_OPTIMIZED_OUT;
  dwarf_dealloc_attribute(attr);
  return true;
}

#define ENTRY_SUFFIX "@entry"

/* Whether scope is in an inlined call: its parameters have no entry of
   their own (no call site), as in gdb. */
static bool in_inlined_call(const snare_debuginfo *di, long scope)
{
  long b = scope;
  while (b >= 0 && di->blocks[b].kind == DI_BLOCK_LEXICAL)
    b = di->blocks[b].parent;
  return b < 0 || di->blocks[b].kind == DI_BLOCK_INLINED;
}

static void locate(const snare_debuginfo *di, const di_var *var,
                   const snare_frame_state *fs, di_loc *loc)
{
  if (!const_value(var->die, loc))
    di_var_location(di, var, fs, loc);
}

static void defaults(const snare_value_options *in, snare_value_options *out)
{
  *out = in ? *in : (snare_value_options){0};
  if (!out->max_depth)
    out->max_depth = 4;
  if (!out->max_elements)
    out->max_elements = 64;
  if (!out->max_string)
    out->max_string = 256;
}

/* Reads a found variable into *out; releases var. */
static snare_status read_found(const snare_debuginfo *di, di_var *var_found,
                               const snare_frame_state *fs, bool at_entry,
                               const snare_value_options *opts,
                               snare_value **out)
{
  di_var var = *var_found;
  const char *name = var.name;
  snare_value_options o;
  defaults(opts, &o);
  snare_value *v = calloc(1, sizeof *v);
  Dwarf_Die type = var_type(di, &var);
  size_t size = type ? di_type_size(di->dbg, type) : 0;
  if (size > MAX_VALUE_BYTES)
    size = MAX_VALUE_BYTES;
  uint8_t *buf = calloc(1, size ? size : 1);
  bool ok = v && buf && (v->name = strdup(name)) != NULL;
  if (ok) {
    di_loc loc;
    bool unreadable = false;
    if (at_entry)
      di_var_entry_location(di, &var, fs, &loc);
    else
      locate(di, &var, fs, &loc);
    uint64_t address = loc.count == 1 && loc.pieces[0].kind == DI_LOC_MEMORY
                           ? loc.pieces[0].address
                           : 0;
    if (loc.count == 1 && loc.pieces[0].kind == DI_LOC_IMPLICIT_POINTER)
      v->kind = SNARE_VALUE_SYNTHETIC_POINTER;
    else if (di_loc_read(&loc, fs, buf, size, &unreadable))
      ok = di_value_decode(di->dbg, type, buf, size, address, &o,
                           o.max_depth, v);
    else
      v->kind = unreadable ? SNARE_VALUE_UNREADABLE
                           : SNARE_VALUE_OPTIMIZED_OUT;
    v->address = address;
  }
  free(buf);
  if (type)
    dwarf_dealloc_die(type);
  di_var_done(di, &var);
  if (!ok) {
    snare_value_free(v);
    return SNARE_NO_MEMORY;
  }
  *out = v;
  return SNARE_OK;
}

/* Finds name from scope: a variable, or "x@entry", parameter x of an
   out-of-line function at its entry (*at_entry). */
static bool find_named(const snare_debuginfo *di, long scope, const char *name,
                       di_var *var, bool *at_entry)
{
  *var = (di_var){0};
  *at_entry = false;
  if (scope < 0)
    return false;
  if (di_var_find(di, scope, name, var))
    return true;
  size_t n = strlen(name), suffix = sizeof ENTRY_SUFFIX - 1;
  char *param = n > suffix && strcmp(name + n - suffix, ENTRY_SUFFIX) == 0
                    ? strndup(name, n - suffix)
                    : NULL;
  bool found = param && !in_inlined_call(di, scope) &&
               di_var_find(di, scope, param, var);
  if (found && !var->is_param) {
    di_var_done(di, var);
    found = false;
  }
  free(param);
  return *at_entry = found;
}

snare_status snare_debuginfo_variable_read(const snare_debuginfo *di,
                                           long scope,
                                           const snare_frame_state *fs,
                                           const char *name,
                                           const snare_value_options *opts,
                                           snare_value **out)
{
  di_var var;
  bool at_entry;
  if (!find_named(di, scope, name, &var, &at_entry))
    return SNARE_NOT_FOUND;
  return read_found(di, &var, fs, at_entry, opts, out);
}

/* The variable `index` of the list from scope; on true the caller calls
   di_var_done. */
static bool find_listed(const snare_debuginfo *di, long scope, size_t index,
                        di_var *var)
{
  return scope >= 0 && di_var_find_listed(di, scope, index, var);
}

snare_status snare_debuginfo_variable_read_listed(
    const snare_debuginfo *di, long scope, const snare_frame_state *fs,
    size_t index, const snare_value_options *opts, snare_value **out)
{
  di_var var;
  return find_listed(di, scope, index, &var)
             ? read_found(di, &var, fs, false, opts, out)
             : SNARE_NOT_FOUND;
}

snare_status snare_debuginfo_variable_place(const snare_debuginfo *di,
                                            long scope,
                                            const snare_frame_state *fs,
                                            const char *name,
                                            snare_variable_place *out)
{
  di_var var;
  if (scope < 0 || !di_var_find(di, scope, name, &var))
    return SNARE_NOT_FOUND;
  Dwarf_Die type = var_type(di, &var);
  *out = (snare_variable_place){
      .kind = type ? di_scalar_kind(di->dbg, type) : SNARE_VALUE_OTHER,
      .size = type ? di_type_size(di->dbg, type) : 0};
  di_loc loc;
  locate(di, &var, fs, &loc);
  const di_piece *p = &loc.pieces[0];
  snare_status st = SNARE_UNSUPPORTED;
  if (out->kind != SNARE_VALUE_OTHER && out->size <= 8 && loc.count == 1 &&
      p->size == 0) {
    int reg = p->kind == DI_LOC_REGISTER ? di_dwarf_register(p->dwarf_reg)
                                         : -1;
    if (p->kind == DI_LOC_MEMORY) {
      out->address = p->address;
      st = SNARE_OK;
    } else if (reg >= 0 && out->kind != SNARE_VALUE_FLOAT) {
      out->in_register = true;
      out->reg = (snare_register)reg;
      st = SNARE_OK;
    }
  }
  if (type)
    dwarf_dealloc_die(type);
  di_var_done(di, &var);
  return st;
}

#define MAX_IMPLICIT_OFFSET 4096

/*
 * Where the object an implicit pointer (piece p of var) points to is:
 * the variable of the DIE it names, located in the same frame (gdb does
 * the same).
 */
static bool implicit_target(const snare_debuginfo *di, const di_var *var,
                            const di_piece *p, const snare_frame_state *fs,
                            di_loc *out)
{
  di_var target = {.function = var->function};
  if (!(target.die = di_key_die(di->dbg, p->address)))
    return false;
  target.origin = di_ref(di->dbg, target.die, DW_AT_abstract_origin);
  locate(di, &target, fs, out);
  dwarf_dealloc_die(target.die);
  if (target.origin)
    dwarf_dealloc_die(target.origin);
  return true;
}

/* Fills out (its type set) with what the implicit pointer p points to. */
static void locate_pointee(const snare_debuginfo *di, const di_var *var,
                           const di_piece *p, const snare_frame_state *fs,
                           Dwarf_Die pointer_type,
                           snare_variable_location *out)
{
  out->synthetic = true;
  out->optimized_out = true;
  Dwarf_Die pointee =
      pointer_type ? di_ref(di->dbg, pointer_type, DW_AT_type) : NULL;
  out->size = pointee ? di_type_size(di->dbg, pointee) : 0;
  if (pointee)
    dwarf_dealloc_die(pointee);
  di_loc target;
  uint64_t offset = p->value;
  if (offset > MAX_IMPLICIT_OFFSET || !implicit_target(di, var, p, fs, &target))
    return;
  if (target.count == 1 && target.pieces[0].kind == DI_LOC_MEMORY) {
    out->optimized_out = false;
    out->in_memory = true;
    out->address = target.pieces[0].address + offset;
    return;
  }
  uint8_t buf[MAX_IMPLICIT_OFFSET + sizeof out->bytes];
  size_t n = out->size < sizeof out->bytes ? out->size : sizeof out->bytes;
  bool unreadable = false;
  if (di_loc_read(&target, fs, buf, offset + n, &unreadable)) {
    memcpy(out->bytes, buf + offset, n);
    out->optimized_out = false;
  }
}

/* Where var is in the frame fs (at_entry: its value at the function's
   entry); releases var. */
static snare_status locate_var(const snare_debuginfo *di, di_var var,
                               bool at_entry, const snare_frame_state *fs,
                               snare_variable_location *out)
{
  *out = (snare_variable_location){0};
  Dwarf_Die type = var_type(di, &var);
  if (type) {
    out->type = (snare_type){.owner = di, .die = di_die_key(di->dbg, type)};
    out->size = di_type_size(di->dbg, type);
  }
  di_loc loc;
  if (at_entry)
    di_var_entry_location(di, &var, fs, &loc);
  else
    locate(di, &var, fs, &loc);
  if (loc.count == 1 && loc.pieces[0].kind == DI_LOC_IMPLICIT_POINTER)
    locate_pointee(di, &var, &loc.pieces[0], fs, type, out);
  if (type)
    dwarf_dealloc_die(type);
  di_var_done(di, &var);
  if (out->synthetic)
    return SNARE_OK;
  if (loc.count == 1 && loc.pieces[0].kind == DI_LOC_MEMORY) {
    out->in_memory = true;
    out->address = loc.pieces[0].address;
    return SNARE_OK;
  }
  bool unreadable = false;
  size_t n = out->size < sizeof out->bytes ? out->size : sizeof out->bytes;
  out->optimized_out = !di_loc_read(&loc, fs, out->bytes, n, &unreadable);
  return SNARE_OK;
}

snare_status snare_debuginfo_variable_locate(const snare_debuginfo *di,
                                             long scope,
                                             const snare_frame_state *fs,
                                             const char *name,
                                             snare_variable_location *out)
{
  di_var var;
  bool at_entry;
  if (!find_named(di, scope, name, &var, &at_entry))
    return SNARE_NOT_FOUND;
  return locate_var(di, var, at_entry, fs, out);
}

snare_status snare_debuginfo_function_static(const snare_debuginfo *di,
                                             uint64_t addr, const char *name,
                                             snare_type *type,
                                             uint64_t *address)
{
  snare_debuginfo_frame frames[SNARE_INLINE_DEPTH_MAX];
  size_t n = snare_debuginfo_frames_at(di, addr, frames,
                                       SNARE_INLINE_DEPTH_MAX);
  if (n > SNARE_INLINE_DEPTH_MAX)
    n = SNARE_INLINE_DEPTH_MAX;
  long scope = frames[n - 1].scope; /* the out-of-line function's */
  di_var var;
  if (scope < 0 || !di_var_find(di, scope, name, &var))
    return SNARE_NOT_FOUND;
  uint64_t link = 0;
  snare_status st = SNARE_UNSUPPORTED;
  if (di_static_address(var.die, &link)) {
    Dwarf_Die t = var_type(di, &var);
    Dwarf_Off off = 0;
    if (t) {
      dwarf_dieoffset(t, &off, NULL);
      dwarf_dealloc_die(t);
    }
    *type = (snare_type){.owner = t ? di : NULL, .die = off};
    *address = link + di->bias;
    st = SNARE_OK;
  }
  di_var_done(di, &var);
  return st;
}

snare_status snare_debuginfo_variable_locate_listed(
    const snare_debuginfo *di, long scope, const snare_frame_state *fs,
    size_t index, snare_variable_location *out)
{
  di_var var;
  return find_listed(di, scope, index, &var)
             ? locate_var(di, var, false, fs, out)
             : SNARE_NOT_FOUND;
}

static void value_release(snare_value *v)
{
  for (size_t i = 0; i < v->child_count; i++)
    value_release(&v->children[i]);
  free(v->children);
  free(v->name);
  free(v->type);
  free(v->enumerator);
  free(v->string);
}

void snare_value_free(snare_value *value)
{
  if (!value)
    return;
  value_release(value);
  free(value);
}
