/*
 * stepping.c - session methods for source-level steps: s:step_line,
 * s:next, s:finish, s:advance, s:until_line, their per-thread forms
 * s:thread_step_line, s:thread_next, s:thread_finish, s:thread_advance,
 * s:thread_until_line, and the Lua step
 * policies they take. Policy callbacks run on the controller between the
 * steps' runs (the stepped thread is parked), through the one
 * protected-call helper.
 */
#include <string.h>

#include "snare_lua.h"

/* One step's policy table and where its first error goes. */
typedef struct lpolicy {
  lua_State *L;
  lsession *s;
  int table;  /* stack index of the policy table */
  int error;  /* stack index of the error slot (nil until one failed) */
  int thread; /* the attached thread stepped, 0 for the worker */
} lpolicy;

/*
 * Pushes policy[name] if it is a function. Returns false (pushing
 * nothing) when the policy has no such callback.
 */
static bool get_callback(lpolicy *p, const char *name)
{
  if (lua_getfield(p->L, p->table, name) == LUA_TFUNCTION)
    return true;
  lua_pop(p->L, 1);
  return false;
}

/*
 * Runs the callback below its nargs arguments as the core's answer: 1 for
 * a truthy result, 0 for a falsy one, -1 after an error (kept in the
 * error slot, which ends the step). Lua runs here on the controller, so
 * target threads must not run Lua meanwhile: the wait is suspended.
 */
