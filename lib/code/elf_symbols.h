/*
 * elf_symbols.h - the function and object symbols of one ELF file, read
 * once and looked up by name or by address. Implemented in
 * lib/code/elf_symbols.c.
 */
#ifndef SNARE_INTERNAL_ELF_SYMBOLS_H
#define SNARE_INTERNAL_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

typedef struct snare_elf_symbol {
  uint64_t address; /* run-time: st_value plus the load bias */
  uint64_t size;
  const char *name; /* points into the owning table's `names` */
  /* Preference when symbols collide (see snare_elf_symbol_prefer):
     functions, then non-local bindings, then the name form people
     write (a C++ symbol's qualified name over its demangled signature
     over its mangled name). Higher wins. */
  uint8_t rank;
  bool global;      /* STB_GLOBAL, preferred over STB_WEAK */
  bool is_function;
  /* A function entered by calls, which hooks may patch: false for the
     pieces its unwind table shows are entered otherwise (foo.cold). */
  bool entry;
  /* A PLT entry named by snare_plt_names_read ("getenv@plt"): a stub
     that only jumps to the function, no entry to hook. */
  bool plt_entry;
} snare_elf_symbol;

/* Everything is owned by the table and freed by snare_elf_symbols_free. */
typedef struct snare_elf_symbols {
  char *names;               /* every name, NUL-terminated, once each */
  snare_elf_symbol *by_name; /* the preferred symbol of each name */
  size_t name_count;
  /* every distinct (name, address), by address, the preferred name of
     each address first */
  snare_elf_symbol *by_address;
  uint64_t *reach;              /* reach[i]: highest end in by_address[0..i] */
  size_t count;
} snare_elf_symbols;

/*
 * Reads the FUNC and OBJECT symbols of nonzero size defined in a section
 * of the ELF file at `file`, from .symtab (a stripped file's separate
 * debug file's, snare_debuginfo_separate_file) and .dynsym (skipping hidden
 * symbol versions and IFUNC resolvers, which are not the function they
 * pick), adding `bias` to each value. A mangled C++ name is also entered
 * demangled, as its qualified name and as its full signature. Functions
 * the unwind table (.eh_frame) shows but no symbol names, as in stripped
 * programs, are entered as "sub_<link-time address in hex>", the name
 * disassemblers give them. PLT entries are named as gdb names them
 * ("getenv@plt", lib/code/plt_names.h). A file without readable symbols yields an
 * empty table and SNARE_OK; only NO_MEMORY fails, leaving *out empty.
 */
SNARE_HIDDEN snare_status snare_elf_symbols_read(const char *file,
                                                 uint64_t bias,
                                                 snare_elf_symbols *out);

/* > 0 when a is the better name of a function both name, < 0 when b is:
   rank, then fewer leading underscores (glibc's `__libc_malloc` is
   `malloc`), then GLOBAL over WEAK, then a variable's versioned name
   ("stderr@GLIBC_2.2.5", as gdb), then name order. */
SNARE_HIDDEN int snare_elf_symbol_prefer(const snare_elf_symbol *a,
                                         const snare_elf_symbol *b);

/* Frees what the table owns and leaves it empty. */
SNARE_HIDDEN void snare_elf_symbols_free(snare_elf_symbols *symbols);

/* The preferred symbol named `name` (FUNC over OBJECT, GLOBAL over the
   rest), or NULL; C++ functions answer to their mangled, qualified and
   full demangled names. */
SNARE_HIDDEN const snare_elf_symbol *
snare_elf_symbols_named(const snare_elf_symbols *symbols, const char *name);

/*
 * The symbol whose [address, address+size) holds addr, or NULL; only
 * functions if functions_only. Among several, the preferred kind, then the
 * innermost (highest start).
 */
SNARE_HIDDEN const snare_elf_symbol *
snare_elf_symbols_at(const snare_elf_symbols *symbols, uint64_t addr,
                     bool functions_only);

#endif
