/*
 * session.c - sessions: the worker handshake seen from the controller.
 * The controller posts a request (call, resume) and blocks until the
 * worker posts a stop; only then may it look at the worker's registers.
 */
#include <stdlib.h>
#include <string.h>

#include "session/events.h"
#include "session/watchpoints.h"
#include "hooks/hooks.h"
#include "marks/marks.h"

static snare_session **sessions;
static size_t session_count, session_capacity;

void snare_sessions_each(void (*fn)(snare_session *, void *), void *arg) {
  for (size_t i = 0; i < session_count; i++)
    fn(sessions[i], arg);
}

static bool sessions_add(snare_session *session) {
  if (session_count == session_capacity) {
    size_t capacity = session_capacity ? session_capacity * 2 : 8;
    snare_session **grown = realloc(sessions, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    sessions = grown;
    session_capacity = capacity;
  }
  sessions[session_count++] = session;
  snare_traps_use(1);
  return true;
}

static void sessions_remove(snare_session *session) {
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i] == session) {
      sessions[i] = sessions[--session_count];
      snare_traps_use(-1);
      break;
    }
  if (session_count == 0) {
    free(sessions);
    sessions = NULL;
    session_capacity = 0;
    snare_traps_release_if_unused();
  }
}

static void session_release(snare_session *session) {
  if (session->threads_lock != NULL)
    snare_attached_release(session);
  snare_os_lock_free(session->threads_lock);
  snare_events_free(session->events);
  snare_os_event_free(session->stopped_event);
  snare_os_event_free(session->worker.resume_event);
  free(session->breakpoints);
  snare_breakpoint_ids_free(&session->breakpoints_by_id);
  free(session);
}

snare_status snare_session_new(snare_session **out) {
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_session *session = calloc(1, sizeof *session);
  if (session == NULL)
    return SNARE_NO_MEMORY;
  session->worker.session = session;
  session->worker.is_worker = true;
  session->worker.id = snare_threads_next_id();
  atomic_init(&session->worker.breakable, true);
  atomic_init(&session->worker.alive, true);
  snare_status status = snare_os_event_new(&session->stopped_event);
  if (status == SNARE_OK)
    status = snare_os_event_new(&session->worker.resume_event);
  if (status == SNARE_OK)
    status = snare_os_lock_new(&session->threads_lock);
  if (status == SNARE_OK)
    status = snare_events_new(&session->events);
  if (status != SNARE_OK) {
    session_release(session);
    return status;
  }
  snare_os_global_lock();
  status = snare_os_signals_install();
  if (status == SNARE_OK && !sessions_add(session))
    status = SNARE_NO_MEMORY;
  if (status == SNARE_OK) {
    status = snare_os_thread_start(snare_worker_body, session,
                                   &session->os_thread);
    if (status != SNARE_OK)
      sessions_remove(session);
  } else {
    snare_traps_release_if_unused();
  }
  snare_os_global_unlock();
  if (status != SNARE_OK) {
    session_release(session);
    return status;
  }
  *out = session;
  return SNARE_OK;
}

/*
 * Blocks until the worker stops, interrupting it each time another
 * timeout passes; the controller side of every request. Interrupting
 * once and then waiting forever could hang: a worker not yet scheduled
 * into the target when the timeout passes (not RUNNING) gets no signal,
 * and a signal landing where it cannot stop the worker is dropped.
 * An abort is never interrupted: its worker leaves the handler for
 * snare's own code, where a pending interrupt would park it.
 */
static void wait_for_stop(snare_session *session, snare_stop *stop,
                          bool interruptible) {
  snare_thread *worker = &session->worker;
  if (session->timeout_ms == 0 || !interruptible)
    snare_os_event_wait(session->stopped_event);
  else
    while (!snare_os_event_wait_ms(session->stopped_event,
                                   session->timeout_ms))
      if (atomic_load(&worker->state) == SNARE_THREAD_RUNNING) {
        atomic_store(&worker->interrupt_requested, true);
        snare_os_thread_interrupt(session->os_thread);
      }
  /* A late interrupt signal must find nothing to do. */
  atomic_store(&worker->interrupt_requested, false);
  if (worker->stop.kind == SNARE_STOP_EXIT ||
      worker->stop.kind == SNARE_STOP_ABORTED)
    session->in_call = false;
  snare_os_global_lock();
  snare_breakpoints_clear_expired(session);
  snare_watchpoints_settle_stop(session, &worker->stop);
  snare_conditions_reclaim();
  snare_os_global_unlock();
  if (stop != NULL)
    *stop = worker->stop;
}

