/*
 * frame.c - the frame a breakpoint condition receives: registers of the
 * trapped worker (read and write), its pc, breakpoint id and thread, and
 * the memory functions. Valid only during the callback.
 *
 * A condition calls frame methods at every hit (`frame:var("i")`), so
 * each frame has a metatable of its own whose __index is a table: the
 * methods, then through that table's own __index, a closure holding the
 * frame for its properties (pc, breakpoint, ...). A method is then found
 * by the interpreter's table lookup alone: an __index function cost a C
 * call per method call, a quarter of a Lua condition reading a variable.
 * A frame is made once per breakpoint (breakpoint.c), so the tables are
 * too. The registered metatable FRAME_TYPE is the template: its __index
 * holds the methods (where snare.lua adds eval), copied into each frame's.
 * Every frame's metatable carries frame_marker, which methods check
 * (luaL_checkudata would compare with the template).
 */
#include <string.h>

#include "snare_lua.h"

static const char frame_marker; /* its address: the key */

static lframe *still_valid(lua_State *L, lframe *f)
{
  if (f->frame == NULL)
    luaL_error(L, FRAME_TYPE ": frame is no longer valid");
  return f;
}

/* Argument idx as a frame (of any validity), or a type error. */
static lframe *frame_at(lua_State *L, int idx)
{
  lframe *f = lua_touserdata(L, idx);
  if (f == NULL || !lua_getmetatable(L, idx) ||
      lua_rawgetp(L, -1, &frame_marker) != LUA_TBOOLEAN)
    luaL_typeerror(L, idx, FRAME_TYPE);
  lua_pop(L, 2);
  return f;
}

lframe *snare_lua_checkframe(lua_State *L, int idx)
{
  return still_valid(L, frame_at(L, idx));
}

/* As snare_lua_checkframe, for the methods. */
static lframe *method_self(lua_State *L)
{
  return still_valid(L, frame_at(L, 1));
}

static int frame_property(lua_State *L);
static int frame_tostring(lua_State *L);

/* Copies the entries of the table at from into the table at to. */
static void copy_entries(lua_State *L, int from, int to)
{
  lua_pushnil(L);
  while (lua_next(L, from) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, to);
  }
}

/* The frame's own metatable (see above) for the userdata at top, made
   from the template's methods. */
static void set_frame_metatable(lua_State *L)
{
  int frame = lua_gettop(L);
  lua_createtable(L, 0, 4);
  int mt = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_rawsetp(L, mt, &frame_marker);
  lua_pushliteral(L, FRAME_TYPE);
  lua_setfield(L, mt, "__name");
  lua_pushcfunction(L, frame_tostring);
  lua_setfield(L, mt, "__tostring");
  lua_newtable(L); /* the methods, then the properties */
  int index = lua_gettop(L);
  luaL_getmetatable(L, FRAME_TYPE);
  lua_getfield(L, -1, "__index");
  copy_entries(L, lua_gettop(L), index);
  lua_pop(L, 2);
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, frame);
  lua_pushcclosure(L, frame_property, 1);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, index);
  lua_setfield(L, mt, "__index");
  lua_setmetatable(L, frame);
}

lframe *snare_lua_push_frame(lua_State *L, snare_frame *frame)
{
  lframe *f = lua_newuserdatauv(L, sizeof *f, 1);
  f->frame = frame;
  set_frame_metatable(L);
  return f;
}

static uint64_t frame_get(lua_State *L, lframe *f, snare_register reg)
{
  uint64_t v;
  snare_status st = snare_frame_register_get(f->frame, reg, &v);
  if (st != SNARE_OK)
    snare_lua_status_error(L, FRAME_TYPE, "cannot read register", st);
  return v;
}

/* frame:reg(name) -> integer */
static int frame_reg(lua_State *L)
{
  lframe *f = method_self(L);
  lua_pushinteger(L, (lua_Integer)frame_get(L, f, snare_lua_checkregister(L, 2)));
  return 1;
}

/* frame:set_reg(name, value); takes effect when the worker resumes. */
static int frame_set_reg(lua_State *L)
{
  lframe *f = method_self(L);
  snare_register reg = snare_lua_checkregister(L, 2);
  snare_status st = snare_frame_register_set(
      f->frame, reg, (uint64_t)luaL_checkinteger(L, 3));
  if (st != SNARE_OK)
    return snare_lua_status_error(L, FRAME_TYPE, "cannot write register", st);
  return 0;
}

/* frame:var(name [, opts]) -> value of a variable of the trapped frame,
   or nil, why ("optimized out"). */
static int frame_var(lua_State *L)
{
  lframe *f = method_self(L);
  const char *name = luaL_checkstring(L, 2);
  snare_value scalar;
  if (lua_isnoneornil(L, 3) &&
      snare_frame_variable_scalar(f->frame, name, &scalar) == SNARE_OK) {
    snare_lua_push_value(L, &scalar);
    return 1;
  }
  snare_value_options opts;
  snare_lua_value_options(L, 3, &opts);
  snare_value *v = NULL;
  snare_status st = snare_frame_variable_read(f->frame, name, &opts, &v);
  return snare_lua_push_variable(L, st, v, name);
}

/* frame:scalar(name) -> the bytes (little-endian, the variable's size)
   of a scalar variable read by the program compiled once for this
   breakpoint, and its number (integer; float for floating types), or
   nil when the compiled reader does not take it. */
