/*
 * private.h - the data a snare_debuginfo holds, shared by the files of
 * lib/debuginfo/. A unit's lines and blocks are read into plain arrays
 * when first needed (units.c), in link-time addresses; the bias is
 * applied at the API boundary.
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
  bool prologue_end; /* the compiler's mark: breakpoints past the prologue */
} di_row;

/*
 * The rows of one source file within one compilation unit, sorted by
 * address (gdb's "subfile"). Subfiles of a unit are kept in gdb's search
 * order, the unit's primary file first.
 */
typedef struct di_subfile {
  char *path;
  char *name; /* gdb's (its symtab's): as the DWARF writes it, or NULL */
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
  char *linkage; /* its other name: a C++ function's mangled name, a C
                    function's DW_AT_name when its linkage name (an
                    assembler label) is the name shown; or NULL */
  bool source_alias; /* linkage is that DW_AT_name: gdb finds the function
                        by it through its ELF symbol, so only where the
                        function itself is, never its inlined copies */
  snare_address_range *ranges;  /* link-time, shared with its block */
  snare_address_range *exported; /* run-time, what info.ranges shows */
  char **params;
  Dwarf_Off die; /* its DIE (a concrete instance's, not the origin's) */
  uint64_t first_low; /* where its first range in DWARF's order starts */
  char *param_formats; /* what info.param_formats shows */
  char **param_enums;  /* and info.param_enums */
  /* two characters; on the heap, since info points at it and the
     function table moves as units load */
  char *return_format;
  char *return_enums; /* an enum return type's enumerators, or NULL */
} di_function;

/* A unit naming a file, by the hash of the file's base name. */
typedef struct di_file_key {
  uint64_t hash;
  size_t unit;
} di_file_key;

/* Which units declare which function names (name_index.c). */
typedef struct di_names di_names;

/* The top-level DIEs of every unit by name (top_level.c). */
typedef struct di_top_names di_top_names;

/* Answers of the lookups by name over every unit (lookup_memo.c). */
typedef struct di_memo di_memo;

/* An object's range and location list sections (lists_check.c). */
typedef struct di_lists di_lists;

/* One compilation unit, as indexed at open. */
typedef struct di_unit {
  Dwarf_Off offset; /* of its DIE */
  Dwarf_Half version;
  snare_address_range *ranges; /* link-time */
  size_t range_count;
  char **files; /* gdb's names of its line table's files */
  size_t file_count;
  unsigned language; /* DW_AT_language, 0 if it has none */
  /* its DW_AT_name, DW_AT_comp_dir, DW_AT_producer (libdwarf's strings,
     valid while dbg is open), and whether it has macro info */
  const char *name, *comp_dir, *producer;
  bool macros;
  bool loaded;
} di_unit;

struct snare_debuginfo {
  Dwarf_Debug dbg;
  int dwarf_fd; /* dbg's file, which dwarf_finish leaves open */
  /* dwz's alternate file, tied to dbg (libdwarf then reads its strings
     for DW_FORM_GNU_strp_alt), or NULL */
  Dwarf_Debug alt;
  int alt_fd;
  char *alt_file;
  di_unit *units; /* in .debug_info order: the unit numbers of rows */
  size_t unit_count, unit_cap;
  di_file_key *file_keys; /* sorted by hash, then unit */
  size_t file_key_count;
  di_names *names; /* NULL until the first lookup by name */
  bool names_tried;
  uint64_t bias;
  char *file; /* where the DWARF was read: the object or its debug file */
  di_lists *lists; /* its list sections, checked before libdwarf reads them */
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
  /* Where functions start (prologue.c): the object's code, per-unit
     facts read when first asked. */
  char *path;
  struct Elf *code_elf;
  int code_fd;
  bool code_tried;
  struct di_unit_facts *unit_facts;
  size_t unit_fact_count, unit_fact_cap;
  /* What info variables and info types list (file_symbols.c), read at
     the first question. */
  snare_file_symbol *file_symbols;
  size_t file_symbol_count, file_symbol_cap;
  char **file_symbol_files; /* the names their files go by */
  size_t file_symbol_file_count, file_symbol_file_cap;
  bool file_symbols_read;
  di_memo *memo; /* NULL until the first answer is kept */
  di_top_names *top_names; /* NULL until the first lookup by name */
  bool top_names_tried;
};

/* Grows *items (of item_size bytes, *cap of them) to hold one more. */
bool di_reserve(void **items, size_t *cap, size_t count, size_t item_size)
    SNARE_HIDDEN;
/* Copies s into the handle's string pool; NULL on no memory. */
const char *di_intern(snare_debuginfo *di, const char *s) SNARE_HIDDEN;
/* An attribute's value as an unsigned integer (signed forms cast). */
bool di_udata(Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *out) SNARE_HIDDEN;
/* A string attribute of die (libdwarf's: valid while the handle is
   open), or NULL. */
