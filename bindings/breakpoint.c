/*
 * breakpoint.c - breakpoint objects, s:breakpoint/s:breakpoints, and the
 * trampoline that runs a Lua condition on the trapped worker.
 *
 * One object may cover several locations (every address of a source line,
 * every inlined copy of a function), as gdb's breakpoints do: each is a
 * core breakpoint of its own, and the object sums their counts and acts
 * on all of them.
 *
 * Ownership: the session's breakpoint table (a user value) maps each core
 * id to its object while the core has that breakpoint; the object holds
 * its session, its condition function and the library it lies in. Each
 * location's condition_data is a small heap block shared by the object and
 * the core (reference counted), because the core may release it after
 * the object's memory is gone (a session freed later than its finalizer).
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snare_lua.h"

/* User values of a breakpoint userdata. */
enum {
  BP_UV_SESSION = 1,
  BP_UV_CONDITION,
  BP_UV_LIBRARY,
  BP_UV_FRAME, /* the frame its condition receives, made at the first hit */
  BP_UV_COUNT = BP_UV_FRAME
};

typedef struct bpstate {
  atomic_int refs;      /* the object, and the core until it releases */
  atomic_bool released; /* the core cleared the breakpoint */
  lsession *owner;      /* valid whenever the core can run the condition */
  int id;
} bpstate;

typedef struct location {
  bpstate *state; /* NULL until set */
  int id;
  uint64_t address;
} location;

