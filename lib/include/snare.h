/*
 * snare.h - the public C API of snare, an in-process debugger and tracer.
 *
 * Threading model: a session owns one worker thread. The thread that calls
 * snare_call()/snare_resume() (the controller) blocks until the worker
 * stops; while the worker is stopped, the controller may read and write its
 * registers and the process's memory. Breakpoint conditions run on the
 * trapped worker thread while the controller is blocked, so they may use
 * whatever the controller uses (a Lua state, for example) without locking.
 *
 * Ownership: every object returned through an out-pointer is owned by the
 * caller and released by the matching _free or _close function, unless the
 * function's comment says otherwise. Strings returned as `const char *`
 * belong to snare and stay valid as long as the object they came from.
 *
 * Errors: every fallible function returns a snare_status; SNARE_OK is 0.
 * A failing call changes nothing.
 */
#ifndef SNARE_H
#define SNARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SNARE_API __attribute__((visibility("default")))
#else
#define SNARE_API
#endif

/* One status scheme for the whole library: code, name, message. */
#define SNARE_STATUS_LIST(X)                                                   \
  X(OK, "success")                                                             \
  X(INVALID_ARGUMENT, "invalid argument")                                      \
  X(NO_MEMORY, "out of memory")                                                \
  X(BAD_ADDRESS, "address is not mapped or not accessible")                    \
  X(NOT_CODE, "address is not in executable memory")                          \
  X(INSIDE_INSTRUCTION, "address is inside an instruction")                    \
  X(UNDECODABLE, "instruction at address cannot be decoded")                   \
  X(UNSUPPORTED, "operation is not supported here")                            \
  X(NOT_FOUND, "not found")                                                    \
  X(EXISTS, "already exists")                                                  \
  X(WRONG_STATE, "session is not in a state that allows this")                 \
  X(CLOSED, "object is closed")                                                \
  X(TIMEOUT, "timed out")                                                      \
  X(LOAD_FAILED, "shared object could not be loaded")                          \
  X(SYSTEM, "operating system call failed")

typedef enum snare_status {
#define SNARE_STATUS_ENUM(code, message) SNARE_##code,
  SNARE_STATUS_LIST(SNARE_STATUS_ENUM)
#undef SNARE_STATUS_ENUM
  SNARE_STATUS_COUNT
} snare_status;

/* Name of a status ("OK", "BAD_ADDRESS"...); static storage. */
SNARE_API const char *snare_status_name(snare_status status);
/* Human-readable message for a status; static storage. */
SNARE_API const char *snare_status_message(snare_status status);

/* ------------------------------------------------------------------ */
/* Registers                                                           */

#define SNARE_REGISTER_LIST(X)                                                 \
  X(RAX, rax) X(RBX, rbx) X(RCX, rcx) X(RDX, rdx) X(RSI, rsi) X(RDI, rdi)      \
  X(RBP, rbp) X(RSP, rsp) X(R8, r8) X(R9, r9) X(R10, r10) X(R11, r11)          \
  X(R12, r12) X(R13, r13) X(R14, r14) X(R15, r15) X(RIP, rip)                  \
  X(EFLAGS, eflags)

typedef enum snare_register {
#define SNARE_REGISTER_ENUM(upper, lower) SNARE_REG_##upper,
  SNARE_REGISTER_LIST(SNARE_REGISTER_ENUM)
#undef SNARE_REGISTER_ENUM
  SNARE_REG_COUNT
} snare_register;

/* Lower-case name of a register ("rax"); NULL if out of range. */
SNARE_API const char *snare_register_name(snare_register reg);
/* Register by lower-case name, also "pc" and "sp"; SNARE_NOT_FOUND. */
SNARE_API snare_status snare_register_lookup(const char *name,
                                             snare_register *out);

/* The general-purpose register file, indexed by snare_register. */
typedef struct snare_registers {
  uint64_t value[SNARE_REG_COUNT];
} snare_registers;

/* ------------------------------------------------------------------ */
/* Stops                                                               */