/*
 * A callback must return before it runs or interrupts a session: a
 * condition or hook on the worker would wait for itself, and one on
 * another thread, or a step policy, would start a run inside the run
 * (or step) that called it.
 */
bool snare_session_in_callback(const snare_session *session) {
  snare_thread *self = snare_threads_current();
  return (self != NULL && atomic_load(&self->in_callback)) ||
         atomic_load(&session->in_policy);
}

snare_status snare_session_check_code(uint64_t addr) {
  if (!snare_os_range_mapped(addr, 1))
    return SNARE_BAD_ADDRESS;
  return snare_os_range_executable(addr, 1) ? SNARE_OK : SNARE_NOT_CODE;
}

/* Runs fn on the idle worker with session->args, or with abi (placed by
   class) when not NULL, and waits for its stop. */
static snare_status start_call(snare_session *session, uint64_t fn,
                               const snare_call_args *abi, snare_stop *stop) {
  if (snare_session_in_callback(session))
    return SNARE_IN_CALLBACK;
  if (session->in_call)
    return SNARE_WRONG_STATE;
  snare_status status = snare_session_check_code(fn);
  if (status != SNARE_OK)
    return status;
  session->entry = fn;
  session->abi_args = abi;
  session->abi_result_valid = false;
  session->in_call = true;
  snare_os_event_signal(session->worker.resume_event);
  wait_for_stop(session, stop, true);
  return SNARE_OK;
}

snare_status snare_call(snare_session *session, uint64_t fn, unsigned nargs,
                        const uint64_t *args, snare_stop *stop) {
  if (session == NULL || stop == NULL || nargs > 8 ||
      (nargs > 0 && args == NULL))
    return SNARE_INVALID_ARGUMENT;
  /* a call in progress read its arguments when it began */
  memset(session->args, 0, sizeof session->args);
  if (nargs > 0)
    memcpy(session->args, args, nargs * sizeof *args);
  return start_call(session, fn, NULL, stop);
}

snare_status snare_call_abi(snare_session *session, uint64_t fn,
                            const snare_call_args *args, snare_stop *stop) {
  if (session == NULL || stop == NULL || args == NULL ||
      args->ret > SNARE_RETURN_SSE_INTEGER)
    return SNARE_INVALID_ARGUMENT;
  return start_call(session, fn, args, stop);
}

snare_status snare_call_result_get(const snare_session *session,
                                   snare_call_result *out) {
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (session->in_call || !session->abi_result_valid)
    return SNARE_WRONG_STATE;
  *out = session->abi_result;
  return SNARE_OK;
}

snare_status snare_call_main(snare_session *session, uint64_t fn, int argc,
                             char **argv, snare_stop *stop) {
  if (argc < 0 || (argc > 0 && argv == NULL))
    return SNARE_INVALID_ARGUMENT;
  uint64_t args[2] = {(uint64_t)(uint32_t)argc, (uint64_t)(uintptr_t)argv};
  return snare_call(session, fn, 2, args, stop);
}

static bool is_stopped(const snare_session *session) {
  return session != NULL && session->in_call &&
         atomic_load(&session->worker.state) == SNARE_THREAD_STOPPED;
}

bool snare_session_stopped(const snare_session *session) {
  return is_stopped(session);
}

int snare_session_thread(const snare_session *session) {
  return session ? session->worker.id : 0;
}

void snare_session_set_timeout(snare_session *session, unsigned timeout_ms) {
  if (session != NULL)
    session->timeout_ms = timeout_ms;
}

