/* disassembly.c - the public disassembler: the program's own bytes (not
   snare's traps) decoded by the architecture's disassembler. */
#include "internal/arch.h"
#include "internal/disassembler.h"
#include "traps/traps.h"

static bool valid(snare_disassembly_flavor flavor, const char *text,
                  size_t cap, const size_t *length) {
  return text != NULL && cap != 0 && length != NULL &&
         (flavor == SNARE_DISASSEMBLY_ATT || flavor == SNARE_DISASSEMBLY_INTEL);
}

snare_status snare_disassemble(uint64_t addr, snare_disassembly_flavor flavor,
                               char *text, size_t cap, size_t *length) {
  if (!valid(flavor, text, cap, length))
    return SNARE_INVALID_ARGUMENT;
  /* The instruction may end right before an unmapped page, so take the
     longest readable run of bytes up to the longest instruction. */
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  size_t avail = sizeof bytes;
  snare_os_global_lock();
  while (avail > 0 && !snare_sites_read_original(addr, bytes, avail))
    avail--;
  snare_os_global_unlock();
  if (avail == 0)
    return SNARE_BAD_ADDRESS;
  return snare_arch_disassemble(addr, flavor, bytes, avail, text, cap,
                                length);
}

snare_status snare_disassemble_bytes(uint64_t addr,
                                     snare_disassembly_flavor flavor,
                                     const uint8_t *bytes, size_t avail,
                                     char *text, size_t cap, size_t *length) {
  if (!valid(flavor, text, cap, length) || (bytes == NULL && avail > 0))
    return SNARE_INVALID_ARGUMENT;
  if (avail == 0)
    return SNARE_UNDECODABLE;
  return snare_arch_disassemble(addr, flavor, bytes, avail, text, cap,
                                length);
}
