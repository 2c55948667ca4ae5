/*
 * native_programs.c - the native condition program of a breakpoint (the
 * Lua evaluator lowers a C condition at its first hit there): given by
 * the condition at a hit, then judged before the condition at every
 * later hit, on the thread that hit it, through the compiled reads of
 * its variables. session/ asks the judge it registers here at load: a
 * breakpoint's bookkeeping lies below the frames its program reads.
 */
#include <string.h>

#include "frames/condition_program.h"
#include "frames/frame_compiled_variables.h"
#include "session/session.h"

snare_status snare_frame_condition_program_set(const snare_frame *frame,
                                               const snare_condition_program *p) {
  if (frame == NULL || !snare_condition_program_valid(p))
    return SNARE_INVALID_ARGUMENT; /* checked here once, not at every hit */
  snare_breakpoint *bp = frame->record;
  snare_native_condition *native = bp ? atomic_load(&bp->native) : NULL;
  if (native == NULL)
    return SNARE_UNSUPPORTED;
  int state = SNARE_NATIVE_FREE;
  if (!atomic_compare_exchange_strong(&native->state, &state,
                                      SNARE_NATIVE_BUSY))
    return SNARE_EXISTS;
  memcpy(&native->program, p, sizeof *p);
  state = SNARE_NATIVE_BUSY; /* unless the controller dropped it meanwhile */
  atomic_compare_exchange_strong(&native->state, &state, SNARE_NATIVE_READY);
  return SNARE_OK;
}

typedef struct hit {
  snare_native_condition *native;
  const snare_frame *frame;
  bool vector_free; /* only slots already found: no name lookup */
  bool unread;      /* a slot not found yet was needed */
} hit;

/* A variable of the breakpoint's program through its slot, found at the
   first read (by name: the C library's string functions) and kept. */
static snare_status slot_variable(void *data, const char *name, size_t index,
                                  uint64_t *out) {
  hit *h = data;
  const snare_breakpoint_variable *slot =
      atomic_load(&h->native->slots[index]);
  if (slot == NULL) {
    if (h->vector_free) {
      h->unread = true;
      return SNARE_UNSUPPORTED;
    }
    slot = snare_frame_variable_slot(h->frame, name);
    if (slot == NULL)
      return SNARE_UNSUPPORTED;
    atomic_store(&h->native->slots[index], slot);
  }
  snare_value v;
  return snare_variable_program_run(&slot->program, h->frame->context, &v) &&
                 snare_condition_word(&v, out)
             ? SNARE_OK
             : SNARE_UNSUPPORTED;
}

/* What program `native`, run in frame, says of this hit. */
static snare_native_verdict program_verdict(snare_native_condition *native,
                                            const snare_frame *frame,
                                            bool vector_free) {
  uint64_t value;
  hit h = {native, frame, vector_free, false};
  if (snare_condition_program_eval(&native->program, slot_variable, &h,
                                   &value, NULL) == SNARE_OK)
    return value == 0 ? SNARE_NATIVE_FALSE : SNARE_NATIVE_UNDECIDED;
  return h.unread ? SNARE_NATIVE_UNJUDGED : SNARE_NATIVE_UNDECIDED;
}

SNARE_AT_LOAD static void register_judge(void) {
  snare_native_judge_register(program_verdict);
}
