/*
 * lookup_memo_test.c - lookups by name over every unit answer the same
 * the second time, when lookup_memo.c answers them from its cache:
 * types, variables (found and missing), of spec/fixtures/expressions.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "debuginfo/debuginfo.h"
#include "debuginfo/type_info.h"

static snare_debuginfo *open_expressions(void)
{
  const char *root = getenv("SNARE_FIXTURES");
  char path[512];
  snprintf(path, sizeof path, "%s/O0/libexpressions.so",
           root ? root : "build/fixtures");
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(path, 0x10000, &di), SNARE_OK, "open %s",
               path);
  return di;
}

static void assert_same_type(snare_type a, snare_type b)
{
  cr_assert_eq(a.owner, b.owner);
  cr_assert_eq(a.die, b.die);
}

Test(lookup_memo, a_global_reads_the_same_twice)
{
  snare_debuginfo *di = open_expressions();
  snare_type first = {0}, again = {0};
  uint64_t at = 0, at_again = 0;
  cr_assert_eq(snare_debuginfo_global(di, "expr_counter", &first, &at),
               SNARE_OK);
  cr_assert_eq(snare_debuginfo_global(di, "expr_counter", &again, &at_again),
               SNARE_OK);
  cr_assert_neq(first.die, 0);
  assert_same_type(first, again);
  cr_assert_eq(at, at_again);
  cr_assert_geq(at, 0x10000, "the address is biased");
  /* another name is not answered from the first one's entry */
  snare_type other = {0};
  uint64_t other_at = 0;
  cr_assert_eq(snare_debuginfo_global(di, "expr_buf", &other, &other_at),
               SNARE_OK);
  cr_assert_neq(other_at, at);
  cr_assert_neq(other.die, first.die);
  snare_debuginfo_close(di);
}

Test(lookup_memo, a_miss_stays_a_miss_and_leaves_the_results_alone)
{
  snare_debuginfo *di = open_expressions();
  for (int round = 0; round < 2; round++) {
    snare_type type = {.die = 1234};
    uint64_t at = 99;
    cr_assert_eq(snare_debuginfo_global(di, "no_such_global", &type, &at),
                 SNARE_NOT_FOUND, "round %d", round);
    cr_assert_eq(type.die, 1234);
    cr_assert_eq(at, 99);
    cr_assert_eq(snare_debuginfo_type_find(di, "struct no_such", &type),
                 SNARE_NOT_FOUND, "round %d", round);
    cr_assert_eq(type.die, 1234);
  }
  snare_debuginfo_close(di);
}

Test(lookup_memo, a_type_reads_the_same_twice)
{
  snare_debuginfo *di = open_expressions();
  snare_type point = {0}, again = {0}, item = {0};
  cr_assert_eq(snare_debuginfo_type_find(di, "struct point", &point),
               SNARE_OK);
  cr_assert_eq(snare_debuginfo_type_find(di, "struct point", &again),
               SNARE_OK);
  cr_assert_neq(point.die, 0);
  assert_same_type(point, again);
  cr_assert_eq(snare_debuginfo_type_find(di, "struct item", &item), SNARE_OK);
  cr_assert_neq(item.die, point.die);
  snare_debuginfo_close(di);
}
