/*
 * lines_load.c - folding DWARF line programs into per-file tables the way
 * gdb does, so that snare picks the same addresses for a line as gdb.
 *
 * gdb's rules (dwarf2/read.c lnp_state_machine, buildsym.c record_line):
 * rows are split by source file; switching file ends the previous file's
 * run with an end marker (line 0) at the switch address, and an end
 * marker deletes the rows of its file already at that address; a
 * non-statement row that switches file at an address that already had a
 * statement row is dropped; a repeated line in the same file is dropped
 * when it carries a discriminator. Each table is then sorted by address,
 * end markers first among equals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Per-unit state while reading its line program. */
typedef struct unit_reader {
  snare_debuginfo *di;
  Dwarf_Debug dbg;
  size_t unit;
  size_t first_subfile;          /* subfiles of this unit start here */
  Dwarf_Unsigned version;        /* of the line table */
  char **files;                  /* dwarf_srcfiles of the unit */
  Dwarf_Signed file_count;
  const char *comp_dir;          /* the unit's DW_AT_comp_dir, or NULL */
  Dwarf_Line_Context ctx;        /* its line table, for the raw names */
  long *by_fileno;               /* index in files -> subfile, or -1 */
  size_t fileno_cap;
  bool clang; /* the unit's producer: see subfile_for */
} unit_reader;

char *di_line_file_name(Dwarf_Line_Context ctx, Dwarf_Unsigned version,
                        Dwarf_Unsigned fileno)
{
  const char *name = NULL, *dir = NULL;
  Dwarf_Unsigned dir_index = 0, when = 0, length = 0;
  Dwarf_Form_Data16 *md5 = NULL;
  if (!ctx ||
      dwarf_srclines_files_data_b(ctx, (Dwarf_Signed)fileno, &name,
                                  &dir_index, &when, &length, &md5, NULL) !=
          DW_DLV_OK ||
      !name)
    return NULL;
  if (name[0] != '/' && (version >= 5 || dir_index > 0) &&
      dwarf_srclines_include_dir_data(ctx, (Dwarf_Signed)dir_index, &dir,
                                      NULL) != DW_DLV_OK)
    dir = NULL;
  if (name[0] == '/' || !dir || !*dir)
    return strdup(name);
  size_t n = strlen(dir) + strlen(name) + 2;
  char *joined = malloc(n);
  if (joined)
    snprintf(joined, n, "%s/%s", dir, name);
  return joined;
}

/* State of gdb's line state machine that outlives one row. */
typedef struct sequence_state {
  long last_subfile;
  uint32_t last_line;
  uint64_t last_addr;
  bool have_last_addr;
  bool stmt_at_addr;
  uint32_t prev_line;
  bool line_has_discriminator;
  uint64_t low;
  bool started;
} sequence_state;

static snare_status add_row(di_subfile *sf, uint64_t addr, uint32_t line,
                            uint32_t column, bool is_stmt, bool prologue_end)
{
  if (line == 0) {
    /* An end marker swallows the rows its file already has at addr. */
    bool seen = false;
    uint32_t last_line = 0;
    while (sf->count > 0) {
      di_row *last = &sf->rows[sf->count - 1];
      seen = true;
      last_line = last->line;
      if (last->addr != addr)
        break;
      sf->count--;
    }
    if (!seen || last_line == 0)
      return SNARE_OK;
  }
  if (!di_reserve((void **)&sf->rows, &sf->cap, sf->count, sizeof *sf->rows))
    return SNARE_NO_MEMORY;
  sf->rows[sf->count++] =
      (di_row){.addr = addr, .line = line, .column = column,
               .is_stmt = is_stmt, .prologue_end = prologue_end};
  return SNARE_OK;
}

/*
 * The subfile of a row, named from the unit's file list. libdwarf
 * 20210528 starts a DWARF 5 sequence with file register 0 where the
 * standard says 1 (gcc relies on 1 and never selects 0 itself), and
 * dwarf_linesrc follows it; so for gcc's tables file 0 is read as 1.
 * clang selects file 0, its primary file, for the unit's own rows (its
 * entry 1 is a header): its tables are read as written.
 */
