/*
 * breakpoint.c - a session's breakpoints: the table the controller edits
 * under the global lock, and the per-site lists fault handlers read.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "session/breakpoints.h"
#include "session/session.h"

/* Ids of internal breakpoints count down from -1, and those of extra
   locations up from past the user numbers, under the global lock, so
   they never take a user's id. */
static int next_internal_id;
static int next_location_id = SNARE_BREAKPOINT_NUMBER_MAX;

/* The id opts ask for: 0 when a number asked for is out of range or in
   use. A user number from the counter goes back with give_back_id. */
static int take_id(snare_session *session,
                   const snare_breakpoint_options *opts) {
  if (opts != NULL && opts->internal)
    return --next_internal_id;
  if (opts != NULL && opts->extra_location)
    return next_location_id < INT_MAX ? ++next_location_id : 0;
  if (opts == NULL || opts->number == 0)
    return ++session->next_breakpoint_id;
  size_t index;
  if (opts->number < 1 || opts->number > SNARE_BREAKPOINT_NUMBER_MAX ||
      snare_breakpoint_ids_get(&session->breakpoints_by_id, opts->number,
                               &index))
    return 0;
  if (session->next_breakpoint_id < opts->number)
    session->next_breakpoint_id = opts->number; /* the counter never meets it */
  return opts->number;
}

static void give_back_id(snare_session *session,
                         const snare_breakpoint_options *opts) {
  if (opts != NULL && opts->internal)
    next_internal_id++;
  else if (opts != NULL && opts->extra_location)
    next_location_id--;
  else if (opts == NULL || opts->number == 0)
    session->next_breakpoint_id--;
}

static snare_breakpoint *find(snare_session *session, int id, size_t *index) {
  size_t at;
  if (!snare_breakpoint_ids_get(&session->breakpoints_by_id, id, &at))
    return NULL;
  if (index != NULL)
    *index = at;
  return session->breakpoints[at];
}

/* A copy of the site's list with `add` appended and `drop` left out. */
static snare_site_breakpoints *list_with(const snare_site *site,
                                         snare_breakpoint *add,
                                         const snare_breakpoint *drop) {
  const snare_site_breakpoints *old = atomic_load(&site->breakpoints);
  size_t count = old ? old->count : 0;
  snare_site_breakpoints *list =
      malloc(sizeof *list + (count + 1) * sizeof list->items[0]);
  if (list == NULL)
    return NULL;
  list->count = 0;
  for (size_t i = 0; i < count; i++)
    if (old->items[i] != drop)
      list->items[list->count++] = old->items[i];
  if (add != NULL)
    list->items[list->count++] = add;
  return list;
}

