/*
 * usdt.c - the marks a shared object declares: SNARE_MARK records (the
 * `snare_marks` section, see snare_mark.h) and <sys/sdt.h> probes (the
 * `.note.stapsdt` notes), read from the ELF file with libelf when
 * snare_library_open loads it, and registered as marks of the library.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal/loader.h"
#include "marks/marks.h"

#define STAPSDT_NOTE_TYPE 3 /* <sys/sdt.h>'s _SDT_NOTE_TYPE */

typedef struct object {
  uint64_t bias;
  uint64_t sdt_base; /* link-time address of .stapsdt.base, 0 if none */
  int probes;        /* probes registered so far: the next one's data1 */
} object;

/* Registers one mark; a bad record spoils no other. */
static void add(const snare_mark_info *info) {
  int id;
  snare_marks_add_full(info, &id);
}

/* One record: address, then data1 and data2 operand texts. Returns the
   offset of the next one (8-aligned), or size when the data ends. */
static size_t snare_record(const object *obj, const char *bytes, size_t at,
                           size_t size) {
  uint64_t address;
  if (at + sizeof address > size)
    return size;
  memcpy(&address, bytes + at, sizeof address);
  const char *texts[2];
  size_t p = at + sizeof address;
  for (int i = 0; i < 2; i++) {
    const char *end = memchr(bytes + p, '\0', size - p);
    if (end == NULL)
      return size;
    texts[i] = bytes + p;
    p = (size_t)(end - bytes) + 1;
  }
  snare_mark_info info = {0};
  info.address = address + obj->bias;
  if (snare_mark_value_parse(texts[0], &info.data1) == SNARE_OK &&
      snare_mark_value_parse(texts[1], &info.data2) == SNARE_OK)
    add(&info);
  return (p + 7) & ~(size_t)7;
}

static void read_snare_marks(const object *obj, Elf_Data *data) {
  for (size_t at = 0; at < data->d_size;) {
    /* the linker pads between objects' pieces with zeros */
    uint64_t word = 0;
    if (at + sizeof word <= data->d_size)
      memcpy(&word, (const char *)data->d_buf + at, sizeof word);
    at = word == 0 ? at + sizeof word
                   : snare_record(obj, data->d_buf, at, data->d_size);
  }
}

/* Splits the probe's argument string and parses each operand, stopping
   at the first one snare cannot evaluate. */
static void parse_args(const char *text, snare_mark_info *info) {
  char operand[64];
  while (*text != '\0' && info->arg_count < SNARE_MARK_MAX_ARGS) {
    while (*text == ' ')
      text++;
    size_t n = strcspn(text, " ");
    if (n == 0)
      break;
    if (n >= sizeof operand)
      return;
    memcpy(operand, text, n);
    operand[n] = '\0';
    if (snare_mark_value_parse(operand, &info->args[info->arg_count]) !=
        SNARE_OK)
      return;
    info->arg_count++;
    text += n;
  }
}

static void read_probe(object *obj, const char *desc, size_t size) {
  uint64_t words[3]; /* pc, link-time .stapsdt.base, semaphore */
  if (size < sizeof words)
    return;
  memcpy(words, desc, sizeof words);
  const char *provider = desc + sizeof words;
  const char *end = desc + size;
  const char *name = memchr(provider, '\0', (size_t)(end - provider));
  const char *args = name ? memchr(name + 1, '\0', (size_t)(end - name - 1))
                          : NULL;
  if (args == NULL || memchr(args + 1, '\0', (size_t)(end - args - 1)) == NULL)
    return;
  if (name[1] == '\0')
    return; /* a probe nobody can name (a corrupted note) */
  /* A prelinked object moved .stapsdt.base; the notes still say where
     it was, so every address shifts by the same amount. */
  uint64_t shift = obj->sdt_base ? obj->sdt_base - words[1] : 0;
  snare_mark_info info = {0};
  info.address = words[0] + shift + obj->bias;
  info.semaphore = words[2] ? words[2] + shift + obj->bias : 0;
  info.provider = provider;
  info.name = name + 1;
  info.data1.constant = obj->probes++;
  parse_args(args + 1, &info);
  add(&info);
}

static void read_notes(object *obj, Elf_Data *data) {
  GElf_Nhdr note;
  size_t name_at, desc_at;
  for (size_t at = 0;
       (at = gelf_getnote(data, at, &note, &name_at, &desc_at)) != 0;) {
    const char *bytes = data->d_buf;
    if (note.n_type == STAPSDT_NOTE_TYPE && note.n_namesz == 8 &&
        memcmp(bytes + name_at, "stapsdt", 8) == 0)
      read_probe(obj, bytes + desc_at, note.n_descsz);
  }
}

/* The section named `name`, with its header in *shdr, or NULL. */
static Elf_Scn *section(Elf *elf, size_t names, const char *name,
                        GElf_Shdr *shdr) {
  for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL;
       scn = elf_nextscn(elf, scn)) {
    const char *found;
    if (gelf_getshdr(scn, shdr) != NULL &&
        (found = elf_strptr(elf, names, shdr->sh_name)) != NULL &&
        strcmp(found, name) == 0)
      return scn;
  }
  return NULL;
}

static void read_object(Elf *elf, object *obj) {
  size_t names;
  GElf_Shdr shdr;
  Elf_Scn *scn;
  Elf_Data *data;
  if (elf_getshdrstrndx(elf, &names) != 0)
    return;
  if (section(elf, names, ".stapsdt.base", &shdr) != NULL)
    obj->sdt_base = shdr.sh_addr;
  if ((scn = section(elf, names, "snare_marks", &shdr)) != NULL &&
      (data = elf_getdata(scn, NULL)) != NULL && data->d_buf != NULL)
    read_snare_marks(obj, data);
  if ((scn = section(elf, names, ".note.stapsdt", &shdr)) != NULL &&
      shdr.sh_type == SHT_NOTE && (data = elf_getdata(scn, NULL)) != NULL)
    read_notes(obj, data);
}

void snare_usdt_library_opened(const char *file, uint64_t bias) {
  if (file == NULL || elf_version(EV_CURRENT) == EV_NONE)
    return;
  int fd = snare_os_file_open(file);
  if (fd < 0)
    return;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  object obj = {bias, 0, 0};
  if (elf != NULL)
    read_object(elf, &obj);
  elf_end(elf);
  snare_os_file_close(fd);
}
