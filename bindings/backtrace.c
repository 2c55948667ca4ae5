/*
 * backtrace.c - s:backtrace(), s:frame(i) and the stack frame objects
 * they return: where each frame is, and its variables by name.
 *
 * A stack frame object holds its session (user value 1) and its fields
 * (user value 2: index, pc, sp, cfa, func, file, line, inlined,
 * tail_call). It is
 * valid while the session stays stopped at the stop it was made at.
 * s:thread_backtrace(id) and s:thread_frame(id, i) make the frames of an
 * attached thread parked at a stop: valid while that thread stays parked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snare_lua.h"

typedef struct lstack_frame {
  uint64_t seq;
  size_t index; /* 0: innermost, as gdb numbers frames */
  int thread;   /* an attached thread's id; 0: the session's worker */
} lstack_frame;

static void set_string(lua_State *L, const char *key, const char *value)
{
  if (value == NULL)
    return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

static void set_integer(lua_State *L, const char *key, uint64_t value)
{
  lua_pushinteger(L, (lua_Integer)value);
  lua_setfield(L, -2, key);
}

static void push_frame(lua_State *L, int sidx, const lsession *s, int thread,
                       const snare_backtrace_frame *f, size_t index)
{
  lstack_frame *lf = lua_newuserdatauv(L, sizeof *lf, 2);
  lf->seq = s->stop_seq;
  lf->index = index;
  lf->thread = thread;
  luaL_setmetatable(L, STACK_FRAME_TYPE);
  lua_pushvalue(L, sidx);
  lua_setiuservalue(L, -2, 1);
  lua_createtable(L, 0, 8);
  set_integer(L, "index", index);
  set_integer(L, "pc", f->pc);
  set_integer(L, "sp", f->sp);
  set_integer(L, "cfa", f->cfa);
  set_string(L, "func", f->function);
  set_string(L, "file", f->file);
  if (f->file != NULL)
    set_integer(L, "line", f->line);
  if (thread != 0)
    set_integer(L, "thread", (uint64_t)thread);
  lua_pushboolean(L, f->inlined);
  lua_setfield(L, -2, "inlined");
  lua_pushboolean(L, f->tail_call);
  lua_setfield(L, -2, "tail_call");
  lua_setiuservalue(L, -2, 2);
}

/* The frames of the stopped session at index 1 (of its parked thread
   `thread` unless 0), malloc'd. */
static snare_backtrace_frame *collect(lua_State *L, lsession *s, int thread,
                                      size_t *n)
{
  int id = thread != 0 ? thread : snare_session_thread(s->session);
  snare_status st = snare_thread_backtrace(s->session, id, NULL, 0, n);
  snare_backtrace_frame *frames = NULL;
  if (st == SNARE_OK && *n > 0) {
    frames = malloc(*n * sizeof *frames);
    st = frames ? snare_thread_backtrace(s->session, id, frames, *n, n)
                : SNARE_NO_MEMORY;
  }
  if (st != SNARE_OK) {
    free(frames);
    if (thread != 0)
      luaL_error(L, SESSION_TYPE ": cannot unwind thread %d: %s", thread,
                 snare_status_message(st));
    snare_lua_status_error(L, SESSION_TYPE, "cannot unwind", st);
  }
  /* The worker's own frames below the called function are snare's, not
     the program's: the stack ends where they begin. */
  for (size_t i = 1; i < *n; i++) {
    if (snare_lua_is_own_code(frames[i].pc)) {
      *n = i;
      break;
    }
  }
  return frames;
}

static int backtrace_of(lua_State *L, lsession *s, int thread)
{
  size_t n;
  snare_backtrace_frame *frames = collect(L, s, thread, &n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_frame(L, 1, s, thread, &frames[i], i);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(frames);
  return 1;
}

static int frame_of(lua_State *L, lsession *s, int thread, lua_Integer i)
{
  size_t n;
  snare_backtrace_frame *frames = collect(L, s, thread, &n);
  if (i < 0 || (size_t)i >= n) {
    free(frames);
    lua_pushnil(L);
    lua_pushfstring(L, "no frame %I (the stack has %I)", i, (lua_Integer)n);
    return 2;
  }
  push_frame(L, 1, s, thread, &frames[i], (size_t)i);
  free(frames);
  return 1;
}

/* s:backtrace() -> { frame, ... }, innermost first. */
static int session_backtrace(lua_State *L)
{
  return backtrace_of(L, snare_lua_checksession(L, 1), 0);
}

/* s:frame([i]) -> frame i (0: innermost), or nil, message. */
static int session_frame(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  return frame_of(L, s, 0, luaL_optinteger(L, 2, 0));
}

/* s:thread_backtrace(id) -> the frames of parked thread id. */
static int session_thread_backtrace(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  return backtrace_of(L, s, snare_lua_checkthread(L, 2));
}

/* s:thread_frame(id [, i]) -> frame i of parked thread id, or nil, msg. */
static int session_thread_frame(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int thread = snare_lua_checkthread(L, 2);
  return frame_of(L, s, thread, luaL_optinteger(L, 3, 0));
}

/* The frame at idx, its session and the id of its thread; raises once
   the session (or the thread) moved on. */
static lstack_frame *checklive(lua_State *L, int idx, snare_session **session,
                               int *id)
{
  lstack_frame *f = luaL_checkudata(L, idx, STACK_FRAME_TYPE);
  lua_getiuservalue(L, idx, 1);
  lsession *s = lua_touserdata(L, -1);
  lua_pop(L, 1);
  bool live = s->session != NULL &&
              (f->thread != 0 ? snare_thread_is_alive(s->session, f->thread) &&
                                    !snare_thread_is_running(s->session,
                                                             f->thread)
                              : s->stop_seq == f->seq &&
                                    snare_session_stopped(s->session));
  if (!live)
    luaL_error(L, STACK_FRAME_TYPE ": frame is no longer valid "
                  "(the session was resumed)");
  *session = s->session;
  *id = f->thread != 0 ? f->thread : snare_session_thread(s->session);
  return f;
}

/* frame:var(name [, opts]) -> value, or nil, why ("optimized out"). */
static int frame_var(lua_State *L)
{
  snare_session *session;
  int id;
  lstack_frame *f = checklive(L, 1, &session, &id);
  const char *name = luaL_checkstring(L, 2);
  snare_value_options opts;
  snare_lua_value_options(L, 3, &opts);
  snare_value *v = NULL;
  snare_status st = snare_thread_variable_read(session, id, f->index, name, &opts, &v);
  return snare_lua_push_variable(L, st, v, name);
}

/* frame:locate(name | index) -> {type =, address = | bytes =}, or nil,
   why; index: a variable's place in the frame's list, its parameters then
   its locals as frame:params() and frame:locals() list them, 0 first (a
   shadowed variable is located so). */
static int frame_locate(lua_State *L)
{
  snare_session *session;
  int id;
  lstack_frame *f = checklive(L, 1, &session, &id);
  snare_variable_location where;
  if (lua_isinteger(L, 2)) {
    lua_Integer index = lua_tointeger(L, 2);
    luaL_argcheck(L, index >= 0, 2, "a listed variable's index expected");
    snare_status st = snare_thread_variable_locate_listed(
        session, id, f->index, (size_t)index, &where);
    return snare_lua_push_location(L, st, &where, "variable");
  }
  const char *name = luaL_checkstring(L, 2);
  snare_status st = snare_thread_variable_locate(session, id, f->index, name, &where);
  return snare_lua_push_location(L, st, &where, name);
}

/* The frame's variables (params and/or locals), malloc'd; raises. */
static snare_variable_info *list(lua_State *L, snare_session *session, int id,
                                 const lstack_frame *f, size_t *n)
{
  snare_status st = snare_thread_variable_list(session, id, f->index, NULL, 0, n);
  snare_variable_info *vars = NULL;
  if (st == SNARE_NOT_FOUND) {
    *n = 0;
    return NULL;
  }
  if (st == SNARE_OK && *n > 0) {
    vars = malloc(*n * sizeof *vars);
    st = vars ? snare_thread_variable_list(session, id, f->index, vars, *n, n)
              : SNARE_NO_MEMORY;
  }
  if (st != SNARE_OK) {
    free(vars);
    snare_lua_status_error(L, STACK_FRAME_TYPE, "cannot list variables", st);
  }
  return vars;
}

/* Pushes the value of the frame's listed variable i and returns its
   problem, or NULL. */
static const char *push_listed(lua_State *L, snare_session *session, int id,
                               const lstack_frame *f, size_t i,
                               const snare_value_options *opts)
{
  snare_value *v = NULL;
  snare_status st =
      snare_thread_variable_read_listed(session, id, f->index, i, opts, &v);
  if (st != SNARE_OK) {
    lua_pushnil(L);
    return snare_status_message(st);
  }
  const char *problem = snare_lua_value_problem(v);
  snare_lua_push_value(L, v);
  snare_value_free(v);
  return problem;
}

/* entry = the parameter's value at the function's entry (gdb's
   name@entry), in the entry table at -1, when the caller tells it. */
static void set_entry(lua_State *L, snare_session *session, int id,
                      const lstack_frame *f, const char *name,
                      const snare_value_options *opts)
{
  lua_pushfstring(L, "%s@entry", name);
  snare_value *v = NULL;
  snare_status st = snare_thread_variable_read(session, id, f->index,
                                               lua_tostring(L, -1), opts, &v);
  lua_pop(L, 1);
  if (st != SNARE_OK)
    return;
  if (snare_lua_value_problem(v) == NULL) {
    snare_lua_push_value(L, v);
    lua_setfield(L, -2, "entry");
  }
  snare_value_free(v);
}

enum { WANT_PARAMS = 1, WANT_LOCALS = 2 };

/*
 * A list of { name =, value = [, problem =] } for the frame at 1, the
 * parameters or the locals.
 */
static int entries(lua_State *L, int want)
{
  snare_session *session;
  int id;
  lstack_frame *f = checklive(L, 1, &session, &id);
  snare_value_options opts;
  snare_lua_value_options(L, 2, &opts);
  size_t n;
  snare_variable_info *vars = list(L, session, id, f, &n);
  lua_newtable(L);
  lua_Integer k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(want & (vars[i].is_param ? WANT_PARAMS : WANT_LOCALS)))
      continue;
    lua_createtable(L, 0, 3);
    lua_pushstring(L, vars[i].name);
    lua_setfield(L, -2, "name");
    const char *problem = push_listed(L, session, id, f, i, &opts);
    lua_setfield(L, -2, "value");
    if (problem != NULL) {
      lua_pushstring(L, problem);
      lua_setfield(L, -2, "problem");
    }
    if (vars[i].is_param)
      set_entry(L, session, id, f, vars[i].name, &opts);
    lua_rawseti(L, -2, ++k);
  }
  free(vars);
  return 1;
}

