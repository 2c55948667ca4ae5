/*
 * branch_targets.c - the direct branches of whole modules, so a hook can
 * tell that code outside a function (gcc's foo.cold parts, other
 * functions sharing its tail) jumps into the bytes its jump would
 * replace. A module is swept once, on the first hook in it: branches are
 * kept as 32-bit offsets from the sweep's start, sorted by target, and
 * looked up by binary search.
 */
#include <stdlib.h>

#include "code/code.h"
#include "hooks/branch_targets.h"
#include "internal/hook_arch.h"
#include "traps/traps.h"

typedef struct branch {
  uint32_t target, source; /* offsets from the sweep's start */
} branch;

typedef struct sweep {
  uint64_t start, size;
  branch *branches; /* by target */
  size_t count, capacity;
  bool out_of_memory;
} sweep;

static sweep *sweeps;
static size_t sweep_count, sweep_capacity;

static void collect(uint64_t from, uint64_t to, void *arg) {
  sweep *s = arg;
  if (to - s->start >= s->size || s->out_of_memory)
    return; /* branches out of the module enter none of its functions */
  if (s->count == s->capacity) {
    size_t capacity = s->capacity ? s->capacity * 2 : 4096;
    branch *grown = realloc(s->branches, capacity * sizeof *grown);
    if (grown == NULL) {
      s->out_of_memory = true;
      return;
    }
    s->branches = grown;
    s->capacity = capacity;
  }
  s->branches[s->count++] =
      (branch){(uint32_t)(to - s->start), (uint32_t)(from - s->start)};
}

static int by_target(const void *a, const void *b) {
  uint32_t x = ((const branch *)a)->target, y = ((const branch *)b)->target;
  return (x > y) - (x < y);
}

static snare_status sweep_code(sweep *s) {
  if (s->size > UINT32_MAX)
    return SNARE_UNSUPPORTED;
  uint8_t *code = malloc((size_t)s->size);
  if (code == NULL)
    return SNARE_NO_MEMORY;
  snare_status status = SNARE_OK;
  if (!snare_sites_read_original(s->start, code, (size_t)s->size))
    status = SNARE_BAD_ADDRESS;
  else if (!snare_arch_direct_branches(s->start, code, (size_t)s->size,
                                       collect, s))
    status = SNARE_UNSUPPORTED;
  else if (s->out_of_memory)
    status = SNARE_NO_MEMORY;
  free(code);
  if (status == SNARE_OK && s->count > 0)
    qsort(s->branches, s->count, sizeof *s->branches, by_target);
  return status;
}

static snare_status sweep_of(uint64_t addr, const sweep **out) {
  uint64_t start, size;
  if (!snare_code_extent_containing(addr, &start, &size))
    return SNARE_NOT_FOUND;
  for (size_t i = 0; i < sweep_count; i++)
    if (sweeps[i].start == start && sweeps[i].size == size) {
      *out = &sweeps[i];
      return SNARE_OK;
    }
  if (sweep_count == sweep_capacity) {
    size_t capacity = sweep_capacity ? sweep_capacity * 2 : 8;
    sweep *grown = realloc(sweeps, capacity * sizeof *grown);
    if (grown == NULL)
      return SNARE_NO_MEMORY;
    sweeps = grown;
    sweep_capacity = capacity;
  }
  sweep fresh = {.start = start, .size = size};
  snare_status status = sweep_code(&fresh);
  if (status != SNARE_OK) {
    free(fresh.branches);
    return status;
  }
  sweeps[sweep_count] = fresh;
  *out = &sweeps[sweep_count++];
  return SNARE_OK;
}

/* Index of the first branch whose target is at or above offset. */
static size_t first_at_or_above(const sweep *s, uint64_t offset) {
  size_t low = 0, high = s->count;
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    if (s->branches[mid].target < offset)
      low = mid + 1;
    else
      high = mid;
  }
  return low;
}

snare_status snare_branch_targets_entering(uint64_t fn, uint64_t fn_size,
                                           uint64_t low, uint64_t high,
                                           bool *entered) {
  const sweep *s;
  snare_status status = sweep_of(fn, &s);
  if (status != SNARE_OK)
    return status;
  *entered = false;
  for (size_t i = first_at_or_above(s, low - s->start);
       i < s->count && s->start + s->branches[i].target < high; i++)
    if (s->start + s->branches[i].source - fn >= fn_size)
      *entered = true;
  return SNARE_OK;
}

void snare_branch_targets_forget(uint64_t start, uint64_t size) {
  for (size_t i = sweep_count; i-- > 0;)
    if (sweeps[i].start - start < size || start - sweeps[i].start <
                                               sweeps[i].size) {
      free(sweeps[i].branches);
      sweeps[i] = sweeps[--sweep_count];
    }
}
