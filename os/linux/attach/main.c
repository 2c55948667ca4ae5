/*
 * main.c - build/bin/snare_attach, run by `snare attach` (lua/snare/cli/
 * attach.lua):
 *
 *   snare_attach [--duration S] PID AGENT.so SCRIPT PATH CPATH [ARG...]
 *
 * Says why PID cannot be attached (refuse.c) or: listens on a Unix socket
 * in a directory of its own, makes a thread of PID call dlopen(AGENT.so)
 * and snare_agent_attach(socket) (inject.c), and gives the agent's
 * controller this process's stdin, stdout and stderr and the settings
 * (SCRIPT, its arguments, Lua's package paths, this directory, the
 * threads it saw). Then it waits: the end of --duration, SIGINT, SIGTERM
 * or SIGHUP (and its parent, `snare`, dying) ask the agent to detach;
 * the agent says "detached" when it has (and what stays loaded), after
 * which its controller thread ends and the agent is dlclose'd the same
 * way it was loaded. "exit N" means the program exits: the status is
 * ours. Exit status: 0 detached, the program's status when it exited, 3
 * refused, 1 failed (the script's error included).
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"

#define REFUSED 3
#define FAILED 1
#define CONNECT_TIMEOUT_MS 30000
#define PATHS_MAX 512

static int signal_pipe[2];

static void on_signal(int sig) {
  char c = (char)sig;
  ssize_t ignored = write(signal_pipe[1], &c, 1);
  (void)ignored;
}

static void say(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "snare: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
}

/* ---- the files the process maps, before and after ---- */

typedef struct paths {
  char *items[PATHS_MAX];
  size_t count;
} paths;

static bool paths_have(const paths *p, const char *item) {
  for (size_t i = 0; i < p->count; i++)
    if (strcmp(p->items[i], item) == 0)
      return true;
  return false;
}

static void mapped_files(pid_t pid, paths *out) {
  char name[64], line[4200];
  snprintf(name, sizeof name, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(name, "r");
  out->count = 0;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    char file[4096];
    if (sscanf(line, "%*s %*s %*s %*s %*s %4095s", file) == 1 &&
        file[0] == '/' && !paths_have(out, file) && out->count < PATHS_MAX)
      out->items[out->count++] = strdup(file);
  }
  if (f != NULL)
    fclose(f);
}

/* ---- the injected calls ---- */

static uint64_t libc_function(pid_t pid, const char *name) {
  char why[512];
  uint64_t address = inject_libc_symbol(pid, name, why, sizeof why);
  if (address == 0)
    say("cannot attach to %s: %s", name, why);
  return address;
}

/* The agent loaded and its controller started; the handle, or 0. */
static uint64_t load_agent(pid_t pid, const char *agent, const char *socket,
                           char **threads) {
  uint64_t dl_open = libc_function(pid, "dlopen");
  uint64_t dl_sym = libc_function(pid, "dlsym");
  uint64_t dl_error = libc_function(pid, "dlerror");
  if (!dl_open || !dl_sym || !dl_error)
    return 0;
  injection in;
  if (!inject_begin(&in, pid)) {
    say("cannot attach: %s%s", in.error, "");
    return 0;
  }
  size_t size = in.count * 40 + 1;
  *threads = calloc(1, size);
  for (size_t i = 0, used = 0; i < in.count; i++)
    if (in.threads[i].tid > 0)
      used += (size_t)snprintf(*threads + used, size - used, "%d:%llx ",
                               (int)in.threads[i].tid,
                               (unsigned long long)in.threads[i].pointer);
  uint64_t path_at, name_at, socket_at, handle = 0, fn = 0, status = 1;
  bool ok = inject_string(&in, agent, &path_at) &&
            inject_string(&in, "snare_agent_attach", &name_at) &&
            inject_string(&in, socket, &socket_at);
  uint64_t open_args[] = {path_at, RTLD_NOW};
  if (ok && inject_call(&in, dl_open, open_args, 2, &handle) && handle == 0) {
    uint64_t message = 0;
    char text[512] = "unknown error";
    if (inject_call(&in, dl_error, NULL, 0, &message) && message != 0)
      inject_read_string(&in, message, text, sizeof text);
    say("the process cannot load the agent: %s%s", text, "");
  }
  uint64_t sym_args[] = {handle, name_at};
  if (ok && handle != 0 && inject_call(&in, dl_sym, sym_args, 2, &fn) &&
      fn != 0) {
    uint64_t attach_args[] = {socket_at};
    inject_call(&in, fn, attach_args, 1, &status);
  }
  char error[sizeof in.error];
  snprintf(error, sizeof error, "%s", in.error);
  if (!inject_end(&in))
    say("could not restore the borrowed thread of %s%s", "the process", "");
  if (handle != 0 && fn == 0)
    say("the agent has no snare_agent_attach: %s%s", error, "");
  else if (handle != 0 && (int)status == EBUSY)
    say("the program runs with snare's agent already (started under snare "
        "profile, trace or exec, or attached by another snare)%s%s", "", "");
  else if (handle != 0 && status != 0)
    say("the agent could not start: %s%s", strerror((int)status), "");
  else if (handle == 0 && error[0] != '\0')
    say("%s%s", error, "");
  return handle != 0 && fn != 0 && status == 0 ? handle : 0;
}