/* frame:params([opts]) -> { {name=, value=[, problem=]}, ... } in order */
static int frame_params(lua_State *L) { return entries(L, WANT_PARAMS); }
/* frame:locals([opts]) -> the same for locals, innermost block first */
static int frame_locals(lua_State *L) { return entries(L, WANT_LOCALS); }

/* frame:vars([opts]) -> { name = value }; optimized-out ones are absent,
   and a shadowed variable gives way to the inner one of its name: the
   list is walked outermost first, so inner ones are set last. */
static int frame_vars(lua_State *L)
{
  entries(L, WANT_PARAMS | WANT_LOCALS);
  lua_newtable(L);
  for (lua_Integer i = (lua_Integer)lua_rawlen(L, -2); i >= 1; i--) {
    lua_rawgeti(L, -2, i);
    lua_getfield(L, -1, "name");
    lua_getfield(L, -2, "value");
    lua_rawset(L, -4);
    lua_pop(L, 1);
  }
  return 1;
}

/* frame:set_var(name, number | boolean); raises when it cannot. */
static int frame_set_var(lua_State *L)
{
  snare_session *session;
  int id;
  lstack_frame *f = checklive(L, 1, &session, &id);
  const char *name = luaL_checkstring(L, 2);
  snare_status st;
  if (lua_isboolean(L, 3))
    st = snare_thread_variable_write_int(session, id, f->index, name, lua_toboolean(L, 3));
  else if (lua_isinteger(L, 3))
    st = snare_thread_variable_write_int(session, id, f->index, name,
                                  lua_tointeger(L, 3));
  else
    st = snare_thread_variable_write_float(session, id, f->index, name,
                                    luaL_checknumber(L, 3));
  if (st != SNARE_OK)
    return luaL_error(L, STACK_FRAME_TYPE ": cannot write '%s': %s", name,
                      snare_status_message(st));
  return 0;
}

