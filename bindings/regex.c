/*
 * regex.c - gdb's regular expressions for the prompt (rbreak, info
 * sharedlibrary, info args and info locals NAMEREGEXP and -t TYPEREGEXP):
 * POSIX basic regexps through regcomp, as gdb compiles them, so that
 * `\|`, `\(...\)`, `\{1,2\}` and `[[:alpha:]]` mean what they mean there
 * and a bad one is refused in the C library's words.
 *   core.regex(pattern) -> regex | nil, message ("Unmatched ( or \\(";
 *     a pattern with a zero byte is refused)
 *   regex:find(text) -> whether text has a match
 */
#include <lauxlib.h>
#include <regex.h>
#include <string.h>

#include "snare_lua.h"

#define REGEX_TYPE "snare.regex"

static int core_regex(lua_State *L)
{
  size_t length;
  const char *pattern = luaL_checklstring(L, 1, &length);
  if (strlen(pattern) != length) { /* regcomp would read up to the zero */
    lua_pushnil(L);
    lua_pushstring(L, "regex: the pattern holds a zero byte");
    return 2;
  }
  regex_t *re = lua_newuserdatauv(L, sizeof *re, 0);
  int rc = regcomp(re, pattern, REG_NOSUB);
  if (rc != 0) {
    char message[256];
    regerror(rc, re, message, sizeof message);
    lua_pushnil(L);
    lua_pushstring(L, message);
    return 2;
  }
  /* the metatable (and with it regfree at collection) once compiled */
  luaL_setmetatable(L, REGEX_TYPE);
  return 1;
}

static int regex_find(lua_State *L)
{
  regex_t *re = luaL_checkudata(L, 1, REGEX_TYPE);
  const char *text = luaL_checkstring(L, 2);
  lua_pushboolean(L, regexec(re, text, 0, NULL, 0) == 0);
  return 1;
}

static int regex_gc(lua_State *L)
{
  regfree(luaL_checkudata(L, 1, REGEX_TYPE));
  return 0;
}

static const luaL_Reg regex_methods[] = {
    {"find", regex_find},
    {NULL, NULL},
};

static const luaL_Reg regex_functions[] = {
    {"regex", core_regex},
    {NULL, NULL},
};

void snare_lua_open_regex(lua_State *L)
{
  if (luaL_newmetatable(L, REGEX_TYPE)) {
    luaL_newlib(L, regex_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, regex_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_setfuncs(L, regex_functions, 0);
}
