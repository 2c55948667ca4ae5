/*
 * library.c - shared objects loaded through snare.load, their symbols, and
 * symbol resolution across all of them.
 *
 * Loaded libraries are remembered weakly (registry table LIBRARIES, slot
 * -> library, weak values) so a name given to s:call or s:breakpoint can
 * be resolved without holding libraries alive; slots are in load order,
 * so the first library that loaded a name wins.
 */
#include <stdio.h>
#include <string.h>

#include "snare_lua.h"

#define LIBRARIES "snare.libraries"

typedef struct llibrary {
  snare_library *lib; /* NULL once closed */
  lua_Integer slot;
  uint64_t base;
} llibrary;

static llibrary *checklibrary(lua_State *L, int idx)
{
  llibrary *l = luaL_checkudata(L, idx, LIBRARY_TYPE);
  if (l->lib == NULL)
    luaL_error(L, LIBRARY_TYPE ": closed");
  return l;
}

static void pushlibraries(lua_State *L)
{
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LIBRARIES);
}

static void push_symbol(lua_State *L, const snare_symbol *sym, int lidx)
{
  lua_createtable(L, 0, 6);
  lua_pushstring(L, sym->name);
  lua_setfield(L, -2, "name");
  lua_pushinteger(L, (lua_Integer)sym->address);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, (lua_Integer)sym->size);
  lua_setfield(L, -2, "size");
  lua_pushboolean(L, sym->is_function);
  lua_setfield(L, -2, "is_function");
  if (lua_type(L, lidx) == LUA_TUSERDATA) /* nil: registered JIT code */
    lua_getiuservalue(L, lidx, 1);
  else
    lua_pushnil(L);
  lua_setfield(L, -2, "library");
}

static int fail_symbol(lua_State *L, const char *name, int lidx)
{
  luaL_pushfail(L);
  lua_getiuservalue(L, lidx, 1);
  lua_pushfstring(L, "unknown symbol '%s' in %s", name, lua_tostring(L, -1));
  lua_remove(L, -2);
  return 2;
}

static int fail_address(lua_State *L, uint64_t addr)
{
  char msg[64];
  snprintf(msg, sizeof msg, "no symbol at 0x%llx", (unsigned long long)addr);
  luaL_pushfail(L);
  lua_pushstring(L, msg);
  return 2;
}

/* lib:symbol(name) -> address | nil, message */
static int lib_symbol(lua_State *L)
{
  llibrary *l = checklibrary(L, 1);
  const char *name = luaL_checkstring(L, 2);
  snare_symbol sym;
  if (snare_library_symbol(l->lib, name, &sym) != SNARE_OK)
    return fail_symbol(L, name, 1);
  lua_pushinteger(L, (lua_Integer)sym.address);
  return 1;
}

/* lib:symbol_info(name) -> {name, address, size, is_function, library} */
static int lib_symbol_info(lua_State *L)
{
  llibrary *l = checklibrary(L, 1);
  const char *name = luaL_checkstring(L, 2);
  snare_symbol sym;
  if (snare_library_symbol(l->lib, name, &sym) != SNARE_OK)
    return fail_symbol(L, name, 1);
  push_symbol(L, &sym, 1);
  return 1;
}

/* lib:symbol_at(addr) -> symbol table with offset | nil, message */
static int lib_symbol_at(lua_State *L)
{
  llibrary *l = checklibrary(L, 1);
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 2);
  snare_symbol sym;
  if (snare_library_symbol_at(l->lib, addr, &sym) != SNARE_OK)
    return fail_address(L, addr);
  push_symbol(L, &sym, 1);
  lua_pushinteger(L, (lua_Integer)(addr - sym.address));
  lua_setfield(L, -2, "offset");
  return 1;
}

static void close_library(void *p)
{
  snare_library_close(p);
}

/* Ends the library object at index 1 if open, through `end` (close or
   unloaded). Idempotent. */
static int end_library(lua_State *L, void (*end)(snare_library *))
{
  llibrary *l = luaL_checkudata(L, 1, LIBRARY_TYPE);
  if (l->lib == NULL)
    return 0;
  snare_lua_check_no_callback(L, "close a library");
  snare_library *lib = l->lib;
  l->lib = NULL;
  end(lib);
  pushlibraries(L);
  lua_pushnil(L);
  lua_rawseti(L, -2, l->slot);
  return 0;
}

/* Closes (unloads) the library at index 1 if open; its breakpoints go
   with it. Idempotent. */
static int lib_close(lua_State *L)
{
  return end_library(L, snare_library_close);
}

/* lib:unloaded(): the program's loader unmapped the object (its
   dlclose): its breakpoints, hooks and marks are forgotten without a
   write, and lib closed. Idempotent. */
static int lib_unloaded(lua_State *L)
{
  return end_library(L, snare_library_unloaded);
}

static int lib_gc(lua_State *L)
{
  llibrary *l = luaL_checkudata(L, 1, LIBRARY_TYPE);
  if (l->lib != NULL) { /* the weak slot empties itself */
    snare_library *lib = l->lib;
    l->lib = NULL;
    snare_lua_release(close_library, lib);
  }
  return 0;
}

