/*
 * values.c - variable values (snare_value trees) as Lua values, and the
 * options table that shapes them.
 */
#include "snare_lua.h"

void snare_lua_value_options(lua_State *L, int idx, snare_value_options *out)
{
  *out = (snare_value_options){0};
  if (lua_isnoneornil(L, idx))
    return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_getfield(L, idx, "strings");
  out->strings = lua_toboolean(L, -1);
  lua_getfield(L, idx, "depth");
  out->max_depth = (unsigned)luaL_optinteger(L, -1, 0);
  lua_getfield(L, idx, "length");
  out->max_elements = (size_t)luaL_optinteger(L, -1, 0);
  lua_pop(L, 3);
}

/* Tables of members or elements; a member without a name is skipped. */
static void push_children(lua_State *L, const snare_value *v, bool by_name)
{
  lua_createtable(L, by_name ? 0 : (int)v->child_count,
                  by_name ? (int)v->child_count : 0);
  for (size_t i = 0; i < v->child_count; i++) {
    const snare_value *c = &v->children[i];
    if (by_name && c->name == NULL)
      continue;
    snare_lua_push_value(L, c);
    if (by_name)
      lua_setfield(L, -2, c->name);
    else
      lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

bool snare_lua_push_value(lua_State *L, const snare_value *v)
{
  switch (v->kind) {
  case SNARE_VALUE_SIGNED:
    lua_pushinteger(L, (lua_Integer)v->i);
    return true;
  case SNARE_VALUE_UNSIGNED:
    lua_pushinteger(L, (lua_Integer)v->u);
    return true;
  case SNARE_VALUE_FLOAT:
    lua_pushnumber(L, v->f);
    return true;
  case SNARE_VALUE_BOOL:
    lua_pushboolean(L, v->u != 0);
    return true;
  case SNARE_VALUE_POINTER:
    if (v->string != NULL)
      lua_pushstring(L, v->string);
    else
      lua_pushinteger(L, (lua_Integer)v->u);
    return true;
  case SNARE_VALUE_ENUM:
    if (v->enumerator != NULL)
      lua_pushstring(L, v->enumerator);
    else
      lua_pushinteger(L, (lua_Integer)v->i);
    return true;
  case SNARE_VALUE_STRUCT:
  case SNARE_VALUE_UNION:
    push_children(L, v, true);
    return true;
  case SNARE_VALUE_ARRAY:
    push_children(L, v, false);
    return true;
  default:
    lua_pushnil(L);
    return false;
  }
}

const char *snare_lua_value_problem(const snare_value *v)
{
  switch (v->kind) {
  case SNARE_VALUE_OPTIMIZED_OUT: return "optimized out";
  case SNARE_VALUE_UNREADABLE: return "memory not readable";
  case SNARE_VALUE_OTHER: return "type not supported";
  case SNARE_VALUE_SYNTHETIC_POINTER: return "synthetic pointer";
  default: return NULL;
  }
}

int snare_lua_push_variable(lua_State *L, snare_status st, snare_value *v,
                            const char *name)
{
  if (st == SNARE_NOT_FOUND) {
    lua_pushnil(L);
    lua_pushfstring(L, "no variable '%s' here", name);
    return 2;
  }
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot read variable", st);
  const char *problem = snare_lua_value_problem(v);
  snare_lua_push_value(L, v);
  snare_value_free(v);
  if (problem == NULL)
    return 1;
  lua_pushstring(L, problem);
  return 2;
}
