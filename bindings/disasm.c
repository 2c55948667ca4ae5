/*
 * disasm.c - core.disassemble: instructions as text, for the prompt's
 * disassemble and x/i and for scripts.
 */
#include <stdio.h>

#include "snare_lua.h"

#define MAX_COUNT 100000 /* bounds one call's work and table size */

static void push_instruction(lua_State *L, uint64_t addr, size_t length,
                             const char *text)
{
  uint8_t bytes[16];
  if (length > sizeof bytes || snare_memory_read(addr, bytes, length) != SNARE_OK)
    length = 0; /* unmapped since it was decoded: show no bytes */
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)addr);
  lua_setfield(L, -2, "address");
  lua_pushinteger(L, (lua_Integer)length);
  lua_setfield(L, -2, "length");
  lua_pushstring(L, text);
  lua_setfield(L, -2, "text");
  lua_pushlstring(L, (const char *)bytes, length);
  lua_setfield(L, -2, "bytes");
}

/* options.flavor: "att" (the default, gdb's) or "intel" */
static snare_disassembly_flavor check_flavor(lua_State *L, int options)
{
  static const char *const names[] = {"att", "intel", NULL};
  static const snare_disassembly_flavor flavors[] = {SNARE_DISASSEMBLY_ATT,
                                                     SNARE_DISASSEMBLY_INTEL};
  if (lua_isnoneornil(L, options))
    return SNARE_DISASSEMBLY_ATT;
  luaL_checktype(L, options, LUA_TTABLE);
  lua_getfield(L, options, "flavor");
  int which = luaL_checkoption(L, -1, "att", names);
  lua_pop(L, 1);
  return flavors[which];
}

/*
 * core.disassemble(where [, n = 1 [, options]]) -> list of {address,
 * length, text, bytes}: n instructions from `where` (an address or symbol
 * name), the program's own bytes (not snare's traps), in options.flavor
 * ("att" by default, or "intel"). The list ends early at bytes that do
 * not decode; if the first does not: nil, message, status name.
 */
int snare_lua_disassemble(lua_State *L)
{
  snare_disassembly_flavor flavor = check_flavor(L, 3);
  lua_Integer n = luaL_optinteger(L, 2, 1);
  luaL_argcheck(L, n >= 1 && n <= MAX_COUNT, 2, "count out of range");
  uint64_t addr; /* after the options: resolving a name pushes values */
  snare_lua_checkaddress(L, 1, &addr);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    char text[128];
    size_t length;
    snare_status st = snare_disassemble(addr, flavor, text, sizeof text, &length);
    if (st != SNARE_OK) {
      if (i > 1)
        break;
      snprintf(text, sizeof text, "cannot disassemble at 0x%llx",
               (unsigned long long)addr);
      return snare_lua_fail(L, text, st);
    }
    push_instruction(L, addr, length, text);
    lua_rawseti(L, -2, i);
    addr += length;
  }
  return 1;
}
