/*
 * attach.c - the agent dlopen'ed into a running process by `snare
 * attach PID` (os/linux/attach/): no LD_PRELOAD, no constructor work.
 *
 * The injector makes one thread of the process call snare_agent_attach
 * with the path of its Unix socket. That call only starts the
 * controller thread and returns (the thread it borrowed goes back to
 * what it was doing). The controller connects, receives snare's stdin,
 * stdout and stderr (SCM_RIGHTS) and its settings (script, arguments,
 * package paths, directory, and the process's threads as the injector
 * saw them: thread id and thread pointer), makes its Lua state with
 * snare's standard streams in place of the program's, and runs the
 * script as under LD_PRELOAD.
 *
 * Threads: the running ones are adopted (snare_thread_adopt, from the
 * controller: nothing runs on them, no signal interrupts them); new ones
 * attach as they start and detach as they end, through hooks on two
 * functions every thread's start in glibc runs (__ctype_init before the
 * thread's routine, __call_tls_dtors after it): an interposed
 * pthread_create is never reached by a library loaded this late. Hooks
 * on exit, _exit and execve end the script first (its report written)
 * and tell snare the exit status.
 *
 * Detaching (a "detach" from snare, or its socket closing): the script's
 * agent.run returns "detach"; the agent's hooks come off, it waits until
 * no thread is inside one of its callbacks, forgets every attached
 * thread, closes the Lua state (hooks and breakpoints removed, the
 * session freed, snare's signal handlers restored when nothing uses
 * them), says "detached" and what stays loaded, and the controller ends.
 * snare then dlcloses the agent. snare.core stays loaded (RTLD_NODELETE):
 * generated code (trampolines, exit stubs of frames still on threads'
 * stacks) calls into it, and its thread-exit handler (a pthread key) is
 * registered in every thread that ran a hook; liblua stays with it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* The name of the controller; threads it starts (snare's workers)
   inherit it, which tells them from the program's at their start. */
#define CONTROLLER_NAME "snare-agent"
#define SETTINGS_MAX (1u << 20)

static struct {
  char *socket_path;
  int socket;
  FILE *say;               /* snare's stderr */
  int fds[3];              /* snare's stdin, stdout, stderr */
  char *settings;          /* NUL-separated fields, see read_settings */
  size_t settings_size;
  const char *threads;     /* "TID:POINTER ..." */
  pthread_t watcher;
  bool watching;
  pthread_mutex_t send_lock;
  _Atomic bool accepting;  /* the thread hooks attach and detach */
  _Atomic int in_callback; /* threads inside a callback of the agent's */
  _Atomic bool exit_told;
  int hooks[8];
  size_t hook_count;
  snare_library *libc; /* libc's symbols, for its functions' extents */
} late = {.socket = -1, .fds = {-1, -1, -1},
          .send_lock = PTHREAD_MUTEX_INITIALIZER};

