/*
 * stop.c - stop tables: what the worker reported, as plain Lua fields, plus
 * a register proxy that is live while the session is stopped at this stop,
 * and where the pc is in the source when DWARF or a symbol says.
 * Their metatable (snare.stop) gets its __tostring from the Lua layer.
 */
#include "snare_lua.h"

static void setinteger(lua_State *L, const char *field, uint64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, field);
}

static void setstring(lua_State *L, const char *field, const char *v)
{
  lua_pushstring(L, v);
  lua_setfield(L, -2, field);
}

/* Sets breakpoint (our object, if the id is one of this session's) and
   breakpoint_id on the stop table on top. */
static void set_breakpoint(lua_State *L, int sidx, int id)
{
  if (id == 0)
    return;
  setinteger(L, "breakpoint_id", (uint64_t)id);
  lua_getiuservalue(L, sidx, SESSION_UV_BREAKPOINTS);
  lua_rawgeti(L, -1, id);
  lua_setfield(L, -3, "breakpoint");
  lua_pop(L, 1);
}

/* Sets breakpoints and breakpoint_ids, lists of every breakpoint that
   said stop at this hit (the first is `breakpoint`). */
static void set_breakpoints(lua_State *L, int sidx, const snare_stop *stop)
{
  if (stop->breakpoint_count == 0)
    return;
  unsigned n = stop->breakpoint_count < SNARE_STOP_BREAKPOINTS
                   ? stop->breakpoint_count
                   : SNARE_STOP_BREAKPOINTS;
  lua_getiuservalue(L, sidx, SESSION_UV_BREAKPOINTS);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  for (unsigned i = 0; i < n; i++) {
    lua_pushinteger(L, stop->breakpoints[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
    lua_rawgeti(L, -3, stop->breakpoints[i]);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
  }
  lua_setfield(L, -4, "breakpoint_ids");
  lua_setfield(L, -3, "breakpoints");
  lua_pop(L, 1);
}

/* The error a condition recorded for this stop becomes its reason. */
static void set_condition_error(lua_State *L, int sidx, const snare_stop *stop)
{
  if (lua_getiuservalue(L, sidx, SESSION_UV_ERROR) == LUA_TSTRING &&
      stop->kind == SNARE_STOP_BREAKPOINT) {
    lua_setfield(L, -2, "error");
    setstring(L, "reason", snare_stop_reason_text(SNARE_REASON_CONDITION_ERROR));
  } else {
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  lua_setiuservalue(L, sidx, SESSION_UV_ERROR);
}

static void set_signal(lua_State *L, const snare_stop *stop)
{
  if (stop->signal == 0)
    return;
  snare_lua_push_signal_name(L, stop->signal);
  lua_setfield(L, -2, "signal");
  setinteger(L, "signal_number", (uint64_t)stop->signal);
  setinteger(L, "signal_code", (uint64_t)stop->signal_code);
  setinteger(L, "fault_address", stop->fault_address);
}

static void set_regs(lua_State *L, int sidx, const snare_stop *stop)
{
  lua_createtable(L, 0, SNARE_REG_COUNT);
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    setinteger(L, snare_register_name((snare_register)r),
               stop->registers.value[r]);
  lsession *s = lua_touserdata(L, sidx);
  snare_lua_push_stop_regs(L, sidx, lua_gettop(L), s->stop_seq);
  lua_setfield(L, -3, "regs");
  lua_pop(L, 1);
}

void snare_lua_push_stop(lua_State *L, int sidx, const snare_stop *stop)
{
  lua_createtable(L, 0, 16);
  setstring(L, "kind", snare_stop_kind_name(stop->kind));
  setstring(L, "reason", snare_stop_reason_text(stop->reason));
  setinteger(L, "thread", (uint64_t)stop->thread);
  setinteger(L, "pc", stop->pc);
  set_breakpoint(L, sidx, stop->breakpoint);
  snare_lua_set_watch_fields(L, sidx, stop->watchpoint, stop->old_value,
                             stop->new_value);
  set_breakpoints(L, sidx, stop);
  set_signal(L, stop);
  if (stop->at_mark) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "at_mark");
    setinteger(L, "data1", (uint64_t)stop->data1);
    setinteger(L, "data2", (uint64_t)stop->data2);
  }
  if (stop->has_return_value && stop->return_kind == SNARE_RETURNS_FLOAT) {
    /* a float or double result, from xmm0 */
    lua_pushnumber(L, stop->return_float);
    lua_setfield(L, -2, "return_value");
    lua_pushnumber(L, stop->return_float);
    lua_setfield(L, -2, "value");
  } else if (stop->kind == SNARE_STOP_EXIT || stop->has_return_value) {
    setinteger(L, "return_value", stop->return_value);
    /* the C int an int function returned: sign-extended low 32 bits */
    setinteger(L, "value", (uint64_t)(int64_t)(int32_t)stop->return_value);
  }
  snare_line_info shown;
  if (stop->kind == SNARE_STOP_EXIT || stop->kind == SNARE_STOP_ABORTED) {
    /* no place */
  } else if (stop->inline_hidden > 0 &&
             snare_source_frame_at(stop->pc, stop->inline_hidden, &shown) ==
                 SNARE_OK) { /* the caller of hidden inlined calls */
    setstring(L, "file", shown.file);
    setinteger(L, "line", shown.line);
    setstring(L, "func", shown.function);
    setinteger(L, "inline_hidden", stop->inline_hidden);
  } else {
    snare_lua_set_source_fields(L, stop->pc);
  }
  if (stop->step_frame != SNARE_STEPPED_FRAME_UNKNOWN) {
    lua_pushboolean(L, stop->step_frame == SNARE_STEPPED_FRAME_KEPT);
    lua_setfield(L, -2, "step_frame_kept");
  }
  set_condition_error(L, sidx, stop);
  set_regs(L, sidx, stop);
  luaL_setmetatable(L, STOP_TYPE);
}

void snare_lua_open_stop(lua_State *L)
{
  luaL_newmetatable(L, STOP_TYPE);
  lua_pop(L, 1);
}
