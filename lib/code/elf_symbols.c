/*
 * elf_symbols.c - reads an ELF file's symbol tables with libelf into two
 * sorted arrays (by name, by address) sharing one string arena; adds
 * demangled names of C++ symbols and names for the functions only the
 * unwind table knows.
 */
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/demangle.h"
#include "code/elf_symbols.h"
#include "code/plt_names.h"
#include "code/unwind_entries.h"
#include "debuginfo/debuginfo.h"
#include "internal/loader.h"

/* Code a symbol claims: [start, end), run-time addresses. */
typedef struct span {
  uint64_t start, end;
} span;

/* A symbol while the tables are read: its name points into the ELF
   file's string table, which lives only as long as the Elf handle, or
   into `owned`. */
typedef struct candidate {
  const char *name;
  snare_elf_symbol symbol;
} candidate;

typedef struct candidates {
  candidate *items;
  size_t count, cap;
  char **owned; /* names made here (demangled, synthesized), to free */
  size_t owned_count, owned_cap;
  /* IFUNC resolvers (run-time spans): code that runs once, in the
     loader, not the function its symbol names (which the resolver picks
     and has a symbol or unwind entry of its own): no entry to hook. */
  span *resolvers;
  size_t resolver_count, resolver_cap;
} candidates;

/* Name forms, lowest preferred; plain (C) names count as qualified. */
enum { FORM_MANGLED, FORM_SIGNATURE, FORM_QUALIFIED };

static uint8_t rank_of(bool function, bool local, int form) {
  return (uint8_t)((function ? 16 : 0) + (local ? 0 : 8) + form);
}

static size_t leading_underscores(const char *name) {
  return strspn(name, "_");
}

int snare_elf_symbol_prefer(const snare_elf_symbol *a,
                            const snare_elf_symbol *b) {
  if (a->rank != b->rank)
    return (int)a->rank - (int)b->rank;
  size_t ua = leading_underscores(a->name), ub = leading_underscores(b->name);
  if (ua != ub)
    return ua < ub ? 1 : -1;
  if (a->global != b->global)
    return a->global ? 1 : -1;
  /* a program's copy of a library variable is "stderr" in .dynsym and
     "stderr@GLIBC_2.2.5" in .symtab: gdb names the address by the latter */
  bool va = !a->is_function && strchr(a->name, '@') != NULL;
  bool vb = !b->is_function && strchr(b->name, '@') != NULL;
  if (va != vb)
    return va ? 1 : -1;
  return strcmp(b->name, a->name);
}

static bool defined(const GElf_Sym *sym) {
  return sym->st_shndx != SHN_UNDEF &&
         (sym->st_shndx < SHN_LORESERVE || sym->st_shndx == SHN_XINDEX);
}

static bool wanted(const GElf_Sym *sym) {
  int type = GELF_ST_TYPE(sym->st_info);
  return (type == STT_FUNC || type == STT_OBJECT) && sym->st_size != 0 &&
         defined(sym);
}

