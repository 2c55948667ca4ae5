/* plt_stubs_test.c - an object's calls through its PLT made hookable
   (snare_plt_stubs): a hook on a stub counts that object's calls of the
   library function, and only those. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

static snare_library *library;
static void open_library(void) {
  cr_assert_eq(snare_library_open(fixture_path("O0", "libc_calls"), &library),
               SNARE_OK);
}
static void close_library(void) { snare_library_close(library); }
TestSuite(plt_stubs, .init = open_library, .fini = close_library,
          .timeout = 30);

static const snare_plt_stub *stub_named(const snare_plt_stub *stubs,
                                        size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(stubs[i].name, name) == 0)
      return &stubs[i];
  return NULL;
}

Test(plt_stubs, a_stub_hook_counts_the_objects_calls_only) {
  const snare_plt_stub *stubs;
  size_t n;
  cr_assert_eq(snare_plt_stubs(library, &stubs, &n), SNARE_OK);
  const snare_plt_stub *strtol_stub = stub_named(stubs, n, "strtol");
  cr_assert_not_null(strtol_stub);
  cr_assert_not_null(stub_named(stubs, n, "qsort"));
  cr_assert_eq(strtol_stub->target, (uint64_t)(uintptr_t)&strtol);
  snare_symbol sym;
  cr_assert_eq(snare_code_symbol_at(strtol_stub->address, &sym), SNARE_OK);
  cr_assert_str_eq(sym.name, "strtol");
  int id;
  cr_assert_eq(snare_hook_function(strtol_stub->address, NULL, &id),
               SNARE_OK);
  snare_symbol parse;
  cr_assert_eq(snare_library_symbol(library, "libc_calls_parse", &parse),
               SNARE_OK);
  long (*parse_fn)(const char *) =
      (long (*)(const char *))(uintptr_t)parse.address;
  cr_assert_eq(parse_fn("42"), 42);
  cr_assert_eq(parse_fn("-7"), -7);
  cr_assert_eq(strtol("5", NULL, 10), 5); /* the test's own call */
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(id, &stats), SNARE_OK);
  cr_assert_eq(stats.calls, 2);
  cr_assert_eq(snare_plt_stubs(library, &stubs, &n), SNARE_EXISTS);
}