/* The thread's registers beyond the general ones, into the table on top:
   segment selectors, fs_base, gs_base, st0..st7 (10 bytes each), the x87
   control registers, mxcsr, vector_bits, ymm0..15 (bytes; with AVX),
   zmm0..31 and k0..k7 (with AVX-512), pkru (where the OS enables it).
   Nothing when the thread has no saved state. */
static void set_machine_state(lua_State *L, snare_session *session, int id)
{
  snare_machine_state m;
  if (snare_thread_machine_state_read(session, id, &m) != SNARE_OK)
    return;
  const struct { const char *name; uint64_t value; } plain[] = {
      {"cs", m.cs},         {"ss", m.ss},           {"ds", m.ds},
      {"es", m.es},         {"fs", m.fs},           {"gs", m.gs},
      {"fs_base", m.fs_base}, {"gs_base", m.gs_base}, {"fctrl", m.fctrl},
      {"fstat", m.fstat},   {"ftag", m.ftag},       {"fiseg", m.fiseg},
      {"fioff", m.fioff},   {"foseg", m.foseg},     {"fooff", m.fooff},
      {"fop", m.fop},       {"mxcsr", m.mxcsr},
      {"vector_bits", m.vector_bits}};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    set_integer(L, plain[i].name, plain[i].value);
  if (m.has_pkru)
    set_integer(L, "pkru", m.pkru);
  char name[16];
  for (unsigned i = 0; i < 8; i++) {
    snprintf(name, sizeof name, "st%u", i);
    lua_pushlstring(L, (const char *)m.st[i], sizeof m.st[i]);
    lua_setfield(L, -2, name);
  }
  if (m.vector_bits == 128)
    return;
  for (unsigned i = 0; i < 16; i++) { /* ymm: zmm's low halves too */
    snprintf(name, sizeof name, "ymm%u", i);
    lua_pushlstring(L, (const char *)m.vector[i], 32);
    lua_setfield(L, -2, name);
  }
  if (m.vector_bits == 512)
    for (unsigned i = 0; i < m.vector_count; i++) {
      snprintf(name, sizeof name, "zmm%u", i);
      lua_pushlstring(L, (const char *)m.vector[i], 64);
      lua_setfield(L, -2, name);
    }
  if (m.vector_bits == 512)
    for (unsigned i = 0; i < 8; i++) {
      snprintf(name, sizeof name, "k%u", i);
      set_integer(L, name, m.k[i]);
    }
}