static long subfile_for(unit_reader *r, Dwarf_Line line)
{
  Dwarf_Unsigned fileno = 0;
  if (dwarf_line_srcfileno(line, &fileno, NULL) != DW_DLV_OK)
    return -1;
  if (r->version >= 5 && fileno == 0 && !r->clang)
    fileno = 1;
  Dwarf_Signed index = (Dwarf_Signed)fileno - (r->version >= 5 ? 0 : 1);
  if (index < 0 || index >= r->file_count)
    return -1;
  if ((size_t)index < r->fileno_cap && r->by_fileno[index] >= 0)
    return r->by_fileno[index];
  if ((size_t)index >= r->fileno_cap) {
    size_t cap = (size_t)r->file_count;
    long *p = realloc(r->by_fileno, cap * sizeof *p);
    if (!p)
      return -1;
    for (size_t i = r->fileno_cap; i < cap; i++)
      p[i] = -1;
    r->by_fileno = p;
    r->fileno_cap = cap;
  }
  const char *name = di_file_name(r->files[index], r->comp_dir);
  snare_debuginfo *di = r->di;
  long found = -1;
  for (size_t i = r->first_subfile; i < di->subfile_count; i++)
    if (strcmp(di->subfiles[i].path, name) == 0)
      found = (long)i;
  if (found < 0 && di_reserve((void **)&di->subfiles, &di->subfile_cap,
                              di->subfile_count, sizeof *di->subfiles)) {
    char *copy = strdup(name);
    if (copy) {
      di->subfiles[di->subfile_count] =
          (di_subfile){.path = copy, .unit = r->unit,
                       .name = di_line_file_name(r->ctx, r->version,
                                                 fileno)};
      found = (long)di->subfile_count++;
    }
  }
  if (found >= 0)
    r->by_fileno[index] = found;
  return found;
}

static snare_status end_sequence(unit_reader *r, sequence_state *s,
                                 uint64_t addr)
{
  snare_debuginfo *di = r->di;
  snare_status st = SNARE_OK;
  if (s->last_subfile >= 0)
    st = add_row(&di->subfiles[s->last_subfile], addr, 0, 0, true, false);
  if (st == SNARE_OK && s->started && addr > s->low) {
    if (!di_reserve((void **)&di->sequences, &di->sequence_cap,
                    di->sequence_count, sizeof *di->sequences))
      return SNARE_NO_MEMORY;
    di->sequences[di->sequence_count++] =
        (di_sequence){.low = s->low, .high = addr, .unit = r->unit};
  }
  *s = (sequence_state){.last_subfile = -1};
  return st;
}

/* One row of the line program through gdb's state machine. */
static snare_status take_row(unit_reader *r, sequence_state *s,
                             Dwarf_Line line)
{
  Dwarf_Addr addr = 0;
  Dwarf_Unsigned lineno = 0, column = 0, isa = 0, discr = 0;
  Dwarf_Bool is_stmt = 0, end = 0, prologue_end = 0, epilogue = 0;
  if (dwarf_lineaddr(line, &addr, NULL) != DW_DLV_OK ||
      dwarf_lineno(line, &lineno, NULL) != DW_DLV_OK ||
      dwarf_linebeginstatement(line, &is_stmt, NULL) != DW_DLV_OK ||
      dwarf_lineendsequence(line, &end, NULL) != DW_DLV_OK)
    return SNARE_LOAD_FAILED;
  if (end)
    return end_sequence(r, s, addr);
  dwarf_lineoff_b(line, &column, NULL);
  dwarf_prologue_end_etc(line, &prologue_end, &epilogue, &isa, &discr, NULL);
  if (!s->started) {
    s->started = true;
    s->low = addr;
  }
  long sub = subfile_for(r, line);
  if (sub < 0)
    return SNARE_LOAD_FAILED;
  if (!s->have_last_addr || s->last_addr != addr)
    s->stmt_at_addr = false;
  if (lineno != s->prev_line)
    s->line_has_discriminator = discr != 0;
  else
    s->line_has_discriminator |= discr != 0;
  s->prev_line = (uint32_t)lineno;

  bool file_changed = sub != s->last_subfile;
  bool ignore = lineno == 0 ||
                (file_changed && s->have_last_addr && s->last_addr == addr &&
                 !is_stmt && s->stmt_at_addr);
  snare_status st = SNARE_OK;
  snare_debuginfo *di = r->di;
  if (!ignore) {
    if (file_changed && s->last_subfile >= 0)
      st = add_row(&di->subfiles[s->last_subfile], addr, 0, 0, true, false);
    if (st == SNARE_OK && (file_changed || lineno != s->last_line ||
                           !s->line_has_discriminator))
      st = add_row(&di->subfiles[sub], addr, (uint32_t)lineno,
                   (uint32_t)column, is_stmt, prologue_end);
    s->last_subfile = sub;
    s->last_line = (uint32_t)lineno;
  }
  s->stmt_at_addr |= is_stmt != 0;
  s->last_addr = addr;
  s->have_last_addr = true;
  return st;
}

