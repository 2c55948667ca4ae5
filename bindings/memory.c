/*
 * memory.c - reading and writing this process's memory without faulting:
 * read/write of byte strings, typed integers, C strings. The same
 * functions serve as snare.core functions and as methods of sessions and
 * frames (upvalue 1 says which, so methods can check their object).
 * A bad address is a normal miss: nil, message, status name.
 */
#include <stdio.h>
#include <string.h>

#include "snare_lua.h"

#define CSTRING_DEFAULT_MAX 4096
#define PAGE 4096u

/* Index of the first real argument, after checking self for methods. */
static int first_arg(lua_State *L)
{
  switch (lua_tointeger(L, lua_upvalueindex(1))) {
  case MEMORY_SESSION:
    snare_lua_checksession(L, 1);
    return 2;
  case MEMORY_FRAME:
    snare_lua_checkframe(L, 1);
    return 2;
  default:
    return 1;
  }
}

static uint64_t checkaddr(lua_State *L, int idx)
{
  if (lua_islightuserdata(L, idx))
    return (uint64_t)(uintptr_t)lua_touserdata(L, idx);
  return (uint64_t)luaL_checkinteger(L, idx);
}

static int fail_at(lua_State *L, const char *what, uint64_t addr,
                   snare_status st)
{
  char where[64];
  snprintf(where, sizeof where, "cannot %s at 0x%llx", what,
           (unsigned long long)addr);
  return snare_lua_fail(L, where, st);
}

/* Whether the first and last byte of [addr, addr+n) are readable: a huge
   size over unmapped memory is then a normal miss instead of a failed
   allocation of that size ("not enough memory"). */
static snare_status probe_ends(uint64_t addr, uint64_t n)
{
  char byte;
  if (n == 0)
    return SNARE_OK;
  if (addr + (n - 1) < addr)
    return SNARE_INVALID_ARGUMENT;
  snare_status st = snare_memory_read(addr, &byte, 1);
  return st != SNARE_OK ? st : snare_memory_read(addr + (n - 1), &byte, 1);
}

/* The first unreadable byte of [addr, addr+n), which has one: page by
   page, so the walk ends where the readable memory does. */
static uint64_t first_unreadable(uint64_t addr, uint64_t n)
{
  char byte;
  uint64_t at = addr;
  while (at - addr < n && snare_memory_read(at, &byte, 1) == SNARE_OK)
    at = (at | (PAGE - 1)) + 1;
  return at - addr < n ? at : addr + (n - 1);
}

/* Names the first byte of a range that cannot be read, when it is not
   the first of the range. */
static int fail_read(lua_State *L, uint64_t addr, uint64_t n, snare_status st)
{
  uint64_t bad = st == SNARE_BAD_ADDRESS ? first_unreadable(addr, n) : addr;
  if (bad == addr)
    return fail_at(L, "read", addr, st);
  char where[128];
  snprintf(where, sizeof where,
           "cannot read %llu bytes at 0x%llx: the first unreadable byte is "
           "0x%llx", (unsigned long long)n, (unsigned long long)addr,
           (unsigned long long)bad);
  return snare_lua_fail(L, where, st);
}

/* read(addr, n) -> string | nil, message */
static int mem_read(lua_State *L)
{
  int a = first_arg(L);
  uint64_t addr = checkaddr(L, a);
  lua_Integer n = luaL_checkinteger(L, a + 1);
  luaL_argcheck(L, n >= 0, a + 1, "negative size");
  snare_status probe = probe_ends(addr, (uint64_t)n);
  if (probe != SNARE_OK)
    return fail_read(L, addr, (uint64_t)n, probe);
  luaL_Buffer b;
  char *dst = luaL_buffinitsize(L, &b, (size_t)n);
  snare_status st = snare_memory_read(addr, dst, (size_t)n);
  if (st != SNARE_OK)
    return fail_read(L, addr, (uint64_t)n, st);
  luaL_pushresultsize(&b, (size_t)n);
  return 1;
}

