/*
 * code_region.c - code registered by JITs: address ranges kept sorted by
 * start and disjoint, so lookups are binary searches. Each region holds
 * its functions (sorted, disjoint) and its line map (sorted rows).
 *
 * Controller-thread only, like the rest of the controller API; there is
 * no lock (lib/ cannot name the OS's locks, and the contract makes one
 * needless).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "internal/os.h"
#include "internal/unwind.h"
#include "snare.h"

typedef struct symbol {
  char *name;
  snare_address_range range; /* [start, end): snare_function_info's */
} symbol;

typedef struct row {
  uint64_t address;
  const char *file; /* one of the region's files */
  unsigned line;
} row;

typedef struct region {
  uint64_t start, size;
  char *name;
  symbol *symbols; /* by start; at least one */
  size_t symbol_count;
  row *rows; /* by address */
  size_t row_count;
  char **files; /* distinct file names the rows point at */
  size_t file_count;
} region;

static region *regions;
static size_t region_count, region_capacity;

/* Index of the first of count elements (stride bytes each, sorted by the
   uint64_t at byte offset key) whose key is above addr. */
static size_t upper_bound(const void *base, size_t count, size_t stride,
                          size_t key, uint64_t addr) {
  size_t lo = 0, hi = count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t at;
    memcpy(&at, (const char *)base + mid * stride + key, sizeof at);
    if (at <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Index of the first region starting above addr; the region before it,
   if any, is the only one that can contain addr. */
static size_t first_above(uint64_t addr) {
  return upper_bound(regions, region_count, sizeof *regions,
                     offsetof(region, start), addr);
}

static region *region_containing(uint64_t addr) {
  size_t i = first_above(addr);
  return i > 0 && addr - regions[i - 1].start < regions[i - 1].size
             ? &regions[i - 1]
             : NULL;
}

static const symbol *symbol_containing(const region *r, uint64_t addr) {
  size_t i = upper_bound(r->symbols, r->symbol_count, sizeof *r->symbols,
                         offsetof(symbol, range.low), addr);
  return i > 0 && addr < r->symbols[i - 1].range.high ? &r->symbols[i - 1]
                                                       : NULL;
}

/* The last row at or below addr, or NULL. */
static const row *row_at(const region *r, uint64_t addr) {
  size_t i = upper_bound(r->rows, r->row_count, sizeof *r->rows,
                         offsetof(row, address), addr);
  return i > 0 ? &r->rows[i - 1] : NULL;
}

/* Sets the status of a question about a region: INVALID_ARGUMENT without
   out, NOT_FOUND without an answer; true if OK. */
static bool answerable(const void *out, const void *answer,
                       snare_status *status) {
  *status = out == NULL ? SNARE_INVALID_ARGUMENT
            : answer    ? SNARE_OK
                        : SNARE_NOT_FOUND;
  return *status == SNARE_OK;
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

static void region_free(region *r) {
  for (size_t i = 0; i < r->symbol_count; i++)
    free(r->symbols[i].name);
  for (size_t i = 0; i < r->file_count; i++)
    free(r->files[i]);
  free(r->symbols);
  free(r->rows);
  free(r->files);
  free(r->name);
}

static int by_start(const void *a, const void *b) {
  uint64_t x = ((const symbol *)a)->range.low, y = ((const symbol *)b)->range.low;
  return (x > y) - (x < y);
}

static int by_address(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->address != y->address)
    return (x->address > y->address) - (x->address < y->address);
  return (x->line > y->line) - (x->line < y->line);
}

/* The region's own copy of file, shared by every row naming it. */
static const char *intern_file(region *r, const char *file) {
  for (size_t i = 0; i < r->file_count; i++)
    if (strcmp(r->files[i], file) == 0)
      return r->files[i];
  char *copy = strdup(file);
  if (copy == NULL)
    return NULL;
  r->files[r->file_count++] = copy;
  return copy;
}

/* Copies info's symbols into r, sorted; INVALID_ARGUMENT or NO_MEMORY. */
static snare_status copy_symbols(region *r, const snare_code_info *info) {
  size_t n = info->function_count ? info->function_count : 1;
  r->symbols = calloc(n, sizeof *r->symbols);
  if (r->symbols == NULL)
    return SNARE_NO_MEMORY;
  for (size_t i = 0; i < n; i++) {
    snare_code_function s =
        info->function_count
            ? info->functions[i]
            : (snare_code_function){info->name, info->start, info->size};
    if (s.name == NULL || s.size == 0 || s.start < r->start ||
        s.start - r->start > r->size || s.size > r->size - (s.start - r->start))
      return SNARE_INVALID_ARGUMENT;
    if ((r->symbols[i].name = strdup(s.name)) == NULL)
      return SNARE_NO_MEMORY;
    r->symbols[i].range = (snare_address_range){s.start, s.start + s.size};
    r->symbol_count++;
  }
  qsort(r->symbols, n, sizeof *r->symbols, by_start);
  for (size_t i = 1; i < n; i++)
    if (r->symbols[i].range.low < r->symbols[i - 1].range.high)
      return SNARE_INVALID_ARGUMENT;
  return SNARE_OK;
}

static snare_status copy_rows(region *r, const snare_code_info *info) {
  size_t n = info->line_count;
  if (n == 0)
    return SNARE_OK;
  r->rows = malloc(n * sizeof *r->rows);
  r->files = malloc(n * sizeof *r->files);
  if (r->rows == NULL || r->files == NULL)
    return SNARE_NO_MEMORY;
  for (size_t i = 0; i < n; i++) {
    const snare_code_line *l = &info->lines[i];
    if (l->file == NULL || l->address - r->start >= r->size)
      return SNARE_INVALID_ARGUMENT;
    const char *file = intern_file(r, l->file);
    if (file == NULL)
      return SNARE_NO_MEMORY;
    r->rows[i] = (row){l->address, file, l->line};
    r->row_count++;
  }
  qsort(r->rows, n, sizeof *r->rows, by_address);
  return SNARE_OK;
}

snare_status snare_code_register_info(const snare_code_info *info) {
  if (info == NULL || info->name == NULL || info->size == 0 ||
      info->size > UINT64_MAX - info->start ||
      (info->function_count > 0 && info->functions == NULL) ||
      (info->line_count > 0 && info->lines == NULL))
    return SNARE_INVALID_ARGUMENT;
  size_t i = first_above(info->start);
  if ((i > 0 && regions[i - 1].start + regions[i - 1].size > info->start) ||
      (i < region_count && regions[i].start < info->start + info->size))
    return SNARE_EXISTS;
  if (!snare_os_range_executable(info->start, info->size))
    return SNARE_NOT_CODE;
  region r = {.start = info->start, .size = info->size};
  snare_status status = SNARE_NO_MEMORY;
  if ((r.name = strdup(info->name)) != NULL &&
      (status = copy_symbols(&r, info)) == SNARE_OK &&
      (status = copy_rows(&r, info)) == SNARE_OK && !reserve_region())
    status = SNARE_NO_MEMORY;
  if (status != SNARE_OK) {
    region_free(&r);
    return status;
  }
  memmove(&regions[i + 1], &regions[i], (region_count - i) * sizeof *regions);
  regions[i] = r;
  region_count++;
  return SNARE_OK;
}

snare_status snare_code_register(uint64_t start, uint64_t size,
                                 const char *name) {
  snare_code_info info = {.start = start, .size = size, .name = name};
  return snare_code_register_info(&info);
}

/* Breakpoints and hooks inside the region go first: the memory may be
   reused for other code as soon as the JIT gets it back. */
static void remove_at(size_t i) {
  region gone = regions[i];
  snare_code_removed(gone.start, gone.size);
  memmove(&regions[i], &regions[i + 1], (region_count - i - 1) * sizeof *regions);
  region_free(&gone);
  if (--region_count == 0) {
    free(regions);
    regions = NULL;
    region_capacity = 0;
  }
}

snare_status snare_code_unregister(uint64_t start) {
  size_t i = first_above(start);
  if (i == 0 || regions[i - 1].start != start)
    return SNARE_NOT_FOUND;
  remove_at(i - 1);
  return SNARE_OK;
}

void snare_code_unregister_range(uint64_t start, uint64_t size) {
  for (size_t i = first_above(start + size); i-- > 0;)
    if (regions[i].start >= start)
      remove_at(i);
    else
      break;
}

/* Regions first (binary searches), then each open library. */
bool snare_code_function_containing(uint64_t addr, uint64_t *start,
                                    uint64_t *size, const char **name) {
  const region *r = region_containing(addr);
  if (r == NULL)
    return snare_library_function_containing(addr, start, size, name);
  const symbol *s = symbol_containing(r, addr);
  if (s == NULL)
    return false; /* between a region's functions: nothing is known */
  *start = s->range.low;
  *size = s->range.high - s->range.low;
  if (name != NULL)
    *name = s->name;
  return true;
}

bool snare_code_extent_containing(uint64_t addr, uint64_t *start,
                                  uint64_t *size) {
  const region *r = region_containing(addr);
  if (r == NULL)
    return snare_library_code_containing(addr, start, size);
  *start = r->start;
  *size = r->size;
  return true;
}

static void to_public(const symbol *s, snare_symbol *out) {
  *out = (snare_symbol){.name = s->name,
                        .address = s->range.low,
                        .size = s->range.high - s->range.low,
                        .is_function = true};
}

snare_status snare_code_symbol(const char *name, snare_symbol *out) {
  if (name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  for (size_t i = 0; i < region_count; i++)
    for (size_t k = 0; k < regions[i].symbol_count; k++)
      if (strcmp(regions[i].symbols[k].name, name) == 0) {
        to_public(&regions[i].symbols[k], out);
        return SNARE_OK;
      }
  return SNARE_NOT_FOUND;
}

snare_status snare_code_symbol_at(uint64_t addr, snare_symbol *out) {
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  const region *r = region_containing(addr);
  const symbol *s = r ? symbol_containing(r, addr) : NULL;
  if (s == NULL)
    return SNARE_NOT_FOUND;
  to_public(s, out);
  return SNARE_OK;
}

bool snare_code_line_at(uint64_t addr, snare_line_info *out,
                        snare_status *status) {
  const region *r = region_containing(addr);
  if (r == NULL)
    return false;
  const row *at = row_at(r, addr);
  if (!answerable(out, at, status))
    return true;
  const row *next = at + 1; /* above addr: row_at took the last at or below */
  const symbol *s = symbol_containing(r, addr);
  *out = (snare_line_info){
      .file = at->file,
      .line = at->line,
      .start = at->address,
      .end = next < r->rows + r->row_count ? next->address : r->start + r->size,
      .function = s ? s->name : NULL,
  };
  return true;
}

bool snare_code_function_at(uint64_t addr, snare_function_info *out,
                            snare_status *status) {
  const region *r = region_containing(addr);
  if (r == NULL)
    return false;
  const symbol *s = symbol_containing(r, addr);
  if (!answerable(out, s, status))
    return true;
  const row *decl = row_at(r, s->range.low);
  if (decl != NULL && decl->address < s->range.low)
    decl = NULL; /* a row of the code before: not this function's */
  *out = (snare_function_info){
      .name = s->name,
      .entry = s->range.low,
      .after_prologue = s->range.low, /* JIT code has no prologue marker */
      .step_start = s->range.low,
      .ranges = &s->range,
      .range_count = 1,
      .decl_file = decl ? decl->file : NULL,
      .decl_line = decl ? decl->line : 0,
  };
  return true;
}

bool snare_unwind_function_entry(uint64_t pc) {
  uint64_t start, size;
  return snare_code_function_containing(pc, &start, &size, NULL) &&
         start == pc;
}
