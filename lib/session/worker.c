/*
 * worker.c - the session's worker thread: runs entries, and parks in the
 * fault handler when it stops, until the controller resumes it.
 */
#include <stdlib.h>
#include <string.h>

#include "session/events.h"
#include "session/watchpoints.h"
#include "watchpoints/watchpoints.h"

static void snapshot_registers(snare_stop *stop, const void *context) {
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    stop->registers.value[r] =
        snare_arch_register_get(context, (snare_register)r);
  stop->pc = stop->registers.value[SNARE_REG_RIP];
}

/*
 * Hands the stop to the controller and waits: the worker's stop goes to
 * the controller blocked in snare_call/snare_resume, any other attached
 * thread's becomes an event of its session. Parked threads do not count
 * as dispatching, so the controller may reclaim retired sites meanwhile;
 * nothing found before parking is used after it. An abort unwinds the
 * thread out of the handler and the target, back to its catch point.
 */
static void park(snare_thread *thread, void *context, const snare_stop *stop) {
  thread->stepping = false;
  thread->step_slot_armed = false;
  atomic_store(&thread->interrupt_requested, false);
  snare_arch_single_step(context, false);
  thread->stop = *stop;
  thread->stop.thread = thread->id;
  snapshot_registers(&thread->stop, context);
  thread->context = context;
  atomic_store(&thread->state, SNARE_THREAD_STOPPED);
  atomic_fetch_sub(&snare_dispatch_depth, 1);
  if (thread == &thread->session->worker)
    snare_os_event_signal(thread->session->stopped_event);
  else
    snare_events_post_stop(thread, context);
  snare_os_event_wait(thread->resume_event);
  thread->context = NULL;
  if (thread->resume_mode == SNARE_RESUME_ABORT)
    snare_os_abort_to_catch(thread->catch_point);
  atomic_fetch_add(&snare_dispatch_depth, 1);
}

/* How one step of a step range goes (see step_out_of_line). */
typedef enum slot_step { BY_TRAP_FLAG, IN_SLOT, EMULATED } slot_step;

/* Runs the instruction d plans alone in the thread's slot, its copy
   followed by a trap (on_slot_step in fault.c ends the step). */
static slot_step run_in_slot(snare_thread *thread, void *context,
                             const snare_displaced *d) {
  thread->step_site->plan = *d; /* before the pc can be in the slot */
  memcpy(thread->step_slot_code, d->code, d->length);
  memcpy(thread->step_slot_code + d->length, snare_arch_trap_instruction,
         snare_arch_trap_size);
  snare_os_code_flush(thread->step_slot, d->length + snare_arch_trap_size);
  thread->step_slot_armed = true;
  thread->stepping = false;
  snare_arch_single_step(context, false);
  snare_arch_register_set(context, SNARE_REG_RIP, thread->step_slot);
  return IN_SLOT;
}

/*
 * One step of a step range (threads.h) without the trap flag, whose trap
 * costs 4-5 int3 traps on a virtual machine: a branch or call is
 * emulated on the context, as from a breakpoint's site (EMULATED, *stop
 * a step's stop), and an instruction that goes on to the next runs
 * alone in the worker's slot, its copy followed by a trap (IN_SLOT: the
 * context is at the slot). Any other instruction, one with a site in its
 * bytes, one that cannot move, and every step while the session watches
 * memory take the trap flag (BY_TRAP_FLAG, nothing changed). Threads
 * that attached keep to the trap flag here: their slot is for system
 * calls (step_system_call).
 */