static bool unload_agent(pid_t pid, uint64_t handle) {
  uint64_t dl_close = libc_function(pid, "dlclose");
  injection in;
  if (dl_close == 0 || !inject_begin(&in, pid))
    return false;
  uint64_t args[] = {handle}, result = 1;
  bool ok = inject_call(&in, dl_close, args, 1, &result);
  ok = inject_end(&in) && ok;
  return ok && result == 0;
}

/* ---- the conversation ---- */

static bool send_settings(int fd, const char *fields[], size_t count) {
  size_t length = 0;
  for (size_t i = 0; i < count; i++)
    length += strlen(fields[i]) + 1;
  uint32_t header = (uint32_t)length;
  int fds[3] = {0, 1, 2};
  char control[CMSG_SPACE(sizeof fds)];
  memset(control, 0, sizeof control);
  struct iovec iov = {&header, sizeof header};
  struct msghdr message = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = control,
                           .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
  if (sendmsg(fd, &message, MSG_NOSIGNAL) != sizeof header)
    return false;
  for (size_t i = 0; i < count; i++)
    if (send(fd, fields[i], strlen(fields[i]) + 1, MSG_NOSIGNAL) < 0)
      return false;
  return true;
}

typedef struct outcome {
  int pid;
  bool detached, exited, execed, failed, script_failed;
  int exit_status;
  long controller;
  char kept[8192];
} outcome;

