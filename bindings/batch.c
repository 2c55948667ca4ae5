/*
 * batch.c - core.batch(fn, ...): calls fn(...) with the breakpoints it
 * sets written as one batch (snare_batch_begin/end), and returns what fn
 * returns; an error in fn ends the batch and is raised again.
 */
#include "snare_lua.h"

static int core_batch(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  snare_lua_check_no_callback(L, "batch breakpoints");
  snare_status status = snare_batch_begin();
  if (status != SNARE_OK)
    return snare_lua_status_error(L, "snare", "batch", status);
  int nargs = lua_gettop(L) - 1;
  int failed = lua_pcall(L, nargs, LUA_MULTRET, 0);
  status = snare_batch_end();
  if (failed != LUA_OK)
    return lua_error(L);
  if (status != SNARE_OK)
    return snare_lua_status_error(L, "snare", "batch", status);
  return lua_gettop(L);
}

const luaL_Reg snare_lua_batch_functions[] = {
    {"batch", core_batch},
    {NULL, NULL},
};
