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
 * A fault of the attached main thread parks it and reaches the controller
 * as an event; the script writes its report, and when it ends the agent
 * kills the process with the same signal, so the exit status is the one
 * the program would have had. The Lua side is lua/snare/agent.lua.
 *
 * The snare C API is reached with dlsym: it lives in the snare.core module
 * that the Lua state loads (and exports globally), not in this object, so
 * the process holds one copy of snare's state.
 */
#include <dlfcn.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snare.h"

/* Exit status when the controller script fails before the program runs. */
#define AGENT_FAILED 125

typedef enum agent_state {
  STARTING, /* the controller prepares */
  SESSION,  /* it passed its session: the main thread may attach */
  RUNNING,  /* the main thread attached and was resumed: the program runs */
  DONE,     /* the script ended */
} agent_state;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  agent_state state;
  snare_session *session;
  int thread; /* the main thread's id, told by the script */
  bool exiting;               /* exit() ran: the quit event means it */
  int fault_signal;           /* kill the process with it when done */
  pthread_t controller;
  char *script;
  char *args;
} agent = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .changed = PTHREAD_COND_INITIALIZER};

/* States only move forward: the main thread's RUNNING may come after the
   script's DONE when the script ends without serving events. */
static void set_state(agent_state state) {
  pthread_mutex_lock(&agent.lock);
  if (state > agent.state)
    agent.state = state;
  pthread_cond_broadcast(&agent.changed);
  pthread_mutex_unlock(&agent.lock);
}

/* Waits until the state is at least `state`; returns the state reached. */
static agent_state wait_state(agent_state state) {
  pthread_mutex_lock(&agent.lock);
  while (agent.state < state)
    pthread_cond_wait(&agent.changed, &agent.lock);
  agent_state reached = agent.state;
  pthread_mutex_unlock(&agent.lock);
  return reached;
}

/* A function of the snare C API, from the snare.core module. */
static void *snare_function(const char *name) {
  void *fn = dlsym(RTLD_DEFAULT, name);
  if (fn == NULL) {
    fprintf(stderr, "snare agent: %s not found (snare.core not loaded)\n",
            name);
    _exit(AGENT_FAILED);
  }
  return fn;
}

/* agent.attach(handle): the main thread may attach itself to the session;
   it parks there and posts an "attach" event (or a "quit" if it cannot
   attach). Resuming it lets the program run. */
static int l_attach(lua_State *L) {
  luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
  pthread_mutex_lock(&agent.lock);
  bool first = agent.state == STARTING;
  pthread_mutex_unlock(&agent.lock);
  if (!first)
    return luaL_error(L, "snare agent: attach: called twice");
  agent.session = lua_touserdata(L, 1);
  set_state(SESSION);
  return 0;
}

/* agent.attached(id): the script saw the main thread attach as `id`. */
static int l_attached(lua_State *L) {
  agent.thread = (int)luaL_checkinteger(L, 1);
  return 0;
}

/* agent.exiting() -> true once the program called exit(). */
static int l_exiting(lua_State *L) {
  pthread_mutex_lock(&agent.lock);
  lua_pushboolean(L, agent.exiting);
  pthread_mutex_unlock(&agent.lock);
  return 1;
}

/* agent.faulted(signal): the process dies of it when the script ends. */
static int l_faulted(lua_State *L) {
  agent.fault_signal = (int)luaL_checkinteger(L, 1);
  return 0;
}

/* agent.args() -> the controller's arguments (SNARE_AGENT_ARGS, split at
   the ASCII unit separator) as a list. */
static int l_args(lua_State *L) {
  lua_newtable(L);
  const char *p = agent.args;
  for (int i = 1; p != NULL && *p != '\0'; i++) {
    const char *end = strchr(p, '\x1f');
    size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
    lua_pushlstring(L, p, n);
    lua_rawseti(L, -2, i);
    p = end != NULL ? end + 1 : NULL;
  }
  return 1;
}

static const luaL_Reg agent_functions[] = {
    {"attach", l_attach}, {"attached", l_attached}, {"exiting", l_exiting},
    {"faulted", l_faulted}, {"args", l_args},       {NULL, NULL},
};

static int open_agent_core(lua_State *L) {
  luaL_newlib(L, agent_functions);
  return 1;
}

/* Dies of the fault the script reported, without running its handler
   again: the status is what the program's own death would have given. */
