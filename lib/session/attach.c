/*
 * attach.c - threads that attach themselves to a session, and the
 * per-thread controls of libjit's debugger: breakable, alive, running,
 * resume, break. A session's worker is the first of its threads; the
 * others are kept in the session's `attached` list, whose records live
 * until the session is freed, so a pointer found under threads_lock stays
 * valid after it is released.
 */
#include <stdlib.h>

#include "session/events.h"
#include "watchpoints/watchpoints.h"

/* Thread `id` of the session (its worker or an attached one), or NULL. */
static snare_thread *find(snare_session *session, int id) {
  if (id == session->worker.id)
    return &session->worker;
  snare_thread *found = NULL;
  snare_os_lock_acquire(session->threads_lock);
  for (size_t i = 0; i < session->attached_count && found == NULL; i++)
    if (session->attached[i]->id == id)
      found = session->attached[i];
  snare_os_lock_release(session->threads_lock);
  return found;
}

static bool list_add(snare_session *session, snare_thread *thread) {
  bool ok = true;
  snare_os_lock_acquire(session->threads_lock);
  if (session->attached_count == session->attached_capacity) {
    size_t capacity =
        session->attached_capacity ? session->attached_capacity * 2 : 8;
    snare_thread **grown =
        realloc(session->attached, capacity * sizeof *grown);
    ok = grown != NULL;
    if (ok) {
      session->attached = grown;
      session->attached_capacity = capacity;
    }
  }
  if (ok)
    session->attached[session->attached_count++] = thread;
  snare_os_lock_release(session->threads_lock);
  return ok;
}

static void record_free(snare_thread *thread) {
  if (thread->step_slot != 0) { /* (the thread is gone: not in its slot) */
    snare_os_global_lock();
    snare_worker_step_slot_release(thread);
    snare_os_global_unlock();
  }
  snare_os_event_free(thread->resume_event);
  snare_os_event_free(thread->step_event);
  free(thread);
}

/* A new thread record in session for the thread os_self, in `state`,
   numbered and known to the threads subsystem. Once it is on the
   session's list the record belongs to the session, even on failure. */
static snare_status add_record(snare_session *session, uintptr_t os_self,
                               uint64_t stack_low, snare_thread_state state,
                               snare_thread **out) {
  snare_thread *thread = calloc(1, sizeof *thread);
  if (thread == NULL)
    return SNARE_NO_MEMORY;
  snare_status status = snare_os_event_new(&thread->resume_event);
  if (status == SNARE_OK)
    status = snare_os_event_new(&thread->step_event);
  if (status != SNARE_OK) {
    record_free(thread);
    return status;
  }
  thread->session = session;
  thread->os_self = os_self;
  thread->stack_low = stack_low;
  atomic_init(&thread->state, state);
  atomic_init(&thread->breakable, true);
  atomic_init(&thread->alive, true);
  if (!list_add(session, thread)) {
    record_free(thread);
    return SNARE_NO_MEMORY;
  }
  thread->id = snare_threads_next_id();
  if (!snare_threads_add(thread)) {
    atomic_store(&thread->alive, false);
    return SNARE_NO_MEMORY;
  }
  *out = thread;
  return SNARE_OK;
}

