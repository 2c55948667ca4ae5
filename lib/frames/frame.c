/* frame.c - the stopped frame a condition callback sees. */
#include "session/session.h"

snare_status snare_frame_register_get(const snare_frame *frame,
                                      snare_register reg, uint64_t *out) {
  if (frame == NULL || out == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  *out = snare_arch_register_get(frame->context, reg);
  return SNARE_OK;
}

snare_status snare_frame_register_set(snare_frame *frame, snare_register reg,
                                      uint64_t value) {
  if (frame == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  snare_arch_register_set(frame->context, reg, value);
  return SNARE_OK;
}

int snare_frame_breakpoint(const snare_frame *frame) {
  return frame ? frame->breakpoint : 0;
}

int snare_frame_thread(const snare_frame *frame) {
  return frame && frame->thread ? frame->thread->id : 0; /* mark hooks run
                                                            on any thread */
}
