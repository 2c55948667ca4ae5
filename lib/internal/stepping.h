/*
 * stepping.h - what the line stepper (lib/stepping.c) and the runs to
 * internal breakpoints (lib/step_calls.c) share.
 */
#ifndef SNARE_INTERNAL_STEPPING_H
#define SNARE_INTERNAL_STEPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* A place to run to: stop there only when rsp >= min_sp and the CFA of
   the frame reaching it >= min_cfa (0: no such condition). trusted: a
   known instruction start in code (the breakpoint skips the checks). */
typedef struct snare_step_target {
  uint64_t address;
  uint64_t min_sp;
  uint64_t min_cfa;
  bool trusted;
} snare_step_target;

/*
 * Puts internal breakpoints on the targets, continues the worker, and
 * removes them. *reached tells whether the worker stopped at one of them
 * (the stop then becomes a STEP_DONE stop) or for another reason (a user
 * breakpoint, a signal...: *stop is that stop). Fails, changing nothing,
 * when a breakpoint cannot be set.
 */
SNARE_HIDDEN snare_status snare_step_continue_to(snare_session *session,
                                                 const snare_step_target *targets,
                                                 size_t count, snare_stop *stop,
                                                 bool *reached);

/* The stopped worker's innermost physical frame: its CFA, and its return
   address (0 when it has no caller). */
SNARE_HIDDEN snare_status snare_step_frame(snare_session *session,
                                           uint64_t *cfa, uint64_t *ret);

/*
 * finish: runs to the return address of frame 0 once that frame is
 * popped, and records the result register in the stop. A frame with no
 * caller runs on to the next stop (the EXIT of the entry).
 */
SNARE_HIDDEN snare_status snare_step_finish(snare_session *session,
                                            snare_stop *stop);

/* Turns *stop into the stop of a step that ended by itself. */
SNARE_HIDDEN void snare_step_done(snare_stop *stop);

#endif
