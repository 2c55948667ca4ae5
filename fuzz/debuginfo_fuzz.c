/*
 * debuginfo_fuzz.c - libFuzzer harness for the DWARF reader
 * (lib/debuginfo/, through snare_debuginfo_open): corrupted debug info
 * must give an error or a usable handle, never a crash, and every query
 * on a handle must be safe. Names and addresses to query come from the
 * file's own ELF symbols (read with the already-fuzzed symbol reader).
 */
#include <stdint.h>
#include <stdlib.h>

#include "input_file.h"
#include "debuginfo/debuginfo.h"
#include "debuginfo/variables.h"
#include "code/elf_symbols.h"

#define BIAS 0x10000ull
#define MAX_QUERIES 64
#define MAX_LINE 80 /* the fixtures are short files */

static void query_lines(const snare_debuginfo *di, const char *file)
{
  uint64_t addrs[8];
  for (unsigned line = 0; line <= MAX_LINE; line++) {
    size_t count;
    unsigned before, after;
    snare_line_span span;
    snare_debuginfo_line_addresses(di, file, line, addrs, 8, &count);
    snare_debuginfo_line_addresses(di, file, line, NULL, 0, &count);
    snare_debuginfo_line_nearest(di, file, line, &before, &after);
    snare_debuginfo_line_span(di, file, line, &span);
  }
}

/* What frame:vars() asks at addr: the source frames, the variables each
   scope sees, and each one's value and place (memory reads all fail, see
   memory_stub.c; registers read as known). */
static void query_frame(const snare_debuginfo *di, uint64_t addr)
{
  snare_debuginfo_frame frames[4];
  size_t n = snare_debuginfo_frames_at(di, addr, frames, 4);
  snare_frame_state fs = {.pc = addr, .cfa = 0x7ff000, .valid = ~0u,
                          .xmm_valid = ~0u};
  for (size_t f = 0; f < n && f < 4; f++) {
    snare_variable_info vars[16];
    size_t count = 0;
    if (snare_debuginfo_variables(di, frames[f].scope, vars, 16, &count) !=
        SNARE_OK)
      continue;
    for (size_t v = 0; v < count && v < 16; v++) {
      snare_value *value = NULL;
      snare_variable_place place;
      if (snare_debuginfo_variable_read(di, frames[f].scope, &fs,
                                        vars[v].name, NULL,
                                        &value) == SNARE_OK)
        snare_value_free(value);
      snare_debuginfo_variable_place(di, frames[f].scope, &fs, vars[v].name,
                                     &place);
    }
  }
}

/* Queries by name and address; stores in *file the first source file a
   line lookup named, for query_lines. */
static void query_symbol(const snare_debuginfo *di, const snare_elf_symbol *sym,
                         const char **file)
{
  snare_line_info line;
  snare_function_info fn;
  uint64_t addrs[8];
  size_t count;
  snare_debuginfo_function(di, sym->name, &fn);
  snare_debuginfo_function_addresses(di, sym->name, addrs, 8, &count);
  for (uint64_t off = 0; off <= sym->size; off += sym->size / 4 + 1) {
    if (snare_debuginfo_line_at(di, sym->address + off, &line) == SNARE_OK &&
        *file == NULL)
      *file = line.file;
    snare_debuginfo_function_at(di, sym->address + off, &fn);
    query_frame(di, sym->address + off);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_input_file(data, size);
  snare_debuginfo *di;
  if (snare_debuginfo_open(path, BIAS, &di) != SNARE_OK)
    return 0;
  snare_elf_symbols syms;
  const char *file = NULL;
  if (snare_elf_symbols_read(path, BIAS, &syms) == SNARE_OK) {
    for (size_t i = 0; i < syms.count && i < MAX_QUERIES; i++)
      query_symbol(di, &syms.by_address[i], &file);
  }
  snare_elf_symbols_free(&syms);
  if (file != NULL)
    query_lines(di, file);
  query_lines(di, "lines.c");
  query_lines(di, "no-such-file.c");
  snare_debuginfo_close(di);
  return 0;
}