/* frame:registers() -> { rax = ..., eflags = ..., xmm0 = 16 bytes, ...,
   saved = { rbx = address, rip = address }, cfa =, caller_cfa =,
   callee_cfa =, and those of set_machine_state }: the frame's registers
   as gdb shows them. */
static int frame_registers(lua_State *L)
{
  snare_session *session;
  int id;
  lstack_frame *f = checklive(L, 1, &session, &id);
  snare_frame_registers regs;
  snare_status st =
      snare_thread_frame_registers_read(session, id, f->index, &regs);
  if (st != SNARE_OK)
    return snare_lua_status_error(L, STACK_FRAME_TYPE,
                                  "cannot read registers", st);
  lua_createtable(L, 0, SNARE_REG_COUNT + 20);
  lua_newtable(L);
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    if (regs.saved_at[r] != 0)
      set_integer(L, snare_register_name((snare_register)r),
                  regs.saved_at[r]);
  lua_setfield(L, -2, "saved");
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    set_integer(L, snare_register_name((snare_register)r), regs.value[r]);
  for (unsigned x = 0; x < 16; x++) {
    char name[16];
    snprintf(name, sizeof name, "xmm%u", x);
    lua_pushlstring(L, (const char *)regs.xmm[x], sizeof regs.xmm[x]);
    lua_setfield(L, -2, name);
  }
  set_integer(L, "cfa", regs.cfa);
  set_integer(L, "caller_cfa", regs.caller_cfa);
  set_integer(L, "callee_cfa", regs.callee_cfa);
  set_machine_state(L, session, id);
  return 1;
}

