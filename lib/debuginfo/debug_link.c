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
 *
 * A debug file that dwz compressed names, in .gnu_debugaltlink, the
 * alternate file holding the DIEs and strings it shares with other
 * objects, and that file's build ID. gdb 13 (dwarf2_get_dwz_file) opens
 * the named path, relative to the debug file's directory when it is
 * relative, then looks the build ID up as above; either must carry that
 * build ID.
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
  char altlink[4096]; /* .gnu_debugaltlink's file, "" when there is none */
  uint8_t alt_id[64]; /* and the alternate file's build ID */
  size_t alt_id_size;
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

/* .gnu_debugaltlink: a file name, NUL, the alternate file's build ID. */
static void read_altlink(Elf_Data *data, object_links *out)
{
  const char *p = data->d_buf;
  size_t len = strnlen(p, data->d_size);
  size_t id_size = len < data->d_size ? data->d_size - len - 1 : 0;
  if (len == 0 || len >= sizeof out->altlink || id_size == 0 ||
      id_size > sizeof out->alt_id)
    return;
  memcpy(out->altlink, p, len + 1);
  memcpy(out->alt_id, p + len + 1, id_size);
  out->alt_id_size = id_size;
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
    bool altlink = strcmp(name, ".gnu_debugaltlink") == 0;
    if (!note && !link && !altlink)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || !data->d_buf)
      continue;
    if (note)
      read_build_id(data, out);
    else if (link)
      read_debuglink(elf, data, out);
    else
      read_altlink(data, out);
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

static bool has_build_id(const char *path, const uint8_t *id, size_t size)
{
  object_links found;
  return read_links(path, &found) && found.build_id_size == size &&
         memcmp(found.build_id, id, size) == 0;
}

static bool by_build_id(const uint8_t *id, size_t size, const char *dir,
                        char *out, size_t cap)
{
  if (size < 2)
    return false;
  int n = snprintf(out, cap, "%s/.build-id/%02x/", dir, id[0]);
  for (size_t i = 1; n > 0 && (size_t)n < cap && i < size; i++)
    n += snprintf(out + n, cap - (size_t)n, "%02x", id[i]);
  if (n <= 0 || (size_t)n + sizeof ".debug" > cap)
    return false;
  strcat(out, ".debug");
  return has_build_id(out, id, size);
}

/* The file with build ID id under one of the debug-file directories. */
static bool by_build_id_anywhere(const uint8_t *id, size_t size, char *out,
                                 size_t cap)
{
  for (const char *d = snare_debug_file_directory(); *d;) {
    size_t len = strcspn(d, ":");
    char dir[4096];
    if (len > 0 && len < sizeof dir) {
      memcpy(dir, d, len);
      dir[len] = '\0';
      if (by_build_id(id, size, dir, out, cap))
        return true;
    }
    d += len + (d[len] == ':');
  }
  return false;
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

bool snare_debuginfo_separate_file(const char *path, char *out, size_t cap)
{
  char object[4096];
  object_links links;
  if (!snare_os_file_real_path(path, object, sizeof object) ||
      !read_links(object, &links) || links.has_dwarf)
    return false;
  return by_build_id_anywhere(links.build_id, links.build_id_size, out,
                              cap) ||
         by_debuglink(&links, object, snare_debug_file_directory(), out, cap);
}

bool di_alt_debug_file(const char *debug_file, char *out, size_t cap,
                       bool *named)
{
  char file[4096];
  object_links links;
  *named = false;
  if (!snare_os_file_real_path(debug_file, file, sizeof file) ||
      !read_links(file, &links) || !links.altlink[0])
    return false;
  *named = true;
  const char *slash = strrchr(file, '/');
  int dir_len = links.altlink[0] == '/' || !slash ? 0 : (int)(slash - file);
  int n = dir_len ? snprintf(out, cap, "%.*s/%s", dir_len, file,
                             links.altlink)
                  : snprintf(out, cap, "%s", links.altlink);
  if (n > 0 && (size_t)n < cap &&
      has_build_id(out, links.alt_id, links.alt_id_size))
    return true;
  return by_build_id_anywhere(links.alt_id, links.alt_id_size, out, cap);
}
