/*
 * watchpoint.c - watchpoint objects (s:watch, s:watchpoints) and the
 * watchpoint fields of stops and events.
 *
 * Ownership as for breakpoints (breakpoint.c): the session's watchpoint
 * table (a user value) maps the core id to the object while the core
 * has it, and a little longer (a stop at the end of its scope names the
 * watchpoint the core just cleared); the object holds its session and
 * condition. The core's condition_data is a small reference-counted
 * block, because the core may release it after the object is gone.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

enum {
  WP_UV_SESSION = 1,
  WP_UV_CONDITION,
  WP_UV_FRAME, /* the frame its condition receives, made at the first hit */
  WP_UV_COUNT = WP_UV_FRAME
};

typedef struct wpstate {
  atomic_int refs;      /* the object's, and the core's until it releases */
  atomic_bool released; /* the core cleared the watchpoint */
  lsession *owner;
  int id;
} wpstate;

typedef struct lwatchpoint {
  lsession *owner;
  wpstate *state;
  int id;
} lwatchpoint;

static const char *const kind_names[] = {"write", "read", "access", "execute",
                                         NULL};

static void unref(wpstate *st)
{
  if (atomic_fetch_sub(&st->refs, 1) == 1)
    free(st);
}

/* The core's release callback: no Lua (see breakpoint.c). */
static void release(void *data)
{
  wpstate *st = data;
  atomic_store(&st->released, true);
  unref(st);
}

static bool condition(snare_frame *frame, void *data)
{
  wpstate *st = data;
  return snare_lua_condition(frame, st->owner, SESSION_UV_WATCHPOINTS, st->id,
                             WP_UV_CONDITION, WP_UV_FRAME);
}

static bool cleared(const lwatchpoint *wp)
{
  return atomic_load(&wp->state->released) || wp->owner->session == NULL;
}

static lwatchpoint *checkwatchpoint(lua_State *L, int idx)
{
  lwatchpoint *wp = luaL_checkudata(L, idx, WATCHPOINT_TYPE);
  if (cleared(wp))
    luaL_error(L, WATCHPOINT_TYPE ": watchpoint cleared");
  return wp;
}

static void checknocallback(lua_State *L, const char *what)
{
  if (snare_lua_in_callback())
    luaL_error(L, "snare: cannot %s from a callback", what);
}

static lua_Integer optfield(lua_State *L, int opts, const char *field,
                            lua_Integer dflt, lua_Integer max)
{
  lua_getfield(L, opts, field);
  lua_Integer n = luaL_optinteger(L, -1, dflt);
  if (n < 0 || n > max)
    luaL_error(L, "bad option '%s' (out of range)", field);
  lua_pop(L, 1);
  return n;
}

/* Reads the options table at 3 into opts and *length; the condition
   function (or nil) is left at 4. */
static void read_options(lua_State *L, snare_watchpoint_options *opts,
                         unsigned *length)
{
  lua_pushnil(L);
  if (!lua_istable(L, 3))
    return;
  lua_getfield(L, 3, "kind");
  opts->kind = (snare_watch_kind)luaL_checkoption(L, -1, "write", kind_names);
  lua_pop(L, 1);
  *length = (unsigned)optfield(L, 3, "len", *length, 32);
  opts->skip = (unsigned)optfield(L, 3, "skip", 0, UINT32_MAX);
  opts->thread = (int)optfield(L, 3, "thread", opts->thread, INT32_MAX);
  opts->scope_frame = (uint64_t)optfield(
      L, 3, "scope_frame", (lua_Integer)opts->scope_frame, INT64_MAX);
  opts->scope_return = (uint64_t)optfield(
      L, 3, "scope_return", (lua_Integer)opts->scope_return, INT64_MAX);
  if (lua_getfield(L, 3, "condition") != LUA_TNIL &&
      lua_type(L, -1) != LUA_TFUNCTION)
    luaL_error(L, "bad option 'condition' (function expected, got %s)",
               luaL_typename(L, -1));
  lua_replace(L, 4);
}

