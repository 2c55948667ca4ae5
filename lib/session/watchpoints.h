/*
 * watchpoints.h - what the rest of the session asks of its watchpoints
 * (lib/session/watchpoint.c).
 */
#ifndef SNARE_SESSION_WATCHPOINTS_H
#define SNARE_SESSION_WATCHPOINTS_H

#include "session/session.h"

/*
 * A watchpoint's trap (cookie from the fault) on the calling thread:
 * counts it, runs skip and condition there, stops the thread if they say
 * so. False if the cookie is not snare's (the program's own perf event).
 */
SNARE_HIDDEN bool snare_watchpoints_trap(uint64_t cookie, void *context);
/* A single step of thread ended (the hardware then reports no watchpoint
   trap): the watched values it changed count as hits, and the first that
   wants a stop is recorded in *stop. Signal-safe. */
SNARE_HIDDEN void snare_watchpoints_after_step(snare_thread *thread,
                                               void *context, snare_stop *stop);
/*
 * Controller side, under the global lock, after a stop or an event was
 * taken: clears the watchpoints whose frame returned, and makes the stop
 * at a scope breakpoint that watchpoint's WATCHPOINT_SCOPE stop.
 */
SNARE_HIDDEN void snare_watchpoints_settle_stop(snare_session *session,
                                                snare_stop *stop);
SNARE_HIDDEN void snare_watchpoints_settle_event(snare_session *session,
                                                 snare_event *event);
/* The session is being freed; under the global lock. */
SNARE_HIDDEN void snare_watchpoints_clear_all(snare_session *session);

#endif