static slot_step step_out_of_line(snare_thread *thread, void *context,
                                  snare_stop *stop) {
  /* A watched write in the slot would trap there as a watchpoint's stop,
     where a step over it reports it as the step's (after_step). */
  if (thread->step_range_end == 0 || thread->step_slot_code == NULL ||
      !thread->is_worker || thread->session->watchpoint_count != 0)
    return BY_TRAP_FLAG;
  /* only the program's own code in the range: not a breakpoint
     trampoline's copy of what its jump covers, where the pc goes to
     resume from inside the jump */
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  snare_displaced d;
  if (pc < thread->step_range_start || pc >= thread->step_range_end ||
      snare_breakpoint_jump_resume_pc(pc) != pc)
    return BY_TRAP_FLAG;
  /* a next's return target (threads.h) has its internal breakpoint's
     trap: the instruction under it is the one the site keeps */
  const snare_site *site =
      pc == thread->step_return_target ? snare_sites_find(pc) : NULL;
  const uint8_t *code = bytes;
  if (site != NULL && site->patched)
    code = snare_sites_any_in(pc + 1, sizeof bytes - 1) ? NULL
                                                        : site->original;
  else if (snare_sites_any_in(pc, sizeof bytes) ||
           !snare_os_memory_read_fast(pc, bytes, sizeof bytes))
    code = NULL;
  if (code == NULL ||
      snare_arch_displaced_plan(pc, code, sizeof bytes, thread->step_slot,
                                &d) != SNARE_OK)
    return BY_TRAP_FLAG;
  if (d.kind != SNARE_DISPLACED_COPY) {
    if (snare_arch_displaced_start(&d, context) != SNARE_DISPLACED_DONE)
      return BY_TRAP_FLAG; /* a bad indirect target faults for real */
    memset(stop, 0, sizeof *stop);
    stop->kind = SNARE_STOP_STEP;
    stop->reason = SNARE_REASON_SINGLE_STEP;
    snare_watchpoints_after_step(thread, context, stop);
    return EMULATED;
  }
  if (!snare_arch_falls_through(&d) &&
      !snare_arch_returning_system_call(&d, context))
    return BY_TRAP_FLAG;
  return run_in_slot(thread, context, &d);
}

/*
 * A step of a system call that returns to the next instruction
 * (arch.h), in the thread's slot where it has one: the trap flag would
 * stop it one instruction late, where gdb's ptrace step stops right
 * after the call (a step over glibc's posix_fadvise64 stopped past its
 * line 52). False, nothing changed, for any other instruction, one with
 * a site in its bytes, or while the session watches memory.
 */
static bool step_system_call(snare_thread *thread, void *context) {
  if (thread->step_slot_code == NULL ||
      thread->session->watchpoint_count != 0)
    return false;
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  snare_displaced d;
  if (snare_sites_any_in(pc, sizeof bytes) ||
      !snare_os_memory_read_fast(pc, bytes, sizeof bytes) ||
      snare_arch_displaced_plan(pc, bytes, sizeof bytes, thread->step_slot,
                                &d) != SNARE_OK ||
      !snare_arch_returning_system_call(&d, context))
    return false;
  run_in_slot(thread, context, &d);
  return true;
}

void snare_worker_step_slot(snare_thread *thread, uint64_t near) {
  snare_os_global_lock();
  if (thread->step_site == NULL)
    thread->step_site = calloc(1, sizeof *thread->step_site);
  if (thread->step_site != NULL) {
    thread->step_slot =
        snare_sites_step_slot(near, thread->step_site, thread->step_slot);
    thread->step_slot_code =
        thread->step_slot != 0
            ? snare_os_code_alias(thread->step_slot, SNARE_ARCH_SLOT_SIZE)
            : NULL;
  }
  snare_os_global_unlock();
}

void snare_worker_step_slot_for(snare_thread *thread, const uint64_t *new_pc) {
  if (thread->context == NULL)
    return;
  uint64_t pc = new_pc != NULL
                    ? *new_pc
                    : snare_arch_register_get(thread->context, SNARE_REG_RIP);
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  snare_displaced d;
  if (snare_os_memory_read(pc, bytes, sizeof bytes) &&
      snare_arch_displaced_plan(pc, bytes, sizeof bytes, pc, &d) == SNARE_OK &&
      snare_arch_returning_system_call(&d, thread->context))
    snare_worker_step_slot(thread, pc);
}

void snare_worker_step_slot_release(snare_thread *thread) {
  snare_sites_step_slot_release(thread->step_slot);
  free(thread->step_site);
  thread->step_slot = 0;
  thread->step_slot_code = NULL;
  thread->step_site = NULL;
}

