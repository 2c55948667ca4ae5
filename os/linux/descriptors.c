/*
 * descriptors.c - where snare keeps the descriptors it holds for long
 * (the program's ELF and DWARF files, /proc/self/mem, perf events): high
 * in the descriptor range, not at the lowest free number. A program under
 * snare then opens the same numbers as without it (gdb's inferior does:
 * the debugger's files live in another process), so its output and its
 * fd-numbered logic are unchanged.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal/loader.h"

/* The top of the range is bounded: the kernel sizes a process's
   descriptor table by its highest number, and soft limits of a million
   are common in containers. Below 1024 stays free for select(). */
#define KEPT_CEILING 4096
#define KEPT_SPAN 64

static int kept_floor(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return KEPT_CEILING - KEPT_SPAN;
  rlim_t top = limit.rlim_cur < KEPT_CEILING ? limit.rlim_cur : KEPT_CEILING;
  return top > 3 + KEPT_SPAN ? (int)(top - KEPT_SPAN) : -1;
}

int snare_os_descriptor_keep(int fd) {
  if (fd < 0)
    return fd;
  int floor = kept_floor();
  if (floor < 0 || fd >= floor)
    return fd;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0)
    return fd; /* the top is full: the low number still works */
  close(fd);
  return high;
}
