/*
 * hook.c - installing and removing function hooks (controller side,
 * under the global lock): choosing between a jump to a trampoline and a
 * trap, writing the trampoline near the function, and the hook table.
 * Removed hooks are kept, never freed: a thread may still be inside their
 * trampoline or have a return redirected through them.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "hooks/branch_targets.h"
#include "hooks/hooks.h"
#include "internal/hook_arch.h"
#include "internal/loader.h"
#include "traps/traps.h"

#define CODE_SLAB_SIZE (64u * 1024u)
#define MAX_CODE_SLABS 64

typedef struct code_slab {
  uint64_t base;
  size_t used;
} code_slab;

static code_slab code_slabs[MAX_CODE_SLABS];
static size_t code_slab_count;
static _Atomic uint64_t entry_stub, exit_stub;

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

/* Gives the unused end of the latest take back: `at` took `taken` bytes
   and needed `used`. Packed trampolines share cache lines and pages:
   with thousands of hooks, every call fetches less. */
static void code_trim(uint64_t at, size_t taken, size_t used) {
  size_t kept = (used + 15) & ~(size_t)15;
  for (size_t i = 0; i < code_slab_count; i++)
    if (code_slabs[i].base + code_slabs[i].used == at + taken) {
      code_slabs[i].used -= taken - kept;
      return;
    }
}

uint64_t snare_hook_exit_stub(void) { return atomic_load(&exit_stub); }

/* Writes a stub of `make`'s near `near` once; under the global lock. */
static bool ensure_stub(_Atomic uint64_t *stub, uint64_t near,
                        size_t (*make)(uint8_t *, size_t, uint64_t),
                        uint64_t target) {
  if (atomic_load(stub) != 0)
    return true;
  uint8_t code[SNARE_ARCH_TRAMPOLINE_SIZE];
  size_t n = make(code, sizeof code, target);
  uint64_t at = n ? snare_code_take(near, n) : 0;
  if (at == 0 || !snare_os_code_write(at, code, n))
    return false;
  atomic_store(stub, at);
  return true;
}

static bool ensure_stubs(uint64_t near) {
  return ensure_stub(&entry_stub, near, snare_arch_hook_entry_stub,
                     (uint64_t)(uintptr_t)snare_hook_enter_saved) &&
         ensure_stub(&exit_stub, near, snare_arch_hook_exit_stub,
                     (uint64_t)(uintptr_t)snare_hook_exit_saved);
}

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

