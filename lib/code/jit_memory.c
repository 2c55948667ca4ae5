/*
 * jit_memory.c - the public executable-memory helpers for JIT authors:
 * W^X memory from the OS layer (os/linux/jit_pages.c), writes that keep
 * snare's breakpoints, and a free that takes snare's patches and the
 * code regions inside with it.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "internal/os.h"

struct snare_jit {
  uint64_t exec;
  uint8_t *writable; /* == exec for a single mapping */
  size_t size;
  bool sealed; /* a single mapping made read+execute */
};

static bool dual(const snare_jit *jit) {
  return (uint64_t)(uintptr_t)jit->writable != jit->exec;
}

snare_status snare_jit_alloc(size_t size, unsigned flags, snare_jit **out) {
  size_t page = snare_os_page_size();
  if (out == NULL || size == 0 || size > SIZE_MAX - page ||
      (flags & ~SNARE_JIT_SINGLE_MAPPING) != 0)
    return SNARE_INVALID_ARGUMENT;
  snare_jit *jit = calloc(1, sizeof *jit);
  if (jit == NULL)
    return SNARE_NO_MEMORY;
  jit->size = (size + page - 1) / page * page;
  void *writable;
  snare_os_global_lock();
  snare_status status =
      snare_os_jit_map(jit->size, !(flags & SNARE_JIT_SINGLE_MAPPING),
                       &jit->exec, &writable);
  snare_os_global_unlock();
  if (status != SNARE_OK) {
    free(jit);
    return status;
  }
  jit->writable = writable;
  *out = jit;
  return SNARE_OK;
}

uint64_t snare_jit_address(const snare_jit *jit) {
  return jit != NULL ? jit->exec : 0;
}

size_t snare_jit_size(const snare_jit *jit) {
  return jit != NULL ? jit->size : 0;
}

void *snare_jit_writable(const snare_jit *jit) {
  return jit != NULL && !jit->sealed ? jit->writable : NULL;
}

bool snare_jit_dual_mapped(const snare_jit *jit) {
  return jit != NULL && dual(jit);
}

/*
 * Executable bytes (a dual mapping, a sealed single one) may hold
 * breakpoints: they go through the code-write primitive and the sites
 * are re-planted over the new bytes, as snare_memory_write does.
 */
snare_status snare_jit_write(snare_jit *jit, size_t offset, const void *src,
                             size_t n) {
  if (jit == NULL || (src == NULL && n > 0) || offset > jit->size ||
      n > jit->size - offset)
    return SNARE_INVALID_ARGUMENT;
  if (n == 0)
    return SNARE_OK;
  uint64_t at = jit->exec + offset;
  snare_os_global_lock();
  bool executable = dual(jit) || jit->sealed;
  bool ok = true;
  if (executable)
    ok = snare_os_code_write(at, src, n);
  else
    memcpy(jit->writable + offset, src, n);
  if (ok && executable)
    snare_code_rewritten(at, n);
  snare_os_global_unlock();
  return ok ? SNARE_OK : SNARE_SYSTEM;
}

snare_status snare_jit_commit(snare_jit *jit) {
  if (jit == NULL)
    return SNARE_INVALID_ARGUMENT;
  if (!dual(jit) && !jit->sealed) {
    if (!snare_os_jit_seal(jit->exec, jit->size))
      return SNARE_SYSTEM;
    jit->sealed = true;
  }
  snare_os_code_flush(jit->exec, jit->size);
  return SNARE_OK;
}

void snare_jit_free(snare_jit *jit) {
  if (jit == NULL)
    return;
  snare_code_unregister_range(jit->exec, jit->size);
  snare_code_removed(jit->exec, jit->size);
  snare_os_global_lock();
  snare_os_jit_unmap(jit->exec, jit->writable, jit->size);
  snare_os_global_unlock();
  free(jit);
}
