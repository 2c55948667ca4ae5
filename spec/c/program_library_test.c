/*
 * program_library_test.c - the main program opened as a library
 * (snare_library_open_program): its file, its symbols and DWARF at their
 * run-time addresses, its functions hookable, and closing it unloads
 * nothing.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snare.h"

/* A function of this test program (not inlined, not static: in the symbol
   table under this name). */
__attribute__((noinline)) int program_library_probe(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3 + 1;
}

static snare_library *open_program(void) {
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open_program(&lib), SNARE_OK, "%s",
               snare_library_error());
  cr_assert_not_null(lib);
  return lib;
}

/* The probe's symbol, which must be found. */
static snare_symbol probe_symbol(snare_library *lib) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, "program_library_probe", &sym),
               SNARE_OK);
  return sym;
}

Test(program_library, names_the_running_executable) {
  snare_library *lib = open_program();
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  cr_assert_gt(n, 0);
  exe[n] = '\0';
  cr_assert_str_eq(snare_library_path(lib), exe);
  snare_library_close(lib);
}

Test(program_library, finds_its_functions_at_run_time_addresses) {
  snare_library *lib = open_program();
  snare_symbol sym = probe_symbol(lib);
  cr_assert_eq(sym.address, (uint64_t)(uintptr_t)program_library_probe);
  cr_assert(sym.is_function);
  snare_symbol at;
  cr_assert_eq(snare_library_symbol_at(lib, sym.address + 1, &at), SNARE_OK);
  cr_assert_str_eq(at.name, "program_library_probe");
  snare_function_info info;
  cr_assert_eq(snare_library_function_info(lib, "program_library_probe",
                                           &info),
               SNARE_OK, "the test program is built with -g");
  cr_assert_eq(info.entry, sym.address);
  snare_library_close(lib);
}

Test(program_library, hooks_its_functions_and_stays_loaded_when_closed) {
  snare_library *lib = open_program();
  snare_symbol sym = probe_symbol(lib);
  int hook = 0;
  cr_assert_eq(snare_hook_function(sym.address, NULL, &hook), SNARE_OK);
  for (int i = 0; i < 5; i++)
    cr_assert_eq(program_library_probe(i), i * 3 + 1);
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_OK);
  cr_assert_eq(stats.calls, 5);
  /* Closing removes the hook with the rest of the program's patches;
     the code itself stays. */
  snare_library_close(lib);
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_NOT_FOUND);
  cr_assert_eq(program_library_probe(2), 7);
}
