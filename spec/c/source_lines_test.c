/*
 * source_lines_test.c - the public source-line and function questions
 * (snare.h, "Source lines and functions") over spec/fixtures/lines.c at
 * -O0 and -O2, loaded at a real bias; breakpoints set at every address
 * of a line; and a library whose debug info was stripped.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "snare.h"

static const char *const levels[] = {"O0", "O2"};
#define LEVEL_COUNT (sizeof levels / sizeof levels[0])

static snare_library *open_lines(const char *level)
{
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(fixture_path(level, "lines"), &lib),
               SNARE_OK, "%s", snare_library_error());
  return lib;
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

Test(source_lines, line_addresses_round_trip_at_run_time_addresses)
{
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_lines(levels[l]);
    uint64_t addrs[16];
    size_t n = 0;
    cr_assert_eq(snare_library_line_addresses(lib, "lines.c", 23, addrs, 16,
                                              &n),
                 SNARE_OK, "%s", levels[l]);
    cr_assert_geq(n, 1);
    snare_symbol loop;
    cr_assert_eq(snare_library_symbol(lib, "lines_loop", &loop), SNARE_OK);
    for (size_t i = 0; i < n; i++) {
      cr_assert(addrs[i] >= loop.address &&
                    addrs[i] < loop.address + loop.size,
                "%s: 0x%llx outside lines_loop", levels[l],
                (unsigned long long)addrs[i]);
      snare_line_info li;
      cr_assert_eq(snare_library_line_at(lib, addrs[i], &li), SNARE_OK);
      cr_assert_eq(li.line, 23, "%s: line %u", levels[l], li.line);
      cr_assert(ends_with(li.file, "spec/fixtures/lines.c"), "%s", li.file);
      cr_assert_str_eq(li.function, "lines_loop");
      cr_assert_leq(li.start, addrs[i]);
      /* the process-wide lookup finds the same row */
      snare_line_info any;
      cr_assert_eq(snare_line_at(addrs[i], &any), SNARE_OK);
      cr_assert_eq(any.start, li.start);
    }
    /* counting only */
    size_t count = 0;
    cr_assert_eq(snare_library_line_addresses(lib, "lines.c", 23, NULL, 0,
                                              &count),
                 SNARE_OK);
    cr_assert_eq(count, n);
    snare_library_close(lib);
  }
}

Test(source_lines, a_line_without_code_names_its_neighbours)
{
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_lines(levels[l]);
    size_t n = 0;
    cr_assert_eq(snare_library_line_addresses(lib, "lines.c", 9, NULL, 0, &n),
                 SNARE_NOT_FOUND);
    unsigned before = 99, after = 99;
    cr_assert_eq(snare_library_line_nearest(lib, "lines.c", 9, &before, &after),
                 SNARE_OK);
    cr_assert_eq(before, 0, "%s: %u", levels[l], before); /* none above */
    cr_assert_gt(after, 9, "%s: %u", levels[l], after);
    cr_assert_eq(snare_library_line_addresses(lib, "lines.c", after, NULL, 0,
                                              &n),
                 SNARE_OK);
    cr_assert_eq(snare_library_line_nearest(lib, "nope.c", 9, &before, &after),
                 SNARE_NOT_FOUND);
    cr_assert_eq(snare_library_line_addresses(lib, "nope.c", 9, NULL, 0, &n),
                 SNARE_NOT_FOUND);
    snare_library_close(lib);
  }
}

