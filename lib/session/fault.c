/*
 * fault.c - what a fault means: a breakpoint (and whether it really
 * stops), the end of a single step, a fault in the target, an interrupt;
 * or nothing of snare's, to be passed on. Runs inside the OS signal
 * handler of the faulting thread, so it takes no lock and allocates
 * nothing itself; condition callbacks run here, on attached threads only.
 */
#include <string.h>

#include "session/session.h"
#include "session/watchpoints.h"
#include "hooks/hooks.h"
#include "marks/marks.h"

/* How far below the stack a fault still counts as running off its end. */
#define STACK_OVERFLOW_WINDOW (1u << 20)

snare_thread *snare_thread_stoppable(snare_thread *thread) {
  if (thread == NULL || atomic_load(&thread->state) != SNARE_THREAD_RUNNING ||
      atomic_load(&thread->in_callback))
    return NULL;
  return thread;
}

snare_thread *snare_stoppable_thread(void) {
  return snare_thread_stoppable(snare_threads_current());
}

/* A stop inside an out-of-line slot or a breakpoint trampoline's
   relocated copy is reported at the original code. */
static void leave_slot(void *context) {
  uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
  snare_site *site = snare_sites_find_slot(pc);
  if (site != NULL)
    snare_arch_displaced_finish(&site->plan, context);
  else
    snare_arch_register_set(context, SNARE_REG_RIP,
                            snare_breakpoint_jump_original_pc(pc));
}

static void stop_with(snare_thread *thread, void *context,
                      snare_stop_kind kind, snare_stop_reason reason,
                      const snare_fault *fault, const snare_breakpoint *bp) {
  snare_stop stop;
  memset(&stop, 0, sizeof stop);
  stop.kind = kind;
  stop.reason = reason;
  stop.breakpoint = bp ? bp->id : 0;
  snare_mark_breakpoints_stop_data(bp, context, &stop);
  if (fault != NULL) {
    stop.signal = fault->signal;
    stop.signal_code = fault->code;
    stop.fault_address = fault->address;
  }
  snare_worker_stop(thread, context, &stop);
}

void snare_stop_at_breakpoints(snare_thread *thread, void *context,
                               const snare_stopping *stopping) {
  snare_stop stop;
  memset(&stop, 0, sizeof stop);
  stop.kind = SNARE_STOP_BREAKPOINT;
  stop.reason = SNARE_REASON_BREAKPOINT_HIT;
  stop.breakpoint = stopping->first->id;
  memcpy(stop.breakpoints, stopping->ids, sizeof stop.breakpoints);
  stop.breakpoint_count = stopping->count;
  stop.inline_hidden = stopping->inline_hidden;
  snare_mark_breakpoints_stop_data(stopping->first, context, &stop);
  snare_worker_stop(thread, context, &stop);
}

/* A breakpoint cleared before or during its condition does not stop
   (conditions.c keeps it until the condition returns). `verdict`: what
   its native program said of this hit already (UNJUDGED: ask it). */
static bool condition_says_stop(snare_thread *thread, snare_breakpoint *bp,
                                void *context, snare_native_verdict verdict) {
  if (bp->condition == NULL)
    return true;
  snare_frame frame = {thread, context, bp->id, bp, &bp->guard};
  if (verdict == SNARE_NATIVE_UNJUDGED)
    verdict = snare_native_condition_judge(bp, &frame, false);
  if (verdict == SNARE_NATIVE_FALSE) {
    snare_native_condition_count(bp);
    return false;
  }
  return snare_condition_says_stop(&frame, bp->condition, bp->condition_data);
}

/* Whether bp concerns this thread at this site, before counting a hit. */
static bool breakpoint_matches(const snare_breakpoint *bp,
                               const snare_thread *thread, uint64_t pc) {
  if (bp->session != thread->session || !atomic_load(&bp->enabled))
    return false;
  if (bp->thread != 0 && bp->thread != thread->id)
    return false;
  return (bp->function_start == 0 && bp->function_end == 0) ||
         (pc >= bp->function_start && pc < bp->function_end);
}

