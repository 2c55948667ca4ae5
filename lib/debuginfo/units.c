/*
 * units.c - reading DWARF per compilation unit, when a question needs it
 * (gdb's psymtab/cooked-index idea at snare's scale): opening a handle
 * reads only each unit's header, address ranges and file names; a unit's
 * line program and DIE tree are read the first time an address in its
 * ranges, one of its files, or a function name is asked about. A large
 * object answers its first breakpoint after reading one unit, not all.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

static bool add_unit(snare_debuginfo *di, Dwarf_Die cu, Dwarf_Half version)
{
  if (!di_reserve((void **)&di->units, &di->unit_cap, di->unit_count,
                  sizeof *di->units))
    return false;
  di_unit *u = &di->units[di->unit_count++];
  *u = (di_unit){.version = version};
  dwarf_dieoffset(cu, &u->offset, NULL);
  Dwarf_Unsigned language = 0;
  if (di_udata(cu, DW_AT_language, &language))
    u->language = (unsigned)language;
  u->name = di_string(cu, DW_AT_name);
  u->comp_dir = di_comp_dir(cu);
  u->producer = di_string(cu, DW_AT_producer);
  Dwarf_Bool has = false;
  static const Dwarf_Half macro_attributes[] = {DW_AT_macros, DW_AT_macro_info,
                                                DW_AT_GNU_macros};
  for (size_t i = 0; i < sizeof macro_attributes / sizeof *macro_attributes;
       i++)
    if (!has && dwarf_hasattr(cu, macro_attributes[i], &has, NULL) !=
                    DW_DLV_OK)
      has = false;
  u->macros = has;
  if (!di_unit_ranges(di, cu, version, &u->ranges, &u->range_count))
    return false;
  char **files = NULL;
  Dwarf_Signed count = 0;
  if (dwarf_srcfiles(cu, &files, &count, NULL) != DW_DLV_OK)
    return true; /* no line table: found by address only */
  const char *comp_dir = di_comp_dir(cu);
  u->files = calloc(count > 0 ? (size_t)count : 1, sizeof *u->files);
  bool ok = u->files != NULL;
  for (Dwarf_Signed i = 0; i < count; i++) {
    if (ok && (u->files[i] = strdup(di_file_name(files[i], comp_dir))))
      u->file_count++;
    else
      ok = false;
    dwarf_dealloc(di->dbg, files[i], DW_DLA_STRING);
  }
  dwarf_dealloc(di->dbg, files, DW_DLA_LIST);
  return ok;
}

/* FNV-1a of a file's base name (after its last '/'). */
static uint64_t base_hash(const char *path)
{
  const char *base = strrchr(path, '/');
  uint64_t h = 14695981039346656037ull;
  for (const char *p = base ? base + 1 : path; *p; p++)
    h = (h ^ (uint8_t)*p) * 1099511628211ull;
  return h;
}

static int key_cmp(const void *a, const void *b)
{
  const di_file_key *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return (x->unit > y->unit) - (x->unit < y->unit);
}

/* Every unit's files by the hash of their base names, so that a
   `file:line` looks at the units that may name it only. */
static bool index_files(snare_debuginfo *di)
{
  size_t n = 0;
  for (size_t i = 0; i < di->unit_count; i++)
    n += di->units[i].file_count;
  di->file_keys = malloc((n ? n : 1) * sizeof *di->file_keys);
  if (!di->file_keys)
    return false;
  for (size_t i = 0; i < di->unit_count; i++)
    for (size_t k = 0; k < di->units[i].file_count; k++)
      di->file_keys[di->file_key_count++] =
          (di_file_key){base_hash(di->units[i].files[k]), i};
  qsort(di->file_keys, di->file_key_count, sizeof *di->file_keys, key_cmp);
  return true;
}

snare_status di_index_units(snare_debuginfo *di)
{
  bool ok = true;
  for (;;) {
    Dwarf_Half version = 0;
    Dwarf_Unsigned next = 0;
    Dwarf_Half cu_type = 0;
    Dwarf_Error err = NULL;
    int rc = dwarf_next_cu_header_d(di->dbg, true, NULL, &version, NULL, NULL,
                                    NULL, NULL, NULL, NULL, &next, &cu_type,
                                    &err);
    if (rc == DW_DLV_NO_ENTRY)
      break;
    if (rc == DW_DLV_ERROR) {
      dwarf_dealloc_error(di->dbg, err);
      return SNARE_LOAD_FAILED;
    }
    Dwarf_Die cu = NULL;
    /* Keep walking after a failure: libdwarf only rewinds at the end. */
    if (ok && dwarf_siblingof_b(di->dbg, NULL, true, &cu, NULL) == DW_DLV_OK) {
      /* dwz's partial units are read through the units importing them,
         as gdb does: their line tables are those units' own. */
      Dwarf_Half tag = 0;
      if (dwarf_tag(cu, &tag, NULL) == DW_DLV_OK && tag != DW_TAG_partial_unit)
        ok = add_unit(di, cu, version);
      dwarf_dealloc_die(cu);
    }
  }
  return ok && index_files(di) ? SNARE_OK : SNARE_NO_MEMORY;
}

