/*
 * breakpoint_ids.c - open addressing with linear probing; a removal
 * shifts the entries after it back, so no tombstones pile up over a
 * session that sets and clears many breakpoints.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session/breakpoint_ids.h"

static size_t home(int id, size_t capacity) {
  return (size_t)(((uint64_t)(unsigned)id * 0x9E3779B97F4A7C15ull) >> 32) &
         (capacity - 1);
}

static size_t slot_of(const snare_breakpoint_ids *ids, int id) {
  size_t i = home(id, ids->capacity);
  while (ids->entries[i].id != 0 && ids->entries[i].id != id)
    i = (i + 1) & (ids->capacity - 1);
  return i;
}

static bool grow(snare_breakpoint_ids *ids) {
  size_t capacity = ids->capacity ? ids->capacity * 2 : 64;
  snare_breakpoint_id_entry *old = ids->entries;
  size_t old_capacity = ids->capacity;
  ids->entries = calloc(capacity, sizeof *ids->entries);
  if (ids->entries == NULL) {
    ids->entries = old;
    return false;
  }
  ids->capacity = capacity;
  for (size_t i = 0; i < old_capacity; i++)
    if (old[i].id != 0)
      ids->entries[slot_of(ids, old[i].id)] = old[i];
  free(old);
  return true;
}

bool snare_breakpoint_ids_put(snare_breakpoint_ids *ids, int id,
                              size_t index) {
  size_t i = ids->capacity ? slot_of(ids, id) : 0;
  if (ids->capacity == 0 || ids->entries[i].id == 0) {
    if ((ids->count + 1) * 2 > ids->capacity) {
      if (!grow(ids))
        return false;
      i = slot_of(ids, id);
    }
    ids->count++;
  }
  ids->entries[i] = (snare_breakpoint_id_entry){id, index};
  return true;
}

bool snare_breakpoint_ids_get(const snare_breakpoint_ids *ids, int id,
                              size_t *index) {
  if (ids->capacity == 0 || id == 0)
    return false;
  size_t i = slot_of(ids, id);
  if (ids->entries[i].id == 0)
    return false;
  *index = ids->entries[i].index;
  return true;
}

void snare_breakpoint_ids_remove(snare_breakpoint_ids *ids, int id) {
  if (ids->capacity == 0 || id == 0)
    return;
  size_t mask = ids->capacity - 1, hole = slot_of(ids, id);
  if (ids->entries[hole].id == 0)
    return;
  ids->count--;
  /* Shift back each later entry of the run that may move into the hole
     (its home is not cyclically within (hole, j]). */
  for (size_t j = (hole + 1) & mask; ids->entries[j].id != 0;
       j = (j + 1) & mask) {
    size_t h = home(ids->entries[j].id, ids->capacity);
    if (((j - h) & mask) >= ((j - hole) & mask)) {
      ids->entries[hole] = ids->entries[j];
      hole = j;
    }
  }
  ids->entries[hole].id = 0;
}

static int id_order(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

size_t snare_breakpoint_ids_sorted(const snare_breakpoint_ids *ids, int low,
                                   int high, int *out, size_t cap) {
  size_t count = 0;
  for (size_t i = 0; i < ids->capacity; i++)
    count += ids->entries[i].id >= low && ids->entries[i].id <= high;
  if (out == NULL || cap == 0 || count == 0)
    return count;
  int *all = cap >= count ? out : malloc(count * sizeof *all);
  if (all == NULL)
    return count; /* out of memory: nothing written */
  size_t n = 0;
  for (size_t i = 0; i < ids->capacity; i++)
    if (ids->entries[i].id >= low && ids->entries[i].id <= high)
      all[n++] = ids->entries[i].id;
  qsort(all, n, sizeof *all, id_order);
  if (all != out) {
    memcpy(out, all, cap * sizeof *out);
    free(all);
  }
  return count;
}

void snare_breakpoint_ids_free(snare_breakpoint_ids *ids) {
  free(ids->entries);
  *ids = (snare_breakpoint_ids){0};
}
