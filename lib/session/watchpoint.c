/*
 * watchpoint.c - a session's watchpoints: the table the controller edits
 * under the global lock, and what a watchpoint's trap means on the
 * thread that took it (counted or not, skipped, its condition, a stop
 * with the old and new value). The debug registers themselves belong to
 * lib/watchpoints/. A watchpoint on a local has an internal breakpoint
 * at its frame's return address that ends it (see snare.h).
 */
#include <stdlib.h>
#include <string.h>

#include "session/breakpoints.h"
#include "session/session.h"
#include "session/watchpoints.h"
#include "watchpoints/watchpoints.h"

#define MAX_LENGTH 32

typedef struct snare_watchpoint {
  int id;
  snare_session *session;
  uint64_t address;
  unsigned length;
  snare_watch_kind kind;
  unsigned skip;
  snare_condition_fn condition;
  void *condition_data;
  void (*release)(void *);
  int thread;
  _Atomic bool enabled;
  _Atomic uint64_t hits, stops, rejected;
  /* the value at the last hit (or when set), under value_lock */
  atomic_flag value_lock;
  uint8_t value[MAX_LENGTH];
  snare_watch_registers registers;
  uint64_t scope_frame;
  int scope_breakpoint; /* internal breakpoint id, 0 if global */
  _Atomic bool scope_ended;
  snare_condition_guard guard; /* its condition's threads, its clear */
} snare_watchpoint;

/* Why the last set was refused. */
static _Thread_local const char *last_error = "";

const char *snare_watchpoint_error(void) { return last_error; }

static snare_watchpoint *find(snare_session *session, int id, size_t *index) {
  for (size_t i = 0; i < session->watchpoint_count; i++)
    if (session->watchpoints[i]->id == id) {
      if (index != NULL)
        *index = i;
      return session->watchpoints[i];
    }
  return NULL;
}

