/*
 * safe_memory.c - reading and writing this process's memory without ever
 * faulting, and the one primitive every code write goes through.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal/loader.h"
#include "internal/os.h"
#include "linux.h"

#define PAGE 4096u

/*
 * This process's id without the getpid system call (one for each read
 * of another thread's memory, and each check of the code writer): a
 * byte the kernel zeroes in every forked child (MADV_WIPEONFORK, however
 * the fork was made) stays nonzero while the id kept is this process's.
 * Signal-safe. Kernels without it ask getpid each time.
 */
static _Atomic(uint8_t *) fork_mark;
static _Atomic pid_t known_pid;
static atomic_bool no_fork_mark;

static uint8_t *new_fork_mark(void) {
  void *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED && madvise(page, PAGE, MADV_WIPEONFORK) != 0) {
    munmap(page, PAGE);
    page = MAP_FAILED;
  }
  if (page == MAP_FAILED) {
    atomic_store(&no_fork_mark, true);
    return NULL;
  }
  uint8_t *none = NULL;
  if (!atomic_compare_exchange_strong(&fork_mark, &none, page)) {
    munmap(page, PAGE); /* another thread's came first */
    return none;
  }
  return page;
}

pid_t snare_linux_pid(void) {
  uint8_t *mark = atomic_load(&fork_mark);
  if (mark != NULL && atomic_load((_Atomic uint8_t *)mark) != 0)
    return atomic_load(&known_pid);
  pid_t pid = getpid();
  if (mark == NULL && !atomic_load(&no_fork_mark))
    mark = new_fork_mark();
  if (mark != NULL) {
    atomic_store(&known_pid, pid);
    atomic_store((_Atomic uint8_t *)mark, 1);
  }
  return pid;
}

static bool transfer(uint64_t addr, void *local, size_t n, bool write) {
  if (n == 0)
    return true;
  struct iovec here = {.iov_base = local, .iov_len = n};
  struct iovec there = {.iov_base = (void *)(uintptr_t)addr, .iov_len = n};
  pid_t self = snare_linux_pid();
  ssize_t done = write ? process_vm_writev(self, &here, 1, &there, 1, 0)
                       : process_vm_readv(self, &here, 1, &there, 1, 0);
  return done == (ssize_t)n;
}

bool snare_os_memory_read(uint64_t addr, void *dst, size_t n) {
  return transfer(addr, dst, n, false);
}

bool snare_os_memory_write(uint64_t addr, const void *src, size_t n) {
  return transfer(addr, (void *)src, n, true);
}

/*
 * One descriptor of /proc/self/mem serves every code write (opening it
 * costs more than the write). It belongs to the process that opened it,
 * so a forked child opens its own; and the program may have closed it
 * (closing every descriptor is common before exec or in daemons) and
 * reused the number for a file of its own, which must never receive our
 * bytes: the descriptor is used only while it is still the file opened.
 * That is checked by the file's position, which snare's writes (pwrite)
 * never move: set to MEM_MARK when opened, it reads back MEM_MARK only
 * from this open file (or a dup of it), where another file reusing the
 * number sits wherever its owner put it. An lseek costs half an fstat
 * (the check is made once per setting of a breakpoint). Under the global
 * lock, like every code write.
 */
#define MEM_MARK ((off_t)0x5e7c0de5a17e0000)

static struct {
  int fd;
  pid_t pid;
  /* The taking of the global lock under which fd was last checked: the
     writes of one breakpoint or one batch check it once (the check is a
     third of a write's cost). */
  unsigned checked_epoch;
  bool checked;
} mem = {.fd = -1};

/* Whether mem.fd still names the file opened (not closed, not reused). */
static bool still_open(void) {
  return mem.fd >= 0 && lseek(mem.fd, 0, SEEK_CUR) == MEM_MARK;
}

static bool opened_here(void) { return mem.pid == snare_linux_pid(); }

