/*
 * agent.c - the LD_PRELOAD agent of `snare profile|trace|exec -- PROG`.
 *
 * Its constructor, on the program's main thread before main(), creates a
 * Lua state with snare and runs the controller script (SNARE_AGENT_SCRIPT)
 * on a thread of its own. The two threads meet in a small handshake:
 *
 *   controller                         main thread (constructor)
 *   agent.attach(s:handle())  ------>  snare_thread_attach(session),
 *   s:wait_event(): "attach"  <------  stopping at once: parks
 *   hooks, breakpoints...
 *   s:wait_event(ms, id)      ------>  resumed: returns, the program runs
 *   waits for events                   ...
 *                                      exit(): atexit handler posts a quit
 *   writes the report, returns <-----  and waits until the script is done
 *
 * A fault of an attached thread (every thread the program starts is
 * attached, see threads.c) parks it and reaches the controller as an
 * event; the script writes its report, and when it ends the agent kills
 * the process with the same signal, so the exit status is the one the
 * program would have had. The other ways a program ends or changes
 * (_exit, exec, end signals, fork) are in lifecycle.c, its signal calls
 * in signals.c. The Lua side is lua/snare/agent.lua.
 *
 * The snare C API is reached with dlsym: it lives in the snare.core module
 * that the Lua state loads (and exports globally), not in this object, so
 * the process holds one copy of snare's state.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <fenv.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent.h"

/* Exit status when the controller script fails before the program runs. */
#define AGENT_FAILED 125

agent the_agent = {.lock = PTHREAD_MUTEX_INITIALIZER,
                   .changed = PTHREAD_COND_INITIALIZER};

/* States only move forward: the main thread's RUNNING may come after the
   script's DONE when the script ends without serving events. */
static void set_state(agent_state state) {
  pthread_mutex_lock(&the_agent.lock);
  if (state > the_agent.state)
    the_agent.state = state;
  pthread_cond_broadcast(&the_agent.changed);
  pthread_mutex_unlock(&the_agent.lock);
}

agent_state agent_wait_state(agent_state state) {
  pthread_mutex_lock(&the_agent.lock);
  while (the_agent.state < state)
    pthread_cond_wait(&the_agent.changed, &the_agent.lock);
  agent_state reached = the_agent.state;
  pthread_mutex_unlock(&the_agent.lock);
  return reached;
}

agent_state agent_current_state(void) {
  pthread_mutex_lock(&the_agent.lock);
  agent_state state = the_agent.state;
  pthread_mutex_unlock(&the_agent.lock);
  return state;
}

void *agent_snare_function(const char *name) {
  void *fn = dlsym(RTLD_DEFAULT, name);
  if (fn == NULL) {
    fprintf(stderr, "snare agent: %s not found (snare.core not loaded)\n",
            name);
    _exit(AGENT_FAILED);
  }
  return fn;
}

static void quit_session(void) {
  snare_status (*quit)(snare_session *) =
      (snare_status(*)(snare_session *))agent_snare_function(
          "snare_session_quit");
  quit(the_agent.session);
}

const char *agent_end_name(agent_end end) {
  static const char *const names[] = {NULL, "exit", "exec", "signal",
                                      "detach"};
  return names[end];
}

void agent_end_program(agent_end end, int signo) {
  if (getpid() != the_agent.pid)
    return; /* a vfork's child */
  if (end == END_EXIT && !pthread_equal(pthread_self(), the_agent.controller)) {
    /* Frames that exit() leaves for good count up to now in the report. */
    void (*end_frames)(void) =
        (void (*)(void))agent_snare_function("snare_hook_frames_end");
    end_frames();
  }
  if (atomic_load(&the_agent.child)) {
    agent_child_end(end, signo);
    return;
  }
  if (pthread_equal(pthread_self(), the_agent.controller))
    return;
  pthread_mutex_lock(&the_agent.lock);
  bool running = the_agent.state == RUNNING;
  if (the_agent.end == END_NONE) {
    the_agent.end = end;
    the_agent.end_signal = signo;
  }
  pthread_mutex_unlock(&the_agent.lock);
  if (!running)
    return;
  quit_session();
  agent_wait_state(DONE);
}

_Thread_local bool agent_own_thread;