static bool session_append(snare_session *session, snare_watchpoint *wp) {
  if (session->watchpoint_count == session->watchpoint_capacity) {
    size_t capacity =
        session->watchpoint_capacity ? session->watchpoint_capacity * 2 : 8;
    snare_watchpoint **grown =
        realloc(session->watchpoints, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    session->watchpoints = grown;
    session->watchpoint_capacity = capacity;
  }
  session->watchpoints[session->watchpoint_count++] = wp;
  return true;
}

static uint64_t low_bytes(const uint8_t *bytes, unsigned length) {
  uint64_t value = 0;
  memcpy(&value, bytes, length < sizeof value ? length : sizeof value);
  return value;
}

/* ---- on the trapped thread (signal-safe) ---- */

typedef struct hit {
  bool counts;
  uint64_t old_value, new_value;
} hit;

static void lock_value(snare_watchpoint *wp) {
  while (atomic_flag_test_and_set_explicit(&wp->value_lock,
                                           memory_order_acquire))
    ;
}

static void unlock_value(snare_watchpoint *wp) {
  atomic_flag_clear_explicit(&wp->value_lock, memory_order_release);
}

/*
 * Reads the value and compares it with the last one; whether this access
 * counts for the watchpoint's kind. The kernel's read (never a trap of
 * our own) keeps read watchpoints from firing on themselves.
 */
static hit observe(snare_watchpoint *wp) {
  uint8_t now[MAX_LENGTH];
  hit h = {false, 0, 0};
  if (!snare_os_memory_read(wp->address, now, wp->length))
    return h;
  lock_value(wp);
  bool changed = memcmp(now, wp->value, wp->length) != 0;
  h.old_value = low_bytes(wp->value, wp->length);
  memcpy(wp->value, now, wp->length);
  unlock_value(wp);
  h.new_value = low_bytes(now, wp->length);
  switch (wp->kind) {
  case SNARE_WATCH_WRITE:
    h.counts = changed;
    break;
  case SNARE_WATCH_READ:
    h.counts = !changed;
    break;
  case SNARE_WATCH_ACCESS:
  case SNARE_WATCH_EXECUTE:
    h.counts = true;
    break;
  }
  return h;
}

static bool concerns(const snare_watchpoint *wp, const snare_thread *thread) {
  return wp->session == thread->session && atomic_load(&wp->enabled) &&
         (wp->thread == 0 || wp->thread == thread->id);
}

/* A watchpoint cleared before or during its condition does not stop
   (conditions.c keeps it until the condition returns). */
static bool condition_says_stop(snare_watchpoint *wp, snare_thread *thread,
                                void *context) {
  if (wp->condition == NULL)
    return true;
  snare_frame frame = {thread, context, wp->id, NULL, &wp->guard};
  return snare_condition_says_stop(&frame, wp->condition, wp->condition_data);
}

/* Counts a hit; whether it wants a stop after skip and condition. */
static bool wants_stop(snare_watchpoint *wp, snare_thread *thread,
                       void *context) {
  uint64_t hits = atomic_fetch_add(&wp->hits, 1) + 1;
  if (hits <= wp->skip || !condition_says_stop(wp, thread, context)) {
    atomic_fetch_add(&wp->rejected, 1);
    return false;
  }
  atomic_fetch_add(&wp->stops, 1);
  return true;
}

/* The calling thread, attached, running target code, not inside snare
   (a condition, or snare's own handler code touching the memory). */
static snare_thread *trapped_thread(void *context) {
  snare_thread *thread = snare_threads_current();
  if (thread == NULL || atomic_load(&thread->state) != SNARE_THREAD_RUNNING ||
      atomic_load(&thread->in_callback) || !atomic_load(&thread->breakable) ||
      snare_os_on_alternate_stack(
          snare_arch_register_get(context, SNARE_REG_RSP)))
    return NULL;
  return thread;
}

static void watch_stop(snare_stop *stop, const snare_watchpoint *wp,
                       const hit *h) {
  stop->watchpoint = wp->id;
  stop->old_value = h->old_value;
  stop->new_value = h->new_value;
}

bool snare_watchpoints_trap(uint64_t cookie, void *context) {
  if (!snare_watch_cookie_is_ours(cookie))
    return false; /* the program's own perf event */
  snare_watchpoint *wp = snare_watch_owner(cookie);
  snare_thread *thread = trapped_thread(context);
  if (wp == NULL || thread == NULL || !concerns(wp, thread))
    return true;
  hit h = observe(wp);
  if (!h.counts || !wants_stop(wp, thread, context))
    return true;
  /* In an out-of-line step (a breakpoint on the same instruction): the
     stop is reported after the original instruction. */
  snare_site *site =
      snare_sites_find_slot(snare_arch_register_get(context, SNARE_REG_RIP));
  if (site != NULL)
    snare_arch_displaced_finish(&site->plan, context);
  snare_stop stop;
  memset(&stop, 0, sizeof stop);
  stop.kind = SNARE_STOP_WATCHPOINT;
  stop.reason = SNARE_REASON_WATCHPOINT_HIT;
  watch_stop(&stop, wp, &h);
  snare_worker_stop(thread, context, &stop);
  return true;
}

typedef struct step_check {
  snare_thread *thread;
  void *context;
  snare_stop *stop;
} step_check;

static void check_after_step(void *owner, void *arg) {
  snare_watchpoint *wp = owner;
  step_check *check = arg;
  if (!concerns(wp, check->thread) || wp->kind == SNARE_WATCH_READ ||
      wp->kind == SNARE_WATCH_EXECUTE)
    return;
  hit h = observe(wp);
  if (wp->kind == SNARE_WATCH_ACCESS)
    h.counts = h.old_value != h.new_value; /* a read leaves no trace */
  if (h.counts && wants_stop(wp, check->thread, check->context) &&
      check->stop->watchpoint == 0)
    watch_stop(check->stop, wp, &h);
}

void snare_watchpoints_after_step(snare_thread *thread, void *context,
                                  snare_stop *stop) {
  step_check check = {thread, context, stop};
  snare_watch_each_owner(check_after_step, &check);
}

/* The scope breakpoint's condition: the watched frame has returned when
   the stack pointer is back at (or above) its canonical frame address;
   a deeper call returning to the same place is still inside it. */
static bool scope_left(snare_frame *frame, void *data) {
  snare_watchpoint *wp = data;
  if (snare_arch_register_get(frame->context, SNARE_REG_RSP) < wp->scope_frame)
    return false;
  atomic_store(&wp->enabled, false);
  atomic_store(&wp->scope_ended, true);
  return true;
}

/* ---- the controller's side ---- */

static snare_status check_options(unsigned length,
                                  const snare_watchpoint_options *opts) {
  if (length == 0 || length > MAX_LENGTH ||
      (unsigned)opts->kind > SNARE_WATCH_EXECUTE ||
      (opts->kind == SNARE_WATCH_EXECUTE && length != 1) ||
      (opts->scope_frame != 0 &&
       (opts->scope_return == 0 || opts->thread == 0)))
    return SNARE_INVALID_ARGUMENT;
  return SNARE_OK;
}

/* Frees wp's registers now, its condition data and record once no
   thread runs its condition; under the global lock. */
static void destroy(snare_watchpoint *wp) {
  snare_watch_release(&wp->registers);
  snare_condition_clear(&wp->guard, wp->session, wp->release,
                        wp->condition_data, wp);
}

static snare_watchpoint *make(snare_session *session, uint64_t addr,
                              unsigned length,
                              const snare_watchpoint_options *opts) {
  snare_watchpoint *wp = calloc(1, sizeof *wp);
  if (wp == NULL)
    return NULL;
  wp->session = session;
  wp->address = addr;
  wp->length = length;
  wp->kind = opts->kind;
  wp->skip = opts->skip;
  wp->condition = opts->condition;
  wp->condition_data = opts->condition_data;
  wp->thread = opts->thread;
  wp->scope_frame = opts->scope_frame;
  atomic_flag_clear(&wp->value_lock);
  atomic_init(&wp->enabled, true);
  snare_os_memory_read(addr, wp->value, length); /* unmapped: zeros */
  return wp;
}

static snare_status set_locked(snare_session *session, snare_watchpoint *wp) {
  if (!session_append(session, wp))
    return SNARE_NO_MEMORY;
  wp->id = ++session->next_breakpoint_id;
  snare_status status =
      snare_watch_claim(wp->address, wp->length, wp->kind, wp->thread, wp,
                        &wp->registers, &last_error);
  if (status == SNARE_NO_DEBUG_REGISTER)
    last_error = "x86-64 has four debug registers, and a range takes one "
                 "per aligned 1, 2, 4 or 8 bytes: clear a watchpoint first";
  if (status != SNARE_OK) {
    session->watchpoint_count--;
    session->next_breakpoint_id--;
  }
  return status;
}

snare_status snare_watchpoint_set(snare_session *session, uint64_t addr,
                                  unsigned length,
                                  const snare_watchpoint_options *opts,
                                  int *id) {
  static const snare_watchpoint_options defaults = {.kind = SNARE_WATCH_WRITE};
  if (opts == NULL)
    opts = &defaults;
  if (session == NULL || id == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_status status = check_options(length, opts);
  if (status != SNARE_OK)
    return status;
  snare_watchpoint *wp = make(session, addr, length, opts);
  if (wp == NULL)
    return SNARE_NO_MEMORY;
  snare_os_global_lock();
  status = set_locked(session, wp);
  snare_os_global_unlock();
  if (status != SNARE_OK) {
    free(wp);
    return status;
  }
  last_error = "";
  if (opts->scope_frame != 0) {
    snare_breakpoint_options scope = {.max_stops = 1,
                                      .condition = scope_left,
                                      .condition_data = wp,
                                      .thread = opts->thread,
                                      .internal = true};
    status = snare_breakpoint_set_trusted(session, opts->scope_return, &scope,
                                          &wp->scope_breakpoint);
    if (status != SNARE_OK) {
      snare_watchpoint_clear(session, wp->id);
      return status;
    }
  }
  wp->release = opts->release; /* from here clearing releases */
  *id = wp->id;
  return SNARE_OK;
}

/* Takes the watchpoint at index out of the session; under the global
   lock, its scope breakpoint already gone. */
static void remove_at(snare_session *session, size_t index) {
  snare_watchpoint *wp = session->watchpoints[index];
  memmove(&session->watchpoints[index], &session->watchpoints[index + 1],
          (session->watchpoint_count - index - 1) * sizeof wp);
  session->watchpoint_count--;
  destroy(wp);
}

snare_status snare_watchpoint_clear(snare_session *session, int id) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_watchpoint *wp = find(session, id, NULL);
  int scope =
      wp != NULL && !atomic_load(&wp->scope_ended) ? wp->scope_breakpoint : 0;
  snare_os_global_unlock();
  if (wp == NULL)
    return SNARE_NOT_FOUND;
  /* First the breakpoint whose condition reads the watchpoint. */
  if (scope != 0)
    snare_breakpoint_clear(session, scope);
  snare_os_global_lock();
  size_t index;
  if (find(session, id, &index) != NULL)
    remove_at(session, index);
  snare_conditions_reclaim();
  snare_os_global_unlock();
  return SNARE_OK;
}

snare_status snare_watchpoint_enable(snare_session *session, int id,
                                     bool enabled) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_watchpoint *wp = find(session, id, NULL);
  snare_status status = SNARE_NOT_FOUND;
  if (wp != NULL && !atomic_load(&wp->scope_ended)) {
    status = snare_watch_arm(&wp->registers, enabled);
    if (status == SNARE_OK) {
      /* what changed while disabled is no hit */
      lock_value(wp);
      snare_os_memory_read(wp->address, wp->value, wp->length);
      unlock_value(wp);
      atomic_store(&wp->enabled, enabled);
    }
  }
  snare_os_global_unlock();
  return status;
}

