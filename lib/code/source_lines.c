/*
 * source_lines.c - the public questions about source lines and functions,
 * answered from the DWARF each library reads on first use
 * (lib/debuginfo/, which checks the other arguments). Controller thread
 * only, like the library list.
 */
#include <string.h>

#include "code/code.h"
#include "debuginfo/debuginfo.h"
#include "debuginfo/variables.h"
#include "code/library.h"
#include "snare.h"

/* The DWARF of lib, or NULL with *status saying why. */
static const snare_debuginfo *debuginfo_of(snare_library *lib,
                                           snare_status *status) {
  const snare_debuginfo *di = NULL;
  *status = lib == NULL ? SNARE_INVALID_ARGUMENT
                        : snare_library_debuginfo(lib, &di);
  return di;
}

snare_status snare_library_line_at(snare_library *lib, uint64_t addr,
                                   snare_line_info *out) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status : snare_debuginfo_line_at(di, addr, out);
}

snare_status snare_library_line_addresses(snare_library *lib,
                                          const char *file, unsigned line,
                                          uint64_t *addrs, size_t cap,
                                          size_t *count) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status
                    : snare_debuginfo_line_addresses(di, file, line, addrs,
                                                     cap, count);
}

snare_status snare_library_line_span(snare_library *lib, const char *file,
                                     unsigned line, snare_line_span *out) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status
                    : snare_debuginfo_line_span(di, file, line, out);
}

snare_status snare_library_line_nearest(snare_library *lib, const char *file,
                                        unsigned line, unsigned *before,
                                        unsigned *after) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status
                    : snare_debuginfo_line_nearest(di, file, line, before,
                                                   after);
}

snare_status snare_library_function_info(snare_library *lib,
                                         const char *name,
                                         snare_function_info *out) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status : snare_debuginfo_function(di, name, out);
}

snare_status snare_library_function_addresses(snare_library *lib,
                                              const char *name,
                                              uint64_t *addrs, size_t cap,
                                              size_t *count) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status
                    : snare_debuginfo_function_addresses(di, name, addrs, cap,
                                                         count);
}

snare_status snare_library_file_function_addresses(snare_library *lib,
                                                   const char *file,
                                                   const char *name,
                                                   uint64_t *addrs, size_t cap,
                                                   size_t *count) {
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL || file == NULL
             ? (di == NULL ? status : SNARE_INVALID_ARGUMENT)
             : snare_debuginfo_file_function_addresses(di, file, name, addrs,
                                                       cap, count);
}

snare_status snare_function_start_line_at(uint64_t addr,
                                          snare_line_info *out) {
  snare_status in_region;
  if (snare_code_line_at(addr, out, &in_region))
    return in_region;
  snare_library *lib = snare_library_mapping(addr);
  snare_status status = lib == NULL ? SNARE_NOT_FOUND : SNARE_OK;
  const snare_debuginfo *di = lib ? debuginfo_of(lib, &status) : NULL;
  return di == NULL ? status
                    : snare_debuginfo_function_start_line(di, addr, out);
}

/* Registered JIT code is asked first (lib/code/code_region.c): a region may
   sit where no library is, and its own line map is the only truth. */
snare_status snare_line_at(uint64_t addr, snare_line_info *out) {
  snare_status in_region;
  if (snare_code_line_at(addr, out, &in_region))
    return in_region;
  snare_library *lib = snare_library_mapping(addr);
  return lib == NULL ? SNARE_NOT_FOUND : snare_library_line_at(lib, addr, out);
}

snare_status snare_statement_line_from(uint64_t addr, unsigned line,
                                       unsigned *out) {
  snare_library *lib = snare_library_mapping(addr);
  snare_status status = lib == NULL ? SNARE_NOT_FOUND : SNARE_OK;
  const snare_debuginfo *di = lib ? debuginfo_of(lib, &status) : NULL;
  return di == NULL ? status
                    : snare_debuginfo_statement_line_from(di, addr, line, out);
}

snare_status snare_function_at(uint64_t addr, snare_function_info *out) {
  snare_status in_region;
  if (snare_code_function_at(addr, out, &in_region))
    return in_region;
  snare_library *lib = snare_library_mapping(addr);
  if (lib == NULL)
    return SNARE_NOT_FOUND;
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status : snare_debuginfo_function_at(di, addr, out);
}

snare_status snare_source_name_at(uint64_t addr, const char *path,
                                  const char **name) {
  snare_library *lib = snare_library_mapping(addr);
  if (lib == NULL || path == NULL || name == NULL)
    return lib == NULL ? SNARE_NOT_FOUND : SNARE_INVALID_ARGUMENT;
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status
                    : snare_debuginfo_source_name(di, addr, path, name);
}

snare_status snare_unit_at(uint64_t addr, snare_unit_info *out) {
  snare_library *lib = snare_library_mapping(addr);
  if (lib == NULL || out == NULL)
    return lib == NULL ? SNARE_NOT_FOUND : SNARE_INVALID_ARGUMENT;
  snare_status status;
  const snare_debuginfo *di = debuginfo_of(lib, &status);
  return di == NULL ? status : snare_debuginfo_unit_at(di, addr, out);
}

snare_status snare_language_at(uint64_t addr, unsigned *language) {
  if (language == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_unit_info unit;
  snare_status status = snare_unit_at(addr, &unit);
  if (status == SNARE_OK && unit.language == 0)
    status = SNARE_NOT_FOUND;
  if (status == SNARE_OK)
    *language = unit.language;
  return status;
}

unsigned snare_code_inline_within(uint64_t addr, const char *function)
{
  snare_library *lib = function ? snare_library_mapping(addr) : NULL;
  const snare_debuginfo *di = NULL;
  if (lib == NULL || snare_library_debuginfo(lib, &di) != SNARE_OK ||
      di == NULL)
    return 0;
  const char *call_file;
  unsigned call_line;
  unsigned begin = snare_debuginfo_inline_entries(di, addr, &call_file,
                                                  &call_line);
  snare_debuginfo_frame src[SNARE_INLINE_DEPTH_MAX];
  size_t n = snare_debuginfo_frames_at(di, addr, src, SNARE_INLINE_DEPTH_MAX);
  for (size_t k = 0; k <= begin && k < n && k < SNARE_INLINE_DEPTH_MAX; k++)
    if (src[k].function != NULL && strcmp(src[k].function, function) == 0)
      return (unsigned)k;
  return 0;
}
