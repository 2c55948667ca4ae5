/*
 * lists_check.c - a look at the headers of .debug_rnglists and
 * .debug_loclists before libdwarf reads them. The libdwarf in Debian 12
 * (20210528) frees twice on its error path when a unit's length runs past
 * the end of its section (found by fuzz/debuginfo_fuzz.c), which kills
 * the process; such a file is refused here instead.
 */
#include <gelf.h>
#include <string.h>

#include "internal/loader.h"
#include "private.h"

/* Whether every unit header of a DWARF 5 list section fits the section:
   length (4 bytes, or 0xffffffff and 8 bytes), then at least version,
   address size, selector size and offset count (8 bytes). */
static bool units_fit(const uint8_t *p, size_t size)
{
  size_t at = 0;
  while (at < size) {
    if (size - at < 4)
      return false;
    uint64_t length = 0;
    memcpy(&length, p + at, 4);
    at += 4;
    if (length == 0xffffffffu) {
      if (size - at < 8)
        return false;
      memcpy(&length, p + at, 8);
      at += 8;
    }
    if (length < 8 || length > size - at)
      return false;
    at += (size_t)length;
  }
  return true;
}

static bool is_list_section(const char *name)
{
  return name != NULL && (strcmp(name, ".debug_rnglists") == 0 ||
                          strcmp(name, ".debug_loclists") == 0);
}

bool di_lists_sane(const char *path)
{
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return true; /* libdwarf will report the file itself */
  bool sane = true;
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  size_t names;
  if (elf != NULL && elf_getshdrstrndx(elf, &names) == 0) {
    for (Elf_Scn *scn = NULL; sane && (scn = elf_nextscn(elf, scn)) != NULL;) {
      GElf_Shdr shdr;
      if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type == SHT_NOBITS ||
          (shdr.sh_flags & SHF_COMPRESSED) ||
          !is_list_section(elf_strptr(elf, names, shdr.sh_name)))
        continue;
      Elf_Data *data = elf_getdata(scn, NULL);
      sane = data == NULL || data->d_buf == NULL ||
             units_fit(data->d_buf, data->d_size);
    }
  }
  elf_end(elf);
  snare_os_file_close(fd);
  return sane;
}
