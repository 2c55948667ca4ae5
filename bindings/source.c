/*
 * source.c - source lines and functions from DWARF in Lua: library
 * methods, snare.line_at, the source fields of stops, and the resolution
 * of breakpoint locations ("file.c:12", "fib", "*fib", addresses).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

static void setstring(lua_State *L, const char *field, const char *v)
{
  if (v == NULL)
    return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, field);
}

static void setinteger(lua_State *L, const char *field, uint64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, field);
}

/* Pushes {file, line, first_line, column, function, linkage, address} of
   a line row (linkage: the function's mangled name). */
static void push_line(lua_State *L, const snare_line_info *info)
{
  lua_createtable(L, 0, 8);
  setstring(L, "file", info->file);
  setinteger(L, "line", info->line);
  setinteger(L, "first_line", info->first_line ? info->first_line : info->line);
  setinteger(L, "column", info->column);
  setstring(L, "function", info->function);
  setstring(L, "linkage", info->function_linkage);
  setinteger(L, "address", info->start);
  lua_pushboolean(L, info->not_stmt);
  lua_setfield(L, -2, "not_stmt");
}

static int fail_line(lua_State *L, uint64_t addr, snare_status status)
{
  char what[64];
  snprintf(what, sizeof what, "no line at 0x%llx", (unsigned long long)addr);
  return snare_lua_fail(L, what, status);
}

/* lib:line_at(addr) -> {file, line, first_line, column, function, linkage,
   address, not_stmt} | nil, msg */
static int lib_line_at(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 2);
  snare_line_info info;
  snare_status st = snare_library_line_at(lib, addr, &info);
  if (st != SNARE_OK)
    return fail_line(L, addr, st);
  push_line(L, &info);
  return 1;
}

/* The row find gives for the address argument, or nil and why. */
static int answer_line(lua_State *L,
                       snare_status (*find)(uint64_t, snare_line_info *))
{
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 1);
  snare_line_info info;
  snare_status st = find(addr, &info);
  if (st != SNARE_OK)
    return fail_line(L, addr, st);
  push_line(L, &info);
  return 1;
}

/* core.line_at(addr): as lib:line_at, in whichever library maps addr. */
static int core_line_at(lua_State *L)
{
  return answer_line(L, snare_line_at);
}

/* core.function_start_line_at(addr): as core.line_at, for a function
   starting at addr as gdb names a breakpoint there (nil where no line) */
static int core_function_start_line_at(lua_State *L)
{
  return answer_line(L, snare_function_start_line_at);
}

/* core.statement_line_from(addr, line) -> the line snare_statement_line_from
   gives | nil, msg */
static int core_statement_line_from(lua_State *L)
{
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 1);
  lua_Integer line = luaL_checkinteger(L, 2);
  luaL_argcheck(L, line > 0 && line <= UINT32_MAX, 2, "out of range");
  unsigned found = 0;
  snare_status st = snare_statement_line_from(addr, (unsigned)line, &found);
  if (st != SNARE_OK)
    return fail_line(L, addr, st);
  lua_pushinteger(L, found);
  return 1;
}

/* core.source_name(addr, path) -> gdb's name of source file path at addr
   (path itself where no unit holds addr) */
static int core_source_name(lua_State *L)
{
  const char *path = luaL_checkstring(L, 2);
  const char *name = path;
  if (snare_source_name_at((uint64_t)luaL_checkinteger(L, 1), path, &name) !=
      SNARE_OK)
    name = path;
  lua_pushstring(L, name);
  return 1;
}

/* core.unit_at(addr) -> {name =, comp_dir =, producer =, language =,
   version =, macros =} of the compilation unit holding addr, or nil. */
