/*
 * symbol_file.c - the symbols of an ELF file mapped in the process that
 * snare did not load (libc, the program's other libraries), read from
 * the file alone, for what outlives the process: a recording names the
 * data objects and functions pointer values point to with them.
 */
#include <gelf.h>
#include <stdlib.h>

#include "code/elf_symbols.h"
#include "internal/loader.h"
#include "internal/os.h"

struct snare_symbol_file {
  snare_elf_symbols table;
  uint64_t start, file_end;
};

static uint64_t page_down(uint64_t a, uint64_t page) { return a & ~(page - 1); }

/* The link-time span of the file's loadable segments as the loader maps
   them: from the first segment's page to the end of the last one's
   bytes from the file, a page up (the .bss past it is anonymous
   memory). False without loadable segments. */
static bool loaded_span(const char *path, uint64_t page, uint64_t *first,
                        uint64_t *file_end) {
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return false;
  Elf *elf = elf_version(EV_CURRENT) != EV_NONE
                 ? elf_begin(fd, ELF_C_READ, NULL)
                 : NULL;
  size_t count = 0;
  bool found = false;
  if (elf != NULL && elf_getphdrnum(elf, &count) == 0) {
    for (size_t i = 0; i < count; i++) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, (int)i, &phdr) == NULL || phdr.p_type != PT_LOAD)
        continue;
      uint64_t end = page_down(phdr.p_vaddr + phdr.p_filesz + page - 1, page);
      if (!found || page_down(phdr.p_vaddr, page) < *first)
        *first = page_down(phdr.p_vaddr, page);
      if (!found || end > *file_end)
        *file_end = end;
      found = true;
    }
  }
  if (elf != NULL)
    elf_end(elf);
  snare_os_file_close(fd);
  return found;
}

snare_status snare_symbol_file_read(const char *path, uint64_t mapped_at,
                                    snare_symbol_file **out) {
  *out = NULL;
  uint64_t page = snare_os_page_size(), first = 0, file_end = 0;
  if (!loaded_span(path, page, &first, &file_end))
    return SNARE_NOT_FOUND;
  snare_symbol_file *f = calloc(1, sizeof *f);
  if (f == NULL)
    return SNARE_NO_MEMORY;
  uint64_t bias = mapped_at - first;
  snare_status status = snare_elf_symbols_read(path, bias, &f->table);
  if (status != SNARE_OK) {
    free(f);
    return status;
  }
  f->start = mapped_at;
  f->file_end = file_end + bias;
  *out = f;
  return SNARE_OK;
}

void snare_symbol_file_span(const snare_symbol_file *f, uint64_t *start,
                            uint64_t *file_end) {
  *start = f->start;
  *file_end = f->file_end;
}

size_t snare_symbol_file_symbols(const snare_symbol_file *f,
                                 snare_symbol *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < f->table.count; i++) {
    const snare_elf_symbol *s = &f->table.by_address[i];
    /* The preferred name of an address comes first: one per address. */
    if (i > 0 && f->table.by_address[i - 1].address == s->address)
      continue;
    if (n < cap)
      out[n] = (snare_symbol){.name = s->name, .address = s->address,
                              .size = s->size, .is_function = s->is_function};
    n++;
  }
  return n;
}

void snare_symbol_file_free(snare_symbol_file *f) {
  if (f == NULL)
    return;
  snare_elf_symbols_free(&f->table);
  free(f);
}
