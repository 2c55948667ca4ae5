/*
 * call.c - session methods that run the worker: call, call_main, resume,
 * continue, step, abort. Each blocks until the worker stops and returns
 * a stop table.
 */
#include <string.h>

#include "snare_lua.h"

#define MAX_ARGS 8

lsession *snare_lua_checkcontroller(lua_State *L, const char *what)
{
  lsession *s = snare_lua_checksession(L, 1);
  snare_lua_check_no_callback(L, what);
  snare_lua_drain();
  snare_lua_set_callback_timeout(s->timeout_ms);
  return s;
}

/* Copies the string at idx into a userdata appended to the table at keep;
   returns the copy, which the target may even write to. */
static char *keep_string(lua_State *L, int idx, int keep)
{
  size_t len;
  const char *str = lua_tolstring(L, idx, &len);
  char *copy = lua_newuserdatauv(L, len + 1, 0);
  memcpy(copy, str, len + 1);
  lua_rawseti(L, keep, (lua_Integer)lua_rawlen(L, keep) + 1);
  return copy;
}

/* Converts the call argument at idx to the uint64 the target receives. */
uint64_t snare_lua_call_argument(lua_State *L, int idx, int keep)
{
  switch (lua_type(L, idx)) {
  case LUA_TNIL:
    return 0;
  case LUA_TBOOLEAN:
    return lua_toboolean(L, idx) ? 1 : 0;
  case LUA_TNUMBER:
    return (uint64_t)luaL_checkinteger(L, idx); /* floats must be integral */
  case LUA_TSTRING:
    return (uint64_t)(uintptr_t)keep_string(L, idx, keep);
  case LUA_TLIGHTUSERDATA:
    return (uint64_t)(uintptr_t)lua_touserdata(L, idx);
  default:
    return (uint64_t)luaL_typeerror(
        L, idx, "integer, boolean, nil, string or light userdata");
  }
}

int snare_lua_finish_resume(lua_State *L, lsession *s, const char *what,
                            snare_status st, const snare_stop *stop, int keep)
{
  if (st != SNARE_OK)
    return luaL_error(L, SESSION_TYPE ": cannot %s: %s", what,
                      snare_status_message(st));
  s->stop_seq++;
  if (stop->kind == SNARE_STOP_EXIT || stop->kind == SNARE_STOP_ABORTED) {
    lua_newtable(L);
    lua_setiuservalue(L, 1, SESSION_UV_KEEP);
  } else if (keep != 0) {
    lua_pushvalue(L, keep);
    lua_setiuservalue(L, 1, SESSION_UV_KEEP);
  }
  snare_lua_push_stop(L, 1, stop);
  snare_lua_prune_breakpoints(L, 1);
  return 1;
}

/* s:call(fn, ...) -> stop. fn: address or symbol name; at most 8 args. */
static int session_call(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "call a session");
  int nargs = lua_gettop(L) - 2;
  if (nargs > MAX_ARGS)
    return luaL_argerror(L, 2 + MAX_ARGS + 1, "too many arguments (at most 8)");
  lua_newtable(L);
  int keep = lua_gettop(L);
  uint64_t fn;
  snare_lua_checkaddress(L, 2, &fn);
  lua_rawseti(L, keep, 1); /* the library defining fn, if any */
  uint64_t args[MAX_ARGS];
  for (int i = 0; i < nargs; i++)
    args[i] = snare_lua_call_argument(L, 3 + i, keep);
  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st = snare_call(s->session, fn, (unsigned)nargs, args, &stop);
  snare_lua_wait_end();
  return snare_lua_finish_resume(L, s, "call", st, &stop, keep);
}

