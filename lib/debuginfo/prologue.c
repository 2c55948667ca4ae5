/*
 * prologue.c - where gdb 13 on x86-64 puts `break FUNCTION` and where its
 * `step` into a function stops, learnt from its behaviour and described
 * here in our own terms:
 *
 * - A unit from gcc (4.5 or later) in which some variable or parameter
 *   has a location list is trusted to describe every variable from the
 *   function's first instruction on ("locations valid"): `break NAME`
 *   goes to the entry itself. So does a unit in assembler (gas -g's),
 *   whatever frame setup its functions open with.
 * - Otherwise a row flagged prologue_end in the entry's file (clang
 *   writes them) from the entry up to the end of its range, that end
 *   included (gdb 13.1 looks one address too far), is the place.
 * - Otherwise the architecture's prologue skip: for units whose producer
 *   starts with "clang " (LLVM's own builds; Debian's says "Debian clang
 *   version", which gdb does not take for LLVM), the end of the first
 *   line (unless two rows share the entry, or the following lines number
 *   below the first, as scheduled code does); for the others,
 *   `push %rbp; mov %rsp,%rbp` (after an optional endbr64) is skipped,
 *   and a function that sets up no frame pointer is not skipped at all.
 *   A skip that lands inside a line goes on to the next line.
 * - `step` into a function uses only the architecture's skip.
 */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "internal/loader.h"
#include "private.h"

typedef struct di_unit_facts {
  Dwarf_Off unit;
  bool llvm;
  bool locations_valid;
  bool assembler; /* DW_LANG_Mips_Assembler: gas -g's units */
} di_unit_facts;

/* Whether a location attribute is a location list (by its form, as gdb
   tells them apart). */
static bool is_location_list(Dwarf_Die die)
{
  Dwarf_Attribute attr = NULL;
  if (dwarf_attr(die, DW_AT_location, &attr, NULL) != DW_DLV_OK)
    return false;
  Dwarf_Half form = 0;
  bool list = dwarf_whatform(attr, &form, NULL) == DW_DLV_OK &&
              (form == DW_FORM_sec_offset || form == DW_FORM_loclistx ||
               form == DW_FORM_data4 || form == DW_FORM_data8);
  dwarf_dealloc_attribute(attr);
  return list;
}

/* Whether die or a DIE below it is a variable or parameter with a
   location list. */
static bool has_location_list(Dwarf_Debug dbg, Dwarf_Die die)
{
  Dwarf_Half tag = 0;
  if (dwarf_tag(die, &tag, NULL) == DW_DLV_OK &&
      (tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) &&
      is_location_list(die))
    return true;
  Dwarf_Die child = NULL;
  if (dwarf_child(die, &child, NULL) != DW_DLV_OK)
    return false;
  bool found = false;
  while (child && !found) {
    found = has_location_list(dbg, child);
    child = di_next_sibling(dbg, child);
  }
  if (child)
    dwarf_dealloc_die(child);
  return found;
}

static bool producer_starts(Dwarf_Die cu, const char *prefix)
{
  Dwarf_Attribute attr = NULL;
  char *producer = NULL;
  bool yes = false;
  if (dwarf_attr(cu, DW_AT_producer, &attr, NULL) != DW_DLV_OK)
    return false;
  if (dwarf_formstring(attr, &producer, NULL) == DW_DLV_OK)
    yes = strncmp(producer, prefix, strlen(prefix)) == 0;
  dwarf_dealloc_attribute(attr);
  return yes;
}

/* The facts of the unit holding the DIE at offset die, read once. */
static di_unit_facts unit_facts(snare_debuginfo *di, Dwarf_Off die)
{
  di_unit_facts none = {0};
  Dwarf_Die d = NULL, cu = NULL;
  Dwarf_Off unit = 0;
  if (dwarf_offdie_b(di->dbg, die, true, &d, NULL) != DW_DLV_OK)
    return none;
  int rc = dwarf_CU_dieoffset_given_die(d, &unit, NULL);
  dwarf_dealloc_die(d);
  if (rc != DW_DLV_OK)
    return none;
  for (size_t i = 0; i < di->unit_fact_count; i++)
    if (di->unit_facts[i].unit == unit)
      return di->unit_facts[i];
  if (dwarf_offdie_b(di->dbg, unit, true, &cu, NULL) != DW_DLV_OK)
    return none;
  di_unit_facts facts = {.unit = unit};
  facts.llvm = producer_starts(cu, "clang ") ||
               producer_starts(cu, " F90 Flang ");
  facts.locations_valid = producer_starts(cu, "GNU ") &&
                          has_location_list(di->dbg, cu);
  Dwarf_Unsigned language = 0;
  facts.assembler = di_udata(cu, DW_AT_language, &language) &&
                    language == DW_LANG_Mips_Assembler;
  dwarf_dealloc_die(cu);
  if (di_reserve((void **)&di->unit_facts, &di->unit_fact_cap,
                 di->unit_fact_count, sizeof *di->unit_facts))
    di->unit_facts[di->unit_fact_count++] = facts;
  return facts;
}

