/*
 * marks.c - the table of marks: potential breakpoint sites with their
 * data, added by JITs, by SNARE_MARK and by USDT probes, armed only by
 * mark breakpoints and mark hooks. Controller thread only. Removed marks
 * leave a NULL in the table, so ids are never reused.
 *
 * Mark breakpoints (lib/session/mark_breakpoint.c) sit above marks: they
 * hear of marks coming and going through the watcher they register.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "marks/marks.h"

static snare_mark **marks; /* by id - 1 */
static size_t mark_count, mark_capacity;
static const snare_marks_watcher *watcher;

void snare_marks_watch(const snare_marks_watcher *w) { watcher = w; }

/* Marks in code that goes away go with it; a library's own marks and
   probes arrive with it. */
SNARE_AT_LOAD static void watch_code(void) {
  static const snare_code_watcher code_watcher = {
      .removed = snare_marks_remove_extent,
      .library_opened = snare_usdt_library_opened,
      .unmapped = snare_mark_jumps_unmapped,
  };
  snare_code_watch(&code_watcher);
}

snare_mark *snare_marks_find(int id) {
  return id > 0 && (size_t)id <= mark_count ? marks[id - 1] : NULL;
}

void snare_marks_each(void (*fn)(snare_mark *, void *), void *arg) {
  for (size_t i = 0; i < mark_count; i++)
    if (marks[i] != NULL)
      fn(marks[i], arg);
}

/* Copies provider and name into one allocation the mark owns. */
static bool copy_strings(snare_mark *mark) {
  const char *provider = mark->info.provider, *name = mark->info.name;
  if (provider == NULL || name == NULL) {
    mark->info.provider = mark->info.name = NULL;
    return true;
  }
  size_t a = strlen(provider) + 1, b = strlen(name) + 1;
  mark->strings = malloc(a + b);
  if (mark->strings == NULL)
    return false;
  memcpy(mark->strings, provider, a);
  memcpy(mark->strings + a, name, b);
  mark->info.provider = mark->strings;
  mark->info.name = mark->strings + a;
  return true;
}

bool snare_marks_grow(void *array, size_t *capacity, size_t count,
                      size_t size) {
  if (count < *capacity)
    return true;
  size_t more = *capacity ? *capacity * 2 : 8;
  void *items;
  memcpy(&items, array, sizeof items);
  void *grown = realloc(items, more * size);
  if (grown == NULL)
    return false;
  memcpy(array, &grown, sizeof grown);
  *capacity = more;
  return true;
}

static bool values_valid(const snare_mark_info *info) {
  if (!snare_mark_value_valid(&info->data1) ||
      !snare_mark_value_valid(&info->data2) ||
      info->arg_count > SNARE_MARK_MAX_ARGS)
    return false;
  for (unsigned i = 0; i < info->arg_count; i++)
    if (!snare_mark_value_valid(&info->args[i]))
      return false;
  return true;
}

snare_status snare_marks_add_full(const snare_mark_info *info, int *id) {
  if (info == NULL || id == NULL || !values_valid(info))
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock(); /* it reads the code under snare's patches */
  snare_status status = snare_check_code_address(info->address);
  snare_os_global_unlock();
  if (status != SNARE_OK)
    return status;
  snare_mark *mark = calloc(1, sizeof *mark);
  if (mark == NULL ||
      !snare_marks_grow(&marks, &mark_capacity, mark_count, sizeof *marks)) {
    free(mark);
    return SNARE_NO_MEMORY;
  }
  mark->info = *info;
  mark->info.armed = 0;
  if (!copy_strings(mark)) {
    free(mark);
    return SNARE_NO_MEMORY;
  }
  uint64_t start, size;
  if (mark->info.function == 0 &&
      snare_code_function_containing(info->address, &start, &size, NULL))
    mark->info.function = start;
  marks[mark_count++] = mark;
  mark->info.id = (int)mark_count;
  *id = mark->info.id;
  if (watcher != NULL)
    watcher->added(mark);
  snare_mark_hooks_added(mark);
  return SNARE_OK;
}

