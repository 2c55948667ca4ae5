/*
 * symbol_file_test.c - the symbols of a mapped file snare did not load
 * (snare_symbol_file_read): libc's data objects and functions at their
 * run-time addresses, and the span of its file's pages.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare.h"

static const snare_symbol *named(const snare_symbol *symbols, size_t n,
                                 const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(symbols[i].name, name) == 0)
      return &symbols[i];
  return NULL;
}

Test(symbol_file, names_libc_objects_and_functions_where_they_are) {
  Dl_info libc;
  cr_assert(dladdr((void *)stdout, &libc) != 0);
  snare_symbol_file *f;
  cr_assert_eq(snare_symbol_file_read(libc.dli_fname,
                                      (uint64_t)(uintptr_t)libc.dli_fbase, &f),
               SNARE_OK);
  uint64_t start, file_end;
  snare_symbol_file_span(f, &start, &file_end);
  cr_expect_eq(start, (uint64_t)(uintptr_t)libc.dli_fbase);
  cr_expect(start < (uint64_t)(uintptr_t)stdout &&
            (uint64_t)(uintptr_t)stdout < file_end);
  size_t n = snare_symbol_file_symbols(f, NULL, 0);
  snare_symbol *symbols = calloc(n, sizeof *symbols);
  cr_assert_eq(snare_symbol_file_symbols(f, symbols, n), n);
  for (size_t i = 1; i < n; i++)
    cr_assert(symbols[i - 1].address < symbols[i].address, "in order, once");
  const snare_symbol *out = named(symbols, n, "_IO_2_1_stdout_");
  cr_assert_not_null(out);
  cr_expect_eq(out->address, (uint64_t)(uintptr_t)stdout);
  cr_expect_not(out->is_function);
  const snare_symbol *fn = named(symbols, n, "fputs");
  cr_assert_not_null(fn);
  cr_expect(fn->is_function);
  /* libc's own fputs: under ASan the default scope finds its
     interceptor first. */
  void *handle = dlopen(libc.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  cr_assert_not_null(handle);
  cr_expect_eq(fn->address, (uint64_t)(uintptr_t)dlsym(handle, "fputs"));
  dlclose(handle);
  free(symbols);
  snare_symbol_file_free(f);
}

Test(symbol_file, refuses_what_is_not_an_elf_file) {
  snare_symbol_file *f = (snare_symbol_file *)1;
  cr_expect_eq(snare_symbol_file_read("/proc/self/cmdline", 0x1000, &f),
               SNARE_NOT_FOUND);
  cr_expect_null(f);
}
