/*
 * stack.h - the source-level frames of a saved context (lib/frames/stack.c),
 * shared by backtraces and variable access.
 */
#ifndef SNARE_INTERNAL_STACK_H
#define SNARE_INTERNAL_STACK_H

#include <stddef.h>

#include "internal/hidden.h"
#include "debuginfo/variables.h"
#include "threads/threads.h"
#include "snare.h"

/* At most this many physical frames are walked. */
#define SNARE_STACK_MAX_PHYSICAL 256

typedef struct snare_stack_frame {
  snare_backtrace_frame pub;
  snare_frame_state state;    /* registers, CFA and lookup pc */
  const snare_debuginfo *di;  /* NULL: no DWARF for this pc */
  long scope;                 /* for snare_debuginfo_variable_read */
  size_t physical;            /* 0: the frame the context belongs to */
  uint64_t saved_at[SNARE_REG_COUNT]; /* as snare_unwind_frame's */
} snare_stack_frame;

/*
 * Unwinds context (not modified) and expands each physical frame into its
 * source frames, walking at most max_physical physical frames. *out is
 * malloc'd, owned by the caller (free()). Callable on the controller
 * while the context's thread is parked, or on that thread in a callback.
 */
/* How many innermost source frames the thread's stop hides (a step
   stopped at the call site of inlined calls). */
SNARE_HIDDEN size_t snare_stack_hidden(const snare_thread *thread);


SNARE_HIDDEN snare_status snare_stack_collect(const void *context,
                                              size_t max_physical,
                                              snare_stack_frame **out,
                                              size_t *count);

#endif