/* write(addr, string) -> true | nil, message */
static int mem_write(lua_State *L)
{
  int a = first_arg(L);
  uint64_t addr = checkaddr(L, a);
  size_t n;
  const char *src = luaL_checklstring(L, a + 1, &n);
  snare_status st = snare_memory_write(addr, src, n);
  if (st != SNARE_OK)
    return fail_at(L, "write", addr, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* read_cstring(addr [, max = 4096]) -> string | nil, message. Reads page
   by page so a string ending just before unmapped memory still reads; a
   string longer than max comes back cut to max bytes. */
static int mem_read_cstring(lua_State *L)
{
  int a = first_arg(L);
  uint64_t addr = checkaddr(L, a);
  lua_Integer max = luaL_optinteger(L, a + 1, CSTRING_DEFAULT_MAX);
  luaL_argcheck(L, max >= 0, a + 1, "negative size");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t done = 0;
  while (done < (size_t)max) {
    uint64_t at = addr + done;
    size_t chunk = PAGE - (size_t)(at % PAGE);
    if (chunk > (size_t)max - done)
      chunk = (size_t)max - done;
    char *dst = luaL_prepbuffsize(&b, chunk);
    snare_status st = snare_memory_read(at, dst, chunk);
    if (st != SNARE_OK)
      return fail_at(L, "read string", at, st);
    char *nul = memchr(dst, '\0', chunk);
    if (nul != NULL) {
      luaL_addsize(&b, (size_t)(nul - dst));
      break;
    }
    luaL_addsize(&b, chunk);
    done += chunk;
  }
  luaL_pushresult(&b);
  return 1;
}

/* Typed access: upvalue 2 is the size in bytes, 3 whether it is signed. */
static int mem_read_typed(lua_State *L)
{
  int a = first_arg(L);
  uint64_t addr = checkaddr(L, a);
  size_t size = (size_t)lua_tointeger(L, lua_upvalueindex(2));
  bool is_signed = lua_toboolean(L, lua_upvalueindex(3));
  uint64_t v = 0;
  snare_status st = snare_memory_read(addr, &v, size); /* little-endian */
  if (st != SNARE_OK)
    return fail_read(L, addr, size, st);
  if (is_signed && size < 8) {
    uint64_t sign = (uint64_t)1 << (size * 8 - 1);
    v = (v ^ sign) - sign;
  }
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int mem_write_typed(lua_State *L)
{
  int a = first_arg(L);
  uint64_t addr = checkaddr(L, a);
  lua_Integer value = luaL_checkinteger(L, a + 1);
  size_t size = (size_t)lua_tointeger(L, lua_upvalueindex(2));
  if (size < 8) { /* fits either as signed or as unsigned */
    lua_Integer lim = (lua_Integer)1 << (size * 8);
    luaL_argcheck(L, value >= -lim / 2 && value < lim, a + 1,
                  "value out of range");
  }
  uint64_t v = (uint64_t)value;
  snare_status st = snare_memory_write(addr, &v, size);
  if (st != SNARE_OK)
    return fail_at(L, "write", addr, st);
  lua_pushboolean(L, 1);
  return 1;
}

static const struct {
  const char *name;
  lua_CFunction fn;
  int size;
  bool is_signed;
} typed[] = {
    {"read_u8", mem_read_typed, 1, false},
    {"read_u16", mem_read_typed, 2, false},
    {"read_u32", mem_read_typed, 4, false},
    {"read_u64", mem_read_typed, 8, false},
    {"read_i8", mem_read_typed, 1, true},
    {"read_i16", mem_read_typed, 2, true},
    {"read_i32", mem_read_typed, 4, true},
    {"read_i64", mem_read_typed, 8, true},
    {"read_ptr", mem_read_typed, sizeof(void *), false},
    {"write_u8", mem_write_typed, 1, false},
    {"write_u16", mem_write_typed, 2, false},
    {"write_u32", mem_write_typed, 4, false},
    {"write_u64", mem_write_typed, 8, false},
    {"write_i8", mem_write_typed, 1, true},
    {"write_i16", mem_write_typed, 2, true},
    {"write_i32", mem_write_typed, 4, true},
    {"write_i64", mem_write_typed, 8, true},
    {"write_ptr", mem_write_typed, sizeof(void *), false},
};

static const luaL_Reg plain[] = {
    {"read", mem_read},
    {"write", mem_write},
    {"read_cstring", mem_read_cstring},
    {NULL, NULL},
};

void snare_lua_set_memory_functions(lua_State *L, int owner)
{
  lua_pushinteger(L, owner);
  luaL_setfuncs(L, plain, 1);
  for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++) {
    lua_pushinteger(L, owner);
    lua_pushinteger(L, typed[i].size);
    lua_pushboolean(L, typed[i].is_signed);
    lua_pushcclosure(L, typed[i].fn, 3);
    lua_setfield(L, -2, typed[i].name);
  }
}