static int frame_scalar(lua_State *L)
{
  lframe *f = method_self(L);
  snare_value v;
  if (snare_frame_variable_scalar(f->frame, luaL_checkstring(L, 2), &v) !=
          SNARE_OK ||
      v.size == 0 || v.size > 8) {
    lua_pushnil(L);
    return 1;
  }
  unsigned char bytes[8];
  if (v.kind == SNARE_VALUE_FLOAT && v.size == 4) {
    float narrow = (float)v.f;
    memcpy(bytes, &narrow, sizeof narrow);
  } else if (v.kind == SNARE_VALUE_FLOAT) {
    memcpy(bytes, &v.f, sizeof v.f);
  } else {
    uint64_t word = v.kind == SNARE_VALUE_SIGNED ? (uint64_t)v.i : v.u;
    for (size_t i = 0; i < 8; i++)
      bytes[i] = (unsigned char)(word >> (8 * i));
  }
  lua_pushlstring(L, (const char *)bytes, v.size);
  if (v.kind == SNARE_VALUE_FLOAT)
    lua_pushnumber(L, v.f);
  else
    lua_pushinteger(L, v.kind == SNARE_VALUE_SIGNED ? (lua_Integer)v.i
                                                    : (lua_Integer)v.u);
  return 2;
}

/* frame:scalar_number(name) -> frame:scalar's number alone (no bytes to
   make: a compiled condition's read), or nil. */
static int frame_scalar_number(lua_State *L)
{
  lframe *f = method_self(L);
  snare_value v;
  if (snare_frame_variable_scalar(f->frame, luaL_checkstring(L, 2), &v) !=
          SNARE_OK ||
      v.size == 0 || v.size > 8)
    lua_pushnil(L);
  else if (v.kind == SNARE_VALUE_FLOAT)
    lua_pushnumber(L, v.size == 4 ? (double)(float)v.f : v.f);
  else
    lua_pushinteger(L, v.kind == SNARE_VALUE_SIGNED ? (lua_Integer)v.i
                                                    : (lua_Integer)v.u);
  return 1;
}

/* The properties' __index (upvalue 1: the frame): valid, pc, breakpoint,
   thread, regs. */
static int frame_property(lua_State *L)
{
  lframe *f = lua_touserdata(L, lua_upvalueindex(1));
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  if (strcmp(key, "valid") == 0) {
    lua_pushboolean(L, f->frame != NULL);
    return 1;
  }
  still_valid(L, f);
  if (strcmp(key, "pc") == 0)
    lua_pushinteger(L, (lua_Integer)frame_get(L, f, SNARE_REG_RIP));
  else if (strcmp(key, "breakpoint") == 0)
    lua_pushinteger(L, snare_frame_breakpoint(f->frame));
  else if (strcmp(key, "thread") == 0)
    lua_pushinteger(L, snare_frame_thread(f->frame));
  else if (strcmp(key, "regs") == 0) {
    if (lua_getiuservalue(L, lua_upvalueindex(1), 1) == LUA_TNIL) {
      lua_pushvalue(L, lua_upvalueindex(1));
      snare_lua_push_frame_regs(L, lua_gettop(L));
      lua_pushvalue(L, -1);
      lua_setiuservalue(L, lua_upvalueindex(1), 1);
    }
  } else
    lua_pushnil(L);
  return 1;
}

static int frame_tostring(lua_State *L)
{
  lframe *f = frame_at(L, 1);
  if (f->frame == NULL)
    lua_pushliteral(L, "snare.frame (no longer valid)");
  else
    lua_pushfstring(L, "snare.frame (breakpoint %d, thread %d)",
                    snare_frame_breakpoint(f->frame),
                    snare_frame_thread(f->frame));
  return 1;
}

/* frame:locate(name) -> {type =, address = | bytes =}, or nil, why. */
static int frame_locate(lua_State *L)
{
  lframe *f = method_self(L);
  const char *name = luaL_checkstring(L, 2);
  snare_variable_location where;
  snare_status st = snare_frame_variable_locate(f->frame, name, &where);
  return snare_lua_push_location(L, st, &where, name);
}

/* frame:native_condition(program) -> true once the frame's breakpoint
   runs program (a table, see condition_program.c) before its condition
   at every later hit; nil, why, status name when it does not (it has
   one, a watchpoint's frame). */
static int frame_native_condition(lua_State *L)
{
  lframe *f = method_self(L);
  snare_condition_program program;
  snare_lua_check_condition_program(L, 2, &program);
  snare_status st = snare_frame_condition_program_set(f->frame, &program);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "native condition", st);
  lua_pushboolean(L, 1);
  return 1;
}

static const luaL_Reg frame_methods[] = {
    {"native_condition", frame_native_condition},
    {"reg", frame_reg},
    {"set_reg", frame_set_reg},
    {"var", frame_var},
    {"locate", frame_locate},
    {"scalar", frame_scalar},
    {"scalar_number", frame_scalar_number},
    {NULL, NULL},
};

void snare_lua_open_frame(lua_State *L)
{
  luaL_newmetatable(L, FRAME_TYPE); /* the template */
  lua_pushboolean(L, 1);
  lua_rawsetp(L, -2, &frame_marker);
  lua_pushcfunction(L, frame_tostring);
  lua_setfield(L, -2, "__tostring");
  luaL_newlib(L, frame_methods);
  snare_lua_set_memory_functions(L, MEMORY_FRAME);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
