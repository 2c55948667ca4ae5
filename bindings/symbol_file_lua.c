/*
 * symbol_file_lua.c - the symbols of a file the process has mapped,
 * read without loading it (snare_symbol_file_read):
 *   core.symbol_file(path, mapped_at) -> {start=, file_end=, symbols =
 *     {{name=, address=, size=, is_function=}...}} | nil, message, status
 *   core.demangle(name [, form]) -> a mangled C++ name's "qualified" form
 *     (the default, snare_symbol_demangle), its "signature"
 *     (snare_symbol_signature) or its "full" text
 *     (snare_symbol_demangle_full) | nil
 */
#include <lauxlib.h>
#include <stdlib.h>

#include "snare_lua.h"

static int core_symbol_file(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  uint64_t mapped_at = (uint64_t)luaL_checkinteger(L, 2);
  snare_symbol_file *f;
  snare_status st = snare_symbol_file_read(path, mapped_at, &f);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot read the symbols", st);
  uint64_t start, file_end;
  snare_symbol_file_span(f, &start, &file_end);
  size_t n = snare_symbol_file_symbols(f, NULL, 0);
  snare_symbol *symbols = malloc((n + 1) * sizeof *symbols);
  if (symbols == NULL) {
    snare_symbol_file_free(f);
    return snare_lua_fail(L, "cannot read the symbols", SNARE_NO_MEMORY);
  }
  snare_symbol_file_symbols(f, symbols, n);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)start);
  lua_setfield(L, -2, "start");
  lua_pushinteger(L, (lua_Integer)file_end);
  lua_setfield(L, -2, "file_end");
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    lua_pushstring(L, symbols[i].name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, (lua_Integer)symbols[i].address);
    lua_setfield(L, -2, "address");
    lua_pushinteger(L, (lua_Integer)symbols[i].size);
    lua_setfield(L, -2, "size");
    lua_pushboolean(L, symbols[i].is_function);
    lua_setfield(L, -2, "is_function");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "symbols");
  free(symbols);
  snare_symbol_file_free(f);
  return 1;
}

static int core_demangle(lua_State *L)
{
  static const char *const forms[] = {"qualified", "signature", "full", NULL};
  char *(*const demanglers[])(const char *) = {
      snare_symbol_demangle, snare_symbol_signature,
      snare_symbol_demangle_full};
  const char *mangled = luaL_checkstring(L, 1);
  char *name =
      demanglers[luaL_checkoption(L, 2, "qualified", forms)](mangled);
  if (name == NULL)
    return 0;
  lua_pushstring(L, name);
  free(name);
  return 1;
}

static const luaL_Reg symbol_file_functions[] = {
    {"symbol_file", core_symbol_file},
    {"demangle", core_demangle},
    {NULL, NULL},
};

void snare_lua_open_symbol_file(lua_State *L)
{
  luaL_setfuncs(L, symbol_file_functions, 0);
}
