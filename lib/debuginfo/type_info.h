/*
 * type_info.h - DWARF types as an expression evaluator walks them, and
 * the places of variables (type_info.c, type_lookup.c). The public side
 * is snare.h's "DWARF types and places"; a snare_type's owner is the
 * snare_debuginfo that holds its DIE.
 */
#ifndef SNARE_DEBUGINFO_TYPE_INFO_H
#define SNARE_DEBUGINFO_TYPE_INFO_H

#include "debuginfo/variables.h"

/* A type by its C name (a C++ one in its namespaces and classes: ns::K),
   searched in every unit's top level and the scopes the name names. */
SNARE_HIDDEN snare_status snare_debuginfo_type_find(const snare_debuginfo *di,
                                                    const char *name,
                                                    snare_type *out);

/* A file-scope variable with a static address. */
SNARE_HIDDEN snare_status snare_debuginfo_global(const snare_debuginfo *di,
                                                 const char *name,
                                                 snare_type *type,
                                                 uint64_t *address);

/* An enumerator of a file-scope enum: its enum type and value. */
SNARE_HIDDEN snare_status snare_debuginfo_enumerator(const snare_debuginfo *di,
                                                     const char *name,
                                                     snare_type *type,
                                                     int64_t *value);

/* The names of file scope info variables and info types list, read at
   the first call and kept with di (snare_library_file_symbols). */
SNARE_HIDDEN snare_status
snare_debuginfo_file_symbols(const snare_debuginfo *di,
                             const snare_file_symbol **symbols,
                             size_t *count);

/* The subprogram whose code holds the run-time address addr. */
SNARE_HIDDEN snare_status
snare_debuginfo_function_type(const snare_debuginfo *di, uint64_t addr,
                              snare_type *out);

/* As snare_debuginfo_global, in the units of source file `file` alone
   (its name, or the end of its path after a '/'); NULL: in every unit. */
SNARE_HIDDEN snare_status
snare_debuginfo_file_global(const snare_debuginfo *di, const char *file,
                            const char *name, snare_type *type,
                            uint64_t *address);

/* Variable `name` of the function whose code holds addr, seen from its
   outermost block (gdb's 'func'::name): its type and run-time address
   when it has static storage; NOT_FOUND when the function has none of
   that name; UNSUPPORTED when it lives in a frame. */
SNARE_HIDDEN snare_status
snare_debuginfo_function_static(const snare_debuginfo *di, uint64_t addr,
                                const char *name, snare_type *type,
                                uint64_t *address);

/* `name` visible from scope in the frame fs: its type and place. */
SNARE_HIDDEN snare_status
snare_debuginfo_variable_locate(const snare_debuginfo *di, long scope,
                                const snare_frame_state *fs, const char *name,
                                snare_variable_location *out);

#endif