snare_status snare_thread_attach(snare_session *session, bool stop_immediately,
                                 int *id) {
  if (session == NULL || id == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (snare_threads_current() != NULL)
    return SNARE_EXISTS;
  snare_thread *thread;
  /* not stoppable until it is RUNNING (or STOPPED, below) */
  snare_status status =
      add_record(session, snare_os_thread_self(), snare_os_stack_low(),
                 SNARE_THREAD_IDLE, &thread);
  if (status != SNARE_OK)
    return status;
  thread->alt_stack = snare_os_altstack_ensure();
  snare_watch_thread_started(thread);
  *id = thread->id;
  if (stop_immediately)
    atomic_store(&thread->state, SNARE_THREAD_STOPPED);
  snare_events_post(session, SNARE_EVENT_ATTACH, thread->id, stop_immediately);
  if (stop_immediately)
    snare_os_event_wait(thread->resume_event); /* resume made it RUNNING */
  else
    atomic_store(&thread->state, SNARE_THREAD_RUNNING);
  return SNARE_OK;
}

snare_status snare_thread_adopt(snare_session *session, uintptr_t native,
                                uint64_t stack_low, int tid, int *id) {
  if (session == NULL || id == NULL || native == 0)
    return SNARE_INVALID_ARGUMENT;
  if (snare_thread_from_native(session, native) != 0)
    return SNARE_EXISTS;
  snare_thread *thread;
  snare_status status =
      add_record(session, native, stack_low, SNARE_THREAD_RUNNING, &thread);
  if (status != SNARE_OK)
    return status;
  if (tid > 0) /* the watchpoints set already, and later ones, arm there */
    snare_watch_thread_known(thread, tid);
  *id = thread->id;
  snare_events_post(session, SNARE_EVENT_ATTACH, thread->id, 0);
  return SNARE_OK;
}

snare_status snare_thread_detach(snare_session *session) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_thread *thread = snare_threads_current();
  if (thread == NULL || thread->session != session ||
      thread == &session->worker)
    return SNARE_NOT_FOUND;
  atomic_store(&thread->state, SNARE_THREAD_IDLE);
  snare_watch_thread_ended(thread);
  snare_threads_remove(thread);
  snare_events_post(session, SNARE_EVENT_DETACH, thread->id, 0);
  snare_os_altstack_release(thread->alt_stack);
  thread->alt_stack = NULL;
  atomic_store(&thread->alive, false);
  /* A step waiting for this thread's next stop would wait forever. */
  if (atomic_load(&thread->stepped))
    snare_os_event_signal(thread->step_event);
  return SNARE_OK;
}

/* A live thread of the session by id, 0 meaning the calling thread. */
static snare_thread *find_live(snare_session *session, int id) {
  snare_thread *thread = NULL;
  if (id != 0) {
    thread = find(session, id);
  } else {
    thread = snare_threads_current();
    if (thread != NULL && thread->session != session)
      thread = NULL;
  }
  return thread != NULL && atomic_load(&thread->alive) ? thread : NULL;
}

snare_thread *snare_thread_parked(snare_session *session, int id,
                                  snare_status *why) {
  snare_thread *thread = id > 0 ? find_live(session, id) : NULL;
  *why = SNARE_NOT_FOUND;
  if (thread == NULL)
    return NULL;
  *why = SNARE_WRONG_STATE;
  if (thread == &session->worker)
    return snare_session_stopped(session) ? thread : NULL;
  return atomic_load(&thread->state) == SNARE_THREAD_STOPPED &&
                 thread->context != NULL
             ? thread
             : NULL;
}

snare_status snare_thread_set_breakable(snare_session *session, int id,
                                        bool breakable) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_thread *thread = find_live(session, id);
  if (thread == NULL)
    return SNARE_NOT_FOUND;
  atomic_store(&thread->breakable, breakable);
  return SNARE_OK;
}

bool snare_thread_is_alive(snare_session *session, int id) {
  return session != NULL && id != 0 && find_live(session, id) != NULL;
}

bool snare_thread_is_running(snare_session *session, int id) {
  snare_thread *thread =
      session != NULL && id != 0 ? find_live(session, id) : NULL;
  return thread != NULL &&
         atomic_load(&thread->state) == SNARE_THREAD_RUNNING;
}

size_t snare_thread_list(snare_session *session, int *ids, size_t cap) {
  if (session == NULL)
    return 0;
  size_t count = 0;
  if (ids != NULL && cap > 0)
    ids[0] = session->worker.id;
  count++;
  snare_os_lock_acquire(session->threads_lock);
  for (size_t i = 0; i < session->attached_count; i++) {
    snare_thread *thread = session->attached[i];
    if (!atomic_load(&thread->alive))
      continue;
    if (ids != NULL && count < cap)
      ids[count] = thread->id;
    count++;
  }
  snare_os_lock_release(session->threads_lock);
  return count;
}

