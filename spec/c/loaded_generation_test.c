/*
 * loaded_generation_test.c - the loader's generation the unwinder keys
 * its cache on (snare_os_loaded_generation): known, unchanged while no
 * object comes or goes, changed by a dlopen and by a dlclose, so unwind
 * information of a library closed is never used for one loaded after.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>

#include "../../lib/internal/loader.h"
#include "fixtures.h"

Test(loaded_generation, changes_when_a_library_comes_and_goes) {
  uint64_t before = snare_os_loaded_generation();
  cr_assert_neq(before, 0, "the loader's counts are not known");
  cr_assert_eq(snare_os_loaded_generation(), before);
  void *handle = dlopen(fixture_path("O2", "lines"), RTLD_NOW | RTLD_LOCAL);
  cr_assert_not_null(handle, "%s", dlerror());
  uint64_t opened = snare_os_loaded_generation();
  cr_assert_neq(opened, before);
  cr_assert_eq(dlclose(handle), 0);
  uint64_t closed = snare_os_loaded_generation();
  cr_assert_neq(closed, opened);
  cr_assert_neq(closed, before);
}
