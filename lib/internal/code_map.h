/*
 * code_map.h - what snare knows about code: libraries opened through
 * snare and regions registered by JITs. Implemented in lib/library.c and
 * lib/code_region.c. Controller-thread only unless stated.
 */
#ifndef SNARE_INTERNAL_CODE_MAP_H
#define SNARE_INTERNAL_CODE_MAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Finds the function known to contain addr: an ELF function symbol of a
 * library opened with snare_library_open, or a registered code region.
 * On success stores its start and size (and its name, owned by snare, if
 * name is not NULL) and returns true.
 */
bool snare_code_function_containing(uint64_t addr, uint64_t *start,
                                    uint64_t *size, const char **name)
    __attribute__((visibility("hidden")));

#endif
