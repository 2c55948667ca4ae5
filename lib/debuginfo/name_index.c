/*
 * name_index.c - which units may define a function of a given name, so
 * that `break NAME` reads those units only. Built on the first lookup by
 * name from the subprograms a unit declares at its top level and inside
 * its namespaces and classes (not from the code inside functions): their
 * DW_AT_name, and the linkage name of a C function renamed in assembly.
 * An entry is the hash of that base name: a query is reduced to its last
 * component ("Json::Value::get" -> "get", "sum<int>" -> "sum"), and the
 * units found are then searched with the full rules of functions.c.
 * A unit also declares what the partial units it imports declare (dwz
 * moves an inline function's abstract instance there).
 * Mangled queries and a failed build read every unit instead.
 */
#include <stdlib.h>
#include <string.h>

#include "base/demangle.h"
#include "private.h"

typedef struct di_name_entry {
  uint64_t hash;
  size_t unit;
} di_name_entry;

struct di_names {
  di_name_entry *entries; /* sorted by hash, then unit */
  size_t count, cap;
  bool ok;
};

/* FNV-1a over [s, s + n). */
static uint64_t hash_of(const char *s, size_t n)
{
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

static void add(di_names *names, const char *name, size_t unit)
{
  if (!names->ok)
    return;
  if (!di_reserve((void **)&names->entries, &names->cap, names->count,
                  sizeof *names->entries)) {
    names->ok = false;
    return;
  }
  /* A template instance is named "sum<int>": its key is "sum". */
  size_t n = strncmp(name, "operator", 8) == 0 ? strlen(name)
                                                : strcspn(name, "<");
  names->entries[names->count++] = (di_name_entry){hash_of(name, n), unit};
}

static void add_names(di_names *names, Dwarf_Die die, size_t unit)
{
  char *name = NULL;
  if (dwarf_diename(die, &name, NULL) == DW_DLV_OK)
    add(names, name, unit);
  static const Dwarf_Half linkage[] = {DW_AT_linkage_name,
                                       DW_AT_MIPS_linkage_name};
  for (size_t i = 0; i < sizeof linkage / sizeof *linkage; i++) {
    Dwarf_Attribute attr;
    char *value = NULL;
    if (dwarf_attr(die, linkage[i], &attr, NULL) != DW_DLV_OK)
      continue;
    if (dwarf_formstring(attr, &value, NULL) == DW_DLV_OK &&
        !snare_is_mangled(value))
      add(names, value, unit);
    dwarf_dealloc_attribute(attr);
  }
}

/* The names a partial unit declares (dwz's, which units import with
   DW_TAG_imported_unit): read once, added for each unit importing it. */
typedef struct partial_names {
  Dwarf_Off key;
  di_names names; /* unit 0 */
} partial_names;

typedef struct name_scan {
  snare_debuginfo *di;
  partial_names *partials;
  size_t partial_count, partial_cap;
} name_scan;

static void scan(name_scan *s, di_names *names, Dwarf_Die die, size_t unit,
                 bool cxx, unsigned depth);

static const di_names *partial_unit_names(name_scan *s, Dwarf_Die unit,
                                          bool cxx, unsigned depth)
{
  Dwarf_Off key = di_die_key(s->di->dbg, unit);
  for (size_t i = 0; i < s->partial_count; i++)
    if (s->partials[i].key == key)
      return &s->partials[i].names;
  partial_names p = {.key = key, .names = {.ok = true}};
  scan(s, &p.names, unit, 0, cxx, depth + 1);
  if (!di_reserve((void **)&s->partials, &s->partial_cap, s->partial_count,
                  sizeof *s->partials)) {
    free(p.names.entries);
    return NULL;
  }
  s->partials[s->partial_count] = p;
  return &s->partials[s->partial_count++].names;
}

static void scan_import(name_scan *s, di_names *names, Dwarf_Die import,
                        size_t unit, bool cxx, unsigned depth)
{
  Dwarf_Die partial = di_ref(s->di->dbg, import, DW_AT_import);
  const di_names *found =
      partial ? partial_unit_names(s, partial, cxx, depth) : NULL;
  if (partial)
    dwarf_dealloc_die(partial);
  if (!found || !found->ok) {
    names->ok = false; /* a unit's names left out: read every unit */
    return;
  }
  for (size_t i = 0; i < found->count && names->ok; i++) {
    if (!di_reserve((void **)&names->entries, &names->cap, names->count,
                    sizeof *names->entries))
      names->ok = false;
    else
      names->entries[names->count++] =
          (di_name_entry){found->entries[i].hash, unit};
  }
}

/* The subprograms among die's children, and inside the scopes there
   (classes hold functions in C++ only) and the partial units it
   imports. */
static void scan(name_scan *s, di_names *names, Dwarf_Die die, size_t unit,
                 bool cxx, unsigned depth)
{
  Dwarf_Die child = NULL;
  if (depth > 16 || dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return;
  while (child) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if (tag == DW_TAG_subprogram)
      add_names(names, child, unit);
    else if (tag == DW_TAG_imported_unit)
      scan_import(s, names, child, unit, cxx, depth);
    else if (tag == DW_TAG_namespace ||
             (cxx && (tag == DW_TAG_class_type ||
                      tag == DW_TAG_structure_type ||
                      tag == DW_TAG_union_type)))
      scan(s, names, child, unit, cxx, depth + 1);
    child = di_next_sibling(s->di->dbg, child);
  }
}

static int entry_cmp(const void *a, const void *b)
{
  const di_name_entry *x = a, *y = b;
  if (x->hash != y->hash)
    return x->hash < y->hash ? -1 : 1;
  return (x->unit > y->unit) - (x->unit < y->unit);
}

static di_names *build(snare_debuginfo *di)
{
  di_names *names = calloc(1, sizeof *names);
  if (!names)
    return NULL;
  names->ok = true;
  name_scan scanning = {.di = di};
  for (size_t u = 0; u < di->unit_count && names->ok; u++) {
    Dwarf_Die cu = NULL;
    if (dwarf_offdie_b(di->dbg, di->units[u].offset, true, &cu, NULL) !=
        DW_DLV_OK) {
      names->ok = false; /* a unit unread: no unit may be left out */
      break;
    }
    Dwarf_Unsigned language = 0;
    bool cxx = !di_udata(cu, DW_AT_language, &language) ||
               language == DW_LANG_C_plus_plus ||
               language == DW_LANG_C_plus_plus_03 ||
               language == DW_LANG_C_plus_plus_11 ||
               language == DW_LANG_C_plus_plus_14;
    scan(&scanning, names, cu, u, cxx, 0);
    dwarf_dealloc_die(cu);
  }
  for (size_t i = 0; i < scanning.partial_count; i++)
    free(scanning.partials[i].names.entries);
  free(scanning.partials);
  if (names->ok && names->count)
    qsort(names->entries, names->count, sizeof *names->entries, entry_cmp);
  return names;
}

void di_free_names(snare_debuginfo *di)
{
  if (di->names)
    free(di->names->entries);
  free(di->names);
}

/* The last component of a query ("Json::Value::get" -> "get"). */
static const char *base_name(const char *query)
{
  const char *start = query;
  for (const char *p = strstr(query, "::"); p; p = strstr(p + 2, "::"))
    start = p + 2;
  return start;
}

void di_need_name(const snare_debuginfo *di, const char *query)
{
  snare_debuginfo *cache = (snare_debuginfo *)di;
  if (!cache->names && !cache->names_tried) {
    cache->names_tried = true;
    cache->names = build(cache);
  }
  const char *base = base_name(query);
  const di_names *names = cache->names;
  if (!names || !names->ok || !*base || snare_is_mangled(query) ||
      strpbrk(query, "<(") /* templates, parameters: compared in full */) {
    di_need_all(di);
    return;
  }
  uint64_t h = hash_of(base, strlen(base));
  size_t lo = 0, hi = names->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (names->entries[mid].hash < h)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < names->count && names->entries[i].hash == h; i++)
    di_need_unit(di, names->entries[i].unit);
}
