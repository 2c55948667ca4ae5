/*
 * recording.c - what a recording thread asks of the system between a
 * hooked function and its caller: its OS thread id and name, and a short
 * wait while the writer makes room in its buffer. System calls through
 * glibc's syscall(), a few instructions of assembly that leave the vector
 * and x87 state alone (internal/general_regs_only.h).
 */
#include "internal/general_regs_only.h"

#include <linux/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal/os.h"

int snare_os_thread_tid(void) { return (int)syscall(SYS_gettid); }

int snare_os_process_id(void) { return (int)syscall(SYS_getpid); }

void snare_os_thread_name(char name[16]) {
  if (syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0) != 0)
    name[0] = '\0';
  name[15] = '\0';
}

void snare_os_pause_briefly(void) {
  struct timespec pause = {0, 20000};
  syscall(SYS_nanosleep, &pause, NULL);
}
