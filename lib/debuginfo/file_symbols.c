/*
 * file_symbols.c - the names of file scope that gdb's `info variables`
 * and `info types` list, read once from the top level of every unit the
 * way gdb's DWARF reader makes symbols of them (dwarf2/read.c's
 * new_symbol): which variables it keeps, in which block, in which file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "type_info.h"

static bool has(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  return die && dwarf_hasattr(die, at, &yes, NULL) == DW_DLV_OK && yes;
}

/* The DIE that gives attribute at: die, else the declaration it
   completes (gdb's dwarf2_attr follows DW_AT_specification). */
static Dwarf_Die giver(Dwarf_Die die, Dwarf_Die spec, Dwarf_Half at)
{
  return has(die, at) || !spec ? die : spec;
}

/* The type DW_AT_type of die names (void when it names none). */
static snare_type type_of(const snare_debuginfo *di, Dwarf_Die die)
{
  Dwarf_Attribute attr;
  Dwarf_Off off = 0;
  snare_type t = {0};
  if (!die || dwarf_attr(die, DW_AT_type, &attr, NULL) != DW_DLV_OK)
    return t;
  if (dwarf_global_formref(attr, &off, NULL) == DW_DLV_OK)
    t = (snare_type){.owner = di, .die = off};
  dwarf_dealloc_attribute(attr);
  return t;
}

static snare_type type_here(const snare_debuginfo *di, Dwarf_Die die)
{
  Dwarf_Off off = 0;
  dwarf_dieoffset(die, &off, NULL);
  return (snare_type){.owner = di, .die = off};
}

typedef struct unit_reader {
  snare_debuginfo *di;
  const di_unit *unit;
  const char *cu_name; /* its DW_AT_name */
  const char *primary; /* gdb's name of the unit's own file */
  Dwarf_Line_Context lines; /* its line table, which names the files */
  Dwarf_Unsigned line_version;
  const char **names; /* gdb's names by file number, once asked */
  size_t name_count;
  bool cxx;
  bool ok;
  char scope[512]; /* the C++ namespaces and classes read in: "ns::K" */
} unit_reader;

/* Keeps name (on the heap) with the handle; NULL on no memory. */
static const char *keep_name(snare_debuginfo *di, char *name)
{
  if (!di_reserve((void **)&di->file_symbol_files, &di->file_symbol_file_cap,
                  di->file_symbol_file_count,
                  sizeof *di->file_symbol_files)) {
    free(name);
    return NULL;
  }
  return di->file_symbol_files[di->file_symbol_file_count++] = name;
}

/* name in scope ("ns::K" and "made": "ns::K::made"), kept with the
   handle; name itself at the top level, NULL on no memory. */
static const char *in_scope(unit_reader *r, const char *scope,
                            const char *name)
{
  if (!name || !scope[0])
    return name;
  size_t n = strlen(scope) + strlen(name) + 3;
  char *joined = malloc(n);
  if (!joined) {
    r->ok = false;
    return NULL;
  }
  snprintf(joined, n, "%s::%s", scope, name);
  const char *kept = keep_name(r->di, joined);
  r->ok = r->ok && kept;
  return kept;
}

/* gdb's name of the unit's file number fileno: the line table's, the
   unit's own file going by the unit's DW_AT_name where the table writes
   it absolute, after the compilation directory (as name_primary of
   lines_load.c): "main.c", but libc's "./locale/C-address.c". */
static const char *file_named(unit_reader *r, Dwarf_Unsigned fileno)
{
  if (fileno >= r->name_count)
    return r->primary;
  if (r->names[fileno])
    return r->names[fileno];
  char *raw = di_line_file_name(r->lines, r->line_version, fileno);
  const char *dir = r->unit->comp_dir, *own = r->cu_name;
  size_t n = dir ? strlen(dir) : 0;
  if (!raw)
    return r->primary;
  while (n > 1 && dir[n - 1] == '/')
    n--;
  if (strcmp(raw, own) == 0 ||
      (own[0] != '/' && raw[0] == '/' && n && strncmp(raw, dir, n) == 0 &&
       raw[n] == '/' && strcmp(raw + n + 1, own) == 0)) {
    free(raw);
    return r->names[fileno] = own;
  }
  const char *kept = keep_name(r->di, raw);
  if (!kept) {
    r->ok = false;
    return r->primary;
  }
  return r->names[fileno] = kept;
}

/* gdb's file of a symbol: its DW_AT_decl_file, else the unit's. */
static const char *file_of(unit_reader *r, Dwarf_Die die)
{
  Dwarf_Unsigned fileno = 0;
  if (!di_udata(die, DW_AT_decl_file, &fileno))
    return r->primary;
  return file_named(r, fileno);
}

