/*
 * memory_stub.c - the one core function the DWARF reader calls outside
 * the parsers (reading a variable's value from this process's memory).
 * The harnesses fuzz parsing only, without the core's signal handling
 * and code patching, so every read here is refused as unmapped.
 */
#include "snare.h"

snare_status snare_memory_read(uint64_t addr, void *dst, size_t n)
{
  (void)addr;
  (void)dst;
  (void)n;
  return SNARE_BAD_ADDRESS;
}
