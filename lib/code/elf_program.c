/*
 * elf_program.c - what an ELF program's headers say about how it starts,
 * read with libelf.
 */
#include <gelf.h>

#include "internal/loader.h"
#include "snare.h"

snare_status snare_program_is_dynamic(const char *path, bool *dynamic) {
  if (path == NULL || dynamic == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (elf_version(EV_CURRENT) == EV_NONE)
    return SNARE_NOT_FOUND;
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return SNARE_NOT_FOUND;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  size_t count = 0;
  snare_status status = SNARE_NOT_FOUND;
  if (elf != NULL && elf_kind(elf) == ELF_K_ELF &&
      elf_getphdrnum(elf, &count) == 0) {
    status = SNARE_OK;
    *dynamic = false;
    for (size_t i = 0; i < count; i++) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, (int)i, &phdr) != NULL && phdr.p_type == PT_INTERP)
        *dynamic = true;
    }
  }
  if (elf != NULL)
    elf_end(elf);
  snare_os_file_close(fd);
  return status;
}
