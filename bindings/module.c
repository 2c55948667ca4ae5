/*
 * module.c - luaopen_snare_core: the module table, the status and signal
 * helpers every object uses.
 */
#include <signal.h>
#include <stdio.h>

#include "snare_lua.h"

/* The signals a stop can report, with their real numbers, so that Lua
   code never hard-codes one. */
#define SIGNAL_LIST(X)                                                         \
  X(SIGHUP) X(SIGINT) X(SIGQUIT) X(SIGILL) X(SIGTRAP) X(SIGABRT) X(SIGBUS)     \
  X(SIGFPE) X(SIGKILL) X(SIGUSR1) X(SIGSEGV) X(SIGUSR2) X(SIGPIPE)             \
  X(SIGALRM) X(SIGTERM) X(SIGSTKFLT) X(SIGCHLD) X(SIGCONT) X(SIGSTOP)          \
  X(SIGTSTP) X(SIGTTIN) X(SIGTTOU) X(SIGURG) X(SIGXCPU) X(SIGXFSZ)             \
  X(SIGVTALRM) X(SIGPROF) X(SIGWINCH) X(SIGIO) X(SIGPWR) X(SIGSYS)

static const struct {
  const char *name;
  int number;
} signals[] = {
#define SIGNAL_ENTRY(sig) {#sig, sig},
    SIGNAL_LIST(SIGNAL_ENTRY)
#undef SIGNAL_ENTRY
};

void snare_lua_push_signal_name(lua_State *L, int sig)
{
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    if (signals[i].number == sig) {
      lua_pushstring(L, signals[i].name);
      return;
    }
  }
  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    lua_pushfstring(L, "SIGRTMIN+%d", sig - SIGRTMIN);
  else
    lua_pushnil(L);
}

int snare_lua_status_error(lua_State *L, const char *type, const char *what,
                           snare_status status)
{
  return luaL_error(L, "%s: %s: %s", type, what, snare_status_message(status));
}

const char *snare_lua_push_address(lua_State *L, uint64_t addr)
{
  char text[24];
  snprintf(text, sizeof text, "0x%llx", (unsigned long long)addr);
  return lua_pushstring(L, text);
}

int snare_lua_fail(lua_State *L, const char *what, snare_status status)
{
  luaL_pushfail(L);
  lua_pushfstring(L, "%s: %s", what, snare_status_message(status));
  lua_pushstring(L, snare_status_name(status));
  return 3;
}

/* core.metatable(name): the metatable of a snare type, so the Lua layer
   can add formatting (__tostring) without the C side knowing it. */
static int core_metatable(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  if (luaL_getmetatable(L, name) != LUA_TTABLE)
    return luaL_argerror(L, 1, lua_pushfstring(L, "no type '%s'", name));
  return 1;
}

static void push_signals(lua_State *L)
{
  lua_createtable(L, 0, sizeof signals / sizeof signals[0]);
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    lua_pushinteger(L, signals[i].number);
    lua_setfield(L, -2, signals[i].name);
  }
}

static void push_register_names(lua_State *L)
{
  lua_createtable(L, SNARE_REG_COUNT, 0);
  for (int r = 0; r < SNARE_REG_COUNT; r++) {
    lua_pushstring(L, snare_register_name((snare_register)r));
    lua_rawseti(L, -2, r + 1);
  }
}

static const luaL_Reg core_functions[] = {
    {"session", snare_lua_session_new},
    {"metatable", core_metatable},
    {"disassemble", snare_lua_disassemble},
    {NULL, NULL},
};

SNARE_LUA_EXPORT int luaopen_snare_core(lua_State *L)
{
  luaL_checkversion(L);
  snare_lua_open_regs(L);
  snare_lua_open_stop(L);
  snare_lua_open_frame(L);
  snare_lua_open_backtrace(L);
  snare_lua_open_breakpoint(L);
  snare_lua_open_watchpoint(L);
  snare_lua_open_session(L);
  snare_lua_open_threads(L);
  luaL_newlib(L, core_functions);
  snare_lua_open_library(L); /* sets load, symbol, symbol_at */
  snare_lua_open_hooks(L);   /* sets hook, trace_read */
  snare_lua_open_jit(L);     /* sets jit, code_register */
  snare_lua_open_marks(L);   /* sets mark, mark_hook, probe_hook... */
  snare_lua_open_recording(L); /* sets recording_open */
  snare_lua_open_plt(L);       /* sets plt_stubs */
  snare_lua_open_symbol_file(L); /* sets symbol_file */
  snare_lua_open_regex(L);       /* sets regex */
  snare_lua_open_library_at(L);  /* sets library_at */
  snare_lua_set_memory_functions(L, MEMORY_MODULE);
  push_signals(L);
  lua_setfield(L, -2, "signals");
  luaL_setfuncs(L, snare_lua_register_functions, 0);
  push_register_names(L);
  lua_setfield(L, -2, "registers");
  return 1;
}