/* A line to snare; whole lines, from any thread. */
static void send_line(const char *line) {
  pthread_mutex_lock(&late.send_lock);
  size_t n = strlen(line);
  for (size_t done = 0; done < n && late.socket >= 0;) {
    ssize_t w = send(late.socket, line + done, n - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    done += (size_t)w;
  }
  pthread_mutex_unlock(&late.send_lock);
}

static bool read_exactly(int fd, void *buffer, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t r = read(fd, (char *)buffer + done, size - done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    done += (size_t)r;
  }
  return true;
}

/* The first message: a 4-byte length with snare's three standard
   descriptors, then the settings. */
static bool read_settings(void) {
  uint32_t length;
  char control[CMSG_SPACE(3 * sizeof(int))];
  struct iovec iov = {&length, sizeof length};
  struct msghdr message = {.msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = control,
                           .msg_controllen = sizeof control};
  ssize_t r;
  do
    r = recvmsg(late.socket, &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (r < 0 && errno == EINTR);
  if (r != sizeof length)
    return false;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len != CMSG_LEN(3 * sizeof(int)))
    return false;
  memcpy(late.fds, CMSG_DATA(cmsg), sizeof late.fds);
  if (length == 0 || length > SETTINGS_MAX)
    return false;
  late.settings = calloc(1, length + 1);
  late.settings_size = length;
  return late.settings != NULL &&
         read_exactly(late.socket, late.settings, length);
}

/* Field i of the settings (script, args, path, cpath, directory,
   threads), "" if missing. */
static const char *setting(int i) {
  const char *p = late.settings;
  const char *end = late.settings + late.settings_size;
  for (; i > 0 && p < end; i--)
    p += strlen(p) + 1;
  return p < end ? p : "";
}

/* ---- the program's threads ---- */

static uint64_t stack_low_of(pthread_t thread) {
  pthread_attr_t attr;
  if (pthread_getattr_np(thread, &attr) != 0)
    return 0;
  void *low = NULL;
  size_t size = 0;
  pthread_attr_getstack(&attr, &low, &size);
  pthread_attr_destroy(&attr);
  return (uint64_t)(uintptr_t)low;
}

typedef snare_status (*adopt_fn)(snare_session *, uintptr_t, uint64_t, int,
                                 int *);

static bool is_snare_thread(void) {
  char name[16] = "";
  prctl(PR_GET_NAME, name, 0, 0, 0);
  return strcmp(name, CONTROLLER_NAME) == 0;
}

/* __ctype_init, run by every new thread before its routine. */
static void on_thread_start(const snare_hook_call *call, void *data) {
  (void)call, (void)data;
  atomic_fetch_add(&late.in_callback, 1);
  if (atomic_load(&late.accepting) && !is_snare_thread()) {
    adopt_fn adopt = (adopt_fn)agent_snare_function("snare_thread_adopt");
    int id;
    adopt(the_agent.session, (uintptr_t)pthread_self(),
          stack_low_of(pthread_self()), (int)gettid(), &id);
  }
  atomic_fetch_sub(&late.in_callback, 1);
}

/* __call_tls_dtors, run by a thread that ends (and by exit()). */
static void on_thread_end(const snare_hook_call *call, void *data) {
  (void)call, (void)data;
  atomic_fetch_add(&late.in_callback, 1);
  if (atomic_load(&late.accepting)) {
    snare_status (*detach)(snare_session *) =
        (snare_status(*)(snare_session *))agent_snare_function(
            "snare_thread_detach");
    detach(the_agent.session);
  }
  atomic_fetch_sub(&late.in_callback, 1);
}

/* exit, _exit, execve: the script ends (its report written), then snare
   hears the exit status, or that the image is replaced. */
static void on_program_end(const snare_hook_call *call, void *data) {
  agent_end end = (agent_end)(intptr_t)data;
  atomic_fetch_add(&late.in_callback, 1);
  if (atomic_load(&late.accepting) || end == END_EXIT) {
    agent_end_program(end, 0);
    if (!atomic_exchange(&late.exit_told, true)) {
      char line[64];
      if (end == END_EXIT)
        snprintf(line, sizeof line, "exit %d\n",
                 (int)(call->arguments[0] & 0xff));
      else
        snprintf(line, sizeof line, "exec\n");
      send_line(line);
    }
  }
  atomic_fetch_sub(&late.in_callback, 1);
}

static void hook(const char *name, snare_hook_fn fn, void *data) {
  snare_status (*hook_function)(uint64_t, const snare_hook_options *, int *) =
      (snare_status(*)(uint64_t, const snare_hook_options *,
                       int *))agent_snare_function("snare_hook_function");
  void *address = dlsym(RTLD_DEFAULT, name);
  snare_hook_options options = {.callback = fn, .data = data};
  int id;
  if (address == NULL ||
      hook_function((uint64_t)(uintptr_t)address, &options, &id) != SNARE_OK) {
    fprintf(late.say, "snare: cannot hook %s: %s threads or ends are not "
                      "seen\n", name,
            fn == on_program_end ? "the program's" : "new");
    return;
  }
  late.hooks[late.hook_count++] = id;
}

static bool task_exists(long tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%ld", tid);
  return access(path, F_OK) == 0;
}

/* libc as a snare library: its functions' extents, which hooks need. */
static void open_libc(void) {
  Dl_info info;
  snare_status (*open)(const char *, snare_library **) =
      (snare_status(*)(const char *, snare_library **))agent_snare_function(
          "snare_library_open");
  if (dladdr((void *)exit, &info) != 0 && info.dli_fname != NULL)
    open(info.dli_fname, &late.libc);
}

int agent_attach_threads(snare_session *session) {
  atomic_store(&late.accepting, true);
  open_libc();
  hook("__ctype_init", on_thread_start, NULL);
  hook("__call_tls_dtors", on_thread_end, NULL);
  hook("exit", on_program_end, (void *)(intptr_t)END_EXIT);
  hook("_exit", on_program_end, (void *)(intptr_t)END_EXIT);
  hook("execve", on_program_end, (void *)(intptr_t)END_EXEC);
  adopt_fn adopt = (adopt_fn)agent_snare_function("snare_thread_adopt");
  int main_id = 0;
  const char *p = late.threads;
  while (p != NULL && *p != '\0') {
    char *end;
    long tid = strtol(p, &end, 10);
    if (*end != ':')
      break;
    uintptr_t pointer = (uintptr_t)strtoull(end + 1, &end, 16);
    int id;
    if (task_exists(tid) &&
        adopt(session, pointer, stack_low_of((pthread_t)pointer), (int)tid,
              &id) == SNARE_OK &&
        tid == (long)the_agent.pid)
      main_id = id;
    p = end + strspn(end, " ");
  }
  return main_id;
}

/* agent.running(): under snare attach, tells snare the script's hooks and
   breakpoints are in place and the program runs with them (snare says
   so); nothing otherwise. */
int agent_l_running(lua_State *L) {
  (void)L;
  if (the_agent.late && late.socket >= 0)
    send_line("running\n");
  return 0;
}

/* ---- detaching ---- */

/* Reads what snare says: "detach", or the socket closing (snare ended),
   ends the script's agent.run with "detach". */
static void *watch_snare(void *unused) {
  (void)unused;
  agent_own_thread = true;
  char buffer[64];
  for (;;) {
    ssize_t r = read(late.socket, buffer, sizeof buffer);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || memmem(buffer, (size_t)r, "detach", 6) != NULL)
      break;
  }
  agent_end_program(END_DETACH, 0);
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR)
    ;
}