static int code_writer(void) {
  if (mem.checked && mem.checked_epoch == snare_linux_global_lock_epoch)
    return mem.fd;
  mem.checked = false;
  if (still_open()) {
    if (opened_here()) {
      mem.checked = true;
      mem.checked_epoch = snare_linux_global_lock_epoch;
      return mem.fd;
    }
    close(mem.fd); /* the parent's memory, inherited through fork */
  }
  mem.fd = -1;
  int fd = snare_os_descriptor_keep(open("/proc/self/mem", O_RDWR | O_CLOEXEC));
  if (fd < 0 || lseek(fd, MEM_MARK, SEEK_SET) != MEM_MARK) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  mem.fd = fd;
  mem.pid = snare_linux_pid();
  mem.checked = true;
  mem.checked_epoch = snare_linux_global_lock_epoch;
  return fd;
}

void snare_os_code_writes_end(void) {
  if (still_open() && opened_here())
    close(mem.fd);
  mem.fd = -1;
  mem.checked = false;
}

/*
 * Writing through /proc/self/mem lets the kernel patch read-only text the
 * way a debugger does: no page is ever writable and executable at once,
 * and no other thread can observe a half-changed protection. The kernel
 * refuses such writes to shared mappings, so JIT memory's executable
 * view (a shared memfd mapping, os/linux/jit_pages.c) is written through
 * its writable view instead.
 */
bool snare_os_code_write(uint64_t addr, const void *src, size_t n) {
  void *alias = snare_os_code_alias(addr, n);
  if (alias != NULL) {
    memcpy(alias, src, n);
    snare_os_code_flush(addr, n);
    return true;
  }
  int fd = code_writer();
  return fd >= 0 && pwrite(fd, src, n, (off_t)addr) == (ssize_t)n;
}

static int by_address(const void *a, const void *b) {
  const snare_os_code_piece *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return (x->order > y->order) - (x->order < y->order);
}

static int by_order(const void *a, const void *b) {
  const snare_os_code_piece *x = a, *y = b;
  return (x->order > y->order) - (x->order < y->order);
}

/* Writes pieces [0, n) of one page as the one range [start, end). */
static bool write_run(int fd, snare_os_code_piece *pieces, size_t n,
                      uint64_t start, uint64_t end) {
  uint8_t bytes[PAGE];
  void *alias = snare_os_code_alias(start, end - start);
  uint8_t *to = alias != NULL ? alias : bytes;
  if (alias == NULL && !snare_os_memory_read(start, bytes, end - start))
    return false;
  qsort(pieces, n, sizeof *pieces, by_order);
  for (size_t i = 0; i < n; i++)
    memcpy(to + (pieces[i].addr - start), pieces[i].bytes, pieces[i].n);
  if (alias != NULL) {
    snare_os_code_flush(start, end - start);
    return true;
  }
  return fd >= 0 &&
         pwrite(fd, bytes, end - start, (off_t)start) == (ssize_t)(end - start);
}

bool snare_os_code_write_pieces(snare_os_code_piece *pieces, size_t n) {
  for (size_t i = 0; i < n; i++)
    pieces[i].order = i;
  qsort(pieces, n, sizeof *pieces, by_address);
  int fd = code_writer();
  bool ok = true;
  for (size_t i = 0, j; i < n; i = j) {
    uint64_t start = pieces[i].addr, end = start + pieces[i].n;
    uint64_t page_end = (start | (PAGE - 1)) + 1;
    if (end > page_end) { /* across pages: alone */
      ok = snare_os_code_write(start, pieces[i].bytes, pieces[i].n) && ok;
      j = i + 1;
      continue;
    }
    for (j = i + 1; j < n && pieces[j].addr + pieces[j].n <= page_end; j++)
      if (pieces[j].addr + pieces[j].n > end)
        end = pieces[j].addr + pieces[j].n;
    ok = write_run(fd, pieces + i, j - i, start, end) && ok;
  }
  return ok;
}

bool snare_os_range_mapped(uint64_t start, uint64_t size) {
  if (size == 0 || start + size < start)
    return false;
  uint8_t byte;
  for (uint64_t page = start & ~(uint64_t)(PAGE - 1); page < start + size;
       page += PAGE) {
    uint64_t probe = page < start ? start : page;
    if (!snare_os_memory_read(probe, &byte, 1))
      return false;
  }
  return true;
}

void *snare_os_pages_alloc(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void snare_os_pages_free(void *pages, size_t size) { munmap(pages, size); }

void snare_os_fatal(const char *message) {
  ssize_t ignored = write(STDERR_FILENO, message, strlen(message));
  (void)ignored;
  abort();
}
