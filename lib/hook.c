/*
 * hook.c - installing and removing function hooks (controller side,
 * under the global lock): choosing between a jump to a trampoline and a
 * trap, writing the trampoline near the function, and the hook table.
 * Removed hooks are kept, never freed: a thread may still be inside their
 * trampoline or have a return redirected through them.
 */
#include <stdlib.h>
#include <string.h>

#include "internal/code_map.h"
#include "internal/core.h"
#include "internal/hook_arch.h"
#include "internal/hooks.h"

#define CODE_SLAB_SIZE (64u * 1024u)
#define MAX_CODE_SLABS 64

typedef struct code_slab {
  uint64_t base;
  size_t used;
} code_slab;

static code_slab code_slabs[MAX_CODE_SLABS];
static size_t code_slab_count;
static _Atomic uint64_t exit_stub;

static snare_hook_record **hooks; /* every hook ever made, by id - 1 */
static size_t hook_count, hook_capacity;

static bool near_enough(uint64_t a, uint64_t b) {
  uint64_t distance = a > b ? a - b : b - a;
  return distance < (1ull << 31) - CODE_SLAB_SIZE;
}

uint64_t snare_code_take(uint64_t near, size_t size) {
  for (size_t i = 0; i < code_slab_count; i++)
    if (code_slabs[i].used + size <= CODE_SLAB_SIZE &&
        near_enough(code_slabs[i].base, near)) {
      uint64_t at = code_slabs[i].base + code_slabs[i].used;
      code_slabs[i].used += size;
      return at;
    }
  if (code_slab_count == MAX_CODE_SLABS)
    return 0;
  uint64_t base = snare_os_code_alloc_near(near, CODE_SLAB_SIZE);
  if (base == 0)
    return 0;
  code_slabs[code_slab_count++] = (code_slab){base, size};
  return base;
}

uint64_t snare_hook_exit_stub(void) { return atomic_load(&exit_stub); }

static bool ensure_exit_stub(uint64_t near) {
  if (atomic_load(&exit_stub) != 0)
    return true;
  uint8_t code[SNARE_ARCH_TRAMPOLINE_SIZE];
  size_t n = snare_arch_hook_exit_stub(
      code, sizeof code, (uint64_t)(uintptr_t)snare_hook_exit_saved);
  uint64_t at = n ? snare_code_take(near, n) : 0;
  if (at == 0 || !snare_os_code_write(at, code, n))
    return false;
  atomic_store(&exit_stub, at);
  return true;
}

static size_t active_count;

size_t snare_hooks_active(void) { return active_count; }

static snare_hook_record *find(int id) {
  if (id <= 0 || (size_t)id > hook_count)
    return NULL;
  snare_hook_record *hook = hooks[id - 1];
  return atomic_load(&hook->active) ? hook : NULL;
}

static bool already_hooked(uint64_t fn) {
  for (size_t i = 0; i < hook_count; i++)
    if (atomic_load(&hooks[i]->active) && hooks[i]->function == fn)
      return true;
  return false;
}

