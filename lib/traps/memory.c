/* memory.c - the public memory API: safe reads that show the program's
   own bytes under snare's traps, and writes that keep the traps. */
#include "code/code.h"
#include "internal/unwind.h"
#include "traps/traps.h"

static bool range_ok(uint64_t addr, size_t n) { return addr + n >= addr; }

snare_status snare_memory_read(uint64_t addr, void *dst, size_t n) {
  if ((dst == NULL && n > 0) || !range_ok(addr, n))
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  bool ok = snare_sites_read_original(addr, dst, n);
  snare_os_global_unlock();
  return ok ? SNARE_OK : SNARE_BAD_ADDRESS;
}

snare_status snare_memory_write(uint64_t addr, const void *src, size_t n) {
  if ((src == NULL && n > 0) || !range_ok(addr, n))
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  bool ok = snare_os_memory_write(addr, src, n);
  if (ok)
    snare_code_rewritten(addr, n); /* the traps hear it too */
  snare_os_global_unlock();
  if (ok)
    return SNARE_OK;
  /* Mapped, but code: say so, not "not mapped". */
  return n > 0 && snare_os_range_executable(addr, n) ? SNARE_IS_CODE
                                                      : SNARE_BAD_ADDRESS;
}

/* For the arch unwinder's frame-pointer fallback (internal/unwind.h):
   the site table is read lock-free, as the trap handler reads it. */
bool snare_unwind_code_read(uint64_t addr, uint8_t *dst, size_t n) {
  return snare_sites_read_original(addr, dst, n);
}
