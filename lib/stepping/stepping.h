/*
 * stepping.h - what the line stepper (lib/stepping/stepping.c), the runs to
 * internal breakpoints (lib/stepping/step_calls.c) and the stepped threads
 * (lib/stepping/step_subject.c) share.
 */
#ifndef SNARE_INTERNAL_STEPPING_H
#define SNARE_INTERNAL_STEPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/session.h"
#include "internal/hidden.h"
#include "snare.h"

/*
 * The thread a step drives: the session's worker, resumed with
 * snare_resume, or an attached thread, resumed with snare_thread_resume
 * and waited for by its own stops only. `thread->context` is its saved
 * context while it is parked, for unwinding.
 */
typedef struct snare_step_subject snare_step_subject;
struct snare_step_subject {
  snare_session *session;
  snare_thread *thread;
  /* A live register of the parked thread. */
  snare_status (*register_get)(const snare_step_subject *subject,
                               snare_register reg, uint64_t *out);
  /* Resumes it and waits for its next stop, returned in *stop. */
  snare_status (*resume)(const snare_step_subject *subject,
                         snare_resume_mode mode, const uint64_t *new_pc,
                         snare_stop *stop);
};

/*
 * The subject for thread id of session (the worker's id: the worker),
 * which must be parked with a frame (NOT_FOUND, WRONG_STATE). A subject
 * for an attached thread claims its stops (WRONG_STATE if a step has
 * them already) until snare_step_subject_release.
 */
SNARE_HIDDEN snare_status snare_step_subject_get(snare_session *session,
                                                 int id,
                                                 snare_step_subject *out);
SNARE_HIDDEN void snare_step_subject_release(snare_step_subject *subject);

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
 * Puts internal breakpoints (for the subject's thread only) on the
 * targets, continues the subject, and removes them. *reached tells
 * whether it stopped at one of them
 * (the stop then becomes a STEP_DONE stop) or for another reason (a user
 * breakpoint, a signal...: *stop is that stop). Fails, changing nothing,
 * when a breakpoint cannot be set.
 */
SNARE_HIDDEN snare_status snare_step_continue_to(const snare_step_subject *subject,
                                                 const snare_step_target *targets,
                                                 size_t count, snare_stop *stop,
                                                 bool *reached);

/* The parked subject's innermost physical frame: its CFA, and its
   return address (0 when it has no caller; ret may be NULL, which
   unwinds one step less). */
SNARE_HIDDEN snare_status snare_step_frame(const snare_step_subject *subject,
                                           uint64_t *cfa, uint64_t *ret);

/*
 * finish: runs to the return address of frame 0 once that frame is
 * popped, and records the result register in the stop. A frame with no
 * caller runs on to the next stop (the EXIT of the entry).
 */
SNARE_HIDDEN snare_status snare_step_finish(const snare_step_subject *subject,
                                            snare_stop *stop);

/* snare_step and snare_run_to for a subject: checked arguments. */
SNARE_HIDDEN snare_status snare_step_run(const snare_step_subject *subject,
                                         snare_step_mode mode,
                                         const snare_step_policy *policy,
                                         snare_stop *stop);
SNARE_HIDDEN snare_status snare_step_run_to(const snare_step_subject *subject,
                                            const uint64_t *addrs,
                                            size_t count,
                                            snare_run_to_mode mode,
                                            snare_stop *stop);

/* Turns *stop into the stop of a step that ended by itself. */
SNARE_HIDDEN void snare_step_done(snare_stop *stop);

#endif