/*
 * gdb searches a unit's files primary first, then the others newest
 * first; ties between files at one address go to the first searched.
 */
static void order_unit_subfiles(snare_debuginfo *di, size_t first,
                                const char *primary)
{
  size_t n = di->subfile_count - first;
  di_subfile *sf = di->subfiles + first;
  for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) {
    di_subfile t = sf[i];
    sf[i] = sf[j];
    sf[j] = t;
  }
  for (size_t i = 0; primary && i < n; i++) {
    if (strcmp(sf[i].path, primary) == 0) {
      di_subfile p = sf[i];
      memmove(sf + 1, sf, i * sizeof *sf);
      sf[0] = p;
      break;
    }
  }
}

/* The unit's own source path, DW_AT_name joined to DW_AT_comp_dir. */
static char *unit_primary_path(Dwarf_Debug dbg, Dwarf_Die cu)
{
  char *name = NULL, *dir = NULL, *path = NULL;
  if (dwarf_diename(cu, &name, NULL) != DW_DLV_OK)
    return NULL;
  Dwarf_Attribute attr;
  if (name[0] != '/' &&
      dwarf_attr(cu, DW_AT_comp_dir, &attr, NULL) == DW_DLV_OK) {
    dwarf_formstring(attr, &dir, NULL);
    dwarf_dealloc_attribute(attr);
  }
  size_t len = strlen(name) + (dir ? strlen(dir) + 1 : 0) + 1;
  path = malloc(len);
  if (path) {
    if (dir) {
      strcpy(path, dir);
      strcat(path, "/");
      strcat(path, name);
    } else {
      strcpy(path, name);
    }
  }
  /* diename/formstring point into the section; nothing to free. */
  (void)dbg;
  return path;
}

/*
 * gdb names the unit's own file by its DW_AT_name when the line table's
 * name of it is that name, or is absolute and that name joined to the
 * compilation directory ("main.c" where the table says /build/main.c;
 * start_subfile): libc's "./stdlib/exit.c" stays, its DW_AT_name being
 * "exit.c" in "./stdlib".
 */
static void name_primary(const unit_reader *r, Dwarf_Die cu,
                         const char *primary)
{
  snare_debuginfo *di = r->di;
  char *cu_name = NULL;
  di_subfile *first = di->subfiles + r->first_subfile;
  if (!primary || di->subfile_count <= r->first_subfile ||
      strcmp(first->path, primary) != 0 || !first->name ||
      dwarf_diename(cu, &cu_name, NULL) != DW_DLV_OK || !cu_name ||
      cu_name[0] == '/' || first->name[0] != '/' || !r->comp_dir)
    return;
  size_t n = strlen(r->comp_dir);
  while (n > 1 && r->comp_dir[n - 1] == '/')
    n--;
  if (strncmp(first->name, r->comp_dir, n) != 0 || first->name[n] != '/' ||
      strcmp(first->name + n + 1, cu_name) != 0)
    return;
  char *copy = strdup(cu_name);
  if (copy) {
    free(first->name);
    first->name = copy;
  }
}

static bool made_by_clang(Dwarf_Die cu)
{
  Dwarf_Attribute attr = NULL;
  char *producer = NULL;
  bool clang = false;
  if (dwarf_attr(cu, DW_AT_producer, &attr, NULL) != DW_DLV_OK)
    return false;
  if (dwarf_formstring(attr, &producer, NULL) == DW_DLV_OK)
    clang = strstr(producer, "clang") != NULL;
  dwarf_dealloc_attribute(attr);
  return clang;
}

