/*
 * debuginfo.c - opening and closing a snare_debuginfo, and the small
 * allocation helpers the loaders share.
 */
#include <stdlib.h>
#include <string.h>

#include "internal/loader.h"
#include "private.h"

bool di_reserve(void **items, size_t *cap, size_t count, size_t item_size)
{
  if (count < *cap)
    return true;
  size_t grown = *cap ? *cap * 2 : 16;
  void *p = realloc(*items, grown * item_size);
  if (!p)
    return false;
  *items = p;
  *cap = grown;
  return true;
}

const char *di_intern(snare_debuginfo *di, const char *s)
{
  for (size_t i = 0; i < di->string_count; i++)
    if (strcmp(di->strings[i], s) == 0)
      return di->strings[i];
  if (!di_reserve((void **)&di->strings, &di->string_cap, di->string_count,
                  sizeof *di->strings))
    return NULL;
  char *copy = strdup(s);
  if (!copy)
    return NULL;
  di->strings[di->string_count++] = copy;
  return copy;
}

/*
 * libdwarf aborts the process on an error when the caller passed no
 * Dwarf_Error; with a handler it returns DW_DLV_ERROR instead and keeps
 * the error record until dwarf_finish. The loaders treat every failed
 * call as "attribute absent", so the handler has nothing to do.
 */
static void ignore_error(Dwarf_Error err, Dwarf_Ptr arg)
{
  (void)err;
  (void)arg;
}

/*
 * Opens the file at path for libdwarf: *fd and *dbg, or false. Opened
 * here rather than by dwarf_init_path: snare's descriptors are kept out
 * of the program's range (snare_os_file_open), and zstd's sections
 * inflated (snare_debuginfo_dwarf_file_open).
 */
static int dwarf_open(const char *path, int *fd, Dwarf_Debug *dbg)
{
  Dwarf_Error err = NULL;
  *fd = snare_debuginfo_dwarf_file_open(path);
  int rc = *fd < 0 ? DW_DLV_ERROR
                   : dwarf_init_b(*fd, DW_DLC_READ, DW_GROUPNUMBER_ANY,
                                  ignore_error, NULL, dbg, &err);
  if (rc != DW_DLV_OK) {
    if (*fd >= 0)
      snare_os_file_close(*fd);
    /* Without a Dwarf_Debug the error cannot be freed through one. */
    if (err != NULL)
      dwarf_dealloc(NULL, err, DW_DLA_ERROR);
    *dbg = NULL;
  }
  return rc;
}

/*
 * dwz's alternate file, when the DWARF names one. Without it the DWARF
 * is not read, as gdb 13 does not ("could not find '.gnu_debugaltlink'
 * file"): its shared types would read as void and its shared names as
 * libdwarf's placeholder. False then, or when it cannot be opened.
 */
static bool open_alt_file(snare_debuginfo *di)
{
  char alt[4096];
  bool named = false;
  if (!di_alt_debug_file(di->file, alt, sizeof alt, &named))
    return !named;
  if (dwarf_open(alt, &di->alt_fd, &di->alt) != DW_DLV_OK)
    return false;
  if (dwarf_set_tied_dbg(di->dbg, di->alt, NULL) != DW_DLV_OK ||
      !(di->alt_file = strdup(alt))) {
    dwarf_finish(di->alt, NULL);
    snare_os_file_close(di->alt_fd);
    di->alt = NULL;
    return false;
  }
  return true;
}

snare_status snare_debuginfo_open(const char *path, uint64_t bias,
                                  snare_debuginfo **out)
{
  if (!path || !out)
    return SNARE_INVALID_ARGUMENT;
  const char *object = path; /* its code, for the prologue analysis */
  char separate[4096];
  if (snare_debuginfo_separate_file(path, separate, sizeof separate))
    path = separate;
  snare_debuginfo *di = calloc(1, sizeof *di);
  if (!di || !(di->file = strdup(path))) {
    free(di);
    return SNARE_NO_MEMORY;
  }
  di->bias = bias;
  di->path = strdup(object);
  int rc = dwarf_open(path, &di->dwarf_fd, &di->dbg);
  if (rc != DW_DLV_OK) {
    free(di->file);
    free(di->path);
    free(di);
    return rc == DW_DLV_NO_ENTRY ? SNARE_NOT_FOUND : SNARE_LOAD_FAILED;
  }
  /* the descriptor libdwarf reads: zstd's lists inflated there */
  if (!di_lists_open(di->dwarf_fd, &di->lists)) {
    snare_debuginfo_close(di);
    return SNARE_LOAD_FAILED;
  }
  snare_status st = open_alt_file(di) ? di_index_units(di) : SNARE_NOT_FOUND;
  if (st != SNARE_OK) {
    snare_debuginfo_close(di);
    return st;
  }
  *out = di;
  return SNARE_OK;
}

const char *snare_debuginfo_file(const snare_debuginfo *di)
{
  return di->file;
}

const char *snare_debuginfo_alt_file(const snare_debuginfo *di)
{
  return di->alt_file;
}

void snare_debuginfo_close(snare_debuginfo *di)
{
  if (!di)
    return;
  di_free_indexes(di);
  di_free_units(di);
  di_free_names(di);
  di_free_prologue(di);
  di_free_file_symbols(di);
  di_free_memo(di);
  di_free_top_names(di);
  free(di->path);
  di_free_functions(di);
  di_free_lines(di);
  for (size_t i = 0; i < di->string_count; i++)
    free(di->strings[i]);
  free(di->strings);
  di_lists_close(di->lists); /* before the descriptor it reads closes */
  if (di->dbg) {
    dwarf_finish(di->dbg, NULL);
    snare_os_file_close(di->dwarf_fd);
  }
  /* after the object's, which refers to it */
  if (di->alt) {
    dwarf_finish(di->alt, NULL);
    snare_os_file_close(di->alt_fd);
  }
  free(di->alt_file);
  free(di->file);
  free(di);
}
