/*
 * mark_hook.c - mark hooks, libjit's jit_debugger_set_hook: a callback
 * at every hit of the marks a filter matches, on any thread, through a
 * trap at each mark. Each patch site keeps an immutable list of the hooks
 * trapping there (site->mark_traps), replaced whole under the global lock
 * and read by trap handlers without locks. Hook records are kept until
 * the process ends: a handler may still be inside one.
 */
#include <stdlib.h>
#include <string.h>

#include "internal/hook_arch.h"
#include "hooks/hooks.h"
#include "marks/marks.h"

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

/*
 * A mark planted as a 5-byte nop (SNARE_MARK) takes its hooks through a
 * jump to a context trampoline instead of a trap: tens of nanoseconds, not
 * microseconds. The record is kept once made (a thread may be inside its
 * trampoline) and its jump re-written when hooks come back.
 */
typedef struct mark_jump {
  uint64_t address;
  uint64_t trampoline;
  bool installed;
  _Atomic(snare_mark_traps *) traps;
} mark_jump;

static mark_jump **jumps;
static size_t jump_count, jump_capacity;
static const uint8_t planted_nop[SNARE_ARCH_JUMP_SIZE] = {0x0f, 0x1f, 0x44,
                                                         0x00, 0x00};
#define CONTEXT_TRAMPOLINE_SIZE 768

static void on_jump(mark_jump *jump, void *context);

static mark_jump *jump_at(uint64_t address) {
  for (size_t i = 0; i < jump_count; i++)
    if (jumps[i]->address == address)
      return jumps[i];
  return NULL;
}

/* A jump record for a planted nop at address, or NULL where the mark is
   something else (a JIT's instruction) or a patch is already there. */
static mark_jump *jump_for(uint64_t address) {
  mark_jump *jump = jump_at(address);
  uint8_t bytes[SNARE_ARCH_JUMP_SIZE];
  if (jump != NULL || snare_sites_any_in(address, sizeof bytes) ||
      !snare_sites_read_original(address, bytes, sizeof bytes) ||
      memcmp(bytes, planted_nop, sizeof bytes) != 0 ||
      !snare_marks_grow(&jumps, &jump_capacity, jump_count, sizeof *jumps))
    return jump;
  uint8_t code[CONTEXT_TRAMPOLINE_SIZE];
  uint64_t at = snare_code_take(address, sizeof code);
  jump = calloc(1, sizeof *jump);
  size_t n = jump && at ? snare_arch_context_trampoline(
                              code, sizeof code, address,
                              address + SNARE_ARCH_JUMP_SIZE,
                              (uint64_t)(uintptr_t)jump,
                              (uint64_t)(uintptr_t)on_jump)
                        : 0;
  if (n == 0 || !snare_os_code_write(at, code, n)) {
    free(jump);
    return NULL;
  }
  jump->address = address;
  jump->trampoline = at;
  jumps[jump_count++] = jump;
  return jump;
}

void snare_mark_jumps_unmapped(uint64_t start, uint64_t size) {
  snare_os_global_lock();
  for (size_t i = 0; i < jump_count; i++)
    if (jumps[i]->address - start < size)
      jumps[i]->installed = false; /* the planted nop, if mapped again */
  snare_os_global_unlock();
}

/* Writes or removes the jump to match whether any hook traps there. */
static snare_status settle_jump(mark_jump *jump) {
  bool wanted = atomic_load(&jump->traps) != NULL;
  if (wanted == jump->installed)
    return SNARE_OK;
  uint8_t bytes[SNARE_ARCH_JUMP_SIZE];
  if (wanted)
    snare_arch_hook_jump(bytes, jump->address, jump->trampoline);
  else
    memcpy(bytes, planted_nop, sizeof bytes);
  /* One planted instruction: no thread can be inside it. */
  snare_status status = snare_sites_write_jump(
      jump->address, bytes, sizeof bytes, jump->trampoline, NULL);
  if (status == SNARE_OK)
    jump->installed = wanted;
  return status;
}

/* Adds or removes hook's trap at a jumped mark; under the global lock.
   NOT_FOUND when the mark does not take jumps. */
static snare_status edit_jump(const mark_trap *trap, const mark_hook *hook,
                              const snare_mark *mark, bool add) {
  mark_jump *jump = add ? jump_for(mark->info.address)
                        : jump_at(mark->info.address);
  if (jump == NULL)
    return SNARE_NOT_FOUND;
  bool ok;
  snare_mark_traps *old = atomic_load(&jump->traps);
  snare_mark_traps *list =
      list_edit(old, add ? trap : NULL, hook, mark->info.id, &ok);
  if (!ok)
    return SNARE_NO_MEMORY;
  if (!add && (list ? list->count : 0) == (old ? old->count : 0)) {
    free(list);
    return SNARE_NOT_FOUND; /* the trap is on the site, not here */
  }
  atomic_store(&jump->traps, list);
  if (settle_jump(jump) != SNARE_OK && add) {
    atomic_store(&jump->traps, old); /* never published: nobody reads it */
    free(list);
    return SNARE_NOT_FOUND; /* the mark falls back to a trap */
  }
  snare_retire(old);
  return SNARE_OK;
}

/* Adds or (add NULL) removes hook's trap at mark; under the global lock. */
static snare_status edit_locked(mark_hook *hook, const snare_mark *mark,
                                bool add) {
  mark_trap jumped = {hook, mark->info.id, mark->info.function,
                      mark->info.data1, mark->info.data2};
  snare_status by_jump = edit_jump(&jumped, hook, mark, add);
  if (by_jump != SNARE_NOT_FOUND)
    return by_jump;
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
    snare_traps_use(add ? 1 : -1);
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
  /* Taking a jump out is written behind a trap too. */
  snare_status status = snare_os_signals_install();
  if (status == SNARE_OK)
    status = edit_locked(hook, mark, false);
  snare_reclaim();
  snare_traps_release_if_unused();
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
  snare_frame frame = {thread, context, 0, NULL, NULL};
  hook->fn(&hit, &frame, hook->data);
}

static void run_traps(const snare_mark_traps *list, uint64_t address,
                      void *context) {
  if (list == NULL || busy)
    return;
  busy = true;
  snare_thread *thread = snare_threads_current();
  bool quieted = thread && !atomic_exchange(&thread->in_callback, true);
  for (size_t i = 0; i < list->count; i++)
    run(&list->items[i], address, thread, context);
  if (quieted)
    atomic_store(&thread->in_callback, false);
  busy = false;
}

void snare_mark_hooks_trapped(snare_site *site, void *context) {
  run_traps(atomic_load(&site->mark_traps), site->address, context);
}

/* Called by a mark's context trampoline (hook_arch.h). */
static void on_jump(mark_jump *jump, void *context) {
  run_traps(atomic_load(&jump->traps), jump->address, context);
}
