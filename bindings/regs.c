/*
 * regs.c - registers: names, the session's register methods, and the
 * register proxies of stops (stop.regs) and frames (frame.regs).
 */
#include <stdio.h>
#include <string.h>

#include "snare_lua.h"

bool snare_lua_toregister(lua_State *L, int idx, snare_register *out)
{
  const char *name = lua_tostring(L, idx);
  return name != NULL && snare_register_lookup(name, out) == SNARE_OK;
}

snare_register snare_lua_checkregister(lua_State *L, int idx)
{
  snare_register reg;
  const char *name = luaL_checkstring(L, idx);
  if (!snare_lua_toregister(L, idx, &reg))
    luaL_argerror(L, idx, lua_pushfstring(L, "unknown register '%s'", name));
  return reg;
}

/* ---- session methods ---- */

static int session_reg(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_register reg = snare_lua_checkregister(L, 2);
  uint64_t v;
  snare_status st = snare_register_get(s->session, reg, &v);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot read register", st);
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int session_set_reg(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_register reg = snare_lua_checkregister(L, 2);
  uint64_t v = (uint64_t)luaL_checkinteger(L, 3);
  snare_status st = snare_register_set(s->session, reg, v);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot write register", st);
  return 0;
}

/* s:regs() -> {rax = ..., ..., eflags = ...}, the live registers. */
static int session_regs(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_createtable(L, 0, SNARE_REG_COUNT);
  for (int r = 0; r < SNARE_REG_COUNT; r++) {
    uint64_t v;
    snare_status st = snare_register_get(s->session, (snare_register)r, &v);
    if (st != SNARE_OK)
      return snare_lua_status_error(L, SESSION_TYPE, "cannot read registers",
                                    st);
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, snare_register_name((snare_register)r));
  }
  return 1;
}

/* s:xmm(i) -> 16-byte little-endian string, i in 0..15. */
static int session_xmm(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2);
  luaL_argcheck(L, i >= 0 && i <= 15, 2, "xmm index out of range 0..15");
  uint8_t bytes[16];
  snare_status st = snare_vector_register_get(s->session, (unsigned)i, bytes);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot read xmm", st);
  lua_pushlstring(L, (const char *)bytes, sizeof bytes);
  return 1;
}

/* snare.core.x87_text(bytes) -> an x87 register's 80-bit value as gdb
   prints it: %Lg with the 21 digits gdb gives i387_ext (x86-64's long
   double is that format). */
static int x87_text(lua_State *L)
{
  size_t n;
  const char *bytes = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n == 10, 1, "10 bytes expected");
  long double value = 0;
  memcpy(&value, bytes, 10);
  char text[64];
  snprintf(text, sizeof text, "%.21Lg", value);
  lua_pushstring(L, text);
  return 1;
}

const luaL_Reg snare_lua_register_functions[] = {
    {"x87_text", x87_text},
    {NULL, NULL},
};

const luaL_Reg snare_lua_register_methods[] = {
    {"reg", session_reg},
    {"set_reg", session_set_reg},
    {"regs", session_regs},
    {"xmm", session_xmm},
    {NULL, NULL},
};

/* ---- proxies ---- */

/* A register proxy: user value 1 is the frame or session it reads
   through, user value 2 the snapshot table of a stop. */
typedef struct lregs {
  bool frame;
  uint64_t seq; /* stops: the session's stop_seq at this stop */
} lregs;

static lregs *push_proxy(lua_State *L, int owner, bool frame)
{
  lregs *p = lua_newuserdatauv(L, sizeof *p, 2);
  p->frame = frame;
  p->seq = 0;
  luaL_setmetatable(L, REGS_TYPE);
  lua_pushvalue(L, owner);
  lua_setiuservalue(L, -2, 1);
  return p;
}

void snare_lua_push_frame_regs(lua_State *L, int fidx)
{
  push_proxy(L, fidx, true);
}

void snare_lua_push_stop_regs(lua_State *L, int sidx, int snap, uint64_t seq)
{
  lregs *p = push_proxy(L, sidx, false);
  p->seq = seq;
  lua_pushvalue(L, snap);
  lua_setiuservalue(L, -2, 2);
}

/* The frame behind a frame proxy at idx; raises once it is invalid. */
static snare_frame *proxy_frame(lua_State *L, int idx)
{
  lua_getiuservalue(L, idx, 1);
  lframe *f = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (f->frame == NULL)
    luaL_error(L, FRAME_TYPE ": frame is no longer valid");
  return f->frame;
}

/* The session behind a stop proxy at idx if it is still stopped at that
   stop, else NULL. */
static snare_session *proxy_live_session(lua_State *L, int idx)
{
  lregs *p = lua_touserdata(L, idx);
  lua_getiuservalue(L, idx, 1);
  lsession *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (s->session == NULL || s->stop_seq != p->seq ||
      !snare_session_stopped(s->session))
    return NULL;
  return s->session;
}

static int regs_index(lua_State *L)
{
  lregs *p = luaL_checkudata(L, 1, REGS_TYPE);
  snare_register reg;
  if (!snare_lua_toregister(L, 2, &reg))
    return luaL_error(L, REGS_TYPE ": unknown register '%s'",
                      luaL_tolstring(L, 2, NULL));
  uint64_t v;
  snare_status st = SNARE_WRONG_STATE;
  if (p->frame)
    st = snare_frame_register_get(proxy_frame(L, 1), reg, &v);
  else {
    snare_session *live = proxy_live_session(L, 1);
    if (live != NULL)
      st = snare_register_get(live, reg, &v);
    if (st != SNARE_OK) { /* the snapshot taken at the stop */
      lua_getiuservalue(L, 1, 2);
      lua_getfield(L, -1, snare_register_name(reg));
      return 1;
    }
  }
  if (st != SNARE_OK)
    return snare_lua_status_error(L, REGS_TYPE, "cannot read register", st);
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int regs_newindex(lua_State *L)
{
  lregs *p = luaL_checkudata(L, 1, REGS_TYPE);
  snare_register reg = snare_lua_checkregister(L, 2);
  uint64_t v = (uint64_t)luaL_checkinteger(L, 3);
  snare_status st;
  if (p->frame) {
    st = snare_frame_register_set(proxy_frame(L, 1), reg, v);
  } else {
    snare_session *live = proxy_live_session(L, 1);
    if (live == NULL)
      return luaL_error(L, REGS_TYPE ": cannot write register: the session "
                           "is no longer stopped at this stop");
    st = snare_register_set(live, reg, v);
  }
  if (st != SNARE_OK)
    return snare_lua_status_error(L, REGS_TYPE, "cannot write register", st);
  return 0;
}

static int regs_tostring(lua_State *L)
{
  lregs *p = luaL_checkudata(L, 1, REGS_TYPE);
  lua_pushfstring(L, "snare.regs (%s)", p->frame ? "frame" : "stop");
  return 1;
}

static const luaL_Reg regs_meta[] = {
    {"__index", regs_index},
    {"__newindex", regs_newindex},
    {"__tostring", regs_tostring},
    {NULL, NULL},
};

void snare_lua_open_regs(lua_State *L)
{
  luaL_newmetatable(L, REGS_TYPE);
  luaL_setfuncs(L, regs_meta, 0);
  lua_pop(L, 1);
}