static bool session_append(snare_session *session, snare_breakpoint *bp) {
  if (session->breakpoint_count == session->breakpoint_capacity) {
    size_t capacity =
        session->breakpoint_capacity ? session->breakpoint_capacity * 2 : 16;
    snare_breakpoint **grown =
        realloc(session->breakpoints, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    session->breakpoints = grown;
    session->breakpoint_capacity = capacity;
  }
  session->breakpoints[session->breakpoint_count++] = bp;
  return true;
}

/* Publishes the site's new list and lets the site take a jump or go
   back to its trap (breakpoint_jump.c) while breakpoints remain there. A
   site that never had a trap gets its jump before any trap is written. */
static snare_status update_site(snare_site *site, snare_site_breakpoints *list) {
  bool some = list != NULL && list->count > 0;
  if (some && !site->trapped)
    snare_breakpoint_jump_settle(site, list);
  snare_status status = snare_sites_update(site, list);
  if (status == SNARE_OK && some)
    snare_breakpoint_jump_settle(site, list);
  return status;
}

static snare_status set_locked(snare_session *session, uint64_t addr,
                               const snare_breakpoint_options *opts, int *id,
                               bool trusted) {
  snare_status status = trusted ? SNARE_OK : snare_check_code_address(addr);
  if (status != SNARE_OK)
    return status;
  snare_site *site;
  status = snare_sites_acquire(addr, &site);
  if (status != SNARE_OK)
    return status;
  size_t slots = opts != NULL && opts->condition != NULL
                     ? SNARE_BREAKPOINT_VARIABLES
                     : 0;
  size_t variables = slots * sizeof(snare_breakpoint_variable);
  snare_breakpoint *bp = calloc(
      1, sizeof *bp + variables +
             (slots != 0 ? sizeof(snare_native_condition) : 0));
  if (bp != NULL) {
    bp->variable_slots = slots;
    if (slots != 0) /* 8-aligned: a variable's program holds int64s */
      atomic_init(&bp->native, (snare_native_condition *)(bp->variables +
                                                          slots));
  }
  snare_site_breakpoints *list = bp ? list_with(site, bp, NULL) : NULL;
  if (bp == NULL || list == NULL || !session_append(session, bp)) {
    free(bp);
    free(list);
    if (atomic_load(&site->breakpoints) == NULL)
      snare_sites_update(site, NULL); /* drop the site we just made */
    return SNARE_NO_MEMORY;
  }
  bp->id = take_id(session, opts);
  if (bp->id == 0 ||
      !snare_breakpoint_ids_put(&session->breakpoints_by_id, bp->id,
                                session->breakpoint_count - 1)) {
    session->breakpoint_count--;
    if (bp->id != 0)
      give_back_id(session, opts);
    status = bp->id == 0 ? SNARE_INVALID_ARGUMENT : SNARE_NO_MEMORY;
    free(bp);
    free(list);
    if (atomic_load(&site->breakpoints) == NULL)
      snare_sites_update(site, NULL);
    return status;
  }
  bp->address = addr;
  bp->session = session;
  atomic_store(&bp->enabled, true);
  if (opts != NULL) {
    bp->skip = opts->skip;
    bp->max_stops = opts->max_stops;
    bp->condition = opts->condition;
    bp->condition_data = opts->condition_data;
    bp->release = opts->release;
    bp->thread = opts->thread;
    bp->function_start = opts->function_start;
    bp->function_end = opts->function_end;
    bp->trap = opts->trap;
    bp->inline_hidden = snare_code_inline_within(addr, opts->function);
  }
  status = update_site(site, list);
  if (status != SNARE_OK) {
    snare_breakpoint_ids_remove(&session->breakpoints_by_id, bp->id);
    session->breakpoint_count--;
    give_back_id(session, opts);
    free(bp);
    return status;
  }
  *id = bp->id;
  return SNARE_OK;
}

snare_status snare_breakpoint_set(snare_session *session, uint64_t addr,
                                  const snare_breakpoint_options *opts,
                                  int *id) {
  if (session == NULL || id == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_status status = set_locked(session, addr, opts, id, false);
  snare_os_global_unlock();
  return status;
}

snare_status snare_breakpoint_set_trusted(snare_session *session,
                                          uint64_t addr,
                                          const snare_breakpoint_options *opts,
                                          int *id) {
  snare_os_global_lock();
  snare_status status = set_locked(session, addr, opts, id, true);
  snare_os_global_unlock();
  return status;
}

/* Takes bp out of its site and its session and releases it (later, on
   the late list, while a thread runs its condition). */
static snare_status remove_at(snare_session *session, size_t index) {
  snare_breakpoint *bp = session->breakpoints[index];
  snare_site *site = snare_sites_find(bp->address);
  if (site != NULL) {
    snare_site_breakpoints *list = list_with(site, NULL, bp);
    if (list == NULL)
      return SNARE_NO_MEMORY;
    snare_status status = update_site(site, list);
    if (status != SNARE_OK) {
      free(list);
      return status;
    }
  }
  /* The last takes its place: callers walk the table backwards. */
  snare_breakpoint_ids_remove(&session->breakpoints_by_id, bp->id);
  snare_breakpoint *last = session->breakpoints[--session->breakpoint_count];
  if (last != bp) {
    session->breakpoints[index] = last;
    snare_breakpoint_ids_put(&session->breakpoints_by_id, last->id, index);
  }
  snare_native_condition_release(bp);
  snare_condition_clear(&bp->guard, session, bp->release, bp->condition_data,
                        bp);
  return SNARE_OK;
}

snare_status snare_breakpoint_clear(snare_session *session, int id) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  size_t index;
  snare_status status = find(session, id, &index) ? remove_at(session, index)
                                                   : SNARE_NOT_FOUND;
  snare_conditions_reclaim();
  snare_os_global_unlock();
  return status;
}

snare_status snare_breakpoint_enable(snare_session *session, int id,
                                     bool enabled) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_status status = SNARE_NOT_FOUND;
  snare_breakpoint *bp = find(session, id, NULL);
  if (bp != NULL) {
    bool was = atomic_exchange(&bp->enabled, enabled);
    snare_site *site = snare_sites_find(bp->address);
    status = update_site(site, atomic_load(&site->breakpoints));
    if (status != SNARE_OK)
      atomic_store(&bp->enabled, was);
  }
  snare_os_global_unlock();
  return status;
}

