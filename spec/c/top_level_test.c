/*
 * top_level_test.c - the index of top-level DIEs by name (top_level.c)
 * visits, for every name, the DIEs a walk of every unit visits that a
 * lookup of that name wants, in the walk's order: on the C fixture
 * (expressions.c) and the C++ one (overloads.cpp: a namespace, a class
 * with a static member function).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/private.h"

typedef struct seen {
  char name[256]; /* "": every DIE */
  Dwarf_Off keys[4096];
  size_t count;
} seen;

/* The name a lookup knows a top-level DIE by, as top_level.c says
   (NULL: none); in buf. */
static const char *known_name(const snare_debuginfo *di, Dwarf_Die die,
                              char *buf, size_t size)
{
  Dwarf_Half tag = 0;
  char *own = NULL;
  dwarf_tag(die, &tag, NULL);
  Dwarf_Die spec = tag == DW_TAG_variable
                       ? di_ref(di->dbg, die, DW_AT_specification)
                       : NULL;
  bool named = dwarf_diename(spec ? spec : die, &own, NULL) == DW_DLV_OK;
  if (spec)
    dwarf_dealloc_die(spec);
  if (!named && tag != DW_TAG_namespace)
    return NULL;
  snprintf(buf, size, "%s", named ? own : "(anonymous namespace)");
  return buf;
}

static bool record(const snare_debuginfo *di, Dwarf_Die die, void *p)
{
  seen *s = p;
  char buf[256];
  const char *name = known_name(di, die, buf, sizeof buf);
  if (*s->name && (name == NULL || strcmp(name, s->name) != 0))
    return true;
  cr_assert_lt(s->count, sizeof s->keys / sizeof s->keys[0]);
  s->keys[s->count++] = di_die_key(di->dbg, die);
  return true;
}

/* at_least names; wanted_specified definitions apart from their
   declaration and as many unnamed namespaces, at least */
static void check(const char *library, const char *level, size_t at_least,
                  size_t wanted_specified)
{
  const char *root = getenv("SNARE_FIXTURES");
  char path[512];
  snprintf(path, sizeof path, "%s/%s/%s", root ? root : "build/fixtures",
           level, library);
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, 0, &di), SNARE_OK, "open %s", path);
  static seen all;
  all = (seen){0};
  di_each_top_level(di, NULL, record, &all); /* every DIE */
  size_t names = 0, specified = 0, anonymous = 0;
  for (size_t i = 0; i < all.count; i++) {
    Dwarf_Die die = di_key_die(di->dbg, all.keys[i]);
    cr_assert_not_null(die);
    char name[256];
    if (known_name(di, die, name, sizeof name)) {
      char *own = NULL;
      specified += dwarf_diename(die, &own, NULL) != DW_DLV_OK;
      anonymous += strcmp(name, "(anonymous namespace)") == 0;
      static seen walked, indexed;
      walked = indexed = (seen){0};
      snprintf(walked.name, sizeof walked.name, "%s", name);
      snprintf(indexed.name, sizeof indexed.name, "%s", name);
      di_each_top_level(di, NULL, record, &walked);
      cr_assert(di_each_top_named(di, name, record, &indexed));
      cr_assert_eq(indexed.count, walked.count, "%s: %zu DIEs, walked %zu",
                   name, indexed.count, walked.count);
      for (size_t k = 0; k < walked.count; k++)
        cr_assert_eq(indexed.keys[k], walked.keys[k], "%s, DIE %zu", name, k);
      names++;
    }
    dwarf_dealloc_die(die);
  }
  cr_assert_geq(specified, wanted_specified, "%s: %zu definitions apart",
                path, specified);
  cr_assert_geq(anonymous, wanted_specified, "%s: %zu unnamed namespaces",
                path, anonymous);
  cr_assert_geq(names, at_least, "%s: %zu names", path, names);
  static seen none;
  none = (seen){.name = "no_such_name"};
  cr_assert(di_each_top_named(di, "no_such_name", record, &none));
  cr_assert_eq(none.count, 0);
  snare_debuginfo_close(di);
}

Test(top_level, the_index_visits_what_the_walk_does_in_c) {
  check("libexpressions.so", "O0", 20, 0);
}

Test(top_level, the_index_visits_what_the_walk_does_in_cxx) {
  check("liboverloads.so", "O0", 5, 1);
  check("liboverloads.so", "O2", 5, 1);
}