bool snare_hooks_jump_in(uint64_t addr, size_t n) {
  for (size_t i = 0; i < hook_count; i++) {
    const snare_hook_record *hook = hooks[i];
    uint64_t from = hook->function + hook->patch_offset;
    if (atomic_load(&hook->active) && hook->trampoline &&
        from < addr + n && addr < from + hook->patch_length)
      return true;
  }
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

/* Where the instructions the jump replaces (at `from`) run in the
   trampoline at `at`, for threads caught among them. */
static void describe_move(snare_moved_code *moved, uint64_t from, uint64_t at,
                          const size_t *offsets, size_t length) {
  moved->from = from;
  moved->length = length;
  for (size_t k = 0; k < length; k++)
    moved->to[k] = offsets[k] != 0 ? at + offsets[k] : 0;
}

/* Tries the fast way: a jump over the first instructions. */
static snare_status install_jump(snare_hook_record *hook) {
  uint64_t start, size;
  hook->fallback = SNARE_HOOK_NO_EXTENT;
  if (!snare_code_function_containing(hook->function, &start, &size, NULL) ||
      start != hook->function)
    return SNARE_UNSUPPORTED; /* without the function's extent, a branch
                                 into the patched bytes cannot be ruled out */
  size_t padding = snare_hook_padding_after(start + size);
  uint8_t *code = malloc((size_t)size + padding);
  if (code == NULL)
    return SNARE_NO_MEMORY;
  snare_hook_window window;
  if (!snare_sites_read_original(start, code, (size_t)size + padding))
    padding = 0; /* the function may end where readable memory does */
  if (padding == 0 && !snare_sites_read_original(start, code, (size_t)size)) {
    free(code);
    return SNARE_BAD_ADDRESS;
  }
  hook->fallback = snare_hook_place_jump(hook, code, size, padding, &window);
  uint64_t from = start + window.offset;
  uint8_t trampoline[SNARE_ARCH_TRAMPOLINE_SIZE];
  uint64_t at = 0;
  size_t n = 0;
  snare_moved_code moved = {0};
  size_t offsets[SNARE_MOVED_CODE_MAX];
  if (hook->fallback == SNARE_HOOK_JUMP &&
      window.length > SNARE_MOVED_CODE_MAX)
    hook->fallback = SNARE_HOOK_UNRELOCATABLE;
  if (hook->fallback == SNARE_HOOK_JUMP) {
    memcpy(hook->original, code + window.offset, window.length);
    hook->patch_offset = window.offset;
    hook->patch_length = window.length;
    at = snare_code_take(from, SNARE_ARCH_TRAMPOLINE_SIZE);
    n = at ? snare_arch_hook_trampoline(
                 trampoline, sizeof trampoline, at, from,
                 code + window.offset, window.length,
                 (uint64_t)(uintptr_t)hook,
                 atomic_load(&entry_stub), offsets)
           : 0;
    if (at != 0)
      code_trim(at, SNARE_ARCH_TRAMPOLINE_SIZE, n);
    if (n == 0)
      hook->fallback =
          at ? SNARE_HOOK_UNRELOCATABLE : SNARE_HOOK_NO_TRAMPOLINE_ROOM;
    else
      describe_move(&moved, from, at, offsets, window.length);
  }
  free(code);
  /* A function that jumps back to its own entry reaches its trampoline or
     trap again without a call: only the exit stub's address at rsp tells
     the two apart (hook_dispatch.c), so such a hook catches exits,
     counting or not. */
  hook->catches_exit = hook->catches_exit || hook->loops_to_entry;
  if (hook->fallback != SNARE_HOOK_JUMP)
    return SNARE_UNSUPPORTED;
  if (!snare_os_code_write(at, trampoline, n))
    return SNARE_SYSTEM;
  uint8_t jump[SNARE_ARCH_JUMP_SIZE];
  snare_arch_hook_jump(jump, from, at);
  snare_status status =
      snare_sites_write_jump(from, jump, sizeof jump, at, &moved);
  hook->trampoline = status == SNARE_OK;
  hook->entry = at;
  hook->patch_length = hook->trampoline ? window.length : 0;
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
  if (!ensure_stubs(fn))
    return SNARE_SYSTEM;
  snare_hook_options options = opts != NULL ? *opts : (snare_hook_options){0};
  bool catches_exit = options.time || options.trace || options.record ||
                      (options.callback && options.callback_on_exit);
  /* Only at a function's first byte is [rsp] its return address; inside
     a known function, redirecting "the return" would overwrite whatever
     the stack holds there. Code of unknown extent is taken at its word.
     The program's entry (_start) is not called either: at its rsp lies
     argc. */
  uint64_t start, size;
  if (catches_exit &&
      ((snare_code_function_containing(fn, &start, &size, NULL) &&
        start != fn) ||
       fn == snare_os_program_entry()))
    return SNARE_NOT_FUNCTION_ENTRY;
  /* A cache line of its own for what every call reads (hooks.h). */
  size_t record_size = (sizeof(snare_hook_record) + 63) & ~(size_t)63;
  snare_hook_record *hook = aligned_alloc(64, record_size);
  if (hook == NULL)
    return SNARE_NO_MEMORY;
  memset(hook, 0, record_size);
  hook->function = fn;
  hook->options = options;
  hook->catches_exit = catches_exit;
  /* A hook that only records counts its calls in its stream: the locked
     add was a tenth of a recorded call's cost. */
  hook->counted_in_stream = options.record && !options.time &&
                            !options.trace && options.callback == NULL;
  /* A call the record-time filters leave out, of a hook that does
     nothing else, is not worth its exit (hook_dispatch.c). */
  hook->records_only =
      !options.time && !options.trace &&
      (options.callback == NULL || options.callback_recorded_only);
  /* A recording reads a clock of its own (record_buffer.c); a callback
     only for recorded calls reads it once the call is. */
  hook->clock_at_entry =
      options.time || options.trace ||
      (options.callback != NULL &&
       !(options.record && options.callback_recorded_only));
  hook->clock_at_exit =
      options.time || options.trace || options.callback != NULL;
  if (!remember(hook)) {
    free(hook);
    return SNARE_NO_MEMORY;
  }
  atomic_store(&hook->active, true);
  status = install_jump(hook);
  if (status == SNARE_UNSUPPORTED)
    status = install_trap(hook);
  if (status != SNARE_OK) {
    atomic_store(&hook->active, false);
    hook_count--;
    free(hook);
    return status;
  }
  snare_traps_use(1);
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

/* Whether the hook's jump is still in memory: the code may have been
   unmapped under it by a dlclose snare did not hear of, and another
   mapping put there since, which a restore would overwrite. */
static bool jump_still_there(const snare_hook_record *hook) {
  uint64_t from = hook->function + hook->patch_offset;
  uint8_t jump[SNARE_ARCH_JUMP_SIZE], now[SNARE_ARCH_JUMP_SIZE];
  snare_arch_hook_jump(jump, from, hook->entry);
  return snare_os_memory_read(from, now, sizeof now) &&
         memcmp(now, jump, sizeof now) == 0;
}

/* Takes the hook away; `mapped` false: its function's code was
   unmapped, and a jump there went with it (nothing is written; the
   trampoline stays, as it always does). */
static snare_status remove_locked(snare_hook_record *hook, bool mapped) {
  snare_status status = SNARE_OK;
  if (hook->trampoline && mapped && jump_still_there(hook)) {
    /* Threads arriving while the bytes change still find the trampoline,
       which now only runs the original instructions; threads inside its
       relocated copy finish there (it is never freed) and jump back past
       the restored bytes. None can be inside the jump being removed. */
    status = snare_sites_write_jump(hook->function + hook->patch_offset,
                                    hook->original, hook->patch_length,
                                    hook->entry, NULL);
  } else if (!hook->trampoline) {
    snare_site *site = snare_sites_find(hook->function);
    site->hook = NULL;
    status = snare_sites_update(site, atomic_load(&site->breakpoints));
  }
  if (status == SNARE_OK) {
    atomic_store(&hook->active, false);
    snare_traps_use(-1);
    if (hook->options.release != NULL)
      hook->options.release(hook->options.data);
  }
  return status;
}

snare_status snare_hook_remove(int id) {
  snare_os_global_lock();
  snare_hook_record *hook = find(id);
  snare_status status = hook ? remove_locked(hook, true) : SNARE_NOT_FOUND;
  snare_reclaim();
  if (status == SNARE_OK)
    snare_traps_release_if_unused();
  snare_os_global_unlock();
  return status;
}

/* Every active hook on a function starting in [start, start+size): the
   code there is going away, or is gone already (`mapped` false). */
static void remove_hooks_in(uint64_t start, uint64_t size, bool mapped) {
  snare_os_global_lock();
  snare_branch_targets_forget(start, size);
  if (!mapped) /* the trap hooks' sites too, whoever is told first */
    snare_sites_forget(start, size);
  bool removed = false;
  for (size_t i = 0; i < hook_count; i++)
    if (atomic_load(&hooks[i]->active) &&
        hooks[i]->function - start < size &&
        remove_locked(hooks[i], mapped) == SNARE_OK)
      removed = true;
  snare_reclaim();
  if (removed)
    snare_traps_release_if_unused();
  snare_os_global_unlock();
}

static void remove_range(uint64_t start, uint64_t size) {
  remove_hooks_in(start, size, true);
}

static void unmapped_range(uint64_t start, uint64_t size) {
  remove_hooks_in(start, size, false);
}

/* Rewritten code may branch elsewhere: its sweep is made again. */
static void forget_branches(uint64_t start, uint64_t size) {
  snare_branch_targets_forget(start, size);
}

SNARE_AT_LOAD static void watch_code(void) {
  static const snare_code_watcher watcher = {.removed = remove_range,
                                             .rewritten = forget_branches,
                                             .unmapped = unmapped_range};
  snare_code_watch(&watcher);
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
        .fallback = hook->fallback,
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
