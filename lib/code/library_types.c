/*
 * library_types.c - the public lookups of types, file-scope variables
 * and function prototypes in one library's DWARF.
 */
#include "code/library.h"
#include "debuginfo/type_info.h"
#include "debuginfo/variables.h"

static snare_status debuginfo_of(snare_library *lib,
                                 const snare_debuginfo **di)
{
  if (lib == NULL)
    return SNARE_INVALID_ARGUMENT;
  return snare_library_debuginfo(lib, di);
}

snare_status snare_library_type(snare_library *lib, const char *name,
                                snare_type *out)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (name == NULL || out == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st : snare_debuginfo_type_find(di, name, out);
}

snare_status snare_library_global(snare_library *lib, const char *name,
                                  snare_type *type, uint64_t *address)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (name == NULL || type == NULL || address == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st
                        : snare_debuginfo_global(di, name, type, address);
}

snare_status snare_library_file_global(snare_library *lib, const char *file,
                                       const char *name, snare_type *type,
                                       uint64_t *address)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK &&
      (file == NULL || name == NULL || type == NULL || address == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st
                        : snare_debuginfo_file_global(di, file, name, type,
                                                      address);
}

snare_status snare_library_function_static(snare_library *lib, uint64_t addr,
                                           const char *name, snare_type *type,
                                           uint64_t *address)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (name == NULL || type == NULL || address == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st
                        : snare_debuginfo_function_static(di, addr, name, type,
                                                          address);
}

snare_status snare_library_enumerator(snare_library *lib, const char *name,
                                      snare_type *type, int64_t *value)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (name == NULL || type == NULL || value == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st
                        : snare_debuginfo_enumerator(di, name, type, value);
}

snare_status snare_library_function_type(snare_library *lib, uint64_t addr,
                                         snare_type *out)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && out == NULL)
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st : snare_debuginfo_function_type(di, addr, out);
}

snare_status snare_library_variables_at(snare_library *lib, uint64_t addr,
                                        snare_variable_info *vars, size_t cap,
                                        size_t *count)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (count == NULL || (cap > 0 && vars == NULL)))
    st = SNARE_INVALID_ARGUMENT;
  if (st != SNARE_OK)
    return st;
  snare_debuginfo_frame src[SNARE_INLINE_DEPTH_MAX];
  size_t n = snare_debuginfo_frames_at(di, addr, src, SNARE_INLINE_DEPTH_MAX);
  size_t total = 0;
  st = SNARE_NOT_FOUND;
  for (size_t k = 0; k < n && k < SNARE_INLINE_DEPTH_MAX; k++) {
    size_t some = 0;
    if (src[k].scope < 0 ||
        snare_debuginfo_variables(di, src[k].scope,
                                  total < cap ? vars + total : NULL,
                                  total < cap ? cap - total : 0,
                                  &some) != SNARE_OK)
      continue;
    st = SNARE_OK;
    total += some;
  }
  *count = total;
  return st;
}

snare_status snare_library_file_symbols(snare_library *lib,
                                        const snare_file_symbol **symbols,
                                        size_t *count)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && (symbols == NULL || count == NULL))
    st = SNARE_INVALID_ARGUMENT;
  return st != SNARE_OK ? st
                        : snare_debuginfo_file_symbols(di, symbols, count);
}

snare_status snare_library_debug_file(snare_library *lib, const char **path)
{
  const snare_debuginfo *di;
  snare_status st = debuginfo_of(lib, &di);
  if (st == SNARE_OK && path == NULL)
    st = SNARE_INVALID_ARGUMENT;
  if (st == SNARE_OK)
    *path = snare_debuginfo_file(di);
  return st;
}
