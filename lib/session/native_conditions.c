/*
 * native_conditions.c - a breakpoint's native condition program, as the
 * session keeps it. It only ever rejects: a hit the program finds false
 * resumes without the condition, anything else (true, an unreadable
 * pointer, a division by zero, a read the compiled variables do not
 * take) goes to the condition, which decides (and reports an error)
 * exactly as without it. The programs are judged by frames/ (it reads
 * the frame's variables), which registers its judge at load. A
 * breakpoint whose condition changes gets a new, empty program (its
 * first lies in its own block; a later one is allocated, and retired
 * when replaced or cleared: a thread may still run it).
 */
#include <stdlib.h>

#include "session/session.h"

static snare_native_judge judge; /* set at load, before any hit */

void snare_native_judge_register(snare_native_judge fn) {
  judge = fn;
}

snare_native_verdict snare_native_condition_judge(snare_breakpoint *bp,
                                                  const snare_frame *frame,
                                                  bool vector_free) {
  snare_native_condition *native = atomic_load(&bp->native);
  if (judge == NULL || native == NULL ||
      atomic_load(&native->state) != SNARE_NATIVE_READY)
    return SNARE_NATIVE_UNDECIDED;
  return judge(native, frame, vector_free);
}

void snare_native_condition_count(snare_breakpoint *bp) {
  atomic_fetch_add(&bp->native_rejected, 1);
}

/* The program set_locked (breakpoint.c) placed after bp's variables. */
static snare_native_condition *first_native(snare_breakpoint *bp) {
  return (snare_native_condition *)(bp->variables + bp->variable_slots);
}

snare_status snare_native_condition_drop(snare_breakpoint *bp) {
  snare_native_condition *old = atomic_load(&bp->native);
  if (old == NULL)
    return SNARE_OK;
  atomic_store(&old->state, SNARE_NATIVE_DROPPED);
  snare_native_condition *fresh = calloc(1, sizeof *fresh); /* FREE */
  if (fresh == NULL)
    return SNARE_NO_MEMORY;
  /* a thread that loaded the old one still reads it: retired, not freed */
  atomic_store(&bp->native, fresh);
  if (old != first_native(bp))
    snare_retire(old);
  return SNARE_OK;
}

void snare_native_condition_release(snare_breakpoint *bp) {
  snare_native_condition *native = atomic_load(&bp->native);
  if (native != NULL && native != first_native(bp))
    snare_retire(native);
}
