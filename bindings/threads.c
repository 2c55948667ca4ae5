/*
 * threads.c - threads and events from Lua: s:wait_event, the per-thread
 * controls, s:quit, s:handle; and the export of the C API to code the
 * process loads later (threads that attach themselves call it).
 *
 * Lua may run off the controller's thread only while the controller is
 * blocked in C: inside s:call/s:resume (the worker's conditions) or
 * s:wait_event (attached threads' conditions), each bracketed by
 * snare_lua_wait_begin/end (callback.c), which also lets one Lua callback
 * run at a time. An attached thread whose breakpoint or watchpoint
 * condition fires while the controller is not blocked, or while another
 * thread runs Lua, waits for its turn until the breakpoint or watchpoint
 * is cleared: see breakpoint.c.
 */
#include <dlfcn.h>
#include <string.h>

#include "snare_lua.h"

void snare_lua_export_c_api(void)
{
  Dl_info info;
  if (dladdr((void *)(uintptr_t)snare_lua_export_c_api, &info) != 0 &&
      info.dli_fname != NULL)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

int snare_lua_checkthread(lua_State *L, int idx)
{
  lua_Integer id = luaL_checkinteger(L, idx);
  luaL_argcheck(L, id > 0 && id <= INT32_MAX, idx, "bad thread id");
  return (int)id;
}

static void setinteger(lua_State *L, const char *field, uint64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, field);
}

/* Sets breakpoint (our object, if known) and breakpoint_id, as stops do,
   and the error of a condition that failed on an attached thread. */
static void set_breakpoint(lua_State *L, const snare_event *ev)
{
  if (ev->breakpoint == 0)
    return;
  setinteger(L, "breakpoint_id", (uint64_t)ev->breakpoint);
  lua_getiuservalue(L, 1, SESSION_UV_BREAKPOINTS);
  lua_rawgeti(L, -1, ev->breakpoint);
  lua_setfield(L, -3, "breakpoint");
  lua_pop(L, 1);
  if (lua_getiuservalue(L, 1, SESSION_UV_ERROR) == LUA_TSTRING)
    lua_setfield(L, -2, "error");
  else
    lua_pop(L, 1);
  lua_pushnil(L);
  lua_setiuservalue(L, 1, SESSION_UV_ERROR);
}

void snare_lua_push_registers(lua_State *L, const snare_registers *regs)
{
  lua_createtable(L, 0, SNARE_REG_COUNT);
  for (int r = 0; r < SNARE_REG_COUNT; r++)
    setinteger(L, snare_register_name((snare_register)r), regs->value[r]);
}

