/*
 * conditions.c - breakpoints' and watchpoints' conditions that run on
 * the thread that hit them (an attached thread's Lua condition may wait
 * long for the Lua turn) and the records that must outlive their clear
 * meanwhile: a cleared record whose condition some thread still runs
 * waits on the late list, its condition data unreleased, until the last
 * returns.
 *
 * The protocol, sequentially consistent: a condition's thread counts
 * itself in (evaluating), then looks at cleared; a clear sets cleared,
 * then looks at the count. So either the thread sees the record cleared
 * (and neither runs the condition nor stops) or the clear sees it
 * counted (and the record goes late).
 */
#include "session/session.h"

/* Under the global lock. */
static snare_condition_guard *late;

bool snare_condition_says_stop(snare_frame *frame, snare_condition_fn fn,
                               void *data) {
  snare_condition_guard *guard = frame->guard;
  snare_thread *thread = frame->thread;
  atomic_fetch_add(&guard->evaluating, 1);
  bool stop = false;
  if (!atomic_load(&guard->cleared)) {
    /* Relaxed: in_callback is read only by its own thread (the code fn
       calls, and signal handlers interrupting it there), which sees its
       own writes in program order; no other thread needs to see it at
       a given moment. A sequentially consistent store is a locked xchg
       on x86-64, two per hit. The count above and below stays a
       read-modify-write: threads hitting the record at once share it,
       and the clear's protocol needs its order. */
    atomic_store_explicit(&thread->in_callback, true, memory_order_relaxed);
    thread->context = frame->context;
    stop = fn(frame, data);
    thread->context = NULL;
    atomic_store_explicit(&thread->in_callback, false, memory_order_relaxed);
    stop = stop && !atomic_load(&guard->cleared);
  }
  /* the record stays readable after: this handler still counts as
     dispatching, which keeps retired records from being freed */
  atomic_fetch_sub(&guard->evaluating, 1);
  return stop;
}

static void release_and_retire(const snare_condition_guard *guard) {
  if (guard->release != NULL)
    guard->release(guard->condition_data);
  snare_retire(guard->record); /* freed once no handler can hold it */
}

void snare_condition_clear(snare_condition_guard *guard,
                           struct snare_session *session,
                           void (*release)(void *), void *condition_data,
                           void *record) {
  guard->session = session;
  guard->release = release;
  guard->condition_data = condition_data;
  guard->record = record;
  atomic_store(&guard->cleared, true);
  if (atomic_load(&guard->evaluating) == 0) {
    release_and_retire(guard);
    return;
  }
  guard->next_late = late;
  late = guard;
}

void snare_conditions_reclaim(void) {
  for (snare_condition_guard **at = &late; *at != NULL;) {
    snare_condition_guard *guard = *at;
    if (atomic_load(&guard->evaluating) == 0) {
      *at = guard->next_late;
      release_and_retire(guard);
    } else {
      at = &guard->next_late;
    }
  }
  snare_reclaim();
}

static bool has_late(const struct snare_session *session) {
  for (const snare_condition_guard *g = late; g != NULL; g = g->next_late)
    if (g->session == session)
      return true;
  return false;
}

void snare_conditions_await(struct snare_session *session) {
  snare_conditions_reclaim();
  while (has_late(session)) {
    snare_os_global_unlock(); /* a condition may take it */
    snare_os_thread_yield();
    snare_os_global_lock();
    snare_conditions_reclaim();
  }
}

bool snare_frame_cleared(const snare_frame *frame) {
  return frame != NULL && frame->guard != NULL &&
         atomic_load(&frame->guard->cleared);
}