/* The object holding `symbol` stays loaded for good; its path for the
   note, or NULL. */
static const char *keep_loaded(void *symbol) {
  Dl_info info;
  if (symbol == NULL || dladdr(symbol, &info) == 0 || info.dli_fname == NULL)
    return NULL;
  void *handle = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  if (handle == NULL)
    return NULL;
  dlclose(handle);
  return info.dli_fname;
}

static void tell_kept(const char *path, const char *why) {
  char *real_path = path != NULL ? realpath(path, NULL) : NULL;
  if (real_path == NULL)
    return;
  char line[1024];
  snprintf(line, sizeof line, "kept %s\t%s\n", real_path, why);
  free(real_path);
  send_line(line);
}

static void take_hooks_off(void) {
  atomic_store(&late.accepting, false);
  snare_status (*remove)(int) =
      (snare_status(*)(int))agent_snare_function("snare_hook_remove");
  for (size_t i = 0; i < late.hook_count; i++)
    remove(late.hooks[i]);
  late.hook_count = 0;
  if (late.libc != NULL) {
    void (*close_library)(snare_library *) =
        (void (*)(snare_library *))agent_snare_function("snare_library_close");
    close_library(late.libc);
    late.libc = NULL;
  }
  /* A thread may have read a callback's address just before its hook
     went: it is counted once inside; a little grace covers the rest. */
  while (atomic_load(&late.in_callback) != 0)
    sleep_ms(1);
  sleep_ms(10);
}

static void detach_everything(lua_State *L) {
  take_hooks_off();
  void (*forget)(void) =
      (void (*)(void))agent_snare_function("snare_threads_forget_all");
  forget();
  /* A breakpoint's condition that began before may still run Lua. */
  sleep_ms(20);
  tell_kept(keep_loaded(agent_snare_function("snare_hook_function")),
            "its generated code (trampolines, exit stubs of frames still on "
            "stacks) and its thread-exit handler call into it");
  tell_kept(keep_loaded(dlsym(RTLD_DEFAULT, "lua_newstate")),
            "snare.core, which stays, calls the Lua API");
  lua_close(L); /* hooks, breakpoints, the session; signal handlers */
}

/* ---- the controller ---- */