static void push_event(lua_State *L, const snare_event *ev)
{
  lua_createtable(L, 0, 12);
  lua_pushstring(L, snare_event_type_name(ev->type));
  lua_setfield(L, -2, "type");
  setinteger(L, "thread", (uint64_t)ev->thread);
  setinteger(L, "data1", (uint64_t)ev->data1);
  setinteger(L, "data2", (uint64_t)ev->data2);
  if (ev->pc != 0)
    setinteger(L, "pc", ev->pc);
  if (ev->function != 0)
    setinteger(L, "func", ev->function);
  if (ev->function_name != NULL) {
    lua_pushstring(L, ev->function_name);
    lua_setfield(L, -2, "name");
  }
  if (ev->type == SNARE_EVENT_FAULT) {
    snare_lua_push_signal_name(L, (int)ev->data1);
    lua_setfield(L, -2, "signal");
  }
  set_breakpoint(L, ev);
  snare_lua_set_watch_fields(L, 1, ev->watchpoint, ev->old_value,
                             ev->new_value);
  if (ev->watchpoint != 0) {
    lua_pushstring(L, snare_stop_reason_text(ev->reason));
    lua_setfield(L, -2, "reason");
  }
  if (ev->has_registers) { /* s:thread_reg reads the live ones */
    snare_lua_push_registers(L, &ev->registers);
    lua_setfield(L, -2, "regs");
  }
  lua_createtable(L, (int)ev->stack_depth, 0);
  for (size_t i = 0; i < ev->stack_depth; i++) {
    lua_pushinteger(L, (lua_Integer)ev->stack[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "stack");
  luaL_setmetatable(L, EVENT_TYPE);
}

static int ok_or_fail(lua_State *L, snare_status st, const char *what)
{
  if (st != SNARE_OK)
    return snare_lua_fail(L, what, st);
  lua_pushboolean(L, 1);
  return 1;
}

/*
 * s:wait_event([timeout_ms [, resume_id]]) -> event, or nil, "timeout".
 * Without a timeout: the session's timeout, or forever if it has none.
 * resume_id: a parked thread to continue once the controller counts as
 * waiting, so that its Lua callbacks can run from its first instruction
 * (resuming it before the call would race with the wait's start).
 */
static int session_wait_event(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "wait for events");
  lua_Integer ms =
      luaL_optinteger(L, 2, s->timeout_ms ? (lua_Integer)s->timeout_ms : -1);
  luaL_argcheck(L, ms >= -1 && ms <= INT32_MAX, 2, "timeout out of range");
  int resume = lua_isnoneornil(L, 3) ? 0 : snare_lua_checkthread(L, 3);
  snare_lua_drain();
  snare_event ev;
  memset(&ev, 0, sizeof ev);
  snare_lua_wait_begin();
  snare_status st =
      resume != 0 ? snare_thread_resume(s->session, resume,
                                        SNARE_RESUME_CONTINUE, NULL)
                  : SNARE_OK;
  if (st != SNARE_OK) {
    snare_lua_wait_end();
    return ok_or_fail(L, st, "cannot resume thread");
  }
  st = snare_wait_event(s->session, (int)ms, &ev);
  snare_lua_wait_end();
  if (st == SNARE_TIMEOUT) {
    luaL_pushfail(L);
    lua_pushliteral(L, "timeout");
    return 2;
  }
  if (st != SNARE_OK)
    return snare_lua_status_error(L, SESSION_TYPE, "cannot wait for events",
                                  st);
  push_event(L, &ev);
  snare_event_free(&ev);
  snare_lua_prune_breakpoints(L, 1);
  return 1;
}


/* s:thread_resume(id [, "continue"|"step" [, pc]]) -> true, or nil, msg. */
static int session_thread_resume(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "resume a thread");
  int id = snare_lua_checkthread(L, 2);
  static const char *const names[] = {"continue", "step", NULL};
  static const snare_resume_mode modes[] = {SNARE_RESUME_CONTINUE,
                                            SNARE_RESUME_STEP_INSTRUCTION};
  snare_resume_mode mode = modes[luaL_checkoption(L, 3, "continue", names)];
  uint64_t pc = 0;
  if (!lua_isnoneornil(L, 4))
    snare_lua_checkaddress(L, 4, &pc);
  return ok_or_fail(L,
                    snare_thread_resume(s->session, id, mode,
                                        lua_isnoneornil(L, 4) ? NULL : &pc),
                    "cannot resume thread");
}

