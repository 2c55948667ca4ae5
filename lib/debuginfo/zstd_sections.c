/*
 * zstd_sections.c - the file libdwarf reads when debug sections are
 * compressed with zstd (SHF_COMPRESSED, ELFCOMPRESS_ZSTD: binutils 2.40's
 * `objcopy --compress-debug-sections=zstd`, gcc 13's -gz=zstd, lld's).
 * libdwarf 20210528 inflates zlib's itself (ELFCOMPRESS_ZLIB and the
 * older .zdebug_* of -gz=zlib-gnu) but reads no DWARF at all from a file
 * with one zstd section, and libelf 0.188's elf_compress knows zlib
 * only; gdb 13 reads both. Such a file is handed to libdwarf as a copy in
 * an anonymous file whose zstd sections hold their bytes inflated by
 * libzstd, placed after everything else so that no other byte moves.
 * libdwarf cannot be given the sections through an object interface of
 * our own (dwarf_object_init_b): once its own ELF reader has run, it asks
 * every object for section flags through a global hook that takes the
 * object for its reader's.
 */
#include <gelf.h>
#include <stdlib.h>
#include <zstd.h>

#include "debuginfo/debuginfo.h"
#include "internal/loader.h"

/* glibc 2.36's elf.h predates it (gABI 2022) */
#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2
#endif

/* Whether scn holds a zstd-compressed section. */
static bool zstd_section(Elf_Scn *scn)
{
  GElf_Shdr shdr;
  GElf_Chdr chdr;
  return gelf_getshdr(scn, &shdr) != NULL && shdr.sh_type != SHT_NOBITS &&
         (shdr.sh_flags & SHF_COMPRESSED) &&
         gelf_getchdr(scn, &chdr) != NULL && chdr.ch_type == ELFCOMPRESS_ZSTD;
}

static bool has_zstd_section(Elf *elf)
{
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;)
    if (zstd_section(scn))
      return true;
  return false;
}

/*
 * The inflated bytes of the zstd section scn (malloc'd, *size of them),
 * or NULL when its frame does not inflate to the size its header gives.
 */
static void *inflate_section(Elf *elf, Elf_Scn *scn, size_t *size)
{
  GElf_Chdr chdr;
  Elf_Data *raw = elf_rawdata(scn, NULL);
  if (gelf_getchdr(scn, &chdr) == NULL || raw == NULL || raw->d_buf == NULL)
    return NULL;
  size_t header = gelf_getclass(elf) == ELFCLASS32 ? sizeof(Elf32_Chdr)
                                                   : sizeof(Elf64_Chdr);
  void *bytes = chdr.ch_size > 0 && chdr.ch_size <= SIZE_MAX
                    ? malloc(chdr.ch_size)
                    : NULL;
  if (bytes == NULL || raw->d_size < header ||
      ZSTD_decompress(bytes, chdr.ch_size, (char *)raw->d_buf + header,
                      raw->d_size - header) != chdr.ch_size) {
    free(bytes);
    return NULL;
  }
  *size = chdr.ch_size;
  return bytes;
}

/* Where the file's last byte ends: its sections, section and program
   headers. */
static uint64_t file_end(Elf *elf, const GElf_Ehdr *ehdr)
{
  size_t sections = 0;
  elf_getshdrnum(elf, &sections);
  uint64_t end = ehdr->e_shoff + (uint64_t)sections * ehdr->e_shentsize;
  uint64_t headers = ehdr->e_phoff + (uint64_t)ehdr->e_phnum * ehdr->e_phentsize;
  end = headers > end ? headers : end;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) != NULL && shdr.sh_type != SHT_NOBITS &&
        shdr.sh_offset + shdr.sh_size > end)
      end = shdr.sh_offset + shdr.sh_size;
  }
  return end;
}

/*
 * Rewrites the ELF file open read-write in fd with each zstd section's
 * bytes inflated, appended at the end, then the section headers after
 * them (libelf's ELF_F_LAYOUT: every other offset stays). False on
 * failure.
 */
static bool inflate_file(int fd)
{
  Elf *elf = elf_begin(fd, ELF_C_RDWR, NULL);
  GElf_Ehdr ehdr;
  if (elf == NULL || gelf_getehdr(elf, &ehdr) == NULL) {
    elf_end(elf);
    return false;
  }
  elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
  uint64_t end = file_end(elf, &ehdr);
  size_t inflated = 0, count = 0;
  elf_getshdrnum(elf, &count);
  void **kept = calloc(count > 0 ? count : 1, sizeof *kept);
  bool ok = kept != NULL;
  for (Elf_Scn *scn = NULL; ok && (scn = elf_nextscn(elf, scn)) != NULL;) {
    if (!zstd_section(scn))
      continue;
    size_t size = 0;
    GElf_Shdr shdr;
    Elf_Data *data;
    void *bytes = inflate_section(elf, scn, &size);
    ok = bytes != NULL && (data = elf_getdata(scn, NULL)) != NULL &&
         gelf_getshdr(scn, &shdr) != NULL;
    if (!ok) {
      free(bytes);
      break;
    }
    kept[inflated++] = bytes;
    data->d_buf = bytes;
    data->d_size = size;
    data->d_type = ELF_T_BYTE;
    data->d_off = 0;
    data->d_align = 1;
    elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
    end = (end + 15) & ~(uint64_t)15;
    shdr.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
    shdr.sh_offset = end;
    shdr.sh_size = size;
    shdr.sh_addralign = 1;
    ok = gelf_update_shdr(scn, &shdr) != 0;
    end += size;
  }
  if (ok) {
    ehdr.e_shoff = (end + 7) & ~(uint64_t)7;
    ok = gelf_update_ehdr(elf, &ehdr) != 0 && elf_update(elf, ELF_C_WRITE) >= 0;
  }
  elf_end(elf);
  for (size_t i = 0; i < inflated; i++)
    free(kept[i]);
  free(kept);
  return ok;
}

int snare_debuginfo_dwarf_file_open(const char *path)
{
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return -1;
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  bool zstd = elf != NULL && has_zstd_section(elf);
  elf_end(elf);
  if (!zstd)
    return fd;
  int copy = snare_os_file_scratch_copy(fd);
  snare_os_file_close(fd);
  if (copy >= 0 && !inflate_file(copy)) {
    snare_os_file_close(copy);
    copy = -1;
  }
  return copy;
}
