/*
 * jit.c - generated code from Lua: core.jit.alloc(size [, opts]) -> JIT
 * memory object, and core.code_register{...} -> code region object.
 *
 * A region is known to the core by its start address only, so a region
 * object could outlive its region (freed with its JIT memory) and then
 * unregister a newer region at the same start. The registry table REGIONS
 * maps each registered start to its live object; only that object may
 * unregister it, and freeing JIT memory closes the objects inside it.
 */
#include <string.h>

#include "snare_lua.h"

#define JIT_TYPE "snare.jit"
#define REGION_TYPE "snare.code_region"
#define REGIONS "snare.code_regions" /* start -> region object */

typedef struct ljit {
  snare_jit *jit; /* NULL once freed */
} ljit;

typedef struct lregion {
  uint64_t start;
  bool registered;
} lregion;

static ljit *checkjit(lua_State *L)
{
  ljit *j = luaL_checkudata(L, 1, JIT_TYPE);
  if (j->jit == NULL)
    luaL_error(L, "JIT memory is freed");
  return j;
}

static void pushregions(lua_State *L)
{
  luaL_getsubtable(L, LUA_REGISTRYINDEX, REGIONS);
}

/* Closes the region objects whose start lies in [start, start+size):
   the core has just unregistered them. */
static void forget_regions(lua_State *L, uint64_t start, uint64_t size)
{
  pushregions(L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    uint64_t at = (uint64_t)lua_tointeger(L, -2);
    if (at - start < size) {
      ((lregion *)lua_touserdata(L, -1))->registered = false;
      lua_pushvalue(L, -2);
      lua_pushnil(L);
      lua_rawset(L, -5); /* clearing a field during lua_next is allowed */
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void free_jit(void *p) { snare_jit_free(p); }

/* jit:free(); also __close and __gc. Idempotent. */
static int jit_free(lua_State *L)
{
  ljit *j = luaL_checkudata(L, 1, JIT_TYPE);
  if (j->jit != NULL) {
    forget_regions(L, snare_jit_address(j->jit), snare_jit_size(j->jit));
    snare_lua_release(free_jit, j->jit);
    j->jit = NULL;
  }
  return 0;
}

/* jit:write(offset, bytes): stores a string's bytes; keeps breakpoints. */
static int jit_write(lua_State *L)
{
  ljit *j = checkjit(L);
  lua_Integer offset = luaL_checkinteger(L, 2);
  size_t n;
  const char *bytes = luaL_checklstring(L, 3, &n);
  luaL_argcheck(L, offset >= 0 && (size_t)offset <= snare_jit_size(j->jit) &&
                       n <= snare_jit_size(j->jit) - (size_t)offset,
                2, "range outside the JIT memory");
  snare_status st = snare_jit_write(j->jit, (size_t)offset, bytes, n);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, "jit", "write", st);
  return 0;
}

/* jit:commit(): makes what was written runnable. */
static int jit_commit(lua_State *L)
{
  snare_status st = snare_jit_commit(checkjit(L)->jit);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, "jit", "commit", st);
  return 0;
}

/* Fields: address, size, dual (two mappings), freed; then methods. */
static int jit_index(lua_State *L)
{
  ljit *j = luaL_checkudata(L, 1, JIT_TYPE);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "freed") == 0) {
    lua_pushboolean(L, j->jit == NULL);
    return 1;
  }
  if (j->jit != NULL && strcmp(key, "address") == 0)
    lua_pushinteger(L, (lua_Integer)snare_jit_address(j->jit));
  else if (j->jit != NULL && strcmp(key, "size") == 0)
    lua_pushinteger(L, (lua_Integer)snare_jit_size(j->jit));
  else if (j->jit != NULL && strcmp(key, "dual") == 0)
    lua_pushboolean(L, snare_jit_dual_mapped(j->jit));
  else
    lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static int jit_tostring(lua_State *L)
{
  ljit *j = luaL_checkudata(L, 1, JIT_TYPE);
  if (j->jit == NULL)
    lua_pushliteral(L, "snare.jit (freed)");
  else
    lua_pushfstring(L, "snare.jit (%d bytes at %p)",
                    (int)snare_jit_size(j->jit),
                    (void *)(uintptr_t)snare_jit_address(j->jit));
  return 1;
}

/* jit.alloc(size [, {single = true}]) -> JIT memory | nil, message */
static int jit_alloc(lua_State *L)
{
  lua_Integer size = luaL_checkinteger(L, 1);
  luaL_argcheck(L, size > 0, 1, "size must be positive");
  unsigned flags = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    if (lua_getfield(L, 2, "single") != LUA_TNIL && lua_toboolean(L, -1))
      flags |= SNARE_JIT_SINGLE_MAPPING;
    lua_pop(L, 1);
  }
  ljit *j = lua_newuserdatauv(L, sizeof *j, 0);
  j->jit = NULL; /* created closed */
  luaL_setmetatable(L, JIT_TYPE);
  snare_status st = snare_jit_alloc((size_t)size, flags, &j->jit);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "jit.alloc", st);
  return 1;
}

/* ---- code regions ---- */

