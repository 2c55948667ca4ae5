/*
 * watch_registers.c - hardware watchpoints as Linux lets a process arm
 * them on itself: a perf breakpoint event per thread and register, with
 * sigtrap (Linux 5.13 and later), so each hit is a synchronous SIGTRAP
 * on the thread that touched the memory, si_code TRAP_PERF, carrying the
 * event's sig_data (signals.c hands it on as the cookie). No ptrace.
 *
 * SNARE_TEST_WATCH_REFUSE=EACCES|ENOSYS|EINVAL|ENOENT makes the probe
 * fail as the kernel would with that errno: the specs' way to see the
 * refusal messages on a machine that allows watchpoints.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal/loader.h"
#include "internal/watch_registers.h"
#include "linux.h"

static unsigned bp_type(snare_watch_kind kind) {
  switch (kind) {
  case SNARE_WATCH_WRITE:
    return HW_BREAKPOINT_W;
  case SNARE_WATCH_EXECUTE:
    return HW_BREAKPOINT_X;
  /* x86 cannot trap reads alone: a read watchpoint arms read+write and
     the core tells the writes apart by the value changing. */
  case SNARE_WATCH_READ:
  case SNARE_WATCH_ACCESS:
    break;
  }
  return HW_BREAKPOINT_RW;
}

static int open_event(int tid, uint64_t addr, unsigned len,
                      snare_watch_kind kind, uint64_t cookie) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_BREAKPOINT;
  attr.size = sizeof attr;
  attr.bp_type = bp_type(kind);
  attr.bp_addr = addr;
  attr.bp_len = kind == SNARE_WATCH_EXECUTE ? sizeof(long) : len;
  attr.sample_period = 1;
  attr.sigtrap = 1;
  attr.remove_on_exec = 1; /* required with sigtrap; an exec'd image is new */
  attr.sig_data = cookie;
  attr.exclude_kernel = 1; /* allowed at perf_event_paranoid 2 */
  attr.exclude_hv = 1;
  return snare_os_descriptor_keep((int)syscall(SYS_perf_event_open, &attr, tid,
                                          -1, -1, PERF_FLAG_FD_CLOEXEC));
}

static int paranoid_level(void) {
  FILE *file = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
  int level = 0;
  if (file == NULL)
    return 0;
  if (fscanf(file, "%d", &level) != 1)
    level = 0;
  fclose(file);
  return level;
}

/* The sentence for a refusal with errno `error`. */
static const char *refusal(int error) {
  static char text[320];
  switch (error) {
  case EACCES:
  case EPERM:
    snprintf(text, sizeof text,
             "the kernel refuses perf events to this process "
             "(kernel.perf_event_paranoid is %d, or a seccomp filter or "
             "security module denies perf_event_open): set "
             "kernel.perf_event_paranoid to 2 or lower, or give the process "
             "CAP_PERFMON, and allow perf_event_open in its seccomp profile",
             paranoid_level());
    return text;
  case ENOSYS:
    return "perf_event_open is not available (a seccomp filter or a kernel "
           "without CONFIG_PERF_EVENTS): allow the system call, or use a "
           "kernel built with perf events";
  case EINVAL:
  case E2BIG:
    return "the kernel cannot send a watchpoint's trap to the thread "
           "(perf events with sigtrap came in Linux 5.13): use Linux 5.13 or "
           "later";
  default:
    return "this machine has no hardware breakpoints for perf events (a "
           "virtual machine without debug registers?): use a machine or "
           "hypervisor that exposes them";
  }
}

static int simulated_refusal(void) {
  const char *name = getenv("SNARE_TEST_WATCH_REFUSE");
  if (name == NULL || *name == '\0')
    return 0;
  if (strcmp(name, "ENOSYS") == 0)
    return ENOSYS;
  if (strcmp(name, "EINVAL") == 0)
    return EINVAL;
  if (strcmp(name, "ENOENT") == 0)
    return ENOENT;
  return EACCES;
}

/* A word to arm on: the probe's own, never touched. */
static uint64_t probe_target;

snare_status snare_os_watch_probe(const char **why) {
  int error = simulated_refusal();
  if (error == 0) {
    int fd = open_event(0, (uint64_t)(uintptr_t)&probe_target,
                        sizeof probe_target, SNARE_WATCH_WRITE, 0);
    if (fd >= 0) {
      close(fd);
      return SNARE_OK;
    }
    error = errno;
    /* every register taken (by a debugger, say): not a refusal */
    if (error == ENOSPC)
      return SNARE_OK;
  }
  *why = refusal(error);
  return SNARE_UNSUPPORTED;
}

/*
 * Every perf event descriptor names the kernel's one perf inode. The
 * program may close descriptors it did not open (daemons close them
 * all) and get the number back for a file of its own, which closing a
 * watchpoint must not close: only a descriptor still naming that inode
 * is ours to close.
 */
static dev_t perf_dev;
static ino_t perf_ino;

static bool is_perf_event(int fd) {
  struct stat now;
  return fstat(fd, &now) == 0 && now.st_dev == perf_dev &&
         now.st_ino == perf_ino;
}

snare_status snare_os_watch_open(int tid, uint64_t addr, unsigned len,
                                 snare_watch_kind kind, uint64_t cookie,
                                 int *handle, const char **why) {
  int fd = open_event(tid, addr, len, kind, cookie);
  struct stat opened;
  if (fd >= 0 && fstat(fd, &opened) == 0) {
    perf_dev = opened.st_dev;
    perf_ino = opened.st_ino;
    *handle = fd;
    return SNARE_OK;
  }
  if (fd >= 0) {
    close(fd);
    return SNARE_SYSTEM;
  }
  switch (errno) {
  case ENOSPC:
    return SNARE_NO_DEBUG_REGISTER;
  case ESRCH:
    return SNARE_NOT_FOUND;
  case EINVAL:
    /* the probe passed, so the kernel takes watchpoints: not this one (a
       kernel address, a range past the end of user space) */
    return SNARE_BAD_ADDRESS;
  default:
    *why = refusal(errno);
    return SNARE_UNSUPPORTED;
  }
}

snare_status snare_os_watch_check(uint64_t addr, unsigned len,
                                  snare_watch_kind kind, uint64_t cookie) {
  int fd = open_event(0, addr, len, kind, cookie);
  if (fd >= 0) {
    close(fd);
    return SNARE_OK;
  }
  return errno == EINVAL ? SNARE_BAD_ADDRESS : SNARE_OK;
}

void snare_os_watch_close(int handle) {
  if (is_perf_event(handle))
    close(handle);
}

/*
 * The kernel puts a perf trap's sig_data right after si_addr (struct
 * __sifields._sigfault._perf._data); glibc 2.36's siginfo_t has no name
 * for it. Signal-safe.
 */
uint64_t snare_linux_perf_cookie(const siginfo_t *info) {
  uint64_t cookie;
  memcpy(&cookie, (const char *)&info->si_addr + sizeof info->si_addr,
         sizeof cookie);
  return cookie;
}