/* s:call_main(fn, {"arg0", ...}) -> stop, for int fn(int argc, char **argv). */
static int session_call_main(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "call a session");
  luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  lua_newtable(L);
  int keep = 4;
  uint64_t fn;
  snare_lua_checkaddress(L, 2, &fn);
  lua_rawseti(L, keep, 1);

  lua_Integer argc = luaL_len(L, 3);
  luaL_argcheck(L, argc >= 0 && argc < 4096, 3, "too many arguments");
  size_t bytes = ((size_t)argc + 1) * sizeof(char *);
  for (lua_Integer i = 1; i <= argc; i++) {
    lua_geti(L, 3, i);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_argerror(
          L, 3, lua_pushfstring(L, "argv[%d] is not a string", (int)i - 1));
    bytes += lua_rawlen(L, -1) + 1;
    lua_pop(L, 1);
  }
  /* One block: the pointer array, then the strings it points at. */
  char **argv = lua_newuserdatauv(L, bytes, 0);
  char *text = (char *)(argv + argc + 1);
  for (lua_Integer i = 1; i <= argc; i++) {
    size_t len;
    lua_geti(L, 3, i);
    const char *str = lua_tolstring(L, -1, &len);
    memcpy(text, str, len + 1);
    argv[i - 1] = text;
    text += len + 1;
    lua_pop(L, 1);
  }
  argv[argc] = NULL;
  lua_rawseti(L, keep, 2);

  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st =
      snare_call_main(s->session, fn, (int)argc, argv, &stop);
  snare_lua_wait_end();
  return snare_lua_finish_resume(L, s, "call", st, &stop, keep);
}

static const char *const mode_names[] = {"continue", "step", "abort", NULL};
static const snare_resume_mode modes[] = {
    SNARE_RESUME_CONTINUE, SNARE_RESUME_STEP_INSTRUCTION, SNARE_RESUME_ABORT};

static int resume(lua_State *L, lsession *s, snare_resume_mode mode,
                  const uint64_t *pc)
{
  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st = snare_resume(s->session, mode, pc, &stop);
  snare_lua_wait_end();
  return snare_lua_finish_resume(L, s, "resume", st, &stop, 0);
}

/* s:resume{mode = "continue"|"step"|"abort", pc = address} -> stop. */
static int session_resume(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "resume a session");
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  snare_resume_mode mode = SNARE_RESUME_CONTINUE;
  uint64_t pc = 0;
  bool has_pc = false;
  if (lua_istable(L, 2)) {
    /* Field errors blame the options (argument 2) and name the field. */
    if (lua_getfield(L, 2, "mode") != LUA_TNIL && !lua_isstring(L, 3))
      return luaL_argerror(
          L, 2, lua_pushfstring(L, "field 'mode': \"continue\", \"step\" or "
                                   "\"abort\" expected, got %s",
                                luaL_typename(L, 3)));
    const char *name = luaL_optstring(L, 3, "continue");
    int i = 0;
    while (mode_names[i] != NULL && strcmp(mode_names[i], name) != 0)
      i++;
    if (mode_names[i] == NULL)
      return luaL_argerror(L, 2, lua_pushfstring(L, "invalid mode '%s'", name));
    mode = modes[i];
    if (lua_getfield(L, 2, "pc") != LUA_TNIL) {
      int type = lua_type(L, 4);
      if (!lua_isinteger(L, 4) && type != LUA_TLIGHTUSERDATA &&
          type != LUA_TSTRING)
        return luaL_argerror(
            L, 2, lua_pushfstring(L, "field 'pc': address or symbol name "
                                     "expected, got %s",
                                  type == LUA_TNUMBER ? "a fraction"
                                                      : luaL_typename(L, 4)));
      snare_lua_checkaddress(L, 4, &pc);
      has_pc = true;
    }
    lua_settop(L, 2);
  }
  return resume(L, s, mode, has_pc ? &pc : NULL);
}

static int session_continue(lua_State *L)
{
  return resume(L, snare_lua_checkcontroller(L, "resume a session"), SNARE_RESUME_CONTINUE, NULL);
}

static int session_step(lua_State *L)
{
  return resume(L, snare_lua_checkcontroller(L, "resume a session"),
                SNARE_RESUME_STEP_INSTRUCTION, NULL);
}

static int session_abort(lua_State *L)
{
  return resume(L, snare_lua_checkcontroller(L, "resume a session"), SNARE_RESUME_ABORT, NULL);
}

const luaL_Reg snare_lua_call_methods[] = {
    {"call", session_call},
    {"call_main", session_call_main},
    {"call_abi", snare_lua_session_call_abi},
    {"resume", session_resume},
    {"continue", session_continue},
    {"step", session_step},
    {"abort", session_abort},
    {NULL, NULL},
};