static int close_stream(lua_State *L) {
  luaL_Stream *stream = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  return luaL_fileresult(L, fclose(stream->f) == 0, NULL);
}

/* io[field] and the default io stream `registry_key` become fd. */
static bool replace_stream(lua_State *L, const char *field, int fd,
                           const char *mode, const char *registry_key) {
  luaL_Stream *stream = lua_newuserdatauv(L, sizeof *stream, 0);
  stream->closef = NULL;
  luaL_setmetatable(L, LUA_FILEHANDLE);
  stream->f = fd >= 0 ? fdopen(fd, mode) : NULL;
  if (stream->f == NULL) {
    lua_pop(L, 1);
    return false;
  }
  stream->closef = close_stream;
  if (mode[0] == 'w') /* an exec() loses what a buffer holds */
    setvbuf(stream->f, NULL, _IOLBF, 0);
  if (registry_key != NULL) {
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, registry_key);
  }
  lua_getglobal(L, "io");
  lua_insert(L, -2);
  lua_setfield(L, -2, field);
  lua_pop(L, 1);
  return true;
}

/* The script talks to snare's terminal, not the program's; it must not
   end the program either. */
static const char redirect_chunk[] =
    "print = function(...)\n"
    "  local t = table.pack(...)\n"
    "  for i = 1, t.n do t[i] = tostring(t[i]) end\n"
    "  io.stdout:write(table.concat(t, '\\t', 1, t.n), '\\n')\n"
    "end\n"
    "os.exit = function() error('os.exit would end the program snare is "
    "attached to', 2) end\n";

static void use_snare_streams(lua_State *L) {
  if (replace_stream(L, "stdin", late.fds[0], "r", "_IO_input"))
    late.fds[0] = -1; /* the stream owns it now */
  if (replace_stream(L, "stdout", late.fds[1], "w", "_IO_output"))
    late.fds[1] = -1;
  int err = dup(fileno(late.say));
  if (!replace_stream(L, "stderr", err, "w", NULL) && err >= 0)
    close(err);
  setvbuf(late.say, NULL, _IOLBF, 0);
  if (luaL_dostring(L, redirect_chunk) != LUA_OK)
    lua_pop(L, 1);
}

