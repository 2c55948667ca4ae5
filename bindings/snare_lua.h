/*
 * snare_lua.h - what the files of the Lua module snare.core share.
 *
 * Every object is a full userdata whose metatable is registered under the
 * type name below (luaL_newmetatable). Objects are created closed and then
 * opened; one idempotent close serves close(), __gc and __close.
 *
 * Threads: everything here runs on the controller (the thread that owns the
 * lua_State) except the breakpoint condition trampoline, which runs on a
 * session's worker while the controller is blocked inside a call or resume.
 */
#ifndef SNARE_LUA_H
#define SNARE_LUA_H

#include <stdbool.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "snare.h"

#define SNARE_LUA_EXPORT __attribute__((visibility("default")))

#define SESSION_TYPE "snare.session"
#define BREAKPOINT_TYPE "snare.breakpoint"
#define FRAME_TYPE "snare.frame"
#define LIBRARY_TYPE "snare.library"
#define REGS_TYPE "snare.regs"
#define STOP_TYPE "snare.stop" /* metatable of stop tables */
#define EVENT_TYPE "snare.event" /* metatable of event tables */
#define STACK_FRAME_TYPE "snare.stack_frame" /* s:backtrace() frames */

/* User values of a session userdata. */
enum {
  SESSION_UV_BREAKPOINTS = 1, /* table: id -> breakpoint userdata */
  SESSION_UV_KEEP,            /* table: values the running call points into */
  SESSION_UV_THREAD,          /* coroutine in which conditions run */
  SESSION_UV_ERROR,           /* error text of the last failed condition */
  SESSION_UV_WATCHPOINTS,     /* table: id -> watchpoint userdata */
  SESSION_UV_COUNT = SESSION_UV_WATCHPOINTS
};

/* The stack of a session's condition coroutine below each call: the
   session, then snare_lua_pcall_at's message handler. */
enum { SESSION_CO_SESSION = 1, SESSION_CO_HANDLER };

typedef struct lsession {
  snare_session *session; /* NULL once closed */
  lua_State *co;          /* SESSION_UV_THREAD, where conditions run */
  uint64_t stop_seq;      /* counts stops; tells a stop's regs if it is live */
  unsigned timeout_ms;
  int thread;
  bool in_callback; /* a condition of this session is running */
} lsession;

/* ---- module.c ---- */
/* Raises "<type>: <what>: <status message>". Never returns. */
int snare_lua_status_error(lua_State *L, const char *type, const char *what,
                           snare_status status);
/* Pushes nil, "<what>: <status message>", status name; returns 3. */
int snare_lua_fail(lua_State *L, const char *what, snare_status status);
/* Pushes and returns addr as every message shows an address: "0x7f0a..."
   (lua_pushfstring has no hexadecimal conversion). */
const char *snare_lua_push_address(lua_State *L, uint64_t addr);
/* Pushes the name of signal number sig ("SIGSEGV") or nil. */
void snare_lua_push_signal_name(lua_State *L, int sig);
/* ---- callback.c ---- */
/*
 * Calls the function below the nargs arguments on L's top in protected
 * mode with a traceback handler. Returns LUA_OK with nresults results on
 * the stack, or an error status with one string (message and traceback)
 * in their place. Never raises; stack balance is asserted. `what` names
 * the callback ("hook callback") in the error of one that runs past the
 * callback timeout. Exported: the agent's fork callbacks run through it.
 */
SNARE_LUA_EXPORT int snare_lua_pcall(lua_State *L, int nargs, int nresults,
                                     const char *what);
/* Pushes the traceback handler snare_lua_pcall calls with, for a
   callback thread that keeps it at a fixed index. */
void snare_lua_push_message_handler(lua_State *L);
/* snare_lua_pcall with that handler already at index `handler`, below
   the function: a callback thread's per-call cost without the handler's
   push and removal. */
int snare_lua_pcall_at(lua_State *L, int nargs, int nresults,
                       const char *what, int handler);
/* True while a Lua callback runs on the calling OS thread. */
bool snare_lua_in_callback(void);
/* Raises "snare: cannot <what> from inside a callback ..." while a Lua
   callback runs on this thread: the one refusal of every entry point a
   callback must not use (run, step or close a session, set hooks...). */
