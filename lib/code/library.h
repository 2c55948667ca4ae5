/*
 * library.h - what the rest of the core may ask of the libraries opened
 * through snare_library_open. Implemented in library.c.
 * Controller-thread only.
 */
#ifndef SNARE_CODE_LIBRARY_H
#define SNARE_CODE_LIBRARY_H

#include <stdbool.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/*
 * Finds an ELF function symbol of an open library containing addr, as
 * snare_code_function_containing does (name owned by that library).
 */
SNARE_HIDDEN bool snare_library_function_containing(uint64_t addr,
                                                    uint64_t *start,
                                                    uint64_t *size,
                                                    const char **name);

/* The address of the function symbol `name` among the open libraries,
   a global one over others (gdb's lookup_minimal_symbol); false if none. */
SNARE_HIDDEN bool snare_library_function_named(const char *name,
                                               uint64_t *addr);
/* True if addr is in a PLT entry of an open library ("getenv@plt"). */
SNARE_HIDDEN bool snare_library_plt_entry_at(uint64_t addr);

/* The executable segments of the open library holding addr: false if none. */
SNARE_HIDDEN bool snare_library_code_containing(uint64_t addr,
                                                uint64_t *start,
                                                uint64_t *size);

typedef struct snare_debuginfo snare_debuginfo;

/*
 * The DWARF of lib, read on first use and owned by lib; *out is NULL
 * unless OK. NOT_FOUND when the object has no debug info.
 */
SNARE_HIDDEN snare_status snare_library_debuginfo(snare_library *lib,
                                                  const snare_debuginfo **out);

/* The mapped extent of lib: false (nothing stored) for NULL. */
SNARE_HIDDEN bool snare_library_extent(const snare_library *lib,
                                       uint64_t *start, uint64_t *size);

/* The open library whose mapped extent holds addr, or NULL. */
SNARE_HIDDEN snare_library *snare_library_mapping(uint64_t addr);

#endif