snare_status snare_resume(snare_session *session, snare_resume_mode mode,
                          const uint64_t *new_pc, snare_stop *stop) {
  if (session == NULL || (unsigned)mode > SNARE_RESUME_ABORT)
    return SNARE_INVALID_ARGUMENT;
  if (snare_session_in_callback(session))
    return SNARE_IN_CALLBACK;
  if (!is_stopped(session))
    return SNARE_WRONG_STATE;
  snare_thread *worker = &session->worker;
  /* abort() would re-raise on return and kill the process. */
  if (mode != SNARE_RESUME_ABORT && new_pc == NULL &&
      worker->stop.reason == SNARE_REASON_ABORT)
    return SNARE_WRONG_STATE;
  if (new_pc != NULL && mode != SNARE_RESUME_ABORT) {
    snare_status status = snare_session_check_code(*new_pc);
    if (status != SNARE_OK)
      return status;
  }
  if (mode == SNARE_RESUME_STEP_INSTRUCTION)
    snare_worker_step_slot_for(worker, new_pc);
  worker->resume_mode = mode;
  worker->resume_has_pc = new_pc != NULL;
  worker->resume_pc = new_pc ? *new_pc : 0;
  atomic_store(&worker->state, SNARE_THREAD_RUNNING);
  snare_os_event_signal(worker->resume_event);
  wait_for_stop(session, stop, mode != SNARE_RESUME_ABORT);
  return SNARE_OK;
}

snare_status snare_interrupt(snare_session *session) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (snare_session_in_callback(session))
    return SNARE_IN_CALLBACK;
  if (atomic_load(&session->worker.state) != SNARE_THREAD_RUNNING)
    return SNARE_WRONG_STATE;
  atomic_store(&session->worker.interrupt_requested, true);
  return snare_os_thread_interrupt(session->os_thread);
}

void snare_session_free(snare_session *session) {
  if (session == NULL)
    return;
  if (is_stopped(session))
    snare_resume(session, SNARE_RESUME_ABORT, NULL, NULL);
  session->quit = true;
  snare_os_event_signal(session->worker.resume_event);
  snare_os_thread_join(session->os_thread);
  snare_mark_breakpoints_session_gone(session);
  snare_os_global_lock();
  snare_watchpoints_clear_all(session);
  snare_breakpoints_clear_all(session);
  snare_worker_step_slot_release(&session->worker);
  /* An attached thread may still run a condition of one of them: its
     return runs on in the handler, through the session's code. */
  snare_conditions_await(session);
  sessions_remove(session);
  snare_os_global_unlock();
  session_release(session);
}

snare_status snare_register_get(snare_session *session, snare_register reg,
                                uint64_t *out) {
  if (session == NULL || out == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  if (!is_stopped(session))
    return SNARE_WRONG_STATE;
  *out = snare_arch_register_get(session->worker.context, reg);
  return SNARE_OK;
}

snare_status snare_register_set(snare_session *session, snare_register reg,
                                uint64_t value) {
  if (session == NULL || (unsigned)reg >= SNARE_REG_COUNT)
    return SNARE_INVALID_ARGUMENT;
  if (!is_stopped(session))
    return SNARE_WRONG_STATE;
  snare_arch_register_set(session->worker.context, reg, value);
  return SNARE_OK;
}

snare_status snare_vector_register_get(snare_session *session, unsigned index,
                                       uint8_t out[16]) {
  if (session == NULL || out == NULL || index > 15)
    return SNARE_INVALID_ARGUMENT;
  if (!is_stopped(session))
    return SNARE_WRONG_STATE;
  return snare_arch_vector_get(session->worker.context, index, out)
             ? SNARE_OK
             : SNARE_UNSUPPORTED;
}

bool snare_debugging_possible(void) {
  snare_session *session;
  if (snare_session_new(&session) != SNARE_OK)
    return false;
  /* Out-of-line code must be placeable near code and writable. */
  uint64_t near = (uint64_t)(uintptr_t)&snare_debugging_possible;
  uint64_t page = snare_os_code_alloc_near(near, 4096);
  bool ok = page != 0 && snare_os_code_write(page, snare_arch_trap_instruction,
                                             snare_arch_trap_size);
  /* and the program's text (the slab may be written through an alias):
     its own byte back in place */
  uint8_t byte;
  ok = ok && snare_os_memory_read(near, &byte, 1) &&
       snare_os_code_write(near, &byte, 1);
  if (page != 0)
    snare_os_code_free(page, 4096);
  snare_session_free(session);
  return ok;
}