/*
 * Prepares the context for the resume the controller asked for. Returns
 * true, with *stop filled, if the resume itself ends in a stop (a step
 * over an emulated branch, or a fault while emulating one).
 */
static bool prepare_resume(snare_thread *thread, void *context,
                           snare_stop *stop) {
  if (thread->resume_has_pc)
    snare_arch_register_set(context, SNARE_REG_RIP, thread->resume_pc);
  bool step = thread->resume_mode == SNARE_RESUME_STEP_INSTRUCTION;
  uint64_t pc = snare_breakpoint_jump_resume_pc(
      snare_arch_register_get(context, SNARE_REG_RIP));
  snare_arch_register_set(context, SNARE_REG_RIP, pc);
  snare_site *site = snare_sites_find(pc);
  bool trapped = site != NULL && site->patched;
  /* a step from a next's return target goes as one in its range would
     where it can, else off the trap as from any breakpoint */
  if (step && (!trapped || pc == thread->step_return_target)) {
    switch (step_out_of_line(thread, context, stop)) {
    case IN_SLOT:
      return false;
    case EMULATED:
      return true;
    case BY_TRAP_FLAG:
      if (step_system_call(thread, context))
        return false;
      break;
    }
  }
  if (trapped) {
    memset(stop, 0, sizeof *stop);
    switch (snare_arch_displaced_start(&site->plan, context)) {
    case SNARE_DISPLACED_FAULTED:
      stop->kind = SNARE_STOP_SIGNAL;
      stop->reason = SNARE_REASON_SEGFAULT;
      stop->signal = snare_os_fault_signal(SNARE_FAULT_SEGV);
      return true;
    case SNARE_DISPLACED_DONE:
      if (!step)
        break;
      stop->kind = SNARE_STOP_STEP;
      stop->reason = SNARE_REASON_SINGLE_STEP;
      snare_watchpoints_after_step(thread, context, stop);
      return true;
    case SNARE_DISPLACED_RUNS_IN_SLOT:
      break;
    }
  }
  thread->stepping = step;
  snare_arch_single_step(context, step);
  return false;
}

/* Whether an instruction so planned goes on to the next or branches,
   without a call. */
static bool plan_makes_no_call(const snare_displaced *d) {
  return d->kind == SNARE_DISPLACED_JUMP ||
         d->kind == SNARE_DISPLACED_CONDITIONAL ||
         (d->kind == SNARE_DISPLACED_COPY && snare_arch_falls_through(d));
}

/* Whether the instruction at pc is one a next may run in the handler:
   no call (the stepper runs a call over from its call instruction), so
   any instruction that may call, one with a site in its bytes, and one
   the plan does not take count as calls. */
static bool no_call_at(const snare_thread *thread, uint64_t pc) {
  uint8_t bytes[SNARE_ARCH_MAX_INSTRUCTION];
  snare_displaced d;
  if (snare_sites_any_in(pc, sizeof bytes) ||
      !snare_os_memory_read_fast(pc, bytes, sizeof bytes) ||
      snare_arch_displaced_plan(pc, bytes, sizeof bytes, thread->step_slot,
                                &d) != SNARE_OK)
    return false;
  return plan_makes_no_call(&d);
}

/* Whether the step just made ends inside the thread's step range, where
   the stepper would only step again (see threads.h): not for any stop
   but a plain step, nor once an interrupt is asked for, nor (a next)
   before a call. */
static bool within_step_range(const snare_thread *thread, const void *context,
                              const snare_stop *stop) {
  if (thread->step_range_end == 0 || stop->kind != SNARE_STOP_STEP ||
      stop->watchpoint != 0 || atomic_load(&thread->interrupt_requested))
    return false;
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  uint64_t sp = snare_arch_register_get(context, SNARE_REG_RSP);
  return pc >= thread->step_range_start && pc < thread->step_range_end &&
         sp < thread->step_sp_limit && sp != thread->step_prev_sp - 8 &&
         (!thread->step_over_calls || no_call_at(thread, pc));
}