/* A parameter's value as tostring shows it. */
static void push_short(lua_State *L, int idx)
{
  if (lua_type(L, idx) == LUA_TSTRING)
    lua_pushfstring(L, "\"%s\"", lua_tostring(L, idx));
  else if (lua_istable(L, idx))
    lua_pushliteral(L, "{...}");
  else if (lua_isnil(L, idx))
    lua_pushliteral(L, "<optimized out>");
  else
    luaL_tolstring(L, idx, NULL);
}

/*
 * A parameter as gdb 13 writes it in a frame line (`set print
 * entry-values default`), from the texts of its value and of its value at
 * entry (NULL where that is unknown): "x=5", "x=x@entry=5" when both are
 * the same, "x=9, x@entry=6" when they differ (the value optimized out
 * too: "x=<optimized out>, x@entry=6"). The prompt's frame lines
 * (core.argument_text) and a frame's tostring both write it here.
 */
static void push_argument(lua_State *L, const char *name, const char *text,
                          const char *entry)
{
  if (entry != NULL && strcmp(entry, text) == 0)
    lua_pushfstring(L, "%s=%s@entry=%s", name, name, text);
  else if (entry != NULL)
    lua_pushfstring(L, "%s=%s, %s@entry=%s", name, text, name, entry);
  else
    lua_pushfstring(L, "%s=%s", name, text);
}

/* core.argument_text(name, text [, entry]) -> push_argument's text */
static int core_argument_text(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  const char *text = luaL_checkstring(L, 2);
  push_argument(L, name, text, luaL_optstring(L, 3, NULL));
  return 1;
}

/*
 * One parameter of the entry table at -1 as push_argument writes it,
 * after ", " when comma: values as push_short shows them, "p=<synthetic
 * pointer>" for an implicit pointer; an aggregate's value at entry is
 * not shown (push_short cannot tell two of them apart).
 */
static void push_param(lua_State *L, bool comma)
{
  int entry = lua_gettop(L);
  lua_pushstring(L, comma ? ", " : "");
  lua_getfield(L, entry, "name");
  const char *name = lua_tostring(L, -1);
  lua_getfield(L, entry, "value");
  bool aggregate = lua_istable(L, -1);
  if (lua_getfield(L, entry, "problem") == LUA_TSTRING &&
      strcmp(lua_tostring(L, -1), "synthetic pointer") == 0)
    lua_pushliteral(L, "<synthetic pointer>");
  else
    push_short(L, -2);
  const char *text = lua_tostring(L, -1);
  const char *at_entry = NULL;
  if (lua_getfield(L, entry, "entry") != LUA_TNIL && !aggregate &&
      !lua_istable(L, -1)) {
    push_short(L, -1);
    at_entry = lua_tostring(L, -1);
  }
  push_argument(L, name, text, at_entry);
  lua_pushvalue(L, entry + 1); /* the comma, before it */
  lua_insert(L, -2);
  lua_concat(L, 2);
  lua_replace(L, entry + 1);
  lua_settop(L, entry + 1);
}