/* Integer field `key` of the table at idx; raises if missing. */
static uint64_t need_integer(lua_State *L, int idx, const char *key)
{
  if (lua_getfield(L, idx, key) != LUA_TNUMBER || !lua_isinteger(L, -1))
    luaL_error(L, "bad field '%s' (integer expected, got %s)", key,
               luaL_typename(L, -1));
  uint64_t v = (uint64_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

/* String field `key` of the table at idx, left on the stack (so it
   lives as long as the call); raises if missing. */
static const char *need_string(lua_State *L, int idx, const char *key)
{
  if (lua_getfield(L, idx, key) != LUA_TSTRING)
    luaL_error(L, "bad field '%s' (string expected, got %s)", key,
               luaL_typename(L, -1));
  return lua_tostring(L, -1);
}

/* The list field `key` of the table at 1 as a buffer of n elements of
   `size` bytes (a userdata left on the stack); NULL if absent. */
static void *list_buffer(lua_State *L, const char *key, size_t size,
                         size_t *n)
{
  *n = 0;
  if (lua_getfield(L, 1, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return NULL;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "bad field '%s' (table expected, got %s)", key,
               luaL_typename(L, -1));
  *n = (size_t)luaL_len(L, -1);
  lua_replace(L, 2); /* the list, kept at 2 */
  return lua_newuserdatauv(L, *n * size + 1, 0);
}

/* Fills info's functions and lines from the table at 1. */
static void read_lists(lua_State *L, snare_code_info *info)
{
  snare_code_function *fns = list_buffer(
      L, "symbols", sizeof *fns, &info->function_count);
  for (size_t i = 0; i < info->function_count; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    int t = lua_gettop(L);
    fns[i].start = need_integer(L, t, "start");
    fns[i].size = need_integer(L, t, "size");
    fns[i].name = need_string(L, t, "name"); /* stays referenced by 1 */
    lua_settop(L, t - 1);
  }
  info->functions = fns;
  lua_pushnil(L);
  lua_replace(L, 2);
  snare_code_line *lines =
      list_buffer(L, "lines", sizeof *lines, &info->line_count);
  for (size_t i = 0; i < info->line_count; i++) {
    lua_rawgeti(L, 2, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    int t = lua_gettop(L);
    lines[i].address = need_integer(L, t, "address");
    uint64_t line = need_integer(L, t, "line");
    luaL_argcheck(L, line <= UINT32_MAX, 1, "line out of range");
    lines[i].line = (unsigned)line;
    lines[i].file = need_string(L, t, "file");
    lua_settop(L, t - 1);
  }
  info->lines = lines;
}

/*
 * core.code_register{start=, size=, name=, symbols = {{name=, start=,
 * size=}...}, lines = {{address=, file=, line=}...}} -> region |
 * nil, message, status
 */
static int code_register(lua_State *L)
{
  snare_lua_check_no_callback(L, "register code");
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_pushnil(L); /* 2: the list being read */
  snare_code_info info = {0};
  info.start = need_integer(L, 1, "start");
  info.size = need_integer(L, 1, "size");
  info.name = need_string(L, 1, "name");
  read_lists(L, &info);
  snare_status st = snare_code_register_info(&info);
  if (st != SNARE_OK)
    return snare_lua_fail(L, lua_pushfstring(L, "cannot register '%s'",
                                             info.name),
                          st);
  lregion *r = lua_newuserdatauv(L, sizeof *r, 0);
  *r = (lregion){.start = info.start, .registered = true};
  luaL_setmetatable(L, REGION_TYPE);
  pushregions(L);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, (lua_Integer)info.start);
  lua_pop(L, 1);
  return 1;
}

static void unregister_region(void *start)
{
  snare_code_unregister((uint64_t)(uintptr_t)start);
}

/* region:unregister(); also __close and __gc. Idempotent. */
static int region_unregister(lua_State *L)
{
  lregion *r = luaL_checkudata(L, 1, REGION_TYPE);
  if (!r->registered)
    return 0;
  r->registered = false;
  pushregions(L);
  if (lua_rawgeti(L, -1, (lua_Integer)r->start) == LUA_TUSERDATA &&
      lua_touserdata(L, -1) == r) {
    lua_pushnil(L);
    lua_rawseti(L, -3, (lua_Integer)r->start);
    snare_lua_release(unregister_region, (void *)(uintptr_t)r->start);
  }
  lua_pop(L, 2);
  return 0;
}

static int region_index(lua_State *L)
{
  lregion *r = luaL_checkudata(L, 1, REGION_TYPE);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "start") == 0)
    lua_pushinteger(L, (lua_Integer)r->start);
  else if (strcmp(key, "registered") == 0)
    lua_pushboolean(L, r->registered);
  else
    lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

static const luaL_Reg jit_methods[] = {
    {"write", jit_write}, {"commit", jit_commit},
    {"free", jit_free},   {"close", jit_free},
    {NULL, NULL},
};

static const luaL_Reg jit_meta[] = {
    {"__gc", jit_free}, {"__close", jit_free}, {"__tostring", jit_tostring},
    {NULL, NULL},
};

static const luaL_Reg region_methods[] = {
    {"unregister", region_unregister}, {"close", region_unregister},
    {NULL, NULL},
};

static const luaL_Reg region_meta[] = {
    {"__gc", region_unregister}, {"__close", region_unregister},
    {NULL, NULL},
};

/* Registers a type whose __index serves fields through index and then
   the methods. */
static void new_type(lua_State *L, const char *name, const luaL_Reg *meta,
                     const luaL_Reg *methods, lua_CFunction index)
{
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushcclosure(L, index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}

void snare_lua_open_jit(lua_State *L)
{
  new_type(L, JIT_TYPE, jit_meta, jit_methods, jit_index);
  new_type(L, REGION_TYPE, region_meta, region_methods, region_index);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, jit_alloc);
  lua_setfield(L, -2, "alloc");
  lua_setfield(L, -2, "jit");
  lua_pushcfunction(L, code_register);
  lua_setfield(L, -2, "code_register");
}
