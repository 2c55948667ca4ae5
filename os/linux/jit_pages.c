/*
 * jit_pages.c - executable memory for JIT authors, W^X: one memfd mapped
 * twice (read+write here, read+execute there), or one private mapping
 * that is writable until it is sealed read+execute. The dual mappings are
 * remembered so that snare's own code writes (breakpoints, hook jumps),
 * which /proc/self/mem refuses on a shared read-only mapping, can go
 * through the writable view instead. Everything here runs under the
 * global lock.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal/os.h"
#include "linux.h"

typedef struct alias {
  uint64_t exec;
  uint8_t *writable;
  size_t size;
  bool snare_own; /* snare's out-of-line code (code_slabs.c), not a JIT's */
} alias;

static alias *aliases;
static size_t alias_count, alias_capacity;

size_t snare_os_page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static bool remember(uint64_t exec, void *writable, size_t size,
                     bool snare_own) {
  if (alias_count == alias_capacity) {
    size_t capacity = alias_capacity ? alias_capacity * 2 : 8;
    alias *grown = realloc(aliases, capacity * sizeof *grown);
    if (grown == NULL)
      return false;
    aliases = grown;
    alias_capacity = capacity;
  }
  aliases[alias_count++] = (alias){exec, writable, size, snare_own};
  return true;
}

static void forget(uint64_t exec) {
  for (size_t i = 0; i < alias_count; i++)
    if (aliases[i].exec == exec) {
      aliases[i] = aliases[--alias_count];
      break;
    }
  if (alias_count == 0) {
    free(aliases);
    aliases = NULL;
    alias_capacity = 0;
  }
}

/* Both views of a fresh memfd, or false (the caller falls back). */
static bool map_dual(size_t size, uint64_t *exec, void **writable) {
  int fd = memfd_create("snare-jit", MFD_CLOEXEC);
  if (fd < 0)
    return false;
  void *rw = MAP_FAILED, *rx = MAP_FAILED;
  if (ftruncate(fd, (off_t)size) == 0) {
    rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
  }
  close(fd); /* the mappings keep the memory */
  if (rw == MAP_FAILED || rx == MAP_FAILED ||
      !remember((uint64_t)(uintptr_t)rx, rw, size, false)) {
    if (rw != MAP_FAILED)
      munmap(rw, size);
    if (rx != MAP_FAILED)
      munmap(rx, size);
    return false;
  }
  *exec = (uint64_t)(uintptr_t)rx;
  *writable = rw;
  return true;
}

snare_status snare_os_jit_map(size_t size, bool dual, uint64_t *exec,
                              void **writable) {
  if (dual && map_dual(size, exec, writable))
    return SNARE_OK;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return SNARE_SYSTEM;
  *exec = (uint64_t)(uintptr_t)p;
  *writable = p;
  return SNARE_OK;
}

void snare_os_jit_unmap(uint64_t exec, void *writable, size_t size) {
  if ((uint64_t)(uintptr_t)writable != exec) {
    forget(exec);
    munmap(writable, size);
  }
  munmap((void *)(uintptr_t)exec, size);
}

bool snare_os_jit_seal(uint64_t exec, size_t size) {
  return mprotect((void *)(uintptr_t)exec, size, PROT_READ | PROT_EXEC) == 0;
}

bool snare_linux_alias_remember(uint64_t exec, void *writable, size_t size) {
  return remember(exec, writable, size, true);
}

void snare_linux_alias_forget(uint64_t exec) { forget(exec); }

void snare_linux_aliases_privatize(void) {
  for (size_t i = alias_count; i-- > 0;)
    if (aliases[i].snare_own &&
        snare_linux_code_privatize(aliases[i].exec, aliases[i].writable,
                                   aliases[i].size))
      forget(aliases[i].exec);
}

void *snare_os_code_alias(uint64_t addr, size_t n) {
  for (size_t i = 0; i < alias_count; i++) {
    uint64_t offset = addr - aliases[i].exec;
    if (offset < aliases[i].size && n <= aliases[i].size - offset)
      return aliases[i].writable + offset;
  }
  return NULL;
}

void snare_os_code_flush(uint64_t addr, size_t n) {
  /* A no-op on x86-64, whose instruction fetch snoops data writes. */
  __builtin___clear_cache((char *)(uintptr_t)addr, (char *)(uintptr_t)(addr + n));
}
