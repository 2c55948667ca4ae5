/*
 * step_subject.c - the two threads a step can drive (the session's
 * worker, an attached thread parked at a stop) behind one interface, and
 * the public step functions over them.
 *
 * An attached thread being stepped is marked `stepped` for the whole
 * step: its stops then wake the stepper through the thread's step_event
 * (lib/session/events.c) instead of entering the event queue, so the stepper
 * waits for that thread only, whatever other threads post meanwhile.
 */
#include <string.h>

#include "session/events.h"
#include "stepping/stepping.h"

static snare_status worker_register_get(const snare_step_subject *subject,
                                        snare_register reg, uint64_t *out) {
  return snare_register_get(subject->session, reg, out);
}

static snare_status worker_resume(const snare_step_subject *subject,
                                  snare_resume_mode mode,
                                  const uint64_t *new_pc, snare_stop *stop) {
  return snare_resume(subject->session, mode, new_pc, stop);
}

static snare_status thread_register_get(const snare_step_subject *subject,
                                        snare_register reg, uint64_t *out) {
  *out = snare_arch_register_get(subject->thread->context, reg);
  return SNARE_OK;
}

/* How often a yielding step looks for other threads' stops. */
#define YIELD_POLL_MS 5

/* In a step that yields: another thread stopped since it began. */
static bool another_stop_waits(const snare_session *session) {
  return atomic_load(&session->steps_yield) &&
         atomic_load(&session->stops_queued) !=
             atomic_load(&session->steps_yield_from);
}

/* Waits for the thread's next stop; the session's timeout interrupts a
   thread that runs too long, as it does the worker, and in a step that
   yields (snare_session_set_steps_yield) a stop of another thread
   interrupts it too: the step ends there, as gdb's does. */
static void wait_for_thread(const snare_step_subject *subject) {
  snare_session *session = subject->session;
  snare_thread *thread = subject->thread;
  bool yields = atomic_load(&session->steps_yield);
  if (session->timeout_ms == 0 && !yields) {
    snare_os_event_wait(thread->step_event);
    return;
  }
  unsigned slice = yields ? YIELD_POLL_MS : session->timeout_ms;
  unsigned waited = 0;
  bool asked = false;
  for (;;) {
    if (yields && !asked && another_stop_waits(session)) {
      snare_thread_break(session, thread->id); /* WRONG_STATE: stopping */
      asked = true;
    }
    if (snare_os_event_wait_ms(thread->step_event, slice))
      return;
    waited += slice;
    if (session->timeout_ms != 0 && waited >= session->timeout_ms) {
      snare_thread_break(session, thread->id);
      waited = 0;
    }
  }
}

static snare_status thread_resume(const snare_step_subject *subject,
                                  snare_resume_mode mode,
                                  const uint64_t *new_pc, snare_stop *stop) {
  snare_session *session = subject->session;
  snare_thread *thread = subject->thread;
  if (another_stop_waits(session)) {
    /* Not resumed at all: the step ends where its thread is parked, as
       if a break request had stopped it there (resumed, a thread can run
       far, even to its end, before a request reaches it). */
    *stop = thread->stop;
    stop->kind = SNARE_STOP_INTERRUPT;
    stop->reason = SNARE_REASON_INTERRUPTED;
    stop->breakpoint = 0;
    stop->breakpoint_count = 0;
    stop->has_return_value = false;
    stop->watchpoint = 0;
    return SNARE_OK;
  }
  snare_status status = snare_thread_resume(session, thread->id, mode, new_pc);
  if (status != SNARE_OK)
    return status;
  /* Woken, the thread has stopped, detached or ended the program; a wake
     with none of these (a count a break request left) is waited past. */
  do
    wait_for_thread(subject);
  while (atomic_load(&thread->state) != SNARE_THREAD_STOPPED &&
         atomic_load(&thread->alive) &&
         !atomic_load(&thread->ended_program));
  snare_os_global_lock();
  snare_breakpoints_clear_expired(session);
  snare_reclaim();
  snare_os_global_unlock();
  if (atomic_load(&thread->state) == SNARE_THREAD_STOPPED) {
    *stop = thread->stop;
    return SNARE_OK;
  }
  /* It detached: nothing left to step. */
  memset(stop, 0, sizeof *stop);
  stop->kind = SNARE_STOP_EXIT;
  stop->thread = thread->id;
  return SNARE_OK;
}

snare_status snare_step_subject_get(snare_session *session, int id,
                                    snare_step_subject *out) {
  if (snare_session_in_callback(session))
    return SNARE_IN_CALLBACK;
  snare_status why;
  snare_thread *thread = snare_thread_parked(session, id, &why);
  if (thread == NULL)
    return why;
  bool worker = thread == &session->worker;
  if (!worker && atomic_exchange(&thread->stepped, true))
    return SNARE_WRONG_STATE; /* another step has it */
  *out = (snare_step_subject){
      .session = session,
      .thread = thread,
      .register_get = worker ? worker_register_get : thread_register_get,
      .resume = worker ? worker_resume : thread_resume,
  };
  return SNARE_OK;
}

void snare_step_subject_release(snare_step_subject *subject) {
  if (subject->thread != &subject->session->worker)
    atomic_store(&subject->thread->stepped, false);
}

snare_status snare_session_set_steps_yield(snare_session *session, bool on) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  atomic_store(&session->steps_yield_from,
               atomic_load(&session->stops_queued));
  atomic_store(&session->steps_yield, on);
  return SNARE_OK;
}

static bool valid_step_mode(snare_step_mode mode) {
  return mode == SNARE_STEP_INTO || mode == SNARE_STEP_OVER ||
         mode == SNARE_STEP_OUT;
}

snare_status snare_thread_step(snare_session *session, int id,
                               snare_step_mode mode,
                               const snare_step_policy *policy,
                               snare_stop *stop) {
  if (session == NULL || stop == NULL || !valid_step_mode(mode))
    return SNARE_INVALID_ARGUMENT;
  snare_step_subject subject;
  snare_status status = snare_step_subject_get(session, id, &subject);
  if (status != SNARE_OK)
    return status;
  status = snare_step_run(&subject, mode, policy, stop);
  snare_step_subject_release(&subject);
  return status;
}

snare_status snare_step(snare_session *session, snare_step_mode mode,
                        const snare_step_policy *policy, snare_stop *stop) {
  return snare_thread_step(session, snare_session_thread(session), mode,
                           policy, stop);
}

snare_status snare_thread_run_to(snare_session *session, int id,
                                 const uint64_t *addrs, size_t count,
                                 snare_run_to_mode mode, snare_stop *stop) {
  if (session == NULL || stop == NULL || addrs == NULL || count == 0 ||
      (mode != SNARE_RUN_TO_ANY_FRAME && mode != SNARE_RUN_TO_THIS_FRAME))
    return SNARE_INVALID_ARGUMENT;
  snare_step_subject subject;
  snare_status status = snare_step_subject_get(session, id, &subject);
  if (status != SNARE_OK)
    return status;
  status = snare_step_run_to(&subject, addrs, count, mode, stop);
  snare_step_subject_release(&subject);
  return status;
}

snare_status snare_run_to(snare_session *session, const uint64_t *addrs,
                          size_t count, snare_run_to_mode mode,
                          snare_stop *stop) {
  return snare_thread_run_to(session, snare_session_thread(session), addrs,
                             count, mode, stop);
}
