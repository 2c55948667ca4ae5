/*
 * session.h - the session subsystem: sessions and their worker thread,
 * the fault dispatcher that turns a thread's trap or fault into a stop,
 * threads that attach themselves, the event queue, and each session's
 * breakpoint table (lib/session/).
 */
#ifndef SNARE_SESSION_SESSION_H
#define SNARE_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"
#include "session/breakpoint_ids.h"
#include "threads/threads.h"
#include "traps/traps.h"

struct snare_session {
  snare_thread worker;
  snare_os_thread *os_thread;
  snare_os_event *stopped_event;
  unsigned timeout_ms;
  bool quit;
  bool in_call;
  uint64_t entry;
  uint64_t args[8];
  /* snare_call_abi's arguments (NULL for snare_call) and result; the
     result is valid once such a call exited. */
  const snare_call_args *abi_args;
  snare_call_result abi_result;
  bool abi_result_valid;
  snare_breakpoint **breakpoints; /* any order; by_id says where */
  snare_breakpoint_ids breakpoints_by_id;
  size_t breakpoint_count;
  size_t breakpoint_capacity;
  int next_breakpoint_id;
  /* Threads that attached themselves (lib/session/attach.c), under threads_lock;
     records live until the session is freed. */
  snare_os_lock *threads_lock;
  snare_thread **attached;
  size_t attached_count, attached_capacity;
  struct snare_events *events; /* lib/session/events.c */
  /* lib/session/watchpoint.c, creation order, under the global lock */
  struct snare_watchpoint **watchpoints;
  size_t watchpoint_count, watchpoint_capacity;
  /* A step policy's callback runs (lib/stepping): the step is under way. */
  _Atomic bool in_policy;
  /* snare_session_set_steps_yield (lib/stepping/step_subject.c): a stop
     another thread posts ends a thread's step. stops_queued counts the
     stops posted to the event queue (lib/session/events.c), and
     steps_yield_from is what it was when yielding was turned on: the
     stops since then end steps. */
  _Atomic bool steps_yield;
  _Atomic unsigned long stops_queued, steps_yield_from;
};

/* ---- sessions (session.c) ---- */
/* Calls fn on every live session; controller, under the global lock. */
SNARE_HIDDEN void snare_sessions_each(void (*fn)(struct snare_session *, void *),
                                      void *arg);
/* True while the calling thread runs a callback (condition, hook) or the
   session's step policy runs: runs of the session are refused then. */
SNARE_HIDDEN bool snare_session_in_callback(const struct snare_session *s);
/* OK if addr is mapped executable code, else BAD_ADDRESS or NOT_CODE. */
SNARE_HIDDEN snare_status snare_session_check_code(uint64_t addr);

/* ---- breakpoints (breakpoint.c) ---- */
/* Clears breakpoints of the session that reached their max stops. */
SNARE_HIDDEN void snare_breakpoints_clear_expired(struct snare_session *s);
SNARE_HIDDEN void snare_breakpoints_clear_all(struct snare_session *s);

/* ---- native condition programs (native_conditions.c) ---- */
/* What a breakpoint's native program says of a hit. */
typedef enum snare_native_verdict {
  SNARE_NATIVE_FALSE,     /* it gives 0: the hit is rejected */
  SNARE_NATIVE_UNDECIDED, /* no program, not 0, or an error: the
                             condition decides */
  SNARE_NATIVE_UNJUDGED   /* not run yet, or run without finding the
                             slot of a variable (vector_free): a run
                             that may look it up can still decide */
} snare_native_verdict;
/* The judge of native programs that frames/native_programs.c registers
   at load: what program `native` (state READY) of frame's breakpoint,
   run in frame, says of this hit. */
typedef snare_native_verdict (*snare_native_judge)(
    snare_native_condition *native, const snare_frame *frame,
    bool vector_free);
SNARE_HIDDEN void snare_native_judge_register(snare_native_judge fn);
/* What bp's native program, run in frame, says of this hit (UNDECIDED
   without one). vector_free: nothing it runs touches the vector state
   beyond SSE (no C library call: a variable whose slot is not found yet
   leaves the hit UNJUDGED). Signal-safe. */
SNARE_HIDDEN snare_native_verdict snare_native_condition_judge(
    snare_breakpoint *bp, const snare_frame *frame, bool vector_free);
/* Counts a hit bp's native program rejected. */
SNARE_HIDDEN void snare_native_condition_count(snare_breakpoint *bp);
/* bp's condition changed: its native program is never used again, and
   a new, empty one takes its place, which the new condition may give
   at a later hit (NO_MEMORY: none does, the condition decides every
   hit). Controller, under the global lock. */
SNARE_HIDDEN snare_status snare_native_condition_drop(snare_breakpoint *bp);
/* bp is being cleared: a native program that replaced its first is
   retired. Controller, under the global lock. */
SNARE_HIDDEN void snare_native_condition_release(snare_breakpoint *bp);

/* ---- conditions that outlive their record's clear (conditions.c) ---- */
/* Runs fn(frame, data) on the thread that hit the record frame->guard
   belongs to, counted in its evaluating meanwhile, the thread marked in
   a callback; whether to stop: never for a record cleared before or
   during the condition. Signal-safe. */
SNARE_HIDDEN bool snare_condition_says_stop(snare_frame *frame,
                                            snare_condition_fn fn,
                                            void *data);
/* A record is cleared: release (if any) gives condition_data back to
   its owner and the record is retired (snare_retire), now if no thread
   runs its condition, else once the last one returned (the late list).
   Under the global lock. */
SNARE_HIDDEN void snare_condition_clear(snare_condition_guard *guard,
                                        struct snare_session *s,
                                        void (*release)(void *),
                                        void *condition_data, void *record);