Test(source_lines, functions_have_ranges_declarations_and_parameters)
{
  static const char *const params[] = {"a", "b", "c", "d", "e", "f", "g"};
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_lines(levels[l]);
    snare_function_info fn;
    cr_assert_eq(snare_library_function_info(lib, "lines_many", &fn),
                 SNARE_OK);
    cr_assert_str_eq(fn.name, "lines_many");
    cr_assert(!fn.inlined);
    snare_symbol sym;
    cr_assert_eq(snare_library_symbol(lib, "lines_many", &sym), SNARE_OK);
    cr_assert_eq(fn.entry, sym.address, "%s", levels[l]);
    cr_assert_geq(fn.after_prologue, fn.entry);
    cr_assert_geq(fn.range_count, 1);
    cr_assert_eq(fn.ranges[0].low, sym.address);
    cr_assert(ends_with(fn.decl_file, "lines.c"));
    cr_assert_eq(fn.decl_line, 50);
    cr_assert_eq(fn.param_count, 7);
    for (size_t i = 0; i < 7; i++)
      cr_assert_str_eq(fn.params[i], params[i]);
    /* `break lines_many` stops past the prologue */
    uint64_t addr;
    size_t n = 0;
    cr_assert_eq(snare_library_function_addresses(lib, "lines_many", &addr, 1,
                                                  &n),
                 SNARE_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(addr, fn.after_prologue);
    snare_function_info at;
    cr_assert_eq(snare_function_at(fn.after_prologue, &at), SNARE_OK);
    cr_assert_str_eq(at.name, "lines_many");
    cr_assert_eq(snare_library_function_info(lib, "nope", &fn),
                 SNARE_NOT_FOUND);
    snare_library_close(lib);
  }
}

Test(source_lines, inlined_instances_are_reported_as_such)
{
  snare_library *lib = open_lines("O2");
  snare_function_info fn;
  cr_assert_eq(snare_library_function_info(lib, "lines_scale", &fn), SNARE_OK);
  cr_assert(fn.inlined); /* static inline: no out-of-line copy at -O2 */
  cr_assert(ends_with(fn.decl_file, "lines_helper.h"));
  cr_assert(ends_with(fn.call_file, "lines.c"));
  snare_function_info inner;
  cr_assert_eq(snare_function_at(fn.entry, &inner), SNARE_OK);
  cr_assert(inner.inlined);
  size_t n = 0;
  cr_assert_eq(snare_library_function_addresses(lib, "lines_scale", NULL, 0,
                                                &n),
               SNARE_OK);
  cr_assert_geq(n, 2, "one location per inlined copy, got %zu", n);
  snare_library_close(lib);
}

/* gdb's FILE:FUNCTION: lines_scale is lines_helper.h's (its lines are
   there), none of lines.c's; at -O2, where its copies are all inlined,
   of no file (gdb finds a definition out of line alone); lines_many is
   lines.c's. */
Test(source_lines, a_function_is_of_the_file_its_lines_are_in)
{
  for (size_t l = 0; l < LEVEL_COUNT; l++) {
    snare_library *lib = open_lines(levels[l]);
    size_t all = 0, in_header = 0, n = 0;
    cr_assert_eq(snare_library_function_addresses(lib, "lines_scale", NULL, 0,
                                                  &all),
                 SNARE_OK);
    bool inlined = strcmp(levels[l], "O2") == 0;
    cr_assert_eq(snare_library_file_function_addresses(
                     lib, "lines_helper.h", "lines_scale", NULL, 0,
                     &in_header),
                 inlined ? SNARE_NOT_FOUND : SNARE_OK, "%s", levels[l]);
    if (!inlined)
      cr_expect_eq(in_header, all, "%s", levels[l]);
    cr_expect_eq(snare_library_file_function_addresses(
                     lib, "lines.c", "lines_scale", NULL, 0, &n),
                 SNARE_NOT_FOUND, "%s", levels[l]);
    cr_expect_eq(snare_library_file_function_addresses(
                     lib, "lines.c", "lines_many", NULL, 0, &n),
                 SNARE_OK, "%s", levels[l]);
    cr_expect_eq(snare_library_file_function_addresses(
                     lib, "nosuch.c", "lines_scale", NULL, 0, &n),
                 SNARE_NOT_FOUND);
    cr_expect_eq(snare_library_file_function_addresses(
                     lib, NULL, "lines_scale", NULL, 0, &n),
                 SNARE_INVALID_ARGUMENT);
    snare_library_close(lib);
  }
}

Test(source_lines, addresses_outside_libraries_are_not_found)
{
  snare_line_info li;
  snare_function_info fn;
  cr_assert_eq(snare_line_at((uint64_t)(uintptr_t)&li, &li), SNARE_NOT_FOUND);
  cr_assert_eq(snare_function_at(16, &fn), SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_line_at(NULL, 16, &li), SNARE_INVALID_ARGUMENT);
}

