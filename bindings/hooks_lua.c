/*
 * hooks_lua.c - function hooks in Lua: core.hook(addr, opts) -> hook
 * object, and core.trace_read(). Counting, timing and tracing run in C;
 * a Lua callback, when given, runs per call on the calling thread, but
 * only where Lua may run: on a thread attached to a session, while the
 * controller waits for the target, one thread at a time. Calls elsewhere
 * (the controller itself, threads snare does not know) are counted as
 * skipped.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

#define HOOK_TYPE "snare.hook"

/* What the core's callback needs; owned by the core until it releases. */
/* The hook's coroutine keeps snare_lua_pcall_at's handler here. */
enum { HOOK_CO_HANDLER = 1 };

typedef struct hookstate {
  lua_State *co; /* where the callback runs */
  int co_ref;    /* anchors co in the registry */
  int fn_ref;    /* the callback */
  int call_ref;  /* the table passed to it, refilled at every call */
  atomic_ullong skipped;
  atomic_ullong errors;
  bool waits;    /* for the Lua turn, rather than skip the call */
  char last_error[512];
} hookstate;

typedef struct lhook {
  int id;             /* 0 once removed */
  hookstate *state;   /* NULL without a Lua callback */
  lua_Integer address;
} lhook;

/*
 * Refills the hook's one call table (below its args table) for this call:
 * building two tables per call would cost more than the rest of the hook.
 */