static int core_unit_at(lua_State *L)
{
  snare_unit_info unit;
  if (snare_unit_at((uint64_t)luaL_checkinteger(L, 1), &unit) != SNARE_OK)
    return 0;
  lua_createtable(L, 0, 6);
  const char *texts[] = {unit.name, unit.comp_dir, unit.producer};
  const char *keys[] = {"name", "comp_dir", "producer"};
  for (int i = 0; i < 3; i++)
    if (texts[i] != NULL) {
      lua_pushstring(L, texts[i]);
      lua_setfield(L, -2, keys[i]);
    }
  lua_pushinteger(L, unit.language);
  lua_setfield(L, -2, "language");
  lua_pushinteger(L, unit.version);
  lua_setfield(L, -2, "version");
  lua_pushboolean(L, unit.macros);
  lua_setfield(L, -2, "macros");
  return 1;
}

/* core.language_at(addr) -> the DW_AT_language code of the unit holding
   addr, or nil. */
static int core_language_at(lua_State *L)
{
  unsigned language;
  if (snare_language_at((uint64_t)luaL_checkinteger(L, 1), &language) !=
      SNARE_OK)
    return 0;
  lua_pushinteger(L, language);
  return 1;
}

/* The file and line of "file.c:12" (the last colon followed by digits
   only), or false. file is a copy the caller frees. */
static bool parse_location(const char *text, char **file, unsigned *line)
{
  const char *colon = strrchr(text, ':');
  if (colon == NULL || colon == text || colon[1] == '\0' ||
      strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
      strlen(colon + 1) > 9)
    return false;
  *line = (unsigned)strtoul(colon + 1, NULL, 10);
  *file = strndup(text, (size_t)(colon - text));
  return *file != NULL;
}

/* Writes up to cap addresses of key in lib and stores the total. */
typedef snare_status (*fill_fn)(snare_library *lib, const void *key,
                                uint64_t *addrs, size_t cap, size_t *count);

typedef struct line_key {
  const char *file;
  unsigned line;
} line_key;

static snare_status fill_line(snare_library *lib, const void *key,
                              uint64_t *addrs, size_t cap, size_t *count)
{
  const line_key *k = key;
  return snare_library_line_addresses(lib, k->file, k->line, addrs, cap,
                                      count);
}

static snare_status fill_function(snare_library *lib, const void *key,
                                  uint64_t *addrs, size_t cap, size_t *count)
{
  return snare_library_function_addresses(lib, key, addrs, cap, count);
}

typedef struct file_function {
  const char *file, *name;
} file_function;

static snare_status fill_file_function(snare_library *lib, const void *key,
                                       uint64_t *addrs, size_t cap,
                                       size_t *count)
{
  const file_function *k = key;
  return snare_library_file_function_addresses(lib, k->file, k->name, addrs,
                                               cap, count);
}

/* Pushes a userdata holding the addresses fill gives for key in lib and
   points *addrs at them; returns how many (0: none, nothing pushed). */
static size_t push_addresses(lua_State *L, snare_library *lib, fill_fn fill,
                             const void *key, uint64_t **addrs)
{
  size_t count = 0;
  if (fill(lib, key, NULL, 0, &count) != SNARE_OK || count == 0)
    return 0;
  *addrs = lua_newuserdatauv(L, count * sizeof **addrs, 0);
  fill(lib, key, *addrs, count, &count);
  return count;
}

typedef struct has_code {
  fill_fn fill;
  const void *key;
} has_code;

static bool library_has_code(snare_library *lib, void *ctx)
{
  has_code *q = ctx;
  size_t count = 0;
  return q->fill(lib, q->key, NULL, 0, &count) == SNARE_OK && count > 0;
}

static bool library_knows_file(snare_library *lib, void *ctx)
{
  const line_key *k = ctx;
  unsigned before, after;
  return snare_library_line_nearest(lib, k->file, k->line, &before, &after) ==
         SNARE_OK;
}

/* Raises "file:line has no code; nearest lines with code: a, b", or that
   no loaded library knows the file. */
static int no_code_error(lua_State *L, const line_key *k)
{
  unsigned before = 0, after = 0;
  if (!snare_lua_find_library(L, library_knows_file, (void *)k))
    return luaL_error(L, "no source file named '%s' in the loaded libraries",
                      k->file);
  snare_library_line_nearest(snare_lua_checklibrary(L, -1), k->file, k->line,
                             &before, &after);
  char nearest[48] = "none";
  if (before && after)
    snprintf(nearest, sizeof nearest, "%u, %u", before, after);
  else if (before || after)
    snprintf(nearest, sizeof nearest, "%u", before ? before : after);
  return luaL_error(L, "%s:%d has no code; nearest lines with code: %s",
                    k->file, (int)k->line, nearest);
}

