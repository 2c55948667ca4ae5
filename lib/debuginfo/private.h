/*
 * private.h - the data a snare_debuginfo holds, shared by the files of
 * lib/debuginfo/. Everything is read at open into plain arrays, in
 * link-time addresses; the bias is applied at the API boundary.
 */
#ifndef SNARE_DEBUGINFO_PRIVATE_H
#define SNARE_DEBUGINFO_PRIVATE_H

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>

#include "debuginfo/debuginfo.h"

/* One entry of a per-file line table; line 0 marks the end of a sequence. */
typedef struct di_row {
  uint64_t addr;
  uint32_t line;
  uint32_t column;
  bool is_stmt;
} di_row;

/*
 * The rows of one source file within one compilation unit, sorted by
 * address (gdb's "subfile"). Subfiles of a unit are kept in gdb's search
 * order, the unit's primary file first.
 */
typedef struct di_subfile {
  char *path;
  size_t unit;
  di_row *rows;
  size_t count, cap;
  size_t *by_line; /* its statement rows by (line, index), once loaded */
  size_t by_line_count;
} di_subfile;

/* A run of addresses covered by one line sequence of a unit. */
typedef struct di_sequence {
  uint64_t low, high;
  size_t unit;
} di_sequence;

/* Scopes that own code: functions, inlined instances, lexical blocks. */
typedef enum di_block_kind {
  DI_BLOCK_FUNCTION,
  DI_BLOCK_INLINED,
  DI_BLOCK_LEXICAL
} di_block_kind;

typedef struct di_block {
  di_block_kind kind;
  unsigned depth; /* nesting below the unit; deeper is more inner */
  long parent;    /* enclosing block, or -1 */
  snare_address_range *ranges;
  size_t range_count;
  long function; /* index into functions for FUNCTION/INLINED, else -1 */
  bool owns_ranges; /* lexical blocks; functions' ranges are the function's */
  Dwarf_Off die;    /* its DIE, for the variables it declares */
} di_block;

/* One range of a top-level block (a function), for address lookups: its
   nested blocks are blocks[block, end), the walk being depth first. */
typedef struct di_root {
  uint64_t low, high;
  size_t block, end;
} di_root;

typedef struct di_function {
  snare_function_info info; /* ranges/params point into this record */
  char *name;    /* qualified for C++ functions: "geo::Square::area" */
  char *linkage; /* a C++ function's mangled name, or NULL */
  snare_address_range *ranges;  /* link-time, shared with its block */
  snare_address_range *exported; /* run-time, what info.ranges shows */
  char **params;
  char *param_formats; /* what info.param_formats shows */
  char **param_enums;  /* and info.param_enums */
  char return_format[3];
} di_function;

struct snare_debuginfo {
  Dwarf_Debug dbg;
  uint64_t bias;
  di_subfile *subfiles;
  size_t subfile_count, subfile_cap;
  di_sequence *sequences; /* sorted by low */
  size_t sequence_count, sequence_cap;
  di_block *blocks;
  size_t block_count, block_cap;
  di_function *functions;
  size_t function_count, function_cap;
  di_root *roots; /* sorted by low; NULL until loading is done */
  size_t root_count;
  char **strings; /* interned file names referred to by functions */
  size_t string_count, string_cap;
};

/* Grows *items (of item_size bytes, *cap of them) to hold one more. */
bool di_reserve(void **items, size_t *cap, size_t count, size_t item_size)
    SNARE_HIDDEN;
/* Copies s into the handle's string pool; NULL on no memory. */
const char *di_intern(snare_debuginfo *di, const char *s) SNARE_HIDDEN;
/* An attribute's value as an unsigned integer (signed forms cast). */
bool di_udata(Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *out) SNARE_HIDDEN;
/* The DIE an attribute refers to (type, abstract origin...), or NULL;
   the caller deallocates it. */
Dwarf_Die di_ref(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at) SNARE_HIDDEN;
/* The sibling after child, or NULL at the end; releases child. */
Dwarf_Die di_next_sibling(Dwarf_Debug dbg, Dwarf_Die child) SNARE_HIDDEN;

/* Loading, called by snare_debuginfo_open in this order. */
/* False when a range or location list section of the file at path has a
   unit running past its end (see lists_check.c). */
bool di_lists_sane(const char *path) SNARE_HIDDEN;
snare_status di_load_lines(snare_debuginfo *di) SNARE_HIDDEN;
snare_status di_load_functions(snare_debuginfo *di) SNARE_HIDDEN;
void di_free_lines(snare_debuginfo *di) SNARE_HIDDEN;
void di_free_functions(snare_debuginfo *di) SNARE_HIDDEN;

/*
 * Indexes over what was loaded (lookup_index.c), so that queries do not
 * scan every row and block: built last by snare_debuginfo_open, freed
 * first by close.
 */
snare_status di_build_indexes(snare_debuginfo *di) SNARE_HIDDEN;
void di_free_indexes(snare_debuginfo *di) SNARE_HIDDEN;
/* The statement rows of line in sf, in row order: stores a pointer to
   their indices in *rows and returns how many. */
size_t di_line_rows(const di_subfile *sf, unsigned line, const size_t **rows)
    SNARE_HIDDEN;
/* The blocks that may contain a link-time address: [*first, *end). The
   whole list until the indexes are built; false when none can. */
bool di_block_span(const snare_debuginfo *di, uint64_t addr, size_t *first,
                   size_t *end) SNARE_HIDDEN;

/* gdb's find_pc_line over link-time addresses. */
typedef struct di_pc_line {
  const di_subfile *subfile; /* NULL: no line information */
  const di_row *row;
  uint64_t end;
} di_pc_line;
di_pc_line di_pc_line_find(const snare_debuginfo *di, uint64_t addr)
    SNARE_HIDDEN;

/* Innermost block containing a link-time address, or -1. */
long di_block_at(const snare_debuginfo *di, uint64_t addr) SNARE_HIDDEN;
/* Innermost function or inlined instance containing addr, or NULL. */
const di_function *di_function_at(const snare_debuginfo *di, uint64_t addr)
    SNARE_HIDDEN;
/* Entry address past the prologue, from the line table (link-time). */
uint64_t di_after_prologue(const snare_debuginfo *di, uint64_t entry,
                           uint64_t high) SNARE_HIDDEN;

#endif