static void fill_call(lua_State *L, int call_idx, const snare_hook_call *call)
{
  lua_pushinteger(L, call->hook);
  lua_setfield(L, call_idx, "hook");
  lua_pushboolean(L, call->exit);
  lua_setfield(L, call_idx, "exit");
  lua_pushinteger(L, call->depth);
  lua_setfield(L, call_idx, "depth");
  lua_pushinteger(L, call->thread);
  lua_setfield(L, call_idx, "thread");
  lua_pushinteger(L, (lua_Integer)call->timestamp_ns);
  lua_setfield(L, call_idx, "timestamp_ns");
  lua_pushboolean(L, call->recorded);
  lua_setfield(L, call_idx, "recorded");
  lua_pushinteger(L, call->record_depth);
  lua_setfield(L, call_idx, "record_depth");
  if (call->exit) {
    lua_pushinteger(L, (lua_Integer)call->return_value);
    lua_setfield(L, call_idx, "return_value");
    return;
  }
  lua_getfield(L, call_idx, "args");
  for (int i = 0; i < 6; i++) {
    lua_pushinteger(L, (lua_Integer)call->arguments[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pop(L, 1);
}

static void make_call_table(lua_State *L, uint64_t address)
{
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, (lua_Integer)address);
  lua_setfield(L, -2, "address");
  lua_createtable(L, 6, 0);
  lua_setfield(L, -2, "args");
}

/* The core's callback, on the thread that called the hooked function. */
static void on_call(const snare_hook_call *call, void *data)
{
  hookstate *st = data;
  if (call->thread == 0 || !(st->waits ? snare_lua_enter_async_waiting()
                                        : snare_lua_try_enter_async())) {
    atomic_fetch_add(&st->skipped, 1);
    return;
  }
  lua_State *co = st->co;
  int top = lua_gettop(co);
  lua_rawgeti(co, LUA_REGISTRYINDEX, st->fn_ref);
  lua_rawgeti(co, LUA_REGISTRYINDEX, st->call_ref);
  fill_call(co, lua_gettop(co), call);
  if (snare_lua_pcall_at(co, 1, 0, "hook callback", HOOK_CO_HANDLER) !=
      LUA_OK) {
    atomic_fetch_add(&st->errors, 1);
    snprintf(st->last_error, sizeof st->last_error, "%s",
             lua_tostring(co, -1) ? lua_tostring(co, -1) : "(error object)");
  }
  lua_settop(co, top);
  snare_lua_leave_async();
}

/* The core's release: on the controller, from snare_hook_remove. */
static void release(void *data)
{
  hookstate *st = data;
  luaL_unref(st->co, LUA_REGISTRYINDEX, st->fn_ref);
  luaL_unref(st->co, LUA_REGISTRYINDEX, st->call_ref);
  luaL_unref(st->co, LUA_REGISTRYINDEX, st->co_ref);
  free(st);
}

static bool optflag(lua_State *L, int opts, const char *field)
{
  lua_getfield(L, opts, field);
  bool on = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return on;
}

/* core.hook(address, {time=, trace=, record=, record_args=N,
   record_strings=MASK, record_float_args=N, record_return=,
   record_return_float=, record_filter=BITS, callback=, on_exit=,
   wait=, recorded_only=}) -> hook; wait: a callback waits for the Lua
   turn (another thread's callback) rather than skip the call;
   recorded_only: it runs only for the events the recording keeps */
static int core_hook(lua_State *L)
{
  snare_lua_check_no_callback(L, "set a hook");
  uint64_t addr;
  snare_lua_checkaddress(L, 1, &addr);
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  snare_hook_options opts = {0};
  if (lua_istable(L, 2)) {
    opts.time = optflag(L, 2, "time");
    opts.trace = optflag(L, 2, "trace");
    opts.record = optflag(L, 2, "record");
    opts.record_return = optflag(L, 2, "record_return");
    opts.record_return_string = optflag(L, 2, "record_return_string");
    opts.record_return_float = optflag(L, 2, "record_return_float");
    lua_getfield(L, 2, "record_args");
    opts.record_args = (uint8_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 2, "record_strings");
    opts.record_strings = (uint8_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 2, "record_filter");
    opts.record_filter = (uint8_t)luaL_optinteger(L, -1, 0);
    lua_getfield(L, 2, "record_float_args");
    opts.record_float_args = (uint8_t)luaL_optinteger(L, -1, 0);
    lua_pop(L, 4);
    opts.callback_on_exit = optflag(L, 2, "on_exit");
    lua_getfield(L, 2, "callback");
    if (!lua_isnil(L, -1))
      luaL_argexpected(L, lua_isfunction(L, -1), 2, "callback function");
  }
  lhook *h = lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  luaL_setmetatable(L, HOOK_TYPE);
  hookstate *st = NULL;
  if (lua_isfunction(L, 3)) {
    st = calloc(1, sizeof *st);
    if (st == NULL)
      return luaL_error(L, "snare.hook: out of memory");
    st->co = lua_newthread(L);
    snare_lua_push_message_handler(st->co); /* HOOK_CO_HANDLER */
    st->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 3);
    st->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    make_call_table(L, addr);
    st->call_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    st->waits = optflag(L, 2, "wait");
    opts.callback_recorded_only = optflag(L, 2, "recorded_only");
    opts.callback = on_call;
    opts.data = st;
    opts.release = release;
  }
  int id;
  snare_status status = snare_hook_function(addr, &opts, &id);
  if (status != SNARE_OK) {
    if (st != NULL)
      release(st);
    return luaL_error(L, "snare.hook: cannot hook %s: %s",
                      snare_lua_push_address(L, addr),
                      snare_status_message(status));
  }
  h->id = id;
  h->state = st;
  h->address = (lua_Integer)addr;
  return 1;
}

static lhook *checkhook(lua_State *L)
{
  lhook *h = luaL_checkudata(L, 1, HOOK_TYPE);
  if (h->id == 0)
    luaL_error(L, HOOK_TYPE ": removed");
  return h;
}

static void remove_hook(void *data)
{
  snare_hook_remove((int)(intptr_t)data);
}

/* hook:remove(); also __close and __gc. Idempotent. */
static int hook_remove(lua_State *L)
{
  lhook *h = luaL_checkudata(L, 1, HOOK_TYPE);
  if (h->id != 0)
    snare_lua_release(remove_hook, (void *)(intptr_t)h->id);
  h->id = 0;
  return 0;
}

/* hook:stats() -> {calls=, inclusive_ns=, self_ns=, trampoline=,
   fallback= (why not a trampoline, when not), ...} */
static int hook_stats(lua_State *L)
{
  lhook *h = checkhook(L);
  snare_hook_stats stats;
  snare_status status = snare_hook_stats_get(h->id, &stats);
  if (status != SNARE_OK)
    return snare_lua_fail(L, "hook:stats", status);
  lua_createtable(L, 0, 8);
  lua_pushinteger(L, (lua_Integer)stats.function);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, (lua_Integer)stats.calls);
  lua_setfield(L, -2, "calls");
  lua_pushinteger(L, (lua_Integer)stats.inclusive_ns);
  lua_setfield(L, -2, "inclusive_ns");
  lua_pushinteger(L, (lua_Integer)stats.self_ns);
  lua_setfield(L, -2, "self_ns");
  lua_pushboolean(L, stats.trampoline);
  lua_setfield(L, -2, "trampoline");
  if (!stats.trampoline) {
    lua_pushstring(L, snare_hook_fallback_name(stats.fallback));
    lua_setfield(L, -2, "fallback");
  }
  if (h->state != NULL) {
    lua_pushinteger(L, (lua_Integer)atomic_load(&h->state->skipped));
    lua_setfield(L, -2, "skipped");
    lua_pushinteger(L, (lua_Integer)atomic_load(&h->state->errors));
    lua_setfield(L, -2, "errors");
    if (h->state->last_error[0] != '\0') {
      lua_pushstring(L, h->state->last_error);
      lua_setfield(L, -2, "last_error");
    }
  }
  return 1;
}

