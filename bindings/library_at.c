/*
 * library_at.c - which loaded library an address is in, for the C
 * expressions of the prompt (snare.expr.env): a name is looked up first
 * in the selected frame's own object, as gdb looks first in the frame's
 * compilation unit.
 *   core.library_at(addr) -> the library (loaded through snare.load)
 *     one of whose symbols holds addr, or nil
 */
#include <lauxlib.h>

#include "snare_lua.h"

static bool holds(snare_library *lib, void *addr)
{
  snare_symbol sym;
  return snare_library_symbol_at(lib, *(const uint64_t *)addr, &sym) ==
         SNARE_OK;
}

static int core_library_at(lua_State *L)
{
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 1);
  if (!snare_lua_find_library(L, holds, &addr))
    lua_pushnil(L);
  return 1;
}

static const luaL_Reg library_at_functions[] = {
    {"library_at", core_library_at},
    {NULL, NULL},
};

void snare_lua_open_library_at(lua_State *L)
{
  luaL_setfuncs(L, library_at_functions, 0);
}
