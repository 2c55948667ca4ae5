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

typedef struct extent {
  uint64_t start, end;
} extent;

/* dl_iterate_phdr visitor: the mapped extent of the object holding
   snare_lua_is_own_code. */
static int find_own(struct dl_phdr_info *info, size_t size, void *data)
{
  (void)size;
  extent *own = data;
  uint64_t here = (uint64_t)(uintptr_t)snare_lua_is_own_code;
  extent span = {UINT64_MAX, 0};
  bool holds = false;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uint64_t from = info->dlpi_addr + ph->p_vaddr;
    uint64_t to = from + ph->p_memsz;
    span.start = from < span.start ? from : span.start;
    span.end = to > span.end ? to : span.end;
    holds = holds || (here >= from && here < to);
  }
  if (holds)
    *own = span;
  return holds;
}

/* Found once, through dl_iterate_phdr rather than dladdr: dladdr takes
   the loader's lock, which a thread stopped at r_debug's breakpoint
   inside a dlopen holds while its frames are unwound (the step that
   goes on past the dlopen, cli/pending_breakpoints.lua). */
bool snare_lua_is_own_code(uint64_t addr)
{
  static extent own;
  if (own.end == 0)
    dl_iterate_phdr(find_own, &own);
  return addr >= own.start && addr < own.end;
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
