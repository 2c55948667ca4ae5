/*
 * mark_hook.c - mark hooks, libjit's jit_debugger_set_hook: a callback
 * at every hit of the marks a filter matches, on any thread, through a
 * trap at each mark. Each patch site keeps an immutable list of the hooks
 * trapping there (site->mark_traps), replaced whole under the global lock
 * and read by trap handlers without locks. Hook records are kept until
 * the process ends: a handler may still be inside one.
 */
#include <stdlib.h>

#include "internal/marks.h"

typedef struct mark_hook {
  int id;
  snare_mark_filter filter;
  snare_mark_hook_fn fn;
  void *data;
  void (*release)(void *);
  _Atomic bool active;
  _Atomic uint64_t hits;
} mark_hook;

typedef struct mark_trap {
  mark_hook *hook;
  int mark;
  uint64_t function;
  snare_mark_value data1, data2;
} mark_trap;

typedef struct snare_mark_traps {
  size_t count;
  mark_trap items[];
} snare_mark_traps;

static mark_hook **hooks; /* by id - 1 */
static size_t hook_count, hook_capacity;
static size_t trap_count; /* installed traps, for snare_release_if_unused */

size_t snare_mark_hooks_active(void) { return trap_count; }

static mark_hook *find(int id) {
  mark_hook *h = id > 0 && (size_t)id <= hook_count ? hooks[id - 1] : NULL;
  return h != NULL && atomic_load(&h->active) ? h : NULL;
}

/* The site's list with `add` appended, or without the traps of
   (hook, mark) when add is NULL; NULL for an empty list. Sets *ok. */
static snare_mark_traps *list_edit(const snare_mark_traps *old,
                                   const mark_trap *add, const mark_hook *hook,
                                   int mark, bool *ok) {
  size_t n = old ? old->count : 0;
  snare_mark_traps *list = malloc(sizeof *list + (n + 1) * sizeof(mark_trap));
  *ok = list != NULL;
  if (list == NULL)
    return NULL;
  list->count = 0;
  for (size_t i = 0; i < n; i++)
    if (add != NULL || old->items[i].hook != hook ||
        old->items[i].mark != mark)
      list->items[list->count++] = old->items[i];
  if (add != NULL)
    list->items[list->count++] = *add;
  if (list->count == 0) {
    free(list);
    return NULL;
  }
  return list;
}

/* Adds or (add NULL) removes hook's trap at mark; under the global lock. */
static snare_status edit_locked(mark_hook *hook, const snare_mark *mark,
                                bool add) {
  snare_site *site = NULL;
  snare_status status =
      add ? snare_sites_acquire(mark->info.address, &site)
          : ((site = snare_sites_find(mark->info.address)) ? SNARE_OK
                                                           : SNARE_NOT_FOUND);
  if (status != SNARE_OK)
    return status;
  mark_trap trap = {hook, mark->info.id, mark->info.function,
                    mark->info.data1, mark->info.data2};
  bool ok;
  snare_mark_traps *list = list_edit(atomic_load(&site->mark_traps),
                                     add ? &trap : NULL, hook,
                                     mark->info.id, &ok);
  if (!ok) {
    if (add)
      snare_sites_update(site, atomic_load(&site->breakpoints));
    return SNARE_NO_MEMORY;
  }
  snare_retire(atomic_exchange(&site->mark_traps, list));
  status = snare_sites_update(site, atomic_load(&site->breakpoints));
  if (status == SNARE_OK)
    trap_count = add ? trap_count + 1 : trap_count - 1;
  return status;
}

/* Traps hook at mark if its filter allows. */
static snare_status install(mark_hook *hook, snare_mark *mark) {
  if (!snare_marks_filter_static(&hook->filter, mark))
    return SNARE_OK;
  snare_os_global_lock();
  snare_status status = snare_os_signals_install();
  if (status == SNARE_OK)
    status = edit_locked(hook, mark, true);
  snare_os_global_unlock();
  if (status == SNARE_OK)
    snare_marks_arm(mark->info.id, +1);
  return status;
}

static void uninstall(mark_hook *hook, snare_mark *mark) {
  if (!snare_marks_filter_static(&hook->filter, mark))
    return;
  snare_os_global_lock();
  snare_status status = edit_locked(hook, mark, false);
  snare_reclaim();
  snare_release_if_unused();
  snare_os_global_unlock();
  if (status == SNARE_OK)
    snare_marks_arm(mark->info.id, -1);
}