#define SNARE_STOP_KIND_LIST(X)                                                \
  X(BREAKPOINT, "breakpoint")                                                  \
  X(STEP, "step")                                                              \
  X(SIGNAL, "signal")                                                          \
  X(INTERRUPT, "interrupt")                                                    \
  X(EXIT, "exit")                                                              \
  X(ABORTED, "aborted")

typedef enum snare_stop_kind {
#define SNARE_STOP_KIND_ENUM(code, name) SNARE_STOP_##code,
  SNARE_STOP_KIND_LIST(SNARE_STOP_KIND_ENUM)
#undef SNARE_STOP_KIND_ENUM
  SNARE_STOP_KIND_COUNT
} snare_stop_kind;

/* Lower-case name of a stop kind ("breakpoint"); static storage. */
SNARE_API const char *snare_stop_kind_name(snare_stop_kind kind);

#define SNARE_STOP_REASON_LIST(X)                                              \
  X(NONE, "")                                                                  \
  X(BREAKPOINT_HIT, "breakpoint hit")                                          \
  X(CONDITION_ERROR, "breakpoint condition failed")                            \
  X(SINGLE_STEP, "single step")                                                \
  X(PROGRAM_TRAP, "trap instruction in the program")                           \
  X(SEGFAULT, "segmentation fault")                                            \
  X(STACK_OVERFLOW, "stack overflow")                                          \
  X(BUS_ERROR, "bus error")                                                    \
  X(ILLEGAL_INSTRUCTION, "illegal instruction")                                \
  X(ARITHMETIC, "arithmetic exception")                                        \
  X(ABORT, "abort")                                                            \
  X(INTERRUPTED, "interrupted")                                                \
  X(RETURNED, "entry returned")                                                \
  X(ABORTED_BY_CONTROLLER, "aborted by the controller")

typedef enum snare_stop_reason {
#define SNARE_STOP_REASON_ENUM(code, text) SNARE_REASON_##code,
  SNARE_STOP_REASON_LIST(SNARE_STOP_REASON_ENUM)
#undef SNARE_STOP_REASON_ENUM
  SNARE_STOP_REASON_COUNT
} snare_stop_reason;

/* Human-readable text of a stop reason; static storage. */
SNARE_API const char *snare_stop_reason_text(snare_stop_reason reason);

/*
 * What the worker reported when it stopped. Plain data, owned by whoever
 * holds it. `registers` is a snapshot taken at the stop; use
 * snare_register_get/set for the live, writable values. EXIT and ABORTED
 * stops have no frame: their registers are all zero. fault_address is set
 * only for SIGSEGV, SIGBUS, SIGILL and SIGFPE.
 */
typedef struct snare_stop {
  snare_stop_kind kind;
  snare_stop_reason reason;
  int thread;        /* small thread id of the worker (1, 2, ...) */
  uint64_t pc;       /* normalised: the breakpoint's own address */
  int breakpoint;    /* id of the breakpoint, 0 if none */
  int signal;        /* signal number for SIGNAL stops, else 0 */
  int signal_code;   /* si_code of that signal */
  uint64_t fault_address;
  uint64_t return_value; /* EXIT: what the entry returned */
  snare_registers registers;
} snare_stop;

/* ------------------------------------------------------------------ */
/* Sessions                                                            */

typedef struct snare_session snare_session;

/*
 * Creates a session with its worker thread, installing snare's signal
 * handlers on first use. The caller owns *out and frees it with
 * snare_session_free(). Any thread may create sessions.
 */
SNARE_API snare_status snare_session_new(snare_session **out);

/*
 * Frees a session in any state. A stopped worker is aborted out of the
 * target first; the worker is joined; the session's breakpoints are
 * removed; the last session restores the previous signal handlers.
 * NULL is accepted. Must not be called from a condition callback.
 */
SNARE_API void snare_session_free(snare_session *session);

/* True while the worker is stopped inside a call (registers readable). */
SNARE_API bool snare_session_stopped(const snare_session *session);

/* Small id of the session's worker thread (1, 2, ...). */
SNARE_API int snare_session_thread(const snare_session *session);