snare_status snare_watchpoint_info_get(snare_session *session, int id,
                                       snare_watchpoint_info *out) {
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_watchpoint *wp = find(session, id, NULL);
  if (wp != NULL)
    *out = (snare_watchpoint_info){
        .id = wp->id,
        .address = wp->address,
        .length = wp->length,
        .kind = wp->kind,
        .enabled = atomic_load(&wp->enabled),
        .hits = atomic_load(&wp->hits),
        .stops = atomic_load(&wp->stops),
        .rejected = atomic_load(&wp->rejected),
        .skip = wp->skip,
        .registers = (unsigned)wp->registers.count,
        .thread = wp->thread,
        .scoped = wp->scope_breakpoint != 0,
    };
  snare_os_global_unlock();
  return wp != NULL ? SNARE_OK : SNARE_NOT_FOUND;
}

size_t snare_watchpoint_list(snare_session *session, int *ids, size_t cap) {
  if (session == NULL)
    return 0;
  snare_os_global_lock();
  size_t count = session->watchpoint_count;
  for (size_t i = 0; i < count && i < cap; i++)
    ids[i] = session->watchpoints[i]->id;
  snare_os_global_unlock();
  return count;
}

/* Clears the watchpoints whose frame returned; the id of the one whose
   scope breakpoint is `breakpoint`, else 0. */
