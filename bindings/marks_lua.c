/*
 * marks_lua.c - marks in Lua: core.mark(address, data1, data2[, fn]),
 * core.mark_remove, core.mark_info, core.marks, core.mark_break(session,
 * filter), core.mark_break_clear, core.mark_hook(filter, fn),
 * core.probe_hook(lib, "provider:name", fn), and lib:marks(),
 * lib:probes(). Hook callbacks follow hooks_lua.c's rules: Lua runs only
 * on attached threads while the controller waits, one thread at a time;
 * other hits are counted as skipped.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

#define MARK_HOOK_TYPE "snare.mark_hook"

/* ---- values and filters ---- */

static void setint(lua_State *L, const char *field, int64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, field);
}

/* A value at idx: an integer, an operand string ("8@-16(%rbp)") or
   {reg=, offset=, width=}; raises with `what` in the message. */
static snare_mark_value checkvalue(lua_State *L, int idx, const char *what)
{
  snare_mark_value v = {0};
  if (lua_isinteger(L, idx)) {
    v.constant = (int64_t)lua_tointeger(L, idx);
    return v;
  }
  if (lua_type(L, idx) == LUA_TSTRING) {
    if (snare_mark_value_parse(lua_tostring(L, idx), &v) != SNARE_OK)
      luaL_error(L, "snare.mark: %s: cannot evaluate operand '%s'", what,
                 lua_tostring(L, idx));
    return v;
  }
  if (!lua_istable(L, idx))
    luaL_error(L, "snare.mark: %s: integer, operand string or {reg=} "
                  "expected, got %s", what, luaL_typename(L, idx));
  lua_getfield(L, idx, "reg");
  if (!lua_isstring(L, -1) || !snare_lua_toregister(L, lua_gettop(L), &v.reg))
    luaL_error(L, "snare.mark: %s: unknown register '%s'", what,
               lua_isstring(L, -1) ? lua_tostring(L, -1) : "(none)");
  lua_getfield(L, idx, "offset");
  v.kind = lua_isnil(L, -1) ? SNARE_MARK_REGISTER : SNARE_MARK_MEMORY;
  v.offset = (int64_t)luaL_optinteger(L, -1, 0);
  lua_getfield(L, idx, "width");
  v.width = (int)luaL_optinteger(L, -1, 0);
  lua_pop(L, 3);
  return v;
}

static void push_value(lua_State *L, const snare_mark_value *v)
{
  if (v->kind == SNARE_MARK_CONSTANT) {
    lua_pushinteger(L, (lua_Integer)v->constant);
    return;
  }
  lua_createtable(L, 0, 3);
  lua_pushstring(L, snare_register_name(v->reg));
  lua_setfield(L, -2, "reg");
  if (v->kind == SNARE_MARK_MEMORY)
    setint(L, "offset", v->offset);
  if (v->width != 0)
    setint(L, "width", v->width);
}

/* {data1=, data2=, function=, mark=} at idx (nil: every mark). */
static snare_mark_filter checkfilter(lua_State *L, int idx)
{
  snare_mark_filter f = {0};
  if (lua_isnoneornil(L, idx))
    return f;
  luaL_checktype(L, idx, LUA_TTABLE);
  static const struct {
    const char *name;
    unsigned flag;
  } fields[] = {{"data1", SNARE_MARK_MATCH_DATA1},
                {"data2", SNARE_MARK_MATCH_DATA2},
                {"function", SNARE_MARK_MATCH_FUNCTION},
                {"mark", SNARE_MARK_MATCH_MARK}};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    if (lua_getfield(L, idx, fields[i].name) != LUA_TNIL) {
      if (!lua_isinteger(L, -1))
        luaL_error(L, "mark filter: %s must be an integer", fields[i].name);
      lua_Integer v = lua_tointeger(L, -1);
      f.flags |= fields[i].flag;
      if (i == 0)
        f.data1 = (int64_t)v;
      else if (i == 1)
        f.data2 = (int64_t)v;
      else if (i == 2)
        f.function = (uint64_t)v;
      else
        f.mark = (int)v;
    }
    lua_pop(L, 1);
  }
  return f;
}

/* ---- the mark table ---- */

/* core.mark(address, data1, data2[, function]) -> id */
static int core_mark(lua_State *L)
{
  snare_lua_check_no_callback(L, "change marks");
  uint64_t addr;
  snare_lua_checkaddress(L, 1, &addr);
  snare_mark_value d1 = checkvalue(L, 2, "data1");
  snare_mark_value d2 = lua_isnoneornil(L, 3) ? (snare_mark_value){0}
                                              : checkvalue(L, 3, "data2");
  uint64_t fn = (uint64_t)luaL_optinteger(L, 4, 0);
  int id;
  snare_status st = snare_mark_add(addr, d1, d2, fn, &id);
  if (st != SNARE_OK)
    return luaL_error(L, "snare.mark: cannot mark %s: %s",
                      snare_lua_push_address(L, addr), snare_status_message(st));
  lua_pushinteger(L, id);
  return 1;
}