/* Adds symbol, declared by die or by the declaration spec it completes. */
static void add(unit_reader *r, snare_file_symbol symbol, Dwarf_Die die,
                Dwarf_Die spec)
{
  snare_debuginfo *di = r->di;
  Dwarf_Unsigned line = 0;
  if (!r->ok || !di_reserve((void **)&di->file_symbols, &di->file_symbol_cap,
                            di->file_symbol_count,
                            sizeof *di->file_symbols)) {
    r->ok = false;
    return;
  }
  symbol.file = file_of(r, giver(die, spec, DW_AT_decl_file));
  if (r->unit->range_count == 0)
    symbol.codeless_file = r->primary;
  if (di_udata(giver(die, spec, DW_AT_decl_line), DW_AT_decl_line, &line))
    symbol.line = (unsigned)line;
  di->file_symbols[di->file_symbol_count++] = symbol;
}

/* Whether the type of variable die is an enum under its qualifiers. */
static bool is_enum_constant(const snare_debuginfo *di, Dwarf_Die die)
{
  Dwarf_Die t = di_ref(di->dbg, die, DW_AT_type);
  for (int depth = 0; t && depth < 8; depth++) { /* (a cycle ends) */
    Dwarf_Half tag = 0;
    dwarf_tag(t, &tag, NULL);
    if (tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) {
      dwarf_dealloc_die(t);
      return tag == DW_TAG_enumeration_type;
    }
    Dwarf_Die next = di_ref(di->dbg, t, DW_AT_type);
    dwarf_dealloc_die(t);
    t = next;
  }
  if (t)
    dwarf_dealloc_die(t);
  return false;
}

/* A variable as gdb keeps it: with a constant value (global when
   external), with a place (global when external; none when the linker
   dropped it, its address 0), an extern declaration (LOC_UNRESOLVED:
   listed by no one), or optimised out (in the static block). In a class
   (in_class) only a constant is one. */
static void read_variable(unit_reader *r, Dwarf_Die die, bool in_class)
{
  Dwarf_Die spec = di_ref(r->di->dbg, die, DW_AT_specification);
  Dwarf_Die named = giver(die, spec, DW_AT_name);
  snare_file_symbol s = {.kind = SNARE_FILE_VARIABLE};
  s.name = di_string(named, DW_AT_name);
  if (spec) { /* a static member defined apart: named in its class */
    char scope[512];
    if (snare_type_scope(type_here(r->di, spec), scope, sizeof scope) ==
        SNARE_OK)
      s.name = in_scope(r, scope, s.name);
  } else {
    s.name = in_scope(r, r->scope, s.name);
  }
  s.linkage = di_string(giver(die, spec, DW_AT_linkage_name),
                        DW_AT_linkage_name);
  s.type = type_of(r->di, giver(die, spec, DW_AT_type));
  bool external = di_flag(giver(die, spec, DW_AT_external), DW_AT_external);
  uint64_t address = 1;
  bool keep = s.name != NULL;
  /* (a value its declaration gives, where it has no place of its own) */
  Dwarf_Die valued =
      has(die, DW_AT_location) ? die : giver(die, spec, DW_AT_const_value);
  if (has(valued, DW_AT_const_value)) {
    s.global = external;
    /* gdb's search leaves out a constant of an enum type (qualified, not
       through a typedef): it takes those for enumerators; its name still
       keeps the data symbol out of the listing */
    if (is_enum_constant(r->di, giver(die, spec, DW_AT_type)))
      s.kind = SNARE_FILE_DECLARATION;
  } else if (in_class) {
    keep = false; /* a static member: its definition is listed */
  } else if (has(die, DW_AT_location)) {
    keep = keep && (!di_static_address(die, &address) || address != 0);
    s.global = external;
  } else if (external && s.type.owner) {
    s.kind = SNARE_FILE_DECLARATION;
    s.global = true;
  } else {
    keep = keep && !di_flag(die, DW_AT_declaration);
  }
  if (keep)
    add(r, s, die, spec);
  if (spec)
    dwarf_dealloc_die(spec);
}

static bool is_aggregate(Dwarf_Half tag)
{
  return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
         tag == DW_TAG_class_type || tag == DW_TAG_enumeration_type;
}

/* A named type: base types, typedefs and unspecified types (C++'s
   decltype(nullptr), void to gdb) in the static block; structs,
   unions and enums too in C, in the global block in C++; an aggregate
   only declared (no size) makes no symbol. */
static void read_type(unit_reader *r, Dwarf_Die die, Dwarf_Half tag)
{
  snare_file_symbol s = {.kind = SNARE_FILE_TYPE};
  s.name = in_scope(r, r->scope, di_string(die, DW_AT_name));
  /* gdb names a nameless C++ struct by its linkage name, which a typedef
     gave it (typedef struct {...} div_t) */
  if (!s.name && r->cxx && is_aggregate(tag))
    s.linkage = di_string(die, DW_AT_linkage_name);
  if (!s.name && !s.linkage)
    return;
  if (is_aggregate(tag)) {
    if (di_flag(die, DW_AT_declaration) && !has(die, DW_AT_byte_size))
      return;
    s.global = r->cxx;
  }
  s.type = type_here(r->di, die);
  add(r, s, die, NULL);
}

