/*
 * condition_program.c - native condition programs from Lua: a table of
 * steps ({op = "LESS", size = 4, signed = true, operand = 0}, in order)
 * with its variables' names in field `names`, as snare.expr.lower makes
 * it, checked and copied into a snare_condition_program; and
 * frame:native_condition(program), which gives it to the breakpoint of
 * a condition's frame.
 */
#include <string.h>

#include "snare_lua.h"

static int op_of(lua_State *L, const char *name)
{
  for (int op = 0; op < SNARE_CONDITION_OP_COUNT; op++)
    if (strcmp(snare_condition_op_name(op), name) == 0)
      return op;
  return luaL_error(L, "native condition program: unknown op '%s'", name);
}

static lua_Integer step_integer(lua_State *L, int step, const char *field)
{
  lua_getfield(L, step, field);
  int is_integer = 0;
  lua_Integer n = lua_tointegerx(L, -1, &is_integer);
  if (!is_integer && !lua_isnil(L, -1))
    luaL_error(L, "native condition program: field '%s' must be an integer", field);
  lua_pop(L, 1);
  return n;
}

void snare_lua_check_condition_program(lua_State *L, int idx,
                                       snare_condition_program *out)
{
  luaL_checktype(L, idx, LUA_TTABLE);
  memset(out, 0, sizeof *out);
  lua_Integer steps = luaL_len(L, idx);
  if (steps < 1 || steps > SNARE_CONDITION_STEPS)
    luaL_error(L, "native condition program: 1 to %d steps expected, got %d",
               SNARE_CONDITION_STEPS, (int)steps);
  for (lua_Integer i = 1; i <= steps; i++) {
    if (lua_rawgeti(L, idx, i) != LUA_TTABLE)
      luaL_error(L, "native condition program: step %d is not a table", (int)i);
    int step = lua_gettop(L);
    snare_condition_step *s = &out->steps[i - 1];
    lua_getfield(L, step, "op");
    s->op = (uint8_t)op_of(L, luaL_checkstring(L, -1));
    lua_pop(L, 1);
    lua_Integer size = step_integer(L, step, "size");
    if (size < 0 || size > 8)
      luaL_error(L, "native condition program: size %d out of range", (int)size);
    s->size = (uint8_t)size;
    lua_getfield(L, step, "signed");
    s->is_signed = lua_toboolean(L, -1);
    lua_pop(L, 1);
    s->operand = (int64_t)step_integer(L, step, "operand");
    lua_pop(L, 1);
  }
  out->step_count = (size_t)steps;
  lua_getfield(L, idx, "names");
  if (lua_istable(L, -1)) {
    lua_Integer names = luaL_len(L, -1);
    if (names > SNARE_CONDITION_NAMES)
      luaL_error(L, "native condition program: at most %d names", SNARE_CONDITION_NAMES);
    for (lua_Integer i = 1; i <= names; i++) {
      lua_rawgeti(L, -1, i);
      size_t len;
      const char *name = luaL_checklstring(L, -1, &len);
      if (len >= SNARE_CONDITION_NAME_MAX)
        luaL_error(L, "native condition program: name '%s' too long", name);
      memcpy(out->names[i - 1], name, len + 1);
      lua_pop(L, 1);
    }
    out->name_count = (size_t)names;
  }
  lua_pop(L, 1);
}
