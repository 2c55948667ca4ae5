/*
 * patchable.c - whether an address can carry a patch (a trap or a jump):
 * mapped, executable, not inside snare's own out-of-line slots, and the
 * start of an instruction of the function it lies in.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "code/library.h"
#include "traps/traps.h"

/*
 * Instruction starts already found by decoding, for the breakpoints set
 * at the same places again and again (finish out of a recursion, next
 * over a loop's lines: each sets its internal breakpoints anew, and the
 * decoding from the function's start took a third of a finish). Direct
 * mapped; emptied whenever code goes away or is rewritten (a library
 * closed, a JIT region replaced), so an address never outlives the
 * bytes it was found in. Under the global lock.
 */
enum { KNOWN_STARTS = 256 };
static uint64_t known_starts[KNOWN_STARTS];

static uint64_t *known_slot(uint64_t addr) {
  return &known_starts[(addr ^ (addr >> 8)) % KNOWN_STARTS];
}

/* `rewritten` is told under the global lock, the others without it. */
static void rewritten(uint64_t start, uint64_t size) {
  (void)start;
  (void)size;
  memset(known_starts, 0, sizeof known_starts);
}

static void gone(uint64_t start, uint64_t size) {
  snare_os_global_lock();
  rewritten(start, size);
  snare_os_global_unlock();
}

SNARE_AT_LOAD static void watch_code(void) {
  static const snare_code_watcher watcher = {
      .removed = gone, .rewritten = rewritten, .unmapped = gone};
  snare_code_watch(&watcher);
}

/* Refuses a breakpoint that would split an instruction of a known
   function, decoding from the function's start. */
static snare_status check_boundary(uint64_t addr) {
  uint64_t start, size;
  if (!snare_code_function_containing(addr, &start, &size, NULL) ||
      addr == start || *known_slot(addr) == addr)
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
  if (status == SNARE_OK)
    *known_slot(addr) = addr;
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

