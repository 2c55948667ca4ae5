/*
 * native_conditions.c - a breakpoint's native condition program, as the
 * session keeps it. It only ever rejects: a hit the program finds false
 * resumes without the condition, anything else (true, an unreadable
 * pointer, a division by zero, a read the compiled variables do not
 * take) goes to the condition, which decides (and reports an error)
 * exactly as without it. The programs are judged by frames/ (it reads
 * the frame's variables), which registers its judge at load.
 */
#include "session/session.h"

static snare_native_judge judge; /* set at load, before any hit */

void snare_native_judge_register(snare_native_judge fn) {
  judge = fn;
}

snare_native_verdict snare_native_condition_judge(snare_breakpoint *bp,
                                                  const snare_frame *frame,
                                                  bool vector_free) {
  snare_native_condition *native = bp->native;
  if (judge == NULL || native == NULL ||
      atomic_load(&native->state) != SNARE_NATIVE_READY)
    return SNARE_NATIVE_UNDECIDED;
  return judge(bp, frame, vector_free);
}

void snare_native_condition_count(snare_breakpoint *bp) {
  atomic_fetch_add(&bp->native->rejected, 1);
}

void snare_native_condition_drop(snare_breakpoint *bp) {
  if (bp->native != NULL)
    atomic_store(&bp->native->state, SNARE_NATIVE_DROPPED);
}