static void read_children(unit_reader *r, Dwarf_Die parent, bool in_class);

/* Reads the children of C++ scope die (a namespace, or a class for its
   nested types) with its name added to the reader's scope. */
static void read_scope(unit_reader *r, Dwarf_Die die, const char *name,
                       bool in_class)
{
  size_t used = strlen(r->scope);
  snprintf(r->scope + used, sizeof r->scope - used, "%s%s",
           used ? "::" : "", name);
  read_children(r, die, in_class);
  r->scope[used] = '\0';
}

/* A C++ namespace: a symbol of gdb's global block (once per opening),
   and the names it declares. */
static void read_namespace(unit_reader *r, Dwarf_Die die)
{
  const char *own = di_string(die, DW_AT_name);
  if (!own)
    own = "(anonymous namespace)";
  snare_file_symbol s = {.kind = SNARE_FILE_NAMESPACE, .global = true,
                         .type = type_here(r->di, die)};
  s.name = in_scope(r, r->scope, own);
  if (!s.name)
    return;
  add(r, s, die, NULL);
  read_scope(r, die, own, false);
}

/* The symbols of parent's children: variables (in a class only its
   static members' constant values), types, namespaces and the types
   nested in C++ classes. */
static void read_children(unit_reader *r, Dwarf_Die parent, bool in_class)
{
  Dwarf_Die child = NULL;
  if (dwarf_child(parent, &child, NULL) != DW_DLV_OK)
    child = NULL;
  while (child && r->ok) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    /* (clang declares a static member as a member: gdb's
       dwarf2_add_field takes a declared one for static) */
    if (tag == DW_TAG_variable ||
        (in_class && tag == DW_TAG_member &&
         di_flag(child, DW_AT_declaration)))
      read_variable(r, child, in_class);
    else if (tag == DW_TAG_base_type || tag == DW_TAG_typedef ||
             tag == DW_TAG_unspecified_type || is_aggregate(tag))
      read_type(r, child, tag);
    else if (tag == DW_TAG_namespace && r->cxx)
      read_namespace(r, child);
    if (r->cxx && tag != DW_TAG_enumeration_type && is_aggregate(tag)) {
      const char *own = di_string(child, DW_AT_name);
      if (own)
        read_scope(r, child, own, true);
    }
    child = di_next_sibling(r->di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
}

static void read_unit(snare_debuginfo *di, size_t u, bool *ok)
{
  const di_unit *unit = &di->units[u];
  Dwarf_Die cu = NULL;
  if (dwarf_offdie_b(di->dbg, unit->offset, true, &cu, NULL) != DW_DLV_OK)
    return;
  unit_reader r = {.di = di, .unit = unit, .cxx = di_cplus_language(unit->language),
                   .cu_name = unit->name ? unit->name : "", .ok = true};
  r.primary = r.cu_name;
  Dwarf_Small tables = 0;
  Dwarf_Error err = NULL;
  int rc = dwarf_srclines_b(cu, &r.line_version, &tables, &r.lines, &err);
  if (rc == DW_DLV_ERROR)
    dwarf_dealloc_error(di->dbg, err);
  if (rc != DW_DLV_OK)
    r.lines = NULL;
  r.name_count = unit->file_count + 1; /* numbered from 1 before DWARF 5 */
  r.names = calloc(r.name_count, sizeof *r.names);
  r.ok = r.names != NULL;
  /* DWARF 5's file 0 is the unit's own: gdb names it as the table does */
  if (r.ok && r.lines && r.line_version >= 5)
    r.primary = file_named(&r, 0);
  read_children(&r, cu, false);
  if (r.lines)
    dwarf_srclines_dealloc_b(r.lines);
  free(r.names);
  dwarf_dealloc_die(cu);
  *ok = r.ok;
}

snare_status snare_debuginfo_file_symbols(const snare_debuginfo *di,
                                          const snare_file_symbol **symbols,
                                          size_t *count)
{
  snare_debuginfo *cache = (snare_debuginfo *)di;
  bool ok = true;
  if (!cache->file_symbols_read) {
    for (size_t u = 0; u < di->unit_count && ok; u++)
      read_unit(cache, u, &ok);
    if (!ok) {
      di_free_file_symbols(cache);
      return SNARE_NO_MEMORY;
    }
    cache->file_symbols_read = true;
  }
  *symbols = di->file_symbols;
  *count = di->file_symbol_count;
  return SNARE_OK;
}

void di_free_file_symbols(snare_debuginfo *di)
{
  for (size_t i = 0; i < di->file_symbol_file_count; i++)
    free(di->file_symbol_files[i]);
  free(di->file_symbol_files);
  di->file_symbol_files = NULL;
  di->file_symbol_file_count = di->file_symbol_file_cap = 0;
  free(di->file_symbols);
  di->file_symbols = NULL;
  di->file_symbol_count = di->file_symbol_cap = 0;
}
