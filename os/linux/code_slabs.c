/*
 * code_slabs.c - memory for snare's own out-of-line code (breakpoint
 * slots, hook and breakpoint trampolines), near the code it returns to.
 *
 * Each slab is one memfd mapped twice: read+execute near the code, and
 * read+write anywhere, remembered as an alias (jit_pages.c) so that
 * snare_os_code_write fills a slot with a memcpy instead of a write
 * through /proc/self/mem (a system call that was a third of setting a
 * breakpoint). The shared views would make a forked child and its parent
 * write each other's slots, so the child turns every slab back into
 * private memory before it runs on (a fork handler). Where memfds are
 * refused, a private mapping written through /proc/self/mem serves.
 * Under the global lock.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal/os.h"
#include "linux.h"

#define PAGE 4096u

static void *try_map(uint64_t hint, size_t size, int fd) {
  void *p = mmap((void *)(uintptr_t)hint, size, PROT_READ | PROT_EXEC,
                 fd >= 0 ? MAP_SHARED | MAP_FIXED_NOREPLACE
                         : MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                 fd, 0);
  return p;
}

/* The executable view within 1 GiB of near, or MAP_FAILED. */
static void *map_near(uint64_t near, size_t size, int fd) {
  const uint64_t step = 16u << 20, reach = 1u << 30;
  uint64_t base = near & ~(uint64_t)(PAGE - 1);
  for (uint64_t delta = step; delta < reach; delta += step) {
    void *got = MAP_FAILED;
    if (base > delta)
      got = try_map(base - delta, size, fd);
    if (got == MAP_FAILED && base + delta + size > base)
      got = try_map(base + delta, size, fd);
    if (got != MAP_FAILED)
      return got;
  }
  return MAP_FAILED;
}

static void after_fork_child(void) { snare_linux_aliases_privatize(); }

bool snare_linux_code_privatize(uint64_t exec, void *writable, size_t size) {
  void *copy = mmap(NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (copy == MAP_FAILED)
    return false;
  memcpy(copy, writable, size);
  if (mprotect(copy, size, PROT_READ | PROT_EXEC) != 0 ||
      mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED,
             (void *)(uintptr_t)exec) == MAP_FAILED) {
    munmap(copy, size);
    return false; /* still shared, still written through the alias */
  }
  munmap(writable, size);
  return true;
}

/* A dual slab, or 0 (the caller falls back to a private one). */
static uint64_t alloc_dual(uint64_t near, size_t size) {
  static bool fork_handled;
  if (!fork_handled) {
    if (pthread_atfork(NULL, NULL, after_fork_child) != 0)
      return 0;
    fork_handled = true;
  }
  int fd = memfd_create("snare-code", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  void *rx = MAP_FAILED, *rw = MAP_FAILED;
  if (ftruncate(fd, (off_t)size) == 0) {
    rx = map_near(near, size, fd);
    rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd); /* the mappings keep the memory */
  uint64_t exec = (uint64_t)(uintptr_t)rx;
  if (rx == MAP_FAILED || rw == MAP_FAILED ||
      !snare_linux_alias_remember(exec, rw, size)) {
    if (rx != MAP_FAILED)
      munmap(rx, size);
    if (rw != MAP_FAILED)
      munmap(rw, size);
    return 0;
  }
  return exec;
}

uint64_t snare_os_code_alloc_near(uint64_t near, size_t size) {
  uint64_t got = alloc_dual(near, size);
  if (got != 0)
    return got;
  void *p = map_near(near, size, -1);
  return p == MAP_FAILED ? 0 : (uint64_t)(uintptr_t)p;
}

void snare_os_code_free(uint64_t addr, size_t size) {
  void *alias = snare_os_code_alias(addr, size);
  if (alias != NULL) {
    snare_linux_alias_forget(addr);
    munmap(alias, size);
  }
  munmap((void *)(uintptr_t)addr, size);
}
