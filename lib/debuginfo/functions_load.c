/*
 * functions_load.c - walking the DIE tree for the scopes that own code:
 * subprograms, inlined subroutines and the lexical blocks gdb keeps
 * (those declaring something), with their address ranges.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/demangle.h"
#include "private.h"

/* What the walk of one unit needs. */
typedef struct unit_walk {
  snare_debuginfo *di;
  Dwarf_Half version;
  Dwarf_Off unit; /* its DIE's offset */
  uint64_t base; /* the unit's base address for DWARF 4 range lists */
  char **files;  /* dwarf_srcfiles of the unit */
  Dwarf_Signed file_count;
  const char *comp_dir; /* the unit's DW_AT_comp_dir, or NULL */
  bool cxx; /* a C++ unit, whose classes may hold function definitions */
} unit_walk;

static bool has_attr(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Bool yes = 0;
  return die && dwarf_hasattr(die, at, &yes, NULL) == DW_DLV_OK && yes;
}

/* The DIE that carries the name and declaration of a concrete one. */
static Dwarf_Die origin_of(Dwarf_Debug dbg, Dwarf_Die die)
{
  Dwarf_Die o = di_ref(dbg, die, DW_AT_abstract_origin);
  if (!o)
    o = di_ref(dbg, die, DW_AT_specification);
  if (o && !has_attr(o, DW_AT_name)) {
    Dwarf_Die deeper = origin_of(dbg, o);
    if (deeper) {
      dwarf_dealloc_die(o);
      o = deeper;
    }
  }
  return o;
}

static const char *file_name(unit_walk *w, Dwarf_Unsigned index)
{
  /* DWARF 5 numbers files from 0, earlier versions from 1. */
  Dwarf_Signed i = (Dwarf_Signed)index - (w->version >= 5 ? 0 : 1);
  if (i < 0 || i >= w->file_count)
    return NULL;
  return di_intern(w->di, di_file_name(w->files[i], w->comp_dir));
}

/*
 * The file decl's DW_AT_decl_file names: in the walked unit's line table,
 * or, for a DIE of another unit (a partial unit dwz moved an abstract
 * instance to, in the object or its alternate file), in that unit's.
 */
static const char *decl_file_name(unit_walk *w, Dwarf_Die decl,
                                  Dwarf_Unsigned index)
{
  Dwarf_Debug dbg = di_die_debug(w->di->dbg, decl);
  Dwarf_Off unit = 0;
  if (dwarf_CU_dieoffset_given_die(decl, &unit, NULL) != DW_DLV_OK)
    return NULL;
  if (dbg == w->di->dbg && unit == w->unit)
    return file_name(w, index);
  Dwarf_Die cu =
      di_key_die(w->di->dbg, dbg == w->di->dbg ? unit : unit | DI_ALT_KEY);
  char **files = NULL;
  Dwarf_Signed count = 0;
  Dwarf_Half version = 0, offset_size = 0;
  const char *name = NULL;
  if (cu && dwarf_get_version_of_die(cu, &version, &offset_size) ==
                DW_DLV_OK &&
      dwarf_srcfiles(cu, &files, &count, NULL) == DW_DLV_OK) {
    Dwarf_Signed i = (Dwarf_Signed)index - (version >= 5 ? 0 : 1);
    if (i >= 0 && i < count)
      name = di_intern(w->di, di_file_name(files[i], di_comp_dir(cu)));
    for (Dwarf_Signed k = 0; k < count; k++)
      dwarf_dealloc(dbg, files[k], DW_DLA_STRING);
    dwarf_dealloc(dbg, files, DW_DLA_LIST);
  }
  if (cu)
    dwarf_dealloc_die(cu);
  return name;
}

static bool push_range(snare_address_range **ranges, size_t *n, size_t *cap,
                       uint64_t low, uint64_t high)
{
  if (high <= low)
    return true;
  if (!di_reserve((void **)ranges, cap, *n, sizeof **ranges))
    return false;
  (*ranges)[(*n)++] = (snare_address_range){low, high};
  return true;
}

