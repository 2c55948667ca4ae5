/*
 * lookup_index.c - indexes rebuilt as units are loaded, so that `file:line`
 * and address lookups cost a binary search and a short scan instead of a
 * pass over every row and block of the object (a library with thousands
 * of functions answers each breakpoint location in microseconds).
 */
#include <stdlib.h>

#include "private.h"

/* qsort has no context argument: the rows being ordered, for by_line. */
static _Thread_local const di_row *sorting_rows;

static int by_line_cmp(const void *a, const void *b)
{
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  unsigned lx = sorting_rows[x].line, ly = sorting_rows[y].line;
  if (lx != ly)
    return lx < ly ? -1 : 1;
  return (x > y) - (x < y);
}

static bool index_lines(di_subfile *sf)
{
  size_t n = 0;
  for (size_t i = 0; i < sf->count; i++)
    n += sf->rows[i].is_stmt;
  sf->by_line = malloc((n ? n : 1) * sizeof *sf->by_line);
  if (!sf->by_line)
    return false;
  n = 0;
  for (size_t i = 0; i < sf->count; i++)
    if (sf->rows[i].is_stmt)
      sf->by_line[n++] = i;
  sorting_rows = sf->rows;
  qsort(sf->by_line, n, sizeof *sf->by_line, by_line_cmp);
  sf->by_line_count = n;
  return true;
}

static int root_cmp(const void *a, const void *b)
{
  const di_root *x = a, *y = b;
  return (x->low > y->low) - (x->low < y->low);
}

/* Every range of every top-level block, with the end of its subtree. */
static bool index_roots(snare_debuginfo *di)
{
  size_t n = 0;
  for (size_t i = 0; i < di->block_count; i++)
    if (di->blocks[i].parent < 0)
      n += di->blocks[i].range_count;
  di_root *roots = malloc((n ? n : 1) * sizeof *roots);
  if (!roots)
    return false;
  n = 0;
  for (size_t i = 0; i < di->block_count; i++) {
    const di_block *b = &di->blocks[i];
    if (b->parent >= 0)
      continue;
    size_t end = i + 1;
    while (end < di->block_count && di->blocks[end].parent >= 0)
      end++;
    for (size_t k = 0; k < b->range_count; k++)
      roots[n++] = (di_root){b->ranges[k].low, b->ranges[k].high, i, end};
  }
  qsort(roots, n, sizeof *roots, root_cmp);
  di->roots = roots;
  di->root_count = n;
  return true;
}

snare_status di_build_indexes(snare_debuginfo *di)
{
  for (size_t i = 0; i < di->subfile_count; i++)
    if (!di->subfiles[i].by_line && !index_lines(&di->subfiles[i]))
      return SNARE_NO_MEMORY;
  free(di->roots);
  di->roots = NULL;
  return index_roots(di) ? SNARE_OK : SNARE_NO_MEMORY;
}

void di_free_indexes(snare_debuginfo *di)
{
  for (size_t i = 0; i < di->subfile_count; i++) {
    free(di->subfiles[i].by_line);
    di->subfiles[i].by_line = NULL;
  }
  free(di->roots);
  di->roots = NULL;
}

size_t di_line_rows(const di_subfile *sf, unsigned line, const size_t **rows)
{
  size_t lo = 0, hi = sf->by_line_count;
  while (lo < hi) { /* first entry whose line >= line */
    size_t mid = lo + (hi - lo) / 2;
    if (sf->rows[sf->by_line[mid]].line < line)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < sf->by_line_count && sf->rows[sf->by_line[end]].line == line)
    end++;
  *rows = sf->by_line + lo;
  return end - lo;
}

/*
 * Top-level blocks (functions) do not overlap, so the one whose range
 * starts last at or below addr is the only candidate; its nested blocks
 * follow it in the list.
 */
bool di_block_span(const snare_debuginfo *di, uint64_t addr, size_t *first,
                   size_t *end)
{
  if (!di->roots) {
    *first = 0;
    *end = di->block_count;
    return true;
  }
  size_t lo = 0, hi = di->root_count;
  while (lo < hi) { /* first root starting above addr */
    size_t mid = lo + (hi - lo) / 2;
    if (di->roots[mid].low <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0 || addr >= di->roots[lo - 1].high)
    return false;
  *first = di->roots[lo - 1].block;
  *end = di->roots[lo - 1].end;
  return true;
}