/* Whether name is a parameter or local of the stopped worker's frame 0. */
static bool is_local(snare_session *session, const char *name)
{
  size_t n = 0;
  if (snare_variable_list(session, 0, NULL, 0, &n) != SNARE_OK || n == 0)
    return false;
  snare_variable_info *vars = malloc(n * sizeof *vars);
  bool found = false;
  if (vars != NULL && snare_variable_list(session, 0, vars, n, &n) == SNARE_OK)
    for (size_t i = 0; i < n && !found; i++)
      found = strcmp(vars[i].name, name) == 0;
  free(vars);
  return found;
}

/*
 * A local of the stopped worker's innermost frame, as gdb's `watch x`
 * takes one before a global of the same name: its memory, and the scope
 * that ends when the frame returns to its caller. False if name is none.
 */
static bool resolve_local(lsession *s, const char *name, uint64_t *addr,
                          size_t *size, snare_watchpoint_options *opts)
{
  snare_session *session = s->session;
  if (!snare_session_stopped(session) || !is_local(session, name))
    return false;
  snare_value *v = NULL;
  snare_backtrace_frame frames[2];
  size_t depth = 0;
  bool ok = snare_variable_read(session, 0, name, NULL, &v) == SNARE_OK &&
            v->address != 0 &&
            snare_backtrace(session, frames, 2, &depth) == SNARE_OK &&
            depth >= 2;
  if (ok) {
    *addr = v->address;
    *size = v->size;
    opts->thread = s->thread;
    opts->scope_frame = frames[0].cfa;
    opts->scope_return = frames[1].pc;
  }
  snare_value_free(v);
  return ok;
}

/* A global or static by its symbol, in a library loaded through
   snare.load (pushes it, or nil), and its size (0 if unknown). */
static void resolve_symbol(lua_State *L, int idx, uint64_t *addr, size_t *size)
{
  snare_lua_checkaddress(L, idx, addr);
  snare_symbol sym;
  *size = 0;
  if (!lua_isnil(L, -1) &&
      snare_library_symbol(snare_lua_checklibrary(L, -1), lua_tostring(L, idx),
                           &sym) == SNARE_OK)
    *size = sym.size;
  lua_pop(L, 1);
}

/*
 * Where to watch from the argument at 2: an address, or a name (a local
 * of the stopped worker's frame 0, else a global or static symbol); the
 * length its size gives when opts has no len (8 for a bare address).
 */
static void resolve_where(lua_State *L, lsession *s, uint64_t *addr,
                          unsigned *length, snare_watchpoint_options *opts)
{
  size_t size = 0;
  if (lua_type(L, 2) != LUA_TSTRING) {
    snare_lua_checkaddress(L, 2, addr);
    lua_pop(L, 1);
  } else if (!resolve_local(s, lua_tostring(L, 2), addr, &size, opts)) {
    resolve_symbol(L, 2, addr, &size);
  }
  bool given = lua_istable(L, 3) && lua_getfield(L, 3, "len") != LUA_TNIL;
  if (lua_istable(L, 3))
    lua_pop(L, 1);
  if (!given && size > 32)
    luaL_error(L, SESSION_TYPE ": cannot watch %s: its %d bytes are more "
                  "than the debug registers cover (32): give len",
               lua_tostring(L, 2), (int)size);
  if (!given && size > 0)
    *length = (unsigned)size;
}

/*
 * s:watch(where [, opts]) -> watchpoint. where: an address, or the name
 * of a local of the stopped worker's frame 0 (then cleared when that
 * frame returns) or of a global or static symbol. opts: kind ("write", "read",
 * "access", "execute"), len (1..32, default 8; execute: 1), condition
 * (function(frame), run on the thread that touched the memory), skip,
 * thread, and for a local scope_frame and scope_return (see snare.h).
 * Raises with the core's reason (snare_watchpoint_error) on refusal.
 */