/* Releases cleared records whose conditions all returned, then frees
   what was retired if no handler is dispatching (snare_reclaim).
   Controller, under the global lock. */
SNARE_HIDDEN void snare_conditions_reclaim(void);
/* Waits, letting go of the global lock meanwhile, until no thread runs
   a condition of a cleared record of the session; then reclaims.
   Controller, under the global lock. */
SNARE_HIDDEN void snare_conditions_await(struct snare_session *s);

/* ---- breakpoints on marks (mark_breakpoint.c) ---- */
/* A session being freed: forgets its mark breakpoints. */
SNARE_HIDDEN void snare_mark_breakpoints_session_gone(snare_session *s);
/* If bp was set on a mark, evaluates the mark's data into the stop;
   signal-safe (runs when the stop is made). */
SNARE_HIDDEN void snare_mark_breakpoints_stop_data(const snare_breakpoint *bp,
                                                   const void *context,
                                                   snare_stop *stop);

/* ---- the fault dispatcher (fault.c) ---- */
/* How far a jump site's first pass over a hit went
   (snare_breakpoints_reject_natively), for snare_breakpoints_evaluate
   to go on from: the breakpoints of the list before `next` rejected the
   hit; next's hit is counted, past its skip count, and its native
   program said `verdict`. */
typedef struct snare_hit_pass {
  size_t next;
  snare_native_verdict verdict;
} snare_hit_pass;

/* Runs every breakpoint of list at address for the calling thread (hit
   counts, skips, conditions, max stops), from the start, or from where
   `pass` stopped (NULL: the start); signal-safe. */
SNARE_HIDDEN void snare_breakpoints_evaluate(snare_thread *thread,
                                             const snare_site_breakpoints *list,
                                             uint64_t address, void *context,
                                             const snare_hit_pass *pass,
                                             snare_stopping *stopping);

/* The first pass over a hit of a jump site, touching no vector state
   beyond SSE (the jump path runs it before saving the rest): counts the
   hits of list's breakpoints for the calling thread in order, with the
   rejections their skip counts and native programs make, up to the
   first that neither rejects; whether there was none (the hit is
   decided, nothing stops). Else `pass` says where
   snare_breakpoints_evaluate goes on. Signal-safe. */
SNARE_HIDDEN bool snare_breakpoints_reject_natively(
    snare_thread *thread, const snare_site_breakpoints *list,
    uint64_t address, void *context, snare_hit_pass *pass);

/* The stoppable calling thread: attached, running target code, not in a
   callback; else NULL. Signal-safe. */
SNARE_HIDDEN snare_thread *snare_stoppable_thread(void);
/* The same for thread, the calling thread's record (or NULL) already
   found. */
SNARE_HIDDEN snare_thread *snare_thread_stoppable(snare_thread *thread);
/* Parks the thread with a breakpoint stop naming `stopping`'s. */
SNARE_HIDDEN void snare_stop_at_breakpoints(snare_thread *thread,
                                            void *context,
                                            const snare_stopping *stopping);

/* ---- breakpoints through jumps (breakpoint_jump.c) ---- */
/* Gives a site that never had a trap a jump when every enabled
   breakpoint of `list` (its list, or the one about to be published) has
   a condition or skip count and the code allows it, or puts the trap
   back when they no longer do. Controller, under the global lock. */
SNARE_HIDDEN void snare_breakpoint_jump_settle(snare_site *site,
                                               const snare_site_breakpoints *list);
/* A trampoline's stop trap (site->stop_of) was reached: makes the stop
   its handler decided, at the breakpoint's address. Signal handler. */
SNARE_HIDDEN bool snare_breakpoint_jump_stopped(const snare_site *marker,
                                                void *context);
/* Where a thread at pc inside a jump's bytes runs instead (the relocated
   copy), or pc. Signal-safe. */
SNARE_HIDDEN uint64_t snare_breakpoint_jump_resume_pc(uint64_t pc);
/* The original address of pc in a trampoline's relocated copy, or pc. */
SNARE_HIDDEN uint64_t snare_breakpoint_jump_original_pc(uint64_t pc);
/* Whether the breakpoint's site is reached through a jump; under the
   global lock. */
SNARE_HIDDEN bool snare_breakpoint_jumped(const snare_breakpoint *bp);

/* ---- worker and stops (worker.c) ---- */
SNARE_HIDDEN void snare_worker_body(void *session);
/*
 * Parks the calling (attached) thread with `stop` until the controller
 * resumes it, then prepares the context for the requested resume,
 * stopping again as long as the resume itself ends in a stop.
 */
SNARE_HIDDEN void snare_worker_stop(snare_thread *thread, void *context,
                                    snare_stop *stop);
/*
 * After a step that ended in *stop: steps on, without parking, while the
 * thread stays in its step range (threads.h). True when it is stepping
 * on (return from the handler); false when *stop, updated by any step
 * made here, is to be parked with.
 */
SNARE_HIDDEN bool snare_worker_step_on(snare_thread *thread, void *context,
                                       snare_stop *stop);
/* Gives the worker a step slot within reach of `near` (threads.h), kept
   from one step to the next; on failure it steps by the trap flag. */
SNARE_HIDDEN void snare_worker_step_slot(snare_thread *thread, uint64_t near);
/* Gives thread a step slot (as snare_worker_step_slot) when the
   instruction it is to step from (at new_pc, or NULL: where it is
   parked) is a system call, which steps there (worker.c,
   step_system_call); from the controller, the thread parked. */
SNARE_HIDDEN void snare_worker_step_slot_for(snare_thread *thread,
                                             const uint64_t *new_pc);
/* Gives it back, once the worker is gone; under the global lock. */
SNARE_HIDDEN void snare_worker_step_slot_release(snare_thread *thread);

#endif