/* gdb names a source file as the DWARF writes it: the fixtures are built
   in build/ from ../spec/fixtures/lines.c, which libdwarf joins to the
   compilation directory. */
Test(source_lines, source_files_have_the_names_gdb_gives_them)
{
  snare_library *lib = open_lines("O0");
  snare_symbol loop;
  cr_assert_eq(snare_library_symbol(lib, "lines_loop", &loop), SNARE_OK);
  snare_line_info li;
  cr_assert_eq(snare_line_at(loop.address, &li), SNARE_OK);
  cr_assert(li.file[0] == '/', "%s", li.file);
  const char *name = NULL;
  cr_assert_eq(snare_source_name_at(loop.address, li.file, &name), SNARE_OK);
  cr_assert_str_eq(name, "../spec/fixtures/lines.c");
  cr_assert_eq(snare_source_name_at(16, li.file, &name), SNARE_NOT_FOUND);
  cr_assert_eq(snare_source_name_at(loop.address, NULL, &name),
               SNARE_INVALID_ARGUMENT);
  snare_library_close(lib);
}

/* Runs lines_loop(4) with a breakpoint at every address of lines.c:23
   (the loop body) and returns how many stops were at line 23. */
static int loop_body_stops(const char *level)
{
  snare_library *lib = open_lines(level);
  uint64_t addrs[16];
  size_t n = 0;
  cr_assert_eq(snare_library_line_addresses(lib, "lines.c", 23, addrs, 16, &n),
               SNARE_OK);
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  for (size_t i = 0; i < n; i++) {
    int id;
    cr_assert_eq(snare_breakpoint_set(s, addrs[i], NULL, &id), SNARE_OK);
  }
  snare_symbol loop;
  cr_assert_eq(snare_library_symbol(lib, "lines_loop", &loop), SNARE_OK);
  uint64_t arg = 4;
  snare_stop stop;
  cr_assert_eq(snare_call(s, loop.address, 1, &arg, &stop), SNARE_OK);
  int stops = 0;
  while (stop.kind == SNARE_STOP_BREAKPOINT) {
    snare_line_info li;
    cr_assert_eq(snare_line_at(stop.pc, &li), SNARE_OK);
    cr_assert_eq(li.line, 23, "%s: stopped at line %u", level, li.line);
    stops++;
    cr_assert_eq(snare_resume(s, SNARE_RESUME_CONTINUE, NULL, &stop),
                 SNARE_OK);
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  snare_session_free(s);
  snare_library_close(lib);
  return stops;
}

Test(source_lines, a_loop_body_line_stops_once_per_iteration)
{
  for (size_t l = 0; l < LEVEL_COUNT; l++)
    cr_assert_eq(loop_body_stops(levels[l]), 4, "%s", levels[l]);
}

Test(source_lines, a_library_without_debug_info_still_has_symbols)
{
  char dir[] = "/tmp/snare-strip-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char path[512], command[1200];
  snprintf(path, sizeof path, "%s/liblines.so", dir);
  snprintf(command, sizeof command, "objcopy --strip-debug '%s' '%s'",
           fixture_path("O0", "lines"), path);
  cr_assert_eq(system(command), 0, "%s", command);
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(path, &lib), SNARE_OK, "%s",
               snare_library_error());
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, "lines_add", &sym), SNARE_OK);
  snare_line_info li;
  snare_function_info fn;
  unsigned before, after;
  size_t n;
  cr_assert_eq(snare_library_line_at(lib, sym.address, &li), SNARE_NOT_FOUND);
  cr_assert_eq(snare_line_at(sym.address, &li), SNARE_NOT_FOUND);
  cr_assert_eq(snare_function_at(sym.address, &fn), SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_function_info(lib, "lines_add", &fn),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_line_addresses(lib, "lines.c", 14, NULL, 0, &n),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_library_line_nearest(lib, "lines.c", 14, &before, &after),
               SNARE_NOT_FOUND);
  snare_library_close(lib);
  remove(path);
  rmdir(dir);
}
