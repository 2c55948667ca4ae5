/*
 * types.c - DWARF types and variable places for the C expression
 * evaluator (lua/snare/expr/): core.type_info, lib:type, lib:global,
 * lib:function_type and frame:locate of both kinds of frames.
 *
 * A type travels to Lua as a reference table {owner = light userdata,
 * die = integer, dim = integer} (owner nil: void); lua/snare/expr/types.lua
 * turns references into type objects, once each.
 */
#include "snare_lua.h"

static void push_ref(lua_State *L, snare_type t)
{
  lua_createtable(L, 0, 3);
  if (t.owner) {
    lua_pushlightuserdata(L, (void *)t.owner);
    lua_setfield(L, -2, "owner");
  }
  lua_pushinteger(L, (lua_Integer)t.die);
  lua_setfield(L, -2, "die");
  lua_pushinteger(L, (lua_Integer)t.dim);
  lua_setfield(L, -2, "dim");
}

static snare_type check_ref(lua_State *L, int idx)
{
  luaL_checktype(L, idx, LUA_TTABLE);
  snare_type t = {0};
  lua_getfield(L, idx, "owner");
  t.owner = lua_touserdata(L, -1);
  lua_getfield(L, idx, "die");
  t.die = (uint64_t)lua_tointeger(L, -1);
  lua_getfield(L, idx, "dim");
  t.dim = (unsigned)lua_tointeger(L, -1);
  lua_pop(L, 3);
  return t;
}

static const char *const kind_names[] = {
    [SNARE_TYPE_VOID] = "void",         [SNARE_TYPE_SIGNED] = "signed",
    [SNARE_TYPE_UNSIGNED] = "unsigned", [SNARE_TYPE_FLOAT] = "float",
    [SNARE_TYPE_BOOL] = "bool",         [SNARE_TYPE_POINTER] = "pointer",
    [SNARE_TYPE_ARRAY] = "array",       [SNARE_TYPE_STRUCT] = "struct",
    [SNARE_TYPE_UNION] = "union",       [SNARE_TYPE_ENUM] = "enum",
    [SNARE_TYPE_FUNCTION] = "function", [SNARE_TYPE_TYPEDEF] = "typedef",
    [SNARE_TYPE_CONST] = "const",       [SNARE_TYPE_VOLATILE] = "volatile",
    [SNARE_TYPE_RESTRICT] = "restrict", [SNARE_TYPE_OTHER] = "other",
    [SNARE_TYPE_REFERENCE] = "reference",
    [SNARE_TYPE_RVALUE_REFERENCE] = "rvalue_reference",
};

static const char *const part_kind_names[] = {
    [SNARE_PART_MEMBER] = "member",
    [SNARE_PART_STATIC_MEMBER] = "static_member",
    [SNARE_PART_METHOD] = "method",
    [SNARE_PART_TEMPLATE_TYPE] = "template_type",
    [SNARE_PART_BASE] = "base",
    [SNARE_PART_TYPEDEF] = "typedef",
};

static const char *const access_names[] = {
    [SNARE_ACCESS_PUBLIC] = "public",
    [SNARE_ACCESS_PROTECTED] = "protected",
    [SNARE_ACCESS_PRIVATE] = "private",
};

static void set_string(lua_State *L, const char *key, const char *value)
{
  if (value) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
  }
}

static void set_integer(lua_State *L, const char *key, lua_Integer value)
{
  lua_pushinteger(L, value);
  lua_setfield(L, -2, key);
}

static void set_boolean(lua_State *L, const char *key, bool value)
{
  lua_pushboolean(L, value);
  lua_setfield(L, -2, key);
}