/* Every breakpoint of this thread at the site is evaluated, as gdb
   does: each counts its hit, its rejection or its stop; `stopping` gets
   those that want a stop (first NULL: none). Unbreakable threads run
   through untouched, as foreign ones do. */
void snare_breakpoints_evaluate(snare_thread *thread,
                                const snare_site_breakpoints *list,
                                uint64_t address, void *context,
                                const snare_hit_pass *pass,
                                snare_stopping *stopping) {
  stopping->first = NULL;
  stopping->count = 0;
  if (!atomic_load(&thread->breakable))
    return;
  for (size_t i = pass != NULL ? pass->next : 0; list != NULL && i < list->count;
       i++) {
    snare_breakpoint *bp = list->items[i];
    bool stops;
    if (pass != NULL && i == pass->next) {
      /* the first pass counted its hit, past its skip count */
      stops = condition_says_stop(thread, bp, context, pass->verdict);
    } else {
      if (!breakpoint_matches(bp, thread, address))
        continue;
      uint64_t hits = atomic_fetch_add(&bp->hits, 1) + 1;
      stops = hits > bp->skip &&
              condition_says_stop(thread, bp, context, SNARE_NATIVE_UNJUDGED);
    }
    if (!stops) {
      atomic_fetch_add(&bp->rejected, 1);
      continue;
    }
    uint64_t stop_count = atomic_fetch_add(&bp->stops, 1) + 1;
    if (bp->max_stops != 0 && stop_count >= bp->max_stops) {
      atomic_store(&bp->enabled, false);
      atomic_store(&bp->expired, true);
    }
    if (stopping->first == NULL || bp->inline_hidden < stopping->inline_hidden)
      stopping->inline_hidden = bp->inline_hidden;
    if (stopping->first == NULL)
      stopping->first = bp;
    if (stopping->count < SNARE_STOP_BREAKPOINTS)
      stopping->ids[stopping->count] = bp->id;
    stopping->count++;
  }
}

/* One pass: each breakpoint's native program runs once a hit, here or,
   for the first it does not reject, through `pass` in
   snare_breakpoints_evaluate (again only when it lacked a slot here). */
bool snare_breakpoints_reject_natively(snare_thread *thread,
                                       const snare_site_breakpoints *list,
                                       uint64_t address, void *context,
                                       snare_hit_pass *pass) {
  if (list == NULL || !atomic_load(&thread->breakable))
    return true; /* what snare_breakpoints_evaluate would find: nothing */
  for (size_t i = 0; i < list->count; i++) {
    snare_breakpoint *bp = list->items[i];
    if (!breakpoint_matches(bp, thread, address))
      continue;
    uint64_t hits = atomic_fetch_add(&bp->hits, 1) + 1;
    snare_native_verdict verdict = SNARE_NATIVE_UNDECIDED;
    if (hits > bp->skip && bp->condition != NULL) {
      snare_frame frame = {thread, context, bp->id, bp, &bp->guard};
      verdict = snare_native_condition_judge(bp, &frame, true);
    }
    if (hits > bp->skip && verdict != SNARE_NATIVE_FALSE) {
      *pass = (snare_hit_pass){.next = i, .verdict = verdict};
      return false;
    }
    if (verdict == SNARE_NATIVE_FALSE)
      snare_native_condition_count(bp);
    atomic_fetch_add(&bp->rejected, 1);
  }
  return true;
}