bool snare_worker_step_on(snare_thread *thread, void *context,
                          snare_stop *stop) {
  while (within_step_range(thread, context, stop)) {
    thread->step_prev_pc = snare_arch_register_get(context, SNARE_REG_RIP);
    thread->step_prev_sp = snare_arch_register_get(context, SNARE_REG_RSP);
    thread->resume_has_pc = false;
    if (!prepare_resume(thread, context, stop))
      return true;
  }
  return false;
}

/* Whether the stop is a next's internal breakpoint alone, at the return
   address it runs a call to (threads.h: step_return_target), with no
   interrupt asked for and no call there (the breakpoint's plan is the
   instruction's). */
static bool at_return_target(const snare_thread *thread, const void *context,
                             const snare_stop *stop) {
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  if (thread->step_return_target == 0 || pc != thread->step_return_target ||
      stop->kind != SNARE_STOP_BREAKPOINT || stop->breakpoint_count != 1 ||
      stop->breakpoint >= 0 || atomic_load(&thread->interrupt_requested))
    return false;
  const snare_site *site = snare_sites_find(pc);
  return site != NULL && site->patched && plan_makes_no_call(&site->plan);
}

/* Steps on from the return target as the stepper would from there (one
   instruction step in the range, and on while within it) instead of
   handing off: true if the thread runs on, false with *stop the stop to
   park with. */
static bool step_on_from_return(snare_thread *thread, void *context,
                                snare_stop *stop) {
  thread->step_return_reached = true;
  thread->step_prev_pc = snare_arch_register_get(context, SNARE_REG_RIP);
  thread->step_prev_sp = snare_arch_register_get(context, SNARE_REG_RSP);
  thread->resume_mode = SNARE_RESUME_STEP_INSTRUCTION;
  thread->resume_has_pc = false;
  return !prepare_resume(thread, context, stop) ||
         snare_worker_step_on(thread, context, stop);
}

void snare_worker_stop(snare_thread *thread, void *context, snare_stop *stop) {
  if (at_return_target(thread, context, stop) &&
      step_on_from_return(thread, context, stop))
    return;
  do
    park(thread, context, stop);
  while (prepare_resume(thread, context, stop) &&
         !snare_worker_step_on(thread, context, stop));
}

static void run_entry(void *raw) {
  snare_session *session = raw;
  snare_thread *thread = &session->worker;
  atomic_store(&thread->state, SNARE_THREAD_RUNNING);
  uint64_t result;
  if (session->abi_args != NULL) {
    session->abi_result =
        snare_arch_invoke_abi(session->entry, session->abi_args);
    session->abi_result_valid = true;
    result = session->abi_result.first;
  } else {
    result = snare_arch_invoke(session->entry, session->args);
  }
  atomic_store(&thread->state, SNARE_THREAD_EXITING);
  thread->stop.return_value = result;
}

void snare_worker_body(void *raw) {
  snare_session *session = raw;
  snare_thread *thread = &session->worker;
  thread->os_self = snare_os_thread_self();
  thread->stack_low = snare_os_stack_low();
  snare_threads_add(thread);
  snare_watch_thread_started(thread);
  for (;;) {
    snare_os_event_wait(thread->resume_event);
    if (session->quit)
      break;
    memset(&thread->stop, 0, sizeof thread->stop);
    bool returned =
        snare_os_call_with_catch(&thread->catch_point, run_entry, session);
    atomic_store(&thread->state, SNARE_THREAD_IDLE);
    thread->stop.kind = returned ? SNARE_STOP_EXIT : SNARE_STOP_ABORTED;
    thread->stop.reason = returned ? SNARE_REASON_RETURNED
                                   : SNARE_REASON_ABORTED_BY_CONTROLLER;
    thread->stop.thread = thread->id;
    snare_os_event_signal(session->stopped_event);
  }
  snare_watch_thread_ended(thread);
  snare_threads_remove(thread);
}