static bool read_rnglists(unit_walk *w, Dwarf_Die die, Dwarf_Attribute attr,
                          snare_address_range **ranges, size_t *n,
                          size_t *cap)
{
  if (!di_list_attr_safe(w->di->lists, die, attr, false))
    return true;
  Dwarf_Half form = 0;
  Dwarf_Unsigned value = 0, count = 0, global = 0;
  Dwarf_Rnglists_Head head = NULL;
  if (dwarf_whatform(attr, &form, NULL) != DW_DLV_OK)
    return true;
  if (form == DW_FORM_sec_offset) {
    Dwarf_Off off = 0;
    if (dwarf_global_formref(attr, &off, NULL) != DW_DLV_OK)
      return true;
    value = off;
  } else if (dwarf_formudata(attr, &value, NULL) != DW_DLV_OK) {
    return true;
  }
  if (dwarf_rnglists_get_rle_head(attr, form, value, &head, &count, &global,
                                  NULL) != DW_DLV_OK)
    return true;
  bool ok = true;
  for (Dwarf_Unsigned i = 0; ok && i < count; i++) {
    unsigned len = 0, code = 0;
    Dwarf_Unsigned raw1, raw2, lo = 0, hi = 0;
    Dwarf_Bool unavailable = 0;
    if (dwarf_get_rnglists_entry_fields_a(head, i, &len, &code, &raw1, &raw2,
                                          &unavailable, &lo, &hi,
                                          NULL) != DW_DLV_OK)
      break;
    bool is_range = code == DW_RLE_offset_pair || code == DW_RLE_start_end ||
                    code == DW_RLE_start_length ||
                    code == DW_RLE_startx_endx || code == DW_RLE_startx_length;
    if (is_range && !unavailable)
      ok = push_range(ranges, n, cap, lo, hi);
  }
  dwarf_dealloc_rnglists_head(head);
  return ok;
}

static bool read_ranges4(unit_walk *w, Dwarf_Die die, Dwarf_Attribute attr,
                         snare_address_range **ranges, size_t *n, size_t *cap)
{
  Dwarf_Off off = 0;
  Dwarf_Ranges *list = NULL;
  Dwarf_Signed count = 0;
  Dwarf_Unsigned bytes = 0;
  if (dwarf_global_formref(attr, &off, NULL) != DW_DLV_OK ||
      dwarf_get_ranges_a(w->di->dbg, off, die, &list, &count, &bytes,
                         NULL) != DW_DLV_OK)
    return true;
  uint64_t base = w->base;
  bool ok = true;
  for (Dwarf_Signed i = 0; ok && i < count; i++) {
    if (list[i].dwr_type == DW_RANGES_ADDRESS_SELECTION)
      base = list[i].dwr_addr2;
    else if (list[i].dwr_type == DW_RANGES_ENTRY)
      ok = push_range(ranges, n, cap, base + list[i].dwr_addr1,
                      base + list[i].dwr_addr2);
  }
  dwarf_ranges_dealloc(w->di->dbg, list, count);
  return ok;
}

/* The ranges of die in DWARF order; false only on no memory. */
static bool read_ranges(unit_walk *w, Dwarf_Die die,
                        snare_address_range **ranges, size_t *n)
{
  size_t cap = 0;
  *ranges = NULL;
  *n = 0;
  Dwarf_Addr low = 0, high = 0;
  Dwarf_Half form = 0;
  enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
  if (dwarf_lowpc(die, &low, NULL) == DW_DLV_OK &&
      dwarf_highpc_b(die, &high, &form, &cls, NULL) == DW_DLV_OK) {
    if (cls == DW_FORM_CLASS_CONSTANT)
      high += low;
    return push_range(ranges, n, &cap, low, high);
  }
  Dwarf_Attribute attr;
  if (dwarf_attr(die, DW_AT_ranges, &attr, NULL) != DW_DLV_OK)
    return true;
  bool ok = w->version >= 5 ? read_rnglists(w, die, attr, ranges, n, &cap)
                            : read_ranges4(w, die, attr, ranges, n, &cap);
  dwarf_dealloc_attribute(attr);
  return ok;
}

