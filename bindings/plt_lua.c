/*
 * plt_lua.c - library calls made hookable from Lua:
 *   core.plt_stubs(lib) -> {{name=, address=, target=}...} | nil, message,
 *     status
 * (snare_plt_stubs: hook a stub's address to catch lib's calls through
 * that PLT slot).
 */
#include <lauxlib.h>

#include "snare_lua.h"

static int core_plt_stubs(lua_State *L)
{
  snare_lua_check_no_callback(L, "make PLT stubs");
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const snare_plt_stub *stubs;
  size_t n;
  snare_status st = snare_plt_stubs(lib, &stubs, &n);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot make PLT stubs", st);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, stubs[i].name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)stubs[i].address);
    lua_setfield(L, -2, "address");
    lua_pushinteger(L, (lua_Integer)stubs[i].target);
    lua_setfield(L, -2, "target");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static const luaL_Reg plt_functions[] = {
    {"plt_stubs", core_plt_stubs},
    {NULL, NULL},
};

void snare_lua_open_plt(lua_State *L) { luaL_setfuncs(L, plt_functions, 0); }