/*
 * Calls fn(args[0], ..., args[nargs-1]) on the worker, nargs <= 8, all
 * arguments passed as uint64_t in integer registers, and blocks until the
 * worker stops; *stop receives the stop. The session must be idle
 * (not already inside a call).
 */
SNARE_API snare_status snare_call(snare_session *session, uint64_t fn,
                                  unsigned nargs, const uint64_t *args,
                                  snare_stop *stop);

/*
 * Calls int fn(int argc, char **argv) on the worker, as snare_call. argv
 * stays owned by the caller and must live until the call has exited.
 */
SNARE_API snare_status snare_call_main(snare_session *session, uint64_t fn,
                                       int argc, char **argv,
                                       snare_stop *stop);

typedef enum snare_resume_mode {
  SNARE_RESUME_CONTINUE,
  SNARE_RESUME_STEP_INSTRUCTION,
  SNARE_RESUME_ABORT
} snare_resume_mode;

/*
 * Resumes a stopped worker and blocks until it stops again. If new_pc is
 * not NULL, execution resumes there. ABORT unwinds the worker out of the
 * target; the stop is then ABORTED and the session is idle again.
 */
SNARE_API snare_status snare_resume(snare_session *session,
                                    snare_resume_mode mode,
                                    const uint64_t *new_pc, snare_stop *stop);

/*
 * Asks a running worker to stop; the pending snare_call/snare_resume then
 * returns an INTERRUPT stop. Callable from any thread (typically not the
 * controller, which is blocked). Returns WRONG_STATE if the worker is not
 * running target code.
 */
SNARE_API snare_status snare_interrupt(snare_session *session);

/*
 * Bounds every later snare_call/snare_resume: when the worker has run
 * for timeout_ms without stopping, it is interrupted and the call returns
 * an INTERRUPT stop. 0 (the default) waits forever.
 */
SNARE_API void snare_session_set_timeout(snare_session *session,
                                         unsigned timeout_ms);

/* Live registers of the stopped worker. WRONG_STATE unless stopped. */
SNARE_API snare_status snare_register_get(snare_session *session,
                                          snare_register reg, uint64_t *out);
SNARE_API snare_status snare_register_set(snare_session *session,
                                          snare_register reg, uint64_t value);
/*
 * Vector register xmm0..xmm15 of the stopped worker, 16 bytes little-endian
 * into out. WRONG_STATE unless stopped; INVALID_ARGUMENT for index > 15.
 */
SNARE_API snare_status snare_vector_register_get(snare_session *session,
                                                 unsigned index,
                                                 uint8_t out[16]);

/* ------------------------------------------------------------------ */
/* Memory of this process, never faulting                              */

/* Copies n bytes from addr into dst; BAD_ADDRESS if any byte unreadable. */
SNARE_API snare_status snare_memory_read(uint64_t addr, void *dst, size_t n);
/*
 * Writes n bytes at addr; BAD_ADDRESS if not writable. Writes over code
 * snare has patched keep its breakpoints in place.
 */
SNARE_API snare_status snare_memory_write(uint64_t addr, const void *src,
                                          size_t n);

/* ------------------------------------------------------------------ */
/* Breakpoints                                                         */

/*
 * The stopped frame as a condition callback sees it. Valid only during
 * the callback.
 */
typedef struct snare_frame snare_frame;

SNARE_API snare_status snare_frame_register_get(const snare_frame *frame,
                                                snare_register reg,
                                                uint64_t *out);
SNARE_API snare_status snare_frame_register_set(snare_frame *frame,
                                                snare_register reg,
                                                uint64_t value);
SNARE_API int snare_frame_breakpoint(const snare_frame *frame);
SNARE_API int snare_frame_thread(const snare_frame *frame);

/*
 * A breakpoint condition: return true to stop, false to resume silently.
 * Runs on the trapped worker thread while the controller is blocked.
 * A condition that cannot decide (an error) may return true and record
 * the error itself; it must not free the session.
 */
typedef bool (*snare_condition_fn)(snare_frame *frame, void *data);

