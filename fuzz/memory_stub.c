/*
 * memory_stub.c - the OS functions the DWARF reader calls outside the
 * parsers (reading a variable's value from this process's memory, the
 * guarded way and the fast way of compiled variable reads; a write, which
 * the x86-64 decoder's file links to). The
 * harnesses fuzz parsing only, without the core's signal handling and
 * code patching, so every read here is refused as unmapped.
 */
#include "internal/os.h"

bool snare_os_memory_read(uint64_t addr, void *dst, size_t n)
{
  (void)addr;
  (void)dst;
  (void)n;
  return false;
}

bool snare_os_memory_read_fast(uint64_t addr, void *dst, size_t n)
{
  return snare_os_memory_read(addr, dst, n);
}

bool snare_os_memory_write(uint64_t addr, const void *src, size_t n)
{
  (void)addr;
  (void)src;
  (void)n;
  return false;
}