static void die_of_fault(int signo) {
  fflush(NULL);
  signal(signo, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  raise(signo);
  _exit(128 + signo);
}

/* The controller thread: runs the script with its arguments. */
static void *controller_main(void *data) {
  lua_State *L = data;
  int status = luaL_loadfile(L, agent.script);
  if (status == LUA_OK) {
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "traceback");
    lua_remove(L, -2);
    lua_insert(L, -2);
    status = lua_pcall(L, 0, 0, -2);
  }
  if (status != LUA_OK)
    fprintf(stderr, "snare: %s\n", lua_tostring(L, -1));
  fflush(stderr);
  if (agent.fault_signal != 0)
    die_of_fault(agent.fault_signal);
  pthread_mutex_lock(&agent.lock);
  bool released = agent.state >= RUNNING;
  pthread_mutex_unlock(&agent.lock);
  if (!released && status != LUA_OK)
    _exit(AGENT_FAILED); /* the program never ran */
  if (!released && agent.thread != 0) {
    /* The script ended without running the program: let it run alone. */
    snare_status (*resume)(snare_session *, int, snare_resume_mode,
                           const uint64_t *) =
        (snare_status(*)(snare_session *, int, snare_resume_mode,
                         const uint64_t *))snare_function(
            "snare_thread_resume");
    resume(agent.session, agent.thread, SNARE_RESUME_CONTINUE, NULL);
  }
  set_state(DONE);
  /* The Lua state stays: the program's threads may still be hooked. */
  return NULL;
}

/* exit() from any thread but the controller: the script reports, then the
   exit goes on. */
static void at_exit(void) {
  if (pthread_equal(pthread_self(), agent.controller))
    return;
  pthread_mutex_lock(&agent.lock);
  bool running = agent.state == RUNNING;
  agent.exiting = true;
  pthread_mutex_unlock(&agent.lock);
  if (!running)
    return;
  snare_status (*quit)(snare_session *) =
      (snare_status(*)(snare_session *))snare_function("snare_session_quit");
  quit(agent.session);
  wait_state(DONE);
}

/* A copy of the environment variable, which is then removed so that the
   program's children run without the agent. */
static char *take_env(const char *name) {
  const char *value = getenv(name);
  char *copy = value != NULL ? strdup(value) : NULL;
  unsetenv(name);
  return copy;
}

/* Sets package[field] from the environment variable, when it is set. */
static void set_package_path(lua_State *L, const char *field,
                             const char *name) {
  char *value = take_env(name);
  if (value == NULL)
    return;
  lua_getglobal(L, "package");
  lua_pushstring(L, value);
  lua_setfield(L, -2, field);
  lua_pop(L, 1);
  free(value);
}

__attribute__((constructor)) static void agent_start(void) {
  agent.script = take_env("SNARE_AGENT_SCRIPT");
  agent.args = take_env("SNARE_AGENT_ARGS");
  char *preload = take_env("SNARE_AGENT_PRELOAD"); /* LD_PRELOAD before us */
  if (preload != NULL && *preload != '\0')
    setenv("LD_PRELOAD", preload, 1);
  else
    unsetenv("LD_PRELOAD");
  free(preload);
  if (agent.script == NULL)
    return; /* preloaded by someone else than snare: stay out */
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fputs("snare agent: cannot create a Lua state\n", stderr);
    _exit(AGENT_FAILED);
  }
  luaL_openlibs(L);
  set_package_path(L, "path", "SNARE_AGENT_PATH");
  set_package_path(L, "cpath", "SNARE_AGENT_CPATH");
  luaL_requiref(L, "snare.agent.core", open_agent_core, 0);
  lua_pop(L, 1);
  /* Loading snare.core here, on the main thread, keeps dlopen out of the
     handshake below. */
  lua_getglobal(L, "require");
  lua_pushstring(L, "snare");
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    fprintf(stderr, "snare agent: %s\n", lua_tostring(L, -1));
    _exit(AGENT_FAILED);
  }
  atexit(at_exit);
  if (pthread_create(&agent.controller, NULL, controller_main, L) != 0) {
    fputs("snare agent: cannot start the controller thread\n", stderr);
    _exit(AGENT_FAILED);
  }
  if (wait_state(SESSION) != SESSION)
    return; /* the script ended at once */
  snare_status (*attach)(snare_session *, bool, int *) =
      (snare_status(*)(snare_session *, bool, int *))snare_function(
          "snare_thread_attach");
  int id;
  snare_status status = attach(agent.session, true, &id);
  if (status != SNARE_OK) {
    snare_status (*quit)(snare_session *) =
        (snare_status(*)(snare_session *))snare_function("snare_session_quit");
    quit(agent.session); /* the controller waits for the attach event */
    wait_state(DONE);
    return;
  }
  /* Resumed by the controller: the program runs. */
  set_state(RUNNING);
}
