/*
 * elf_symbols_fuzz.c - libFuzzer harness for the ELF symbol reader
 * (lib/code/elf_symbols.c): a corrupted .so must give an empty or partial
 * table, never a crash, and every lookup on what was read must be safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input_file.h"
#include "code/elf_symbols.h"

#define BIAS 0x7f0000000000ull

/* Looks every symbol up by name and by a few addresses around it, so
   the sorted arrays and the reach table are checked, not just built. */
static void exercise(const snare_elf_symbols *syms)
{
  for (size_t i = 0; i < syms->count; i++) {
    const snare_elf_symbol *sym = &syms->by_address[i];
    const snare_elf_symbol *named = snare_elf_symbols_named(syms, sym->name);
    if (named == NULL || strcmp(named->name, sym->name) != 0)
      abort(); /* a symbol the table holds must be found by its name */
    uint64_t probes[] = {sym->address - 1, sym->address,
                         sym->address + sym->size / 2,
                         sym->address + sym->size};
    for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
      const snare_elf_symbol *at = snare_elf_symbols_at(syms, probes[p], false);
      if (at != NULL && (probes[p] < at->address ||
                         probes[p] - at->address >= at->size))
        abort(); /* a symbol found at an address must contain it */
      snare_elf_symbols_at(syms, probes[p], true);
    }
  }
  snare_elf_symbols_named(syms, "");
  snare_elf_symbols_at(syms, 0, false);
  snare_elf_symbols_at(syms, UINT64_MAX, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *path = fuzz_input_file(data, size);
  snare_elf_symbols syms;
  if (snare_elf_symbols_read(path, BIAS, &syms) == SNARE_OK)
    exercise(&syms);
  snare_elf_symbols_free(&syms);
  return 0;
}