static bool add_resolver(candidates *out, uint64_t start, uint64_t size) {
  if (out->resolver_count == out->resolver_cap) {
    size_t cap = out->resolver_cap ? out->resolver_cap * 2 : 64;
    span *grown = realloc(out->resolvers, cap * sizeof *grown);
    if (grown == NULL)
      return false;
    out->resolvers = grown;
    out->resolver_cap = cap;
  }
  /* A resolver without a size still claims its first byte. */
  out->resolvers[out->resolver_count++] =
      (span){start, start + (size != 0 ? size : 1)};
  return true;
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

/* gcc names the unlikely code it splits off a function foo "foo.cold"
   ("foo.cold.3" before gcc 9): a piece entered by a jump from foo. Its
   unwind entry cannot tell it apart when foo jumps there with the frame
   it was entered with. */
static bool cold_part(const char *name) {
  const char *suffix = strstr(name, ".cold");
  return suffix != NULL && (suffix[5] == '\0' || suffix[5] == '.');
}

static bool add(candidates *out, const char *name, snare_elf_symbol symbol) {
  if (out->count == out->cap) {
    size_t cap = out->cap ? out->cap * 2 : 256;
    candidate *grown = realloc(out->items, cap * sizeof *grown);
    if (grown == NULL)
      return false;
    out->items = grown;
    out->cap = cap;
  }
  out->items[out->count++] = (candidate){.name = name, .symbol = symbol};
  return true;
}

/* Takes ownership of name (NULL: no memory) and adds it. */
static bool add_owned(candidates *out, char *name, snare_elf_symbol symbol) {
  if (name == NULL)
    return false;
  if (out->owned_count == out->owned_cap) {
    size_t cap = out->owned_cap ? out->owned_cap * 2 : 64;
    char **grown = realloc(out->owned, cap * sizeof *grown);
    if (grown == NULL) {
      free(name);
      return false;
    }
    out->owned = grown;
    out->owned_cap = cap;
  }
  out->owned[out->owned_count++] = name;
  return add(out, name, symbol);
}

/* Adds a symbol under its name, and a C++ one also under its demangled
   signature and qualified name. */
static bool add_named(candidates *out, const char *name, bool local,
                      snare_elf_symbol symbol) {
  char *signature = snare_demangle(name);
  int form = signature != NULL ? FORM_MANGLED : FORM_QUALIFIED;
  symbol.rank = rank_of(symbol.is_function, local, form);
  if (!add(out, name, symbol))
    return false;
  if (signature == NULL)
    return true;
  char *qualified = snare_demangled_qualified(signature);
  symbol.rank = rank_of(symbol.is_function, local, FORM_SIGNATURE);
  bool ok = add_owned(out, signature, symbol);
  symbol.rank = rank_of(symbol.is_function, local, FORM_QUALIFIED);
  if (ok && qualified != NULL && strcmp(qualified, signature) != 0)
    return add_owned(out, qualified, symbol);
  free(qualified);
  return ok;
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
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    if (gelf_getsym(data, (int)i, &sym) == NULL)
      continue;
    if (GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC && defined(&sym) &&
        !add_resolver(out, sym.st_value + bias, sym.st_size))
      return false;
    if (!wanted(&sym) || hidden_version(versions, i))
      continue;
    const char *name = elf_strptr(elf, shdr->sh_link, sym.st_name);
    if (name == NULL || name[0] == '\0')
      continue;
    bool function = GELF_ST_TYPE(sym.st_info) == STT_FUNC;
    snare_elf_symbol symbol = {
        .address = sym.st_value + bias,
        .size = sym.st_size,
        .global = GELF_ST_BIND(sym.st_info) == STB_GLOBAL,
        .is_function = function,
        .entry = function && !cold_part(name)};
    if (!add_named(out, name, GELF_ST_BIND(sym.st_info) == STB_LOCAL, symbol))
      return false;
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
  return snare_elf_symbol_prefer(y, x);
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
    if (new_name || snare_elf_symbol_prefer(&c->symbol, best) > 0)
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

/* Whether addr lies in code a function may start in: an executable
   section that is not a PLT (its FDEs cover stubs, not functions). */
static bool in_function_code(Elf *elf, uint64_t addr) {
  size_t names;
  if (elf_getshdrstrndx(elf, &names) != 0)
    return false;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL ||
        !(shdr.sh_flags & SHF_EXECINSTR) || addr < shdr.sh_addr ||
        addr - shdr.sh_addr >= shdr.sh_size)
      continue;
    const char *name = elf_strptr(elf, names, shdr.sh_name);
    return name != NULL && strncmp(name, ".plt", 4) != 0;
  }
  return false;
}

/* The range starting at link-time address start, or NULL. */
static const snare_unwind_range *range_at(const snare_unwind_range *ranges,
                                          size_t n, uint64_t start) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ranges[mid].start < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && ranges[lo].start == start ? &ranges[lo] : NULL;
}

static int span_order(const void *a, const void *b) {
  const span *x = a, *y = b;
  return (x->start > y->start) - (x->start < y->start);
}

/* Whether addr lies in one of the spans, sorted by start, whose running
   maximum of ends is reach. */
