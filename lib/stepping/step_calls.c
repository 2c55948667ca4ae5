/*
 * step_calls.c - the parts of stepping that run the stepped thread (the
 * worker or an attached thread, lib/stepping/step_subject.c) at full speed to
 * internal breakpoints: over a call, out of a function (finish), to a
 * location (advance, until).
 */
#include <stdlib.h>

#include <string.h>

#include "session/breakpoints.h"
#include "code/code.h"
#include "session/session.h"
#include "stepping/stepping.h"
#include "internal/unwind.h"

/* Condition of a target: true once the stack pointer is back at or
   above min_sp and the frame is min_cfa's or an outer one, so deeper
   activations (recursion) run through. Runs on the trapped thread. */
static bool in_frame(snare_frame *frame, void *data) {
  const snare_step_target *target = data;
  uint64_t sp;
  if (snare_frame_register_get(frame, SNARE_REG_RSP, &sp) != SNARE_OK ||
      sp < target->min_sp)
    return false;
  if (target->min_cfa == 0)
    return true;
  snare_unwind_frame f;
  size_t n = 0;
  return snare_arch_unwind(frame->context, &f, 1, &n) == SNARE_OK && n == 1 &&
         f.cfa >= target->min_cfa;
}

void snare_step_done(snare_stop *stop) {
  stop->kind = SNARE_STOP_STEP;
  stop->reason = SNARE_REASON_STEP_DONE;
  stop->breakpoint = 0;
  stop->step_frame = SNARE_STEPPED_FRAME_UNKNOWN; /* a line step sets it */
}

static void clear_all(snare_session *session, const int *ids, size_t n) {
  for (size_t i = 0; i < n; i++)
    snare_breakpoint_clear(session, ids[i]);
}

snare_status snare_step_continue_to(const snare_step_subject *subject,
                                    const snare_step_target *targets,
                                    size_t count, snare_stop *stop,
                                    bool *reached) {
  snare_session *session = subject->session;
  int *ids = calloc(count ? count : 1, sizeof *ids);
  if (ids == NULL)
    return SNARE_NO_MEMORY;
  snare_status status = SNARE_OK;
  size_t set = 0;
  for (; set < count && status == SNARE_OK; set++) {
    snare_breakpoint_options opts = {
        .condition = targets[set].min_sp != 0 || targets[set].min_cfa != 0
                         ? in_frame
                         : NULL,
        .condition_data = (void *)&targets[set],
        .thread = subject->thread->id, /* other threads run through */
        .internal = true,
    };
    status = (targets[set].trusted ? snare_breakpoint_set_trusted
                                   : snare_breakpoint_set)(
        session, targets[set].address, &opts, &ids[set]);
  }
  if (status != SNARE_OK) {
    clear_all(session, ids, set - 1);
    free(ids);
    return status;
  }
  status = subject->resume(subject, SNARE_RESUME_CONTINUE, NULL, stop);
  clear_all(session, ids, count);
  *reached = false;
  for (size_t i = 0; status == SNARE_OK && i < count; i++)
    if (stop->kind == SNARE_STOP_BREAKPOINT && stop->breakpoint == ids[i])
      *reached = true;
  free(ids);
  if (*reached)
    snare_step_done(stop);
  return status;
}

snare_status snare_step_frame(const snare_step_subject *subject,
                              uint64_t *cfa, uint64_t *ret) {
  /* frame 1's pc needs no unwinding of frame 1 itself: the CFA alone
     (no ret) takes one step of the unwinder, not two */
  snare_unwind_frame frames[2];
  size_t n = 0;
  snare_status status = snare_arch_unwind(subject->thread->context, frames,
                                          ret != NULL ? 2 : 1, &n);
  if (status != SNARE_OK)
    return status;
  if (n == 0)
    return SNARE_NOT_FOUND;
  *cfa = frames[0].cfa;
  if (ret != NULL)
    *ret = n > 1 ? frames[1].pc : 0;
  return SNARE_OK;
}

/* The worker's entry frame returns into snare's call of it, in no code
   snare knows of the target's: finish runs on to the EXIT stop then,
   which carries the return value too. */
static bool returns_to_snare(const snare_step_subject *subject, uint64_t ret) {
  snare_session *session = subject->session;
  uint64_t pc, start, size;
  return subject->thread == &session->worker &&
         !snare_code_function_containing(ret, &start, &size, NULL) &&
         subject->register_get(subject, SNARE_REG_RIP, &pc) == SNARE_OK &&
         snare_code_function_containing(pc, &start, &size, NULL) &&
         start == session->entry;
}

/* Where the ABI left the finished function's result: xmm0 for a float
   or double (as its DWARF type says), else rax. */
static void take_return_value(const snare_step_subject *subject,
                              const snare_function_info *callee,
                              snare_stop *stop) {
  stop->has_return_value = true;
  stop->return_value = stop->registers.value[SNARE_REG_RAX];
  stop->return_kind = callee ? callee->returns : SNARE_RETURNS_UNKNOWN;
  uint8_t xmm0[16];
  if (stop->return_kind != SNARE_RETURNS_FLOAT ||
      !snare_arch_vector_get(subject->thread->context, 0, xmm0))
    return;
  memcpy(&stop->return_value, xmm0, sizeof stop->return_value);
  if (callee->return_size == sizeof(float)) {
    float single;
    memcpy(&single, xmm0, sizeof single);
    stop->return_float = single;
  } else {
    memcpy(&stop->return_float, xmm0, sizeof stop->return_float);
  }
}

snare_status snare_step_finish(const snare_step_subject *subject,
                               snare_stop *stop) {
  uint64_t cfa, ret;
  snare_status status = snare_step_frame(subject, &cfa, &ret);
  if (status != SNARE_OK)
    return status;
  if (ret == 0 || returns_to_snare(subject, ret))
    return subject->resume(subject, SNARE_RESUME_CONTINUE, NULL, stop);
  uint64_t pc;
  snare_function_info callee;
  bool typed = subject->register_get(subject, SNARE_REG_RIP, &pc) == SNARE_OK &&
               snare_function_at(pc, &callee) == SNARE_OK;
  snare_step_target target = {ret, cfa, 0, false};
  bool reached;
  status = snare_step_continue_to(subject, &target, 1, stop, &reached);
  if (status == SNARE_OK && reached)
    take_return_value(subject, typed ? &callee : NULL, stop);
  return status;
}

snare_status snare_step_run_to(const snare_step_subject *subject,
                               const uint64_t *addrs, size_t count,
                               snare_run_to_mode mode, snare_stop *stop) {
  uint64_t cfa, ret;
  snare_status status = snare_step_frame(subject, &cfa, &ret);
  if (status != SNARE_OK)
    return status;
  snare_step_target *targets = calloc(count + 1, sizeof *targets);
  if (targets == NULL)
    return SNARE_NO_MEMORY;
  for (size_t i = 0; i < count; i++)
    targets[i] = (snare_step_target){
        addrs[i], 0, mode == SNARE_RUN_TO_THIS_FRAME ? cfa : 0, false};
  size_t n = count;
  if (ret != 0) /* gdb also stops when the current function returns */
    targets[n++] = (snare_step_target){ret, cfa, 0, false};
  bool reached;
  status = snare_step_continue_to(subject, targets, n, stop, &reached);
  free(targets);
  return status;
}
