/*
 * disasm.c - core.disassemble: instructions as text, for the prompt's
 * disassemble and x/i and for scripts.
 */
#include <stdio.h>
#include <string.h>

#include "snare_lua.h"

#define MAX_COUNT 100000 /* bounds one call's work and table size */

/* given: the instruction's bytes as decoded, or NULL to read them */
static void push_instruction(lua_State *L, uint64_t addr, size_t length,
                             const char *text, const uint8_t *given)
{
  uint8_t bytes[16];
  if (length > sizeof bytes)
    length = 0;
  else if (given != NULL)
    memcpy(bytes, given, length);
  else if (snare_memory_read(addr, bytes, length) != SNARE_OK)
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

/* options.bytes: the code to decode, as it sits at `where` (a string),
   or NULL (*size 0) for the process's own */
static const uint8_t *given_bytes(lua_State *L, int options, size_t *size)
{
  *size = 0;
  if (lua_isnoneornil(L, options))
    return NULL;
  lua_getfield(L, options, "bytes");
  const char *bytes = lua_isnil(L, -1) ? NULL : luaL_checklstring(L, -1, size);
  lua_pop(L, 1); /* (the options table keeps the string) */
  return (const uint8_t *)bytes;
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
 * ("att" by default, or "intel"); with options.bytes (a string) those
 * bytes, as they would sit at `where` (another process's code), instead.
 * The list ends early at bytes that do not decode, or at the end of
 * options.bytes; if the first does not: nil, message, status name.
 */
int snare_lua_disassemble(lua_State *L)
{
  snare_disassembly_flavor flavor = check_flavor(L, 3);
  lua_Integer n = luaL_optinteger(L, 2, 1);
  luaL_argcheck(L, n >= 1 && n <= MAX_COUNT, 2, "count out of range");
  size_t size;
  const uint8_t *bytes = given_bytes(L, 3, &size);
  uint64_t addr; /* after the options: resolving a name pushes values */
  snare_lua_checkaddress(L, 1, &addr);
  const uint64_t start = addr;
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    char text[128];
    size_t length;
    const uint8_t *at = bytes != NULL ? bytes + (addr - start) : NULL;
    snare_status st =
        bytes != NULL
            ? snare_disassemble_bytes(addr, flavor, at, size - (addr - start),
                                      text, sizeof text, &length)
            : snare_disassemble(addr, flavor, text, sizeof text, &length);
    if (st != SNARE_OK) {
      if (i > 1)
        break;
      snprintf(text, sizeof text, "cannot disassemble at 0x%llx",
               (unsigned long long)addr);
      return snare_lua_fail(L, text, st);
    }
    push_instruction(L, addr, length, text, at);
    lua_rawseti(L, -2, i);
    addr += length;
  }
  return 1;
}