/* The addresses of file:line in the first library with code there; the
   library and buffer pushed as snare_lua_checklocations says. A line
   without code is, unless exact_line, gdb 13's: the next line of the file
   that has code (a blank line or comment before a function: its first
   line past the prologue); none after it raises. */
static size_t checkline(lua_State *L, line_key *k, uint64_t **addrs,
                        bool exact_line)
{
  has_code q = {fill_line, k};
  if (!snare_lua_find_library(L, library_has_code, &q)) {
    unsigned before = 0, after = 0;
    if (exact_line || !snare_lua_find_library(L, library_knows_file, k))
      return (size_t)no_code_error(L, k);
    snare_library_line_nearest(snare_lua_checklibrary(L, -1), k->file,
                               k->line, &before, &after);
    lua_pop(L, 1);
    line_key moved = {k->file, after};
    q.key = &moved;
    if (after <= k->line || !snare_lua_find_library(L, library_has_code, &q))
      return (size_t)no_code_error(L, k);
    *k = moved;
  }
  return push_addresses(L, snare_lua_checklibrary(L, -1), fill_line, k, addrs);
}

/* Whether text is gdb's FILE:FUNCTION: a file before the first colon
   that is not half of a "::" (C++'s scopes), a name after it; the file
   pushed, *name pointing into text. */
static bool push_file_function(lua_State *L, const char *text,
                               const char **name)
{
  for (const char *c = strchr(text, ':'); c; c = strchr(c + 2, ':')) {
    if (c[1] == ':')
      continue;
    if (c == text || c[1] == '\0')
      return false;
    lua_pushlstring(L, text, (size_t)(c - text));
    *name = c + 1;
    return true;
  }
  return false;
}

/* The addresses of function k->name in source file k->file (file
   pushed below, replaced by the library and buffer as
   snare_lua_checklocations says); raises that no library knows the
   file, or that the function is not one of it. */
static size_t checkfilefunction(lua_State *L, file_function *k,
                                uint64_t **addrs)
{
  has_code q = {fill_file_function, k};
  if (!snare_lua_find_library(L, library_has_code, &q)) {
    line_key any_line = {k->file, 1};
    if (!snare_lua_find_library(L, library_knows_file, &any_line))
      return (size_t)luaL_error(
          L, "no source file named '%s' in the loaded libraries", k->file);
    return (size_t)luaL_error(L, "function '%s' not defined in '%s'",
                              k->name, k->file);
  }
  size_t n = push_addresses(L, snare_lua_checklibrary(L, -1),
                            fill_file_function, k, addrs);
  lua_rotate(L, -3, -1);
  lua_pop(L, 1);
  return n;
}

/* One address in a buffer on top. */
static size_t push_one(lua_State *L, uint64_t addr, uint64_t **addrs)
{
  *addrs = lua_newuserdatauv(L, sizeof **addrs, 0);
  **addrs = addr;
  return 1;
}

