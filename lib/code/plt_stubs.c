/*
 * plt_stubs.c - an object's calls through its PLT made hookable: its
 * jump slots (read from the file with libelf: the relocations, their
 * symbols and versions) are bound now, each through a stub of
 * generated code that a hook can patch like any function. A hook on
 * the target itself would catch every caller (the C library calls
 * malloc too); a stub sees only the calls of this object, which is what
 * uftrace records as library calls.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal/arch.h"
#include "internal/loader.h"
#include "internal/os.h"

typedef struct plt_slot {
  char *name, *version; /* version NULL: none */
  uint64_t got;         /* link-time address of the slot's word */
} plt_slot;

typedef struct slot_list {
  plt_slot *slots;
  size_t n, cap;
  uint64_t plt_start, plt_end; /* .plt, link-time: where unbound (lazy)
                                  slots point */
} slot_list;

/* Objects done already, so that a slot is never stubbed twice. */
static const snare_library **done;
static size_t done_n;

static bool add_slot(slot_list *list, const char *name, const char *version,
                     uint64_t got) {
  if (list->n == list->cap) {
    size_t cap = list->cap ? 2 * list->cap : 64;
    plt_slot *grown = realloc(list->slots, cap * sizeof *grown);
    if (grown == NULL)
      return false;
    list->slots = grown;
    list->cap = cap;
  }
  plt_slot *slot = &list->slots[list->n];
  slot->name = strdup(name);
  slot->version = version != NULL ? strdup(version) : NULL;
  slot->got = got;
  if (slot->name == NULL || (version != NULL && slot->version == NULL)) {
    free(slot->name);
    free(slot->version);
    return false;
  }
  list->n++;
  return true;
}

static void free_slots(slot_list *list) {
  for (size_t i = 0; i < list->n; i++) {
    free(list->slots[i].name);
    free(list->slots[i].version);
  }
  free(list->slots);
}

/* The name of version index `index` among the versions the object needs
   (SHT_GNU_verneed), or NULL. */
static const char *needed_version(Elf *elf, Elf_Scn *verneed,
                                  unsigned index) {
  GElf_Shdr shdr;
  Elf_Data *data = verneed ? elf_getdata(verneed, NULL) : NULL;
  if (data == NULL || gelf_getshdr(verneed, &shdr) == NULL)
    return NULL;
  size_t at = 0;
  for (;;) {
    GElf_Verneed need;
    if (gelf_getverneed(data, (int)at, &need) == NULL)
      return NULL;
    size_t aux_at = at + need.vn_aux;
    for (unsigned i = 0; i < need.vn_cnt; i++) {
      GElf_Vernaux aux;
      if (gelf_getvernaux(data, (int)aux_at, &aux) == NULL)
        return NULL;
      if (aux.vna_other == index)
        return elf_strptr(elf, shdr.sh_link, aux.vna_name);
      aux_at += aux.vna_next;
    }
    if (need.vn_next == 0)
      return NULL;
    at += need.vn_next;
  }
}

/* The jump slots of one relocation section. */
static bool read_section(Elf *elf, Elf_Scn *rela, const GElf_Shdr *shdr,
                         Elf_Scn *versym, Elf_Scn *verneed,
                         slot_list *list) {
  Elf_Scn *symtab = elf_getscn(elf, shdr->sh_link);
  GElf_Shdr sym_shdr;
  Elf_Data *relocs = elf_getdata(rela, NULL);
  Elf_Data *syms = symtab ? elf_getdata(symtab, NULL) : NULL;
  Elf_Data *versions = versym ? elf_getdata(versym, NULL) : NULL;
  if (relocs == NULL || syms == NULL || gelf_getshdr(symtab, &sym_shdr) == NULL)
    return true; /* nothing readable: no slots */
  size_t count = shdr->sh_entsize ? shdr->sh_size / shdr->sh_entsize : 0;
  for (size_t i = 0; i < count; i++) {
    GElf_Rela r;
    GElf_Sym sym;
    if (gelf_getrela(relocs, (int)i, &r) == NULL ||
        GELF_R_TYPE(r.r_info) != snare_arch_jump_slot_relocation ||
        gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym) == NULL)
      continue;
    const char *name = elf_strptr(elf, sym_shdr.sh_link, sym.st_name);
    if (name == NULL || *name == '\0')
      continue;
    const char *version = NULL;
    GElf_Versym index;
    if (versions != NULL &&
        gelf_getversym(versions, (int)GELF_R_SYM(r.r_info), &index) != NULL &&
        (index & 0x7fff) > 1) /* 0 local, 1 global: no version */
      version = needed_version(elf, verneed, index & 0x7fff);
    if (!add_slot(list, name, version, r.r_offset))
      return false;
  }
  return true;
}

static snare_status read_slots(const char *path, slot_list *list) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return SNARE_SYSTEM;
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return SNARE_SYSTEM;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  snare_status status = elf != NULL ? SNARE_OK : SNARE_SYSTEM;
  Elf_Scn *versym = NULL, *verneed = NULL;
  size_t names = 0;
  if (elf != NULL && elf_getshdrstrndx(elf, &names) != 0)
    names = 0;
  for (Elf_Scn *scn = NULL; elf != NULL && (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == NULL)
      continue;
    const char *name = names ? elf_strptr(elf, names, shdr.sh_name) : NULL;
    if (name != NULL && strcmp(name, ".plt") == 0) {
      list->plt_start = shdr.sh_addr;
      list->plt_end = shdr.sh_addr + shdr.sh_size;
    }
    if (shdr.sh_type == SHT_GNU_versym)
      versym = scn;
    else if (shdr.sh_type == SHT_GNU_verneed)
      verneed = scn;
  }
  for (Elf_Scn *scn = NULL;
       status == SNARE_OK && (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != NULL && shdr.sh_type == SHT_RELA &&
        !read_section(elf, scn, &shdr, versym, verneed, list))
      status = SNARE_SYSTEM;
  }
  if (elf != NULL)
    elf_end(elf);
  snare_os_file_close(fd);
  return status;
}