static bool claimed(const span *spans, const uint64_t *reach, size_t n,
                    uint64_t addr) {
  size_t lo = 0, hi = n; /* hi: how many start at or below addr */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (spans[mid].start <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return hi > 0 && reach[hi - 1] > addr;
}

/* True when addr is where an IFUNC resolver starts. */
static bool resolver_at(const candidates *found, uint64_t addr) {
  for (size_t i = 0; i < found->resolver_count; i++)
    if (found->resolvers[i].start == addr)
      return true;
  return false;
}

/*
 * Merges what the unwind table knows into the symbols found: a function
 * symbol starting a piece that is not entered by calls (or an IFUNC
 * resolver) is no entry, and every function entry in code no symbol (nor
 * resolver) claims gets a name of its own.
 */
static bool add_unwind_functions(Elf *elf, const char *file, uint64_t bias,
                                 candidates *found) {
  snare_unwind_range *ranges;
  size_t n;
  if (snare_unwind_ranges_read(file, &ranges, &n) != SNARE_OK)
    return false;
  size_t cap = found->count + found->resolver_count + 1;
  span *spans = malloc(cap * sizeof *spans);
  uint64_t *reach = malloc(cap * sizeof *reach);
  bool ok = spans != NULL && reach != NULL;
  size_t count = 0;
  for (size_t i = 0; ok && i < found->resolver_count; i++)
    spans[count++] = found->resolvers[i];
  for (size_t i = 0; ok && i < found->count; i++) {
    snare_elf_symbol *symbol = &found->items[i].symbol;
    if (!symbol->is_function)
      continue;
    const snare_unwind_range *r = range_at(ranges, n, symbol->address - bias);
    symbol->entry = symbol->entry && (r == NULL || r->entry) &&
                    !resolver_at(found, symbol->address);
    spans[count++] = (span){symbol->address, symbol->address + symbol->size};
  }
  if (ok) {
    qsort(spans, count, sizeof *spans, span_order);
    for (size_t i = 0; i < count; i++)
      reach[i] = i > 0 && reach[i - 1] > spans[i].end ? reach[i - 1]
                                                      : spans[i].end;
  }
  for (size_t i = 0; ok && i < n; i++) {
    uint64_t address = ranges[i].start + bias;
    if (!ranges[i].entry || !in_function_code(elf, ranges[i].start) ||
        claimed(spans, reach, count, address))
      continue;
    char *name = malloc(sizeof "sub_" + 16);
    if (name != NULL)
      snprintf(name, sizeof "sub_" + 16, "sub_%" PRIx64, ranges[i].start);
    ok = add_owned(found, name,
                   (snare_elf_symbol){.address = address,
                                      .size = ranges[i].size,
                                      .rank = rank_of(true, true,
                                                      FORM_QUALIFIED),
                                      .is_function = true,
                                      .entry = true});
  }
  free(spans);
  free(reach);
  free(ranges);
  return ok;
}

/* The PLT entries, under the names gdb gives them; functions, but
   none a hook patches (snare_library_functions lists no stub). */
static bool add_plt_names(Elf *elf, uint64_t bias, candidates *found) {
  snare_plt_name *names;
  size_t n;
  if (snare_plt_names_read(elf, &names, &n) != SNARE_OK)
    return false;
  bool ok = true;
  for (size_t i = 0; ok && i < n; i++) {
    bool entry = !names[i].got_slot;
    snare_elf_symbol symbol = {.address = names[i].address + bias,
                               .size = names[i].size,
                               .rank = rank_of(entry, true, FORM_QUALIFIED),
                               .is_function = entry,
                               .plt_entry = entry};
    ok = add_owned(found, names[i].name, symbol);
    names[i].name = NULL; /* add_owned took it, even when it failed */
  }
  snare_plt_names_free(names, n);
  return ok;
}

static void candidates_free(candidates *found) {
  for (size_t i = 0; i < found->owned_count; i++)
    free(found->owned[i]);
  free(found->owned);
  free(found->items);
  free(found->resolvers);
}

/* Appends the symbols of elf's sections of type `wanted_type` (SHT_SYMTAB
   or SHT_DYNSYM); *seen tells whether it has one. False only when memory
   runs out. */
static bool collect_tables(Elf *elf, GElf_Word wanted_type, uint64_t bias,
                           candidates *found, bool *seen) {
  Elf_Data *versions = wanted_type == SHT_DYNSYM ? find_versions(elf) : NULL;
  *seen = false;
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL;
       scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type != wanted_type)
      continue;
    *seen = true;
    if (!collect_section(elf, scn, &shdr, versions, bias, found))
      return false;
  }
  return true;
}

