/*
 * frame_registers.c - the registers of any frame of a stopped worker or a
 * parked thread, as
 * gdb's `info registers` and `info frame` show them for the selected
 * frame: what the unwinder restored, the rest carried out from the inner
 * frames.
 */
#include <stdlib.h>
#include <string.h>

#include "frames/stack.h"
#include "session/events.h"
#include "session/session.h"

snare_status snare_thread_frame_registers_read(snare_session *session, int id,
                                               size_t frame,
                                               snare_frame_registers *out)
{
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_status st;
  const snare_thread *thread = snare_thread_parked(session, id, &st);
  if (thread == NULL)
    return st;
  size_t index = frame + snare_stack_hidden(thread);
  snare_stack_frame *frames;
  size_t n;
  /* One physical frame more than the source frames asked for: the
     caller's, where this frame's saves are recorded. */
  st = snare_stack_collect(thread->context, index + 2, &frames, &n);
  if (st != SNARE_OK)
    return st;
  if (index >= n) {
    free(frames);
    return SNARE_INVALID_ARGUMENT;
  }
  memset(out, 0, sizeof *out);
  /* Innermost outward: each frame's restored registers replace what the
     frames inside it had; a register no CFI mentions keeps its value. */
  memcpy(out->xmm, frames[0].state.xmm, sizeof out->xmm);
  for (size_t i = 0; i <= index; i++)
    for (int r = 0; r < SNARE_REG_COUNT; r++)
      if (frames[i].state.valid & (1u << r))
        out->value[r] = frames[i].state.regs[r];
  const snare_stack_frame *f = &frames[index];
  out->cfa = f->pub.cfa;
  size_t caller = index + 1;
  while (caller < n && frames[caller].physical == f->physical)
    caller++;
  if (caller < n) {
    out->caller_cfa = frames[caller].pub.cfa;
    memcpy(out->saved_at, frames[caller].saved_at, sizeof out->saved_at);
  }
  if (f->pub.cfa != 0)
    out->saved_at[SNARE_REG_RIP] = f->pub.cfa - 8;
  for (size_t i = index; i-- > 0;)
    if (frames[i].physical != f->physical) {
      out->callee_cfa = frames[i].pub.cfa;
      break;
    }
  free(frames);
  return SNARE_OK;
}

snare_status snare_frame_registers_read(snare_session *session, size_t frame,
                                        snare_frame_registers *out)
{
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  return snare_thread_frame_registers_read(session, session->worker.id, frame,
                                           out);
}