const char *di_string(Dwarf_Die die, Dwarf_Half at) SNARE_HIDDEN;
/* Whether flag attribute at of die is present and set. */
bool di_flag(Dwarf_Die die, Dwarf_Half at) SNARE_HIDDEN;
/*
 * DIEs are named by keys: their offset in the object's DWARF, or, for a
 * DIE of the alternate file dwz moved it to (tied to dbg, debuginfo.c),
 * its offset there with DI_ALT_KEY set. dbg is always the object's.
 */
#define DI_ALT_KEY ((Dwarf_Off)1 << 63)
/* The Dwarf_Debug die was read from: dbg or its alternate file. */
Dwarf_Debug di_die_debug(Dwarf_Debug dbg, Dwarf_Die die) SNARE_HIDDEN;
/* Whether die belongs to a C++ unit of di, whether DW_LANG_* language is
   a C++ (type_info.c). */
bool di_in_cplus_unit(const snare_debuginfo *di, Dwarf_Die die) SNARE_HIDDEN;
bool di_cplus_language(unsigned language) SNARE_HIDDEN;
/* die's key (0 for NULL). */
Dwarf_Off di_die_key(Dwarf_Debug dbg, Dwarf_Die die) SNARE_HIDDEN;
/* The DIE a key names, or NULL; the caller deallocates it. */
Dwarf_Die di_key_die(Dwarf_Debug dbg, Dwarf_Off key) SNARE_HIDDEN;
/* The DIE an attribute refers to (type, abstract origin...), in whichever
   file, or NULL; the caller deallocates it. */
Dwarf_Die di_ref(Dwarf_Debug dbg, Dwarf_Die die, Dwarf_Half at) SNARE_HIDDEN;
/* The link-time address of a location that is one DW_OP_addr (or
   DW_OP_addrx, its .debug_addr entry): a variable of static storage
   (type_lookup.c). */
bool di_static_address(Dwarf_Die die, uint64_t *out) SNARE_HIDDEN;
/* A unit's DW_AT_comp_dir (in the section's data), or NULL. */
const char *di_comp_dir(Dwarf_Die cu) SNARE_HIDDEN;
/* gdb's name of a file that dwarf_srcfiles names srcfile, in a unit
   compiled in comp_dir (may be NULL): a suffix of srcfile. */
const char *di_file_name(const char *srcfile, const char *comp_dir)
    SNARE_HIDDEN;
/* The sibling after child, or NULL at the end (or where a corrupted
   sibling link points back); releases child. */
Dwarf_Die di_next_sibling(Dwarf_Debug dbg, Dwarf_Die child) SNARE_HIDDEN;

/* An address attribute of die (call_sites.c). */
bool di_die_addr(Dwarf_Die die, Dwarf_Half at, Dwarf_Addr *out) SNARE_HIDDEN;
/* The call site below function (nested blocks and inlined calls
   included) that returns to link-time address ret, or NULL; the caller
   frees it (call_sites.c). */
Dwarf_Die di_call_site_returning(Dwarf_Debug dbg, Dwarf_Die function,
                                 uint64_t ret) SNARE_HIDDEN;

/*
 * gdb's name of line-table file `fileno` (dwarf2_start_subfile) of a
 * line table ctx of version: its name as written, after its directory
 * entry unless the name is absolute; in DWARF 5 directory 0 is the
 * compilation directory, before it none. NULL where the table does not
 * say; the caller frees it (lines_load.c).
 */
char *di_line_file_name(Dwarf_Line_Context ctx, Dwarf_Unsigned version,
                        Dwarf_Unsigned fileno) SNARE_HIDDEN;

void di_free_file_symbols(snare_debuginfo *di) SNARE_HIDDEN;

/*
 * Calls visit with each top-level DIE of each unit (of source file `file`
 * only, unless NULL) until it returns false, the DIEs of the partial
 * units a unit imports (dwz's DW_TAG_imported_unit) included, each
 * partial unit once (top_level.c).
 */
typedef bool (*di_top_visit)(const snare_debuginfo *di, Dwarf_Die die,
                             void *arg);
void di_each_top_level(const snare_debuginfo *di, const char *file,
                       di_top_visit visit, void *arg) SNARE_HIDDEN;
/*
 * The same for the DIEs (of every unit) a lookup finds by name `name`, in
 * the same order: those named so, definitions apart from their
 * declaration by the declaration's name, an unnamed namespace as
 * "(anonymous namespace)". False (nothing visited) without memory for
 * the index: then walk.
 */
bool di_each_top_named(const snare_debuginfo *di, const char *name,
                       di_top_visit visit, void *arg) SNARE_HIDDEN;
void di_free_top_names(snare_debuginfo *di) SNARE_HIDDEN;

/* The lookups lookup_memo.c keeps answers of: a type by name
   (snare_debuginfo_type_find), a variable by name in a file or in every
   unit (snare_debuginfo_file_global). */
typedef enum di_memo_kind { DI_MEMO_TYPE, DI_MEMO_GLOBAL } di_memo_kind;
typedef struct di_memo_answer {
  snare_status status;
  snare_type type;
  uint64_t address; /* DI_MEMO_GLOBAL only */
} di_memo_answer;
/* Whether an answer to kind's lookup of name (in file, NULL for every
   unit) was kept; if so, *out is it. */