static void push_members(lua_State *L, snare_type t, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    snare_type_member m;
    if (snare_type_member_at(t, i, &m) != SNARE_OK)
      break;
    lua_createtable(L, 0, 5);
    set_string(L, "name", m.name);
    push_ref(L, m.type);
    lua_setfield(L, -2, "type");
    set_integer(L, "offset", (lua_Integer)m.offset);
    if (m.bit_size) {
      set_integer(L, "bit_size", m.bit_size);
      set_integer(L, "bit_offset", m.bit_offset);
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* A C++ aggregate's parts (snare_type_part_at) as a list of {kind, name,
   type, access, artificial, virtual, static; a base's offset, a static member's
   value or value_bytes}. */
static void push_parts(lua_State *L, snare_type t)
{
  lua_newtable(L);
  snare_type_part part;
  for (size_t i = 0; snare_type_part_at(t, i, &part) == SNARE_OK; i++) {
    lua_createtable(L, 0, 7);
    set_string(L, "kind", part_kind_names[part.kind]);
    set_string(L, "name", part.name);
    push_ref(L, part.type);
    lua_setfield(L, -2, "type");
    set_string(L, "access", access_names[part.access]);
    set_boolean(L, "artificial", part.artificial);
    set_boolean(L, "virtual", part.is_virtual);
    set_boolean(L, "static", part.is_static);
    if (part.kind == SNARE_PART_BASE)
      set_integer(L, "offset", (lua_Integer)part.offset);
    if (part.has_value)
      set_integer(L, "value", (lua_Integer)part.value);
    if (part.value_bytes) {
      lua_pushlstring(L, (const char *)part.value_bytes, part.value_size);
      lua_setfield(L, -2, "value_bytes");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_enumerators(lua_State *L, snare_type t, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    const char *name;
    int64_t value;
    if (snare_type_enumerator(t, i, &name, &value) != SNARE_OK)
      break;
    lua_createtable(L, 0, 2);
    set_string(L, "name", name);
    set_integer(L, "value", value);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_params(lua_State *L, snare_type t, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    snare_type p;
    if (snare_type_param(t, i, &p) != SNARE_OK)
      break;
    push_ref(L, p);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* core.type_info(ref) -> {kind, name, size, target, count, vector, members |
   enumerators | params, is_char, declaration, prototyped, varargs; in
   C++: cplus, scope ("ns::K", or absent at the top level), class_tag,
   enum_class, parts (of a struct, class or union)} */
static int core_type_info(lua_State *L)
{
  snare_type t = check_ref(L, 1);
  snare_type_info info;
  snare_status st = snare_type_describe(t, &info);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot describe type", st);
  lua_createtable(L, 0, 10);
  set_string(L, "kind", kind_names[info.kind]);
  set_string(L, "name", info.name);
  set_integer(L, "size", (lua_Integer)info.size);
  set_boolean(L, "is_char", info.is_char);
  set_boolean(L, "declaration", info.declaration);
  if (info.cplus) {
    char scope[512];
    set_boolean(L, "cplus", true);
    if (snare_type_scope(t, scope, sizeof scope) == SNARE_OK && scope[0])
      set_string(L, "scope", scope);
    set_boolean(L, "class_tag", info.class_tag);
    set_boolean(L, "enum_class", info.enum_class);
    set_string(L, "linkage", info.linkage);
  }
  switch (info.kind) {
  case SNARE_TYPE_STRUCT:
  case SNARE_TYPE_UNION:
    push_members(L, t, info.children);
    lua_setfield(L, -2, "members");
    if (info.cplus) {
      push_parts(L, t);
      lua_setfield(L, -2, "parts");
    }
    break;
  case SNARE_TYPE_ENUM:
    push_enumerators(L, t, info.children);
    lua_setfield(L, -2, "enumerators");
    break;
  case SNARE_TYPE_FUNCTION:
    push_params(L, t, info.children);
    lua_setfield(L, -2, "params");
    set_boolean(L, "prototyped", info.prototyped);
    set_boolean(L, "varargs", info.varargs);
    set_boolean(L, "object_param", info.object_param);
    break;
  case SNARE_TYPE_ARRAY:
    set_integer(L, "count", (lua_Integer)info.count);
    set_boolean(L, "vector", info.vector);
    break;
  default:
    break;
  }
  if (info.kind != SNARE_TYPE_VOID) {
    push_ref(L, info.target);
    lua_setfield(L, -2, "target");
  }
  return 1;
}

/* lib:type(name) -> ref, or nil, message */
static int lib_type(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  snare_type t;
  snare_status st = snare_library_type(lib, luaL_checkstring(L, 2), &t);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no such type", st);
  push_ref(L, t);
  return 1;
}

/* lib:global(name) -> type ref, address; or nil, message */
static int lib_global(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  snare_type t;
  uint64_t address;
  snare_status st =
      snare_library_global(lib, luaL_checkstring(L, 2), &t, &address);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no such variable", st);
  push_ref(L, t);
  lua_pushinteger(L, (lua_Integer)address);
  return 2;
}

/* lib:enumerator(name) -> enum type ref, value; or nil, message */
static int lib_enumerator(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  snare_type t;
  int64_t value;
  snare_status st =
      snare_library_enumerator(lib, luaL_checkstring(L, 2), &t, &value);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no such enumerator", st);
  push_ref(L, t);
  lua_pushinteger(L, (lua_Integer)value);
  return 2;
}

/* lib:function_type(addr) -> ref, or nil, message */
static int lib_function_type(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  snare_type t;
  snare_status st = snare_library_function_type(
      lib, (uint64_t)luaL_checkinteger(L, 2), &t);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no function type", st);
  push_ref(L, t);
  return 1;
}

/* lib:debug_file() -> the path its DWARF is read from; or nil, message */
static int lib_debug_file(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const char *path;
  snare_status st = snare_library_debug_file(lib, &path);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no debug information", st);
  lua_pushstring(L, path);
  return 1;
}

static const char *const file_symbol_kinds[] = {
    [SNARE_FILE_VARIABLE] = "variable",
    [SNARE_FILE_DECLARATION] = "declaration",
    [SNARE_FILE_NAMESPACE] = "namespace",
    [SNARE_FILE_TYPE] = "type",
};

/* lib:file_symbols() -> { {kind, name, linkage, file, codeless_file,
   line, global, type}... } in DWARF order (info variables, info types); or nil,
   message */
static int lib_file_symbols(lua_State *L)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const snare_file_symbol *symbols;
  size_t count;
  snare_status st = snare_library_file_symbols(lib, &symbols, &count);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "no file-scope symbols", st);
  lua_createtable(L, (int)count, 0);
  for (size_t i = 0; i < count; i++) {
    const snare_file_symbol *s = &symbols[i];
    lua_createtable(L, 0, 7);
    set_string(L, "kind", file_symbol_kinds[s->kind]);
    set_string(L, "name", s->name);
    set_string(L, "linkage", s->linkage);
    set_string(L, "file", s->file);
    set_string(L, "codeless_file", s->codeless_file);
    set_integer(L, "line", s->line);
    set_boolean(L, "global", s->global);
    push_ref(L, s->type);
    lua_setfield(L, -2, "type");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* Searches of every library loaded through snare.load, first loaded
   first: the first that knows the name answers. */
typedef struct name_query {
  const char *name;
  const char *file; /* a global of this source file only, unless NULL */
  uint64_t at;      /* function_static's: an address of the function */
  snare_type type;
  int64_t value;
  uint64_t address;
  snare_status status;
} name_query;

static bool has_type(snare_library *lib, void *p)
{
  name_query *q = p;
  return snare_library_type(lib, q->name, &q->type) == SNARE_OK;
}

static bool has_global(snare_library *lib, void *p)
{
  name_query *q = p;
  return (q->file != NULL
              ? snare_library_file_global(lib, q->file, q->name, &q->type,
                                          &q->address)
              : snare_library_global(lib, q->name, &q->type, &q->address)) ==
         SNARE_OK;
}

static bool has_enumerator(snare_library *lib, void *p)
{
  name_query *q = p;
  return snare_library_enumerator(lib, q->name, &q->type, &q->value) ==
         SNARE_OK;
}

/* core.find_type(name) -> ref, library | nil */
static int core_find_type(lua_State *L)
{
  name_query q = {.name = luaL_checkstring(L, 1)};
  if (!snare_lua_find_library(L, has_type, &q))
    return 0;
  push_ref(L, q.type);
  lua_insert(L, -2);
  return 2;
}

/* core.find_global(name [, file]) -> type ref, address, library | nil;
   `file`: among the variables of that source file only */
static int core_find_global(lua_State *L)
{
  name_query q = {.name = luaL_checkstring(L, 1),
                  .file = luaL_optstring(L, 2, NULL)};
  if (!snare_lua_find_library(L, has_global, &q))
    return 0;
  push_ref(L, q.type);
  lua_pushinteger(L, (lua_Integer)q.address);
  lua_rotate(L, -3, 2);
  return 3;
}

static bool has_function_static(snare_library *lib, void *p)
{
  name_query *q = p;
  snare_status st = snare_library_function_static(lib, q->at, q->name,
                                                  &q->type, &q->address);
  if (st == SNARE_OK || st == SNARE_UNSUPPORTED) {
    q->status = st;
    return true;
  }
  return false;
}

/* core.function_static(addr, name) -> type ref, address | nil, "frame"
   (the function's variable of that name lives in a frame) | nil: a
   static variable of the function whose code holds addr */
static int core_function_static(lua_State *L)
{
  name_query q = {.at = (uint64_t)luaL_checkinteger(L, 1),
                  .name = luaL_checkstring(L, 2)};
  if (!snare_lua_find_library(L, has_function_static, &q))
    return 0;
  lua_pop(L, 1);
  if (q.status != SNARE_OK) {
    lua_pushnil(L);
    lua_pushliteral(L, "frame");
    return 2;
  }
  push_ref(L, q.type);
  lua_pushinteger(L, (lua_Integer)q.address);
  return 2;
}

/* core.find_enumerator(name) -> enum type ref, value, library | nil */
static int core_find_enumerator(lua_State *L)
{
  name_query q = {.name = luaL_checkstring(L, 1)};
  if (!snare_lua_find_library(L, has_enumerator, &q))
    return 0;
  push_ref(L, q.type);
  lua_pushinteger(L, (lua_Integer)q.value);
  lua_rotate(L, -3, 2);
  return 3;
}

typedef struct address_query {
  uint64_t address;
  snare_type type; /* the function's (has_function) */
  size_t count;    /* of variables visible there (has_variables) */
} address_query;

static bool has_function(snare_library *lib, void *p)
{
  address_query *q = p;
  return snare_library_function_type(lib, q->address, &q->type) == SNARE_OK;
}

/* core.find_function_type(addr) -> ref, library | nil */
static int core_find_function_type(lua_State *L)
{
  address_query q = {.address = (uint64_t)luaL_checkinteger(L, 1)};
  if (!snare_lua_find_library(L, has_function, &q))
    return 0;
  push_ref(L, q.type);
  lua_insert(L, -2);
  return 2;
}

static bool has_variables(snare_library *lib, void *p)
{
  address_query *q = p;
  return snare_library_variables_at(lib, q->address, NULL, 0, &q->count) ==
         SNARE_OK;
}

/* core.variables_at(addr) -> {name...} (the parameters and locals
   visible there, of each source frame) | nil: no DWARF function there */
static int core_variables_at(lua_State *L)
{
  address_query q = {.address = (uint64_t)luaL_checkinteger(L, 1)};
  if (!snare_lua_find_library(L, has_variables, &q))
    return 0;
  snare_library *lib = snare_lua_checklibrary(L, -1);
  snare_variable_info *vars =
      lua_newuserdatauv(L, (q.count + 1) * sizeof *vars, 0);
  size_t n = 0;
  snare_library_variables_at(lib, q.address, vars, q.count, &n);
  if (n > q.count)
    n = q.count;
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, vars[i].name);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

int snare_lua_push_location(lua_State *L, snare_status st,
                            const snare_variable_location *where,
                            const char *name)
{
  if (st == SNARE_NOT_FOUND) {
    lua_pushnil(L);
    lua_pushfstring(L, "no variable '%s' here", name);
    return 2;
  }
  if (st != SNARE_OK)
    return snare_lua_fail(L, "cannot locate variable", st);
  lua_createtable(L, 0, 4);
  push_ref(L, where->type);
  lua_setfield(L, -2, "type");
  if (where->synthetic)
    set_boolean(L, "synthetic", true);
  if (where->optimized_out)
    set_boolean(L, "optimized_out", true);
  else if (where->in_memory)
    set_integer(L, "address", (lua_Integer)where->address);
  else {
    size_t n = where->size < sizeof where->bytes ? where->size
                                                 : sizeof where->bytes;
    lua_pushlstring(L, (const char *)where->bytes, n);
    lua_setfield(L, -2, "bytes");
  }
  return 1;
}

const luaL_Reg snare_lua_type_library_methods[] = {
    {"type", lib_type},
    {"global", lib_global},
    {"enumerator", lib_enumerator},
    {"function_type", lib_function_type},
    {"file_symbols", lib_file_symbols},
    {"debug_file", lib_debug_file},
    {NULL, NULL},
};

const luaL_Reg snare_lua_type_functions[] = {
    {"type_info", core_type_info},
    {"find_type", core_find_type},
    {"find_global", core_find_global},
    {"find_enumerator", core_find_enumerator},
    {"function_static", core_function_static},
    {"find_function_type", core_find_function_type},
    {"variables_at", core_variables_at},
    {NULL, NULL},
};
