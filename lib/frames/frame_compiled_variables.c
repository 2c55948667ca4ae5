/*
 * frame_compiled_variables.c - snare_frame_variable_scalar: a condition's
 * variable reads through programs compiled once per breakpoint and name
 * (lib/debuginfo/compiled_variable.c). The breakpoint record keeps them
 * in a few fixed slots: a slot is taken by one thread (compare and swap),
 * filled, then published by its state, so threads hitting the breakpoint
 * at once never lock and never see a half-written program.
 */
#include <stdlib.h>
#include <string.h>

#include "frames/frame_compiled_variables.h"
#include "frames/stack.h"
#include "session/session.h"

/* Compiles name into slot for the frame at context; its final state. */
static int compile_into(snare_breakpoint_variable *slot, const char *name,
                        const void *context) {
  strcpy(slot->name, name);
  snare_stack_frame *frames = NULL;
  size_t n = 0;
  snare_status st = snare_stack_collect(context, 1, &frames, &n);
  if (st == SNARE_OK &&
      (n == 0 || frames[0].di == NULL || frames[0].scope < 0))
    st = SNARE_NOT_FOUND;
  if (st == SNARE_OK)
    st = snare_variable_compile(frames[0].di, frames[0].scope,
                                &frames[0].state, name, &slot->program);
  free(frames);
  return st == SNARE_OK ? SNARE_COMPILED_READY : SNARE_COMPILED_REFUSED;
}

/* The slot holding name's program, compiled now if a slot is free;
   NULL when there is none (yet). */
static const snare_breakpoint_variable *
program_for(snare_breakpoint *bp, const char *name, const void *context) {
  for (size_t i = 0; i < bp->variable_slots; i++) {
    snare_breakpoint_variable *slot = &bp->variables[i];
    int state = atomic_load(&slot->state);
    if (state == SNARE_COMPILED_FREE &&
        atomic_compare_exchange_strong(&slot->state, &state,
                                       SNARE_COMPILED_BUSY)) {
      atomic_store(&slot->state, compile_into(slot, name, context));
      state = atomic_load(&slot->state);
    }
    if (state == SNARE_COMPILED_BUSY)
      continue; /* another thread's, not readable yet */
    if (strcmp(slot->name, name) == 0)
      return state == SNARE_COMPILED_READY ? slot : NULL;
  }
  return NULL;
}

const snare_breakpoint_variable *
snare_frame_variable_slot(const snare_frame *frame, const char *name) {
  snare_breakpoint *bp = frame->record;
  if (bp == NULL || strlen(name) >= sizeof bp->variables->name)
    return NULL;
  return program_for(bp, name, frame->context);
}

snare_status snare_frame_variable_scalar(const snare_frame *frame,
                                         const char *name, snare_value *out) {
  if (frame == NULL || name == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  memset(out, 0, sizeof *out);
  const snare_breakpoint_variable *slot = snare_frame_variable_slot(frame, name);
  return slot != NULL &&
                 snare_variable_program_run(&slot->program, frame->context, out)
             ? SNARE_OK
             : SNARE_UNSUPPORTED;
}
