/*
 * marks.h - the marks subsystem: the mark table (marks.c), mark hooks
 * (mark_hook.c), the marks and probes of libraries (usdt.c) and operand
 * parsing (mark_value.c). Breakpoints on marks belong to sessions
 * (lib/session/mark_breakpoint.c). Controller thread only unless stated.
 */
#ifndef SNARE_MARKS_MARKS_H
#define SNARE_MARKS_MARKS_H

#include "threads/threads.h"
#include "traps/traps.h"

typedef struct snare_mark {
  snare_mark_info info; /* provider/name point into `strings` */
  char *strings;
} snare_mark;

/* What a part above marks hears of them: a new mark (arm it where it
   matches), a mark going away (drop what was set on it). */
typedef struct snare_marks_watcher {
  void (*added)(snare_mark *mark);
  void (*removed)(snare_mark *mark);
} snare_marks_watcher;

/* ---- marks.c ---- */
/* Registers the one watcher (static storage); from an SNARE_AT_LOAD
   function. */
SNARE_HIDDEN void snare_marks_watch(const snare_marks_watcher *watcher);
/* Grows the array *array points to (*capacity elements of `size` bytes)
   to hold count + 1; false when memory runs out (the array is kept). */
SNARE_HIDDEN bool snare_marks_grow(void *array, size_t *capacity, size_t count,
                                   size_t size);
/* The live mark with this id, or NULL. */
SNARE_HIDDEN snare_mark *snare_marks_find(int id);
/* Calls fn on each live mark, in the order they were added. */
SNARE_HIDDEN void snare_marks_each(void (*fn)(snare_mark *, void *),
                                   void *arg);
/* As snare_mark_add, with everything a mark may have (provider and name
   may be NULL; args has arg_count entries); the strings are copied. */
SNARE_HIDDEN snare_status snare_marks_add_full(const snare_mark_info *info,
                                               int *id);
/* Removes the marks in a library's extent, its own and those added there
   through snare_mark_add, before the code goes away. */
SNARE_HIDDEN void snare_marks_remove_extent(uint64_t start, uint64_t size);
/* Counts an arming of mark id (+1) or a disarming (-1), raising or
   lowering its USDT semaphore on the first and the last. */
SNARE_HIDDEN void snare_marks_arm(int id, int delta);
/* Whether a mark matches a filter as far as it can be told before a hit
   (computed values always pass). */
SNARE_HIDDEN bool snare_marks_filter_static(const snare_mark_filter *filter,
                                            const snare_mark *mark);
/* Whether evaluated values pass the filter; signal-safe. */
SNARE_HIDDEN bool snare_marks_filter_values(const snare_mark_filter *filter,
                                            int64_t data1, int64_t data2);

/* ---- mark_value.c ---- */
/* Evaluates a value in a trapped context whose pc is at the mark;
   signal-safe. False if memory could not be read. */
SNARE_HIDDEN bool snare_mark_value_at(const snare_mark_value *value,
                                      const void *context, int64_t *out);
SNARE_HIDDEN bool snare_mark_value_valid(const snare_mark_value *value);

/* ---- mark_hook.c ---- */
SNARE_HIDDEN void snare_mark_hooks_added(snare_mark *mark);
SNARE_HIDDEN void snare_mark_hooks_removed(snare_mark *mark);
/* The code of [start, start+size) was unmapped: the jumps written at
   marks there went with it, and are never taken away by a write. Takes
   the global lock. */
SNARE_HIDDEN void snare_mark_jumps_unmapped(uint64_t start, uint64_t size);
/* Runs the mark hooks of a trapped site; signal-safe, any thread. */
SNARE_HIDDEN void snare_mark_hooks_trapped(snare_site *site, void *context);

/* ---- usdt.c ---- */
/* Registers the SNARE_MARK records and USDT probes of an ELF file loaded
   at bias. */
SNARE_HIDDEN void snare_usdt_library_opened(const char *file, uint64_t bias);

#endif