static bool connect_to_snare(void) {
  late.socket = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (late.socket < 0 ||
      strlen(late.socket_path) >= sizeof address.sun_path)
    return false;
  strcpy(address.sun_path, late.socket_path);
  if (connect(late.socket, (struct sockaddr *)&address, sizeof address) != 0)
    return false;
  /* Only the snare that injected us (root, or the program's own user). */
  struct ucred peer;
  socklen_t size = sizeof peer;
  return getsockopt(late.socket, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 &&
         (peer.uid == 0 || peer.uid == getuid());
}

/* The watcher ends (its read sees the end). */
static void stop_watching(void) {
  if (late.socket >= 0)
    shutdown(late.socket, SHUT_RD);
  if (late.watching)
    pthread_join(late.watcher, NULL);
  late.watching = false;
}

static void release_connection(void) {
  stop_watching();
  if (late.socket >= 0)
    close(late.socket);
  late.socket = -1;
  for (int i = 0; i < 3; i++)
    if (late.fds[i] >= 0)
      close(late.fds[i]);
  if (late.say != NULL && late.say != stderr)
    fclose(late.say);
  late.say = NULL;
  free(late.settings);
  late.settings = NULL;
  free(late.socket_path);
  late.socket_path = NULL;
}

/* What the next attach starts from. */
static void reset_agent(void) {
  pthread_mutex_lock(&the_agent.lock);
  the_agent.state = STARTING;
  the_agent.end = END_NONE;
  the_agent.end_signal = 0;
  pthread_mutex_unlock(&the_agent.lock);
  the_agent.session = NULL;
  the_agent.thread = 0;
  the_agent.lua = NULL;
  free(the_agent.script);
  free(the_agent.args);
  free(the_agent.start_dir);
  the_agent.script = the_agent.args = the_agent.start_dir = NULL;
  atomic_store(&late.exit_told, false);
}

static void *late_controller(void *unused) {
  (void)unused;
  agent_own_thread = true;
  prctl(PR_SET_NAME, CONTROLLER_NAME, 0, 0, 0);
  if (!connect_to_snare() || !read_settings()) {
    release_connection();
    return NULL;
  }
  late.say = fdopen(late.fds[2], "w");
  late.fds[2] = -1;
  if (late.say == NULL)
    late.say = stderr;
  char line[64];
  snprintf(line, sizeof line, "controller %ld\n", (long)gettid());
  send_line(line);
  the_agent.script = strdup(setting(0));
  the_agent.args = strdup(setting(1));
  the_agent.start_dir = strdup(setting(4));
  late.threads = setting(5);
  /* snare.core takes the Lua API from the global scope, where the agent
     (loaded RTLD_LOCAL, so that nothing binds to its interposers and it
     can be unloaded) did not put its liblua. */
  Dl_info lua_library;
  if (dladdr((void *)lua_newstate, &lua_library) != 0 &&
      lua_library.dli_fname != NULL)
    dlopen(lua_library.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
  const char *why;
  lua_State *L = agent_controller_state(setting(2), setting(3), &why);
  if (why != NULL) {
    fprintf(late.say, "snare: %s\n", why);
    if (L != NULL)
      lua_close(L);
    send_line("failed\n");
    release_connection();
    reset_agent();
    return NULL;
  }
  the_agent.lua = L;
  void (*ignore)(void) =
      (void (*)(void))agent_snare_function("snare_hook_ignore_thread");
  ignore();
  use_snare_streams(L);
  late.watching =
      real.pthread_create(&late.watcher, NULL, watch_snare, NULL) == 0;
  if (!agent_run_script(L, late.say))
    send_line("error\n"); /* said on snare's stderr */
  if (the_agent.fault_signal != 0)
    agent_die_of(the_agent.fault_signal);
  pthread_mutex_lock(&the_agent.lock);
  agent_end end = the_agent.end;
  bool ending = end == END_EXIT || end == END_EXEC;
  pthread_mutex_unlock(&the_agent.lock);
  /* Before an exec() the thread waiting for DONE makes. Only snare's
     streams: fflush(NULL) would wait for the program's (stdin's lock,
     held by a thread blocked reading it). */
  if (luaL_dostring(L, "io.stdout:flush() io.stderr:flush()") != LUA_OK)
    lua_pop(L, 1);
  fflush(late.say);
  /* No quit reaches the session from here on: the program's thread
     ending it waits for DONE in a hook, the watcher sees DONE. */
  pthread_mutex_lock(&the_agent.lock);
  the_agent.state = DONE;
  pthread_cond_broadcast(&the_agent.changed);
  pthread_mutex_unlock(&the_agent.lock);
  if (ending)
    return NULL; /* the process ends or becomes another program */
  stop_watching();
  detach_everything(L);
  send_line("detached\n");
  release_connection();
  reset_agent();
  return NULL;
}

/* Called by snare attach's injector on a borrowed thread: starts the
   controller and returns at once. 0, or an errno value. */
AGENT_INTERPOSE int snare_agent_attach(const char *socket_path) {
  agent_real_resolve();
  if (agent_current_state() != STARTING || late.socket_path != NULL)
    return EBUSY;
  late.socket_path = strdup(socket_path);
  if (late.socket_path == NULL)
    return ENOMEM;
  the_agent.late = true;
  the_agent.pid = getpid();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* The controller (and the threads it starts) takes none of the
     signals sent to the program as a whole; traps, faults and snare's
     own real-time signals must reach it. */
  static const int program_signals[] = {
      SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGUSR1, SIGUSR2,   SIGALRM,
      SIGCHLD, SIGPIPE, SIGWINCH, SIGIO,  SIGURG,  SIGPROF,   SIGVTALRM,
      SIGXCPU, SIGXFSZ, SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT};
  sigset_t blocked, old;
  sigemptyset(&blocked);
  for (size_t i = 0; i < sizeof program_signals / sizeof *program_signals;
       i++)
    sigaddset(&blocked, program_signals[i]);
  real.pthread_sigmask(SIG_SETMASK, &blocked, &old);
  int status =
      real.pthread_create(&the_agent.controller, &attr, late_controller, NULL);
  real.pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (status != 0) {
    free(late.socket_path);
    late.socket_path = NULL;
  }
  return status;
}
