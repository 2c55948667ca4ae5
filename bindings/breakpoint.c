/*
 * breakpoint.c - breakpoint objects, s:breakpoint/s:breakpoints, and the
 * trampoline that runs a Lua condition on the trapped worker.
 *
 * Ownership: the session's breakpoint table (a user value) holds each
 * breakpoint object while the core has the breakpoint; the object holds
 * its session, its condition function and the library it lies in. The
 * core's condition_data is a small heap block shared by the object and
 * the core (reference counted), because the core may release it after
 * the object's memory is gone (a session freed later than its finalizer).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

/* User values of a breakpoint userdata. */
enum { BP_UV_SESSION = 1, BP_UV_CONDITION, BP_UV_LIBRARY, BP_UV_COUNT = 3 };

typedef struct bpstate {
  atomic_int refs;      /* the object, and the core until it releases */
  atomic_bool released; /* the core cleared the breakpoint */
  lsession *owner;      /* valid whenever the core can run the condition */
  int id;
} bpstate;

typedef struct lbreakpoint {
  bpstate *state;
  lsession *owner;
  int id;
  uint64_t address;
} lbreakpoint;

static void unref(bpstate *st)
{
  if (atomic_fetch_sub(&st->refs, 1) == 1)
    free(st);
}

/* The core's release callback; may run from snare_session_free in a
   finalizer or from a library close, so it touches no Lua. */
static void release(void *data)
{
  bpstate *st = data;
  atomic_store(&st->released, true);
  unref(st);
}

/*
 * The condition trampoline, on the worker while the controller is blocked.
 * Runs the breakpoint's function in the session's coroutine with a frame
 * that dies when it returns. An error stops, and leaves its text in the
 * session for the stop to report.
 */
static bool condition(snare_frame *frame, void *data)
{
  bpstate *st = data;
  lsession *s = st->owner;
  lua_State *co = s->co;
  if (co == NULL || s->in_callback)
    return true;
  int top = lua_gettop(co); /* index 1 holds the session */
  lframe *f = snare_lua_push_frame(co, frame);
  int fidx = lua_gettop(co);
  lua_getiuservalue(co, 1, SESSION_UV_BREAKPOINTS);
  lua_rawgeti(co, -1, st->id);
  if (lua_type(co, -1) != LUA_TUSERDATA ||
      lua_getiuservalue(co, -1, BP_UV_CONDITION) != LUA_TFUNCTION) {
    f->frame = NULL;
    lua_settop(co, top);
    return true;
  }
  lua_pushvalue(co, fidx);
  s->in_callback = true;
  int status = snare_lua_pcall(co, 1, 1);
  s->in_callback = false;
  f->frame = NULL;
  bool stop = true;
  if (status == LUA_OK)
    stop = lua_toboolean(co, -1);
  else
    lua_setiuservalue(co, 1, SESSION_UV_ERROR);
  lua_settop(co, top);
  return stop;
}

/* The core no longer has it: cleared by us, by max stops, by a library
   close or by the session's close. */
static bool cleared(const lbreakpoint *bp)
{
  return bp->state == NULL || atomic_load(&bp->state->released) ||
         bp->owner->session == NULL;
}

static lbreakpoint *checkbreakpoint(lua_State *L, int idx)
{
  lbreakpoint *bp = luaL_checkudata(L, idx, BREAKPOINT_TYPE);
  if (cleared(bp))
    luaL_error(L, BREAKPOINT_TYPE ": breakpoint cleared");
  return bp;
}

/* Raises if a callback is running: breakpoints change on the controller. */
static void checknocallback(lua_State *L, const char *what)
{
  if (snare_lua_in_callback())
    luaL_error(L, "snare: cannot %s from a callback", what);
}

static unsigned optcount(lua_State *L, int opts, const char *field)
{
  lua_getfield(L, opts, field);
  lua_Integer n = luaL_optinteger(L, -1, 0);
  if (n < 0 || n > (lua_Integer)UINT32_MAX)
    luaL_error(L, "bad option '%s' (out of range)", field);
  lua_pop(L, 1);
  return (unsigned)n;
}

