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
  snare_breakpoint **breakpoints; /* creation order */
  size_t breakpoint_count;
  size_t breakpoint_capacity;
  int next_breakpoint_id;
  /* Threads that attached themselves (lib/session/attach.c), under threads_lock;
     records live until the session is freed. */
  snare_os_lock *threads_lock;
  snare_thread **attached;
  size_t attached_count, attached_capacity;
  struct snare_events *events; /* lib/session/events.c */
};

/* ---- sessions (session.c) ---- */
/* Calls fn on every live session; controller, under the global lock. */
SNARE_HIDDEN void snare_sessions_each(void (*fn)(struct snare_session *, void *),
                                      void *arg);
/* OK if addr is mapped executable code, else BAD_ADDRESS or NOT_CODE. */
SNARE_HIDDEN snare_status snare_session_check_code(uint64_t addr);

/* ---- breakpoints (breakpoint.c) ---- */
/* Clears breakpoints of the session that reached their max stops. */
SNARE_HIDDEN void snare_breakpoints_clear_expired(struct snare_session *s);
SNARE_HIDDEN void snare_breakpoints_clear_all(struct snare_session *s);

/* ---- breakpoints on marks (mark_breakpoint.c) ---- */
/* A session being freed: forgets its mark breakpoints. */
SNARE_HIDDEN void snare_mark_breakpoints_session_gone(snare_session *s);
/* If bp was set on a mark, evaluates the mark's data into the stop;
   signal-safe (runs when the stop is made). */
SNARE_HIDDEN void snare_mark_breakpoints_stop_data(const snare_breakpoint *bp,
                                                   const void *context,
                                                   snare_stop *stop);

/* ---- the fault dispatcher (fault.c) ---- */
/* The breakpoints of one hit that said stop, in the site's order. */
typedef struct snare_stopping {
  snare_breakpoint *first; /* NULL: none */
  int ids[SNARE_STOP_BREAKPOINTS];
  unsigned count;
} snare_stopping;
/* Runs every breakpoint of list at address for the calling thread (hit
   counts, skips, conditions, max stops); signal-safe. */
SNARE_HIDDEN void snare_breakpoints_evaluate(snare_thread *thread,
                                             const snare_site_breakpoints *list,
                                             uint64_t address, void *context,
                                             snare_stopping *stopping);

/* ---- worker and stops (worker.c) ---- */
SNARE_HIDDEN void snare_worker_body(void *session);
/*
 * Parks the calling (attached) thread with `stop` until the controller
 * resumes it, then prepares the context for the requested resume,
 * stopping again as long as the resume itself ends in a stop.
 */
SNARE_HIDDEN void snare_worker_stop(snare_thread *thread, void *context,
                                    snare_stop *stop);

#endif
