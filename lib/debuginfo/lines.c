/*
 * lines.c - queries over the per-file line tables: address to line, and
 * file:line to addresses, with gdb's choices (symtab.c find_pc_sect_line,
 * find_line_common; linespec.c's one location per block).
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

static long unit_at(const snare_debuginfo *di, uint64_t addr,
                    uint64_t *high)
{
  size_t lo = 0, hi = di->sequence_count;
  while (lo < hi) { /* first sequence starting after addr */
    size_t mid = (lo + hi) / 2;
    if (di->sequences[mid].low <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (size_t i = lo; i-- > 0;) {
    if (addr < di->sequences[i].high) {
      *high = di->sequences[i].high;
      return (long)di->sequences[i].unit;
    }
  }
  return -1;
}

/* First row of sf whose address is above addr. */
static const di_row *upper_bound(const di_subfile *sf, uint64_t addr)
{
  size_t lo = 0, hi = sf->count;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (sf->rows[mid].addr <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return sf->rows + lo;
}

di_pc_line di_pc_line_find(const snare_debuginfo *di, uint64_t addr)
{
  di_pc_line none = {0};
  uint64_t unit_high = 0;
  long unit = unit_at(di, addr, &unit_high);
  if (unit < 0)
    return none;
  const di_row *best = NULL, *alt = NULL;
  const di_subfile *best_sf = NULL;
  uint64_t best_end = 0;
  for (size_t i = 0; i < di->subfile_count; i++) {
    const di_subfile *sf = &di->subfiles[i];
    if (sf->unit != (size_t)unit || sf->count == 0)
      continue;
    const di_row *first = sf->rows, *last = sf->rows + sf->count;
    if (first->addr > addr && (!alt || first->addr < alt->addr))
      alt = first;
    const di_row *item = upper_bound(sf, addr);
    const di_row *prev = item != first ? item - 1 : NULL;
    /* At one address, a file's real row beats another's end marker. */
    bool better = prev && (!best || prev->addr > best->addr ||
                           (prev->addr == best->addr && best->line == 0 &&
                            prev->line != 0));
    if (better) {
      best = prev;
      best_sf = sf;
      /* Among rows at one address, the statement row names the line. */
      const di_row *tmp = best;
      while (tmp > first && (tmp - 1)->addr == tmp->addr &&
             (tmp - 1)->line != 0 && !tmp->is_stmt)
        tmp--;
      if (tmp->is_stmt)
        best = tmp;
      if (best_end <= best->addr)
        best_end = 0;
    }
    if (best && item != last && item->addr > best->addr &&
        (best_end == 0 || best_end > item->addr))
      best_end = item->addr;
  }
  if (!best || best->line == 0)
    return none;
  uint64_t end = unit_high;
  if (best_end && (!alt || best_end < alt->addr))
    end = best_end;
  else if (alt)
    end = alt->addr;
  return (di_pc_line){.subfile = best_sf, .row = best, .end = end};
}

/* The row covering addr, its file's rows loaded (di_pc_line_find), for
   a query answering into out. */
static snare_status row_at(const snare_debuginfo *di, uint64_t addr,
                           const void *out, di_pc_line *pl)
{
  if (!di || !out)
    return SNARE_INVALID_ARGUMENT;
  uint64_t link = addr - di->bias;
  di_need_address(di, link);
  *pl = di_pc_line_find(di, link);
  return pl->subfile ? SNARE_OK : SNARE_NOT_FOUND;
}

/* The first row of pl's file at pl's row's address (after an end marker). */
static const di_row *first_at_address(const di_pc_line *pl)
{
  const di_row *first = pl->row;
  while (first > pl->subfile->rows && first[-1].addr == first->addr &&
         first[-1].line != 0)
    first--;
  return first;
}

snare_status snare_debuginfo_line_at(const snare_debuginfo *di, uint64_t addr,
                                     snare_line_info *out)
{
  di_pc_line pl;
  snare_status status = row_at(di, addr, out, &pl);
  if (status != SNARE_OK)
    return status;
  const di_function *fn = di_function_at(di, addr - di->bias);
  const di_row *first = first_at_address(&pl);
  *out = (snare_line_info){
      .first_line = first->line,
      .file = pl.subfile->path,
      .line = pl.row->line,
      .column = pl.row->column,
      .start = pl.row->addr + di->bias,
      .end = pl.end + di->bias,
      .function = fn ? fn->info.name : NULL,
      .function_linkage = fn ? fn->info.linkage_name : NULL,
      .not_stmt = !pl.row->is_stmt,
  };
  return SNARE_OK;
}

snare_status snare_debuginfo_statement_line_from(const snare_debuginfo *di,
                                                 uint64_t addr, unsigned line,
                                                 unsigned *out)
{
  di_pc_line pl;
  snare_status status = row_at(di, addr, out, &pl);
  if (status != SNARE_OK)
    return status;
  const di_row *last = pl.subfile->rows + pl.subfile->count;
  const di_row *r = first_at_address(&pl);
  unsigned best = 0;
  for (; r < last && r->addr == pl.row->addr; r++)
    if (r->is_stmt && r->line >= line && (best == 0 || r->line < best))
      best = r->line;
  if (best == 0)
    return SNARE_NOT_FOUND;
  *out = best;
  return SNARE_OK;
}

bool di_file_matches(const char *path, const char *file)
{
  size_t n = strlen(path), m = strlen(file);
  if (m == 0 || m > n)
    return false;
  if (strcmp(path + n - m, file) != 0)
    return false;
  return m == n || file[0] == '/' || path[n - m - 1] == '/';
}

/*
 * gdb's find_line_common: the first statement row of line in sf at or
 * after index start (*exact set), else the first row of the smallest
 * later line (*exact clear), else -1.
 */
static long line_common(const di_subfile *sf, unsigned line, size_t start,
                        bool *exact)
{
  long best_index = -1;
  unsigned best = 0;
  *exact = false;
  for (size_t i = start; i < sf->count; i++) {
    const di_row *row = &sf->rows[i];
    if (!row->is_stmt)
      continue;
    if (row->line == line) {
      *exact = true;
      return (long)i;
    }
    if (row->line > line && (best == 0 || row->line < best)) {
      best = row->line;
      best_index = (long)i;
    }
  }
  return best_index;
}

uint64_t di_past_prologue(const snare_debuginfo *di, uint64_t pc)
{
  long b = di_block_at(di, pc);
  while (b >= 0 && di->blocks[b].kind != DI_BLOCK_FUNCTION)
    b = di->blocks[b].parent;
  if (b < 0)
    return pc;
  const snare_function_info *fn = &di->functions[di->blocks[b].function].info;
  uint64_t entry = fn->entry, after = fn->after_prologue; /* link-time */
  return pc >= entry && pc < after ? after : pc;
}

static int addr_cmp(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/*
 * Keeps the first address of each block (gdb: a line split into pieces
 * of one scope gets one location), then moves locations inside a
 * prologue past it. Works in place on pcs; returns the new count.
 */
static size_t filter_locations(const snare_debuginfo *di, uint64_t *pcs,
                               size_t n)
{
  long *blocks = malloc(n * sizeof *blocks + 1);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    long b = di_block_at(di, pcs[i]);
    bool dup = false;
    for (size_t j = 0; blocks && b >= 0 && j < kept; j++)
      dup |= blocks[j] == b;
    if (dup)
      continue;
    if (blocks)
      blocks[kept] = b;
    pcs[kept++] = pcs[i];
  }
  free(blocks);
  for (size_t i = 0; i < kept; i++)
    pcs[i] = di_past_prologue(di, pcs[i]);
  qsort(pcs, kept, sizeof *pcs, addr_cmp);
  size_t unique = 0;
  for (size_t i = 0; i < kept; i++)
    if (unique == 0 || pcs[unique - 1] != pcs[i])
      pcs[unique++] = pcs[i];
  return unique;
}

snare_status snare_debuginfo_line_addresses(const snare_debuginfo *di,
                                            const char *file, unsigned line,
                                            uint64_t *addrs, size_t cap,
                                            size_t *count)
{
  if (!di || !file || !count || (cap && !addrs))
    return SNARE_INVALID_ARGUMENT;
  di_need_file(di, file);
  uint64_t *pcs = NULL;
  size_t n = 0, pcs_cap = 0;
  for (size_t i = 0; i < di->subfile_count; i++) {
    const di_subfile *sf = &di->subfiles[i];
    if (!di_file_matches(sf->path, file))
      continue;
    const size_t *rows;
    size_t count = di_line_rows(sf, line, &rows);
    for (size_t k = 0; k < count; k++) {
      if (!di_reserve((void **)&pcs, &pcs_cap, n, sizeof *pcs)) {
        free(pcs);
        return SNARE_NO_MEMORY;
      }
      pcs[n++] = sf->rows[rows[k]].addr;
    }
  }
  if (n == 0) {
    free(pcs);
    return SNARE_NOT_FOUND;
  }
  n = filter_locations(di, pcs, n);
  for (size_t i = 0; i < n && i < cap; i++)
    addrs[i] = pcs[i] + di->bias;
  *count = n;
  free(pcs);
  return SNARE_OK;
}

snare_status snare_debuginfo_line_nearest(const snare_debuginfo *di,
                                          const char *file, unsigned line,
                                          unsigned *before, unsigned *after)
{
  if (!di || !file || !before || !after)
    return SNARE_INVALID_ARGUMENT;
  di_need_file(di, file);
  bool known = false;
  unsigned lo = 0, hi = 0;
  for (size_t i = 0; i < di->subfile_count; i++) {
    const di_subfile *sf = &di->subfiles[i];
    if (!di_file_matches(sf->path, file))
      continue;
    known = true;
    for (size_t k = 0; k < sf->count; k++) {
      unsigned l = sf->rows[k].line;
      if (!sf->rows[k].is_stmt || l == 0)
        continue;
      if (l < line && l > lo)
        lo = l;
      if (l > line && (hi == 0 || l < hi))
        hi = l;
    }
  }
  if (!known)
    return SNARE_NOT_FOUND;
  *before = lo;
  *after = hi;
  return SNARE_OK;
}

snare_status snare_debuginfo_line_span(const snare_debuginfo *di,
                                       const char *file, unsigned line,
                                       snare_line_span *out)
{
  if (!di || !file || !out)
    return SNARE_INVALID_ARGUMENT;
  di_need_file(di, file);
  /* find_line_symtab: an exact statement row in any of the file's
     tables, else the row of the smallest later line over all of them */
  const di_subfile *known = NULL, *best_sf = NULL;
  long best = -1;
  for (size_t i = 0; i < di->subfile_count; i++) {
    const di_subfile *sf = &di->subfiles[i];
    if (!di_file_matches(sf->path, file))
      continue;
    known = known ? known : sf;
    bool exact;
    long k = line > 0 ? line_common(sf, line, 0, &exact) : -1;
    if (k >= 0 && (exact || best < 0 ||
                   sf->rows[k].line < best_sf->rows[best].line)) {
      best = k;
      best_sf = sf;
    }
    if (k >= 0 && exact)
      break;
  }
  if (!known)
    return SNARE_NOT_FOUND;
  *out = (snare_line_span){
      .file = known->path,
      .start = (known->count > 0 ? known->rows[0].addr : 0) + di->bias};
  if (best < 0)
    return SNARE_OK; /* "Line number N is out of range" */
  /* find_line_pc_range: the row at that address names the line; another
     line's ("contains no code") leaves the span empty at its start */
  uint64_t pc = best_sf->rows[best].addr;
  di_pc_line pl = di_pc_line_find(di, pc);
  bool own = pl.subfile && pl.row->line == line;
  uint64_t start = pl.subfile ? pl.row->addr : pc;
  *out = (snare_line_span){.file = best_sf->path, .in_range = true,
                           .start = start + di->bias,
                           .end = (own ? pl.end : start) + di->bias};
  return SNARE_OK;
}