typedef struct snare_breakpoint_options {
  unsigned skip;                /* ignore the first `skip` hits */
  unsigned max_stops;           /* auto-clear after this many stops; 0 = no limit */
  snare_condition_fn condition; /* NULL: always stop */
  void *condition_data;         /* passed to condition, owned by caller */
  /* Called once when the breakpoint is cleared (by snare_breakpoint_clear,
     max_stops or session free), so the owner can release condition_data. */
  void (*release)(void *condition_data);
} snare_breakpoint_options;

typedef struct snare_breakpoint_info {
  int id;
  uint64_t address;
  bool enabled;
  uint64_t hits;     /* every time a session thread reached it, enabled */
  uint64_t stops;    /* hits that stopped */
  uint64_t rejected; /* hits resumed silently: skipped or condition false */
  unsigned skip;
  unsigned max_stops;
} snare_breakpoint_info;

/*
 * Sets a breakpoint at addr, stopping this session's worker. opts may be
 * NULL. Refused: not executable (NOT_CODE), unmapped (BAD_ADDRESS), inside
 * an instruction of a known function (INSIDE_INSTRUCTION), an instruction
 * snare cannot step out of line (UNDECODABLE/UNSUPPORTED). *id receives
 * a positive id unique in the session. Controller thread only.
 */
SNARE_API snare_status snare_breakpoint_set(snare_session *session,
                                            uint64_t addr,
                                            const snare_breakpoint_options *opts,
                                            int *id);
/* Removes a breakpoint; NOT_FOUND if no such id. */
SNARE_API snare_status snare_breakpoint_clear(snare_session *session, int id);
/* Enables/disables without forgetting counts; NOT_FOUND if no such id. */
SNARE_API snare_status snare_breakpoint_enable(snare_session *session, int id,
                                               bool enabled);
SNARE_API snare_status snare_breakpoint_info_get(snare_session *session,
                                                 int id,
                                                 snare_breakpoint_info *out);
/*
 * Ids of the session's breakpoints in creation order: writes up to cap
 * ids to ids and returns how many exist.
 */
SNARE_API size_t snare_breakpoint_list(snare_session *session, int *ids,
                                       size_t cap);

/* ------------------------------------------------------------------ */
/* Shared objects and symbols                                          */

typedef struct snare_library snare_library;

/*
 * Loads a shared object (dlopen, RTLD_NOW) and reads its ELF symbol
 * tables. The caller owns *out and frees it with snare_library_close,
 * which unloads it. LOAD_FAILED carries no detail; snare_library_error()
 * gives the loader's message of the last failure on this thread.
 */
SNARE_API snare_status snare_library_open(const char *path,
                                          snare_library **out);
SNARE_API void snare_library_close(snare_library *lib);
/* Message of the last failed snare_library_open on this thread. */
SNARE_API const char *snare_library_error(void);
/* Run-time load address (bias) of the object. */
SNARE_API uint64_t snare_library_base(const snare_library *lib);
/* Path it was opened with; owned by lib. */
SNARE_API const char *snare_library_path(const snare_library *lib);

typedef struct snare_symbol {
  const char *name; /* owned by the library */
  uint64_t address; /* run-time address */
  uint64_t size;
  bool is_function;
} snare_symbol;

/* Symbol by exact name (functions and objects); NOT_FOUND. */
SNARE_API snare_status snare_library_symbol(const snare_library *lib,
                                            const char *name,
                                            snare_symbol *out);
/* Symbol containing run-time address addr; NOT_FOUND. */
SNARE_API snare_status snare_library_symbol_at(const snare_library *lib,
                                               uint64_t addr,
                                               snare_symbol *out);

/* ------------------------------------------------------------------ */
/* Registered code (JIT output)                                        */

/*
 * Registers [start, start+size) as a function of generated code named
 * `name` (copied), so breakpoints in it are checked for instruction
 * boundaries and stops can name it. NOT_CODE if not executable, EXISTS if
 * it overlaps a registered region.
 */
SNARE_API snare_status snare_code_register(uint64_t start, uint64_t size,
                                           const char *name);
/* Unregisters the region starting at start; NOT_FOUND. */
SNARE_API snare_status snare_code_unregister(uint64_t start);

#ifdef __cplusplus
}
#endif

#endif /* SNARE_H */