size_t snare_lua_checklocations(lua_State *L, int idx, uint64_t **addrs,
                                 bool exact_line)
{
  idx = lua_absindex(L, idx);
  uint64_t addr;
  if (lua_type(L, idx) != LUA_TSTRING) {
    snare_lua_checkaddress(L, idx, &addr);
    return push_one(L, addr, addrs);
  }
  const char *text = lua_tostring(L, idx);
  if (text[0] == '*') { /* exact: the symbol's own address, or "*0x..." */
    char *end;
    errno = 0;
    unsigned long long number = strtoull(text + 1, &end, 16);
    if (text[1] == '0' && (text[2] == 'x' || text[2] == 'X') &&
        *end == '\0' && errno == 0) {
      lua_pushnil(L); /* the library: none looked up */
      return push_one(L, (uint64_t)number, addrs);
    }
    lua_pushstring(L, text + 1);
    snare_lua_checkaddress(L, -1, &addr);
    lua_remove(L, -2);
    return push_one(L, addr, addrs);
  }
  char *file;
  line_key k;
  if (parse_location(text, &file, &k.line)) {
    lua_pushstring(L, file); /* so the error path frees nothing */
    free(file);
    k.file = lua_tostring(L, -1);
    size_t n = checkline(L, &k, addrs, exact_line);
    lua_rotate(L, -3, -1);
    lua_pop(L, 1);
    return n;
  }
  file_function fk;
  if (push_file_function(L, text, &fk.name)) {
    fk.file = lua_tostring(L, -1);
    return checkfilefunction(L, &fk, addrs);
  }
  has_code q = {fill_function, text};
  if (snare_lua_find_library(L, library_has_code, &q))
    return push_addresses(L, snare_lua_checklibrary(L, -1), fill_function,
                          text, addrs);
  snare_lua_checkaddress(L, idx, &addr);
  return push_one(L, addr, addrs);
}

/* lib:addresses("file.c:12") or lib:addresses("file.c", 12) -> list of
   addresses | nil, message */