/* true, or nil, message, status name */
static int done(lua_State *L, const char *what, snare_status st)
{
  if (st != SNARE_OK)
    return snare_lua_fail(L, what, st);
  lua_pushboolean(L, 1);
  return 1;
}

static int core_mark_remove(lua_State *L)
{
  snare_lua_check_no_callback(L, "change marks");
  return done(L, "snare.mark_remove",
              snare_mark_remove((int)luaL_checkinteger(L, 1)));
}

static void push_info(lua_State *L, const snare_mark_info *m)
{
  lua_createtable(L, 0, 10);
  setint(L, "id", m->id);
  setint(L, "address", (int64_t)m->address);
  setint(L, "function", (int64_t)m->function);
  push_value(L, &m->data1);
  lua_setfield(L, -2, "data1");
  push_value(L, &m->data2);
  lua_setfield(L, -2, "data2");
  setint(L, "armed", m->armed);
  if (m->provider == NULL)
    return;
  lua_pushstring(L, m->provider);
  lua_setfield(L, -2, "provider");
  lua_pushstring(L, m->name);
  lua_setfield(L, -2, "name");
  setint(L, "semaphore", (int64_t)m->semaphore);
  lua_createtable(L, (int)m->arg_count, 0);
  for (unsigned i = 0; i < m->arg_count; i++) {
    push_value(L, &m->args[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "args");
}

static int core_mark_info(lua_State *L)
{
  snare_mark_info info;
  snare_status st = snare_mark_lookup((int)luaL_checkinteger(L, 1), &info);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "snare.mark_info", st);
  push_info(L, &info);
  return 1;
}

/* Pushes the info tables of ids, keeping probes only if probes_only. */
static void push_list(lua_State *L, const int *ids, size_t n, bool probes_only)
{
  lua_createtable(L, (int)n, 0);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i++) {
    snare_mark_info info;
    if (snare_mark_lookup(ids[i], &info) != SNARE_OK ||
        (probes_only && info.provider == NULL))
      continue;
    push_info(L, &info);
    lua_rawseti(L, -2, ++k);
  }
}

static int core_marks(lua_State *L)
{
  size_t n = snare_mark_list(NULL, 0);
  int *ids = lua_newuserdatauv(L, n * sizeof *ids + 1, 0);
  n = snare_mark_list(ids, n);
  push_list(L, ids, n, false);
  return 1;
}

static int library_list(lua_State *L, bool probes_only)
{
  snare_library *lib = snare_lua_checklibrary(L, 1);
  size_t n = snare_library_marks(lib, NULL, 0);
  int *ids = lua_newuserdatauv(L, n * sizeof *ids + 1, 0);
  n = snare_library_marks(lib, ids, n);
  push_list(L, ids, n, probes_only);
  return 1;
}

/* lib:marks() -> every mark of the library; lib:probes() -> its USDT
   probes {provider=, name=, address=, args={...}, ...} */
static int lib_marks(lua_State *L) { return library_list(L, false); }
static int lib_probes(lua_State *L) { return library_list(L, true); }

const luaL_Reg snare_lua_marks_library_methods[] = {
    {"marks", lib_marks},
    {"probes", lib_probes},
    {NULL, NULL},
};

/* ---- breakpoints on marks ---- */

/* core.mark_break(session, filter) -> id; stops report data1/data2 */
static int core_mark_break(lua_State *L)
{
  snare_lua_check_no_callback(L, "set a breakpoint");
  lsession *s = snare_lua_checksession(L, 1);
  snare_mark_filter f = checkfilter(L, 2);
  int id;
  snare_status st = snare_breakpoint_on_marks(s->session, &f, NULL, &id);
  if (st != SNARE_OK)
    return snare_lua_fail(L, "snare.mark_break", st);
  lua_pushinteger(L, id);
  return 1;
}

static int core_mark_break_clear(lua_State *L)
{
  snare_lua_check_no_callback(L, "clear a breakpoint");
  return done(L, "snare.mark_break_clear",
              snare_mark_breakpoint_clear((int)luaL_checkinteger(L, 1)));
}

/* ---- mark hooks ---- */