_Noreturn void agent_die_of(int signo) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real.sigaction(signo, &dfl, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  real.pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(signo);
  real.exit_now(128 + signo);
  __builtin_unreachable();
}

/* agent.attach(handle): the main thread may attach itself to the session;
   it parks there and posts an "attach" event (or a "quit" if it cannot
   attach). Resuming it lets the program run. Under snare attach, the
   running program's threads are adopted instead and the call returns
   the main thread's id (nil if it is gone): nothing is parked. */
static int l_attach(lua_State *L) {
  luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
  pthread_mutex_lock(&the_agent.lock);
  bool first = the_agent.state == STARTING;
  pthread_mutex_unlock(&the_agent.lock);
  if (!first)
    return luaL_error(L, "snare agent: attach: called twice");
  the_agent.session = lua_touserdata(L, 1);
  if (!the_agent.late) {
    set_state(SESSION);
    return 0;
  }
  the_agent.thread = agent_attach_threads(the_agent.session);
  set_state(RUNNING);
  pthread_mutex_lock(&the_agent.lock);
  bool detached_already = the_agent.end == END_DETACH;
  pthread_mutex_unlock(&the_agent.lock);
  if (detached_already)
    quit_session(); /* snare asked before the session could hear it */
  if (the_agent.thread == 0)
    return 0;
  lua_pushinteger(L, the_agent.thread);
  return 1;
}

/* agent.mode() -> "attach" (dlopen'ed into a running process by snare
   attach) or "preload" (started with the program). */
static int l_mode(lua_State *L) {
  lua_pushstring(L, the_agent.late ? "attach" : "preload");
  return 1;
}

/* agent.attached(id): the script saw the main thread attach as `id`. */
static int l_attached(lua_State *L) {
  the_agent.thread = (int)luaL_checkinteger(L, 1);
  return 0;
}

/* agent.ending() -> nil while the program runs, else how it ends:
   "exit", "exec" or "signal" (then the signal number too). */
static int l_ending(lua_State *L) {
  pthread_mutex_lock(&the_agent.lock);
  agent_end end = the_agent.end;
  int signo = the_agent.end_signal;
  pthread_mutex_unlock(&the_agent.lock);
  if (end == END_NONE)
    return 0;
  lua_pushstring(L, agent_end_name(end));
  lua_pushinteger(L, signo);
  return 2;
}

/* agent.faulted(signal): the process dies of it when the script ends. */
static int l_faulted(lua_State *L) {
  the_agent.fault_signal = (int)luaL_checkinteger(L, 1);
  return 0;
}

/* agent.start_dir() -> the directory the program started in (snare's),
   against which relative output paths are meant. */
static int l_start_dir(lua_State *L) {
  lua_pushstring(L, the_agent.start_dir != NULL ? the_agent.start_dir : ".");
  return 1;
}

/* agent.generation() -> how many execs this image is from the first. */
static int l_generation(lua_State *L) {
  lua_pushinteger(L, the_agent.generation);
  return 1;
}

/* agent.args() -> the controller's arguments (SNARE_AGENT_ARGS, split at
   the ASCII unit separator) as a list. */
static int l_args(lua_State *L) {
  lua_newtable(L);
  const char *p = the_agent.args;
  for (int i = 1; p != NULL && *p != '\0'; i++) {
    const char *end = strchr(p, '\x1f');
    size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
    lua_pushlstring(L, p, n);
    lua_rawseti(L, -2, i);
    p = end != NULL ? end + 1 : NULL;
  }
  return 1;
}

/* agent.kill(): the process dies of SIGKILL at once, as gdb's `kill`
   ends its inferior (no atexit handler, no destructor runs). */
static int l_kill(lua_State *L) {
  (void)L;
  agent_die_of(SIGKILL);
}

/* agent.end_with_snare(): the program is killed when the snare process
   that started it ends (killed by a timeout, a terminal closed), as gdb
   kills the program it runs when it quits, instead of living on parked
   at a breakpoint with nobody at the prompt. */
static int l_end_with_snare(lua_State *L) {
  (void)L;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) /* it ended before the request */
    agent_die_of(SIGKILL);
  return 0;
}

static int close_stdio(lua_State *L) {
  luaL_Stream *stream = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  return luaL_fileresult(L, fclose(stream->f) == 0, NULL);
}