static int session_watch(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  checknocallback(L, "set a watchpoint");
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  snare_watchpoint_options opts = {.kind = SNARE_WATCH_WRITE};
  unsigned length = 8;
  uint64_t addr;
  resolve_where(L, s, &addr, &length, &opts);
  read_options(L, &opts, &length); /* condition at 4 */
  if (opts.kind == SNARE_WATCH_EXECUTE)
    length = 1;
  wpstate *st = malloc(sizeof *st);
  if (st == NULL)
    return luaL_error(L, "not enough memory");
  atomic_init(&st->refs, 2);
  atomic_init(&st->released, true);
  st->owner = s;
  st->id = 0;
  lwatchpoint *wp = lua_newuserdatauv(L, sizeof *wp, WP_UV_COUNT); /* 5 */
  wp->owner = s;
  wp->state = st;
  wp->id = 0;
  luaL_setmetatable(L, WATCHPOINT_TYPE);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 5, WP_UV_SESSION);
  lua_pushvalue(L, 4);
  lua_setiuservalue(L, 5, WP_UV_CONDITION);
  opts.condition = lua_isnil(L, 4) ? NULL : condition;
  opts.condition_data = st;
  opts.release = release;
  int id;
  snare_status status =
      snare_watchpoint_set(s->session, addr, length, &opts, &id);
  if (status != SNARE_OK) {
    atomic_fetch_sub(&st->refs, 1); /* the core never took it */
    const char *why = snare_watchpoint_error();
    return luaL_error(L, SESSION_TYPE ": cannot watch 0x%p: %s%s%s",
                      (void *)(uintptr_t)addr, snare_status_message(status),
                      *why ? ": " : "", why);
  }
  st->id = id;
  wp->id = id;
  atomic_store(&st->released, false);
  lua_getiuservalue(L, 1, SESSION_UV_WATCHPOINTS);
  lua_pushvalue(L, 5);
  lua_rawseti(L, -2, id);
  lua_settop(L, 5);
  return 1;
}

/* Drops the objects of watchpoints the core no longer has. */
static void prune(lua_State *L, int sidx)
{
  lua_getiuservalue(L, sidx, SESSION_UV_WATCHPOINTS);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    bool gone = cleared(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (gone) {
      lua_pushvalue(L, -1);
      lua_pushnil(L);
      lua_rawset(L, -4);
    }
  }
  lua_pop(L, 1);
}

/* s:watchpoints() -> list of the session's watchpoints, creation order. */
static int session_watchpoints(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  prune(L, 1);
  size_t n = snare_watchpoint_list(s->session, NULL, 0);
  int *ids = lua_newuserdatauv(L, (n ? n : 1) * sizeof *ids, 0);
  n = snare_watchpoint_list(s->session, ids, n);
  lua_getiuservalue(L, 1, SESSION_UV_WATCHPOINTS);
  lua_newtable(L);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i++) {
    if (lua_rawgeti(L, -2, ids[i]) == LUA_TNIL)
      lua_pop(L, 1); /* set through the C API */
    else
      lua_rawseti(L, -2, ++k);
  }
  return 1;
}

void snare_lua_set_watch_fields(lua_State *L, int sidx, int id,
                                uint64_t old_value, uint64_t new_value)
{
  if (id == 0)
    return;
  lua_pushinteger(L, id);
  lua_setfield(L, -2, "watchpoint_id");
  lua_getiuservalue(L, sidx, SESSION_UV_WATCHPOINTS);
  lua_rawgeti(L, -1, id);
  lua_setfield(L, -3, "watchpoint");
  lua_pop(L, 1);
  lua_pushinteger(L, (lua_Integer)old_value);
  lua_setfield(L, -2, "old_value");
  lua_pushinteger(L, (lua_Integer)new_value);
  lua_setfield(L, -2, "new_value");
}

static int setenabled(lua_State *L, bool enabled)
{
  lwatchpoint *wp = checkwatchpoint(L, 1);
  checknocallback(L, "change a watchpoint");
  snare_status st =
      snare_watchpoint_enable(wp->owner->session, wp->id, enabled);
  if (st != SNARE_OK)
    return snare_lua_status_error(
        L, WATCHPOINT_TYPE, enabled ? "cannot enable" : "cannot disable", st);
  lua_settop(L, 1);
  return 1;
}