/* What the core's callback needs; freed when the Lua object is removed. */
typedef struct markstate {
  lua_State *co;
  int co_ref, fn_ref;
  bool probe; /* call fn(args...) with the probe's arguments */
  atomic_ullong skipped, errors;
  char last_error[512];
  size_t count; /* the probe's marks and their arguments */
  snare_mark_info *marks;
} markstate;

typedef struct lmarkhook {
  markstate *state; /* NULL once removed */
  size_t count;
  int ids[]; /* the core's hooks */
} lmarkhook;

static const snare_mark_info *probe_mark(const markstate *st, int mark)
{
  for (size_t i = 0; i < st->count; i++)
    if (st->marks[i].id == mark)
      return &st->marks[i];
  return NULL;
}

/* Pushes the callback's arguments; returns how many. */
static int push_arguments(lua_State *co, const markstate *st,
                          const snare_mark_hit *hit, snare_frame *frame,
                          lframe **f)
{
  if (!st->probe) {
    lua_pushinteger(co, (lua_Integer)hit->function);
    lua_pushinteger(co, (lua_Integer)hit->data1);
    lua_pushinteger(co, (lua_Integer)hit->data2);
    *f = snare_lua_push_frame(co, frame);
    return 4;
  }
  const snare_mark_info *m = probe_mark(st, hit->mark);
  unsigned n = m ? m->arg_count : 0;
  lua_checkstack(co, (int)n);
  for (unsigned i = 0; i < n; i++) {
    int64_t v;
    if (snare_mark_value_eval(frame, &m->args[i], &v) == SNARE_OK)
      lua_pushinteger(co, (lua_Integer)v);
    else
      lua_pushnil(co);
  }
  return (int)n;
}

/* The core's callback, on the thread that hit the mark. */
static void on_hit(const snare_mark_hit *hit, snare_frame *frame, void *data)
{
  markstate *st = data;
  if (hit->thread == 0 || !snare_lua_try_enter_async()) {
    atomic_fetch_add(&st->skipped, 1);
    return;
  }
  lua_State *co = st->co;
  int top = lua_gettop(co);
  lua_rawgeti(co, LUA_REGISTRYINDEX, st->fn_ref);
  lframe *f = NULL;
  int nargs = push_arguments(co, st, hit, frame, &f);
  if (f != NULL) {
    /* a copy below the function keeps the frame alive after the call, for
       the f->frame = NULL that ends it (an argument alone may be
       collected before pcall returns) */
    lua_pushvalue(co, -1);
    lua_insert(co, top + 1);
  }
  const char *what = st->probe ? "probe hook" : "mark hook";
  if (snare_lua_pcall(co, nargs, 0, what) != LUA_OK) {
    atomic_fetch_add(&st->errors, 1);
    snprintf(st->last_error, sizeof st->last_error, "%s",
             lua_tostring(co, -1) ? lua_tostring(co, -1) : "(error object)");
  }
  if (f != NULL)
    f->frame = NULL;
  lua_settop(co, top);
  snare_lua_leave_async();
}

static void free_state(markstate *st)
{
  luaL_unref(st->co, LUA_REGISTRYINDEX, st->fn_ref);
  luaL_unref(st->co, LUA_REGISTRYINDEX, st->co_ref);
  free(st->marks);
  free(st);
}

/* Pushes a hook object for n core hooks, with a state for fn at idx. */
static lmarkhook *new_hook(lua_State *L, size_t n, int fn)
{
  lmarkhook *h = lua_newuserdatauv(L, sizeof *h + n * sizeof h->ids[0], 0);
  h->state = NULL;
  h->count = 0;
  luaL_setmetatable(L, MARK_HOOK_TYPE);
  markstate *st = calloc(1, sizeof *st);
  if (st == NULL)
    luaL_error(L, "snare.mark_hook: out of memory");
  st->co = lua_newthread(L);
  st->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, fn);
  st->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  h->state = st;
  return h;
}

static void hook_remove_all(lmarkhook *h)
{
  for (size_t i = 0; i < h->count; i++)
    snare_mark_hook_remove(h->ids[i]);
  if (h->state != NULL)
    free_state(h->state);
  h->state = NULL;
  h->count = 0;
}

static int add_core_hook(lua_State *L, lmarkhook *h,
                         const snare_mark_filter *f)
{
  int id;
  snare_status st = snare_mark_hook(f, on_hit, h->state, NULL, &id);
  if (st != SNARE_OK) {
    hook_remove_all(h);
    return luaL_error(L, "snare.mark_hook: %s", snare_status_message(st));
  }
  h->ids[h->count++] = id;
  return 0;
}

