/*
 * call_abi.c - s:call_abi(fn, plan): a call whose arguments the caller
 * placed by their System V classes (snare_call_abi), for doubles,
 * floats and structs by value; the stop of a call that exited carries
 * both eightbytes of the result and a struct returned in memory.
 */
#include <string.h>

#include "snare_lua.h"

static const char *const return_classes[] = {"integer", "sse", "integer_sse",
                                             "sse_integer", NULL};

#define PLAN 3 /* s:call_abi(fn, plan): the plan's stack index */
#define MAX_MEMORY_RESULT (1 << 20) /* bytes of a struct returned in memory */

/* Fills n words from the list in field `name` of the plan: integers and
   call arguments (ints), or 8-byte strings (sse). */
static void words(lua_State *L, const char *name, uint64_t *out, size_t n,
                  int keep, bool bytes)
{
  lua_getfield(L, PLAN, name);
  lua_Integer len = lua_istable(L, -1) ? (lua_Integer)lua_rawlen(L, -1) : 0;
  if (len > (lua_Integer)n)
    luaL_error(L, SESSION_TYPE ": call_abi: more than %d %s words", (int)n,
               name);
  if (!lua_isnil(L, -1) && !lua_istable(L, -1))
    luaL_error(L, SESSION_TYPE ": call_abi: %s must be a list", name);
  for (lua_Integer i = 1; i <= len; i++) {
    lua_rawgeti(L, -1, i);
    if (bytes) {
      size_t size;
      const char *s = lua_tolstring(L, -1, &size);
      if (s == NULL || lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, SESSION_TYPE ": call_abi: sse words are 8-byte strings");
      memcpy(&out[i - 1], s, size < 8 ? size : 8);
    } else {
      out[i - 1] = snare_lua_call_argument(L, lua_gettop(L), keep);
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* s:call_abi(fn, {ints =, sse =, stack =, ret =, memory = size}) -> stop;
   an exited call's stop has returned = {first =, second = [, memory =]}.
   memory: the result is a struct returned in memory, whose buffer snare
   passes in rdi (ints[1] is left for it). */
int snare_lua_session_call_abi(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "call a session");
  luaL_checktype(L, PLAN, LUA_TTABLE);
  lua_settop(L, PLAN);
  lua_newtable(L);
  int keep = lua_gettop(L);
  uint64_t fn;
  snare_lua_checkaddress(L, 2, &fn);
  lua_rawseti(L, keep, 1);
  snare_call_args *args = lua_newuserdatauv(L, sizeof *args, 0);
  memset(args, 0, sizeof *args);
  lua_rawseti(L, keep, 2);
  words(L, "ints", args->ints, 6, keep, false);
  words(L, "sse", args->sse, 8, keep, true);
  words(L, "stack", args->stack, SNARE_CALL_STACK_WORDS, keep, false);
  lua_getfield(L, PLAN, "ret");
  const char *ret = lua_isnil(L, -1) ? "integer" : lua_tostring(L, -1);
  int class = 0;
  while (return_classes[class] != NULL &&
         (ret == NULL || strcmp(return_classes[class], ret) != 0))
    class++;
  if (return_classes[class] == NULL)
    return luaL_error(L, SESSION_TYPE ": call_abi: unknown ret class '%s'",
                      luaL_tolstring(L, -1, NULL));
  args->ret = (snare_return_class)class;
  lua_pop(L, 1);
  lua_getfield(L, PLAN, "memory");
  lua_Integer memory = lua_isnil(L, -1) ? 0 : lua_tointeger(L, -1);
  if (memory < 0 || memory > MAX_MEMORY_RESULT ||
      (!lua_isnil(L, -1) && !lua_isinteger(L, -1)))
    return luaL_error(L, SESSION_TYPE ": call_abi: memory must be a size "
                         "from 0 to %d", MAX_MEMORY_RESULT);
  lua_pop(L, 1);
  unsigned char *buffer = NULL;
  if (memory > 0) {
    buffer = lua_newuserdatauv(L, (size_t)memory, 0);
    memset(buffer, 0, (size_t)memory);
    args->ints[0] = (uint64_t)(uintptr_t)buffer;
    lua_rawseti(L, keep, 3);
  }
  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st = snare_call_abi(s->session, fn, args, &stop);
  snare_lua_wait_end();
  snare_call_result result;
  bool exited = st == SNARE_OK && stop.kind == SNARE_STOP_EXIT &&
                snare_call_result_get(s->session, &result) == SNARE_OK;
  if (exited && buffer != NULL) /* the stop forgets what the call kept */
    lua_pushlstring(L, (const char *)buffer, (size_t)memory);
  else
    lua_pushnil(L);
  int memory_bytes = lua_gettop(L);
  snare_lua_finish_resume(L, s, "call", st, &stop, keep);
  if (exited) {
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)result.first);
    lua_setfield(L, -2, "first");
    lua_pushinteger(L, (lua_Integer)result.second);
    lua_setfield(L, -2, "second");
    lua_pushvalue(L, memory_bytes);
    lua_setfield(L, -2, "memory");
    lua_setfield(L, -2, "returned");
  }
  return 1;
}
