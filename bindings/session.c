/*
 * session.c - the session userdata: creation, close, properties.
 *
 * A session userdata owns, in its user values, the breakpoint objects (and
 * through them their condition functions), the strings and argv blocks a
 * running call points into, and the coroutine its conditions run in.
 */
#include <string.h>

#include "snare_lua.h"

lsession *snare_lua_checksession(lua_State *L, int idx)
{
  lsession *s = luaL_checkudata(L, idx, SESSION_TYPE);
  if (s->session == NULL)
    luaL_error(L, SESSION_TYPE ": closed");
  return s;
}

static void free_session(void *p)
{
  snare_lua_interrupt_forget(p); /* Ctrl-C must not reach a freed session */
  snare_session_free(p);
}

/*
 * Closes the session at idx if open: aborts a stopped worker, joins it,
 * clears its breakpoints (their objects then report "cleared") and drops
 * what the session kept alive. Idempotent.
 */
static int session_close(lua_State *L)
{
  lsession *s = luaL_checkudata(L, 1, SESSION_TYPE);
  if (s->session == NULL)
    return 0;
  snare_lua_check_no_callback(L, "close a session");
  snare_session *session = s->session;
  s->session = NULL;
  s->co = NULL;
  snare_lua_release(free_session, session);
  for (int uv = SESSION_UV_KEEP; uv <= SESSION_UV_COUNT; uv++) {
    lua_pushnil(L);
    lua_setiuservalue(L, 1, uv);
  }
  return 0;
}

static int session_gc(lua_State *L)
{
  lsession *s = luaL_checkudata(L, 1, SESSION_TYPE);
  if (s->session != NULL) { /* no Lua here: the GC may run us anywhere */
    snare_session *session = s->session;
    s->session = NULL;
    s->co = NULL;
    snare_lua_release(free_session, session);
  }
  return 0;
}

static int session_interrupt(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_lua_check_no_callback(L, "interrupt a session");
  snare_status st = snare_interrupt(s->session);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot interrupt", st);
  lua_pushboolean(L, 1);
  return 1;
}

static int session_tostring(lua_State *L)
{
  lsession *s = luaL_checkudata(L, 1, SESSION_TYPE);
  if (s->session == NULL)
    lua_pushliteral(L, "snare.session (closed)");
  else
    lua_pushfstring(L, "snare.session (thread %d, %s)", s->thread,
                    snare_session_stopped(s->session) ? "stopped" : "idle");
  return 1;
}

/* The value at idx is a timeout (option or field): its errors name it,
   not its stack position. */
static void set_timeout(lua_State *L, lsession *s, int idx)
{
  int is_integer;
  lua_Integer ms = lua_tointegerx(L, idx, &is_integer);
  if (!is_integer)
    luaL_error(L, SESSION_TYPE ": bad timeout (an integer number of "
                  "milliseconds expected, got %s)",
               lua_type(L, idx) == LUA_TNUMBER ? "a fraction"
                                                : luaL_typename(L, idx));
  if (ms < 0 || ms > (lua_Integer)UINT32_MAX)
    luaL_error(L, SESSION_TYPE ": bad timeout %I (milliseconds from 0, "
                  "which waits forever, to %I)", ms, (lua_Integer)UINT32_MAX);
  s->timeout_ms = (unsigned)ms;
  snare_session_set_timeout(s->session, s->timeout_ms);
}

/* __index: methods first, then the properties closed, thread, timeout,
   stopped. Upvalue 1 is the methods table. */
static int session_index(lua_State *L)
{
  lsession *s = luaL_checkudata(L, 1, SESSION_TYPE);
  const char *key = snare_lua_index_key(L);
  if (key == NULL)
    return 1;
  if (strcmp(key, "closed") == 0) {
    lua_pushboolean(L, s->session == NULL);
    return 1;
  }
  snare_lua_checksession(L, 1);
  if (strcmp(key, "thread") == 0)
    lua_pushinteger(L, s->thread);
  else if (strcmp(key, "timeout") == 0)
    lua_pushinteger(L, s->timeout_ms);
  else if (strcmp(key, "stopped") == 0)
    lua_pushboolean(L, snare_session_stopped(s->session));
  else
    lua_pushnil(L);
  return 1;
}

static int session_newindex(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "timeout") != 0)
    return luaL_error(L, SESSION_TYPE ": cannot set field '%s'", key);
  set_timeout(L, s, 3);
  return 0;
}

/*
 * core.session([{timeout = ms}]) -> session. The userdata is created
 * closed and opened last, so a failure leaves nothing to clean up.
 */
int snare_lua_session_new(lua_State *L)
{
  snare_lua_check_no_callback(L, "create a session");
  if (!lua_isnoneornil(L, 1))
    luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  snare_lua_drain();
  lsession *s = lua_newuserdatauv(L, sizeof *s, SESSION_UV_COUNT);
  memset(s, 0, sizeof *s);
  luaL_setmetatable(L, SESSION_TYPE);
  lua_newtable(L);
  lua_setiuservalue(L, 2, SESSION_UV_BREAKPOINTS);
  lua_newtable(L);
  lua_setiuservalue(L, 2, SESSION_UV_KEEP);
  lua_newtable(L);
  lua_setiuservalue(L, 2, SESSION_UV_WATCHPOINTS);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 2); /* SESSION_CO_SESSION */
  lua_xmove(L, co, 1);
  snare_lua_push_message_handler(co); /* SESSION_CO_HANDLER */
  lua_setiuservalue(L, 2, SESSION_UV_THREAD);

  snare_session *session;
  snare_status st = snare_session_new(&session);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot create", st);
  s->session = session;
  s->co = co;
  s->thread = snare_session_thread(session);
  if (lua_istable(L, 1) && lua_getfield(L, 1, "timeout") != LUA_TNIL) {
    set_timeout(L, s, 3);
  }
  lua_settop(L, 2);
  return 1;
}

static const luaL_Reg session_methods[] = {
    {"close", session_close},
    {"interrupt", session_interrupt},
    {NULL, NULL},
};

static const luaL_Reg session_meta[] = {
    {"__gc", session_gc},
    {"__close", session_close},
    {"__tostring", session_tostring},
    {"__newindex", session_newindex},
    {NULL, NULL},
};

void snare_lua_open_session(lua_State *L)
{
  luaL_newmetatable(L, SESSION_TYPE);
  luaL_setfuncs(L, session_meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, session_methods, 0);
  luaL_setfuncs(L, snare_lua_call_methods, 0);
  luaL_setfuncs(L, snare_lua_stepping_methods, 0);
  luaL_setfuncs(L, snare_lua_register_methods, 0);
  luaL_setfuncs(L, snare_lua_breakpoint_methods, 0);
  luaL_setfuncs(L, snare_lua_watchpoint_methods, 0);
  luaL_setfuncs(L, snare_lua_backtrace_methods, 0);
  luaL_setfuncs(L, snare_lua_thread_methods, 0);
  snare_lua_set_memory_functions(L, MEMORY_SESSION);
  lua_pushcclosure(L, session_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
