/*
 * fork.c - fork() under the agent. The child has only the thread that
 * forked: no controller serves its events, so nothing may stop there, and
 * nothing is attached. It runs on working: hooks stay patched and count
 * into its own memory, faults and signals have their ordinary effect,
 * its exit status is its own.
 *
 * A script may ask for the child's own report (agent.on_fork): then the
 * fork takes the Lua turn first, as a hook callback does, which it gets
 * while the controller waits in C (the Lua state at rest), and keeps
 * across the fork. The child, where the controller does not exist, then
 * owns the state: it calls the script's function, and what that returns
 * when the child ends (on whichever thread ends it).
 */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* How long a fork waits for the controller to wait in C. */
#define TURN_WAIT_NS 200000000L
#define TURN_POLL_NS 100000L

/* snare.core's functions, found at start: no dlsym while forking (the
   loader's lock may be held by a thread that does not exist in the
   child). */
static struct {
  void (*prepare)(void), (*parent)(void), (*child)(void);
  bool (*try_enter_lua)(void);
  void (*leave_lua)(void);
  int (*pcall)(lua_State *, int nargs, int nresults, const char *what);
} core;

static int on_fork = LUA_NOREF;    /* agent.on_fork's function */
static int child_end = LUA_NOREF;  /* in a child: what it returned */
static bool turn_taken;            /* this fork holds the Lua turn */
static pthread_mutex_t child_lua = PTHREAD_MUTEX_INITIALIZER;

/* agent.on_fork(fn): fn(pid) runs in each child of a fork. */
int agent_l_on_fork(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, on_fork);
  on_fork = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

static bool take_turn(void) {
  if (on_fork == LUA_NOREF || atomic_load(&the_agent.child) ||
      agent_current_state() != RUNNING)
    return false;
  struct timespec poll = {0, TURN_POLL_NS};
  for (long waited = 0; waited < TURN_WAIT_NS; waited += TURN_POLL_NS) {
    if (core.try_enter_lua())
      return true;
    nanosleep(&poll, NULL);
  }
  return false; /* the controller is busy in Lua: no report of the child */
}

/* Calls the function at registry `ref` with the `nargs` values `push`
   pushes, on a coroutine of the controller's state (its stack top is the
   controller's wait, which never returns in a child). Returns a reference
   to the function it returned, if any; reports its error. */
static int call_script(int ref, int nargs,
                       void (*push)(lua_State *, const void *),
                       const void *data) {
  lua_State *L = the_agent.lua;
  lua_State *co = lua_newthread(L);
  lua_rawgeti(co, LUA_REGISTRYINDEX, ref);
  push(co, data);
  int kept = LUA_NOREF;
  if (core.pcall(co, nargs, 1, "fork callback") != LUA_OK)
    fprintf(stderr, "snare: in the forked child: %s\n", lua_tostring(co, -1));
  else if (lua_isfunction(co, -1))
    kept = luaL_ref(co, LUA_REGISTRYINDEX);
  lua_settop(co, 0);
  lua_pop(L, 1);
  return kept;
}

static void push_pid(lua_State *co, const void *unused) {
  (void)unused;
  lua_pushinteger(co, getpid());
}

typedef struct child_end_args {
  agent_end end;
  int signo;
} child_end_args;

static void push_end(lua_State *co, const void *data) {
  const child_end_args *args = data;
  lua_pushstring(co, agent_end_name(args->end));
  if (args->end == END_SIGNAL)
    lua_pushinteger(co, args->signo);
  else
    lua_pushnil(co);
}

void agent_child_end(agent_end end, int signo) {
  pthread_mutex_lock(&child_lua);
  int ref = child_end;
  child_end = LUA_NOREF;
  if (ref != LUA_NOREF) {
    child_end_args args = {end, signo};
    call_script(ref, 2, push_end, &args);
  }
  pthread_mutex_unlock(&child_lua);
  agent_recorder_child_end();
}

/* The turn first: a controller wanting the agent's lock in Lua would
   never get back to waiting in C. */
static void before_fork(void) {
  turn_taken = take_turn();
  pthread_mutex_lock(&the_agent.lock);
  core.prepare();
}

static void after_fork_parent(void) {
  core.parent();
  pthread_mutex_unlock(&the_agent.lock);
  if (turn_taken)
    core.leave_lua();
}

static void after_fork_child(void) {
  pthread_mutex_init(&the_agent.lock, NULL);
  pthread_cond_init(&the_agent.changed, NULL);
  pthread_mutex_init(&child_lua, NULL);
  atomic_store(&the_agent.child, true);
  the_agent.pid = getpid();
  core.child();
  agent_threads_forked_child();
  agent_end_signals_forget();
  if (turn_taken)
    child_end = call_script(on_fork, 1, push_pid, NULL);
}

void agent_fork_start(void) {
  *(void **)&core.prepare = agent_snare_function("snare_fork_prepare");
  *(void **)&core.parent = agent_snare_function("snare_fork_parent");
  *(void **)&core.child = agent_snare_function("snare_fork_child");
  *(void **)&core.try_enter_lua =
      agent_snare_function("snare_lua_try_enter_async");
  *(void **)&core.leave_lua = agent_snare_function("snare_lua_leave_async");
  *(void **)&core.pcall = agent_snare_function("snare_lua_pcall");
  pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
