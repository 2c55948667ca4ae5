/*
 * lists_check.c - a look at .debug_rnglists and .debug_loclists before
 * libdwarf reads them. The libdwarf in Debian 12 (20210528) frees twice
 * when any .debug_rnglists unit header is refused (its loader frees the
 * chain and goes on instead of returning: a length past the section's
 * end, a version other than 5, an address size other than 2, 4 or 8),
 * and dereferences NULL decoding a list at an offset that is not a
 * list's start (all found by fuzz/debuginfo_fuzz.c), which kills the
 * process: such a file is refused at open, such a list read as absent.
 * Sections are found by name as libdwarf finds them, also where the name
 * table's type is corrupted.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Whether every unit header of a DWARF 5 list section is one libdwarf
   accepts: length (4 bytes, or 0xffffffff and 8 bytes) inside the
   section, then at least version 5 (2 bytes), an address size of 2, 4 or
   8, selector size and offset count (8 bytes in all). */
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
    uint16_t version = 0;
    memcpy(&version, p + at, 2);
    uint8_t address_size = p[at + 2];
    if (version != 5 ||
        (address_size != 2 && address_size != 4 && address_size != 8))
      return false;
    at += (size_t)length;
  }
  return true;
}

/* The list sections of one object, kept for di_list_attr_safe. */
struct di_lists {
  Elf *elf;
  const uint8_t *data[2]; /* .debug_rnglists, .debug_loclists */
  size_t size[2];
  bool has_addr; /* a .debug_addr for the *x entry kinds */
};

/* 0 for .debug_rnglists, 1 for .debug_loclists, -1 for others; *gnu
   set for their zlib-gnu names (.zdebug_*, which libdwarf reads too). */
static int list_section(const char *name, bool *gnu)
{
  *gnu = name != NULL && strncmp(name, ".z", 2) == 0;
  if (*gnu)
    name += 2;
  else if (name == NULL || *name++ != '.')
    return -1;
  if (strcmp(name, "debug_rnglists") == 0)
    return 0;
  return strcmp(name, "debug_loclists") == 0 ? 1 : -1;
}

/* A section's name as libdwarf reads it: from the section name table's
   bytes whatever that section's type says (libelf's elf_strptr gives
   none when the table is not marked SHT_STRTAB, a corrupted file libdwarf
   reads all the same); NULL past its end or unterminated. */
static const char *section_name(Elf *elf, size_t names, size_t offset)
{
  const char *name = elf_strptr(elf, names, offset);
  if (name != NULL)
    return name;
  Elf_Data *table = elf_rawdata(elf_getscn(elf, names), NULL);
  if (table == NULL || table->d_buf == NULL || offset >= table->d_size)
    return NULL;
  const char *start = (const char *)table->d_buf + offset;
  return memchr(start, '\0', table->d_size - offset) ? start : NULL;
}

bool di_lists_open(int fd, di_lists **out)
{
  *out = NULL;
  di_lists *l = calloc(1, sizeof *l);
  if (!l)
    return true;
  bool sane = true;
  elf_version(EV_CURRENT);
  /* mapped: only the pages of lists actually checked become resident */
  l->elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  size_t names;
  if (l->elf != NULL && elf_getshdrstrndx(l->elf, &names) == 0) {
    for (Elf_Scn *scn = NULL;
         sane && (scn = elf_nextscn(l->elf, scn)) != NULL;) {
      GElf_Shdr shdr;
      if (gelf_getshdr(scn, &shdr) == NULL || shdr.sh_type == SHT_NOBITS)
        continue;
      const char *name = section_name(l->elf, names, shdr.sh_name);
      if (name && strcmp(name, ".debug_addr") == 0)
        l->has_addr = true;
      bool gnu;
      int which = list_section(name, &gnu);
      if (which < 0 ||
          ((shdr.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0) ||
          (gnu && elf_compress_gnu(scn, 0, 0) < 0))
        continue;
      Elf_Data *data = elf_getdata(scn, NULL);
      if (data == NULL || data->d_buf == NULL)
        continue;
      sane = units_fit(data->d_buf, data->d_size);
      l->data[which] = data->d_buf;
      l->size[which] = data->d_size;
    }
  }
  if (!sane) {
    di_lists_close(l);
    return false;
  }
  *out = l;
  return true;
}

void di_lists_close(di_lists *l)
{
  if (!l)
    return;
  elf_end(l->elf);
  free(l);
}

/* A bounded reader over one section. */
typedef struct cursor {
  const uint8_t *p, *end;
  bool ok;
} cursor;

static uint64_t uleb(cursor *c)
{
  uint64_t v = 0;
  for (unsigned shift = 0; c->ok; shift += 7) {
    if (c->p >= c->end || shift > 63) {
      c->ok = false;
      break;
    }
    uint8_t b = *c->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
  }
  return v;
}

static void skip(cursor *c, uint64_t n)
{
  if (!c->ok || n > (uint64_t)(c->end - c->p))
    c->ok = false;
  else
    c->p += n;
}

/*
 * Whether the DWARF 5 list at offset decodes: known entry kinds, every
 * operand inside the section, and the *x kinds only with a .debug_addr.
 * libdwarf 20210528 dereferences NULL on some lists that do not (an
 * offset moved into the middle of an entry, in a corrupted unit).
 */
static bool list_decodes(const di_lists *l, bool loclist, uint64_t offset,
                         unsigned address_size)
{
  int which = loclist ? 1 : 0;
  if (!l->data[which] || offset >= l->size[which])
    return false;
  cursor c = {l->data[which] + offset, l->data[which] + l->size[which], true};
  /* Kinds 1..3 (DW_LLE/DW_RLE_*x) read .debug_addr; then the operands
     of each kind: u = ULEB, a = address, e = counted expression. */
  static const char *const lle[] = {"", "u", "uue", "uue", "uue", "e",
                                    "a", "aae", "aue", "uu"};
  static const char *const rle[] = {"", "u", "uu", "uu", "uu", "a", "aa",
                                    "au"};
  size_t kinds = loclist ? sizeof lle / sizeof *lle : sizeof rle / sizeof *rle;
  for (;;) {
    if (c.p >= c.end)
      return false;
    uint8_t kind = *c.p++;
    if (kind == 0)
      return true;
    if (kind >= kinds || (kind <= 3 && !l->has_addr))
      return false;
    for (const char *op = loclist ? lle[kind] : rle[kind]; *op; op++) {
      if (*op == 'u')
        uleb(&c);
      else if (*op == 'a')
        skip(&c, address_size);
      else
        skip(&c, uleb(&c));
    }
    if (!c.ok)
      return false;
  }
}

bool di_list_attr_safe(const di_lists *l, Dwarf_Die die, Dwarf_Attribute attr,
                       bool loclist)
{
  Dwarf_Half version = 0, offset_size = 0, form = 0, address_size = 0;
  Dwarf_Off offset = 0;
  if (!die || dwarf_get_version_of_die(die, &version, &offset_size) !=
                  DW_DLV_OK ||
      dwarf_whatform(attr, &form, NULL) != DW_DLV_OK)
    return false;
  if (version < 5 || form != DW_FORM_sec_offset)
    return true; /* DWARF 4 lists, expressions, indexed lists */
  if (!l || dwarf_global_formref(attr, &offset, NULL) != DW_DLV_OK ||
      dwarf_get_die_address_size(die, &address_size, NULL) != DW_DLV_OK)
    return false;
  return list_decodes(l, loclist, offset, address_size);
}
