/*
 * elf_symbols.c - reads an ELF file's symbol tables with libelf into two
 * sorted arrays (by name, by address) sharing one string arena.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "code/elf_symbols.h"
#include "internal/loader.h"

/* A symbol while the tables are read: its name still points into the
   ELF file's string table, which lives only as long as the Elf handle. */
typedef struct candidate {
  const char *name;
  snare_elf_symbol symbol;
} candidate;

typedef struct candidates {
  candidate *items;
  size_t count;
} candidates;

static uint8_t rank_of(const GElf_Sym *sym) {
  bool function = GELF_ST_TYPE(sym->st_info) == STT_FUNC;
  bool global = GELF_ST_BIND(sym->st_info) == STB_GLOBAL;
  return (uint8_t)(function * 2 + global);
}

static bool wanted(const GElf_Sym *sym) {
  int type = GELF_ST_TYPE(sym->st_info);
  bool defined = sym->st_shndx != SHN_UNDEF &&
                 (sym->st_shndx < SHN_LORESERVE || sym->st_shndx == SHN_XINDEX);
  return (type == STT_FUNC || type == STT_OBJECT) && sym->st_size != 0 &&
         defined;
}

/* The symbol-version table of .dynsym, or NULL. */
static Elf_Data *find_versions(Elf *elf) {
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != NULL && shdr.sh_type == SHT_GNU_versym)
      return elf_getdata(scn, NULL);
  }
  return NULL;
}

/* The "hidden" bit of a .gnu.version entry (GNU symbol versioning); elf.h
   does not name it. */
#define VERSION_HIDDEN 0x8000

/* A hidden version (memcpy@GLIBC_2.2.5 beside memcpy@@GLIBC_2.14) is one
   the loader never resolves a bare name to, so a lookup must not either. */
static bool hidden_version(Elf_Data *versions, size_t i) {
  GElf_Versym version;
  return versions != NULL && gelf_getversym(versions, (int)i, &version) &&
         (version & VERSION_HIDDEN);
}

/* Appends the wanted symbols of one symbol-table section; `versions`
   belongs to it, or is NULL. False only when memory runs out; an
   unreadable section is skipped. */
static bool collect_section(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
                            Elf_Data *versions, uint64_t bias,
                            candidates *out) {
  Elf_Data *data = elf_getdata(scn, NULL);
  size_t n = shdr->sh_entsize != 0 ? shdr->sh_size / shdr->sh_entsize : 0;
  if (data == NULL || n == 0)
    return true;
  candidate *grown = realloc(out->items, (out->count + n) * sizeof *grown);
  if (grown == NULL)
    return false;
  out->items = grown;
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    if (gelf_getsym(data, (int)i, &sym) == NULL || !wanted(&sym) ||
        hidden_version(versions, i))
      continue;
    const char *name = elf_strptr(elf, shdr->sh_link, sym.st_name);
    if (name == NULL || name[0] == '\0')
      continue;
    out->items[out->count++] = (candidate){
        .name = name,
        .symbol = {.address = sym.st_value + bias,
                   .size = sym.st_size,
                   .rank = rank_of(&sym),
                   .is_function = GELF_ST_TYPE(sym.st_info) == STT_FUNC}};
  }
  return true;
}

/* Name order, then address, then preferred first: equal (name, address)
   pairs end up adjacent with the one to keep in front. */
static int by_name_order(const void *a, const void *b) {
  const candidate *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c != 0)
    return c;
  if (x->symbol.address != y->symbol.address)
    return x->symbol.address < y->symbol.address ? -1 : 1;
  return (int)y->symbol.rank - (int)x->symbol.rank;
}

/* Address order; at one address the preferred symbol first. */
static int by_address_order(const void *a, const void *b) {
  const snare_elf_symbol *x = a, *y = b;
  if (x->address != y->address)
    return x->address < y->address ? -1 : 1;
  return (int)y->rank - (int)x->rank;
}

/* Turns sorted candidates into the table: drops repeated (name, address)
   pairs (a symbol is usually in both .symtab and .dynsym), copies each
   distinct name once, and picks the preferred symbol of each name. */