/* core.mark_hook(filter, fn) -> hook; fn(function, data1, data2, frame) */
static int core_mark_hook(lua_State *L)
{
  snare_lua_check_no_callback(L, "set a hook");
  snare_mark_filter f = checkfilter(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lmarkhook *h = new_hook(L, 1, 2);
  add_core_hook(L, h, &f);
  return 1;
}

/* core.probe_hook(lib, "provider:name", fn) -> hook; fn(args...) at
   every site of the probe. Raises if the library has no such probe. */
static int core_probe_hook(lua_State *L)
{
  snare_lua_check_no_callback(L, "set a hook");
  snare_library *lib = snare_lua_checklibrary(L, 1);
  const char *spec = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  const char *colon = strchr(spec, ':');
  size_t plen = colon ? (size_t)(colon - spec) : 0;
  size_t n = snare_library_marks(lib, NULL, 0);
  int *ids = lua_newuserdatauv(L, n * sizeof *ids + 1, 0);
  n = snare_library_marks(lib, ids, n);
  snare_mark_info *found = calloc(n + 1, sizeof *found);
  size_t count = 0;
  for (size_t i = 0; colon && found && i < n; i++) {
    snare_mark_info m;
    if (snare_mark_lookup(ids[i], &m) == SNARE_OK && m.provider != NULL &&
        strlen(m.provider) == plen && strncmp(m.provider, spec, plen) == 0 &&
        strcmp(m.name, colon + 1) == 0)
      found[count++] = m;
  }
  if (count == 0) {
    free(found);
    return luaL_error(L, "snare.probe_hook: no probe '%s' in %s", spec,
                      snare_library_path(lib));
  }
  lmarkhook *h = new_hook(L, count, 3);
  h->state->probe = true;
  h->state->marks = found;
  h->state->count = count;
  for (size_t i = 0; i < count; i++) {
    snare_mark_filter f = {.flags = SNARE_MARK_MATCH_MARK, .mark = found[i].id};
    add_core_hook(L, h, &f);
  }
  return 1;
}

static lmarkhook *checkhook(lua_State *L)
{
  lmarkhook *h = luaL_checkudata(L, 1, MARK_HOOK_TYPE);
  if (h->state == NULL)
    luaL_error(L, MARK_HOOK_TYPE ": removed");
  return h;
}

static void remove_later(void *p)
{
  hook_remove_all(p);
  free(p);
}

/* hook:remove(); also __close and __gc. Idempotent. The removal may wait
   for a controller (snare_lua_release), so it works on a copy. */
static int hook_remove(lua_State *L)
{
  lmarkhook *h = luaL_checkudata(L, 1, MARK_HOOK_TYPE);
  if (h->state == NULL)
    return 0;
  size_t size = sizeof *h + h->count * sizeof h->ids[0];
  lmarkhook *copy = malloc(size);
  if (copy == NULL) {
    hook_remove_all(h);
    return 0;
  }
  memcpy(copy, h, size);
  h->state = NULL;
  h->count = 0;
  snare_lua_release(remove_later, copy);
  return 0;
}

/* hook:stats() -> {hits=, skipped=, errors=, last_error=} */
static int hook_stats(lua_State *L)
{
  lmarkhook *h = checkhook(L);
  uint64_t hits = 0, one;
  for (size_t i = 0; i < h->count; i++)
    if (snare_mark_hook_hits(h->ids[i], &one) == SNARE_OK)
      hits += one;
  lua_createtable(L, 0, 4);
  setint(L, "hits", (int64_t)hits);
  setint(L, "skipped", (int64_t)atomic_load(&h->state->skipped));
  setint(L, "errors", (int64_t)atomic_load(&h->state->errors));
  if (h->state->last_error[0] != '\0') {
    lua_pushstring(L, h->state->last_error);
    lua_setfield(L, -2, "last_error");
  }
  return 1;
}

static const luaL_Reg hook_methods[] = {
    {"remove", hook_remove},
    {"stats", hook_stats},
    {NULL, NULL},
};

static const luaL_Reg hook_meta[] = {
    {"__gc", hook_remove},
    {"__close", hook_remove},
    {NULL, NULL},
};

static const luaL_Reg core_functions[] = {
    {"mark", core_mark},
    {"mark_remove", core_mark_remove},
    {"mark_info", core_mark_info},
    {"marks", core_marks},
    {"mark_break", core_mark_break},
    {"mark_break_clear", core_mark_break_clear},
    {"mark_hook", core_mark_hook},
    {"probe_hook", core_probe_hook},
    {NULL, NULL},
};

void snare_lua_open_marks(lua_State *L)
{
  luaL_newmetatable(L, MARK_HOOK_TYPE);
  luaL_setfuncs(L, hook_meta, 0);
  luaL_newlib(L, hook_methods);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_setfuncs(L, core_functions, 0);
}