/* s:thread_reg(id, name) -> integer, of a thread parked at an event. */
static int session_thread_reg(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int id = snare_lua_checkthread(L, 2);
  snare_register reg = snare_lua_checkregister(L, 3);
  uint64_t v;
  snare_status st = snare_thread_register_get(s->session, id, reg, &v);
  if (st != SNARE_OK)
    return luaL_error(L, SESSION_TYPE ": cannot read register of thread %d: %s",
                      id, snare_status_message(st));
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

/* s:thread_xmm(id, i) -> 16-byte little-endian string, i in 0..15. */
static int session_thread_xmm(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int id = snare_lua_checkthread(L, 2);
  lua_Integer i = luaL_checkinteger(L, 3);
  luaL_argcheck(L, i >= 0 && i <= 15, 3, "xmm index out of range 0..15");
  uint8_t bytes[16];
  snare_status st =
      snare_thread_vector_register_get(s->session, id, (unsigned)i, bytes);
  if (st != SNARE_OK)
    return luaL_error(L, SESSION_TYPE ": cannot read xmm of thread %d: %s", id,
                      snare_status_message(st));
  lua_pushlstring(L, (const char *)bytes, sizeof bytes);
  return 1;
}

/* s:thread_set_reg(id, name, value); takes effect when it resumes. */
static int session_thread_set_reg(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int id = snare_lua_checkthread(L, 2);
  snare_register reg = snare_lua_checkregister(L, 3);
  uint64_t v = (uint64_t)luaL_checkinteger(L, 4);
  snare_status st = snare_thread_register_set(s->session, id, reg, v);
  if (st != SNARE_OK)
    return luaL_error(L,
                      SESSION_TYPE ": cannot write register of thread %d: %s",
                      id, snare_status_message(st));
  return 0;
}

static int session_thread_break(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  return ok_or_fail(L, snare_thread_break(s->session, snare_lua_checkthread(L, 2)),
                    "cannot break thread");
}

static int session_thread_alive(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_pushboolean(L, snare_thread_is_alive(s->session, snare_lua_checkthread(L, 2)));
  return 1;
}

static int session_thread_running(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_pushboolean(L, snare_thread_is_running(s->session, snare_lua_checkthread(L, 2)));
  return 1;
}

/* s:thread_breakable(id, flag) -> true, or nil, msg. */
static int session_thread_breakable(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  int id = snare_lua_checkthread(L, 2);
  luaL_checkany(L, 3);
  return ok_or_fail(L,
                    snare_thread_set_breakable(s->session, id,
                                               lua_toboolean(L, 3)),
                    "cannot change thread");
}

/* s:threads() -> {{id=, state="running"|"stopped"|"idle", worker=}...},
   the worker first. */
static int session_threads(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  size_t n = snare_thread_list(s->session, NULL, 0);
  int *ids = lua_newuserdatauv(L, n * sizeof *ids, 0);
  n = snare_thread_list(s->session, ids, n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    bool worker = ids[i] == s->thread;
    const char *state = "stopped";
    if (snare_thread_is_running(s->session, ids[i]))
      state = "running";
    else if (worker && !snare_session_stopped(s->session))
      state = "idle";
    lua_createtable(L, 0, 3);
    setinteger(L, "id", (uint64_t)ids[i]);
    lua_pushstring(L, state);
    lua_setfield(L, -2, "state");
    lua_pushboolean(L, worker);
    lua_setfield(L, -2, "worker");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* s:thread_self() -> id of the calling thread, 0 if not attached (the
   controller never is): libjit's jit_debugger_get_self. */
static int session_thread_self(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_pushinteger(L, snare_thread_self(s->session));
  return 1;
}

/* s:thread_native(id) -> pthread_t as an integer, or nil, msg. */
static int session_thread_native(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  uintptr_t native = snare_thread_native(s->session, snare_lua_checkthread(L, 2));
  if (native == 0)
    return snare_lua_fail(L, "no such thread", SNARE_NOT_FOUND);
  lua_pushinteger(L, (lua_Integer)native);
  return 1;
}

/* s:thread_from_native(handle) -> id, or nil, msg. */
static int session_thread_from_native(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_Integer native = luaL_checkinteger(L, 2);
  int id = snare_thread_from_native(s->session, (uintptr_t)native);
  if (id == 0)
    return snare_lua_fail(L, "no such thread", SNARE_NOT_FOUND);
  lua_pushinteger(L, id);
  return 1;
}

/* s:clear_breakpoints(): libjit's jit_debugger_remove_all_breakpoints. */
static int session_clear_breakpoints(lua_State *L)
{
  lsession *s = snare_lua_checkcontroller(L, "clear breakpoints");
  snare_breakpoint_clear_all(s->session);
  snare_lua_prune_breakpoints(L, 1);
  return 0;
}

static int session_quit(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  return ok_or_fail(L, snare_session_quit(s->session), "cannot quit");
}

/* s:handle() -> the snare_session * as a light userdata, for C code in
   the process (threads that attach themselves). */
static int session_handle(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  lua_pushlightuserdata(L, s->session);
  return 1;
}

const luaL_Reg snare_lua_thread_methods[] = {
    {"wait_event", session_wait_event},
    {"thread_resume", session_thread_resume},
    {"thread_break", session_thread_break},
    {"thread_reg", session_thread_reg},
    {"thread_set_reg", session_thread_set_reg},
    {"thread_xmm", session_thread_xmm},
    {"thread_alive", session_thread_alive},
    {"thread_running", session_thread_running},
    {"thread_breakable", session_thread_breakable},
    {"threads", session_threads},
    {"thread_self", session_thread_self},
    {"thread_native", session_thread_native},
    {"thread_from_native", session_thread_from_native},
    {"clear_breakpoints", session_clear_breakpoints},
    {"quit", session_quit},
    {"handle", session_handle},
    {NULL, NULL},
};

void snare_lua_open_threads(lua_State *L)
{
  luaL_newmetatable(L, EVENT_TYPE);
  lua_pop(L, 1);
  snare_lua_export_c_api();
}