static bool on_site(snare_site *site, void *context) {
  if (site->stop_of != NULL)
    return snare_breakpoint_jump_stopped(site, context);
  if (site->redirect != 0) {
    snare_arch_register_set(context, SNARE_REG_RIP, site->redirect);
    return true;
  }
  snare_thread *thread = snare_stoppable_thread();
  snare_arch_register_set(context, SNARE_REG_RIP, site->address);
  if (site->hook != NULL)
    snare_hook_enter_trapped(site->hook, context);
  snare_mark_hooks_trapped(site, context);
  if (thread != NULL) {
    snare_stopping stopping;
    snare_breakpoints_evaluate(thread, atomic_load(&site->breakpoints),
                               site->address, context, NULL, &stopping);
    if (stopping.first != NULL) {
      snare_stop_at_breakpoints(thread, context, &stopping);
      return true;
    }
    if (snare_arch_register_get(context, SNARE_REG_RIP) != site->address)
      return true; /* a condition moved the pc: resume there */
  }
  if (snare_arch_displaced_start(&site->plan, context) !=
      SNARE_DISPLACED_FAULTED)
    return true;
  if (thread == NULL)
    return false;
  snare_fault fault = {SNARE_FAULT_SEGV, snare_os_fault_signal(SNARE_FAULT_SEGV),
                       0, 0};
  stop_with(thread, context, SNARE_STOP_SIGNAL, SNARE_REASON_SEGFAULT, &fault,
            0);
  return true;
}

/* A step of thread is done: it steps on in its range, or stops. */
static bool step_done(snare_thread *thread, void *context) {
  snare_stop stop = {.kind = SNARE_STOP_STEP,
                     .reason = SNARE_REASON_SINGLE_STEP};
  snare_watchpoints_after_step(thread, context, &stop);
  if (!snare_worker_step_on(thread, context, &stop))
    snare_worker_stop(thread, context, &stop);
  return true;
}

/* The trap after an instruction the worker ran alone in its step slot
   (worker.c): the step is done, after the original instruction. */
static bool on_slot_step(snare_thread *thread, void *context) {
  thread->step_slot_armed = false;
  snare_arch_slot_step_done(&thread->step_site->plan, context);
  return step_done(thread, context);
}

/*
 * A controller adds a site to the table before writing its trap and
 * restores the original byte before removing the site. So a trap with no
 * site is ours if the byte is no longer a trap (removed while this thread
 * was reaching it: re-execute), or if the site is there when looked up
 * again after reading the byte (cleared and set again at the same address
 * in between: a thread preempted here saw neither). Only a trap byte with
 * no site on both sides of the read is the program's own. The trap
 * that ends the worker's step in its slot comes first.
 */
static bool on_breakpoint_trap(const snare_fault *fault, void *context) {
  uint64_t addr = snare_arch_trap_address(
      snare_arch_register_get(context, SNARE_REG_RIP));
  snare_thread *self = snare_stoppable_thread();
  if (self != NULL && self->step_slot_armed &&
      addr == self->step_slot + self->step_site->plan.length)
    return on_slot_step(self, context);
  snare_site *site = snare_sites_find(addr);
  uint8_t byte;
  if (site == NULL && snare_os_memory_read(addr, &byte, 1)) {
    if (byte != snare_arch_trap_instruction[0]) {
      snare_arch_register_set(context, SNARE_REG_RIP, addr);
      return true;
    }
    site = snare_sites_find(addr);
  }
  if (site != NULL)
    return on_site(site, context);
  snare_thread *thread = snare_stoppable_thread();
  if (thread == NULL)
    return false;
  stop_with(thread, context, SNARE_STOP_SIGNAL, SNARE_REASON_PROGRAM_TRAP,
            fault, 0);
  return true;
}

/*
 * A single step that ran off the end of the entry: the worker is back in
 * snare's own code with the trap flag still set, and has left RUNNING
 * before the next instruction traps. The trap is ours (passing it on
 * would kill the process): clear the flag and let the worker report the
 * exit as the result of the step.
 */
static bool finish_step_past_exit(void *context) {
  snare_thread *thread = snare_threads_current();
  if (thread == NULL || !thread->stepping ||
      atomic_load(&thread->state) != SNARE_THREAD_EXITING)
    return false;
  thread->stepping = false;
  snare_arch_single_step(context, false);
  return true;
}

static bool on_step_trap(const snare_fault *fault, void *context) {
  snare_thread *thread = snare_stoppable_thread();
  if (thread == NULL)
    return finish_step_past_exit(context);
  if (!thread->stepping) {
    stop_with(thread, context, SNARE_STOP_SIGNAL, SNARE_REASON_PROGRAM_TRAP,
              fault, 0);
    return true;
  }
  leave_slot(context);
  return step_done(thread, context);
}

