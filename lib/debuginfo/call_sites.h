/*
 * call_sites.h - the call sites of one object's DWARF (DW_TAG_call_site,
 * GCC's DW_TAG_GNU_call_site), as gdb 13 reads them for its tail-call
 * frames: the call site a return address belongs to, what it calls, and
 * the tail calls a function makes. Implemented in call_sites.c; used by
 * lib/frames/tail_calls.c. Addresses are run-time addresses.
 */
#ifndef SNARE_DEBUGINFO_CALL_SITES_H
#define SNARE_DEBUGINFO_CALL_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "debuginfo/debuginfo.h"

/* At most this many entries of one callee are kept (a function split in
   hot and cold parts has one per part). */
#define SNARE_CALL_TARGETS_MAX 4

typedef struct snare_call_site {
  uint64_t return_pc; /* DW_AT_call_return_pc: after the call or jump */
  /* What it calls, as gdb resolves it without a frame: the entries of
     a function defined in the object (target_count of them), or the
     symbol a declaration names (target_name, owned by the handle).
     Neither: an indirect call, or one DWARF does not say the target of,
     which gdb cannot follow. */
  uint64_t targets[SNARE_CALL_TARGETS_MAX];
  size_t target_count;
  const char *target_name;
} snare_call_site;

/* The call site returning to ret, in the function holding ret - 1.
   NOT_FOUND. */
SNARE_HIDDEN snare_status snare_debuginfo_call_site(const snare_debuginfo *di,
                                                    uint64_t ret,
                                                    snare_call_site *out);

/*
 * The tail calls (DW_AT_call_tail_call sites) of the function entered at
 * entry, inlined calls in it included: writes up to cap, stores how many
 * there are in *count. A function whose DWARF does not claim to list all
 * its calls (DW_AT_call_all_calls or its kin) has none, as for gdb: its
 * list may be incomplete. NOT_FOUND when no function of the object
 * starts exactly at entry.
 */
SNARE_HIDDEN snare_status
snare_debuginfo_tail_calls(const snare_debuginfo *di, uint64_t entry,
                           snare_call_site *out, size_t cap, size_t *count);

/* The entry of the out-of-line function holding addr (inlined calls
   belong to their host). NOT_FOUND. */
SNARE_HIDDEN snare_status snare_debuginfo_host_entry(const snare_debuginfo *di,
                                                     uint64_t addr,
                                                     uint64_t *entry);

#endif
