/* return_kind_test.c - what DWARF says a function returns, which finish
   needs to pick rax or xmm0. */
#include <criterion/criterion.h>

#include "fixtures.h"
#include "snare.h"

static void check(snare_library *lib, const char *name,
                  snare_return_kind kind, unsigned size) {
  snare_function_info info;
  cr_assert_eq(snare_library_function_info(lib, name, &info), SNARE_OK);
  cr_assert_eq(info.returns, kind, "%s returns kind %d", name, info.returns);
  cr_assert_eq(info.return_size, size, "%s returns %u bytes", name,
               info.return_size);
}

Test(return_kind, of_fixture_functions_at_both_levels, .timeout = 20) {
  const char *levels[] = {"O0", "O2"};
  for (int i = 0; i < 2; i++) {
    snare_library *lib;
    cr_assert_eq(snare_library_open(fixture_path(levels[i], "stepping"), &lib),
                 SNARE_OK);
    check(lib, "half", SNARE_RETURNS_FLOAT, 8);
    check(lib, "leaf", SNARE_RETURNS_INTEGER, 4);
    check(lib, "measure", SNARE_RETURNS_INTEGER, 8); /* size_t: a typedef */
    check(lib, "greeting", SNARE_RETURNS_INTEGER, 8); /* a pointer */
    snare_library_close(lib);
  }
}
