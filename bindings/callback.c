/*
 * callback.c - the one protected-call path for every Lua callback, and the
 * deferral of finalizers that the GC runs inside a callback.
 */
#include <stdatomic.h>
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "snare_lua.h"

/*
 * Callbacks running on this OS thread (conditions run on workers), and
 * on a target thread the whole time it holds the Lua turn: a callback's
 * arguments are built before its protected call, and the GC may run a
 * finalizer there too, which must be deferred as inside the callback.
 * Initial-exec, as every thread-local read on a hit: no __tls_get_addr
 * call (this module is dlopened) for each condition.
 */
#define CALLBACK_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static CALLBACK_TLS int callback_depth;
static CALLBACK_TLS int pcall_depth; /* the protected calls among them */

/*
 * The time a callback may run: the timeout of the session whose
 * controller is waiting (0: no limit). Checked by a count hook every
 * CHECK_INSTRUCTIONS Lua instructions, so a callback shorter than that
 * never reads the clock; its first check starts the callback's clock.
 */
enum { CHECK_INSTRUCTIONS = 1000 };
static atomic_uint callback_timeout_ms;
/* A callback of the current run ran past the timeout: the later ones of
   the run do not start (a hook looping at every call would otherwise
   hold the run for a timeout per call, out of the interrupt's reach). */
static atomic_bool run_expired;
static CALLBACK_TLS struct {
  const char *what; /* "hook callback", "breakpoint condition", ... */
  unsigned timeout_ms;
  uint64_t started_ns; /* 0 until the first check */
} running;

static uint64_t now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A count hook runs between instructions: raising there is safe. */
static void check_time(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  uint64_t now = now_ns();
  if (running.started_ns == 0) {
    running.started_ns = now;
    return;
  }
  if (now - running.started_ns >= (uint64_t)running.timeout_ms * 1000000u) {
    /* Check at every instruction from now on: a pcall in the callback
       that caught this error finds the next one at once. */
    lua_sethook(L, check_time, LUA_MASKCOUNT, 1);
    atomic_store_explicit(&run_expired, true, memory_order_relaxed);
    luaL_where(L, 0); /* the line the callback was running */
    lua_pushfstring(L, "snare: %s ran past the session's timeout (%d ms)",
                    running.what, (int)running.timeout_ms);
    lua_concat(L, 2);
    lua_error(L);
  }
}

void snare_lua_set_callback_timeout(unsigned timeout_ms)
{
  atomic_store_explicit(&callback_timeout_ms, timeout_ms,
                        memory_order_relaxed);
  atomic_store_explicit(&run_expired, false, memory_order_relaxed);
}

void snare_lua_check_no_callback(lua_State *L, const char *what)
{
  if (callback_depth > 0)
    luaL_error(L, "snare: cannot %s from inside a callback (a hook, "
                  "condition or step policy must return first)", what);
}

/*
 * Message handler: turns any error object into a string with a traceback,
 * as lua.c's msghandler does.
 */
static int msghandler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)",
                          luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

void snare_lua_push_message_handler(lua_State *L)
{
  lua_pushcfunction(L, msghandler);
}

int snare_lua_pcall_at(lua_State *L, int nargs, int nresults,
                       const char *what, int handler)
{
  int func = lua_gettop(L) - nargs;
  assert(func >= 1 && nresults != LUA_MULTRET && handler < func);
  unsigned timeout_ms =
      atomic_load_explicit(&callback_timeout_ms, memory_order_relaxed);
  if (timeout_ms != 0 &&
      atomic_load_explicit(&run_expired, memory_order_relaxed)) {
    lua_settop(L, func - 1);
    lua_pushfstring(L, "snare: %s not run: a callback of this run already "
                       "ran past the session's timeout (%d ms)",
                    what, (int)timeout_ms);
    return LUA_ERRRUN;
  }
  if (timeout_ms != 0 && pcall_depth == 0) {
    running.what = what;
    running.timeout_ms = timeout_ms;
    running.started_ns = 0;
    lua_sethook(L, check_time, LUA_MASKCOUNT, CHECK_INSTRUCTIONS);
  }
  callback_depth++;
  pcall_depth++;
  int status = lua_pcall(L, nargs, nresults, handler);
  pcall_depth--;
  callback_depth--;
  if (timeout_ms != 0 && pcall_depth == 0)
    lua_sethook(L, NULL, 0, 0);
  assert(lua_gettop(L) == func - 1 + (status == LUA_OK ? nresults : 1));
  return status;
}

int snare_lua_pcall(lua_State *L, int nargs, int nresults, const char *what)
{
  int func = lua_gettop(L) - nargs;
  snare_lua_push_message_handler(L);
  lua_insert(L, func);
  int status = snare_lua_pcall_at(L, nargs, nresults, what, func);
  lua_remove(L, func);
  return status;
}

bool snare_lua_in_callback(void)
{
  return callback_depth > 0;
}

/*
 * Lua runs on one OS thread at a time: the controller's, or while the
 * controller is blocked in C waiting for the target, one target thread's.
 */
static atomic_int controller_waiting;
static atomic_bool async_busy;

void snare_lua_wait_begin(void) { atomic_fetch_add(&controller_waiting, 1); }
/* Returning to Lua must wait for a target thread's callback to end. */
void snare_lua_wait_end(void)
{
  atomic_fetch_sub(&controller_waiting, 1);
  while (atomic_load(&async_busy))
    sched_yield();
}

/* Takes the turn, then checks again that the controller still waits: with
   wait_end's order (stop waiting, then watch async_busy), one of the two
   sees the other. */
bool snare_lua_try_enter_async(void)
{
  if (atomic_load(&controller_waiting) <= 0 ||
      atomic_exchange(&async_busy, true))
    return false;
  if (atomic_load(&controller_waiting) > 0) {
    callback_depth++;
    return true;
  }
  atomic_store(&async_busy, false);
  return false;
}

bool snare_lua_enter_async_waiting(void)
{
  unsigned idle = 0;
  while (!snare_lua_try_enter_async()) {
    if (atomic_load(&controller_waiting) <= 0 && ++idle > 100000)
      return false;
    sched_yield();
  }
  return true;
}

/* A release store, no exchange: what the callback did to the Lua state
   is visible to whoever takes the turn next, and wait_end only watches. */
void snare_lua_leave_async(void)
{
  callback_depth--;
  atomic_store_explicit(&async_busy, false, memory_order_release);
}

/* Finalizers deferred out of callbacks; any controller may run them. */
typedef struct deferred {
  struct deferred *next;
  void (*fn)(void *);
  void *p;
} deferred;

static pthread_mutex_t deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static deferred *deferred_head;

void snare_lua_release(void (*fn)(void *), void *p)
{
  if (!snare_lua_in_callback()) {
    fn(p);
    return;
  }
  deferred *d = malloc(sizeof *d);
  if (d == NULL) /* leaking beats freeing a core object from a worker */
    return;
  d->fn = fn;
  d->p = p;
  pthread_mutex_lock(&deferred_lock);
  d->next = deferred_head;
  deferred_head = d;
  pthread_mutex_unlock(&deferred_lock);
}

void snare_lua_drain(void)
{
  if (snare_lua_in_callback())
    return;
  pthread_mutex_lock(&deferred_lock);
  deferred *d = deferred_head;
  deferred_head = NULL;
  pthread_mutex_unlock(&deferred_lock);
  while (d != NULL) {
    deferred *next = d->next;
    d->fn(d->p);
    free(d);
    d = next;
  }
}

const char *snare_lua_index_key(lua_State *L)
{
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
    return NULL;
  return lua_tostring(L, 2);
}
