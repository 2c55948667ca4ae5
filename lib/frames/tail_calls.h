/*
 * tail_calls.h - gdb 13's tail-call frames (dwarf2/frame-tailcall.c,
 * call_site_find_chain in dwarf2/loc.c): between a caller and the callee
 * running below it, the functions that were left by a tail call, found
 * from the call sites DWARF describes. Implemented in tail_calls.c.
 */
#ifndef SNARE_FRAMES_TAIL_CALLS_H
#define SNARE_FRAMES_TAIL_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debuginfo/call_sites.h"
#include "internal/hidden.h"

/* At most this many tail-call frames stand between two real frames. */
#define SNARE_TAIL_CALLS_MAX 16

/* What the search asks of the program's code (the open libraries and
   their DWARF in snare_tail_call_frames; a made-up graph in tests). */
typedef struct snare_call_graph {
  /* The call site returning to ret: false if DWARF describes none. */
  bool (*site_at)(void *ctx, uint64_t ret, snare_call_site *out);
  /* The tail calls of the function entered at entry (up to cap, their
     number in *count): false when no function with DWARF starts there. */
  bool (*tail_calls)(void *ctx, uint64_t entry, snare_call_site *out,
                     size_t cap, size_t *count);
  /* A function symbol's address, for a call of a declaration. */
  bool (*symbol)(void *ctx, const char *name, uint64_t *addr);
  void *ctx;
} snare_call_graph;

/*
 * gdb's chain search: from the call site the caller returns to (ret),
 * through the tail calls of each function it may have called, to the
 * function entered at callee. Every path that reaches callee is a
 * candidate; the frames are the tail call sites all candidates share,
 * from the caller's side and from the callee's side. A target that
 * cannot be resolved without registers (an indirect call), a target
 * that is no function with DWARF, or no shared site at all means no
 * frames, as for gdb. Writes the return pcs of the sites to show,
 * innermost (the callee's side) first, and returns how many (at most
 * SNARE_TAIL_CALLS_MAX; 0 for a direct call).
 */
SNARE_HIDDEN size_t snare_tail_call_chain(const snare_call_graph *graph,
                                          uint64_t ret, uint64_t callee,
                                          uint64_t *out);

/*
 * gdb's func_verify_no_selftailcall: whether the function entered at
 * entry can never reach itself again through tail calls. A tail call
 * whose target cannot be told, or is no function with DWARF, may be
 * such a path, so it answers false too.
 */
SNARE_HIDDEN bool snare_tail_calls_never_reenter(const snare_call_graph *graph,
                                                 uint64_t entry);
/* The same over the open libraries. */
SNARE_HIDDEN bool snare_no_self_tail_call(uint64_t entry);

/* The chain over the open libraries: between the frame returning to
   ret and the callee whose frame's lookup pc is pc. */
SNARE_HIDDEN size_t snare_tail_call_frames(uint64_t ret, uint64_t pc,
                                           uint64_t *out);

#endif
