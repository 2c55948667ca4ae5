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
  uint8_t rank;     /* preference when symbols collide; higher wins */
  bool is_function;
} snare_elf_symbol;

/* Everything is owned by the table and freed by snare_elf_symbols_free. */
typedef struct snare_elf_symbols {
  char *names;               /* every name, NUL-terminated, once each */
  snare_elf_symbol *by_name; /* the preferred symbol of each name */
  size_t name_count;
  snare_elf_symbol *by_address; /* every distinct (name, address) */
  uint64_t *reach;              /* reach[i]: highest end in by_address[0..i] */
  size_t count;
} snare_elf_symbols;

/*
 * Reads the FUNC and OBJECT symbols of nonzero size defined in a section
 * of the ELF file at `file`, from .symtab and .dynsym (skipping hidden
 * symbol versions), adding `bias` to each value. A file without readable symbols yields an empty table and
 * SNARE_OK; only NO_MEMORY fails, leaving *out empty.
 */
SNARE_HIDDEN snare_status snare_elf_symbols_read(const char *file,
                                                 uint64_t bias,
                                                 snare_elf_symbols *out);

/* Frees what the table owns and leaves it empty. */
SNARE_HIDDEN void snare_elf_symbols_free(snare_elf_symbols *symbols);

/* The preferred symbol named `name` (FUNC over OBJECT, GLOBAL over the
   rest), or NULL. */
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