void snare_lua_check_no_callback(lua_State *L, const char *what);
/* How long a callback may run from now on (the waiting session's
   timeout; 0: no limit): one that runs longer raises a timeout error. */
void snare_lua_set_callback_timeout(unsigned timeout_ms);
/*
 * The start of an __index whose methods table is upvalue 1: when key 2
 * names a method, or is not a string, leaves the answer (the method or
 * nil) on top and returns NULL; else returns the key, for the caller to
 * look up as a property.
 */
const char *snare_lua_index_key(lua_State *L);
/* Bracket every wait of the controller for the target (call, resume,
   wait for events): only then may target threads run Lua. */
void snare_lua_wait_begin(void);
void snare_lua_wait_end(void);
/* On a target thread: true if Lua may run now (the controller waits and no
   other thread runs Lua); pair with snare_lua_leave_async. Exported: the
   LD_PRELOAD agent takes the turn around fork() (through dlsym), so that
   the child gets the Lua state at rest. */
__attribute__((visibility("default"))) bool snare_lua_try_enter_async(void);
__attribute__((visibility("default"))) void snare_lua_leave_async(void);
/* Takes the turn as snare_lua_try_enter_async, waiting for it while
   another thread runs Lua or the controller is between two waits; false
   once the controller has stopped waiting for long (it is done). */
bool snare_lua_enter_async_waiting(void);
/*
 * Runs fn(p) now, or later on a controller if a callback is running on
 * this thread (a finalizer that the GC ran inside a condition must not
 * free core objects from the worker). snare_lua_drain runs what waits.
 */
void snare_lua_release(void (*fn)(void *), void *p);
void snare_lua_drain(void);

/* ---- session.c ---- */
lsession *snare_lua_checksession(lua_State *L, int idx);
void snare_lua_open_session(lua_State *L);
int snare_lua_session_new(lua_State *L);

/* ---- call.c ---- */
extern const luaL_Reg snare_lua_call_methods[];
/* Session at index 1, open, outside every callback (`what` names the
   refused action: "call a session"); its timeout bounds the callbacks of
   the run that follows. */
lsession *snare_lua_checkcontroller(lua_State *L, const char *what);
/* A call argument as the target receives it (integers, booleans, nil,
   strings copied into a userdata appended to the table at keep, light
   userdata). */
uint64_t snare_lua_call_argument(lua_State *L, int idx, int keep);
/* s:call_abi(fn, plan) (bindings/call_abi.c) */
int snare_lua_session_call_abi(lua_State *L);
/*
 * After the core returned `st` with *stop: raises on failure; otherwise
 * counts the stop, makes what the call points into (the table at keep, or
 * nothing when keep is 0) live as long as the call, and pushes the stop.
 */
int snare_lua_finish_resume(lua_State *L, lsession *s, const char *what,
                            snare_status st, const snare_stop *stop, int keep);

/* ---- stepping.c ---- */
extern const luaL_Reg snare_lua_stepping_methods[]; /* session methods */

/* ---- stop.c ---- */
/* Pushes a stop table for *stop of the session at index sidx. */
void snare_lua_push_stop(lua_State *L, int sidx, const snare_stop *stop);
void snare_lua_open_stop(lua_State *L);

/* ---- regs.c ---- */
/* Register named by the string at idx ("rax", "pc"); raises if unknown. */
snare_register snare_lua_checkregister(lua_State *L, int idx);
/* Register named by the string at idx, or false if no such register. */
bool snare_lua_toregister(lua_State *L, int idx, snare_register *out);
/* Pushes a register proxy reading through the frame userdata at fidx. */
void snare_lua_push_frame_regs(lua_State *L, int fidx);
/* Pushes a register proxy for a stop of the session at sidx: live while
   the session is stopped at this stop, else the snapshot table at snap. */
void snare_lua_push_stop_regs(lua_State *L, int sidx, int snap,
                              uint64_t seq);
void snare_lua_open_regs(lua_State *L);
extern const luaL_Reg snare_lua_register_methods[];
extern const luaL_Reg snare_lua_register_functions[]; /* module */

/* ---- breakpoint.c ---- */
extern const luaL_Reg snare_lua_breakpoint_methods[];
void snare_lua_open_breakpoint(lua_State *L);
/* Drops breakpoints the core cleared by itself (max stops, library close)
   from the session's table. */
