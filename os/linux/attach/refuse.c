/*
 * refuse.c - why snare attach will not attach a process, said before
 * anything is done to it, with what to do instead.
 *
 * As root, gdb attaches to any process. snare does more than read it:
 * its agent runs inside the process, with that process's rights, and
 * talks back to this snare through a socket only this user may open,
 * and loads snare's files. So a process of another user is refused, root
 * or not: run snare as that user. A setuid or setgid process (real and
 * effective ids differ) is refused as under LD_PRELOAD, where the loader
 * refuses to preload into it. Yama's ptrace_scope (read from
 * $SNARE_PTRACE_SCOPE_FILE when set, for tests) is checked as the kernel
 * would: 1 allows descendants or CAP_SYS_PTRACE, 2 CAP_SYS_PTRACE only,
 * 3 nothing until reboot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"

#define CAP_SYS_PTRACE_BIT 19

/* The value of "Field:" in /proc/PID/status, or false. */
static bool status_field(pid_t pid, const char *field, char *out,
                         size_t size) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return false;
  size_t n = strlen(field);
  bool found = false;
  while (!found && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, field, n) == 0 && line[n] == ':') {
      snprintf(out, size, "%s", line + n + 1 + strspn(line + n + 1, " \t"));
      out[strcspn(out, "\n")] = '\0';
      found = true;
    }
  fclose(f);
  return found;
}

static bool has_ptrace_capability(void) {
  char caps[64];
  if (!status_field(getpid(), "CapEff", caps, sizeof caps))
    return false;
  return (strtoull(caps, NULL, 16) >> CAP_SYS_PTRACE_BIT) & 1;
}

static bool is_descendant(pid_t pid) {
  for (int depth = 0; pid > 1 && depth < 4096; depth++) {
    char ppid[32];
    if (!status_field(pid, "PPid", ppid, sizeof ppid))
      return false;
    pid = (pid_t)atoi(ppid);
    if (pid == getpid())
      return true;
  }
  return false;
}

static int ptrace_scope(void) {
  const char *path = getenv("SNARE_PTRACE_SCOPE_FILE");
  FILE *f = fopen(path != NULL ? path : "/proc/sys/kernel/yama/ptrace_scope",
                  "r");
  int scope = 0;
  if (f != NULL) {
    if (fscanf(f, "%d", &scope) != 1)
      scope = 0;
    fclose(f);
  }
  return scope;
}

static bool scope_allows(pid_t pid, char *why, size_t size) {
  int scope = ptrace_scope();
  bool capable = has_ptrace_capability();
  const char *fix = NULL;
  if (scope == 1 && !capable && !is_descendant(pid))
    fix = "only a process's ancestors may trace it: run snare as root (or "
          "with CAP_SYS_PTRACE), or `sysctl kernel.yama.ptrace_scope=0`, or "
          "start the program under snare (snare profile -- PROG)";
  else if (scope == 2 && !capable)
    fix = "only processes with CAP_SYS_PTRACE may trace: run snare as root";
  else if (scope >= 3)
    fix = "no process may trace until the next reboot: start the program "
          "under snare instead (snare profile -- PROG)";
  if (fix == NULL)
    return true;
  snprintf(why, size, "kernel.yama.ptrace_scope is %d: %s", scope, fix);
  return false;
}

/* Ids of a "Uid:" or "Gid:" line: real, effective, saved, filesystem. */
static bool ids(pid_t pid, const char *field, unsigned long out[4]) {
  char line[128];
  return status_field(pid, field, line, sizeof line) &&
         sscanf(line, "%lu %lu %lu %lu", &out[0], &out[1], &out[2],
                &out[3]) == 4;
}

bool attach_allowed(pid_t pid, char *why, size_t size) {
  char value[256];
  if (pid <= 0 || !status_field(pid, "Name", value, sizeof value)) {
    snprintf(why, size, "no process %d", (int)pid);
    return false;
  }
  if (pid == getpid() || pid == getppid()) {
    snprintf(why, size, "that is snare itself");
    return false;
  }
  unsigned long uid[4], gid[4];
  if (!ids(pid, "Uid", uid) || !ids(pid, "Gid", gid)) {
    snprintf(why, size, "cannot read its user");
    return false;
  }
  if (uid[0] != uid[1] || gid[0] != gid[1] || uid[1] != uid[2] ||
      gid[1] != gid[2]) {
    snprintf(why, size, "it runs setuid or setgid (real and effective ids "
                        "differ): snare does not instrument such programs, as "
                        "the loader does not preload into them");
    return false;
  }
  if (uid[1] != (unsigned long)geteuid()) {
    snprintf(why, size, "it runs as uid %lu, snare as uid %lu: snare's agent "
                        "would run inside it with that user's rights, unable "
                        "to reach this snare or read its files; run snare as "
                        "that user (runuser -u USER -- snare attach %d ...)",
             uid[1], (unsigned long)geteuid(), (int)pid);
    return false;
  }
  if (status_field(pid, "TracerPid", value, sizeof value) &&
      atoi(value) != 0) {
    int tracer = atoi(value);
    char name[256] = "?";
    status_field(tracer, "Name", name, sizeof name);
    snprintf(why, size, "it is traced already by process %d (%s): detach "
                        "that first (gdb: `detach`)", tracer, name);
    return false;
  }
  return scope_allows(pid, why, size);
}
