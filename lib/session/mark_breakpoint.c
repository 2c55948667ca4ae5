/*
 * mark_breakpoint.c - breakpoints on marks, libjit's
 * jit_debugger_add_breakpoint: a mark breakpoint (a filter and options)
 * sets one session breakpoint, an "arm", on every matching mark, now and
 * as marks are added. An arm's condition checks computed data against
 * the filter, then runs the user's condition. Controller thread only;
 * arms carry copies of what their condition needs, so the trap handler
 * never reads the mark breakpoint itself.
 */
#include <stdlib.h>

#include "marks/marks.h"
#include "session/session.h"

typedef struct arm {
  int group;      /* mark breakpoint id */
  int mark;       /* mark id */
  int breakpoint; /* the session breakpoint */
  snare_mark_filter filter;
  snare_mark_value data1, data2;
  snare_condition_fn condition; /* the user's */
  void *condition_data;
} arm;

typedef struct group {
  int id;
  snare_session *session;
  snare_mark_filter filter;
  snare_breakpoint_options opts;
  arm **arms;
  size_t arm_count, arm_capacity;
} group;

static group **groups; /* by id - 1; NULL once cleared */
static size_t group_count, group_capacity;

static group *find(int id) {
  return id > 0 && (size_t)id <= group_count ? groups[id - 1] : NULL;
}

static bool arm_condition(snare_frame *frame, void *data) {
  arm *a = data;
  if (a->filter.flags & (SNARE_MARK_MATCH_DATA1 | SNARE_MARK_MATCH_DATA2)) {
    int64_t d1, d2;
    if (!snare_mark_value_at(&a->data1, frame->context, &d1) ||
        !snare_mark_value_at(&a->data2, frame->context, &d2) ||
        !snare_marks_filter_values(&a->filter, d1, d2))
      return false;
  }
  return a->condition == NULL || a->condition(frame, a->condition_data);
}

/* The core's release of an arm's breakpoint, under the global lock:
   whoever cleared it (the group, the mark, max_stops, a library close). */
static void arm_release(void *data) {
  arm *a = data;
  group *g = find(a->group);
  for (size_t i = 0; g != NULL && i < g->arm_count; i++)
    if (g->arms[i] == a) {
      g->arms[i] = g->arms[--g->arm_count];
      break;
    }
  snare_marks_arm(a->mark, -1);
  free(a);
}

void snare_mark_breakpoints_stop_data(const snare_breakpoint *bp,
                                      const void *context, snare_stop *stop) {
  if (bp == NULL || bp->release != arm_release)
    return;
  const arm *a = bp->condition_data;
  int64_t d1 = 0, d2 = 0;
  snare_mark_value_at(&a->data1, context, &d1);
  snare_mark_value_at(&a->data2, context, &d2);
  stop->at_mark = true;
  stop->data1 = d1;
  stop->data2 = d2;
}

/* Sets g's breakpoint on mark if the filter allows it. */
static snare_status arm_mark(group *g, snare_mark *mark) {
  if (!snare_marks_filter_static(&g->filter, mark))
    return SNARE_OK;
  arm *a = calloc(1, sizeof *a);
  if (a == NULL || !snare_marks_grow(&g->arms, &g->arm_capacity,
                                     g->arm_count, sizeof *g->arms)) {
    free(a);
    return SNARE_NO_MEMORY;
  }
  *a = (arm){g->id, mark->info.id, 0, g->filter, mark->info.data1,
             mark->info.data2, g->opts.condition, g->opts.condition_data};
  snare_breakpoint_options opts = g->opts;
  opts.condition = arm_condition;
  opts.condition_data = a;
  opts.release = arm_release;
  snare_status status =
      snare_breakpoint_set(g->session, mark->info.address, &opts,
                           &a->breakpoint);
  if (status != SNARE_OK) {
    free(a);
    return status;
  }
  g->arms[g->arm_count++] = a;
  snare_marks_arm(mark->info.id, +1);
  return SNARE_OK;
}

typedef struct arming {
  group *group;
  snare_status status;
} arming;

/* As mark hooks: marks that refuse a breakpoint are left out. */
static void arm_each(snare_mark *mark, void *raw) {
  arming *job = raw;
  if (arm_mark(job->group, mark) == SNARE_NO_MEMORY)
    job->status = SNARE_NO_MEMORY;
}

/* Clears the arms of g on mark (0: all of them). */
static void disarm(group *g, int mark) {
  size_t i = 0;
  while (i < g->arm_count) {
    arm *a = g->arms[i];
    if (mark != 0 && a->mark != mark) {
      i++;
      continue;
    }
    size_t before = g->arm_count;
    snare_breakpoint_clear(g->session, a->breakpoint); /* releases a */
    if (g->arm_count == before) /* cleared by someone already */
      g->arms[i] = g->arms[--g->arm_count];
  }
}

static void destroy(group *g) {
  disarm(g, 0);
  if (g->opts.release != NULL)
    g->opts.release(g->opts.condition_data);
  groups[g->id - 1] = NULL;
  free(g->arms);
  free(g);
}

snare_status snare_breakpoint_on_marks(snare_session *session,
                                       const snare_mark_filter *filter,
                                       const snare_breakpoint_options *opts,
                                       int *id) {
  if (session == NULL || filter == NULL || id == NULL)
    return SNARE_INVALID_ARGUMENT;
  group *g = calloc(1, sizeof *g);
  if (g == NULL || !snare_marks_grow(&groups, &group_capacity, group_count,
                                     sizeof *groups)) {
    free(g);
    return SNARE_NO_MEMORY;
  }
  g->session = session;
  g->filter = *filter;
  if (opts != NULL)
    g->opts = *opts;
  groups[group_count++] = g;
  g->id = (int)group_count;
  arming job = {g, SNARE_OK};
  snare_marks_each(arm_each, &job);
  if (job.status == SNARE_NO_MEMORY) {
    g->opts.release = NULL; /* a failing call keeps the caller's data */
    destroy(g);
    return job.status;
  }
  *id = g->id;
  return SNARE_OK;
}

snare_status snare_mark_breakpoint_clear(int id) {
  group *g = find(id);
  if (g == NULL)
    return SNARE_NOT_FOUND;
  destroy(g);
  return SNARE_OK;
}

size_t snare_mark_breakpoint_ids(int id, int *ids, size_t cap) {
  group *g = find(id);
  size_t n = g ? g->arm_count : 0;
  for (size_t i = 0; i < n && i < cap && ids != NULL; i++)
    ids[i] = g->arms[i]->breakpoint;
  return n;
}

static void mark_added(snare_mark *mark) {
  for (size_t i = 0; i < group_count; i++)
    if (groups[i] != NULL)
      arm_mark(groups[i], mark);
}

static void mark_removed(snare_mark *mark) {
  for (size_t i = 0; i < group_count; i++)
    if (groups[i] != NULL)
      disarm(groups[i], mark->info.id);
}

SNARE_AT_LOAD static void watch_marks(void) {
  static const snare_marks_watcher watcher = {mark_added, mark_removed};
  snare_marks_watch(&watcher);
}

void snare_mark_breakpoints_session_gone(snare_session *session) {
  for (size_t i = 0; i < group_count; i++)
    if (groups[i] != NULL && groups[i]->session == session)
      destroy(groups[i]);
}
