/*
 * symbols_test.c - the pieces that name functions without help: C++
 * names as people write them, the functions of an unwind table, and
 * whether a program can be entered by a preloaded agent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "base/demangle.h"
#include "code/unwind_entries.h"
#include "internal/demangler.h"
#include "snare.h"

/* `form` of a demangled name (qualified, signature) is `expected`. */
static void assert_form(char *(*form)(const char *), const char *demangled,
                        const char *expected) {
  char *shaped = form(demangled);
  cr_assert_not_null(shaped);
  cr_expect_str_eq(shaped, expected, "from \"%s\"", demangled);
  free(shaped);
}

static void assert_qualified(const char *demangled, const char *expected) {
  assert_form(snare_demangled_qualified, demangled, expected);
}

Test(demangle, qualified_names_drop_return_types_and_parameters) {
  assert_qualified("geo::Square::area() const", "geo::Square::area");
  assert_qualified("geo::Shape::~Shape()", "geo::Shape::~Shape");
  assert_qualified("int geo::twice<int>(int)", "geo::twice<int>");
  assert_qualified("std::pair<int, int> geo::make<std::pair<int, int> >(int)",
                   "geo::make<std::pair<int, int> >");
  assert_qualified("std::function<void (int)> geo::callback<int>()",
                   "geo::callback<int>");
  assert_qualified("(anonymous namespace)::helper(int)",
                   "(anonymous namespace)::helper");
  assert_qualified("geo::Vec::operator()(int) &&", "geo::Vec::operator()");
  assert_qualified("bool geo::operator< <int>(geo::Vec<int> const&, "
                   "geo::Vec<int> const&)",
                   "geo::operator< <int>");
  assert_qualified("operator new(unsigned long)", "operator new");
  assert_qualified("geo::Vec::operator geo::Point() const",
                   "geo::Vec::operator geo::Point");
  assert_qualified("geo::detail::checked(int) [clone .cold]",
                   "geo::detail::checked [clone .cold]");
  assert_qualified("non-virtual thunk to geo::Square::area() const",
                   "non-virtual thunk to geo::Square::area");
  assert_qualified("vtable for geo::Square", "vtable for geo::Square");
}

/* gdb's DWARF symbol names: parameters and qualifiers kept, a
   template's return type dropped. */
Test(demangle, signatures_drop_return_types_only) {
  assert_form(snare_demangled_signature, "geo::Square::area() const",
              "geo::Square::area() const");
  assert_form(snare_demangled_signature, "int geo::twice<int>(int)",
              "geo::twice<int>(int)");
  assert_form(snare_demangled_signature,
              "std::pair<int, int> geo::make<std::pair<int, int> >(int)",
              "geo::make<std::pair<int, int> >(int)");
  assert_form(snare_demangled_signature, "operator new(unsigned long)",
              "operator new(unsigned long)");
  assert_form(snare_demangled_signature, "vtable for geo::Square",
              "vtable for geo::Square");
  char *signature = snare_symbol_signature("_ZN3geo5twiceIiEET_S1_");
  cr_assert_not_null(signature);
  cr_expect_str_eq(signature, "geo::twice<int>(int)");
  free(signature);
  char *full = snare_symbol_demangle_full("_ZN3geo5twiceIiEET_S1_");
  cr_assert_not_null(full);
  cr_expect_str_eq(full, "int geo::twice<int>(int)");
  free(full);
  cr_expect_null(snare_symbol_signature("main"));
}

Test(demangle, uses_the_cxx_runtime) {
  char *full = snare_os_demangle("_ZNK3geo6Square4areaEv");
  cr_assert_not_null(full, "libstdc++'s __cxa_demangle was not found");
  cr_expect_str_eq(full, "geo::Square::area() const");
  free(full);
  char *qualified = snare_demangle_qualified("_ZN3geo5twiceIiEET_S1_");
  cr_assert_not_null(qualified);
  cr_expect_str_eq(qualified, "geo::twice<int>");
  free(qualified);
  /* The runtime's demangler also reads bare type codes ("i" is int):
     only mangled names are given to it. */
  cr_expect_null(snare_demangle("i"));
  cr_expect_null(snare_demangle("main"));
  cr_expect_null(snare_demangle("_Znot a mangled name"));
}

/* The unwind range starting at a fixture symbol (link-time), or NULL. */
static const snare_unwind_range *range_of(const snare_unwind_range *ranges,
                                          size_t n, snare_library *lib,
                                          const char *symbol) {
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, symbol, &sym), SNARE_OK, "%s",
               symbol);
  uint64_t start = sym.address - snare_library_base(lib);
  for (size_t i = 0; i < n; i++)
    if (ranges[i].start == start)
      return &ranges[i];
  return NULL;
}

Test(unwind_entries, tell_functions_from_pieces_entered_by_jumps) {
  const char *path = fixture_path("O2", "aliases");
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(path, &lib), SNARE_OK);
  snare_unwind_range *ranges = NULL;
  size_t n = 0;
  cr_assert_eq(snare_unwind_ranges_read(path, &ranges, &n), SNARE_OK);
  for (size_t i = 1; i < n; i++)
    cr_assert_leq(ranges[i - 1].start, ranges[i].start);
  static const char *const functions[] = {"aliases_real", "aliases_hidden",
                                          "aliases_call", "aliases_guarded",
                                          "aliases_fail"};
  for (size_t i = 0; i < sizeof functions / sizeof *functions; i++) {
    const snare_unwind_range *r = range_of(ranges, n, lib, functions[i]);
    cr_assert_not_null(r, "no FDE for %s", functions[i]);
    cr_expect(r->entry, "%s is a function", functions[i]);
  }
  const snare_unwind_range *cold =
      range_of(ranges, n, lib, "aliases_guarded.cold");
  cr_assert_not_null(cold);
  cr_expect_not(cold->entry, "a cold part is entered inside a frame");
  free(ranges);
  snare_library_close(lib);
}

Test(unwind_entries, none_for_a_file_without_them) {
  snare_unwind_range *ranges = (snare_unwind_range *)1;
  size_t n = 1;
  cr_assert_eq(snare_unwind_ranges_read("/nonexistent", &ranges, &n),
               SNARE_OK);
  cr_expect_null(ranges);
  cr_expect_eq(n, 0);
}

/* Path of a fixture program, build/fixtures/bin/NAME (static buffer). */
static const char *program_path(const char *name) {
  static char path[4096];
  const char *root = getenv("SNARE_FIXTURES");
  snprintf(path, sizeof path, "%s/bin/%s", root ? root : "build/fixtures",
           name);
  return path;
}

Test(program_is_dynamic, tells_what_the_agent_can_enter) {
  bool dynamic = false;
  cr_assert_eq(snare_program_is_dynamic(program_path("calls"), &dynamic),
               SNARE_OK);
  cr_expect(dynamic, "calls is linked against libc.so");
  dynamic = true;
  cr_assert_eq(snare_program_is_dynamic(program_path("exit_static"),
                                        &dynamic),
               SNARE_OK);
  cr_expect_not(dynamic, "exit_static has no program interpreter");
  cr_expect_eq(snare_program_is_dynamic("/etc/passwd", &dynamic),
               SNARE_NOT_FOUND);
  cr_expect_eq(snare_program_is_dynamic("/nonexistent", &dynamic),
               SNARE_NOT_FOUND);
  cr_expect_eq(snare_program_is_dynamic(NULL, &dynamic),
               SNARE_INVALID_ARGUMENT);
}