/*
 * s:breakpoint(where [, opts]) -> breakpoint. where: address or symbol
 * name; opts: condition (function(frame)), skip, max, temporary.
 */
static int session_breakpoint(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  checknocallback(L, "set a breakpoint");
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  uint64_t addr;
  snare_lua_checkaddress(L, 2, &addr); /* library at 4 */

  snare_breakpoint_options opts = {0};
  lua_pushnil(L); /* condition at 5 */
  if (lua_istable(L, 3)) {
    opts.skip = optcount(L, 3, "skip");
    opts.max_stops = optcount(L, 3, "max");
    lua_getfield(L, 3, "temporary");
    if (lua_toboolean(L, -1))
      opts.max_stops = 1;
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "condition") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TFUNCTION)
        return luaL_error(L, "bad option 'condition' (function expected, "
                             "got %s)", luaL_typename(L, -1));
      lua_replace(L, 5);
    } else {
      lua_pop(L, 1);
    }
  }

  lbreakpoint *bp = lua_newuserdatauv(L, sizeof *bp, BP_UV_COUNT);
  memset(bp, 0, sizeof *bp);
  bpstate *st = malloc(sizeof *st);
  if (st == NULL)
    return luaL_error(L, "not enough memory");
  atomic_init(&st->refs, 1);
  atomic_init(&st->released, true); /* until the core has it */
  st->owner = s;
  st->id = 0;
  bp->state = st;
  bp->owner = s;
  bp->address = addr;
  luaL_setmetatable(L, BREAKPOINT_TYPE);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 6, BP_UV_SESSION);
  lua_pushvalue(L, 5);
  lua_setiuservalue(L, 6, BP_UV_CONDITION);
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, 6, BP_UV_LIBRARY);

  opts.condition = lua_isnil(L, 5) ? NULL : condition;
  opts.condition_data = st;
  opts.release = release;
  atomic_fetch_add(&st->refs, 1); /* the core's, if it takes it */
  int id;
  snare_status status = snare_breakpoint_set(s->session, addr, &opts, &id);
  if (status != SNARE_OK) {
    unref(st);
    char where[32];
    snprintf(where, sizeof where, "0x%llx", (unsigned long long)addr);
    return luaL_error(L, SESSION_TYPE ": cannot set breakpoint at %s: %s",
                      where, snare_status_message(status));
  }
  st->id = id;
  bp->id = id;
  atomic_store(&st->released, false);
  lua_getiuservalue(L, 1, SESSION_UV_BREAKPOINTS);
  lua_pushvalue(L, 6);
  lua_rawseti(L, -2, id);
  lua_settop(L, 6);
  return 1;
}

/* s:breakpoints() -> list of the session's breakpoints, creation order. */
static int session_breakpoints(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_lua_prune_breakpoints(L, 1);
  size_t n = snare_breakpoint_list(s->session, NULL, 0);
  int *ids = lua_newuserdatauv(L, (n ? n : 1) * sizeof *ids, 0);
  n = snare_breakpoint_list(s->session, ids, n);
  lua_getiuservalue(L, 1, SESSION_UV_BREAKPOINTS);
  lua_newtable(L);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i++) {
    if (lua_rawgeti(L, -2, ids[i]) == LUA_TNIL)
      lua_pop(L, 1); /* set by someone else through the C API */
    else
      lua_rawseti(L, -2, ++k);
  }
  return 1;
}

void snare_lua_prune_breakpoints(lua_State *L, int sidx)
{
  lua_getiuservalue(L, sidx, SESSION_UV_BREAKPOINTS);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    bool gone = cleared(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (gone) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4); /* clearing a present field is allowed in next */
    }
  }
  lua_pop(L, 1);
}

/* Pushes the core's info of bp; raises if it was cleared. */
static snare_breakpoint_info checkinfo(lua_State *L, lbreakpoint *bp)
{
  snare_breakpoint_info info;
  snare_status st = snare_breakpoint_info_get(bp->owner->session, bp->id, &info);
  if (st != SNARE_OK)
    snare_lua_status_error(L, BREAKPOINT_TYPE, "breakpoint cleared", st);
  return info;
}