/* snare_descriptor_keep, resolved once snare.core is loaded
   (agent_controller_state). */
static int (*descriptor_keep)(int);

/* agent.stdio(fd) -> a Lua file writing to a copy of fd 1 or 2 (the
   same open file: the same offset as the program's writes), so that
   the controller's output goes past the program's stdio buffers; or,
   for 0, reading fd 0's file opened again (/proc/self/fd/0). The copy
   is kept high, out of the numbers the program's opens get. */
static int l_stdio(lua_State *L) {
  int fd = (int)luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 2, 1, "0, 1 or 2");
  luaL_Stream *stream = lua_newuserdatauv(L, sizeof *stream, 0);
  stream->closef = NULL; /* not a file until it opens */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  int copy = fd == 0 ? open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC)
                     : fcntl(fd, F_DUPFD_CLOEXEC, 0);
  copy = descriptor_keep(copy);
  if (fd == 1)
    agent_prompt_output(copy); /* where a signal the program got is said */
  stream->f = copy >= 0 ? fdopen(copy, fd == 0 ? "r" : "w") : NULL;
  if (stream->f == NULL) {
    if (copy >= 0)
      close(copy);
    return luaL_fileresult(L, 0, NULL);
  }
  stream->closef = close_stdio;
  return 1;
}

void agent_interrupt_program(void) {
  size_t (*list)(snare_session *, int *, size_t) =
      (size_t(*)(snare_session *, int *, size_t))agent_snare_function(
          "snare_thread_list");
  bool (*running)(snare_session *, int) =
      (bool (*)(snare_session *, int))agent_snare_function(
          "snare_thread_is_running");
  snare_status (*stop)(snare_session *, int) =
      (snare_status(*)(snare_session *, int))agent_snare_function(
          "snare_thread_break");
  int worker = ((int (*)(const snare_session *))agent_snare_function(
      "snare_session_thread"))(the_agent.session);
  if (running(the_agent.session, the_agent.thread) &&
      stop(the_agent.session, the_agent.thread) == SNARE_OK)
    return;
  int ids[64];
  size_t n = list(the_agent.session, ids, 64);
  for (size_t i = 0; i < n && i < 64; i++)
    if (ids[i] != worker && running(the_agent.session, ids[i]) &&
        stop(the_agent.session, ids[i]) == SNARE_OK)
      return;
}

/* agent.sigint_interrupts(on): SIGINT stops the program (a break
   request to one of its threads) rather than ending it. */
static int l_sigint_interrupts(lua_State *L) {
  agent_sigint_interrupts(lua_toboolean(L, 1));
  return 0;
}

/* agent.sigint_deliver(native): SIGINT to the program's handler on
   thread `native` (a pthread_t) when it resumes; "handler", "ignored",
   or "default" (the program leaves it at its default action: nothing
   was sent). */
static int l_sigint_deliver(lua_State *L) {
  int how =
      agent_sigint_deliver((pthread_t)(uintptr_t)luaL_checkinteger(L, 1));
  lua_pushstring(L, how > 0 ? "handler" : how == 0 ? "ignored" : "default");
  return 1;
}

/* agent.signal_handle(sig, stop, print, pass, text): the prompt's
   `handle` table for signal sig, whose handler the agent keeps from
   then on; text is what a print says. False if snare cannot follow it
   there (see agent_signal_keepable). */
static int l_signal_handle(lua_State *L) {
  int sig = (int)luaL_checkinteger(L, 1);
  bool stop = lua_toboolean(L, 2), print = lua_toboolean(L, 3),
       pass = lua_toboolean(L, 4);
  const char *text = luaL_checkstring(L, 5);
  if (!agent_signal_keepable(sig)) {
    lua_pushboolean(L, false);
    return 1;
  }
  /* kept for the process's life: a handler may be writing the old text */
  lua_pushvalue(L, 5);
  luaL_ref(L, LUA_REGISTRYINDEX);
  agent_signal_handling(sig, (stop ? AGENT_SIGNAL_STOP : 0) |
                                 (print ? AGENT_SIGNAL_PRINT : 0) |
                                 (pass ? AGENT_SIGNAL_PASS : 0),
                        text);
  /* kept even when it only goes on: a death by it is reported as one */
  lua_pushboolean(L, agent_signal_keep(sig, true));
  return 1;
}

