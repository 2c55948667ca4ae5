/*
 * code_region.c - code registered by JITs: named address ranges, kept
 * sorted by start and disjoint, so lookups are binary searches.
 *
 * Controller-thread only, like the rest of the controller API; there is
 * no lock (lib/ cannot name the OS's locks, and the contract makes one
 * needless).
 */
#include <stdlib.h>
#include <string.h>

#include "internal/breakpoints.h"
#include "internal/code_map.h"
#include "internal/library.h"
#include "internal/os.h"
#include "snare.h"

typedef struct region {
  uint64_t start, size;
  char *name;
} region;

static region *regions;
static size_t region_count, region_capacity;

/* Index of the first region starting above addr; the region before it,
   if any, is the only one that can contain addr. */
static size_t first_above(uint64_t addr) {
  size_t lo = 0, hi = region_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (regions[mid].start <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool reserve_region(void) {
  if (region_count < region_capacity)
    return true;
  size_t capacity = region_capacity ? region_capacity * 2 : 16;
  region *grown = realloc(regions, capacity * sizeof *regions);
  if (grown == NULL)
    return false;
  regions = grown;
  region_capacity = capacity;
  return true;
}

snare_status snare_code_register(uint64_t start, uint64_t size,
                                 const char *name) {
  if (name == NULL || size == 0 || size > UINT64_MAX - start)
    return SNARE_INVALID_ARGUMENT;
  size_t i = first_above(start);
  if ((i > 0 && regions[i - 1].start + regions[i - 1].size > start) ||
      (i < region_count && regions[i].start < start + size))
    return SNARE_EXISTS;
  if (!snare_os_range_executable(start, size))
    return SNARE_NOT_CODE;
  char *copy = strdup(name);
  if (copy == NULL || !reserve_region()) {
    free(copy);
    return SNARE_NO_MEMORY;
  }
  memmove(&regions[i + 1], &regions[i], (region_count - i) * sizeof *regions);
  regions[i] = (region){.start = start, .size = size, .name = copy};
  region_count++;
  return SNARE_OK;
}

/* Breakpoints inside the region go first: the memory may be reused for
   other code as soon as the JIT gets it back. */
snare_status snare_code_unregister(uint64_t start) {
  size_t i = first_above(start);
  if (i == 0 || regions[i - 1].start != start)
    return SNARE_NOT_FOUND;
  region gone = regions[i - 1];
  snare_breakpoints_clear_range(gone.start, gone.size);
  memmove(&regions[i - 1], &regions[i], (region_count - i) * sizeof *regions);
  free(gone.name);
  if (--region_count == 0) {
    free(regions);
    regions = NULL;
    region_capacity = 0;
  }
  return SNARE_OK;
}

/* Regions first (one binary search), then each open library. */
bool snare_code_function_containing(uint64_t addr, uint64_t *start,
                                    uint64_t *size, const char **name) {
  size_t i = first_above(addr);
  if (i > 0 && addr - regions[i - 1].start < regions[i - 1].size) {
    *start = regions[i - 1].start;
    *size = regions[i - 1].size;
    if (name != NULL)
      *name = regions[i - 1].name;
    return true;
  }
  return snare_library_function_containing(addr, start, size, name);
}
