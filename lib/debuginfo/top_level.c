/*
 * top_level.c - the top-level DIEs of every unit: walked in order (the
 * partial units a unit imports included), and indexed by name for the
 * lookups that want only the DIEs of one name.
 *
 * Why the index: a lookup by name (a type, a global, a static member
 * of a class) walked every unit's top level, libdwarf reading each DIE
 * on the way; jsoncpp_test's walk takes about 8 ms, and printing one
 * Json::Value looks up its eleven static members, three walks each.
 * The index is one walk, made at the first lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Whether a unit named `unit` (DW_AT_name) is of source file `file`, as
   gdb matches a file name: the whole name, or its end after a '/'. */
static bool names_file(const char *unit, const char *file)
{
  size_t u = strlen(unit), f = strlen(file);
  return u >= f && strcmp(unit + u - f, file) == 0 &&
         (u == f || unit[u - f - 1] == '/');
}

/* di_each_top_level's walk (private.h). Partial units are in the object
   or its alternate file. libdwarf rewinds its unit cursor only at the
   end, so the walk always runs through every unit header. */
typedef struct top_walk {
  const snare_debuginfo *di;
  di_top_visit visit;
  void *arg;
  bool go_on;
  Dwarf_Off *imported; /* keys of the partial units walked */
  size_t imported_count, imported_cap;
} top_walk;

static void walk_unit(top_walk *w, Dwarf_Die unit);

static bool first_import(top_walk *w, Dwarf_Off key)
{
  for (size_t i = 0; i < w->imported_count; i++)
    if (w->imported[i] == key)
      return false;
  if (!di_reserve((void **)&w->imported, &w->imported_cap, w->imported_count,
                  sizeof *w->imported))
    return false;
  w->imported[w->imported_count++] = key;
  return true;
}

static void walk_import(top_walk *w, Dwarf_Die import)
{
  Dwarf_Die unit = di_ref(w->di->dbg, import, DW_AT_import);
  if (!unit)
    return;
  if (first_import(w, di_die_key(w->di->dbg, unit)))
    walk_unit(w, unit);
  dwarf_dealloc_die(unit);
}

static void walk_unit(top_walk *w, Dwarf_Die unit)
{
  Dwarf_Die child = NULL;
  if (dwarf_child(unit, &child, NULL) != DW_DLV_OK)
    child = NULL;
  while (child && w->go_on) {
    Dwarf_Half tag = 0;
    dwarf_tag(child, &tag, NULL);
    if (tag == DW_TAG_imported_unit)
      walk_import(w, child);
    else
      w->go_on = w->visit(w->di, child, w->arg);
    child = di_next_sibling(w->di->dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
}

void di_each_top_level(const snare_debuginfo *di, const char *file,
                       di_top_visit visit, void *arg)
{
  top_walk w = {.di = di, .visit = visit, .arg = arg, .go_on = true};
  for (;;) {
    Dwarf_Unsigned next = 0;
    Dwarf_Half cu_type = 0;
    Dwarf_Error err = NULL;
    int rc = dwarf_next_cu_header_d(di->dbg, true, NULL, NULL, NULL, NULL,
                                    NULL, NULL, NULL, NULL, &next, &cu_type,
                                    &err);
    if (rc == DW_DLV_ERROR)
      dwarf_dealloc_error(di->dbg, err);
    if (rc != DW_DLV_OK)
      break;
    Dwarf_Die cu = NULL;
    if (!w.go_on || dwarf_siblingof_b(di->dbg, NULL, true, &cu, NULL) != DW_DLV_OK)
      continue;
    char *unit = NULL;
    if (file != NULL && (dwarf_diename(cu, &unit, NULL) != DW_DLV_OK ||
                         !names_file(unit, file))) {
      dwarf_dealloc_die(cu);
      continue;
    }
    Dwarf_Half tag = 0;
    /* a partial unit is walked where it is imported */
    if (dwarf_tag(cu, &tag, NULL) == DW_DLV_OK && tag != DW_TAG_partial_unit)
      walk_unit(&w, cu);
    dwarf_dealloc_die(cu);
  }
  free(w.imported);
}


/* One top-level DIE by the name a lookup knows it by. */
typedef struct top_entry {
  const char *name; /* libdwarf's string: valid while the handle is open */
  Dwarf_Off key;
  size_t order; /* in the walk */
} top_entry;

struct di_top_names {
  top_entry *entries; /* sorted by name, then walk order */
  size_t count, cap;
  bool incomplete; /* out of memory during the walk */
};

/*
 * The name a lookup finds a top-level DIE by: a definition apart from
 * its declaration (a static member's, DW_AT_specification) by the
 * declaration's name; an unnamed namespace as "(anonymous namespace)";
 * NULL for a DIE without a name.
 */
static const char *lookup_name(const snare_debuginfo *di, Dwarf_Die die)
{
  Dwarf_Half tag = 0;
  char *name = NULL;
  dwarf_tag(die, &tag, NULL);
  if (tag == DW_TAG_variable) {
    Dwarf_Die spec = di_ref(di->dbg, die, DW_AT_specification);
    if (spec) {
      if (dwarf_diename(spec, &name, NULL) != DW_DLV_OK)
        name = NULL;
      dwarf_dealloc_die(spec);
      return name;
    }
  }
  if (dwarf_diename(die, &name, NULL) == DW_DLV_OK)
    return name;
  return tag == DW_TAG_namespace ? "(anonymous namespace)" : NULL;
}

static bool index_visit(const snare_debuginfo *di, Dwarf_Die die, void *p)
{
  struct di_top_names *t = p;
  const char *name = lookup_name(di, die);
  if (name == NULL)
    return true;
  if (!di_reserve((void **)&t->entries, &t->cap, t->count,
                  sizeof *t->entries)) {
    t->incomplete = true;
    return false;
  }
  t->entries[t->count] = (top_entry){
      .name = name, .key = di_die_key(di->dbg, die), .order = t->count};
  t->count++;
  return true;
}

static int by_name(const void *a, const void *b)
{
  const top_entry *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* The index, built at the first call; NULL without memory for it. */
static const struct di_top_names *top_names(const snare_debuginfo *cdi)
{
  snare_debuginfo *di = (snare_debuginfo *)cdi; /* built once, then read */
  if (di->top_names || di->top_names_tried)
    return di->top_names;
  di->top_names_tried = true;
  struct di_top_names *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  di_each_top_level(di, NULL, index_visit, t);
  if (t->incomplete) {
    free(t->entries);
    free(t);
    return NULL;
  }
  if (t->count > 0) /* (entries is NULL without any) */
    qsort(t->entries, t->count, sizeof *t->entries, by_name);
  return di->top_names = t;
}

bool di_each_top_named(const snare_debuginfo *di, const char *name,
                       di_top_visit visit, void *arg)
{
  const struct di_top_names *t = top_names(di);
  if (t == NULL)
    return false;
  size_t lo = 0, hi = t->count; /* the first entry not before name */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(t->entries[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i < t->count && strcmp(t->entries[i].name, name) == 0;
       i++) {
    Dwarf_Die die = di_key_die(di->dbg, t->entries[i].key);
    if (die == NULL)
      continue;
    bool go_on = visit(di, die, arg);
    dwarf_dealloc_die(die);
    if (!go_on)
      break;
  }
  return true;
}

void di_free_top_names(snare_debuginfo *di)
{
  if (di->top_names) {
    free(di->top_names->entries);
    free(di->top_names);
  }
  di->top_names = NULL;
}
