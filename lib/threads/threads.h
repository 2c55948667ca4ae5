/*
 * threads.h - the threads subsystem: the record snare keeps of every
 * thread it knows (a session's worker or a thread that attached itself),
 * the frame a callback is given, and the process-wide table fault
 * handlers and hooks search by OS thread. Implemented in threads.c.
 * Sessions (lib/session/) create and drive these records; hooks and marks
 * only look up the calling thread.
 */
#ifndef SNARE_THREADS_THREADS_H
#define SNARE_THREADS_THREADS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal/arch.h"
#include "internal/hidden.h"
#include "internal/os.h"
#include "snare.h"

typedef enum snare_thread_state {
  SNARE_THREAD_IDLE,    /* waiting for a call */
  SNARE_THREAD_RUNNING, /* executing target code */
  SNARE_THREAD_STOPPED, /* parked in the fault handler */
  SNARE_THREAD_EXITING  /* entry returned, reporting */
} snare_thread_state;

/* The breakpoints of one hit that said stop, in the site's order. */
typedef struct snare_stopping {
  struct snare_breakpoint *first; /* NULL: none */
  int ids[SNARE_STOP_BREAKPOINTS];
  unsigned count;
  /* the fewest inlined frames one of them hides: as gdb, a breakpoint
     for the innermost frame shows it */
  unsigned inline_hidden;
} snare_stopping;

typedef struct snare_thread {
  int id;
  uintptr_t os_self;
  struct snare_session *session;
  bool is_worker; /* the session's own worker, not a thread that attached */
  _Atomic int state;
  _Atomic bool in_callback;
  _Atomic bool interrupt_requested;
  bool stepping;
  uint64_t stack_low;
  void *context; /* saved machine context while stopped or in a callback */
  snare_os_catch *catch_point;
  snare_stop stop;
  snare_resume_mode resume_mode;
  bool resume_has_pc;
  uint64_t resume_pc;
  /* A line step's range (lib/stepping/stepping.c), set by the controller
     for one instruction step while the thread is parked (step_range_end
     0: none): the handler steps on by itself while the pc stays in
     [step_range_start, step_range_end), rsp below step_sp_limit and no
     instruction pushed, the steps the stepper would take without a
     decision, so only the last one hands off. step_prev_pc/sp: where the
     last instruction stepped began. step_over_calls (a next): the
     handler also hands off before a call, which the stepper runs over.
     step_return_target (a next running a call over, 0: none): the call's
     return address, in the range; reached (its internal breakpoint
     alone stopping there), the handler steps on from it as from a step
     in the range instead of handing off, and sets step_return_reached. */
  uint64_t step_range_start, step_range_end, step_sp_limit;
  uint64_t step_prev_pc, step_prev_sp;
  bool step_over_calls;
  uint64_t step_return_target;
  bool step_return_reached;
  /* The worker's slot for those steps (lib/session/worker.c): an
     instruction that goes on to the next runs there alone, its copy
     followed by a trap, which costs a fraction of a trap-flag step; its
     writable view, and the site record that owns it (its plan: the
     instruction the slot holds). Set by the controller under the global
     lock; step_slot_armed while the thread runs the slot. */
  uint64_t step_slot;
  uint8_t *step_slot_code;
  struct snare_site *step_site;
  bool step_slot_armed;
  snare_os_event *resume_event;
  /* Threads and events (lib/session/attach.c): the worker is attached from its
     creation; other threads attach themselves. */
  _Atomic bool breakable;
  _Atomic bool alive;
  void *alt_stack; /* alternate signal stack snare installed, or NULL */
  /* Per-thread stepping (lib/stepping/step_subject.c): while `stepped`, the
     thread's stops wake the stepper through step_event instead of
     becoming events. Attached threads only. */
  _Atomic bool stepped;
  snare_os_event *step_event;
  _Atomic bool ended_program; /* it quit the session (exit) while stepped */
  /* What a breakpoint trampoline's condition run decided, for the stop
     its trap then makes (lib/session/breakpoint_jump.c), or where a
     condition moved the pc to (0: nowhere). */
  snare_stopping jump_stop;
  uint64_t jump_resume_pc;
  /* In the trampoline's handler, where the interrupt signal is not
     blocked: an interrupt there waits for the thread's next stop (the
     breakpoint's own, when a condition says stop) instead of making one
     that would drop the breakpoint's (and its condition's error). */
  _Atomic bool in_jump_handler;
} snare_thread;

struct snare_frame {
  snare_thread *thread;
  void *context;
  int breakpoint;
  struct snare_breakpoint *record; /* the breakpoint's, for its compiled
                                      variables; NULL for other callbacks */
  /* A condition's record's (breakpoint or watchpoint), for
     snare_frame_cleared; NULL for other callbacks. */
  struct snare_condition_guard *guard;
};

SNARE_HIDDEN bool snare_threads_add(snare_thread *thread);
SNARE_HIDDEN void snare_threads_remove(snare_thread *thread);
/* The calling thread's record, or NULL; signal-safe. */
SNARE_HIDDEN snare_thread *snare_threads_current(void);
SNARE_HIDDEN int snare_threads_next_id(void);
/* Empties the table, attached records counting as detached from then on
   (snare_threads_forget_all). */
SNARE_HIDDEN void snare_threads_clear(void);

#endif