static snare_status build(candidates *found, snare_elf_symbols *out) {
  size_t kept = 0, arena = 0;
  for (size_t i = 0; i < found->count; i++) {
    candidate *c = &found->items[i];
    bool new_name =
        kept == 0 || strcmp(c->name, found->items[kept - 1].name) != 0;
    if (!new_name && c->symbol.address == found->items[kept - 1].symbol.address)
      continue;
    if (new_name)
      arena += strlen(c->name) + 1;
    found->items[kept++] = *c;
  }
  out->names = malloc(arena);
  out->by_address = malloc(kept * sizeof *out->by_address);
  out->reach = malloc(kept * sizeof *out->reach);
  out->by_name = malloc(kept * sizeof *out->by_name);
  if (out->names == NULL || out->by_address == NULL || out->reach == NULL ||
      out->by_name == NULL)
    return SNARE_NO_MEMORY;
  char *next = out->names;
  const char *current = NULL;
  for (size_t i = 0; i < kept; i++) {
    candidate *c = &found->items[i];
    bool new_name = i == 0 || strcmp(c->name, found->items[i - 1].name) != 0;
    if (new_name) {
      size_t len = strlen(c->name) + 1;
      current = memcpy(next, c->name, len);
      next += len;
      out->name_count++;
    }
    c->symbol.name = current;
    snare_elf_symbol *best = &out->by_name[out->name_count - 1];
    if (new_name || c->symbol.rank > best->rank)
      *best = c->symbol;
    out->by_address[i] = c->symbol;
  }
  out->count = kept;
  qsort(out->by_address, kept, sizeof *out->by_address, by_address_order);
  for (size_t i = 0; i < kept; i++) {
    uint64_t end = out->by_address[i].address + out->by_address[i].size;
    out->reach[i] = i > 0 && out->reach[i - 1] > end ? out->reach[i - 1] : end;
  }
  return SNARE_OK;
}

snare_status snare_elf_symbols_read(const char *file, uint64_t bias,
                                    snare_elf_symbols *out) {
  *out = (snare_elf_symbols){0};
  if (elf_version(EV_CURRENT) == EV_NONE)
    return SNARE_OK;
  int fd = snare_os_file_open(file);
  if (fd < 0)
    return SNARE_OK;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  Elf_Data *versions = elf != NULL ? find_versions(elf) : NULL;
  candidates found = {0};
  snare_status status = SNARE_OK;
  for (Elf_Scn *scn = elf ? elf_nextscn(elf, NULL) : NULL; scn != NULL;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL ||
        (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM))
      continue;
    Elf_Data *own = shdr.sh_type == SHT_DYNSYM ? versions : NULL;
    if (!collect_section(elf, scn, &shdr, own, bias, &found)) {
      status = SNARE_NO_MEMORY;
      break;
    }
  }
  if (status == SNARE_OK && found.count != 0) {
    qsort(found.items, found.count, sizeof *found.items, by_name_order);
    status = build(&found, out);
  }
  free(found.items);
  if (elf != NULL)
    elf_end(elf);
  snare_os_file_close(fd);
  if (status != SNARE_OK)
    snare_elf_symbols_free(out);
  return status;
}

void snare_elf_symbols_free(snare_elf_symbols *symbols) {
  free(symbols->names);
  free(symbols->by_name);
  free(symbols->by_address);
  free(symbols->reach);
  *symbols = (snare_elf_symbols){0};
}

static int compare_name(const void *key, const void *entry) {
  return strcmp(key, ((const snare_elf_symbol *)entry)->name);
}

const snare_elf_symbol *
snare_elf_symbols_named(const snare_elf_symbols *symbols, const char *name) {
  if (symbols->name_count == 0)
    return NULL;
  return bsearch(name, symbols->by_name, symbols->name_count,
                 sizeof *symbols->by_name, compare_name);
}

const snare_elf_symbol *snare_elf_symbols_at(const snare_elf_symbols *symbols,
                                             uint64_t addr,
                                             bool functions_only) {
  /* hi: how many symbols start at or below addr. */
  size_t lo = 0, hi = symbols->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (symbols->by_address[mid].address <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* Walk down while some earlier symbol still reaches past addr; reach is
     a running maximum, so the first one that does not ends the search. */
  const snare_elf_symbol *best = NULL;
  for (size_t i = hi; i > 0 && symbols->reach[i - 1] > addr; i--) {
    const snare_elf_symbol *s = &symbols->by_address[i - 1];
    if (addr - s->address >= s->size || (functions_only && !s->is_function))
      continue;
    if (best == NULL || s->rank > best->rank)
      best = s;
  }
  return best;
}
