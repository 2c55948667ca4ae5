/*
 * breakpoint_ids_test.c - a session's id table (lib/session/
 * breakpoint_ids.c): every id put is found at its index until removed,
 * whatever was removed around it (a removal shifts its run back).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "../../lib/session/breakpoint_ids.h"

enum { IDS = 3000 };

static int id_of(int i) { return i % 3 == 0 ? -(i + 1) : i + 1; }

Test(breakpoint_ids, finds_each_id_until_it_is_removed) {
  snare_breakpoint_ids ids = {0};
  for (int i = 0; i < IDS; i++)
    cr_assert(snare_breakpoint_ids_put(&ids, id_of(i), (size_t)i));
  bool removed[IDS] = {0};
  srand(16);
  for (int n = 0; n < IDS * 2 / 3; n++) {
    int i = rand() % IDS;
    snare_breakpoint_ids_remove(&ids, id_of(i));
    removed[i] = true;
  }
  cr_assert(snare_breakpoint_ids_put(&ids, id_of(1), 7)); /* a move */
  for (int i = 0; i < IDS; i++) {
    size_t index;
    bool found = snare_breakpoint_ids_get(&ids, id_of(i), &index);
    cr_assert_eq(found, !removed[i] || i == 1, "id %d", id_of(i));
    if (found)
      cr_assert_eq(index, i == 1 ? 7u : (size_t)i);
  }
  size_t index;
  cr_assert(!snare_breakpoint_ids_get(&ids, 0, &index));
  cr_assert(!snare_breakpoint_ids_get(&ids, IDS + 5, &index));
  snare_breakpoint_ids_free(&ids);
}