/* The object's own file (its code and symbols), opened when first
   needed: placing its functions at load does. The handle is a cache,
   filled through a const handle too. */
static Elf *object_elf(const snare_debuginfo *cdi)
{
  snare_debuginfo *di = (snare_debuginfo *)cdi;
  if (di->code_elf || !di->path || di->code_tried)
    return di->code_elf;
  di->code_tried = true;
  int fd = snare_os_file_open(di->path);
  if (fd < 0)
    return NULL;
  elf_version(EV_CURRENT);
  di->code_elf = elf_begin(fd, ELF_C_READ, NULL);
  if (!di->code_elf)
    snare_os_file_close(fd);
  else
    di->code_fd = fd;
  return di->code_elf;
}

/* Copies n bytes of code at link-time address addr from the object's
   file; false when they are not there. */
static bool read_code(snare_debuginfo *di, uint64_t addr, uint8_t *out,
                      size_t n)
{
  if (!object_elf(di))
    return false;
  for (Elf_Scn *scn = NULL; (scn = elf_nextscn(di->code_elf, scn));) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS ||
        !(shdr.sh_flags & SHF_EXECINSTR) || addr < shdr.sh_addr ||
        addr - shdr.sh_addr + n > shdr.sh_size)
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || !data->d_buf || addr - shdr.sh_addr + n > data->d_size)
      return false;
    memcpy(out, (const uint8_t *)data->d_buf + (addr - shdr.sh_addr), n);
    return true;
  }
  return false;
}

bool di_symbol_address(const snare_debuginfo *di, const char *name,
                       uint64_t *out)
{
  Elf *elf = object_elf(di);
  for (Elf_Scn *scn = NULL; elf && (scn = elf_nextscn(elf, scn));) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) ||
        (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM))
      continue;
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t n = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
    for (size_t i = 0; data && i < n; i++) {
      GElf_Sym sym;
      const char *s;
      if (gelf_getsym(data, (int)i, &sym) && sym.st_shndx != SHN_UNDEF &&
          GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
          (s = elf_strptr(elf, shdr.sh_link, sym.st_name)) &&
          strcmp(s, name) == 0) {
        *out = sym.st_value;
        return true;
      }
    }
  }
  return false;
}

/* gdb's amd64 prologue analysis: the address after `[endbr64] push %rbp;
   mov %rsp,%rbp`, or entry when the function sets up no frame pointer. */
static uint64_t skip_frame_setup(snare_debuginfo *di, uint64_t entry)
{
  static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  uint8_t code[12];
  if (!read_code(di, entry, code, sizeof code))
    return entry;
  size_t at = memcmp(code, endbr64, 4) == 0 ? 4 : 0;
  if (code[at] != 0x55) /* push %rbp */
    return entry;
  const uint8_t *mov = code + at + 1;
  if (mov[0] == 0x48 && ((mov[1] == 0x89 && mov[2] == 0xe5) ||
                         (mov[1] == 0x8b && mov[2] == 0xec)))
    return entry + at + 4; /* mov %rsp,%rbp */
  if ((mov[0] == 0x89 && mov[1] == 0xe5) || (mov[0] == 0x8b && mov[1] == 0xec))
    return entry + at + 3; /* mov %esp,%ebp */
  return entry;
}

/* Whether addr lies in an inlined instance before any function, walking
   out from the innermost block. */
static bool in_inlined(const snare_debuginfo *di, uint64_t addr)
{
  for (long b = di_block_at(di, addr); b >= 0; b = di->blocks[b].parent) {
    if (di->blocks[b].kind == DI_BLOCK_INLINED)
      return true;
    if (di->blocks[b].kind == DI_BLOCK_FUNCTION)
      return false;
  }
  return false;
}

/* gdb's line-table prologue skip (what it uses for LLVM's code): 0 when
   the line table gives no answer. */