typedef struct lbreakpoint {
  lsession *owner;
  size_t count;
  location loc[]; /* in address order; loc[0] names the breakpoint */
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
 * Runs the function in user value condition_uv of the object filed under
 * id in the session's table table_uv, in the session's coroutine, with
 * the object's frame (user value frame_uv): made at its first hit and
 * handed to every later one, so a hit allocates nothing; it is valid
 * only while the function runs. An error stops, and leaves its text in
 * the session for the stop (or event) to report.
 */
static bool run_condition(snare_frame *frame, lsession *s, int table_uv,
                          int id, int condition_uv, int frame_uv)
{
  lua_State *co = s->co;
  if (co == NULL || s->in_callback)
    return true;
  int top = lua_gettop(co);
  lua_getiuservalue(co, SESSION_CO_SESSION, table_uv);
  lua_rawgeti(co, -1, id);
  int oidx = lua_gettop(co);
  if (lua_type(co, oidx) != LUA_TUSERDATA ||
      lua_getiuservalue(co, oidx, condition_uv) != LUA_TFUNCTION) {
    lua_settop(co, top);
    return true;
  }
  lframe *f;
  if (lua_getiuservalue(co, oidx, frame_uv) == LUA_TUSERDATA) {
    f = lua_touserdata(co, -1);
  } else {
    lua_pop(co, 1);
    f = snare_lua_push_frame(co, NULL);
    lua_pushvalue(co, -1);
    lua_setiuservalue(co, oidx, frame_uv);
  }
  f->frame = frame;
  s->in_callback = true;
  int status =
      snare_lua_pcall_at(co, 1, 1, "breakpoint condition", SESSION_CO_HANDLER);
  s->in_callback = false;
  f->frame = NULL;
  bool stop = true;
  if (status == LUA_OK)
    stop = lua_toboolean(co, -1);
  else
    lua_setiuservalue(co, SESSION_CO_SESSION, SESSION_UV_ERROR);
  lua_settop(co, top);
  return stop;
}

/* Yields this many times before it starts to sleep between tries. */
enum { TURN_YIELDS = 1000, TURN_SLEEP_MAX_NS = 1000000 };

/*
 * Takes the Lua turn for the condition of frame's breakpoint or
 * watchpoint, waiting while another thread's condition has it or the
 * controller is not blocked in C (showing a stop, at the prompt):
 * threads that hit at once each decide in their own frame, none stops
 * undecided. False, the turn not taken, once it is cleared (the core
 * then keeps it, and the data this condition reads, until the condition
 * returns). A long wait sleeps between tries, up to a millisecond,
 * instead of spinning.
 */
static bool enter_until_cleared(const snare_frame *frame)
{
  unsigned tries = 0;
  long sleep_ns = 1000;
  while (!snare_lua_try_enter_async()) {
    if (snare_frame_cleared(frame))
      return false;
    if (++tries < TURN_YIELDS) {
      sched_yield();
    } else {
      nanosleep(&(struct timespec){.tv_nsec = sleep_ns}, NULL);
      sleep_ns = sleep_ns * 2 > TURN_SLEEP_MAX_NS ? TURN_SLEEP_MAX_NS
                                                  : sleep_ns * 2;
    }
  }
  if (!snare_frame_cleared(frame))
    return true;
  snare_lua_leave_async(); /* its object may be gone from the table */
  return false;
}

/* The owner is valid while the breakpoint or watchpoint is not cleared,
   which the Lua turn then keeps so (the controller is blocked). */
bool snare_lua_condition(snare_frame *frame, lsession *s, int table_uv,
                         int id, int condition_uv, int frame_uv)
{
  if (!enter_until_cleared(frame))
    return false;
  bool stop = run_condition(frame, s, table_uv, id, condition_uv, frame_uv);
  snare_lua_leave_async();
  return stop;
}

/* A breakpoint's condition, on the thread that hit it (the worker or an
   attached thread). */
static bool condition(snare_frame *frame, void *data)
{
  bpstate *st = data;
  return snare_lua_condition(frame, st->owner, SESSION_UV_BREAKPOINTS, st->id,
                             BP_UV_CONDITION, BP_UV_FRAME);
}

/* The core no longer has this location: cleared by us, by max stops, by
   a library close or by the session's close. */
static bool loc_cleared(const lbreakpoint *bp, size_t i)
{
  return bp->loc[i].state == NULL || atomic_load(&bp->loc[i].state->released) ||
         bp->owner->session == NULL;
}

/* No location is left. */
static bool cleared(const lbreakpoint *bp)
{
  for (size_t i = 0; i < bp->count; i++)
    if (!loc_cleared(bp, i))
      return false;
  return true;
}

static lbreakpoint *checkbreakpoint(lua_State *L, int idx)
{
  lbreakpoint *bp = luaL_checkudata(L, idx, BREAKPOINT_TYPE);
  if (cleared(bp))
    luaL_error(L, BREAKPOINT_TYPE ": breakpoint cleared");
  return bp;
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
 * Sets location i of the new breakpoint at top: a core breakpoint with
 * its own shared state. Returns the core's status.
 */
static snare_status set_location(lua_State *L, lsession *s, lbreakpoint *bp,
                                 size_t i, snare_breakpoint_options opts)
{
  bpstate *st = malloc(sizeof *st);
  if (st == NULL)
    return SNARE_NO_MEMORY;
  atomic_init(&st->refs, 2); /* the object's, and the core's if it takes it */
  atomic_init(&st->released, true); /* until the core has it */
  st->owner = s;
  st->id = 0;
  bp->loc[i].state = st;
  opts.condition_data = st;
  int id;
  snare_status status =
      snare_breakpoint_set(s->session, bp->loc[i].address, &opts, &id);
  if (status != SNARE_OK) {
    unref(st);
    return status;
  }
  st->id = id;
  bp->loc[i].id = id;
  atomic_store(&st->released, false);
  lua_getiuservalue(L, 1, SESSION_UV_BREAKPOINTS);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, id);
  lua_pop(L, 1);
  return SNARE_OK;
}

/* Clears the locations of bp (index idx) the core still has. */
static void clear_locations(lua_State *L, int idx, lbreakpoint *bp)
{
  lua_getiuservalue(L, idx, BP_UV_SESSION);
  lua_getiuservalue(L, -1, SESSION_UV_BREAKPOINTS);
  for (size_t i = 0; i < bp->count; i++) {
    if (loc_cleared(bp, i))
      continue;
    snare_breakpoint_clear(bp->owner->session, bp->loc[i].id);
    atomic_store(&bp->loc[i].state->released, true);
    lua_pushnil(L);
    lua_rawseti(L, -2, bp->loc[i].id);
  }
  lua_pop(L, 2);
}

/* Whether spec reads FILE:LINE (digits after its last colon). */
static bool is_file_line(const char *spec)
{
  const char *colon = strrchr(spec, ':');
  if (colon == NULL || colon[1] == '\0')
    return false;
  for (const char *p = colon + 1; *p; p++)
    if (*p < '0' || *p > '9')
      return false;
  return true;
}

/*
 * s:breakpoint(where [, opts]) -> breakpoint. where: address, symbol
 * name, "*name" or "file:line" (snare_lua_checklocations); opts:
 * condition (function(frame): one frame object per breakpoint, valid
 * during each hit), skip, max, temporary (per location),
 * exact_line (a line without code raises, not the next line with code),
 * thread (only this thread id stops), internal (a debugger's own: a
 * negative id, not in s:breakpoints()), number (its id: one
 * s:breakpoint_number() gave, or any unused one; else the next). Its
 * locations after the first take ids above every user number.
 */
static int session_breakpoint(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_lua_check_no_callback(L, "set a breakpoint");
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  bool exact_line = false;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "exact_line");
    exact_line = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  uint64_t *addrs;
  size_t n = snare_lua_checklocations(L, 2, &addrs, exact_line); /* lib at 4 */
  lbreakpoint *bp =
      lua_newuserdatauv(L, sizeof *bp + n * sizeof bp->loc[0], BP_UV_COUNT);
  bp->owner = s;
  bp->count = n;
  for (size_t i = 0; i < n; i++)
    bp->loc[i] = (location){.address = addrs[i]};
  lua_replace(L, 5); /* the object at 5 replaces the address buffer */

  snare_breakpoint_options opts = {0};
  lua_pushnil(L); /* condition at 6 */
  if (lua_istable(L, 3)) {
    opts.skip = optcount(L, 3, "skip");
    opts.max_stops = optcount(L, 3, "max");
    opts.thread = (int)optcount(L, 3, "thread");
    lua_getfield(L, 3, "temporary");
    if (lua_toboolean(L, -1))
      opts.max_stops = 1;
    lua_getfield(L, 3, "internal");
    opts.internal = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_Integer number = (lua_Integer)optcount(L, 3, "number");
    if (number > SNARE_BREAKPOINT_NUMBER_MAX)
      return luaL_error(L, "bad option 'number' (out of range)");
    opts.number = (int)number;
    lua_getfield(L, 3, "mechanism");
    const char *mechanism = lua_tostring(L, -1);
    if (mechanism != NULL && strcmp(mechanism, "trap") != 0)
      return luaL_error(L, "bad option 'mechanism' (\"trap\" or nil expected)");
    opts.trap = mechanism != NULL;
    lua_pop(L, 2);
    if (lua_getfield(L, 3, "condition") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TFUNCTION)
        return luaL_error(L, "bad option 'condition' (function expected, "
                             "got %s)", luaL_typename(L, -1));
      lua_replace(L, 6);
    } else {
      lua_pop(L, 1);
    }
  }

  lua_pushvalue(L, 5);
  luaL_setmetatable(L, BREAKPOINT_TYPE);
  lua_pop(L, 1);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 5, BP_UV_SESSION);
  lua_pushvalue(L, 6);
  lua_setiuservalue(L, 5, BP_UV_CONDITION);
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, 5, BP_UV_LIBRARY);

  /* A function by name (not an address, "*name" or "file:line"): its
     stops show its frame, as gdb's `break FUNCTION`. */
  const char *spec = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (spec != NULL && spec[0] != '*' && !is_file_line(spec))
    opts.function = spec;
  opts.condition = lua_isnil(L, 6) ? NULL : condition;
  opts.release = release;
  lua_pushvalue(L, 5); /* set_location files the object on top */
  for (size_t i = 0; i < n; i++) {
    opts.extra_location = i > 0 && !opts.internal;
    if (i > 0)
      opts.number = 0;
    snare_status status = set_location(L, s, bp, i, opts);
    if (status != SNARE_OK) {
      clear_locations(L, 5, bp);
      char where[32];
      snprintf(where, sizeof where, "0x%llx",
               (unsigned long long)bp->loc[i].address);
      return luaL_error(L, SESSION_TYPE ": cannot set breakpoint at %s: %s",
                        where, snare_status_message(status));
    }
  }
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
  lua_newtable(L); /* seen objects: one entry per object, not per location */
  lua_newtable(L);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i++) {
    if (lua_rawgeti(L, -3, ids[i]) == LUA_TNIL) {
      lua_pop(L, 1); /* set by someone else through the C API */
      continue;
    }
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -4) != LUA_TNIL) {
      lua_pop(L, 2);
      continue;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, -5);
    lua_rawseti(L, -2, ++k);
  }
  return 1;
}