snare_status snare_mark_add(uint64_t address, snare_mark_value data1,
                            snare_mark_value data2, uint64_t function,
                            int *id) {
  snare_mark_info info = {0};
  info.address = address;
  info.function = function;
  info.data1 = data1;
  info.data2 = data2;
  return snare_marks_add_full(&info, id);
}

static void destroy(snare_mark *mark) {
  if (watcher != NULL)
    watcher->removed(mark);
  snare_mark_hooks_removed(mark);
  marks[mark->info.id - 1] = NULL;
  free(mark->strings);
  free(mark);
}

snare_status snare_mark_remove(int id) {
  snare_mark *mark = snare_marks_find(id);
  if (mark == NULL)
    return SNARE_NOT_FOUND;
  destroy(mark);
  return SNARE_OK;
}

void snare_marks_remove_extent(uint64_t start, uint64_t size) {
  for (size_t i = 0; i < mark_count; i++)
    if (marks[i] != NULL && marks[i]->info.address >= start &&
        marks[i]->info.address - start < size)
      destroy(marks[i]);
}

/* Ids of the live marks in [start, end), up to cap; returns the total. */
static size_t ids_in(uint64_t start, uint64_t end, int *ids, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < mark_count; i++) {
    const snare_mark *mark = marks[i];
    if (mark == NULL || mark->info.address < start ||
        mark->info.address >= end)
      continue;
    if (n < cap && ids != NULL)
      ids[n] = mark->info.id;
    n++;
  }
  return n;
}

size_t snare_mark_list(int *ids, size_t cap) {
  return ids_in(0, UINT64_MAX, ids, cap);
}

size_t snare_library_marks(const snare_library *lib, int *ids, size_t cap) {
  uint64_t start, size;
  return snare_library_extent(lib, &start, &size)
             ? ids_in(start, start + size, ids, cap)
             : 0;
}

snare_status snare_mark_lookup(int id, snare_mark_info *out) {
  const snare_mark *mark = snare_marks_find(id);
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (mark == NULL)
    return SNARE_NOT_FOUND;
  *out = mark->info;
  return SNARE_OK;
}

void snare_marks_arm(int id, int delta) {
  snare_mark *mark = snare_marks_find(id);
  if (mark == NULL)
    return;
  unsigned before = mark->info.armed;
  mark->info.armed = (unsigned)((int)before + delta);
  bool edge = (before == 0) != (mark->info.armed == 0);
  uint16_t count; /* <sys/sdt.h> semaphores are unsigned shorts */
  if (edge && mark->info.semaphore != 0 &&
      snare_os_memory_read(mark->info.semaphore, &count, sizeof count)) {
    count = (uint16_t)(count + (delta > 0 ? 1 : -1));
    snare_os_memory_write(mark->info.semaphore, &count, sizeof count);
  }
}

bool snare_marks_filter_static(const snare_mark_filter *filter,
                               const snare_mark *mark) {
  const snare_mark_info *m = &mark->info;
  unsigned f = filter->flags;
  if ((f & SNARE_MARK_MATCH_MARK) && m->id != filter->mark)
    return false;
  if ((f & SNARE_MARK_MATCH_FUNCTION) && m->function != filter->function)
    return false;
  if ((f & SNARE_MARK_MATCH_DATA1) && m->data1.kind == SNARE_MARK_CONSTANT &&
      m->data1.constant != filter->data1)
    return false;
  return !((f & SNARE_MARK_MATCH_DATA2) &&
           m->data2.kind == SNARE_MARK_CONSTANT &&
           m->data2.constant != filter->data2);
}

bool snare_marks_filter_values(const snare_mark_filter *filter, int64_t data1,
                               int64_t data2) {
  if ((filter->flags & SNARE_MARK_MATCH_DATA1) && data1 != filter->data1)
    return false;
  return !((filter->flags & SNARE_MARK_MATCH_DATA2) && data2 != filter->data2);
}