static int wp_enable(lua_State *L) { return setenabled(L, true); }
static int wp_disable(lua_State *L) { return setenabled(L, false); }

/* wp:clear(): removes the watchpoint; idempotent. */
static int wp_clear(lua_State *L)
{
  lwatchpoint *wp = luaL_checkudata(L, 1, WATCHPOINT_TYPE);
  if (cleared(wp))
    return 0;
  checknocallback(L, "clear a watchpoint");
  snare_watchpoint_clear(wp->owner->session, wp->id);
  return 0;
}

/* __index: methods, then id, cleared, session, and address, length,
   kind, enabled, hits, stops, rejected, skip, registers, thread, scoped
   (raise once cleared). */
static int wp_index(lua_State *L)
{
  lwatchpoint *wp = luaL_checkudata(L, 1, WATCHPOINT_TYPE);
  const char *key = snare_lua_index_key(L);
  if (key == NULL)
    return 1;
  if (strcmp(key, "id") == 0) {
    lua_pushinteger(L, wp->id);
    return 1;
  }
  if (strcmp(key, "cleared") == 0) {
    lua_pushboolean(L, cleared(wp));
    return 1;
  }
  if (strcmp(key, "session") == 0) {
    lua_getiuservalue(L, 1, WP_UV_SESSION);
    return 1;
  }
  static const char *const fields[] = {
      "address", "length", "kind",     "enabled",   "hits",   "stops",
      "rejected", "skip",  "registers", "thread",   "scoped", NULL};
  int which = 0;
  while (fields[which] != NULL && strcmp(fields[which], key) != 0)
    which++;
  if (fields[which] == NULL)
    return 1; /* nil */
  checkwatchpoint(L, 1);
  snare_watchpoint_info info;
  snare_status st =
      snare_watchpoint_info_get(wp->owner->session, wp->id, &info);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, WATCHPOINT_TYPE, "watchpoint cleared", st);
  const lua_Integer values[] = {
      (lua_Integer)info.address, info.length,   0,
      0,                         (lua_Integer)info.hits,
      (lua_Integer)info.stops,   (lua_Integer)info.rejected,
      info.skip,                 info.registers, info.thread};
  if (strcmp(key, "kind") == 0)
    lua_pushstring(L, kind_names[info.kind]);
  else if (strcmp(key, "enabled") == 0)
    lua_pushboolean(L, info.enabled);
  else if (strcmp(key, "scoped") == 0)
    lua_pushboolean(L, info.scoped);
  else
    lua_pushinteger(L, values[which]);
  return 1;
}

static int wp_gc(lua_State *L)
{
  lwatchpoint *wp = luaL_checkudata(L, 1, WATCHPOINT_TYPE);
  if (wp->state != NULL) {
    unref(wp->state);
    wp->state = NULL;
  }
  return 0;
}

static int wp_tostring(lua_State *L)
{
  lwatchpoint *wp = luaL_checkudata(L, 1, WATCHPOINT_TYPE);
  lua_pushfstring(L, "watchpoint %d%s", wp->id,
                  wp->state != NULL && cleared(wp) ? " (cleared)" : "");
  return 1;
}

const luaL_Reg snare_lua_watchpoint_methods[] = {
    {"watch", session_watch},
    {"watchpoints", session_watchpoints},
    {NULL, NULL},
};

static const luaL_Reg wp_methods[] = {
    {"enable", wp_enable},
    {"disable", wp_disable},
    {"clear", wp_clear},
    {NULL, NULL},
};

void snare_lua_open_watchpoint(lua_State *L)
{
  luaL_newmetatable(L, WATCHPOINT_TYPE);
  lua_pushcfunction(L, wp_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, wp_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_newtable(L);
  luaL_setfuncs(L, wp_methods, 0);
  lua_pushcclosure(L, wp_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
