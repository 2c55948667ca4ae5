/*
 * events.h - the event queue of a session and its attached threads, as
 * the rest of the core sees them. Implemented in lib/session/events.c and
 * lib/session/attach.c.
 */
#ifndef SNARE_INTERNAL_EVENTS_H
#define SNARE_INTERNAL_EVENTS_H

#include "session/session.h"

typedef struct snare_events snare_events;

SNARE_HIDDEN snare_status snare_events_new(snare_events **out);
SNARE_HIDDEN void snare_events_free(snare_events *events);

/*
 * Posts an event that has no frame (quit, attach, detach). Blocks while
 * the queue is full, so no event is ever dropped. Not for handlers.
 */
SNARE_HIDDEN void snare_events_post(snare_session *session,
                                    snare_event_type type, int thread,
                                    int64_t data1);
/*
 * Posts the stop a parked attached thread has just recorded in
 * thread->stop, with a stack trace read from context. Runs inside the
 * thread's trap handler; see lib/session/events.c for why it may lock.
 */
SNARE_HIDDEN void snare_events_post_stop(snare_thread *thread,
                                         const void *context);

/*
 * Thread id of the session (its worker included) if it is parked with a
 * frame: the worker stopped in a call, an attached thread parked at a
 * stop (not by snare_thread_attach). Else NULL, and *why is NOT_FOUND (no
 * such live thread) or WRONG_STATE. Controller side.
 */
SNARE_HIDDEN snare_thread *snare_thread_parked(snare_session *session, int id,
                                               snare_status *why);

/*
 * Frees the records of threads that detached; threads still attached
 * are taken out of the thread table, resumed if parked, and their records
 * leaked, since they may still be running on them. Session teardown only.
 */
SNARE_HIDDEN void snare_attached_release(snare_session *session);

#endif