static int settle(snare_session *session, int breakpoint) {
  int ended = 0;
  for (size_t i = session->watchpoint_count; i-- > 0;) {
    snare_watchpoint *wp = session->watchpoints[i];
    if (!atomic_load(&wp->scope_ended))
      continue;
    if (breakpoint != 0 && wp->scope_breakpoint == breakpoint)
      ended = wp->id;
    remove_at(session, i);
  }
  return ended;
}

void snare_watchpoints_settle_stop(snare_session *session, snare_stop *stop) {
  int id = settle(session,
                  stop->kind == SNARE_STOP_BREAKPOINT ? stop->breakpoint : 0);
  if (id == 0)
    return;
  stop->kind = SNARE_STOP_WATCHPOINT;
  stop->reason = SNARE_REASON_WATCHPOINT_SCOPE;
  stop->breakpoint = 0;
  stop->watchpoint = id;
}

void snare_watchpoints_settle_event(snare_session *session,
                                    snare_event *event) {
  int id = settle(session, event->type == SNARE_EVENT_HARD_BREAKPOINT
                               ? event->breakpoint
                               : 0);
  if (id == 0)
    return;
  event->type = SNARE_EVENT_WATCHPOINT;
  event->reason = SNARE_REASON_WATCHPOINT_SCOPE;
  event->breakpoint = 0;
  event->watchpoint = id;
}

void snare_watchpoints_clear_all(snare_session *session) {
  while (session->watchpoint_count > 0)
    remove_at(session, session->watchpoint_count - 1);
  free(session->watchpoints);
  session->watchpoints = NULL;
  session->watchpoint_capacity = 0;
}
