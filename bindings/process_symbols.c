/*
 * process_symbols.c - core.process_symbol(name): a symbol of any object
 * of the process, as the dynamic linker resolves it (an IFUNC such as
 * strlen gives the implementation it chose), for expressions that call
 * or name functions of libraries snare did not load (libc's); and
 * core.is_own_code(addr): whether addr is code of this module (a
 * worker's frames below the function it was asked to call).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include "snare_lua.h"

/* core.process_symbol(name) -> address, is_function | nil */
static int core_process_symbol(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  void *addr = dlsym(RTLD_DEFAULT, name);
  if (addr == NULL)
    return 0;
  Dl_info info;
  const ElfW(Sym) *sym = NULL;
  bool function = true;
  if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) != 0 && sym)
    function = ELF64_ST_TYPE(sym->st_info) != STT_OBJECT &&
               ELF64_ST_TYPE(sym->st_info) != STT_TLS;
  lua_pushinteger(L, (lua_Integer)(uintptr_t)addr);
  lua_pushboolean(L, function);
  return 2;
}

bool snare_lua_is_own_code(uint64_t addr)
{
  Dl_info at, own;
  return dladdr((void *)(uintptr_t)addr, &at) != 0 &&
         dladdr((void *)(uintptr_t)snare_lua_is_own_code, &own) != 0 &&
         at.dli_fbase == own.dli_fbase;
}

/* core.is_own_code(addr) -> whether addr lies in snare's own module */
static int core_is_own_code(lua_State *L)
{
  lua_pushboolean(L, snare_lua_is_own_code((uint64_t)luaL_checkinteger(L, 1)));
  return 1;
}

const luaL_Reg snare_lua_process_symbol_functions[] = {
    {"process_symbol", core_process_symbol},
    {"is_own_code", core_is_own_code},
    {NULL, NULL},
};
