/*
 * breakpoint_ids.h - a session's breakpoints by id: where each one is in
 * the session's table, so finding or clearing one costs the same however
 * many there are. Implemented in breakpoint_ids.c; under the global lock.
 */
#ifndef SNARE_SESSION_BREAKPOINT_IDS_H
#define SNARE_SESSION_BREAKPOINT_IDS_H

#include <stdbool.h>
#include <stddef.h>

#include "internal/hidden.h"

typedef struct snare_breakpoint_id_entry {
  int id; /* 0: empty (no breakpoint has id 0) */
  size_t index;
} snare_breakpoint_id_entry;

typedef struct snare_breakpoint_ids {
  snare_breakpoint_id_entry *entries;
  size_t capacity; /* a power of two, or 0 */
  size_t count;
} snare_breakpoint_ids;

/* Adds id at index, or moves it there (which never fails); false when
   out of memory. */
SNARE_HIDDEN bool snare_breakpoint_ids_put(snare_breakpoint_ids *ids, int id,
                                           size_t index);
SNARE_HIDDEN bool snare_breakpoint_ids_get(const snare_breakpoint_ids *ids,
                                           int id, size_t *index);
SNARE_HIDDEN void snare_breakpoint_ids_remove(snare_breakpoint_ids *ids,
                                              int id);
/* The ids in [low, high] the table holds, ascending: writes up to cap of
   them to out (none when out of memory for a partial list) and returns
   how many there are. Reads each slot once: O(n log n) whatever the ids. */
SNARE_HIDDEN size_t snare_breakpoint_ids_sorted(const snare_breakpoint_ids *ids,
                                                int low, int high, int *out,
                                                size_t cap);
SNARE_HIDDEN void snare_breakpoint_ids_free(snare_breakpoint_ids *ids);

#endif