static snare_stop_reason fault_reason(const snare_fault *fault,
                                      const snare_thread *thread) {
  switch (fault->kind) {
  case SNARE_FAULT_SEGV:
    if (fault->address < thread->stack_low + 4096 &&
        fault->address + STACK_OVERFLOW_WINDOW >= thread->stack_low)
      return SNARE_REASON_STACK_OVERFLOW;
    return SNARE_REASON_SEGFAULT;
  case SNARE_FAULT_BUS: return SNARE_REASON_BUS_ERROR;
  case SNARE_FAULT_ILL: return SNARE_REASON_ILLEGAL_INSTRUCTION;
  case SNARE_FAULT_FPE: return SNARE_REASON_ARITHMETIC;
  case SNARE_FAULT_ABORT: return SNARE_REASON_ABORT;
  default: return SNARE_REASON_PROGRAM_TRAP;
  }
}

static bool on_fault(const snare_fault *fault, void *context) {
  snare_thread *thread = snare_stoppable_thread();
  /* A program that handles its own faults decides about them. */
  if (thread == NULL || snare_os_signal_handled_behind(fault->signal))
    return false;
  leave_slot(context);
  stop_with(thread, context, SNARE_STOP_SIGNAL, fault_reason(fault, thread),
            fault, 0);
  return true;
}

/* The interrupt signal is snare's own: one nobody asked for is dropped.
   One that lands in a trampoline's handler, or on the way from there to
   the breakpoint stop it decided, stays asked for: that stop, or the
   controller's next interrupt, answers it. */
static bool on_interrupt(void *context) {
  snare_thread *thread = snare_stoppable_thread();
  if (thread == NULL || atomic_load_explicit(&thread->in_jump_handler, memory_order_acquire) ||
      thread->jump_stop.first != NULL ||
      !atomic_exchange(&thread->interrupt_requested, false))
    return true;
  leave_slot(context);
  stop_with(thread, context, SNARE_STOP_INTERRUPT, SNARE_REASON_INTERRUPTED,
            NULL, 0);
  return true;
}

/* A signal of the program's own, caught by its agent's handler. */
bool snare_signal_stop(int signal, int code, void *context) {
  snare_os_interrupt_block();
  atomic_fetch_add(&snare_dispatch_depth, 1);
  snare_thread *thread = snare_stoppable_thread();
  if (thread != NULL) {
    snare_fault fault = {SNARE_FAULT_OTHER_TRAP, signal, code, 0};
    leave_slot(context);
    stop_with(thread, context, SNARE_STOP_SIGNAL, SNARE_REASON_SIGNAL_RECEIVED,
              &fault, 0);
  }
  atomic_fetch_sub(&snare_dispatch_depth, 1);
  return thread != NULL;
}

static bool dispatch(const snare_fault *fault, void *context) {
  switch (fault->kind) {
  case SNARE_FAULT_BREAKPOINT_TRAP: return on_breakpoint_trap(fault, context);
  case SNARE_FAULT_STEP_TRAP: return on_step_trap(fault, context);
  case SNARE_FAULT_INTERRUPT: return on_interrupt(context);
  case SNARE_FAULT_WATCH_TRAP:
    return snare_watchpoints_trap(fault->address, context);
  case SNARE_FAULT_OTHER_TRAP:
  case SNARE_FAULT_SEGV:
  case SNARE_FAULT_BUS:
  case SNARE_FAULT_ILL:
  case SNARE_FAULT_FPE:
  case SNARE_FAULT_ABORT: return on_fault(fault, context);
  }
  return false;
}

bool snare_fault_dispatch(const snare_fault *fault, void *context) {
  atomic_fetch_add(&snare_dispatch_depth, 1);
  bool handled = dispatch(fault, context);
  atomic_fetch_sub(&snare_dispatch_depth, 1);
  return handled;
}