/* agent.signal_pass(native, pass): whether the signal thread `native`
   (a pthread_t) stopped at goes on to the program when it resumes;
   false if that thread is not stopped at a signal. */
static int l_signal_pass(lua_State *L) {
  lua_pushboolean(L, agent_signal_pass(
                         (pthread_t)(uintptr_t)luaL_checkinteger(L, 1),
                         lua_toboolean(L, 2)));
  return 1;
}

/* agent.signal_action(sig): what the program set for sig, "handler",
   "ignore" or "default" (what it found there when the agent's handler
   is not on sig). */
static int l_signal_action(lua_State *L) {
  int sig = (int)luaL_checkinteger(L, 1);
  struct sigaction act;
  if (!agent_program_action(sig, &act) &&
      (sig <= 0 || sig >= NSIG || real.sigaction(sig, NULL, &act) != 0))
    return luaL_argerror(L, 1, "not a signal");
  bool handler = (act.sa_flags & SA_SIGINFO) ||
                 (act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN);
  lua_pushstring(L, handler                     ? "handler"
                    : act.sa_handler == SIG_IGN ? "ignore"
                                                : "default");
  return 1;
}

static const luaL_Reg agent_functions[] = {
    {"attach", l_attach},   {"attached", l_attached},
    {"ending", l_ending},   {"faulted", l_faulted},
    {"args", l_args},       {"start_dir", l_start_dir},
    {"on_fork", agent_l_on_fork}, {"generation", l_generation},
    {"mode", l_mode},       {"running", agent_l_running},
    {"record_start", agent_l_record_start},
    {"record_stop", agent_l_record_stop},
    {"kill", l_kill},
    {"end_with_snare", l_end_with_snare},
    {"stdio", l_stdio},
    {"sigint_interrupts", l_sigint_interrupts},
    {"sigint_deliver", l_sigint_deliver},
    {"signal_handle", l_signal_handle},
    {"signal_pass", l_signal_pass},
    {"signal_action", l_signal_action},
    {NULL, NULL},
};

static int open_agent_core(lua_State *L) {
  luaL_newlib(L, agent_functions);
  return 1;
}