static int hook_reset(lua_State *L)
{
  snare_hook_reset(checkhook(L)->id);
  return 0;
}

static int hook_index(lua_State *L)
{
  lhook *h = luaL_checkudata(L, 1, HOOK_TYPE);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "id") == 0) {
    lua_pushinteger(L, h->id);
    return 1;
  }
  if (strcmp(key, "address") == 0) {
    lua_pushinteger(L, h->address);
    return 1;
  }
  if (strcmp(key, "removed") == 0) {
    lua_pushboolean(L, h->id == 0);
    return 1;
  }
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, key);
  return 1;
}

/* core.trace_read() -> list of events, dropped count */
static int core_trace_read(lua_State *L)
{
  enum { BATCH = 1024 };
  snare_trace_event *batch =
      lua_newuserdatauv(L, BATCH * sizeof *batch, 0);
  lua_newtable(L);
  lua_Integer n = 0;
  uint64_t dropped_total = 0;
  for (;;) {
    size_t count;
    uint64_t dropped;
    snare_trace_read(batch, BATCH, &count, &dropped);
    dropped_total += dropped;
    for (size_t i = 0; i < count; i++) {
      lua_createtable(L, 0, 6);
      lua_pushinteger(L, (lua_Integer)batch[i].timestamp_ns);
      lua_setfield(L, -2, "time_ns");
      lua_pushinteger(L, (lua_Integer)batch[i].function);
      lua_setfield(L, -2, "address");
      lua_pushinteger(L, batch[i].hook);
      lua_setfield(L, -2, "hook");
      lua_pushinteger(L, batch[i].hook_thread);
      lua_setfield(L, -2, "thread");
      lua_pushinteger(L, batch[i].depth);
      lua_setfield(L, -2, "depth");
      lua_pushboolean(L, batch[i].exit);
      lua_setfield(L, -2, "exit");
      lua_rawseti(L, -2, ++n);
    }
    if (count < BATCH)
      break;
  }
  lua_pushinteger(L, (lua_Integer)dropped_total);
  return 2;
}

static const luaL_Reg hook_methods[] = {
    {"remove", hook_remove},
    {"close", hook_remove},
    {"stats", hook_stats},
    {"reset", hook_reset},
    {NULL, NULL},
};

static const luaL_Reg hook_meta[] = {
    {"__index", hook_index},
    {"__gc", hook_remove},
    {"__close", hook_remove},
    {NULL, NULL},
};

static const luaL_Reg core_functions[] = {
    {"hook", core_hook},
    {"trace_read", core_trace_read},
    {NULL, NULL},
};

/* Registers the hook type and sets hook and trace_read into the table on
   top. */
void snare_lua_open_hooks(lua_State *L)
{
  luaL_newmetatable(L, HOOK_TYPE);
  luaL_setfuncs(L, hook_meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, hook_methods, 0);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
  luaL_setfuncs(L, core_functions, 0);
  /* record_filter's bits */
  static const struct {
    const char *name;
    int bit;
  } record_bits[] = {
      {"RECORD_ONLY", SNARE_RECORD_ONLY},
      {"RECORD_HIDE", SNARE_RECORD_HIDE},
      {"RECORD_TRACE_ON", SNARE_RECORD_TRACE_ON},
      {"RECORD_TRACE_OFF", SNARE_RECORD_TRACE_OFF},
      {"RECORD_FINISH", SNARE_RECORD_FINISH},
      {"RECORD_CONCEAL", SNARE_RECORD_CONCEAL},
  };
  for (size_t i = 0; i < sizeof record_bits / sizeof record_bits[0]; i++) {
    lua_pushinteger(L, record_bits[i].bit);
    lua_setfield(L, -2, record_bits[i].name);
  }
}