/* __index: methods, then closed, path (always) and base. */
static int lib_index(lua_State *L)
{
  llibrary *l = luaL_checkudata(L, 1, LIBRARY_TYPE);
  const char *key = snare_lua_index_key(L);
  if (key == NULL)
    return 1;
  if (strcmp(key, "closed") == 0)
    lua_pushboolean(L, l->lib == NULL);
  else if (strcmp(key, "path") == 0)
    lua_getiuservalue(L, 1, 1);
  else if (strcmp(key, "base") == 0)
    lua_pushinteger(L, (lua_Integer)checklibrary(L, 1)->base);
  else
    lua_pushnil(L);
  return 1;
}

static int lib_tostring(lua_State *L)
{
  llibrary *l = luaL_checkudata(L, 1, LIBRARY_TYPE);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "snare.library (%s%s)", lua_tostring(L, -1),
                  l->lib == NULL ? ", closed" : "");
  return 1;
}

/* Wraps what snare_library_open, snare_library_describe (described) or
   snare_library_open_program (path NULL) opens as a library object:
   library | nil, message. */
static int push_opened(lua_State *L, const char *path, bool described,
                       uint64_t bias)
{
  snare_lua_drain();
  llibrary *l = lua_newuserdatauv(L, sizeof *l, 1);
  memset(l, 0, sizeof *l);
  luaL_setmetatable(L, LIBRARY_TYPE);
  snare_library *lib;
  snare_status st = described      ? snare_library_describe(path, bias, &lib)
                   : path != NULL ? snare_library_open(path, &lib)
                                  : snare_library_open_program(&lib);
  if (st != SNARE_OK) {
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot load %s: %s", path ? path : "the program",
                    st == SNARE_LOAD_FAILED ? snare_library_error()
                                            : snare_status_message(st));
    return 2;
  }
  lua_pushstring(L, snare_library_path(lib));
  lua_setiuservalue(L, -2, 1);
  l->lib = lib;
  l->base = snare_library_base(lib);
  pushlibraries(L);
  lua_getfield(L, -1, "n");
  l->slot = lua_tointeger(L, -1) + 1;
  lua_pop(L, 1);
  lua_pushinteger(L, l->slot);
  lua_setfield(L, -2, "n");
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, l->slot);
  lua_pop(L, 1);
  return 1;
}

/* core.load(path [, bias]) -> library | nil, message. With a bias: the
   object the loader mapped there under that name, described, not
   loaded (snare_library_describe). */
static int core_load(lua_State *L)
{
  snare_lua_check_no_callback(L, "load a library");
  const char *path = luaL_checkstring(L, 1);
  if (lua_isnoneornil(L, 2))
    return push_opened(L, path, false, 0);
  return push_opened(L, path, true, (uint64_t)luaL_checkinteger(L, 2));
}

/* core.load_program() -> the main program as a library | nil, message */
static int core_load_program(lua_State *L)
{
  snare_lua_check_no_callback(L, "load a library");
  return push_opened(L, NULL, false, 0);
}

snare_library *snare_lua_checklibrary(lua_State *L, int idx)
{
  return checklibrary(L, idx)->lib;
}

/* A symbol lookup: key in, symbol out. */
typedef struct symbol_query {
  const void *key;
  snare_symbol *sym;
} symbol_query;

static bool by_name(snare_library *lib, void *query)
{
  symbol_query *q = query;
  return snare_library_symbol(lib, q->key, q->sym) == SNARE_OK;
}

static bool by_address(snare_library *lib, void *query)
{
  symbol_query *q = query;
  return snare_library_symbol_at(lib, *(const uint64_t *)q->key, q->sym) ==
         SNARE_OK;
}

/* Looks key up in the loaded libraries as snare_lua_find_library. */
static bool find(lua_State *L, snare_lua_library_match match, const void *key,
                 snare_symbol *sym)
{
  symbol_query q = {key, sym};
  return snare_lua_find_library(L, match, &q);
}

