/*
 * thread_regs.c - registers of a parked thread of a session (an attached
 * thread stopped at an event, or the stopped worker), read and written
 * in its saved context.
 */
#include "session/events.h"

/* The context of thread id if it is parked with a frame. */
static void *parked_context(snare_session *session, int id,
                            snare_status *status) {
  snare_thread *thread = snare_thread_parked(session, id, status);
  if (thread == NULL)
    return NULL;
  *status = SNARE_OK;
  return thread->context;
}

snare_status snare_thread_register_get(snare_session *session, int id,
                                       snare_register reg, uint64_t *out) {
  if (session == NULL || out == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  snare_status status;
  void *context = parked_context(session, id, &status);
  if (context != NULL)
    *out = snare_arch_register_get(context, reg);
  return status;
}

snare_status snare_thread_register_set(snare_session *session, int id,
                                       snare_register reg, uint64_t value) {
  if (session == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  snare_status status;
  void *context = parked_context(session, id, &status);
  if (context != NULL)
    snare_arch_register_set(context, reg, value);
  return status;
}

snare_status snare_thread_vector_register_get(snare_session *session, int id,
                                              unsigned index,
                                              uint8_t out[16]) {
  if (session == NULL || out == NULL || index > 15)
    return SNARE_INVALID_ARGUMENT;
  snare_status status;
  void *context = parked_context(session, id, &status);
  if (context == NULL)
    return status;
  return snare_arch_vector_get(context, index, out) ? SNARE_OK
                                                    : SNARE_UNSUPPORTED;
}

snare_status snare_thread_machine_state_read(snare_session *session, int id,
                                             snare_machine_state *out) {
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_status status;
  snare_thread *thread = snare_thread_parked(session, id, &status);
  if (thread == NULL)
    return status;
  snare_arch_machine_state(thread->context, out);
  out->fs_base = snare_os_thread_pointer(thread->os_self);
  return SNARE_OK;
}