void snare_lua_prune_breakpoints(lua_State *L, int sidx)
{
  lua_getiuservalue(L, sidx, SESSION_UV_BREAKPOINTS);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lbreakpoint *bp = lua_touserdata(L, -1);
    bool gone = bp->owner->session == NULL;
    for (size_t i = 0; i < bp->count; i++)
      if (bp->loc[i].id == lua_tointeger(L, -2))
        gone = gone || loc_cleared(bp, i);
    lua_pop(L, 1);
    if (gone) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4); /* clearing a present field is allowed in next */
    }
  }
  lua_pop(L, 1);
}

/*
 * The core's info of bp's remaining locations: counts summed, enabled if
 * any is, skip and max of the first. Raises if all were cleared.
 */
static snare_breakpoint_info checkinfo(lua_State *L, lbreakpoint *bp)
{
  snare_breakpoint_info sum = {0};
  bool any = false;
  for (size_t i = 0; i < bp->count; i++) {
    snare_breakpoint_info info;
    if (loc_cleared(bp, i) ||
        snare_breakpoint_info_get(bp->owner->session, bp->loc[i].id, &info) !=
            SNARE_OK)
      continue;
    if (!any)
      sum = info;
    else {
      sum.enabled = sum.enabled || info.enabled;
      sum.hits += info.hits;
      sum.stops += info.stops;
      sum.rejected += info.rejected;
      sum.native_rejected += info.native_rejected;
    }
    any = true;
  }
  if (!any)
    snare_lua_status_error(L, BREAKPOINT_TYPE, "breakpoint cleared",
                           SNARE_NOT_FOUND);
  return sum;
}