static int setenabled(lua_State *L, bool enabled)
{
  lbreakpoint *bp = checkbreakpoint(L, 1);
  checknocallback(L, "change a breakpoint");
  snare_status st = snare_breakpoint_enable(bp->owner->session, bp->id, enabled);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, BREAKPOINT_TYPE,
                                  enabled ? "cannot enable" : "cannot disable",
                                  st);
  lua_settop(L, 1);
  return 1;
}

static int bp_enable(lua_State *L)
{
  return setenabled(L, true);
}

static int bp_disable(lua_State *L)
{
  return setenabled(L, false);
}

/* bp:clear(): removes the breakpoint; idempotent. */
static int bp_clear(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  if (cleared(bp))
    return 0;
  checknocallback(L, "clear a breakpoint");
  snare_status st = snare_breakpoint_clear(bp->owner->session, bp->id);
  if (st != SNARE_OK && st != SNARE_NOT_FOUND)
    return snare_lua_status_error(L, BREAKPOINT_TYPE, "cannot clear", st);
  atomic_store(&bp->state->released, true);
  lua_getiuservalue(L, 1, BP_UV_SESSION);
  lua_getiuservalue(L, -1, SESSION_UV_BREAKPOINTS);
  lua_pushnil(L);
  lua_rawseti(L, -2, bp->id);
  return 0;
}

/* __index: methods, then id, address, cleared, session (always), and
   enabled, hits, stops, rejected, skip, max (raise once cleared). */
static int bp_index(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
    return 1;
  const char *key = lua_tostring(L, 2);
  if (key == NULL)
    return 1;
  if (strcmp(key, "id") == 0) {
    lua_pushinteger(L, bp->id);
    return 1;
  }
  if (strcmp(key, "address") == 0) {
    lua_pushinteger(L, (lua_Integer)bp->address);
    return 1;
  }
  if (strcmp(key, "cleared") == 0) {
    lua_pushboolean(L, cleared(bp));
    return 1;
  }
  if (strcmp(key, "session") == 0) {
    lua_getiuservalue(L, 1, BP_UV_SESSION);
    return 1;
  }
  static const char *const counted[] = {"enabled", "hits",  "stops",
                                        "rejected", "skip", "max", NULL};
  int which = 0;
  while (counted[which] != NULL && strcmp(counted[which], key) != 0)
    which++;
  if (counted[which] == NULL)
    return 1; /* nil */
  checkbreakpoint(L, 1);
  snare_breakpoint_info info = checkinfo(L, bp);
  const lua_Integer values[] = {
      0, (lua_Integer)info.hits, (lua_Integer)info.stops,
      (lua_Integer)info.rejected, info.skip, info.max_stops};
  if (which == 0)
    lua_pushboolean(L, info.enabled);
  else
    lua_pushinteger(L, values[which]);
  return 1;
}

static int bp_gc(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  if (bp->state != NULL) {
    unref(bp->state);
    bp->state = NULL;
  }
  return 0;
}

static int bp_tostring(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  char addr[32];
  snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)bp->address);
  lua_pushfstring(L, "breakpoint %d at %s%s", bp->id, addr,
                  cleared(bp) ? " (cleared)" : "");
  return 1;
}

const luaL_Reg snare_lua_breakpoint_methods[] = {
    {"breakpoint", session_breakpoint},
    {"breakpoints", session_breakpoints},
    {NULL, NULL},
};

static const luaL_Reg bp_methods[] = {
    {"enable", bp_enable},
    {"disable", bp_disable},
    {"clear", bp_clear},
    {NULL, NULL},
};

void snare_lua_open_breakpoint(lua_State *L)
{
  luaL_newmetatable(L, BREAKPOINT_TYPE);
  lua_pushcfunction(L, bp_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, bp_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_newtable(L);
  luaL_setfuncs(L, bp_methods, 0);
  lua_pushcclosure(L, bp_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
