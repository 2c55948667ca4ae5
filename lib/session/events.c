/*
 * events.c - a session's event queue: a bounded ring that attached
 * threads post to (from their trap handlers when they stop) and that
 * snare_wait_event takes from, in posting order.
 *
 * Locking inside a trap handler: a thread posts its stop synchronously,
 * from the trap of the target code it was running, and that code cannot
 * be inside the queue's lock (only snare's own posting and taking code
 * holds it, and no breakpoint can be set there). The one asynchronous
 * entry, the interrupt signal, only stops threads in the RUNNING state,
 * and a thread posting from outside a handler (attach, detach, quit) is
 * never running target code meanwhile: quiet() marks it so. Counting
 * semaphores tell waiters about entries and posters about free room, so
 * nobody waits while holding the lock, and a full ring makes posters wait
 * instead of dropping an event.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "session/events.h"
#include "session/watchpoints.h"
#include "hooks/hooks.h"

#define CAPACITY 256
#define STACK_MAX 64

typedef struct entry {
  snare_event_type type;
  int thread;
  int64_t data1, data2;
  int breakpoint;
  uint64_t pc;
  size_t depth;
  bool has_registers;
  snare_registers registers;
  int watchpoint;
  snare_stop_reason reason;
  uint64_t old_value, new_value;
  uint64_t stack[STACK_MAX]; /* last: posts without a frame skip it */
} entry;

struct snare_events {
  snare_os_lock *lock;
  snare_os_event *ready; /* counts entries */
  snare_os_event *room;  /* counts free slots */
  size_t head, count;
  bool quit_pending; /* a QUIT waits in the ring: quits coalesce */
  entry ring[CAPACITY];
};

static const char *const type_names[] = {
#define SNARE_EVENT_TYPE_NAME(code, name) name,
    SNARE_EVENT_TYPE_LIST(SNARE_EVENT_TYPE_NAME)
#undef SNARE_EVENT_TYPE_NAME
};

const char *snare_event_type_name(snare_event_type type) {
  return (unsigned)type < SNARE_EVENT_TYPE_COUNT ? type_names[type] : "?";
}

snare_status snare_events_new(snare_events **out) {
  snare_events *events = calloc(1, sizeof *events);
  if (events == NULL)
    return SNARE_NO_MEMORY;
  snare_status status = snare_os_lock_new(&events->lock);
  if (status == SNARE_OK)
    status = snare_os_event_new(&events->ready);
  if (status == SNARE_OK)
    status = snare_os_event_new(&events->room);
  if (status != SNARE_OK) {
    snare_events_free(events);
    return status;
  }
  for (size_t i = 0; i < CAPACITY; i++)
    snare_os_event_signal(events->room);
  *out = events;
  return SNARE_OK;
}

void snare_events_free(snare_events *events) {
  if (events == NULL)
    return;
  snare_os_lock_free(events->lock);
  snare_os_event_free(events->ready);
  snare_os_event_free(events->room);
  free(events);
}

static void push(snare_events *events, const entry *e) {
  snare_os_event_wait(events->room);
  snare_os_lock_acquire(events->lock);
  events->ring[(events->head + events->count) % CAPACITY] = *e;
  events->count++;
  snare_os_lock_release(events->lock);
  snare_os_event_signal(events->ready);
}

/*
 * Marks the calling thread, if attached, as not stoppable while it holds
 * the queue lock (see the top of this file); returns what to restore.
 */
static bool quiet(snare_thread *self) {
  return self != NULL && !atomic_exchange(&self->in_callback, true);
}

static void unquiet(snare_thread *self, bool was_quieted) {
  if (was_quieted)
    atomic_store(&self->in_callback, false);
}

void snare_events_post(snare_session *session, snare_event_type type,
                       int thread, int64_t data1) {
  entry e;
  memset(&e, 0, offsetof(entry, stack));
  e.type = type;
  e.thread = thread;
  e.data1 = data1;
  snare_thread *self = snare_threads_current();
  bool quieted = quiet(self);
  push(session->events, &e);
  unquiet(self, quieted);
}

/* Return addresses by the frame-pointer chain, checked to grow upwards so
   that garbage in rbp (code without frame pointers) ends the walk; hooked
   calls show their real callers. Runs on the thread whose stack it is. */
static size_t walk_stack(const void *context, uint64_t *out, size_t cap) {
  size_t n = 0;
  out[n++] = snare_arch_register_get(context, SNARE_REG_RIP);
  uint64_t low = snare_arch_register_get(context, SNARE_REG_RSP);
  uint64_t fp = snare_arch_register_get(context, SNARE_REG_RBP);
  while (n < cap && fp >= low && fp % sizeof(uint64_t) == 0) {
    uint64_t pair[2]; /* saved frame pointer, return address */
    if (!snare_os_memory_read(fp, pair, sizeof pair) || pair[1] == 0)
      break;
    out[n++] = snare_hook_real_return(fp + sizeof(uint64_t), pair[1]);
    low = fp + sizeof pair;
    fp = pair[0];
  }
  return n;
}