static uint64_t skip_first_line(const snare_debuginfo *di, uint64_t entry,
                                uint64_t high)
{
  di_pc_line pl = di_pc_line_find(di, entry);
  if (!pl.subfile)
    return 0;
  const di_row *first = pl.subfile->rows, *last = first + pl.subfile->count;
  const di_row *row = pl.row;
  while (row > first && row[-1].addr == row->addr && row[-1].line != 0)
    row--;
  if (row + 1 < last && row[1].line != 0 && row[1].addr == entry)
    return entry; /* two rows at the entry: no prologue */
  if (pl.end >= high)
    return 0; /* one line covers it all */
  uint64_t start = pl.row->addr;
  unsigned line = pl.row->line;
  uint64_t end = pl.end;
  while (end < high) {
    di_pc_line next = di_pc_line_find(di, end);
    if (!next.subfile || next.row->line == 0)
      break;
    if (next.row->line >= line && next.end <= high)
      break;
    if (in_inlined(di, end))
      break;
    start = next.row->addr;
    line = next.row->line;
    end = next.end;
  }
  return end < high ? end : start;
}

/* A skip that stopped inside a line goes on to the next one, if that is
   still in the function. */
static uint64_t to_line_start(const snare_debuginfo *di, uint64_t pc,
                              uint64_t entry, uint64_t high)
{
  di_pc_line pl = di_pc_line_find(di, pc);
  if (pl.subfile && pl.row->addr != pc && entry <= pl.end && pl.end < high)
    return pl.end;
  return pc;
}

static uint64_t arch_skip(snare_debuginfo *di, di_unit_facts facts,
                          uint64_t entry, uint64_t high)
{
  uint64_t pc = entry;
  if (facts.llvm) {
    uint64_t post = skip_first_line(di, entry, high);
    pc = post > entry ? post : post ? entry : skip_frame_setup(di, entry);
  } else {
    pc = skip_frame_setup(di, entry);
  }
  return to_line_start(di, pc, entry, high);
}

/* The first prologue_end row of the entry's file in [entry, end]. */
static uint64_t marked_prologue_end(const snare_debuginfo *di, uint64_t entry,
                                    uint64_t end)
{
  di_pc_line pl = di_pc_line_find(di, entry);
  if (!pl.subfile)
    return 0;
  const di_row *first = pl.subfile->rows, *last = first + pl.subfile->count;
  const di_row *r = pl.row;
  while (r > first && r[-1].addr >= entry)
    r--;
  for (; r < last && r->addr <= end; r++)
    if (r->addr >= entry && r->prologue_end && r->line != 0)
      return r->addr;
  return 0;
}

/* The end of fn's range holding addr (high if none does). */
static uint64_t range_end(const di_function *fn, uint64_t addr, uint64_t high)
{
  for (size_t i = 0; i < fn->info.range_count; i++)
    if (addr >= fn->ranges[i].low && addr < fn->ranges[i].high)
      return fn->ranges[i].high;
  return high;
}

void di_place_function(snare_debuginfo *di, di_function *fn, uint64_t high)
{
  snare_function_info *info = &fn->info;
  uint64_t entry = info->entry;
  if (info->inlined) {
    /* gdb 13 breaks an inlined instance where its first range (in
       DWARF's order) starts, not at DW_AT_entry_pc, and steps into it
       without a prologue */
    info->after_prologue = info->step_start = fn->first_low;
    return;
  }
  di_unit_facts facts = unit_facts(di, fn->die);
  info->step_start = arch_skip(di, facts, entry, high);
  uint64_t marked = 0;
  if (facts.locations_valid || facts.assembler)
    info->after_prologue = entry;
  else if ((marked = marked_prologue_end(di, entry,
                                         range_end(fn, entry, high))) != 0)
    info->after_prologue = marked;
  else
    info->after_prologue = info->step_start;
}

/* gdb's find_function_start_sal: the row covering the start names it
 * where the row starts there, or wherever the unit's locations are valid
 * (gcc's and assembler units, whose starts gdb takes as they are);
 * elsewhere (clang's units) a start inside a row, as inlined copies
 * often are, gets no line at all. */
snare_status snare_debuginfo_function_start_line(const snare_debuginfo *di,
                                                 uint64_t addr,
                                                 snare_line_info *out)
{
  snare_status status = snare_debuginfo_line_at(di, addr, out);
  if (status != SNARE_OK || out->start == addr)
    return status;
  const di_function *fn = di_function_at(di, addr - di->bias);
  if (fn == NULL)
    return SNARE_NOT_FOUND;
  di_unit_facts facts = unit_facts((snare_debuginfo *)di, fn->die);
  return facts.locations_valid || facts.assembler ? SNARE_OK
                                                  : SNARE_NOT_FOUND;
}

void di_free_prologue(snare_debuginfo *di)
{
  free(di->unit_facts);
  if (di->code_elf) {
    elf_end(di->code_elf);
    snare_os_file_close(di->code_fd);
  }
}
