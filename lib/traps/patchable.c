/*
 * patchable.c - whether an address can carry a patch (a trap or a jump):
 * mapped, executable, not inside snare's own out-of-line slots, and the
 * start of an instruction of the function it lies in.
 */
#include <stdlib.h>

#include "code/code.h"
#include "code/library.h"
#include "traps/traps.h"

/* Refuses a breakpoint that would split an instruction of a known
   function, decoding from the function's start. */
static snare_status check_boundary(uint64_t addr) {
  uint64_t start, size;
  if (!snare_code_function_containing(addr, &start, &size, NULL) ||
      addr == start)
    return SNARE_OK;
  size_t span = (size_t)(addr - start) + SNARE_ARCH_MAX_INSTRUCTION;
  if (span > size)
    span = (size_t)size;
  uint8_t *code = malloc(span);
  if (code == NULL)
    return SNARE_NO_MEMORY;
  snare_status status = snare_sites_read_original(start, code, span)
                            ? snare_arch_check_boundary(code, span,
                                                        (size_t)(addr - start))
                            : SNARE_BAD_ADDRESS;
  free(code);
  return status;
}

snare_status snare_check_code_address(uint64_t addr) {
  /* An open library's executable segment stays mapped and executable
     until it closes: no need to read /proc/self/maps (twice) for each of
     a thousand `break FILE:LINE` in it. */
  uint64_t start, size;
  bool library_code = snare_library_code_containing(addr, &start, &size);
  if (!library_code && !snare_os_range_mapped(addr, 1))
    return SNARE_BAD_ADDRESS;
  if ((!library_code && !snare_os_range_executable(addr, 1)) ||
      snare_sites_find_slot(addr) != NULL)
    return SNARE_NOT_CODE;
  return check_boundary(addr);
}