static snare_event_type stop_event_type(const snare_stop *stop) {
  switch (stop->kind) {
  case SNARE_STOP_BREAKPOINT: return SNARE_EVENT_HARD_BREAKPOINT;
  case SNARE_STOP_STEP: return SNARE_EVENT_SOFT_BREAKPOINT;
  case SNARE_STOP_INTERRUPT: return SNARE_EVENT_USER_BREAKPOINT;
  case SNARE_STOP_WATCHPOINT: return SNARE_EVENT_WATCHPOINT;
  default: return SNARE_EVENT_FAULT;
  }
}

void snare_events_post_stop(snare_thread *thread, const void *context) {
  /* A controller stepping this thread takes its stops itself (see
     lib/stepping/step_subject.c): they never enter the queue, so the events of
     other threads keep their order and a concurrent waiter cannot take
     a stop the step needs. */
  if (atomic_load(&thread->stepped)) {
    snare_os_event_signal(thread->step_event);
    return;
  }
  entry e;
  e.type = stop_event_type(&thread->stop);
  e.thread = thread->id;
  e.data1 = e.type == SNARE_EVENT_FAULT ? thread->stop.signal
            : thread->stop.at_mark       ? thread->stop.data1
                                         : 0;
  e.data2 = thread->stop.at_mark ? thread->stop.data2 : 0;
  e.breakpoint = thread->stop.breakpoint;
  e.pc = thread->stop.pc;
  e.has_registers = true;
  e.registers = thread->stop.registers; /* park() snapshot them */
  e.watchpoint = thread->stop.watchpoint;
  e.reason = thread->stop.reason;
  e.old_value = thread->stop.old_value;
  e.new_value = thread->stop.new_value;
  e.depth = walk_stack(context, e.stack, STACK_MAX);
  /* counted first: whoever takes the event sees it counted */
  atomic_fetch_add(&thread->session->stops_queued, 1);
  push(thread->session->events, &e);
}

/* Fills *out from e, handing it `stack` (room for e's stack); the
   controller side, under the global lock, so it may look up code. */
static void deliver(const entry *e, uint64_t *stack, snare_event *out) {
  snare_event_free(out);
  memset(out, 0, sizeof *out);
  out->type = e->type;
  out->thread = e->thread;
  out->data1 = e->data1;
  out->data2 = e->data2;
  out->breakpoint = e->breakpoint;
  out->pc = e->pc;
  out->has_registers = e->has_registers;
  out->registers = e->registers;
  out->watchpoint = e->watchpoint;
  out->reason = e->reason;
  out->old_value = e->old_value;
  out->new_value = e->new_value;
  memcpy(stack, e->stack, e->depth * sizeof *stack);
  out->stack = stack;
  out->stack_depth = e->depth;
  uint64_t start, size;
  if (e->pc != 0 && snare_code_function_containing(e->pc, &start, &size,
                                                   &out->function_name))
    out->function = start;
}

snare_status snare_wait_event(snare_session *session, int timeout_ms,
                              snare_event *out) {
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  uint64_t *stack = malloc(STACK_MAX * sizeof *stack);
  if (stack == NULL)
    return SNARE_NO_MEMORY;
  snare_events *events = session->events;
  if (timeout_ms < 0) {
    snare_os_event_wait(events->ready);
  } else if (!snare_os_event_wait_ms(events->ready, (unsigned)timeout_ms)) {
    free(stack);
    return SNARE_TIMEOUT;
  }
  snare_thread *self = snare_threads_current();
  bool quieted = quiet(self);
  entry e;
  snare_os_lock_acquire(events->lock);
  e = events->ring[events->head];
  events->head = (events->head + 1) % CAPACITY;
  events->count--;
  if (e.type == SNARE_EVENT_QUIT)
    events->quit_pending = false;
  snare_os_lock_release(events->lock);
  unquiet(self, quieted);
  snare_os_event_signal(events->room);
  snare_os_global_lock();
  deliver(&e, stack, out);
  /* Breakpoints that reached their max stops on attached threads. */
  snare_breakpoints_clear_expired(session);
  snare_watchpoints_settle_event(session, out);
  snare_conditions_reclaim();
  snare_os_global_unlock();
  return SNARE_OK;
}

void snare_event_free(snare_event *event) {
  if (event == NULL)
    return;
  free(event->stack);
  event->stack = NULL;
  event->stack_depth = 0;
}

snare_status snare_session_quit(snare_session *session) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_events *events = session->events;
  snare_thread *self = snare_threads_current();
  bool quieted = quiet(self);
  snare_os_lock_acquire(events->lock);
  bool pending = events->quit_pending;
  events->quit_pending = true;
  snare_os_lock_release(events->lock);
  unquiet(self, quieted);
  if (!pending)
    snare_events_post(session, SNARE_EVENT_QUIT, 0, 0);
  /* A thread that ends the program in the middle of a step (`next` over
     exit()) never stops again: the stepper waiting for its next stop is
     woken, as for a thread that detaches, and sees it ended. */
  if (self != NULL && self->session == session &&
      atomic_load(&self->stepped)) {
    atomic_store(&self->ended_program, true);
    snare_os_event_signal(self->step_event);
  }
  return SNARE_OK;
}