bool snare_lua_find_library(lua_State *L, snare_lua_library_match match,
                            void *ctx)
{
  pushlibraries(L);
  lua_getfield(L, -1, "n");
  lua_Integer n = lua_tointeger(L, -1);
  lua_pop(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_rawgeti(L, -1, i) == LUA_TUSERDATA) {
      llibrary *l = lua_touserdata(L, -1);
      if (l->lib != NULL && match(l->lib, ctx)) {
        lua_remove(L, -2);
        return true;
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return false;
}

void snare_lua_checkaddress(lua_State *L, int idx, uint64_t *addr)
{
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER:
    *addr = (uint64_t)luaL_checkinteger(L, idx);
    lua_pushnil(L);
    return;
  case LUA_TLIGHTUSERDATA:
    *addr = (uint64_t)(uintptr_t)lua_touserdata(L, idx);
    lua_pushnil(L);
    return;
  case LUA_TSTRING: {
    snare_symbol sym;
    const char *name = lua_tostring(L, idx);
    if (!find(L, by_name, name, &sym)) {
      if (snare_code_symbol(name, &sym) != SNARE_OK)
        luaL_error(L, "unknown symbol '%s'", name);
      lua_pushnil(L); /* registered JIT code: no library */
    }
    *addr = sym.address;
    return;
  }
  default:
    luaL_typeerror(L, idx, "address or symbol name");
  }
}

/* core.symbol(name) -> address, library (nil for a function of
   registered JIT code) | nil, message */
static int core_symbol(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  snare_symbol sym;
  if (!find(L, by_name, name, &sym)) {
    if (snare_code_symbol(name, &sym) == SNARE_OK) {
      lua_pushinteger(L, (lua_Integer)sym.address);
      lua_pushnil(L);
      return 2;
    }
    luaL_pushfail(L);
    lua_pushfstring(L, "unknown symbol '%s'", name);
    return 2;
  }
  lua_pushinteger(L, (lua_Integer)sym.address);
  lua_insert(L, -2);
  return 2;
}

/* core.symbol_at(addr) -> symbol table with offset | nil, message */
static int core_symbol_at(lua_State *L)
{
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 1);
  snare_symbol sym;
  if (!find(L, by_address, &addr, &sym)) {
    if (snare_code_symbol_at(addr, &sym) != SNARE_OK)
      return fail_address(L, addr);
    lua_pushnil(L); /* registered JIT code: no library */
  }
  push_symbol(L, &sym, lua_gettop(L));
  lua_pushinteger(L, (lua_Integer)(addr - sym.address));
  lua_setfield(L, -2, "offset");
  return 1;
}

/* lib:functions() -> list of function symbol tables, one per function
   (snare_library_functions), in address order */
static int lib_functions(lua_State *L)
{
  llibrary *l = checklibrary(L, 1);
  size_t count = snare_library_functions(l->lib, NULL, 0);
  snare_symbol *symbols = lua_newuserdatauv(L, count * sizeof *symbols + 1, 0);
  snare_library_functions(l->lib, symbols, count);
  lua_createtable(L, (int)count, 0);
  for (size_t i = 0; i < count; i++) {
    push_symbol(L, &symbols[i], 1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* core.program_is_dynamic(path) -> boolean | nil, message */
static int core_program_is_dynamic(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  bool dynamic = false;
  snare_status st = snare_program_is_dynamic(path, &dynamic);
  if (st != SNARE_OK) {
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot read %s as an ELF program", path);
    return 2;
  }
  lua_pushboolean(L, dynamic);
  return 1;
}

static const luaL_Reg lib_methods[] = {
    {"functions", lib_functions},
    {"symbol", lib_symbol},
    {"symbol_info", lib_symbol_info},
    {"symbol_at", lib_symbol_at},
    {"close", lib_close},
    {"unloaded", lib_unloaded},
    {NULL, NULL},
};

static const luaL_Reg lib_meta[] = {
    {"__gc", lib_gc},
    {"__close", lib_close},
    {"__tostring", lib_tostring},
    {NULL, NULL},
};

/* debug_file_directory([dirs]): sets gdb's debug-file-directory when
   given a string (nil restores the default); returns the setting. */
static int core_debug_file_directory(lua_State *L)
{
  if (lua_gettop(L) > 0 &&
      snare_debug_file_directory_set(luaL_optstring(L, 1, NULL)) != SNARE_OK)
    return luaL_error(L, "out of memory");
  lua_pushstring(L, snare_debug_file_directory());
  return 1;
}

static const luaL_Reg core_functions[] = {
    {"debug_file_directory", core_debug_file_directory},
    {"load", core_load},
    {"load_program", core_load_program},
    {"program_is_dynamic", core_program_is_dynamic},
    {"symbol", core_symbol},
    {"symbol_at", core_symbol_at},
    {NULL, NULL},
};

/* Registers the library type and its weak registry table, and sets the
   module functions into the table on top. */
void snare_lua_open_library(lua_State *L)
{
  luaL_newmetatable(L, LIBRARY_TYPE);
  luaL_setfuncs(L, lib_meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, lib_methods, 0);
  luaL_setfuncs(L, snare_lua_source_methods, 0);
  luaL_setfuncs(L, snare_lua_marks_library_methods, 0);
  luaL_setfuncs(L, snare_lua_type_library_methods, 0);
  lua_pushcclosure(L, lib_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  pushlibraries(L);
  if (!lua_getmetatable(L, -1)) {
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
  } else {
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  luaL_setfuncs(L, core_functions, 0);
  luaL_setfuncs(L, snare_lua_source_functions, 0);
  luaL_setfuncs(L, snare_lua_backtrace_functions, 0);
  luaL_setfuncs(L, snare_lua_type_functions, 0);
  luaL_setfuncs(L, snare_lua_process_symbol_functions, 0);
  luaL_setfuncs(L, snare_lua_interrupt_functions, 0);
  luaL_setfuncs(L, snare_lua_batch_functions, 0);
}