/* Checks a resume of a parked attached thread; under threads_lock. */
static snare_status check_resume(const snare_thread *thread,
                                 snare_resume_mode mode,
                                 const uint64_t *new_pc) {
  if (atomic_load(&thread->state) != SNARE_THREAD_STOPPED)
    return SNARE_WRONG_STATE;
  if (thread->context == NULL) /* parked by attach: no frame to change */
    return mode == SNARE_RESUME_CONTINUE && new_pc == NULL ? SNARE_OK
                                                           : SNARE_WRONG_STATE;
  /* abort() would re-raise on return and kill the process. */
  if (new_pc == NULL && thread->stop.reason == SNARE_REASON_ABORT)
    return SNARE_WRONG_STATE;
  return new_pc != NULL ? snare_session_check_code(*new_pc) : SNARE_OK;
}

snare_status snare_thread_resume(snare_session *session, int id,
                                 snare_resume_mode mode,
                                 const uint64_t *new_pc) {
  if (session == NULL || (unsigned)mode >= SNARE_RESUME_ABORT)
    return SNARE_INVALID_ARGUMENT;
  snare_thread *thread = id > 0 ? find_live(session, id) : NULL;
  if (thread == NULL)
    return SNARE_NOT_FOUND;
  if (thread == &session->worker)
    return SNARE_WRONG_STATE;
  if (mode == SNARE_RESUME_STEP_INSTRUCTION &&
      atomic_load(&thread->state) == SNARE_THREAD_STOPPED)
    snare_worker_step_slot_for(thread, new_pc);
  /* The lock makes the check and the hand-over one step against other
     resumers of the same thread. */
  snare_os_lock_acquire(session->threads_lock);
  snare_status status = check_resume(thread, mode, new_pc);
  if (status == SNARE_OK) {
    thread->resume_mode = mode;
    thread->resume_has_pc = new_pc != NULL;
    thread->resume_pc = new_pc != NULL ? *new_pc : 0;
    atomic_store(&thread->state, SNARE_THREAD_RUNNING);
    snare_os_event_signal(thread->resume_event);
  }
  snare_os_lock_release(session->threads_lock);
  return status;
}

snare_status snare_thread_break(snare_session *session, int id) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_thread *thread = id > 0 ? find_live(session, id) : NULL;
  if (thread == NULL)
    return SNARE_NOT_FOUND;
  if (thread == &session->worker)
    return snare_interrupt(session);
  if (atomic_load(&thread->state) != SNARE_THREAD_RUNNING)
    return SNARE_WRONG_STATE;
  atomic_store(&thread->interrupt_requested, true);
  return snare_os_thread_signal(thread->os_self);
}

void snare_attached_release(snare_session *session) {
  for (size_t i = 0; i < session->attached_count; i++) {
    snare_thread *thread = session->attached[i];
    if (!atomic_load(&thread->alive)) {
      record_free(thread);
      continue;
    }
    snare_watch_thread_ended(thread);
    snare_threads_remove(thread);
    snare_thread_resume(session, thread->id, SNARE_RESUME_CONTINUE, NULL);
  }
  free(session->attached);
}

int snare_thread_self(snare_session *session) {
  snare_thread *thread = session ? find_live(session, 0) : NULL;
  return thread ? thread->id : 0;
}

int snare_thread_from_native(snare_session *session, uintptr_t native) {
  if (session == NULL)
    return 0;
  if (session->worker.os_self == native && atomic_load(&session->worker.alive))
    return session->worker.id;
  int id = 0;
  snare_os_lock_acquire(session->threads_lock);
  for (size_t i = 0; i < session->attached_count && id == 0; i++)
    if (session->attached[i]->os_self == native &&
        atomic_load(&session->attached[i]->alive))
      id = session->attached[i]->id;
  snare_os_lock_release(session->threads_lock);
  return id;
}

uintptr_t snare_thread_native(snare_session *session, int id) {
  snare_thread *thread =
      session != NULL && id != 0 ? find_live(session, id) : NULL;
  return thread ? thread->os_self : 0;
}
