/*
 * debuginfo.h - source-level view of one object file from its DWARF:
 * line tables and functions (including inlined instances). Implemented
 * in lib/debuginfo/ over libdwarf.
 *
 * A snare_debuginfo is opened from a path and a load bias; every address
 * it takes or returns is a run-time address (link-time + bias). Strings
 * and arrays inside returned structs belong to the handle and stay valid
 * until snare_debuginfo_close(). Results are computed once at open, so
 * queries never fail for lack of memory. Controller thread only: a handle
 * is not safe to use from two threads at once.
 *
 * Line semantics follow gdb's, because users compare snare with gdb: the
 * DWARF rows are folded into per-file tables the way gdb builds them, and
 * the addresses chosen for `file:line` are gdb's breakpoint locations.
 */
#ifndef SNARE_INTERNAL_DEBUGINFO_H
#define SNARE_INTERNAL_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snare.h"

#define SNARE_HIDDEN __attribute__((visibility("hidden")))

typedef struct snare_debuginfo snare_debuginfo;

/* snare_line_info, snare_line_span, snare_address_range and
   snare_function_info are public (snare.h, "Source lines and
   functions"). */


/*
 * Opens the ELF file at path for libdwarf (dwarf_init_b): a descriptor,
 * or -1. A file with zstd-compressed sections, which libdwarf 20210528
 * cannot read, is a copy with them inflated (zstd_sections.c). Closed
 * with snare_os_file_close.
 */
SNARE_HIDDEN int snare_debuginfo_dwarf_file_open(const char *path);

/*
 * Reads the DWARF of the object at path, whose run-time addresses are its
 * link-time addresses plus bias. *out is owned by the caller and released
 * with snare_debuginfo_close. NOT_FOUND: no such file or no debug info
 * (or dwz's alternate file it names is not found, as gdb reads none);
 * LOAD_FAILED: unreadable DWARF; NO_MEMORY.
 */
snare_status snare_debuginfo_open(const char *path, uint64_t bias,
                                  snare_debuginfo **out) SNARE_HIDDEN;
/* The file the DWARF was read from: the object's path, or its separate
   debug file (see snare_debug_file_directory_set). */
const char *snare_debuginfo_file(const snare_debuginfo *di) SNARE_HIDDEN;
/* The alternate file of dwz-compressed DWARF that was read with it
   (.gnu_debugaltlink), or NULL. */
const char *snare_debuginfo_alt_file(const snare_debuginfo *di) SNARE_HIDDEN;
/* Releases everything, including libdwarf's state. NULL is accepted. */
void snare_debuginfo_close(snare_debuginfo *di) SNARE_HIDDEN;

/* The separate debug file of the object at path (debug_link.c) in out,
   when the object has no DWARF of its own and one is found; its symbol
   table names what the object's stripped one no longer does. */
bool snare_debuginfo_separate_file(const char *path, char *out, size_t cap)
    SNARE_HIDDEN;

/* gdb's name of source file path (a line's file) at addr: path without
   the unit's compilation directory; NOT_FOUND where no unit holds addr. */
snare_status snare_debuginfo_source_name(const snare_debuginfo *di,
                                         uint64_t addr, const char *path,
                                         const char **out) SNARE_HIDDEN;


/* The unit whose ranges hold addr (see snare_unit_at): the first with a
   DW_AT_language, else the first; NOT_FOUND. */
snare_status snare_debuginfo_unit_at(const snare_debuginfo *di, uint64_t addr,
                                     snare_unit_info *out) SNARE_HIDDEN;

/* The row covering addr (gdb's choice among rows at one address). */
snare_status snare_debuginfo_line_at(const snare_debuginfo *di, uint64_t addr,
                                     snare_line_info *out) SNARE_HIDDEN;

/* See snare_statement_line_from. */
snare_status snare_debuginfo_statement_line_from(const snare_debuginfo *di,
                                                 uint64_t addr, unsigned line,
                                                 unsigned *out) SNARE_HIDDEN;

/* The line gdb names a function's start at addr by (see
   snare_function_start_line_at); NOT_FOUND where it names none. */
snare_status snare_debuginfo_function_start_line(const snare_debuginfo *di,
                                                 uint64_t addr,
                                                 snare_line_info *out)
    SNARE_HIDDEN;

/*
 * Breakpoint addresses of file:line: the first statement address of each
 * lexical block, inlined copy or split piece holding code of that line,
 * a function's opening line moved past its prologue, in address order.
 * file matches a recorded path equal to it or ending in "/" + file.
 * Writes up to cap addresses and stores the total in *count. NOT_FOUND
 * when the line has no code (see snare_debuginfo_line_nearest).
 */
snare_status snare_debuginfo_line_addresses(const snare_debuginfo *di,
                                            const char *file, unsigned line,
                                            uint64_t *addrs, size_t cap,
                                            size_t *count) SNARE_HIDDEN;

/*
 * For an error message: the nearest lines of file before and after line
 * that have code (0 when there is none). NOT_FOUND for an unknown file.
 */
snare_status snare_debuginfo_line_nearest(const snare_debuginfo *di,
                                          const char *file, unsigned line,
                                          unsigned *before,
                                          unsigned *after) SNARE_HIDDEN;

/* gdb's `info line file:line` (snare_library_line_span); NOT_FOUND for
   an unknown file. */
snare_status snare_debuginfo_line_span(const snare_debuginfo *di,
                                       const char *file, unsigned line,
                                       snare_line_span *out) SNARE_HIDDEN;

/*
 * A function by name: its out-of-line definition, or failing that its
 * first inlined instance. NOT_FOUND.
 */
snare_status snare_debuginfo_function(const snare_debuginfo *di,
                                      const char *name,
                                      snare_function_info *out) SNARE_HIDDEN;

/*
 * Breakpoint addresses of a function name, as gdb's `break name`: past
 * the prologue of the out-of-line definition and at the entry of every
 * inlined instance, in address order. Writes up to cap, stores the total
 * in *count; NOT_FOUND.
 */
snare_status snare_debuginfo_function_addresses(const snare_debuginfo *di,
                                                const char *name,
                                                uint64_t *addrs, size_t cap,
                                                size_t *count) SNARE_HIDDEN;
/* The same of the functions of source file `file` alone (as
   di_file_matches; NULL: of every file), as gdb's `break FILE:FUNC`. */
snare_status snare_debuginfo_file_function_addresses(
    const snare_debuginfo *di, const char *file, const char *name,
    uint64_t *addrs, size_t cap, size_t *count) SNARE_HIDDEN;

/* The innermost function (inlined instances included) containing addr. */
snare_status snare_debuginfo_function_at(const snare_debuginfo *di,
                                         uint64_t addr,
                                         snare_function_info *out) SNARE_HIDDEN;

#endif