static int setenabled(lua_State *L, bool enabled)
{
  lbreakpoint *bp = checkbreakpoint(L, 1);
  snare_lua_check_no_callback(L, "change a breakpoint");
  for (size_t i = 0; i < bp->count; i++) {
    if (loc_cleared(bp, i))
      continue;
    snare_status st =
        snare_breakpoint_enable(bp->owner->session, bp->loc[i].id, enabled);
    if (st != SNARE_OK)
      return snare_lua_status_error(
          L, BREAKPOINT_TYPE, enabled ? "cannot enable" : "cannot disable", st);
  }
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
  snare_lua_check_no_callback(L, "clear a breakpoint");
  clear_locations(L, 1, bp);
  return 0;
}

/* "jump" or "trap", "mixed" when its addresses differ; raises once
   cleared. */
static int push_mechanism(lua_State *L, lbreakpoint *bp)
{
  checkbreakpoint(L, 1);
  bool jump = false, trap = false;
  for (size_t i = 0; i < bp->count; i++) {
    snare_breakpoint_info info;
    if (loc_cleared(bp, i) ||
        snare_breakpoint_info_get(bp->owner->session, bp->loc[i].id, &info) !=
            SNARE_OK)
      continue;
    jump = jump || info.mechanism == SNARE_BREAKPOINT_JUMP;
    trap = trap || info.mechanism == SNARE_BREAKPOINT_TRAP;
  }
  lua_pushstring(L, jump && trap ? "mixed" : jump ? "jump" : "trap");
  return 1;
}

/* "native" when a native program rejects its false hits at some
   location (snare.expr.lower), "lua" for a condition without, nil
   without a condition. */
static int push_condition_mechanism(lua_State *L, lbreakpoint *bp)
{
  checkbreakpoint(L, 1);
  if (lua_getiuservalue(L, 1, BP_UV_CONDITION) != LUA_TFUNCTION) {
    lua_pushnil(L);
    return 1;
  }
  for (size_t i = 0; i < bp->count; i++) {
    snare_breakpoint_info info;
    if (!loc_cleared(bp, i) &&
        snare_breakpoint_info_get(bp->owner->session, bp->loc[i].id, &info) ==
            SNARE_OK &&
        info.native_condition) {
      lua_pushliteral(L, "native");
      return 1;
    }
  }
  lua_pushliteral(L, "lua");
  return 1;
}

/* bp:drop_native_condition(): its condition decides every hit again at
   every location (its meaning changed). */
