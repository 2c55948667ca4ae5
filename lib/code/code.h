/*
 * code.h - the code subsystem: what snare knows about code, libraries
 * opened through snare (library.c, elf_symbols.c) and regions registered
 * by JITs (code_region.c, jit_memory.c), their source lines
 * (source_lines.c), and the watchers the parts above it register to hear
 * of code going away or changing (code_watchers.c). Controller-thread
 * only unless stated.
 */
#ifndef SNARE_CODE_CODE_H
#define SNARE_CODE_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/*
 * Finds the function known to contain addr: an ELF function symbol of a
 * library opened with snare_library_open, or a registered code region.
 * On success stores its start and size (and its name, owned by snare, if
 * name is not NULL) and returns true.
 */
bool snare_code_function_containing(uint64_t addr, uint64_t *start,
                                    uint64_t *size, const char **name)
    __attribute__((visibility("hidden")));

/*
 * The whole stretch of code around addr that direct branches may come
 * from: its registered region, or the executable segments of its library.
 */
SNARE_HIDDEN bool snare_code_extent_containing(uint64_t addr, uint64_t *start,
                                               uint64_t *size);

/*
 * Unregisters every region starting inside [start, start+size), as
 * snare_code_unregister does (used when JIT memory is freed).
 */
void snare_code_unregister_range(uint64_t start, uint64_t size)
    __attribute__((visibility("hidden")));

/*
 * The answers of snare_line_at / snare_function_at for registered code:
 * return false if addr is in no region (ask the libraries instead), else
 * true with *status (OK and *out filled, or NOT_FOUND when the region
 * has no row / no function there). Strings belong to the region.
 */
bool snare_code_line_at(uint64_t addr, snare_line_info *out,
                        snare_status *status)
    __attribute__((visibility("hidden")));
bool snare_code_function_at(uint64_t addr, snare_function_info *out,
                            snare_status *status)
    __attribute__((visibility("hidden")));

/*
 * A part above code that must hear about it: every callback may be NULL.
 * `removed`: the code in [start, start+size) is about to go (a library
 * closed, a region unregistered, JIT memory freed): drop what lies in it.
 * `rewritten`: the bytes of [start, start+size) were replaced by their
 * owner (a JIT writing code, snare_memory_write): they are the originals
 * now. `library_opened`: an object was mapped from `file` at `bias`.
 * `unmapped`: the code in [start, start+size) is gone already (the
 * program's loader closed the object): forget every byte saved from it,
 * writing nothing there (another mapping may hold the addresses by
 * now); every watcher's `unmapped` is told before any `removed`.
 */
typedef struct snare_code_watcher {
  void (*removed)(uint64_t start, uint64_t size);
  void (*rewritten)(uint64_t start, uint64_t size);
  void (*library_opened)(const char *file, uint64_t bias);
  void (*unmapped)(uint64_t start, uint64_t size);
} snare_code_watcher;

/* Registers a watcher (static storage) for as long as the process runs;
   called from SNARE_AT_LOAD functions, before any code is opened. */
SNARE_HIDDEN void snare_code_watch(const snare_code_watcher *watcher);
/* Tell every watcher; controller side. `removed` is told without the
   global lock (watchers take it), `rewritten` under it (the writer holds
   it while the bytes change), `library_opened` without it. */
SNARE_HIDDEN void snare_code_removed(uint64_t start, uint64_t size);
/* Code unmapped under snare: `unmapped`, then `removed`, to every
   watcher; without the global lock. */
SNARE_HIDDEN void snare_code_unmapped(uint64_t start, uint64_t size);
SNARE_HIDDEN void snare_code_rewritten(uint64_t start, uint64_t size);
SNARE_HIDDEN void snare_code_library_opened(const char *file, uint64_t bias);

/* How many inlined calls beginning at addr are inside the source frame
   of `function` there (0 when function is NULL or not one of them): what
   a stop of `break function` at addr hides, as gdb does. */
SNARE_HIDDEN unsigned snare_code_inline_within(uint64_t addr,
                                               const char *function);

#endif