static int lib_addresses(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  char *file = NULL;
  line_key k;
  if (lua_isnoneornil(L, 3)) {
    if (!parse_location(luaL_checkstring(L, 2), &file, &k.line))
      return luaL_argerror(L, 2, "\"file:line\" expected");
    lua_pushstring(L, file);
    free(file);
    k.file = lua_tostring(L, -1);
  } else {
    k.file = luaL_checkstring(L, 2);
    lua_Integer line = luaL_checkinteger(L, 3);
    luaL_argcheck(L, line > 0 && line <= (lua_Integer)UINT32_MAX, 3,
                  "line out of range");
    k.line = (unsigned)line;
  }
  uint64_t *addrs;
  size_t n = push_addresses(L, lib, fill_line, &k, &addrs);
  if (n == 0) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s:%d has no code", k.file, (int)k.line);
    return 2;
  }
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)addrs[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* lib:function_info(name) -> {name, linkage_name, inlined, entry, after_prologue,
   ranges = {{low, high}...}, decl_file, decl_line, params = {...},
   param_formats = "d4s8...", param_enums = {[i] = "RED=0;BLUE=6"},
   return_format = "s8", return_enums = "OK=0;...", returns = "integer"|"float"|"nothing"|
   "unknown", return_size} */
static int lib_function_info(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const char *name = luaL_checkstring(L, 2);
  snare_function_info fn;
  snare_status st = snare_library_function_info(lib, name, &fn);
  if (st != SNARE_OK)
    return snare_lua_fail(L, lua_pushfstring(L, "no function '%s'", name), st);
  lua_createtable(L, 0, 10);
  setstring(L, "name", fn.name);
  setstring(L, "linkage_name", fn.linkage_name);
  lua_pushboolean(L, fn.inlined);
  lua_setfield(L, -2, "inlined");
  setinteger(L, "entry", fn.entry);
  setinteger(L, "after_prologue", fn.after_prologue);
  setstring(L, "decl_file", fn.decl_file);
  if (fn.decl_line)
    setinteger(L, "decl_line", fn.decl_line);
  lua_createtable(L, (int)fn.range_count, 0);
  for (size_t i = 0; i < fn.range_count; i++) {
    lua_createtable(L, 0, 2);
    setinteger(L, "low", fn.ranges[i].low);
    setinteger(L, "high", fn.ranges[i].high);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "ranges");
  lua_createtable(L, (int)fn.param_count, 0);
  for (size_t i = 0; i < fn.param_count; i++) {
    lua_pushstring(L, fn.params[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "params");
  setstring(L, "param_formats", fn.param_formats);
  lua_createtable(L, 0, 0);
  for (size_t i = 0; fn.param_enums != NULL && i < fn.param_count; i++) {
    if (fn.param_enums[i] == NULL)
      continue;
    lua_pushstring(L, fn.param_enums[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "param_enums");
  setstring(L, "return_format", fn.return_format);
  setstring(L, "return_enums", fn.return_enums);
  static const char *const returns[] = {"unknown", "nothing", "integer",
                                        "float"};
  setstring(L, "returns", returns[fn.returns]);
  setinteger(L, "return_size", fn.return_size);
  return 1;
}

typedef struct symbol_at {
  uint64_t addr;
  snare_symbol sym;
} symbol_at;

static bool has_symbol_at(snare_library *lib, void *ctx)
{
  symbol_at *q = ctx;
  return snare_library_symbol_at(lib, q->addr, &q->sym) == SNARE_OK;
}

void snare_lua_set_source_fields(lua_State *L, uint64_t pc)
{
  snare_line_info info;
  if (snare_line_at(pc, &info) == SNARE_OK) {
    setstring(L, "file", info.file);
    setinteger(L, "line", info.line);
    if (info.function != NULL) {
      setstring(L, "func", info.function);
      return;
    }
  }
  symbol_at q = {.addr = pc};
  if (snare_lua_find_library(L, has_symbol_at, &q)) {
    lua_pop(L, 1);
    setstring(L, "func", q.sym.name);
  }
}

/* core.locations(where) -> {addr...}: the addresses s:breakpoint(where)
   would use (snare_lua_checklocations), without setting anything. */
static int core_locations(lua_State *L)
{
  uint64_t *addrs;
  lua_settop(L, 1);
  size_t n = snare_lua_checklocations(L, 1, &addrs, false);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)addrs[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* lib:line_span(file, line) -> {file, start, finish} of the line as gdb's
   `info line FILE:LINE` reports it (finish == start: no code of its own,
   start the next line's), {file, start, out_of_range = true} (start: the
   file's first row) | nil, message when lib does not know file */
static int lib_line_span(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const char *file = luaL_checkstring(L, 2);
  lua_Integer line = luaL_checkinteger(L, 3);
  luaL_argcheck(L, line >= 0 && line <= (lua_Integer)UINT32_MAX, 3,
                "line out of range");
  snare_line_span span;
  if (snare_library_line_span(lib, file, (unsigned)line, &span) != SNARE_OK) {
    luaL_pushfail(L);
    lua_pushfstring(L, "no source file named '%s'", file);
    return 2;
  }
  lua_createtable(L, 0, 3);
  setstring(L, "file", span.file);
  setinteger(L, "start", span.start);
  if (span.in_range) {
    setinteger(L, "finish", span.end);
  } else {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "out_of_range");
  }
  return 1;
}

const luaL_Reg snare_lua_source_methods[] = {
    {"line_at", lib_line_at},
    {"line_span", lib_line_span},
    {"addresses", lib_addresses},
    {"function_info", lib_function_info},
    {NULL, NULL},
};

/* core.source_frame_at(addr, outward) -> {file, line, function, linkage}
   of the source frame `outward` levels out from the innermost at addr
   (an inlined call is a frame; outer frames' lines are their calls') |
   nil, msg */
static int core_source_frame_at(lua_State *L)
{
  uint64_t addr = (uint64_t)luaL_checkinteger(L, 1);
  lua_Integer outward = luaL_checkinteger(L, 2);
  luaL_argcheck(L, outward >= 0 && outward <= 255, 2,
                "out of range");
  snare_line_info info;
  snare_status st = snare_source_frame_at(addr, (unsigned)outward, &info);
  if (st != SNARE_OK)
    return fail_line(L, addr, st);
  lua_createtable(L, 0, 4);
  setstring(L, "file", info.file);
  setinteger(L, "line", info.line);
  setstring(L, "function", info.function);
  setstring(L, "linkage", info.function_linkage);
  return 1;
}

const luaL_Reg snare_lua_source_functions[] = {
    {"line_at", core_line_at},
    {"function_start_line_at", core_function_start_line_at},
    {"statement_line_from", core_statement_line_from},
    {"source_frame_at", core_source_frame_at},
    {"language_at", core_language_at},
    {"source_name", core_source_name},
    {"unit_at", core_unit_at},
    {"locations", core_locations},
    {NULL, NULL},
};