void snare_lua_prune_breakpoints(lua_State *L, int sidx);
/* Runs a breakpoint's or watchpoint's condition function from Lua on the
   thread that hit it, for the object filed under id in the session's
   table table_uv (its user value condition_uv) with the object's one
   frame userdata (user value frame_uv, made at its first hit), once it
   has the Lua turn (it waits for it); true to stop, false also once the
   object is cleared while it waits. */
bool snare_lua_condition(snare_frame *frame, lsession *s, int table_uv,
                         int id, int condition_uv, int frame_uv);

/* ---- watchpoint.c ---- */
#define WATCHPOINT_TYPE "snare.watchpoint"
extern const luaL_Reg snare_lua_watchpoint_methods[]; /* session methods */
void snare_lua_open_watchpoint(lua_State *L);
/* Sets watchpoint (our object), watchpoint_id, old_value and new_value
   into the stop or event table on top, for the session at sidx. */
void snare_lua_set_watch_fields(lua_State *L, int sidx, int id,
                                uint64_t old_value, uint64_t new_value);

/* ---- frame.c ---- */
typedef struct lframe {
  snare_frame *frame; /* NULL once the callback returned */
} lframe;
lframe *snare_lua_checkframe(lua_State *L, int idx);
/* Pushes a new frame userdata for frame (may be NULL, set later); the
   caller sets ->frame to NULL when the callback returns. */
lframe *snare_lua_push_frame(lua_State *L, snare_frame *frame);
void snare_lua_open_frame(lua_State *L);

/* ---- condition_program.c ---- */
/* The native condition program of the table at idx into out; raises on
   a malformed one. */
void snare_lua_check_condition_program(lua_State *L, int idx,
                                       snare_condition_program *out);

/* ---- memory.c ---- */
enum { MEMORY_MODULE, MEMORY_SESSION, MEMORY_FRAME };
/* Sets the memory functions into the table on top; `owner` says whose
   methods they are (self checked) or that they are plain functions. */
void snare_lua_set_memory_functions(lua_State *L, int owner);

/* ---- library.c ---- */
void snare_lua_open_library(lua_State *L);
/* ---- hooks_lua.c ---- */
void snare_lua_open_hooks(lua_State *L);
/* ---- jit.c ---- */
/* Sets jit (with alloc) and code_register into the table on top. */
void snare_lua_open_jit(lua_State *L);
/* ---- recording_lua.c ---- */
/* Sets recording_open (readers of `snare record` streams). */
void snare_lua_open_recording(lua_State *L);
/* ---- plt_lua.c ---- */
/* Sets plt_stubs (an object's library calls made hookable). */
void snare_lua_open_plt(lua_State *L);
/* ---- symbol_file_lua.c ---- */
/* Sets symbol_file (the symbols of a mapped file snare did not load). */
void snare_lua_open_symbol_file(lua_State *L);
/* ---- library_at.c ---- */
/* Sets library_at (the library an address is in). */
void snare_lua_open_library_at(lua_State *L);
/* ---- regex.c ---- */
/* Sets regex (gdb's POSIX basic regexps) into the table on top. */
void snare_lua_open_regex(lua_State *L);
/* ---- marks_lua.c ---- */
/* Sets mark, marks, mark_hook, probe_hook... into the table on top. */
void snare_lua_open_marks(lua_State *L);
/* lib:marks, lib:probes */
extern const luaL_Reg snare_lua_marks_library_methods[];
/*
 * Resolves the address at idx: an integer or light userdata (pushes nil),
 * or a symbol name looked up across the libraries loaded through
 * snare.load (pushes the library that defines it, so the caller can keep
 * it loaded). Raises "unknown symbol 'x'" or a type error.
 */
void snare_lua_checkaddress(lua_State *L, int idx, uint64_t *addr);
/* The open library at idx; raises if it is not one or is closed. */
snare_library *snare_lua_checklibrary(lua_State *L, int idx);
typedef bool (*snare_lua_library_match)(snare_library *lib, void *ctx);
/*
 * Asks match(lib, ctx) of each library loaded through snare.load, first
 * loaded first, until one says yes: then pushes that library and returns
 * true; else pushes nothing and returns false.
 */