static int range_cmp(const void *a, const void *b)
{
  const snare_address_range *x = a, *y = b;
  return (x->low > y->low) - (x->low < y->low);
}

static bool declares_something(Dwarf_Debug dbg, Dwarf_Die die)
{
  Dwarf_Die child = NULL;
  bool found = false;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return false;
  while (child && !found) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    found = tag == DW_TAG_variable || tag == DW_TAG_label ||
            tag == DW_TAG_typedef || tag == DW_TAG_structure_type ||
            tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type;
    child = di_next_sibling(dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return found;
}

static char *die_name(Dwarf_Die die, Dwarf_Die origin)
{
  char *name = NULL;
  if (dwarf_diename(die, &name, NULL) != DW_DLV_OK &&
      (!origin || dwarf_diename(origin, &name, NULL) != DW_DLV_OK))
    return NULL;
  return strdup(name);
}

/* A string attribute of die, copied, or NULL. */
static char *string_attr(Dwarf_Die die, Dwarf_Half at)
{
  Dwarf_Attribute attr;
  char *value = NULL, *copy = NULL;
  if (!die || dwarf_attr(die, at, &attr, NULL) != DW_DLV_OK)
    return NULL;
  if (dwarf_formstring(attr, &value, NULL) == DW_DLV_OK)
    copy = strdup(value);
  dwarf_dealloc_attribute(attr);
  return copy;
}

static char *own_linkage_name(Dwarf_Die d)
{
  char *name = string_attr(d, DW_AT_linkage_name);
  return name ? name : string_attr(d, DW_AT_MIPS_linkage_name);
}

/* The mangled name of a C++ function: on its DIE, or on the abstract
   instance or declaration it completes, nearest first (clang puts a
   constructor's on the abstract instance between an inlined copy and the
   class's declaration), or NULL. */
static char *linkage_name(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Die origin)
{
  char *name = own_linkage_name(die);
  Dwarf_Die d = NULL;
  for (int hops = 0; !name && hops < 4; hops++) {
    Dwarf_Die from = d ? d : die;
    Dwarf_Die next = di_ref(dbg, from, DW_AT_abstract_origin);
    if (!next)
      next = di_ref(dbg, from, DW_AT_specification);
    if (d)
      dwarf_dealloc_die(d);
    if (!(d = next))
      break;
    name = own_linkage_name(d);
  }
  if (d)
    dwarf_dealloc_die(d);
  return name ? name : own_linkage_name(origin);
}

/*
 * A function's name as people write it: a C++ function's is qualified by
 * its namespaces and classes ("geo::Square::area"), which DW_AT_name
 * lacks, so it comes from demangling the linkage name.
 */
static char *function_name(Dwarf_Debug dbg, di_function *fn, Dwarf_Die die,
                           Dwarf_Die origin)
{
  fn->linkage = linkage_name(dbg, die, origin);
  char *qualified = fn->linkage ? snare_demangle_qualified(fn->linkage) : NULL;
  if (qualified || !fn->linkage || snare_is_mangled(fn->linkage))
    return qualified ? qualified : die_name(die, origin);
  /* A C function renamed in assembly (glibc's hidden aliases: getenv is
     "__GI_getenv") goes by that name in gdb's frames; its DW_AT_name
     stays a name to look it up by. */
  char *source_name = die_name(die, origin);
  char *shown = fn->linkage;
  fn->linkage = source_name;
  fn->source_alias = true;
  return shown;
}

static void param_format(Dwarf_Debug dbg, Dwarf_Die param, Dwarf_Die origin,
                         char out[2], char **enums);

/* Room for `cap` parameters' formats and enumerators, from old_cap. */
static bool grow_param_details(di_function *fn, size_t old_cap, size_t cap)
{
  if (old_cap == cap)
    return true;
  char *formats = realloc(fn->param_formats, 2 * cap + 1);
  if (formats == NULL)
    return false;
  fn->param_formats = formats;
  char **enums = realloc(fn->param_enums, cap * sizeof *enums);
  if (enums == NULL)
    return false;
  fn->param_enums = enums;
  return true;
}

/* Parameter names (and formats) of a function DIE (concrete or
   abstract). */
static bool read_params(snare_debuginfo *di, Dwarf_Die die, di_function *fn)
{
  Dwarf_Die child = NULL;
  size_t cap = 0;
  bool ok = true;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return true;
  while (child && ok) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if (tag == DW_TAG_formal_parameter) {
      Dwarf_Die origin = origin_of(di->dbg, child);
      char *name = die_name(child, origin);
      char format[2], *enums = NULL;
      param_format(di->dbg, child, origin, format, &enums);
      if (origin)
        dwarf_dealloc_die(origin);
      size_t old_cap = cap;
      ok = di_reserve((void **)&fn->params, &cap, fn->info.param_count,
                      sizeof *fn->params) &&
           grow_param_details(fn, old_cap, cap);
      if (ok) {
        memcpy(&fn->param_formats[2 * fn->info.param_count], format, 2);
        fn->param_enums[fn->info.param_count] = enums;
        fn->params[fn->info.param_count++] = name ? name : strdup("");
        fn->param_formats[2 * fn->info.param_count] = '\0';
      } else {
        free(name);
        free(enums);
      }
    }
    child = di_next_sibling(di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return ok;
}

static uint64_t entry_of(Dwarf_Die die, const snare_address_range *first)
{
  Dwarf_Attribute attr;
  Dwarf_Addr entry = first->low;
  Dwarf_Half form = 0;
  if (dwarf_attr(die, DW_AT_entry_pc, &attr, NULL) == DW_DLV_OK) {
    if (dwarf_whatform(attr, &form, NULL) == DW_DLV_OK &&
        dwarf_formaddr(attr, &entry, NULL) != DW_DLV_OK)
      entry = first->low;
    dwarf_dealloc_attribute(attr);
  }
  return entry;
}

/* Records a function or inlined instance; false on no memory. */
/* Follows DW_AT_type through typedefs and qualifiers to what a function
   returns; takes ownership of type. */
static snare_return_kind scalar_kind(Dwarf_Debug dbg, Dwarf_Die type,
                                     unsigned *size)
{
  snare_return_kind kind = SNARE_RETURNS_UNKNOWN;
  for (int hops = 0; type != NULL && hops < 32; hops++) {
    Dwarf_Half tag = 0;
    if (dwarf_tag(type, &tag, NULL) != DW_DLV_OK)
      break;
    if (tag == DW_TAG_typedef || tag == DW_TAG_const_type ||
        tag == DW_TAG_volatile_type || tag == DW_TAG_restrict_type) {
      Dwarf_Die next = di_ref(dbg, type, DW_AT_type);
      dwarf_dealloc_die(type);
      type = next;
      continue;
    }
    Dwarf_Unsigned bytes = 0, encoding = 0;
    di_udata(type, DW_AT_byte_size, &bytes);
    if (tag == DW_TAG_pointer_type || tag == DW_TAG_enumeration_type)
      kind = SNARE_RETURNS_INTEGER;
    else if (tag == DW_TAG_base_type &&
             di_udata(type, DW_AT_encoding, &encoding) && bytes <= 8)
      kind = encoding == DW_ATE_float ? SNARE_RETURNS_FLOAT
                                      : SNARE_RETURNS_INTEGER;
    *size = kind == SNARE_RETURNS_UNKNOWN ? 0 : (unsigned)bytes;
    break;
  }
  if (type != NULL)
    dwarf_dealloc_die(type);
  return kind;
}

/* "RED=0;GREEN=5" of an enumeration type; NULL if it has none. */
static char *enumerators_text(Dwarf_Debug dbg, Dwarf_Die type)
{
  Dwarf_Die child = NULL;
  if (dwarf_child(type, &child, NULL) != DW_DLV_OK)
    return NULL;
  char *text = NULL;
  size_t length = 0;
  while (child) {
    Dwarf_Unsigned value = 0;
    char *name = NULL;
    if (di_udata(child, DW_AT_const_value, &value) &&
        dwarf_diename(child, &name, NULL) == DW_DLV_OK) {
      char item[256];
      int n = snprintf(item, sizeof item, "%s%s=%lld", length ? ";" : "",
                       name, (long long)value);
      char *grown = n > 0 ? realloc(text, length + (size_t)n + 1) : NULL;
      if (grown != NULL) {
        memcpy(grown + length, item, (size_t)n + 1);
        text = grown;
        length += (size_t)n;
      }
    }
    child = di_next_sibling(dbg, child);
  }
  return text;
}

/* The format of a parameter's value (snare.h, param_formats), from the
   type of its DIE or of its abstract origin's; *enums (if not NULL) the
   enumerators of an enum's, malloc'd, else NULL. */
static void param_format(Dwarf_Debug dbg, Dwarf_Die param, Dwarf_Die origin,
                         char out[2], char **enums)
{
  if (enums != NULL)
    *enums = NULL;
  out[0] = '?';
  out[1] = '0';
  Dwarf_Die type = di_ref(dbg, param, DW_AT_type);
  if (type == NULL && origin != NULL)
    type = di_ref(dbg, origin, DW_AT_type);
  bool pointer = false;
  for (int hops = 0; type != NULL && hops < 32; hops++) {
    Dwarf_Half tag = 0;
    if (dwarf_tag(type, &tag, NULL) != DW_DLV_OK)
      break;
    bool qualifier = tag == DW_TAG_typedef || tag == DW_TAG_const_type ||
                     tag == DW_TAG_volatile_type || tag == DW_TAG_restrict_type;
    if (tag == DW_TAG_pointer_type && !pointer) {
      out[0] = 'p';
      out[1] = '8';
      pointer = true; /* is it char *? */
    } else if (!qualifier) {
      Dwarf_Unsigned bytes = 0, encoding = 0;
      di_udata(type, DW_AT_byte_size, &bytes);
      bool base = tag == DW_TAG_base_type &&
                  di_udata(type, DW_AT_encoding, &encoding);
      /* Strings are char *, as uftrace's; unsigned char * are bytes. */
      bool character = base && bytes == 1 && encoding == DW_ATE_signed_char;
      if (pointer) {
        if (character)
          out[0] = 's';
      } else if (tag == DW_TAG_enumeration_type && bytes <= 8) {
        out[0] = 'e';
        out[1] = (char)('0' + bytes);
        if (enums != NULL)
          *enums = enumerators_text(dbg, type);
      } else if (base && bytes <= 8) {
        out[0] = encoding == DW_ATE_float ? 'f'
                 : encoding == DW_ATE_signed || encoding == DW_ATE_signed_char
                     ? 'd'
                     : 'u';
        out[1] = (char)('0' + bytes);
      }
      break;
    }
    Dwarf_Die next = di_ref(dbg, type, DW_AT_type);
    dwarf_dealloc_die(type);
    type = next;
  }
  if (type != NULL)
    dwarf_dealloc_die(type);
}

static snare_return_kind return_kind(Dwarf_Debug dbg, Dwarf_Die fn,
                                     unsigned *size)
{
  *size = 0;
  if (!has_attr(fn, DW_AT_type))
    return SNARE_RETURNS_NOTHING;
  return scalar_kind(dbg, di_ref(dbg, fn, DW_AT_type), size);
}

static bool add_function(unit_walk *w, Dwarf_Die die, bool inlined,
                         snare_address_range *ranges, size_t n, long *index)
{
  snare_debuginfo *di = w->di;
  if (!di_reserve((void **)&di->functions, &di->function_cap,
                  di->function_count, sizeof *di->functions))
    return false;
  di_function *fn = &di->functions[di->function_count];
  *fn = (di_function){.ranges = ranges};
  fn->info.inlined = inlined;
  fn->info.entry = entry_of(die, &ranges[0]);
  fn->die = di_die_key(di->dbg, die);
  fn->first_low = ranges[0].low;
  qsort(ranges, n, sizeof *ranges, range_cmp);
  fn->info.range_count = n;
  Dwarf_Die origin = origin_of(di->dbg, die);
  Dwarf_Die decl = origin && !has_attr(die, DW_AT_decl_line) ? origin : die;
  fn->name = function_name(di->dbg, fn, die, origin);
  Dwarf_Unsigned v = 0;
  if (di_udata(decl, DW_AT_decl_file, &v))
    fn->info.decl_file = decl_file_name(w, decl, v);
  if (di_udata(decl, DW_AT_decl_line, &v))
    fn->info.decl_line = (unsigned)v;
  if (inlined && di_udata(die, DW_AT_call_file, &v))
    fn->info.call_file = file_name(w, v);
  if (inlined && di_udata(die, DW_AT_call_line, &v))
    fn->info.call_line = (unsigned)v;
  /* The abstract origin lists parameters in declaration order; concrete
     instances may not. */
  bool ok = read_params(di, origin ? origin : die, fn);
  fn->info.returns =
      return_kind(di->dbg, origin ? origin : die, &fn->info.return_size);
  /* A function's DW_AT_type is its return type. */
  char format[3] = {0};
  param_format(di->dbg, die, origin, format, &fn->return_enums);
  fn->return_format = malloc(sizeof format);
  if (fn->return_format != NULL)
    memcpy(fn->return_format, format, sizeof format);
  ok = ok && fn->return_format != NULL;
  if (origin)
    dwarf_dealloc_die(origin);
  *index = (long)di->function_count++;
  return ok;
}

static bool walk(unit_walk *w, Dwarf_Die die, unsigned depth, long parent);

static bool visit(unit_walk *w, Dwarf_Die die, unsigned depth, long parent)
{
  Dwarf_Half tag = 0;
  if (dwarf_tag(die, &tag, NULL) != DW_DLV_OK)
    return true;
  di_block_kind kind;
  if (tag == DW_TAG_subprogram)
    kind = DI_BLOCK_FUNCTION;
  else if (tag == DW_TAG_inlined_subroutine)
    kind = DI_BLOCK_INLINED;
  else if (tag == DW_TAG_lexical_block)
    kind = DI_BLOCK_LEXICAL;
  else if (tag == DW_TAG_namespace ||
           (w->cxx && (tag == DW_TAG_class_type ||
                       tag == DW_TAG_structure_type ||
                       tag == DW_TAG_union_type)))
    /* C++ scopes: functions defined inside them own code at top level.
       A C struct holds none, so its members are not walked. */
    return walk(w, die, depth, parent);
  else
    return true;
  snare_address_range *ranges;
  size_t n;
  if (!read_ranges(w, die, &ranges, &n))
    return false;
  if (n == 0) {
    free(ranges);
    /* Abstract instances own no code; blocks without ranges may nest. */
    return kind == DI_BLOCK_LEXICAL ? walk(w, die, depth, parent) : true;
  }
  if (kind == DI_BLOCK_LEXICAL && !declares_something(w->di->dbg, die)) {
    free(ranges);
    return walk(w, die, depth, parent);
  }
  snare_debuginfo *di = w->di;
  long fn = -1;
  if (kind != DI_BLOCK_LEXICAL) {
    if (!add_function(w, die, kind == DI_BLOCK_INLINED, ranges, n, &fn))
      return false;
  } else {
    qsort(ranges, n, sizeof *ranges, range_cmp);
  }
  if (!di_reserve((void **)&di->blocks, &di->block_cap, di->block_count,
                  sizeof *di->blocks)) {
    if (fn < 0)
      free(ranges);
    return false;
  }
  long self = (long)di->block_count++;
  Dwarf_Off off = di_die_key(di->dbg, die);
  di->blocks[self] = (di_block){.kind = kind, .depth = depth, .die = off,
                                .parent = parent, .ranges = ranges,
                                .range_count = n, .function = fn,
                                .owns_ranges = fn < 0};
  return walk(w, die, depth + 1, self);
}

/* Visits the children of die. */
static bool walk(unit_walk *w, Dwarf_Die die, unsigned depth, long parent)
{
  Dwarf_Die child = NULL;
  bool ok = true;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return true;
  while (child && ok) {
    ok = visit(w, child, depth, parent);
    child = di_next_sibling(w->di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return ok;
}

static bool walk_unit(snare_debuginfo *di, Dwarf_Die cu, Dwarf_Half version)
{
  unit_walk w = {.di = di, .version = version, .comp_dir = di_comp_dir(cu),
                 .unit = di_die_key(di->dbg, cu)};
  Dwarf_Unsigned language = 0;
  if (di_udata(cu, DW_AT_language, &language))
    w.cxx = language == DW_LANG_C_plus_plus ||
            language == DW_LANG_C_plus_plus_03 ||
            language == DW_LANG_C_plus_plus_11 ||
            language == DW_LANG_C_plus_plus_14;
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(cu, &low, NULL) == DW_DLV_OK)
    w.base = low;
  if (dwarf_srcfiles(cu, &w.files, &w.file_count, NULL) != DW_DLV_OK) {
    w.files = NULL;
    w.file_count = 0;
  }
  bool ok = walk(&w, cu, 0, -1);
  for (Dwarf_Signed i = 0; i < w.file_count; i++)
    dwarf_dealloc(di->dbg, w.files[i], DW_DLA_STRING);
  if (w.files)
    dwarf_dealloc(di->dbg, w.files, DW_DLA_LIST);
  return ok;
}

snare_status di_load_unit_functions(snare_debuginfo *di, Dwarf_Die cu,
                                    Dwarf_Half version)
{
  return walk_unit(di, cu, version) ? SNARE_OK : SNARE_NO_MEMORY;
}

snare_status di_finish_functions(snare_debuginfo *di, size_t first)
{
  for (size_t i = first; i < di->function_count; i++) {
    di_function *fn = &di->functions[i];
    snare_function_info *info = &fn->info;
    info->name = fn->name;
    info->linkage_name = snare_is_mangled(fn->linkage) ? fn->linkage : NULL;
    fn->exported = malloc(info->range_count * sizeof *fn->exported);
    if (!fn->exported)
      return SNARE_NO_MEMORY;
    for (size_t k = 0; k < info->range_count; k++)
      fn->exported[k] = (snare_address_range){fn->ranges[k].low + di->bias,
                                              fn->ranges[k].high + di->bias};
    info->ranges = fn->exported;
    info->params = (const char *const *)fn->params;
    info->param_formats = fn->param_formats;
    info->param_enums = (const char *const *)fn->param_enums;
    info->return_format = fn->return_format;
    info->return_enums = fn->return_enums;
    di_place_function(di, fn, fn->ranges[fn->info.range_count - 1].high);
  }
  return SNARE_OK;
}

bool di_unit_ranges(snare_debuginfo *di, Dwarf_Die cu, Dwarf_Half version,
                    snare_address_range **ranges, size_t *n)
{
  unit_walk w = {.di = di, .version = version};
  Dwarf_Addr low = 0;
  if (dwarf_lowpc(cu, &low, NULL) == DW_DLV_OK)
    w.base = low;
  return read_ranges(&w, cu, ranges, n);
}

void di_free_functions(snare_debuginfo *di)
{
  for (size_t i = 0; i < di->function_count; i++) {
    di_function *fn = &di->functions[i];
    free(fn->name);
    free(fn->linkage);
    free(fn->ranges);
    free(fn->exported);
    for (size_t k = 0; k < fn->info.param_count; k++)
      free(fn->params[k]);
    for (size_t k = 0; fn->param_enums != NULL && k < fn->info.param_count; k++)
      free(fn->param_enums[k]);
    free(fn->params);
    free(fn->param_formats);
    free(fn->param_enums);
    free(fn->return_format);
    free(fn->return_enums);
  }
  free(di->functions);
  for (size_t i = 0; i < di->block_count; i++)
    if (di->blocks[i].owns_ranges)
      free(di->blocks[i].ranges);
  free(di->blocks);
}