void di_free_units(snare_debuginfo *di)
{
  free(di->file_keys);
  for (size_t i = 0; i < di->unit_count; i++) {
    di_unit *u = &di->units[i];
    free(u->ranges);
    for (size_t k = 0; k < u->file_count; k++)
      free(u->files[k]);
    free(u->files);
  }
  free(di->units);
}

/*
 * Reads unit u's lines, then its DIE tree, then indexes both and places
 * its functions. A unit that fails to read keeps what was read of it:
 * corrupted DWARF answers less, never fails the handle. No memory leaves
 * the unit partly indexed; the next question retries nothing.
 */
static void load(snare_debuginfo *di, size_t u)
{
  di_unit *unit = &di->units[u];
  if (unit->loaded)
    return;
  unit->loaded = true;
  Dwarf_Die cu = NULL;
  if (dwarf_offdie_b(di->dbg, unit->offset, true, &cu, NULL) != DW_DLV_OK)
    return;
  size_t first_function = di->function_count;
  di_load_unit_lines(di, cu, u);
  snare_status st = di_load_unit_functions(di, cu, unit->version);
  dwarf_dealloc_die(cu);
  if (st == SNARE_OK)
    st = di_build_indexes(di);
  if (st == SNARE_OK)
    di_finish_functions(di, first_function);
}

static bool covers(const di_unit *u, uint64_t addr)
{
  for (size_t i = 0; i < u->range_count; i++)
    if (addr >= u->ranges[i].low && addr < u->ranges[i].high)
      return true;
  return false;
}

/* The handle is a cache of what was read: filling it changes no answer. */
static snare_debuginfo *cache(const snare_debuginfo *di)
{
  return (snare_debuginfo *)di;
}

void di_need_address(const snare_debuginfo *di, uint64_t addr)
{
  bool found = false;
  for (size_t i = 0; i < di->unit_count; i++) {
    if (covers(&di->units[i], addr)) {
      load(cache(di), i);
      found = true;
    }
  }
  /* A unit that gives no ranges may still hold the address. */
  for (size_t i = 0; !found && i < di->unit_count; i++)
    if (di->units[i].range_count == 0)
      load(cache(di), i);
}

void di_need_file(const snare_debuginfo *di, const char *file)
{
  uint64_t h = base_hash(file);
  size_t lo = 0, hi = di->file_key_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (di->file_keys[mid].hash < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < di->file_key_count && di->file_keys[i].hash == h;
       i++) {
    const di_unit *u = &di->units[di->file_keys[i].unit];
    if (u->loaded)
      continue;
    bool named = false;
    for (size_t k = 0; !named && k < u->file_count; k++)
      named = di_file_matches(u->files[k], file);
    if (named)
      load(cache(di), di->file_keys[i].unit);
  }
}

void di_need_unit(const snare_debuginfo *di, size_t unit)
{
  if (unit < di->unit_count)
    load(cache(di), unit);
}

void di_need_all(const snare_debuginfo *di)
{
  for (size_t i = 0; i < di->unit_count; i++)
    load(cache(di), i);
}

/*
 * gdb's name of a source file (its symtab's): the file as the line table
 * and DW_AT_name write it (the subfile's name), which libdwarf joined to
 * the directories ("/build/../src/x.c" is "../src/x.c").
 */
snare_status snare_debuginfo_source_name(const snare_debuginfo *di,
                                         uint64_t addr, const char *path,
                                         const char **out)
{
  if (!di || !path || !out)
    return SNARE_INVALID_ARGUMENT;
  for (size_t i = 0; i < di->unit_count; i++) {
    if (!covers(&di->units[i], addr - di->bias))
      continue;
    *out = path;
    for (size_t k = 0; k < di->subfile_count; k++) {
      const di_subfile *sf = &di->subfiles[k];
      if (sf->unit == i && sf->name && strcmp(sf->path, path) == 0) {
        *out = sf->name;
        break;
      }
    }
    return SNARE_OK;
  }
  return SNARE_NOT_FOUND;
}

snare_status snare_debuginfo_unit_at(const snare_debuginfo *di, uint64_t addr,
                                     snare_unit_info *out)
{
  if (!di || !out)
    return SNARE_INVALID_ARGUMENT;
  /* the first unit holding it that has a language, else the first */
  const di_unit *found = NULL;
  for (size_t i = 0; i < di->unit_count && !(found && found->language); i++)
    if (covers(&di->units[i], addr - di->bias) &&
        (found == NULL || di->units[i].language))
      found = &di->units[i];
  if (found == NULL)
    return SNARE_NOT_FOUND;
  *out = (snare_unit_info){found->name,     found->comp_dir, found->producer,
                           found->language, found->version,  found->macros};
  return SNARE_OK;
}