bool di_memo_find(const snare_debuginfo *di, di_memo_kind kind,
                  const char *file, const char *name, di_memo_answer *out)
    SNARE_HIDDEN;
/* Keeps a found or not-found answer (without memory, nothing). */
void di_memo_keep(const snare_debuginfo *di, di_memo_kind kind,
                  const char *file, const char *name,
                  const di_memo_answer *answer) SNARE_HIDDEN;
void di_free_memo(snare_debuginfo *di) SNARE_HIDDEN;

/* The alternate file (dwz's .gnu_debugaltlink) of the DWARF file at
   debug_file in out, when it names one (*named) that is found. */
bool di_alt_debug_file(const char *debug_file, char *out, size_t cap,
                       bool *named) SNARE_HIDDEN;

/* The list sections of the ELF file open in fd, which stays the caller's
   and open until di_lists_close (lists_check.c), in *out (NULL when it
   cannot be read); false when one has a unit running past its end. */
bool di_lists_open(int fd, di_lists **out) SNARE_HIDDEN;
void di_lists_close(di_lists *lists) SNARE_HIDDEN;
/* Whether libdwarf may read the range (loclist false) or location list
   attribute attr of die: a DWARF 5 list must decode first. */
bool di_list_attr_safe(const di_lists *lists, Dwarf_Die die,
                       Dwarf_Attribute attr, bool loclist) SNARE_HIDDEN;

/*
 * Units (units.c): at open only each compilation unit's address ranges
 * and file names are read; a unit's lines, functions and blocks are read
 * the first time a question needs them, in this order: its lines
 * (di_load_unit_lines), its DIE tree (di_load_unit_functions), the
 * indexes (di_build_indexes), then its functions' breakpoint places
 * (di_finish_functions, which look up lines and blocks).
 */
snare_status di_index_units(snare_debuginfo *di) SNARE_HIDDEN;
void di_free_units(snare_debuginfo *di) SNARE_HIDDEN;
/* Loads the units that may hold a link-time address, those that name a
   source file (as di_file_matches), or all. The handle is a cache: the
   queries that take it const fill it. */
void di_need_address(const snare_debuginfo *di, uint64_t addr) SNARE_HIDDEN;
void di_need_file(const snare_debuginfo *di, const char *file) SNARE_HIDDEN;
void di_need_all(const snare_debuginfo *di) SNARE_HIDDEN;
void di_need_unit(const snare_debuginfo *di, size_t unit) SNARE_HIDDEN;
/* Loads the units that may define a function answering to query, from
   the name index (name_index.c, built on the first call). */
void di_need_name(const snare_debuginfo *di, const char *query)
    SNARE_HIDDEN;
void di_free_names(snare_debuginfo *di) SNARE_HIDDEN;
/* Whether a recorded path names file: equal, or ending in "/" + file. */
bool di_file_matches(const char *path, const char *file) SNARE_HIDDEN;
/* The address ranges of a unit's DIE (link-time); false on no memory. */
bool di_unit_ranges(snare_debuginfo *di, Dwarf_Die cu, Dwarf_Half version,
                    snare_address_range **ranges, size_t *n) SNARE_HIDDEN;
snare_status di_load_unit_lines(snare_debuginfo *di, Dwarf_Die cu,
                                size_t unit) SNARE_HIDDEN;
snare_status di_load_unit_functions(snare_debuginfo *di, Dwarf_Die cu,
                                    Dwarf_Half version) SNARE_HIDDEN;
/* Completes the functions from index first on (exported ranges, places). */
snare_status di_finish_functions(snare_debuginfo *di, size_t first)
    SNARE_HIDDEN;
void di_free_lines(snare_debuginfo *di) SNARE_HIDDEN;
void di_free_functions(snare_debuginfo *di) SNARE_HIDDEN;

/*
 * Indexes over what was loaded (lookup_index.c), so that queries do not
 * scan every row and block: extended each time units are loaded (the
 * line index of the new subfiles, the block index over all), freed
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
/* Sets fn's after_prologue (gdb's `break NAME`) and step_start (where
   gdb's `step` into it stops); high: the end of its last range. */
void di_place_function(snare_debuginfo *di, di_function *fn, uint64_t high)
    SNARE_HIDDEN;
void di_free_prologue(snare_debuginfo *di) SNARE_HIDDEN;
/* The link-time address of the object's function symbol name, as gdb's
   minimal symbols give it. */
bool di_symbol_address(const snare_debuginfo *di, const char *name,
                       uint64_t *out) SNARE_HIDDEN;
/* gdb's skip_prologue_sal for a location inside a function: pc, or the
   place past the prologue of the function holding it when pc lies in
   that prologue (an inlined call there, a line's first row). */
uint64_t di_past_prologue(const snare_debuginfo *di, uint64_t pc) SNARE_HIDDEN;

#endif