static bool remember(snare_hook_record *hook) {
  if (hook_count == hook_capacity) {
    size_t capacity = hook_capacity ? hook_capacity * 2 : 16;
    snare_hook_record **grown = realloc(hooks, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    hooks = grown;
    hook_capacity = capacity;
  }
  hooks[hook_count++] = hook;
  hook->id = (int)hook_count;
  return true;
}

/* Where the instructions the jump replaces run in the trampoline at
   `at`, for threads caught among them. */
static bool describe_move(snare_moved_code *moved,
                          const snare_hook_record *hook, uint64_t at,
                          const uint8_t *code, size_t length) {
  size_t offsets[SNARE_MOVED_CODE_MAX];
  if (!snare_arch_hook_relocated_offsets(
          at, hook->function, code, length, (uint64_t)(uintptr_t)hook,
          (uint64_t)(uintptr_t)snare_hook_enter_saved, offsets))
    return false;
  moved->from = hook->function;
  moved->length = length;
  for (size_t k = 0; k < length; k++)
    moved->to[k] = offsets[k] != 0 ? at + offsets[k] : 0;
  return true;
}

/* Tries the fast way: a jump over the first instructions. */
static snare_status install_jump(snare_hook_record *hook) {
  uint64_t start, size;
  if (!snare_code_function_containing(hook->function, &start, &size, NULL) ||
      start != hook->function)
    return SNARE_UNSUPPORTED; /* without the function's extent, a branch
                                 into the patched bytes cannot be ruled out */
  uint8_t *code = malloc((size_t)size);
  if (code == NULL)
    return SNARE_NO_MEMORY;
  size_t length = 0;
  snare_status status =
      snare_sites_read_original(start, code, (size_t)size)
          ? snare_arch_hook_prologue(start, code, (size_t)size, &length)
          : SNARE_BAD_ADDRESS;
  uint8_t trampoline[SNARE_ARCH_TRAMPOLINE_SIZE];
  uint64_t at = 0;
  size_t n = 0;
  snare_moved_code moved = {0};
  if (status == SNARE_OK && length <= sizeof hook->original &&
      length <= SNARE_MOVED_CODE_MAX) {
    memcpy(hook->original, code, length);
    hook->patch_length = length;
    at = snare_code_take(start, SNARE_ARCH_TRAMPOLINE_SIZE);
    n = at ? snare_arch_hook_trampoline(
                 trampoline, sizeof trampoline, at, start, code, length,
                 (uint64_t)(uintptr_t)hook,
                 (uint64_t)(uintptr_t)snare_hook_enter_saved)
           : 0;
    if (n == 0 || !describe_move(&moved, hook, at, code, length))
      status = SNARE_UNSUPPORTED;
  } else if (status == SNARE_OK) {
    status = SNARE_UNSUPPORTED;
  }
  free(code);
  if (status != SNARE_OK)
    return status;
  if (!snare_os_code_write(at, trampoline, n))
    return SNARE_SYSTEM;
  uint8_t jump[SNARE_ARCH_JUMP_SIZE];
  snare_arch_hook_jump(jump, start, at);
  status = snare_sites_write_jump(start, jump, sizeof jump, at, &moved);
  hook->trampoline = status == SNARE_OK;
  hook->entry = at;
  hook->patch_length = hook->trampoline ? length : 0;
  return status;
}

static snare_status install_trap(snare_hook_record *hook) {
  snare_site *site;
  snare_status status = snare_sites_acquire(hook->function, &site);
  if (status != SNARE_OK)
    return status;
  if (site->hook != NULL)
    return SNARE_EXISTS;
  site->hook = hook;
  status = snare_sites_update(site, atomic_load(&site->breakpoints));
  if (status != SNARE_OK)
    site->hook = NULL;
  return status;
}

static snare_status hook_locked(uint64_t fn, const snare_hook_options *opts,
                                int *id) {
  snare_status status = snare_check_code_address(fn);
  if (status != SNARE_OK)
    return status;
  if (already_hooked(fn))
    return SNARE_EXISTS;
  /* Jumps are written behind a trap, and some hooks stay traps. */
  status = snare_os_signals_install();
  if (status != SNARE_OK)
    return status;
  if (!ensure_exit_stub(fn))
    return SNARE_SYSTEM;
  snare_hook_record *hook = calloc(1, sizeof *hook);
  if (hook == NULL)
    return SNARE_NO_MEMORY;
  hook->function = fn;
  if (opts != NULL)
    hook->options = *opts;
  hook->catches_exit = hook->options.time || hook->options.trace ||
                       (hook->options.callback && hook->options.callback_on_exit);
  if (!remember(hook)) {
    free(hook);
    return SNARE_NO_MEMORY;
  }
  atomic_store(&hook->active, true);
  status = snare_sites_any_in(fn, SNARE_ARCH_JUMP_SIZE)
                            ? SNARE_UNSUPPORTED
                            : install_jump(hook);
  if (status == SNARE_UNSUPPORTED)
    status = install_trap(hook);
  if (status != SNARE_OK) {
    atomic_store(&hook->active, false);
    hook_count--;
    free(hook);
    return status;
  }
  active_count++;
  *id = hook->id;
  return SNARE_OK;
}

snare_status snare_hook_function(uint64_t fn, const snare_hook_options *opts,
                                 int *id) {
  if (id == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_status status = hook_locked(fn, opts, id);
  snare_os_global_unlock();
  return status;
}

static snare_status remove_locked(snare_hook_record *hook) {
  snare_status status;
  if (hook->trampoline) {
    /* Threads arriving while the bytes change still find the trampoline,
       which now only runs the original instructions; threads inside its
       relocated copy finish there (it is never freed) and jump back past
       the restored bytes. None can be inside the jump being removed. */
    status = snare_sites_write_jump(hook->function, hook->original,
                                    hook->patch_length, hook->entry, NULL);
  } else {
    snare_site *site = snare_sites_find(hook->function);
    site->hook = NULL;
    status = snare_sites_update(site, atomic_load(&site->breakpoints));
  }
  if (status == SNARE_OK) {
    atomic_store(&hook->active, false);
    active_count--;
    if (hook->options.release != NULL)
      hook->options.release(hook->options.data);
  }
  return status;
}

snare_status snare_hook_remove(int id) {
  snare_os_global_lock();
  snare_hook_record *hook = find(id);
  snare_status status = hook ? remove_locked(hook) : SNARE_NOT_FOUND;
  snare_reclaim();
  if (status == SNARE_OK)
    snare_release_if_unused();
  snare_os_global_unlock();
  return status;
}

void snare_hooks_remove_range(uint64_t start, uint64_t size) {
  snare_os_global_lock();
  bool removed = false;
  for (size_t i = 0; i < hook_count; i++)
    if (atomic_load(&hooks[i]->active) &&
        hooks[i]->function - start < size &&
        remove_locked(hooks[i]) == SNARE_OK)
      removed = true;
  snare_reclaim();
  if (removed)
    snare_release_if_unused();
  snare_os_global_unlock();
}

snare_status snare_hook_stats_get(int id, snare_hook_stats *out) {
  if (out == NULL)
    return SNARE_INVALID_ARGUMENT;
  snare_os_global_lock();
  snare_hook_record *hook = find(id);
  if (hook != NULL)
    *out = (snare_hook_stats){
        .function = hook->function,
        .calls = atomic_load(&hook->calls),
        .inclusive_ns = atomic_load(&hook->inclusive_ns),
        .self_ns = atomic_load(&hook->self_ns),
        .trampoline = hook->trampoline,
    };
  snare_os_global_unlock();
  return hook ? SNARE_OK : SNARE_NOT_FOUND;
}

snare_status snare_hook_reset(int id) {
  snare_os_global_lock();
  snare_hook_record *hook = find(id);
  if (hook != NULL) {
    atomic_store(&hook->calls, 0);
    atomic_store(&hook->inclusive_ns, 0);
    atomic_store(&hook->self_ns, 0);
  }
  snare_os_global_unlock();
  return hook ? SNARE_OK : SNARE_NOT_FOUND;
}
