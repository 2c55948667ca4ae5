/*
 * debuginfo_test.c - lines and functions of spec/fixtures/lines.c from
 * its DWARF, at -O0 and -O2 (SNARE_FIXTURES, default build/fixtures).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/debuginfo.h"

static snare_debuginfo *open_fixture(const char *level, uint64_t bias)
{
  const char *root = getenv("SNARE_FIXTURES");
  char path[512];
  snprintf(path, sizeof path, "%s/%s/liblines.so", root ? root : "build/fixtures",
           level);
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, bias, &di), SNARE_OK, "open %s", path);
  return di;
}

static uint64_t only_address(snare_debuginfo *di, const char *file,
                             unsigned line)
{
  uint64_t addr[8];
  size_t n = 0;
  cr_assert_eq(snare_debuginfo_line_addresses(di, file, line, addr, 8, &n),
               SNARE_OK, "%s:%u", file, line);
  cr_assert_eq(n, 1, "%s:%u has %zu locations", file, line, n);
  return addr[0];
}

Test(debuginfo, line_round_trip_O0)
{
  snare_debuginfo *di = open_fixture("O0", 0);
  uint64_t addr = only_address(di, "lines.c", 14);
  snare_line_info li;
  cr_assert_eq(snare_debuginfo_line_at(di, addr, &li), SNARE_OK);
  cr_assert_eq(li.line, 14);
  cr_assert(strstr(li.file, "spec/fixtures/lines.c") != NULL);
  cr_assert_str_eq(li.function, "lines_add");
  cr_assert_eq(li.column, 7);
  /* Path suffixes match at a '/' only. */
  cr_assert_eq(only_address(di, "fixtures/lines.c", 14), addr);
  size_t n;
  cr_assert_eq(snare_debuginfo_line_addresses(di, "ines.c", 14, NULL, 0, &n),
               SNARE_NOT_FOUND);
  snare_debuginfo_close(di);
}

Test(debuginfo, line_without_code_names_neighbours)
{
  snare_debuginfo *di = open_fixture("O0", 0);
  size_t n;
  cr_assert_eq(snare_debuginfo_line_addresses(di, "lines.c", 17, NULL, 0, &n),
               SNARE_NOT_FOUND);
  unsigned before, after;
  cr_assert_eq(snare_debuginfo_line_nearest(di, "lines.c", 17, &before, &after),
               SNARE_OK);
  cr_assert_eq(before, 16);
  cr_assert_eq(after, 19);
  cr_assert_eq(snare_debuginfo_line_nearest(di, "nope.c", 17, &before, &after),
               SNARE_NOT_FOUND);
  snare_debuginfo_close(di);
}

Test(debuginfo, function_O0)
{
  snare_debuginfo *di = open_fixture("O0", 0);
  snare_function_info fn;
  cr_assert_eq(snare_debuginfo_function(di, "lines_many", &fn), SNARE_OK);
  cr_assert(!fn.inlined);
  cr_assert_eq(fn.decl_line, 50);
  cr_assert(strstr(fn.decl_file, "lines.c") != NULL);
  cr_assert_eq(fn.param_count, 7);
  cr_assert_str_eq(fn.params[0], "a");
  cr_assert_str_eq(fn.params[6], "g");
  cr_assert_eq(fn.range_count, 1);
  cr_assert_eq(fn.ranges[0].low, fn.entry);
  /* gdb's `break lines_many`: past the prologue, on the first body line. */
  cr_assert_eq(fn.after_prologue, only_address(di, "lines.c", 52));
  cr_assert_gt(fn.after_prologue, fn.entry);
  /* The opening line's breakpoint also lands past the prologue. */
  cr_assert_eq(only_address(di, "lines.c", 51), fn.after_prologue);
  snare_function_info at;
  cr_assert_eq(snare_debuginfo_function_at(di, fn.entry + 1, &at), SNARE_OK);
  cr_assert_str_eq(at.name, "lines_many");
  cr_assert_eq(snare_debuginfo_function(di, "no_such", &fn), SNARE_NOT_FOUND);
  snare_debuginfo_close(di);
}

Test(debuginfo, bias_shifts_every_address)
{
  snare_debuginfo *a = open_fixture("O0", 0);
  snare_debuginfo *b = open_fixture("O0", 0x7000000);
  cr_assert_eq(only_address(b, "lines.c", 22),
               only_address(a, "lines.c", 22) + 0x7000000);
  snare_function_info fa, fb;
  cr_assert_eq(snare_debuginfo_function(a, "lines_loop", &fa), SNARE_OK);
  cr_assert_eq(snare_debuginfo_function(b, "lines_loop", &fb), SNARE_OK);
  cr_assert_eq(fb.entry, fa.entry + 0x7000000);
  cr_assert_eq(fb.ranges[0].high, fa.ranges[0].high + 0x7000000);
  snare_line_info li;
  cr_assert_eq(snare_debuginfo_line_at(b, fa.entry, &li), SNARE_NOT_FOUND);
  snare_debuginfo_close(a);
  snare_debuginfo_close(b);
}

Test(debuginfo, inlined_copies_O2)
{
  snare_debuginfo *di = open_fixture("O2", 0);
  uint64_t addr[16];
  size_t n = 0;
  /* lines_scale is inlined into lines_loop and lines_twice (twice). */
  cr_assert_eq(snare_debuginfo_function_addresses(di, "lines_scale", addr, 16,
                                                  &n), SNARE_OK);
  cr_assert_geq(n, 2);
  snare_function_info fn;
  cr_assert_eq(snare_debuginfo_function_at(di, addr[0], &fn), SNARE_OK);
  cr_assert(fn.inlined);
  cr_assert_str_eq(fn.name, "lines_scale");
  cr_assert(strstr(fn.call_file, "lines.c") != NULL);
  cr_assert(fn.call_line == 22 || fn.call_line == 37 || fn.call_line == 39);
  cr_assert_eq(fn.param_count, 2);
  cr_assert_str_eq(fn.params[1], "factor");
  /* A line of the helper has one location per inlined copy. */
  cr_assert_eq(snare_debuginfo_line_addresses(di, "lines_helper.h", 11, addr,
                                              16, &n), SNARE_OK);
  cr_assert_eq(n, 2);
  /* The recursive fib is unrolled: one line, many split copies. */
  cr_assert_eq(snare_debuginfo_line_addresses(di, "lines.c", 31, addr, 16, &n),
               SNARE_OK);
  cr_assert_gt(n, 2);
  for (size_t i = 1; i < n; i++)
    cr_assert_lt(addr[i - 1], addr[i]);
  snare_debuginfo_close(di);
}

Test(debuginfo, missing_file)
{
  snare_debuginfo *di = NULL;
  cr_assert_neq(snare_debuginfo_open("build/no/such.so", 0, &di), SNARE_OK);
  cr_assert_null(di);
}