static void heard(outcome *o, const char *line) {
  if (strncmp(line, "controller ", 11) == 0)
    o->controller = atol(line + 11);
  else if (strncmp(line, "exit ", 5) == 0) {
    o->exited = true;
    o->exit_status = atoi(line + 5);
  } else if (strcmp(line, "exec") == 0)
    o->execed = true;
  else if (strcmp(line, "detached") == 0)
    o->detached = true;
  else if (strcmp(line, "running") == 0)
    fprintf(stderr, "snare: attached to process %d\n", o->pid);
  else if (strcmp(line, "error") == 0)
    o->script_failed = true;
  else if (strcmp(line, "failed") == 0)
    o->failed = true;
  else if (strncmp(line, "kept ", 5) == 0) {
    size_t used = strlen(o->kept);
    snprintf(o->kept + used, sizeof o->kept - used, "%s\n", line + 5);
  }
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Serves the agent until it closes the socket. */
static void converse(int fd, double duration, outcome *o) {
  long deadline = duration > 0 ? now_ms() + (long)(duration * 1000) : -1;
  bool asked = false;
  char buffer[4096];
  size_t have = 0;
  for (;;) {
    struct pollfd polls[2] = {{fd, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}};
    int timeout = -1;
    if (deadline >= 0 && !asked)
      timeout = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
    int n = poll(polls, 2, timeout);
    if (n < 0 && errno == EINTR)
      continue;
    bool ask = n == 0;
    if (polls[1].revents & POLLIN) {
      char c;
      ssize_t ignored = read(signal_pipe[0], &c, 1);
      (void)ignored;
      ask = true;
    }
    if (ask && !asked) {
      send(fd, "detach\n", 7, MSG_NOSIGNAL);
      asked = true;
    }
    if (!(polls[0].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    ssize_t r = read(fd, buffer + have, sizeof buffer - 1 - have);
    if (r <= 0)
      return;
    have += (size_t)r;
    buffer[have] = '\0';
    char *line = buffer, *end;
    while ((end = strchr(line, '\n')) != NULL) {
      *end = '\0';
      heard(o, line);
      line = end + 1;
    }
    have = strlen(line);
    memmove(buffer, line, have + 1);
  }
}

static bool task_alive(pid_t pid, long tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%ld", (int)pid, tid);
  return access(path, F_OK) == 0;
}

static void wait_gone(pid_t pid, long tid) {
  for (int i = 0; i < 5000 && tid > 0 && task_alive(pid, tid); i++)
    usleep(1000);
}

/* The status of a process that ended without telling (killed by a
   signal): its zombie's, while its parent has not reaped it. */
static int ended_status(pid_t pid) {
  char path[64], text[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  size_t n = f != NULL ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f != NULL)
    fclose(f);
  text[n] = '\0';
  char *p = strrchr(text, ')');
  int field = 2, code = -1;
  for (; p != NULL && *p; p++)
    if (*p == ' ' && ++field == 52)
      code = atoi(p + 1);
  if (code < 0)
    return FAILED;
  return WIFSIGNALED(code) ? 128 + WTERMSIG(code) : WEXITSTATUS(code);
}

/* What of the files mapped now was not mapped before: what stays. */
static void tell_kept(pid_t pid, const paths *before, const char *reasons) {
  paths after;
  mapped_files(pid, &after);
  for (size_t i = 0; i < after.count; i++) {
    if (paths_have(before, after.items[i]))
      continue;
    const char *why = "loaded for snare.core, which stays";
    const char *found = strstr(reasons, after.items[i]);
    char reason[1024];
    if (found != NULL && found[strlen(after.items[i])] == '\t') {
      const char *start = found + strlen(after.items[i]) + 1;
      snprintf(reason, sizeof reason, "%.*s", (int)strcspn(start, "\n"),
               start);
      why = reason;
    }
    say("still loaded: %s (%s)", after.items[i], why);
  }
}

static int usage(void) {
  fputs("usage: snare_attach [--duration S] PID AGENT.so SCRIPT PATH CPATH "
        "[ARG...]\n", stderr);
  return 2;
}

int main(int argc, char **argv) {
  int i = 1;
  double duration = 0;
  if (i + 1 < argc && strcmp(argv[i], "--duration") == 0) {
    duration = atof(argv[i + 1]);
    i += 2;
  }
  if (argc - i < 5)
    return usage();
  pid_t pid = (pid_t)atoi(argv[i]);
  const char *agent = argv[i + 1], *script = argv[i + 2];
  const char *lua_path = argv[i + 3], *lua_cpath = argv[i + 4];
  char why[1024];
  if (!attach_allowed(pid, why, sizeof why)) {
    say("cannot attach to process %s: %s", argv[i], why);
    return REFUSED;
  }
  /* Its arguments, joined as the agent splits them. */
  size_t args_size = 1;
  for (int j = i + 5; j < argc; j++)
    args_size += strlen(argv[j]) + 1;
  char *args = calloc(1, args_size);
  for (int j = i + 5; j < argc; j++) {
    strcat(args, argv[j]);
    if (j + 1 < argc)
      strcat(args, "\x1f");
  }
  if (pipe(signal_pipe) != 0)
    return FAILED;
  struct sigaction action = {.sa_handler = on_signal};
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* `snare` killed: detach too */

  char dir[] = "/tmp/snare-attach-XXXXXX", socket_path[64];
  if (mkdtemp(dir) == NULL)
    return FAILED;
  snprintf(socket_path, sizeof socket_path, "%s/agent", dir);
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
  if (listener < 0 ||
      bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 1) != 0) {
    say("cannot make the agent's socket %s%s", socket_path, "");
    rmdir(dir);
    return FAILED;
  }
  paths before;
  mapped_files(pid, &before);
  char *threads = NULL;
  uint64_t handle = load_agent(pid, agent, socket_path, &threads);
  int status = FAILED;
  int fd = -1;
  if (handle != 0) {
    struct pollfd p = {listener, POLLIN, 0};
    if (poll(&p, 1, CONNECT_TIMEOUT_MS) == 1)
      fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      say("the agent did not call back%s%s", "", "");
  }
  unlink(socket_path);
  rmdir(dir);
  close(listener);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == NULL)
    strcpy(cwd, "/");
  const char *fields[] = {script, args, lua_path, lua_cpath, cwd,
                          threads != NULL ? threads : ""};
  outcome o = {.pid = (int)pid};
  if (fd >= 0 && send_settings(fd, fields, 6))
    converse(fd, duration, &o);
  if (fd >= 0)
    close(fd);
  if (o.exited) {
    status = o.exit_status;
  } else if (o.detached || o.failed) {
    wait_gone(pid, o.controller);
    if (!unload_agent(pid, handle))
      say("could not unload the agent: it stays loaded, unused%s%s", "", "");
    tell_kept(pid, &before, o.kept);
    say("detached from process %s%s", argv[i], "");
    status = o.failed || o.script_failed ? FAILED : 0;
  } else if (o.execed) {
    /* before the look at the process: the new program may have ended
       already, which is not the attached one ending */
    say("process %s replaced its program (exec): snare is no longer in it%s",
        argv[i], "");
    status = 0;
  } else if (fd >= 0 && kill(pid, 0) != 0) {
    say("process %s ended%s", argv[i], "");
    status = ended_status(pid);
  } else if (fd >= 0) {
    say("the agent in process %s ended without detaching%s", argv[i], "");
  }
  free(args);
  free(threads);
  return status;
}