snare_status snare_breakpoint_condition_program_drop(snare_session *session,
                                                     int id) {
  if (session == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_breakpoint *bp = find(session, id, NULL);
  snare_status status =
      bp != NULL ? snare_native_condition_drop(bp) : SNARE_NOT_FOUND;
  snare_os_global_unlock();
  return status;
}

snare_status snare_breakpoint_info_get(snare_session *session, int id,
                                       snare_breakpoint_info *out) {
  if (session == NULL || out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_breakpoint *bp = find(session, id, NULL);
  snare_native_condition *native = bp ? atomic_load(&bp->native) : NULL;
  if (bp != NULL)
    *out = (snare_breakpoint_info){
        .id = bp->id,
        .address = bp->address,
        .enabled = atomic_load(&bp->enabled),
        .hits = atomic_load(&bp->hits),
        .stops = atomic_load(&bp->stops),
        .rejected = atomic_load(&bp->rejected),
        .skip = bp->skip,
        .max_stops = bp->max_stops,
        .mechanism = snare_breakpoint_jumped(bp) ? SNARE_BREAKPOINT_JUMP
                                                 : SNARE_BREAKPOINT_TRAP,
        .native_condition =
            native != NULL && atomic_load(&native->state) == SNARE_NATIVE_READY,
        .native_rejected = atomic_load(&bp->native_rejected),
    };
  snare_os_global_unlock();
  return bp != NULL ? SNARE_OK : SNARE_NOT_FOUND;
}

size_t snare_breakpoint_list(snare_session *session, int *ids, size_t cap) {
  if (session == NULL)
    return 0;
  snare_os_global_lock();
  /* (not internal ones, nor extra locations) */
  size_t count = snare_breakpoint_ids_sorted(&session->breakpoints_by_id, 1,
                                             SNARE_BREAKPOINT_NUMBER_MAX, ids,
                                             cap);
  snare_os_global_unlock();
  return count;
}

void snare_breakpoints_clear_expired(snare_session *session) {
  for (size_t i = session->breakpoint_count; i-- > 0;)
    if (atomic_load(&session->breakpoints[i]->expired))
      remove_at(session, i);
}

void snare_breakpoints_clear_all(snare_session *session) {
  while (session->breakpoint_count > 0)
    remove_at(session, session->breakpoint_count - 1);
}

typedef struct range {
  uint64_t start, end;
} range;

static void clear_in_range(snare_session *session, void *arg) {
  const range *r = arg;
  for (size_t i = session->breakpoint_count; i-- > 0;) {
    uint64_t addr = session->breakpoints[i]->address;
    if (addr >= r->start && addr < r->end)
      remove_at(session, i);
  }
}

/* Every breakpoint of every session in [start, start+size): the code
   there is going away. */
static void clear_range(uint64_t start, uint64_t size) {
  range r = {start, start + size};
  snare_os_global_lock();
  snare_sessions_each(clear_in_range, &r);
  snare_conditions_reclaim();
  snare_os_global_unlock();
}

SNARE_AT_LOAD static void watch_code(void) {
  static const snare_code_watcher watcher = {.removed = clear_range};
  snare_code_watch(&watcher);
}

void snare_breakpoint_clear_all(snare_session *session) {
  if (session == NULL)
    return;
  snare_os_global_lock();
  snare_breakpoints_clear_all(session);
  snare_conditions_reclaim();
  snare_os_global_unlock();
}

snare_status snare_breakpoint_number_take(snare_session *session,
                                          int *number) {
  if (session == NULL || number == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (session->next_breakpoint_id >= SNARE_BREAKPOINT_NUMBER_MAX)
    return SNARE_NO_MEMORY;
  *number = ++session->next_breakpoint_id;
  return SNARE_OK;
}

snare_status snare_breakpoint_numbers_from(snare_session *session,
                                           int number) {
  if (session == NULL || number < 1 || number > SNARE_BREAKPOINT_NUMBER_MAX)
    return SNARE_INVALID_ARGUMENT;
  if (session->next_breakpoint_id < number - 1)
    session->next_breakpoint_id = number - 1;
  return SNARE_OK;
}

unsigned snare_breakpoints_inline_shown(uint64_t pc, unsigned hidden) {
  const snare_site *site = snare_sites_find(pc);
  const snare_site_breakpoints *list =
      site != NULL ? atomic_load(&site->breakpoints) : NULL;
  for (size_t i = 0; list != NULL && i < list->count; i++) {
    const snare_breakpoint *bp = list->items[i];
    if (bp->id > 0 && atomic_load(&bp->enabled) && bp->inline_hidden < hidden)
      hidden = bp->inline_hidden;
  }
  return hidden;
}