/* Points the slot's word at the stub: a plain store where the page is
   writable, else a code write (full RELRO made it read-only). */
static bool bind_slot(uint64_t got, uint64_t stub) {
  if (snare_os_memory_write(got, &stub, sizeof stub))
    return true;
  snare_os_global_lock();
  bool ok = snare_os_code_write(got, &stub, sizeof stub);
  snare_os_global_unlock();
  return ok;
}

/* Generated code for the stubs of `list` that resolve, registered as
   functions; fills stubs (list->n of room) and *count. */
static snare_status make_stubs(const snare_library *lib,
                               const slot_list *list, snare_plt_stub *stubs,
                               size_t *count) {
  snare_code_function *functions = calloc(list->n, sizeof *functions);
  uint64_t *got = calloc(list->n, sizeof *got); /* each stub's slot */
  snare_jit *jit = NULL;
  snare_status status =
      functions != NULL && got != NULL ? SNARE_OK : SNARE_SYSTEM;
  if (status == SNARE_OK)
    status = snare_jit_alloc(list->n * SNARE_ARCH_JUMP_STUB_SIZE, 0, &jit);
  size_t n = 0;
  for (size_t i = 0; status == SNARE_OK && i < list->n; i++) {
    const plt_slot *slot = &list->slots[i];
    /* A bound slot says where the loader bound it (an interposer, a
       sanitizer's, included); a lazy one points back into the PLT, and
       the loader's lookup is asked. */
    uint64_t got_address = snare_library_base(lib) + slot->got, bound = 0;
    uint64_t base = snare_library_base(lib);
    if (!snare_os_memory_read(got_address, &bound, sizeof bound) ||
        (bound >= base + list->plt_start && bound < base + list->plt_end))
      bound = 0;
    uint64_t target = bound != 0 ? bound
                                 : snare_os_symbol_resolve(slot->name,
                                                           slot->version);
    if (target == 0)
      continue;
    uint8_t code[SNARE_ARCH_JUMP_STUB_SIZE];
    memset(code, 0, sizeof code);
    size_t size = snare_arch_jump_stub(code, target);
    status = snare_jit_write(jit, n * sizeof code, code, sizeof code);
    uint64_t at = snare_jit_address(jit) + n * sizeof code;
    functions[n] = (snare_code_function){slot->name, at, size};
    stubs[n] = (snare_plt_stub){NULL, at, target};
    got[n] = got_address;
    n++;
  }
  if (status == SNARE_OK)
    status = snare_jit_commit(jit);
  const char *region = "plt stubs";
  if (status == SNARE_OK && n > 0)
    status = snare_code_register_info(&(snare_code_info){
        .start = snare_jit_address(jit),
        .size = n * SNARE_ARCH_JUMP_STUB_SIZE,
        .name = region,
        .functions = functions,
        .function_count = n,
    });
  /* The region keeps copies of the names; the stubs point at them. */
  for (size_t i = 0; status == SNARE_OK && i < n; i++) {
    snare_symbol sym;
    status = snare_code_symbol_at(stubs[i].address, &sym);
    stubs[i].name = status == SNARE_OK ? sym.name : NULL;
  }
  /* Every stub in place: now the calls may take them. */
  for (size_t i = 0; status == SNARE_OK && i < n; i++)
    if (!bind_slot(got[i], stubs[i].address))
      status = SNARE_SYSTEM;
  if (jit != NULL && n == 0)
    snare_jit_free(jit);
  free(functions);
  free(got);
  *count = n;
  return status;
}

snare_status snare_plt_stubs(snare_library *lib, const snare_plt_stub **out,
                             size_t *count) {
  if (lib == NULL || out == NULL || count == NULL)
    return SNARE_INVALID_ARGUMENT;
  for (size_t i = 0; i < done_n; i++)
    if (done[i] == lib)
      return SNARE_EXISTS;
  slot_list list = {0};
  snare_status status = read_slots(snare_library_path(lib), &list);
  if (status == SNARE_OK && list.n == 0)
    status = SNARE_NOT_FOUND;
  snare_plt_stub *stubs =
      status == SNARE_OK ? calloc(list.n, sizeof *stubs) : NULL;
  const snare_library **grown =
      status == SNARE_OK ? realloc(done, (done_n + 1) * sizeof *done) : NULL;
  if (status == SNARE_OK && (stubs == NULL || grown == NULL))
    status = SNARE_SYSTEM;
  if (grown != NULL)
    done = grown;
  size_t n = 0;
  if (status == SNARE_OK)
    status = make_stubs(lib, &list, stubs, &n);
  free_slots(&list);
  if (status != SNARE_OK && n == 0) {
    free(stubs);
    return status;
  }
  done[done_n++] = lib;
  *out = stubs;
  *count = n;
  return status;
}
