/*
 * debug_link.c - finding the separate debug file of an object that was
 * stripped of its DWARF, in gdb 13's order (gdb manual, "Separate Debug
 * Files"), so that snare reads the same file gdb does:
 *
 *   1. by build ID: DIR/.build-id/xx/yyyy.debug for each debug-file
 *      directory DIR, the candidate's own build ID equal to the object's;
 *   2. by .gnu_debuglink: the named file next to the object, in the
 *      object's .debug/ directory, then under each DIR followed by the
 *      object's directory; its CRC-32 equal to the one in the link.
 *
 * The debug-file directories are gdb's `set debug-file-directory`: a
 * colon-separated list, /usr/lib/debug by default.
 */
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/loader.h"
#include "private.h"

#define DEFAULT_DEBUG_DIRECTORIES "/usr/lib/debug"
#define NT_GNU_BUILD_ID_TYPE 3

static char *debug_directories; /* NULL: the default */

snare_status snare_debug_file_directory_set(const char *dirs)
{
  char *copy = NULL;
  if (dirs && !(copy = strdup(dirs)))
    return SNARE_NO_MEMORY;
  free(debug_directories);
  debug_directories = copy;
  return SNARE_OK;
}

const char *snare_debug_file_directory(void)
{
  return debug_directories ? debug_directories : DEFAULT_DEBUG_DIRECTORIES;
}

/* What an object says about its debug information. */
typedef struct object_links {
  bool has_dwarf; /* a .debug_info (or .zdebug_info) with contents */
  uint8_t build_id[64];
  size_t build_id_size;
  char debuglink[256]; /* "" when there is none */
  uint32_t crc;
} object_links;

static void read_build_id(Elf_Data *data, object_links *out)
{
  GElf_Nhdr note;
  size_t at = 0, name_at, desc_at;
  while ((at = gelf_getnote(data, at, &note, &name_at, &desc_at)) > 0) {
    if (note.n_type == NT_GNU_BUILD_ID_TYPE && note.n_namesz == 4 &&
        memcmp((const char *)data->d_buf + name_at, "GNU", 4) == 0 &&
        note.n_descsz <= sizeof out->build_id) {
      memcpy(out->build_id, (const char *)data->d_buf + desc_at,
             note.n_descsz);
      out->build_id_size = note.n_descsz;
      return;
    }
  }
}

/* .gnu_debuglink: a file name, NUL, padding to 4 bytes, then the CRC in
   the object's byte order. */
static void read_debuglink(Elf *elf, Elf_Data *data, object_links *out)
{
  const char *p = data->d_buf;
  size_t len = strnlen(p, data->d_size);
  size_t crc_at = (len + 4) & ~(size_t)3;
  if (len == 0 || len >= sizeof out->debuglink || crc_at + 4 > data->d_size ||
      strchr(p, '/'))
    return;
  Elf_Data src = {.d_buf = (char *)p + crc_at, .d_type = ELF_T_WORD,
                  .d_size = 4, .d_version = EV_CURRENT};
  Elf_Data dst = {.d_buf = &out->crc, .d_size = 4, .d_version = EV_CURRENT};
  if (!gelf_xlatetom(elf, &dst, &src, elf_getident(elf, NULL)[EI_DATA]))
    return;
  memcpy(out->debuglink, p, len + 1);
}

static bool read_links(const char *path, object_links *out)
{
  *out = (object_links){0};
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return false;
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  size_t names;
  bool ok = elf && elf_kind(elf) == ELF_K_ELF &&
            elf_getshdrstrndx(elf, &names) == 0;
  for (Elf_Scn *scn = NULL; ok && (scn = elf_nextscn(elf, scn)) != NULL;) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
      continue;
    const char *name = elf_strptr(elf, names, shdr.sh_name);
    if (!name)
      continue;
    if (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
      out->has_dwarf |= shdr.sh_size > 0;
    bool note = shdr.sh_type == SHT_NOTE && out->build_id_size == 0;
    bool link = strcmp(name, ".gnu_debuglink") == 0;
    if (!note && !link)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || !data->d_buf)
      continue;
    if (note)
      read_build_id(data, out);
    else
      read_debuglink(elf, data, out);
  }
  elf_end(elf);
  snare_os_file_close(fd);
  return ok;
}

/* The CRC-32 of a whole file (gdb's gnu_debuglink_crc32, zlib's crc32). */
static bool file_crc(const char *path, uint32_t *crc)
{
  int fd = snare_os_file_open(path);
  if (fd < 0)
    return false;
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  size_t size = 0;
  const char *bytes = elf ? elf_rawfile(elf, &size) : NULL;
  if (bytes)
    *crc = dwarf_basic_crc32((const unsigned char *)bytes, size, 0);
  elf_end(elf);
  snare_os_file_close(fd);
  return bytes != NULL;
}

static bool by_build_id(const object_links *links, const char *dir, char *out,
                        size_t cap)
{
  if (links->build_id_size < 2)
    return false;
  int n = snprintf(out, cap, "%s/.build-id/%02x/", dir, links->build_id[0]);
  for (size_t i = 1; n > 0 && (size_t)n < cap && i < links->build_id_size; i++)
    n += snprintf(out + n, cap - (size_t)n, "%02x", links->build_id[i]);
  if (n <= 0 || (size_t)n + sizeof ".debug" > cap)
    return false;
  strcat(out, ".debug");
  object_links found;
  return read_links(out, &found) &&
         found.build_id_size == links->build_id_size &&
         memcmp(found.build_id, links->build_id, links->build_id_size) == 0;
}

static bool linked_file_matches(const char *candidate, const char *object,
                                uint32_t crc)
{
  char real[4096];
  uint32_t actual = 0;
  return snare_os_file_real_path(candidate, real, sizeof real) &&
         strcmp(real, object) != 0 && file_crc(real, &actual) &&
         actual == crc;
}

static bool by_debuglink(const object_links *links, const char *object,
                         const char *dirs, char *out, size_t cap)
{
  if (!links->debuglink[0])
    return false;
  const char *slash = strrchr(object, '/');
  int objdir_len = slash ? (int)(slash - object) : 0;
  const char *formats[] = {"%.*s/%s", "%.*s/.debug/%s"};
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    int n = snprintf(out, cap, formats[i], objdir_len, object,
                     links->debuglink);
    if (n > 0 && (size_t)n < cap &&
        linked_file_matches(out, object, links->crc))
      return true;
  }
  for (const char *d = dirs; *d;) {
    size_t len = strcspn(d, ":");
    int n = snprintf(out, cap, "%.*s%.*s/%s", (int)len, d, objdir_len, object,
                     links->debuglink);
    if (len > 0 && n > 0 && (size_t)n < cap &&
        linked_file_matches(out, object, links->crc))
      return true;
    d += len + (d[len] == ':');
  }
  return false;
}

bool di_separate_debug_file(const char *path, char *out, size_t cap)
{
  char object[4096];
  object_links links;
  if (!snare_os_file_real_path(path, object, sizeof object) ||
      !read_links(object, &links) || links.has_dwarf)
    return false;
  const char *dirs = snare_debug_file_directory();
  for (const char *d = dirs; *d;) {
    size_t len = strcspn(d, ":");
    char dir[4096];
    if (len > 0 && len < sizeof dir) {
      memcpy(dir, d, len);
      dir[len] = '\0';
      if (by_build_id(&links, dir, out, cap))
        return true;
    }
    d += len + (d[len] == ':');
  }
  return by_debuglink(&links, object, dirs, out, cap);
}