static snare_status read_unit(snare_debuginfo *di, Dwarf_Die cu, size_t unit)
{
  Dwarf_Unsigned version = 0;
  Dwarf_Small tables = 0;
  Dwarf_Line_Context ctx = NULL;
  Dwarf_Error err = NULL;
  int rc = dwarf_srclines_b(cu, &version, &tables, &ctx, &err);
  if (rc == DW_DLV_ERROR)
    dwarf_dealloc_error(di->dbg, err);
  if (rc != DW_DLV_OK)
    return rc == DW_DLV_NO_ENTRY ? SNARE_OK : SNARE_LOAD_FAILED;
  Dwarf_Line *lines = NULL;
  Dwarf_Signed count = 0;
  snare_status st = SNARE_LOAD_FAILED;
  unit_reader r = {.di = di, .dbg = di->dbg, .unit = unit,
                   .version = version, .first_subfile = di->subfile_count,
                   .comp_dir = di_comp_dir(cu)};
  if (dwarf_srcfiles(cu, &r.files, &r.file_count, NULL) != DW_DLV_OK)
    r.file_count = 0;
  r.clang = made_by_clang(cu);
  r.ctx = ctx;
  if (dwarf_srclines_from_linecontext(ctx, &lines, &count, NULL) ==
      DW_DLV_OK) {
    st = SNARE_OK;
    sequence_state s = {.last_subfile = -1};
    for (Dwarf_Signed i = 0; i < count && st == SNARE_OK; i++)
      st = take_row(&r, &s, lines[i]);
  }
  free(r.by_fileno);
  for (Dwarf_Signed i = 0; i < r.file_count; i++)
    dwarf_dealloc(di->dbg, r.files[i], DW_DLA_STRING);
  if (r.file_count)
    dwarf_dealloc(di->dbg, r.files, DW_DLA_LIST);
  dwarf_srclines_dealloc_b(ctx);
  if (st == SNARE_OK) {
    char *primary = unit_primary_path(di->dbg, cu);
    order_unit_subfiles(di, r.first_subfile, primary);
    name_primary(&r, cu, primary);
    free(primary);
  }
  return st;
}

/* Stable merge sort of rows by address, end markers first among equals. */
static bool row_before(const di_row *a, const di_row *b)
{
  if (a->addr != b->addr)
    return a->addr < b->addr;
  return a->line == 0 && b->line != 0;
}

static void merge_sort(di_row *rows, di_row *tmp, size_t n)
{
  if (n < 2)
    return;
  size_t mid = n / 2;
  merge_sort(rows, tmp, mid);
  merge_sort(rows + mid, tmp, n - mid);
  size_t i = 0, j = mid, k = 0;
  while (i < mid && j < n)
    tmp[k++] = row_before(&rows[j], &rows[i]) ? rows[j++] : rows[i++];
  while (i < mid)
    tmp[k++] = rows[i++];
  while (j < n)
    tmp[k++] = rows[j++];
  memcpy(rows, tmp, n * sizeof *rows);
}

static int sequence_cmp(const void *a, const void *b)
{
  const di_sequence *x = a, *y = b;
  return (x->low > y->low) - (x->low < y->low);
}

snare_status di_load_unit_lines(snare_debuginfo *di, Dwarf_Die cu,
                                size_t unit)
{
  size_t first = di->subfile_count;
  /* A unit whose line program fails keeps the rows read before. */
  snare_status st = read_unit(di, cu, unit);
  for (size_t i = first; i < di->subfile_count; i++) {
    di_subfile *sf = &di->subfiles[i];
    di_row *tmp = malloc(sf->count * sizeof *tmp + 1);
    if (!tmp)
      return SNARE_NO_MEMORY;
    merge_sort(sf->rows, tmp, sf->count);
    free(tmp);
  }
  if (di->sequence_count)
    qsort(di->sequences, di->sequence_count, sizeof *di->sequences,
          sequence_cmp);
  /* Queries search subfiles in unit order, as gdb searches symtabs,
     whichever order units were loaded in. */
  size_t at = first;
  while (at > 0 && di->subfiles[at - 1].unit > unit)
    at--;
  size_t n = di->subfile_count - first;
  if (at < first && n > 0) {
    di_subfile *moved = malloc(n * sizeof *moved);
    if (!moved)
      return SNARE_NO_MEMORY;
    memcpy(moved, di->subfiles + first, n * sizeof *moved);
    memmove(di->subfiles + at + n, di->subfiles + at,
            (first - at) * sizeof *moved);
    memcpy(di->subfiles + at, moved, n * sizeof *moved);
    free(moved);
  }
  return st;
}

void di_free_lines(snare_debuginfo *di)
{
  for (size_t i = 0; i < di->subfile_count; i++) {
    free(di->subfiles[i].path);
    free(di->subfiles[i].name);
    free(di->subfiles[i].rows);
  }
  free(di->subfiles);
  free(di->sequences);
}