bool agent_run_script(lua_State *L, FILE *say) {
  int status = luaL_loadfile(L, the_agent.script);
  if (status == LUA_OK) {
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "traceback");
    lua_remove(L, -2);
    lua_insert(L, -2);
    status = lua_pcall(L, 0, 0, -2);
  }
  if (status != LUA_OK) {
    fprintf(say, "snare: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  fflush(say);
  return status == LUA_OK;
}

/* The controller thread: runs the script with its arguments. */
static void *controller_main(void *data) {
  lua_State *L = data;
  agent_own_thread = true; /* its threads (snare's workers) are not the
                              program's */
  /* The script's Lua may run in the program's own copy of the Lua API
     (an interpreter exports it and comes first in the lookup): none of
     it is the program's work. */
  void (*ignore)(void) =
      (void (*)(void))agent_snare_function("snare_hook_ignore_thread");
  ignore();
  bool ran = agent_run_script(L, stderr);
  if (the_agent.fault_signal != 0)
    agent_die_of(the_agent.fault_signal); /* without the program's handler */
  pthread_mutex_lock(&the_agent.lock);
  bool released = the_agent.state >= RUNNING;
  pthread_mutex_unlock(&the_agent.lock);
  if (!released && !ran)
    _exit(AGENT_FAILED); /* the program never ran */
  if (!released && the_agent.thread != 0) {
    /* The script ended without running the program: let it run alone. */
    snare_status (*resume)(snare_session *, int, snare_resume_mode,
                           const uint64_t *) =
        (snare_status(*)(snare_session *, int, snare_resume_mode,
                         const uint64_t *))agent_snare_function(
            "snare_thread_resume");
    resume(the_agent.session, the_agent.thread, SNARE_RESUME_CONTINUE, NULL);
  }
  /* No one serves events any more: a thread that stopped now would wait
     forever, so none is attached from here on. */
  void (*forget)(void) = (void (*)(void))agent_snare_function(
      "snare_threads_forget_all");
  forget();
  set_state(DONE);
  /* The Lua state stays: the program's threads may still be hooked. */
  return NULL;
}

/* exit() from any thread but the controller, main returning, and
   quick_exit(): the script reports, then the exit goes on. */
static void at_exit(void) { agent_end_program(END_EXIT, 0); }

/* A copy of the environment variable, which is then removed so that the
   program's children run without the agent. */
static char *take_env(const char *name) {
  const char *value = getenv(name);
  char *copy = value != NULL ? strdup(value) : NULL;
  unsetenv(name);
  return copy;
}

/*
 * Sets package[field] from the environment variable when it is set, and
 * keeps only its absolute templates: a module is never taken from the
 * program's working directory ("./?.lua"), where anyone may have put one.
 */
static void set_package_path(lua_State *L, const char *field,
                             const char *given) {
  char *value = given != NULL ? strdup(given) : NULL;
  lua_getglobal(L, "package");
  if (value == NULL) {
    lua_getfield(L, -1, field);
    value = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  luaL_Buffer kept;
  luaL_buffinit(L, &kept);
  bool first = true;
  for (char *save = NULL, *item = strtok_r(value, ";", &save); item != NULL;
       item = strtok_r(NULL, ";", &save)) {
    if (item[0] != '/')
      continue;
    if (!first)
      luaL_addchar(&kept, ';');
    luaL_addstring(&kept, item);
    first = false;
  }
  luaL_pushresult(&kept);
  lua_setfield(L, -2, field);
  lua_pop(L, 1);
  free(value);
}

/* Drops the variables that carry the agent in, so that the program's
   children run without it (unless an exec is followed). */
static void take_agent_env(void) {
  the_agent.script = take_env("SNARE_AGENT_SCRIPT");
  the_agent.args = take_env("SNARE_AGENT_ARGS");
  char *at = take_env("SNARE_AGENT_AT_MAIN");
  the_agent.attach_at_main = at != NULL && strcmp(at, "1") == 0;
  free(at);
  char *preload = take_env("SNARE_AGENT_PRELOAD"); /* LD_PRELOAD before us */
  if (preload != NULL && *preload != '\0')
    setenv("LD_PRELOAD", preload, 1);
  else
    unsetenv("LD_PRELOAD");
  free(preload);
}

lua_State *agent_controller_state(const char *path, const char *cpath,
                                  const char **why) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    *why = "cannot create a Lua state";
    return NULL;
  }
  luaL_openlibs(L);
  set_package_path(L, "path", path);
  set_package_path(L, "cpath", cpath);
  luaL_requiref(L, "snare.agent.core", open_agent_core, 0);
  lua_pop(L, 1);
  /* Loading snare.core here keeps dlopen out of the handshake below. */
  lua_getglobal(L, "require");
  lua_pushstring(L, "snare");
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    *why = lua_tostring(L, -1);
    return L;
  }
  descriptor_keep =
      (int (*)(int))agent_snare_function("snare_descriptor_keep");
  /* Under attach the agent's pipe2 comes after libc's: libunwind is left
     to start when first needed, as it did before the program had us. */
  if (!the_agent.late)
    agent_unwinder_start();
  *why = NULL;
  return L;
}

/* The Lua state of the controller, with snare.core loaded; exits if it
   cannot be made. */
static lua_State *controller_state(void) {
  char *path = take_env("SNARE_AGENT_PATH");
  char *cpath = take_env("SNARE_AGENT_CPATH");
  const char *why;
  lua_State *L = agent_controller_state(path, cpath, &why);
  free(path);
  free(cpath);
  if (why != NULL) {
    fprintf(stderr, "snare agent: %s\n", why);
    _exit(AGENT_FAILED);
  }
  return L;
}

/* True when the loader preloaded the agent (it is named in LD_PRELOAD);
   false when snare attach dlopen'ed it into a running program, whose
   environment it must leave alone (attach.c). */
static bool preloaded(void) {
  Dl_info self;
  const char *preload = getenv("LD_PRELOAD");
  if (preload == NULL || dladdr((void *)agent_end_name, &self) == 0 ||
      self.dli_fname == NULL)
    return false;
  const char *base = strrchr(self.dli_fname, '/');
  return strstr(preload, base != NULL ? base + 1 : self.dli_fname) != NULL;
}

