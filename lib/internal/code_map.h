/*
 * code_map.h - what snare knows about code: libraries opened through
 * snare and regions registered by JITs. Implemented in lib/library.c and
 * lib/code_region.c. Controller-thread only unless stated.
 */
#ifndef SNARE_INTERNAL_CODE_MAP_H
#define SNARE_INTERNAL_CODE_MAP_H

#include <stdbool.h>
#include <stdint.h>

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
bool snare_code_extent_containing(uint64_t addr, uint64_t *start,
                                  uint64_t *size)
    __attribute__((visibility("hidden")));

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

#endif