/* A file opened for its symbols: the descriptor and libelf's handle, whose
   string tables the candidates' names point into until it is closed. */
typedef struct symbol_source {
  int fd;
  Elf *elf;
} symbol_source;

static symbol_source source_open(const char *file) {
  symbol_source source = {.fd = snare_os_file_open(file)};
  if (source.fd >= 0)
    source.elf = elf_begin(source.fd, ELF_C_READ, NULL);
  return source;
}

static void source_close(symbol_source *source) {
  if (source->elf != NULL)
    elf_end(source->elf);
  if (source->fd >= 0)
    snare_os_file_close(source->fd);
}

/* The object's .symtab, or when it was stripped, its separate debug
   file's (gdb reads the local functions there: ld.so's dl_main, not
   sub_1bfc0), then its .dynsym. The debug file, when read, is left open
   in *debug. False only when memory runs out. */
static bool collect_symbols(const char *file, Elf *elf, uint64_t bias,
                            candidates *found, symbol_source *debug) {
  bool has_symtab, seen;
  if (!collect_tables(elf, SHT_SYMTAB, bias, found, &has_symtab))
    return false;
  char path[4096];
  if (!has_symtab &&
      snare_debuginfo_separate_file(file, path, sizeof path)) {
    *debug = source_open(path);
    if (debug->elf != NULL &&
        !collect_tables(debug->elf, SHT_SYMTAB, bias, found, &seen))
      return false;
  }
  return collect_tables(elf, SHT_DYNSYM, bias, found, &seen);
}

snare_status snare_elf_symbols_read(const char *file, uint64_t bias,
                                    snare_elf_symbols *out) {
  *out = (snare_elf_symbols){0};
  if (elf_version(EV_CURRENT) == EV_NONE)
    return SNARE_OK;
  symbol_source object = source_open(file), debug = {.fd = -1};
  if (object.fd < 0)
    return SNARE_OK;
  Elf *elf = object.elf;
  candidates found = {0};
  snare_status status = SNARE_OK;
  if (elf != NULL && !collect_symbols(file, elf, bias, &found, &debug))
    status = SNARE_NO_MEMORY;
  if (status == SNARE_OK && elf != NULL && !add_plt_names(elf, bias, &found))
    status = SNARE_NO_MEMORY;
  if (status == SNARE_OK && elf != NULL &&
      !add_unwind_functions(elf, file, bias, &found))
    status = SNARE_NO_MEMORY;
  if (status == SNARE_OK && found.count != 0) {
    qsort(found.items, found.count, sizeof *found.items, by_name_order);
    status = build(&found, out);
  }
  candidates_free(&found);
  source_close(&debug);
  source_close(&object);
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

/* Whether rest is ABI tags alone ("[abi:cxx11]"), one or more. */
static bool only_abi_tags(const char *rest) {
  while (strncmp(rest, "[abi:", 5) == 0) {
    const char *end = strchr(rest, ']');
    if (end == NULL)
      return false;
    rest = end + 1;
  }
  return *rest == '\0';
}

const snare_elf_symbol *
snare_elf_symbols_named(const snare_elf_symbols *symbols, const char *name) {
  if (symbols->name_count == 0)
    return NULL;
  const snare_elf_symbol *exact =
      bsearch(name, symbols->by_name, symbols->name_count,
              sizeof *symbols->by_name, compare_name);
  if (exact != NULL)
    return exact;
  /* gdb's C++ names match leaving the ABI tags out:
     "Json::Value::asString" is "Json::Value::asString[abi:cxx11]", which
     sorts among the names name begins */
  size_t lo = 0, hi = symbols->name_count, n = strlen(name);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(symbols->by_name[mid].name, name) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (; lo < symbols->name_count &&
         strncmp(symbols->by_name[lo].name, name, n) == 0;
       lo++)
    if (only_abi_tags(symbols->by_name[lo].name + n))
      return &symbols->by_name[lo];
  return NULL;
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
    if (best == NULL || snare_elf_symbol_prefer(s, best) > 0)
      best = s;
  }
  return best;
}
