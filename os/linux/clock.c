/*
 * clock.c - the monotonic clock hooks read at every timed entry and exit,
 * which runs between a hooked function and its caller and so must leave
 * the vector, x87 and MXCSR state alone (internal/general_regs_only.h).
 * It calls the vDSO's clock_gettime directly: the kernel builds the vDSO
 * with -mno-sse -mno-mmx -mno-avx (only the hand-written __vdso_getrandom
 * uses vector registers), where glibc's clock_gettime may be interposed
 * (by a sanitizer, by the program) with code that does not. Without a
 * vDSO, the system call itself: glibc's syscall() is a few instructions
 * of assembly, and the kernel returns with the user state intact.
 */
#include "internal/general_regs_only.h"

#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal/os.h"

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn vdso_clock_gettime;

/* At load time, never on the hook path: dlopen is library code. */
__attribute__((constructor)) static void find_vdso_clock(void) {
  void *vdso = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
  if (vdso != NULL)
    *(void **)&vdso_clock_gettime = dlsym(vdso, "__vdso_clock_gettime");
}

uint64_t snare_os_now_ns(void) {
  struct timespec now;
  if (vdso_clock_gettime == NULL ||
      vdso_clock_gettime(CLOCK_MONOTONIC, &now) != 0)
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}