static int bp_drop_native_condition(lua_State *L)
{
  lbreakpoint *bp = checkbreakpoint(L, 1);
  for (size_t i = 0; i < bp->count; i++)
    if (!loc_cleared(bp, i))
      snare_breakpoint_condition_program_drop(bp->owner->session,
                                              bp->loc[i].id);
  lua_settop(L, 1);
  return 1;
}

/* __index: methods, then id, address (of the first location), addresses
   (all), cleared, session (always), and enabled, hits, stops, rejected,
   skip, max, mechanism, condition_mechanism, native_rejected (raise once
   cleared). */
static int bp_index(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  const char *key = snare_lua_index_key(L);
  if (key == NULL)
    return 1;
  if (strcmp(key, "id") == 0) {
    lua_pushinteger(L, bp->loc[0].id);
    return 1;
  }
  if (strcmp(key, "address") == 0) {
    lua_pushinteger(L, (lua_Integer)bp->loc[0].address);
    return 1;
  }
  if (strcmp(key, "addresses") == 0) {
    lua_createtable(L, (int)bp->count, 0);
    for (size_t i = 0; i < bp->count; i++) {
      lua_pushinteger(L, (lua_Integer)bp->loc[i].address);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
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
  if (strcmp(key, "mechanism") == 0)
    return push_mechanism(L, bp);
  if (strcmp(key, "condition_mechanism") == 0)
    return push_condition_mechanism(L, bp);
  static const char *const counted[] = {
      "enabled", "hits", "stops", "rejected", "skip", "max",
      "native_rejected", NULL};
  int which = 0;
  while (counted[which] != NULL && strcmp(counted[which], key) != 0)
    which++;
  if (counted[which] == NULL)
    return 1; /* nil */
  checkbreakpoint(L, 1);
  snare_breakpoint_info info = checkinfo(L, bp);
  const lua_Integer values[] = {
      0, (lua_Integer)info.hits, (lua_Integer)info.stops,
      (lua_Integer)info.rejected, info.skip, info.max_stops,
      (lua_Integer)info.native_rejected};
  if (which == 0)
    lua_pushboolean(L, info.enabled);
  else
    lua_pushinteger(L, values[which]);
  return 1;
}

static int bp_gc(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  for (size_t i = 0; i < bp->count; i++) {
    if (bp->loc[i].state != NULL) {
      unref(bp->loc[i].state);
      bp->loc[i].state = NULL;
    }
  }
  return 0;
}

static int bp_tostring(lua_State *L)
{
  lbreakpoint *bp = luaL_checkudata(L, 1, BREAKPOINT_TYPE);
  char addr[32];
  snprintf(addr, sizeof addr, "0x%llx", (unsigned long long)bp->loc[0].address);
  lua_pushfstring(L, "breakpoint %d at %s%s", bp->loc[0].id, addr,
                  cleared(bp) ? " (cleared)" : "");
  return 1;
}

/* s:breakpoint_numbers_from(n): the next breakpoint or watchpoint is
   numbered n or more. */
static int session_breakpoint_numbers_from(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_Integer number = luaL_checkinteger(L, 2);
  luaL_argcheck(L, number >= 1 && number <= SNARE_BREAKPOINT_NUMBER_MAX, 2,
                "number out of range");
  snare_status st = snare_breakpoint_numbers_from(s->session, (int)number);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot renumber", st);
  return 0;
}

/* s:breakpoint_number() -> the next breakpoint number, taken now for a
   breakpoint set later with {number = n} (gdb numbers a pending
   breakpoint when it is made). */
static int session_breakpoint_number(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int number;
  snare_status st = snare_breakpoint_number_take(s->session, &number);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot number", st);
  lua_pushinteger(L, number);
  return 1;
}

const luaL_Reg snare_lua_breakpoint_methods[] = {
    {"breakpoint", session_breakpoint},
    {"breakpoint_number", session_breakpoint_number},
    {"breakpoint_numbers_from", session_breakpoint_numbers_from},
    {"breakpoints", session_breakpoints},
    {NULL, NULL},
};

static const luaL_Reg bp_methods[] = {
    {"enable", bp_enable},
    {"disable", bp_disable},
    {"clear", bp_clear},
    {"drop_native_condition", bp_drop_native_condition},
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