bool snare_lua_find_library(lua_State *L, snare_lua_library_match match,
                            void *ctx);

/* ---- types.c ---- */
/* lib:type, lib:global, lib:function_type */
extern const luaL_Reg snare_lua_type_library_methods[];
/* core.type_info */
extern const luaL_Reg snare_lua_type_functions[];
/* What frame:locate returns for st and where: {type =, address = |
   bytes = | optimized_out = true}, or nil, why. */
int snare_lua_push_location(lua_State *L, snare_status st,
                            const snare_variable_location *where,
                            const char *name);

/* ---- interrupt.c ---- */
/* core.interrupt_on_sigint, core.sigints */
extern const luaL_Reg snare_lua_interrupt_functions[];
/* Disarms Ctrl-C for a session about to be freed. */
void snare_lua_interrupt_forget(snare_session *session);

/* ---- batch.c ---- */
/* core.batch */
extern const luaL_Reg snare_lua_batch_functions[];

/* ---- process_symbols.c ---- */
/* core.process_symbol, core.is_own_code */
extern const luaL_Reg snare_lua_process_symbol_functions[];
/* Whether addr is code of this module (snare.core with the core in it). */
bool snare_lua_is_own_code(uint64_t addr);

/* ---- source.c ---- */
/* lib:line_at, lib:addresses, lib:function_info */
extern const luaL_Reg snare_lua_source_methods[];
/* core.line_at */
extern const luaL_Reg snare_lua_source_functions[];
/* Sets file, line (from DWARF) and func (DWARF, else the ELF symbol) of
   the code at pc into the table on top, when known. */
void snare_lua_set_source_fields(lua_State *L, uint64_t pc);
/*
 * Resolves a breakpoint location at idx into addresses: an integer or
 * light userdata, "*name" (the symbol's address), "*0x..." (that
 * address, for the callers that read a bare integer otherwise: until_line's
 * line numbers), "file:line" (every
 * address of the line, as gdb's break; a line without code is the next
 * line with code unless exact_line), "file:function" (as a function
 * name, of that source file alone), or a function name (past its
 * prologue when DWARF knows it, at every inlined copy; else the ELF
 * symbol). Pushes the library it lies in (or nil), then a buffer holding
 * the addresses, which *addrs points into; returns their number (>= 1).
 * Raises with a clear message when nothing matches.
 */
size_t snare_lua_checklocations(lua_State *L, int idx, uint64_t **addrs,
                                 bool exact_line);

/* ---- disasm.c ---- */
int snare_lua_disassemble(lua_State *L);

/* ---- backtrace.c ---- */
extern const luaL_Reg snare_lua_backtrace_methods[]; /* session methods */
extern const luaL_Reg snare_lua_backtrace_functions[]; /* snare.core */
void snare_lua_open_backtrace(lua_State *L);

/* ---- values.c ---- */
/* Reads an options table at idx ({strings=, depth=, length=}; nil ok). */
void snare_lua_value_options(lua_State *L, int idx, snare_value_options *out);
/* Pushes v as a Lua value (nil when it has none); false if nil. */
bool snare_lua_push_value(lua_State *L, const snare_value *v);
/* Why v has no Lua value ("optimized out"...), or NULL. */
const char *snare_lua_value_problem(const snare_value *v);
/*
 * The result of a variable read: pushes value, or value/nil and the
 * problem, or nil and "no variable"; frees v. Returns the count pushed.
 */
int snare_lua_push_variable(lua_State *L, snare_status st, snare_value *v,
                            const char *name);

/* ---- threads.c ---- */
extern const luaL_Reg snare_lua_thread_methods[]; /* session methods */
/* Thread id at idx (a positive integer); raises otherwise. */
int snare_lua_checkthread(lua_State *L, int idx);
/* Pushes {rax = ..., ..., eflags = ...} for a register snapshot. */
void snare_lua_push_registers(lua_State *L, const snare_registers *regs);
void snare_lua_open_threads(lua_State *L);
/* Makes this module's C API (snare_*) visible to objects loaded later,
   which the interpreter's require() hides (RTLD_LOCAL). */
void snare_lua_export_c_api(void);

#endif
