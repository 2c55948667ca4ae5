/*
 * unwind_entries.h - the functions an object's unwind table (.eh_frame)
 * describes, for objects whose symbol tables were stripped: every FDE
 * covers one piece of code, and the pieces entered by a call are the
 * functions. Implemented in lib/code/unwind_entries.c over libdwarf.
 */
#ifndef SNARE_CODE_UNWIND_ENTRIES_H
#define SNARE_CODE_UNWIND_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

typedef struct snare_unwind_range {
  uint64_t start; /* link-time address of the FDE's initial location */
  uint64_t size;
  /* Entered by a call: the frame at start is the one its CIE gives every
     function's entry. False for the other pieces: a function's split-off
     cold part (entered by a jump, inside someone else's frame), PLT
     stubs, and the outermost frame (_start), whose return address is
     undefined because nothing called it. */
  bool entry;
} snare_unwind_range;

/*
 * Reads the FDEs of the .eh_frame of the ELF file at path into *out (to
 * free()), sorted by start. An object without a readable unwind table
 * yields none and SNARE_OK; only NO_MEMORY fails.
 */
SNARE_HIDDEN snare_status snare_unwind_ranges_read(const char *path,
                                                   snare_unwind_range **out,
                                                   size_t *count);

#endif