/* The file of a frame's line named as the prompt and gdb name it
   (snare_source_name_at: "../spec/fixtures/optimised.c"), by the pc of
   frame 0 and the call's last byte in its callers. */
static const char *frame_file_name(lua_State *L, int fields, const char *path)
{
  lua_getfield(L, fields, "pc");
  uint64_t pc = (uint64_t)lua_tointeger(L, -1);
  lua_getfield(L, fields, "index");
  if (lua_tointeger(L, -1) > 0)
    pc -= 1;
  lua_pop(L, 2);
  const char *name = path;
  if (snare_source_name_at(pc, path, &name) != SNARE_OK)
    name = path;
  return name;
}

/* "fib (n=3) at ../src/demo.c:12", as gdb's backtrace lines read. Pieces are
   pushed in order and concatenated at the end. */
static int frame_tostring(lua_State *L)
{
  luaL_checkudata(L, 1, STACK_FRAME_TYPE);
  lua_getiuservalue(L, 1, 2);
  int fields = lua_gettop(L);
  lua_getfield(L, fields, "func");
  if (!lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "??");
  }
  lua_pushcfunction(L, frame_params);
  lua_pushvalue(L, 1);
  if (lua_pcall(L, 1, 1, 0) == LUA_OK) { /* a stale frame has no values */
    int params = lua_gettop(L);
    lua_pushliteral(L, " (");
    for (lua_Integer i = 1; lua_rawgeti(L, params, i) == LUA_TTABLE; i++) {
      push_param(L, i > 1);
      lua_replace(L, -2); /* the entry table */
    }
    lua_pop(L, 1);
    lua_pushliteral(L, ")");
    lua_remove(L, params);
  } else {
    lua_pop(L, 1);
  }
  if (lua_getfield(L, fields, "file") == LUA_TSTRING) {
    lua_getfield(L, fields, "line");
    lua_pushfstring(L, " at %s:%I",
                    frame_file_name(L, fields, lua_tostring(L, -2)),
                    lua_tointeger(L, -1));
    lua_replace(L, -3);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
  lua_concat(L, lua_gettop(L) - fields);
  return 1;
}

/* __index: methods, then the fields. */
static int frame_index(lua_State *L)
{
  luaL_checkudata(L, 1, STACK_FRAME_TYPE);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
    return 1;
  lua_getiuservalue(L, 1, 2);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  return 1;
}

static const luaL_Reg frame_methods[] = {
    {"var", frame_var},       {"vars", frame_vars},
    {"params", frame_params}, {"locals", frame_locals},
    {"set_var", frame_set_var}, {"locate", frame_locate},
    {"registers", frame_registers},
    {NULL, NULL},
};

const luaL_Reg snare_lua_backtrace_functions[] = {
    {"argument_text", core_argument_text},
    {NULL, NULL},
};

const luaL_Reg snare_lua_backtrace_methods[] = {
    {"backtrace", session_backtrace},
    {"frame", session_frame},
    {"thread_backtrace", session_thread_backtrace},
    {"thread_frame", session_thread_frame},
    {NULL, NULL},
};

void snare_lua_open_backtrace(lua_State *L)
{
  luaL_newmetatable(L, STACK_FRAME_TYPE);
  lua_pushcfunction(L, frame_tostring);
  lua_setfield(L, -2, "__tostring");
  luaL_newlib(L, frame_methods);
  lua_pushcclosure(L, frame_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