static void start(void) {
  agent_real_resolve();
  if (!preloaded())
    return;
  agent_follow_start(); /* before the agent's variables are taken */
  take_agent_env();
  if (the_agent.script == NULL)
    return; /* preloaded by someone else than snare: stay out */
  /* A setuid or setgid program: the loader preloads only trusted
     libraries into it, and the agent must not run there either. */
  if (getauxval(AT_SECURE) != 0)
    return;
  the_agent.pid = getpid();
  the_agent.main_thread = pthread_self();
  lua_State *L = controller_state();
  the_agent.lua = L;
  atexit(at_exit);
  at_quick_exit(at_exit);
  agent_end_signals_install();
  agent_sleeps_start();
  agent_lifecycle_start();
  agent_fork_start();
  if (agent_thread_start(&the_agent.controller, controller_main, L) != 0) {
    fputs("snare agent: cannot start the controller thread\n", stderr);
    _exit(AGENT_FAILED);
  }
  if (agent_wait_state(SESSION) != SESSION)
    return; /* the script ended at once */
  if (the_agent.attach_at_main)
    return; /* start_main.c attaches the main thread at main */
  agent_attach_main_thread();
}

void agent_attach_main_thread(void) {
  snare_status (*attach)(snare_session *, bool, int *) =
      (snare_status(*)(snare_session *, bool, int *))agent_snare_function(
          "snare_thread_attach");
  int id;
  if (attach(the_agent.session, true, &id) != SNARE_OK) {
    quit_session(); /* the controller waits for the attach event */
    agent_wait_state(DONE);
    return;
  }
  /* Resumed by the controller: the program runs. */
  agent_threads_main_attached();
  set_state(RUNNING);
}

/*
 * agent_call_on_stack(fn, top): calls fn with the stack pointer at top
 * (rounded down to 16), then returns on the caller's stack. rbp frames
 * the switch, so an unwinder inside fn reaches the caller's frames.
 */
__asm__(".text\n"
        ".globl agent_call_on_stack\n"
        ".hidden agent_call_on_stack\n"
        ".type agent_call_on_stack, @function\n"
        "agent_call_on_stack:\n"
        "  .cfi_startproc\n"
        "  push %rbp\n"
        "  .cfi_def_cfa_offset 16\n"
        "  .cfi_offset %rbp, -16\n"
        "  mov %rsp, %rbp\n"
        "  .cfi_def_cfa_register %rbp\n"
        "  and $-16, %rsi\n"
        "  mov %rsi, %rsp\n"
        "  call *%rdi\n"
        "  mov %rbp, %rsp\n"
        "  pop %rbp\n"
        "  .cfi_def_cfa %rsp, 8\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size agent_call_on_stack, .-agent_call_on_stack\n");
__attribute__((visibility("hidden"))) void agent_call_on_stack(void (*fn)(void),
                                                               void *top);

/* The stack the agent's work on the main thread runs on (its start, and
   the attach at main): Lua's start and the modules it loads go deep,
   and on the main thread's stack they would leave their bytes (stack
   canaries, saved registers) where the program's first calls keep their
   locals, which read them while uninitialised (gdb's program reads what
   the C library left there, or zeros). Mapped once, kept: reserved, not
   committed, and only the main thread runs on it, one call at a time. */
#define OWN_STACK_SIZE (8u << 20)
static void *own_stack;

void agent_on_own_stack(void (*fn)(void)) {
  if (own_stack == NULL) {
    void *stack = mmap(NULL, OWN_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
    own_stack = stack == MAP_FAILED ? NULL : stack;
  }
  if (own_stack == NULL)
    fn(); /* on the program's stack, as before */
  else
    agent_call_on_stack(fn, (char *)own_stack + OWN_STACK_SIZE);
}

/* The threads the agent's start starts are its own (snare.core may start
   some as it loads); then the main thread is the program's again. */
__attribute__((constructor)) static void agent_start(void) {
  /* The agent's work on this thread (Lua's start among it) raises
     floating-point status flags, mxcsr's PE for one: the program goes on
     with the environment it had, as it would without snare. */
  fenv_t program_environment;
  fegetenv(&program_environment);
  agent_own_thread = true;
  agent_on_own_stack(start);
  agent_own_thread = false;
  fesetenv(&program_environment);
}