static int answer(lpolicy *p, int nargs)
{
  lua_State *L = p->L;
  snare_lua_wait_end();
  p->s->in_callback = true;
  int status = snare_lua_pcall(L, nargs, 1, "step policy");
  p->s->in_callback = false;
  snare_lua_wait_begin();
  if (status != LUA_OK) {
    lua_replace(L, p->error);
    return -1;
  }
  int yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

static int policy_into(const snare_step_function *fn, void *data)
{
  lpolicy *p = data;
  if (!get_callback(p, "into"))
    return 1;
  lua_State *L = p->L;
  lua_createtable(L, 0, 4);
  if (fn->name != NULL) {
    lua_pushstring(L, fn->name);
    lua_setfield(L, -2, "name");
  }
  lua_pushinteger(L, (lua_Integer)fn->address);
  lua_setfield(L, -2, "address");
  lua_pushstring(L, fn->file != NULL ? fn->file : "");
  lua_setfield(L, -2, "file");
  lua_pushinteger(L, (lua_Integer)fn->line);
  lua_setfield(L, -2, "line");
  return answer(p, 1);
}

/* stop(frame) with frame = session:frame(0), made inside the protected
   call so that an unwinding error is the policy's error too. */
static int call_stop(lua_State *L)
{
  lua_pushvalue(L, 1);
  lua_getfield(L, 2, "frame");
  lua_pushvalue(L, 2);
  lua_call(L, 1, 1);
  lua_call(L, 1, 1);
  return 1;
}

static int policy_stop(snare_session *session, void *data)
{
  (void)session;
  lpolicy *p = data;
  lua_State *L = p->L;
  if (!get_callback(p, "stop"))
    return 1;
  if (p->thread != 0) { /* stop(thread_id): s:thread_reg reads it */
    lua_pushinteger(L, p->thread);
    return answer(p, 1);
  }
  p->s->stop_seq++; /* frames made now belong to this position */
  lua_pushcfunction(L, call_stop);
  lua_insert(L, -2);
  lua_pushvalue(L, 1);
  return answer(p, 2);
}

/* Raises unless the value at idx is nil or a table of callbacks. */
static void check_policy(lua_State *L, int idx)
{
  if (lua_isnoneornil(L, idx))
    return;
  luaL_checktype(L, idx, LUA_TTABLE);
  static const char *const names[] = {"into", "stop"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    int type = lua_getfield(L, idx, names[i]);
    lua_pop(L, 1);
    if (type != LUA_TNIL && type != LUA_TFUNCTION)
      luaL_argerror(L, idx, lua_pushfstring(L, "policy.%s must be a function",
                                            names[i]));
  }
}

/*
 * Pushes the stop of attached thread `thread` (its step's result):
 * registers as a snapshot table, since the session's own stop proxies
 * read the worker.
 */
static int finish_thread_step(lua_State *L, int thread, const char *what,
                              snare_status st, const snare_stop *stop)
{
  if (st != SNARE_OK)
    return luaL_error(L, SESSION_TYPE ": cannot %s thread %d: %s", what,
                      thread, snare_status_message(st));
  snare_lua_push_stop(L, 1, stop);
  snare_lua_push_registers(L, &stop->registers);
  lua_setfield(L, -2, "regs");
  snare_lua_prune_breakpoints(L, 1);
  return 1;
}

/* s:step_line(policy) / s:next(policy) / s:finish(), and for thread
   `thread` (not 0) their s:thread_ forms, with the id removed. */
static int step(lua_State *L, int thread, snare_step_mode mode,
                const char *what)
{
  lsession *s = snare_lua_checkcontroller(
      L, mode == SNARE_STEP_OUT ? "finish in a session" : "step a session");
  check_policy(L, 2);
  lua_settop(L, 2);
  lua_pushnil(L); /* 3: error slot */
  lpolicy p = {L, s, 2, 3, thread};
  snare_step_policy policy = {policy_into, policy_stop, &p};
  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st =
      thread != 0
          ? snare_thread_step(s->session, thread, mode,
                              lua_istable(L, 2) ? &policy : NULL, &stop)
          : snare_step(s->session, mode, lua_istable(L, 2) ? &policy : NULL,
                       &stop);
  snare_lua_wait_end();
  if (thread != 0)
    finish_thread_step(L, thread, what, st, &stop);
  else
    snare_lua_finish_resume(L, s, what, st, &stop, 0);
  if (!lua_isnil(L, 3))
    return luaL_error(L, SESSION_TYPE ": step policy failed: %s",
                      lua_tostring(L, 3));
  return 1;
}

static int session_step_line(lua_State *L)
{
  return step(L, 0, SNARE_STEP_INTO, "step");
}

static int session_next(lua_State *L)
{
  return step(L, 0, SNARE_STEP_OVER, "step");
}

static int session_finish(lua_State *L)
{
  lua_settop(L, 1);
  return step(L, 0, SNARE_STEP_OUT, "finish");
}

/* s:thread_step_line(id [, policy]) -> stop: libjit's jit_debugger_step
   for a parked attached thread, synchronous (see snare_thread_step). */
static int thread_step(lua_State *L, snare_step_mode mode, const char *what)
{
  int thread = snare_lua_checkthread(L, 2);
  lua_remove(L, 2);
  return step(L, thread, mode, what);
}

static int session_thread_step_line(lua_State *L)
{
  return thread_step(L, SNARE_STEP_INTO, "step");
}

static int session_thread_next(lua_State *L)
{
  return thread_step(L, SNARE_STEP_OVER, "step");
}

static int session_thread_finish(lua_State *L)
{
  lua_settop(L, 2);
  return thread_step(L, SNARE_STEP_OUT, "finish");
}

/* Runs the worker (thread 0) or parked thread `thread` to the locations
   at 2 and pushes its stop. */
static int run_to(lua_State *L, int thread, snare_run_to_mode mode)
{
  lsession *s = snare_lua_checkcontroller(L, "run a session");
  uint64_t *addrs;
  size_t n = snare_lua_checklocations(L, 2, &addrs, false);
  snare_stop stop;
  snare_lua_wait_begin();
  snare_status st =
      thread != 0
          ? snare_thread_run_to(s->session, thread, addrs, n, mode, &stop)
          : snare_run_to(s->session, addrs, n, mode, &stop);
  snare_lua_wait_end();
  if (thread != 0)
    return finish_thread_step(L, thread, "run", st, &stop);
  return snare_lua_finish_resume(L, s, "run", st, &stop, 0);
}

/* s:advance(where) -> stop: where as s:breakpoint's. */
static int session_advance(lua_State *L)
{
  return run_to(L, 0, SNARE_RUN_TO_ANY_FRAME);
}

/* s:until_line(where) (thread 0) or s:thread_until_line(id, where) with
   the id removed -> stop; a bare number is a line of the file the thread
   is stopped in. */
static int until_line(lua_State *L, int thread)
{
  lsession *s = snare_lua_checkcontroller(L, "run a session");
  if (lua_type(L, 2) == LUA_TNUMBER) {
    lua_Integer line = luaL_checkinteger(L, 2);
    luaL_argcheck(L, line >= 1 && line <= (lua_Integer)UINT32_MAX, 2,
                  "line out of range");
    uint64_t pc = 0;
    snare_line_info li;
    snare_status st =
        thread != 0
            ? snare_thread_register_get(s->session, thread, SNARE_REG_RIP, &pc)
            : snare_register_get(s->session, SNARE_REG_RIP, &pc);
    if (st == SNARE_OK)
      st = snare_line_at(pc, &li);
    if (st != SNARE_OK)
      return snare_lua_status_error(L, SESSION_TYPE,
                                    "no current source file", st);
    lua_pushfstring(L, "%s:%I", li.file, line);
    lua_replace(L, 2);
  }
  return run_to(L, thread, SNARE_RUN_TO_THIS_FRAME);
}

static int session_until_line(lua_State *L) { return until_line(L, 0); }

/* s:thread_advance(id, where) -> stop, for a parked attached thread. */
static int session_thread_advance(lua_State *L)
{
  int thread = snare_lua_checkthread(L, 2);
  lua_remove(L, 2);
  return run_to(L, thread, SNARE_RUN_TO_ANY_FRAME);
}

/* s:thread_until_line(id, where) -> stop, for a parked attached thread. */
static int session_thread_until_line(lua_State *L)
{
  int thread = snare_lua_checkthread(L, 2);
  lua_remove(L, 2);
  return until_line(L, thread);
}

/* s:steps_yield(on): while on, another thread's stop ends a thread's
   step (see snare_session_set_steps_yield). */
static int session_steps_yield(lua_State *L)
{
  lsession *s = snare_lua_checksession(L, 1);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  snare_session_set_steps_yield(s->session, lua_toboolean(L, 2));
  return 0;
}

const luaL_Reg snare_lua_stepping_methods[] = {
    {"steps_yield", session_steps_yield},
    {"step_line", session_step_line},
    {"next", session_next},
    {"finish", session_finish},
    {"advance", session_advance},
    {"until_line", session_until_line},
    {"thread_step_line", session_thread_step_line},
    {"thread_next", session_thread_next},
    {"thread_finish", session_thread_finish},
    {"thread_advance", session_thread_advance},
    {"thread_until_line", session_thread_until_line},
    {NULL, NULL},
};