typedef struct installing {
  mark_hook *hook;
  snare_status status;
} installing;

/* A mark that cannot take a trap (its code unmapped since, or not on an
   instruction boundary) is left out; only running out of memory fails. */
static void install_each(snare_mark *mark, void *raw) {
  installing *job = raw;
  if (install(job->hook, mark) == SNARE_NO_MEMORY)
    job->status = SNARE_NO_MEMORY;
}

static void uninstall_each(snare_mark *mark, void *raw) {
  uninstall(raw, mark);
}

snare_status snare_mark_hook(const snare_mark_filter *filter,
                             snare_mark_hook_fn fn, void *data,
                             void (*release)(void *), int *id) {
  if (filter == NULL || id == NULL)
    return SNARE_INVALID_ARGUMENT;
  mark_hook *hook = calloc(1, sizeof *hook);
  if (hook == NULL ||
      !snare_marks_grow(&hooks, &hook_capacity, hook_count, sizeof *hooks)) {
    free(hook);
    return SNARE_NO_MEMORY;
  }
  *hook = (mark_hook){.filter = *filter, .fn = fn, .data = data,
                      .release = release};
  atomic_store(&hook->active, true);
  hooks[hook_count++] = hook;
  hook->id = (int)hook_count;
  installing job = {hook, SNARE_OK};
  snare_marks_each(install_each, &job);
  if (job.status != SNARE_OK) {
    snare_marks_each(uninstall_each, hook);
    atomic_store(&hook->active, false);
    return job.status;
  }
  *id = hook->id;
  return SNARE_OK;
}

snare_status snare_mark_hook_remove(int id) {
  mark_hook *hook = find(id);
  if (hook == NULL)
    return SNARE_NOT_FOUND;
  snare_marks_each(uninstall_each, hook);
  atomic_store(&hook->active, false);
  if (hook->release != NULL)
    hook->release(hook->data);
  return SNARE_OK;
}

snare_status snare_mark_hook_hits(int id, uint64_t *hits) {
  mark_hook *hook = find(id);
  if (hits == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (hook == NULL)
    return SNARE_NOT_FOUND;
  *hits = atomic_load(&hook->hits);
  return SNARE_OK;
}

void snare_mark_hooks_added(snare_mark *mark) {
  for (size_t i = 0; i < hook_count; i++)
    if (atomic_load(&hooks[i]->active))
      install(hooks[i], mark);
}

void snare_mark_hooks_removed(snare_mark *mark) {
  for (size_t i = 0; i < hook_count; i++)
    if (atomic_load(&hooks[i]->active))
      uninstall(hooks[i], mark);
}

/* Initial-exec TLS never allocates: hooks may fire anywhere. */
static _Thread_local __attribute__((tls_model("initial-exec"))) bool busy;

static void run(const mark_trap *trap, uint64_t address, snare_thread *thread,
                void *context) {
  mark_hook *hook = trap->hook;
  int64_t d1, d2;
  if (!atomic_load(&hook->active) ||
      !snare_mark_value_at(&trap->data1, context, &d1) ||
      !snare_mark_value_at(&trap->data2, context, &d2) ||
      !snare_marks_filter_values(&hook->filter, d1, d2))
    return;
  atomic_fetch_add(&hook->hits, 1);
  if (hook->fn == NULL)
    return;
  snare_mark_hit hit = {hook->id, trap->mark, address, trap->function,
                        d1, d2, thread ? thread->id : 0};
  snare_frame frame = {thread, context, 0};
  hook->fn(&hit, &frame, hook->data);
}

void snare_mark_hooks_trapped(snare_site *site, void *context) {
  snare_mark_traps *list = atomic_load(&site->mark_traps);
  if (list == NULL || busy)
    return;
  busy = true;
  snare_thread *thread = snare_threads_current();
  bool quieted = thread && !atomic_exchange(&thread->in_callback, true);
  for (size_t i = 0; i < list->count; i++)
    run(&list->items[i], site->address, thread, context);
  if (quieted)
    atomic_store(&thread->in_callback, false);
  busy = false;
}
