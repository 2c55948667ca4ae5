/*
 * plt_names.c - names the PLT entries of an ELF file after the symbols
 * their GOT slots are bound to, as BFD's synthetic symbols do for gdb:
 * the dynamic relocations give each slot's symbol, the architecture says
 * which slot an entry jumps through (snare_arch_plt_entry_slot).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/plt_names.h"
#include "internal/arch.h"

/* A dynamic relocation: the slot it binds. */
typedef struct bound_slot {
  uint64_t slot;      /* link-time address of the GOT word */
  const char *symbol; /* in the Elf handle's string table; NULL: none (an
                         IRELATIVE slot, bound to a resolver's choice) */
  uint64_t addend;
  bool lazy; /* bound by .rela.plt, the slots gdb names "sym@got.plt" */
} bound_slot;

typedef struct slot_table {
  bound_slot *items;
  size_t count, cap;
} slot_table;

static bool add_slot(slot_table *table, bound_slot bound) {
  if (table->count == table->cap) {
    size_t cap = table->cap ? 2 * table->cap : 64;
    bound_slot *grown = realloc(table->items, cap * sizeof *grown);
    if (grown == NULL)
      return false;
    table->items = grown;
    table->cap = cap;
  }
  table->items[table->count++] = bound;
  return true;
}

/* The relocations of one SHT_RELA section that name a symbol or an
   address (the addend). */
static bool read_relocations(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
                             bool lazy, slot_table *table) {
  Elf_Scn *symtab = elf_getscn(elf, shdr->sh_link);
  GElf_Shdr sym_shdr;
  Elf_Data *relocs = elf_getdata(scn, NULL);
  Elf_Data *syms = symtab != NULL ? elf_getdata(symtab, NULL) : NULL;
  if (relocs == NULL || syms == NULL || gelf_getshdr(symtab, &sym_shdr) == NULL)
    return true;
  size_t n = shdr->sh_entsize ? shdr->sh_size / shdr->sh_entsize : 0;
  for (size_t i = 0; i < n; i++) {
    GElf_Rela r;
    GElf_Sym sym;
    if (gelf_getrela(relocs, (int)i, &r) == NULL)
      continue;
    const char *name = NULL;
    if (GELF_R_SYM(r.r_info) != 0 &&
        (gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) == NULL ||
         (name = elf_strptr(elf, sym_shdr.sh_link, sym.st_name)) == NULL ||
         name[0] == '\0'))
      continue;
    if ((name != NULL || r.r_addend != 0) &&
        !add_slot(table, (bound_slot){r.r_offset, name, (uint64_t)r.r_addend,
                                      lazy}))
      return false;
  }
  return true;
}

static int by_slot(const void *a, const void *b) {
  const bound_slot *x = a, *y = b;
  return (x->slot > y->slot) - (x->slot < y->slot);
}

static const bound_slot *bound_at(const slot_table *table, uint64_t slot) {
  bound_slot key = {slot, NULL, 0, false};
  return bsearch(&key, table->items, table->count, sizeof key, by_slot);
}

/* BFD's name for an entry: the symbol ("*ABS*" for none), "+0x<addend>"
   when there is one, then "@plt". */
static char *entry_name(const bound_slot *bound) {
  const char *symbol = bound->symbol != NULL ? bound->symbol : "*ABS*";
  char addend[24] = "";
  if (bound->addend != 0)
    snprintf(addend, sizeof addend, "+0x%" PRIx64, bound->addend);
  size_t size = strlen(symbol) + strlen(addend) + sizeof "@plt";
  char *name = malloc(size);
  if (name != NULL)
    snprintf(name, size, "%s%s@plt", symbol, addend);
  return name;
}

static bool plt_section(const char *name) {
  return name != NULL &&
         (strcmp(name, ".plt") == 0 || strcmp(name, ".plt.sec") == 0 ||
          strcmp(name, ".plt.got") == 0);
}

static bool add_name(snare_plt_name **names, size_t *count, size_t *cap,
                     snare_plt_name name) {
  if (*count == *cap) {
    size_t grown_cap = *cap ? 2 * *cap : 32;
    snare_plt_name *grown = realloc(*names, grown_cap * sizeof *grown);
    if (grown == NULL)
      return false;
    *names = grown;
    *cap = grown_cap;
  }
  (*names)[(*count)++] = name;
  return true;
}

/* gdb's names of the GOT words .rela.plt binds to a symbol: "sym@got.plt". */
static bool name_got_slots(const slot_table *table, snare_plt_name **names,
                           size_t *count, size_t *cap) {
  for (size_t i = 0; i < table->count; i++) {
    const bound_slot *bound = &table->items[i];
    if (!bound->lazy || bound->symbol == NULL)
      continue;
    size_t size = strlen(bound->symbol) + sizeof "@got.plt";
    char *name = malloc(size);
    if (name == NULL)
      return false;
    snprintf(name, size, "%s@got.plt", bound->symbol);
    if (!add_name(names, count, cap,
                  (snare_plt_name){name, bound->slot, 8, true})) {
      free(name);
      return false;
    }
  }
  return true;
}

/* Names the entries of one PLT section; false when memory runs out. */
static bool name_entries(Elf_Scn *scn, const GElf_Shdr *shdr,
                         const slot_table *table, snare_plt_name **names,
                         size_t *count, size_t *cap) {
  Elf_Data *data = elf_getdata(scn, NULL);
  uint64_t size = shdr->sh_entsize;
  if (data == NULL || data->d_buf == NULL || size == 0)
    return true;
  for (uint64_t at = 0; at + size <= data->d_size; at += size) {
    uint64_t slot;
    const bound_slot *bound;
    if (!snare_arch_plt_entry_slot((const uint8_t *)data->d_buf + at, size,
                                   shdr->sh_addr + at, &slot) ||
        (bound = bound_at(table, slot)) == NULL)
      continue;
    char *name = entry_name(bound);
    if (name == NULL)
      return false;
    if (!add_name(names, count, cap,
                  (snare_plt_name){name, shdr->sh_addr + at, size, false})) {
      free(name);
      return false;
    }
  }
  return true;
}

snare_status snare_plt_names_read(Elf *elf, snare_plt_name **out,
                                  size_t *count) {
  *out = NULL;
  *count = 0;
  size_t strings;
  if (elf_getshdrstrndx(elf, &strings) != 0)
    return SNARE_OK;
  slot_table table = {0};
  bool ok = true;
  for (Elf_Scn *scn = NULL; ok && (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != NULL && shdr.sh_type == SHT_RELA) {
      const char *name = elf_strptr(elf, strings, shdr.sh_name);
      ok = read_relocations(elf, scn, &shdr,
                            name != NULL && strcmp(name, ".rela.plt") == 0,
                            &table);
    }
  }
  if (ok && table.count > 0)
    qsort(table.items, table.count, sizeof *table.items, by_slot);
  size_t cap = 0;
  for (Elf_Scn *scn = NULL;
       ok && table.count > 0 && (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != NULL && (shdr.sh_flags & SHF_EXECINSTR) &&
        plt_section(elf_strptr(elf, strings, shdr.sh_name)))
      ok = name_entries(scn, &shdr, &table, out, count, &cap);
  }
  if (ok)
    ok = name_got_slots(&table, out, count, &cap);
  free(table.items);
  if (ok)
    return SNARE_OK;
  snare_plt_names_free(*out, *count);
  *out = NULL;
  *count = 0;
  return SNARE_NO_MEMORY;
}

void snare_plt_names_free(snare_plt_name *names, size_t count) {
  for (size_t i = 0; i < count; i++)
    free(names[i].name);
  free(names);
}
