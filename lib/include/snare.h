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
  X(SYSTEM, "operating system call failed")                                   \
  X(NOT_FUNCTION_ENTRY, "not a function's entry: cannot catch its return")    \
  X(NO_DEBUG_REGISTER, "every hardware watchpoint register is in use")        \
  X(IN_CALLBACK, "not allowed from inside a callback (it must return first)") \
  X(IS_CODE, "refusing to write into code; use a breakpoint (JIT code: "     \
             "write it through its JIT memory)")

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

/*
 * Moves a descriptor that snare's side keeps open (a prompt's copy of
 * stdout, a file it reads) to the top of the process's descriptor range,
 * close-on-exec, so the program's own opens get the numbers they get
 * without snare. Returns the descriptor to use from now on: the new one,
 * or fd itself when it cannot move (fd is closed when it moved).
 */
SNARE_API int snare_descriptor_keep(int fd);

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
  X(ABORTED, "aborted")                                                        \
  X(WATCHPOINT, "watchpoint")

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
  X(ABORTED_BY_CONTROLLER, "aborted by the controller")                      \
  X(STEP_DONE, "end of stepping range")                                        \
  X(WATCHPOINT_HIT, "watchpoint hit")                                          \
  X(WATCHPOINT_SCOPE, "watchpoint's frame returned")                           \
  X(SIGNAL_RECEIVED, "signal received")

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
/* Breakpoints a stop names at most (further ones are counted only). */
#define SNARE_STOP_BREAKPOINTS 16

/* Where a line step stopped, against the frame it stepped
   (snare_stop.step_frame). */
typedef enum snare_stepped_frame {
  SNARE_STEPPED_FRAME_UNKNOWN = 0, /* no line step, or no DWARF function */
  SNARE_STEPPED_FRAME_KEPT,        /* the same frame and function */
  SNARE_STEPPED_FRAME_CHANGED      /* another frame or function */
} snare_stepped_frame;

typedef struct snare_stop {
  snare_stop_kind kind;
  snare_stop_reason reason;
  int thread;        /* small thread id of the worker (1, 2, ...) */
  uint64_t pc;       /* normalised: the breakpoint's own address */
  int breakpoint;    /* id of the breakpoint, 0 if none */
  /* Every breakpoint at this address whose condition said stop, in the
     order they were set (breakpoints[0] == breakpoint); each counted its
     own hit and stop (gdb: "Breakpoint 1, Breakpoint 2, ..."). */
  int breakpoints[SNARE_STOP_BREAKPOINTS];
  unsigned breakpoint_count; /* more than SNARE_STOP_BREAKPOINTS: counted */
  int signal;        /* signal number for SIGNAL stops, else 0 */
  int signal_code;   /* si_code of that signal */
  uint64_t fault_address;
  uint64_t return_value; /* EXIT: what the entry returned; see below */
  bool at_mark;          /* a breakpoint set on marks (see "Marks") */
  int64_t data1, data2;  /* at_mark: the mark's values, evaluated */
  snare_registers registers;
  /* A step out (snare_step, SNARE_STEP_OUT) that returned sets this and
     puts the function's result in return_value: rax for integers and
     pointers; for a float or double (DWARF says which: return_kind) the
     low 8 bytes of xmm0, and the value itself in return_float. */
  bool has_return_value;
  int return_kind;     /* a snare_return_kind (declared with the lines) */
  double return_float;
  /* A watchpoint's stop (kind WATCHPOINT, or a STEP whose instruction
     changed a watched value: see "Watchpoints"): its id, and the value
     before and after (the first `length` bytes, little-endian). */
  int watchpoint;
  uint64_t old_value, new_value;
  /* gdb's hidden inline frames: a step that stopped where inlined calls
     begin shows their caller at the call site; this many innermost
     source frames are left out of the stop's place and backtrace, and a
     step into enters one of them without running. */
  unsigned inline_hidden;
  /* A line step's (step, next) stop: whether it is in the frame the
     step last stepped through (gdb's step frame: where the step began,
     or where it last passed the middle of a line) and in the function
     it began in, as gdb asks before it shows a step's stop by its
     source line alone. */
  snare_stepped_frame step_frame;
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
 * (not already inside a call). snare_call, snare_resume, snare_interrupt
 * and the steps return IN_CALLBACK when called from inside a condition,
 * a hook's callback or a step policy: it must return first.
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

/*
 * A call placed by the System V AMD64 argument classes, for arguments a
 * plain snare_call cannot pass (double, float, structs by value): the
 * caller classifies each argument and puts its eightbytes in order into
 * the integer registers, the vector registers (low 8 bytes of xmm0..7;
 * a float's bits in the low 4) or the stack words (rsp+8 onward: memory
 * class structs, arguments past the registers). `ret` says where the
 * result comes back; a struct returned in memory passes its buffer as
 * ints[0] and returns that address in rax. al holds 8 (a variadic
 * callee saves every vector register).
 */
#define SNARE_CALL_STACK_WORDS 16

typedef enum snare_return_class {
  SNARE_RETURN_INTEGER,     /* rax, rdx */
  SNARE_RETURN_SSE,         /* xmm0, xmm1 */
  SNARE_RETURN_INTEGER_SSE, /* rax, then xmm0 */
  SNARE_RETURN_SSE_INTEGER  /* xmm0, then rax */
} snare_return_class;

typedef struct snare_call_args {
  uint64_t ints[6];
  uint64_t sse[8];
  uint64_t stack[SNARE_CALL_STACK_WORDS];
  snare_return_class ret;
} snare_call_args;

/* What the call returned: both eightbytes of its class (first, second:
   rax and rdx, xmm0 and xmm1, rax and xmm0, or xmm0 and rax). */
typedef struct snare_call_result {
  uint64_t first, second;
} snare_call_result;

/*
 * Calls fn with args as snare_call does (blocks until the worker stops;
 * stop->return_value is the first eightbyte). When the call has
 * exited, snare_call_result_get gives both eightbytes. args must live
 * until the call has exited.
 */
SNARE_API snare_status snare_call_abi(snare_session *session, uint64_t fn,
                                      const snare_call_args *args,
                                      snare_stop *stop);

/* The result of the session's last call that exited; WRONG_STATE if the
   last call did not exit (stopped, aborted) or was not snare_call_abi. */
SNARE_API snare_status snare_call_result_get(const snare_session *session,
                                             snare_call_result *out);

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
 * controller, which is blocked) and from a signal handler (a SIGINT
 * handler of the controller: it only stores a flag and signals the
 * worker). Returns WRONG_STATE if the worker is not running target code.
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
 * Writes n bytes at addr; BAD_ADDRESS if not writable, IS_CODE if it is
 * code that is not writable (breakpoints and JIT memory change code).
 * Writes over code snare has patched keep its breakpoints in place.
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
 * Whether the breakpoint or watchpoint whose condition got frame was
 * cleared since the hit (false for other callbacks' frames). A condition
 * that waits for something (a Lua condition for its turn) gives up once
 * it is: the breakpoint or watchpoint then does not stop, whatever the
 * condition returns, and its release waits for the condition's return.
 */
SNARE_API bool snare_frame_cleared(const snare_frame *frame);

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
     max_stops or session free), so the owner can release condition_data;
     when a thread still runs the condition, once the last one returned
     (at the next clear, stop or event; session free waits for it). */
  void (*release)(void *condition_data);
  /* Only this thread id stops here (see "Threads and events"); 0: any
     thread of the session (its worker and its attached threads). */
  int thread;
  /* Only stops whose pc lies in [function_start, function_end); 0, 0:
     anywhere (libjit's JIT_DEBUGGER_FLAG_FUNCTION). */
  uint64_t function_start, function_end;
  /* A debugger's own breakpoint (stepping uses them): a negative id from
     a counter of its own, left out of snare_breakpoint_list. */
  bool internal;
  /* Always reached by a trap, never by a jump (snare_breakpoint_mechanism),
     wherever it is set first: for comparisons, and for code that must keep
     its bytes. */
  bool trap;
  /* `break FUNCTION`: the function the address was resolved for. Its
     stops hide the inlined calls that begin at the address inside that
     function, as gdb 13 shows FUNCTION's frame there (see
     snare_stop.inline_hidden); NULL (by address, FILE:LINE): the
     innermost frame. */
  const char *function;
  /* The user number to give it (1..SNARE_BREAKPOINT_NUMBER_MAX, not in
     use: one snare_breakpoint_number_take gave, a pending breakpoint's
     that resolves now); 0: the next one. INVALID_ARGUMENT otherwise. */
  int number;
  /* Another location of a breakpoint already numbered (gdb's 2.2): an id
     above SNARE_BREAKPOINT_NUMBER_MAX from a counter of its own, so it
     takes no user number, left out of snare_breakpoint_list. */
  bool extra_location;
} snare_breakpoint_options;

/*
 * How a breakpoint is reached. Where every enabled breakpoint at an
 * address has a condition or a skip count, snare replaces the
 * instruction there by a jump to a trampoline when the code allows it
 * (whole instructions that can move, no branch into them, no indirect
 * jump in the function): conditions then run without a signal, and a
 * stop is the same stop a trap gives. Elsewhere, a trap (int3).
 */
typedef enum snare_breakpoint_mechanism {
  SNARE_BREAKPOINT_TRAP,
  SNARE_BREAKPOINT_JUMP
} snare_breakpoint_mechanism;

typedef struct snare_breakpoint_info {
  int id;
  uint64_t address;
  bool enabled;
  uint64_t hits;     /* every time a session thread reached it, enabled */
  uint64_t stops;    /* hits that stopped */
  uint64_t rejected; /* hits resumed silently: skipped or condition false */
  unsigned skip;
  unsigned max_stops;
  snare_breakpoint_mechanism mechanism;
  /* A native condition program decides its false hits
     (snare_frame_condition_program_set), and how many it rejected. */
  bool native_condition;
  uint64_t native_rejected;
} snare_breakpoint_info;

/*
 * Sets a breakpoint at addr, stopping this session's worker and attached
 * threads (opts->thread narrows it to one). opts may be
 * NULL. Refused: not executable (NOT_CODE), unmapped (BAD_ADDRESS), inside
 * an instruction of a known function (INSIDE_INSTRUCTION), an instruction
 * snare cannot step out of line (UNDECODABLE/UNSUPPORTED). *id receives
 * a positive id unique in the session. Controller thread only.
 */
SNARE_API snare_status snare_breakpoint_set(snare_session *session,
                                            uint64_t addr,
                                            const snare_breakpoint_options *opts,
                                            int *id);
/* Removes every breakpoint of the session. */
SNARE_API void snare_breakpoint_clear_all(snare_session *session);
/* The next breakpoint or watchpoint set is numbered `number` or more (a
   debugger's numbers carried into a new process, as gdb keeps them
   across runs); numbers never go back. INVALID_ARGUMENT outside
   1..SNARE_BREAKPOINT_NUMBER_MAX (room left for the numbers after it).
   Controller thread only. */
#define SNARE_BREAKPOINT_NUMBER_MAX (1 << 30)
SNARE_API snare_status snare_breakpoint_numbers_from(snare_session *session,
                                                     int number);
/* Takes the next user number for a breakpoint set later with that
   number (snare_breakpoint_options.number): gdb numbers a pending
   breakpoint when it is made. NO_MEMORY when none is left. Controller
   thread only. */
SNARE_API snare_status snare_breakpoint_number_take(snare_session *session,
                                                    int *number);
/*
 * True if snare can debug in this process: it can install its signal
 * handlers, start threads and patch code (libjit's
 * jit_debugging_possible). Leaves nothing behind.
 */
SNARE_API bool snare_debugging_possible(void);
/* Removes a breakpoint; NOT_FOUND if no such id. */
SNARE_API snare_status snare_breakpoint_clear(snare_session *session, int id);
/* Enables/disables without forgetting counts; NOT_FOUND if no such id. */
SNARE_API snare_status snare_breakpoint_enable(snare_session *session, int id,
                                               bool enabled);
SNARE_API snare_status snare_breakpoint_info_get(snare_session *session,
                                                 int id,
                                                 snare_breakpoint_info *out);
/*
 * User numbers of the session's breakpoints, ascending (creation order,
 * save numbers given with snare_breakpoint_options.number): writes up
 * to cap to ids and returns how many exist.
 */
SNARE_API size_t snare_breakpoint_list(snare_session *session, int *ids,
                                       size_t cap);
/*
 * A batch of breakpoints: from snare_batch_begin to the matching
 * snare_batch_end (they nest), the traps the calling thread arms (new
 * breakpoints, enabled ones) are written at the end, with one code
 * write per page instead of two per breakpoint; until then a thread may
 * run past them. Clearing, a jump, or another thread's code write makes
 * the batch write what it holds first. WRONG_STATE: another thread's
 * batch is open (begin), or the caller has none (end); SYSTEM: a write
 * failed (those breakpoints are not reached).
 */
SNARE_API snare_status snare_batch_begin(void);
SNARE_API snare_status snare_batch_end(void);

/* ------------------------------------------------------------------ */
/* Watchpoints                                                         */

/*
 * Hardware watchpoints: the process's own debug registers (on Linux a
 * perf breakpoint event per thread, no ptrace), armed on the session's
 * worker and every thread attached to it, now and later, and disarmed
 * on a thread that detaches. A hit is a trap on the thread that touched
 * the memory, right after the instruction (the stop's pc is the next
 * instruction); conditions and skip counts are decided there, as for
 * breakpoints, without waking the controller. A WRITE watchpoint counts
 * a hit only when the value changed (gdb's `watch`); READ only when it
 * did not (x86 traps reads only together with writes: gdb's `rwatch`);
 * ACCESS every time. A single step over an instruction that changes a
 * watched value ends as a STEP stop carrying the watchpoint's id and
 * values (the hardware reports the step alone) and counts one hit.
 *
 * Four registers (x86-64 DR0..DR3) serve every watchpoint of the
 * process: a range takes one per aligned piece of 1, 2, 4 or 8 bytes it
 * splits into, and a watchpoint that would need more than are free is
 * refused with NO_DEBUG_REGISTER. Where the kernel refuses watchpoints
 * (perf_event_paranoid, seccomp, a kernel before 5.13) every set
 * returns UNSUPPORTED and snare_watchpoint_error() says why and what to
 * change; nothing else in snare is affected.
 */
typedef enum snare_watch_kind {
  SNARE_WATCH_WRITE,
  SNARE_WATCH_READ,
  SNARE_WATCH_ACCESS,
  SNARE_WATCH_EXECUTE
} snare_watch_kind;

typedef struct snare_watchpoint_options {
  snare_watch_kind kind;
  unsigned skip;                /* ignore the first `skip` hits */
  snare_condition_fn condition; /* NULL: always stop; frame's pc: after */
  void *condition_data;         /* passed to condition, owned by caller */
  /* Called once when the watchpoint is cleared (by snare_watchpoint_clear,
     its scope ending or session free), to release condition_data; when a
     thread still runs the condition, once the last one returned (as a
     breakpoint's). */
  void (*release)(void *condition_data);
  /* Only this thread id counts hits (0: every thread of the session). */
  int thread;
  /* A local variable's frame: when thread `thread` returns to
     scope_return with its stack pointer at or above scope_frame (the
     frame's canonical frame address), the watchpoint is cleared and the
     thread stops with reason WATCHPOINT_SCOPE (gdb: "Watchpoint N
     deleted because the program has left the block..."). 0: global. */
  uint64_t scope_frame, scope_return;
} snare_watchpoint_options;

typedef struct snare_watchpoint_info {
  int id;
  uint64_t address;
  unsigned length;
  snare_watch_kind kind;
  bool enabled;
  uint64_t hits;     /* accesses that count (see above) */
  uint64_t stops;    /* hits that stopped */
  uint64_t rejected; /* hits resumed silently: skipped or condition false */
  unsigned skip;
  unsigned registers; /* debug registers it takes */
  int thread;
  bool scoped;
} snare_watchpoint_info;

/*
 * Watches [addr, addr+length), length 1 to 32 (EXECUTE: 1); opts may be
 * NULL (a write watchpoint). *id receives a positive id from the
 * session's breakpoint numbers (so the two never share one). Refused:
 * INVALID_ARGUMENT, NO_DEBUG_REGISTER, UNSUPPORTED (see
 * snare_watchpoint_error). Controller thread only.
 */
SNARE_API snare_status snare_watchpoint_set(snare_session *session,
                                            uint64_t addr, unsigned length,
                                            const snare_watchpoint_options *opts,
                                            int *id);
/* Removes a watchpoint and frees its registers; NOT_FOUND if no such id. */
SNARE_API snare_status snare_watchpoint_clear(snare_session *session, int id);
/* Disables (disarming its registers, which stay reserved) or enables
   without forgetting counts; NOT_FOUND if no such id. */
SNARE_API snare_status snare_watchpoint_enable(snare_session *session, int id,
                                               bool enabled);
SNARE_API snare_status snare_watchpoint_info_get(snare_session *session,
                                                 int id,
                                                 snare_watchpoint_info *out);
/* Ids of the session's watchpoints in creation order, as
   snare_breakpoint_list. */
SNARE_API size_t snare_watchpoint_list(snare_session *session, int *ids,
                                       size_t cap);
/* Why the last snare_watchpoint_set on any thread was refused (static
   storage), "" after a success. */
SNARE_API const char *snare_watchpoint_error(void);

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
/*
 * Describes an object the program's loader has mapped at load bias
 * `bias` under the name `path` (its link map's), without loading it:
 * for a debugger stopped in the loader (its lock held, where a dlopen
 * would wait for ever), e.g. at the r_debug breakpoint while a dlopen
 * adds the object. Closing it unloads nothing. LOAD_FAILED when no
 * loaded object has that name and bias.
 */
SNARE_API snare_status snare_library_describe(const char *path, uint64_t bias,
                                              snare_library **out);
SNARE_API void snare_library_close(snare_library *lib);
/*
 * The program's loader unmapped the object lib describes (a dlclose of
 * the program's): the breakpoints, hooks, mark hooks and marks snare set
 * in its code are dropped without a write (the bytes they saved went
 * with the mapping, and another mapping may hold the addresses now),
 * and lib is closed. A library snare_library_open loaded is never
 * unmapped by the program; for it this is snare_library_close.
 */
SNARE_API void snare_library_unloaded(snare_library *lib);
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

/* Symbol by exact name (functions and objects); NOT_FOUND. A C++
   function answers to its mangled name, its qualified name
   ("ns::Shape::area") and its demangled signature. */
SNARE_API snare_status snare_library_symbol(const snare_library *lib,
                                            const char *name,
                                            snare_symbol *out);
/*
 * The functions of lib, one per address, in address order: writes up to
 * cap of them to out (names owned by lib) and returns how many exist.
 * Functions come from the ELF symbol tables and, for code no symbol
 * names (stripped objects), from the unwind table, named
 * "sub_<link-time address in hex>". A function with several names
 * (aliases) is listed once, under its preferred one: a global name over
 * a local one, fewer leading underscores (`malloc` over
 * `__libc_malloc`), a C++ function's qualified name ("ns::Shape::area").
 * PLT stubs, IFUNC resolvers and split-off parts of functions (foo.cold)
 * are not listed.
 */
SNARE_API size_t snare_library_functions(const snare_library *lib,
                                         snare_symbol *out, size_t cap);
/*
 * Whether the ELF program at path names a program interpreter (the
 * dynamic loader), without which no library can be preloaded into it: a
 * statically linked program has none. NOT_FOUND when path cannot be read
 * as an ELF file.
 */
SNARE_API snare_status snare_program_is_dynamic(const char *path,
                                                bool *dynamic);
/* Symbol containing run-time address addr; NOT_FOUND. */
SNARE_API snare_status snare_library_symbol_at(const snare_library *lib,
                                               uint64_t addr,
                                               snare_symbol *out);

/*
 * The function and object symbols of an ELF file the process has mapped
 * (its first page at mapped_at), read from the file without loading it:
 * for objects snare did not load, such as libc. NOT_FOUND when path is
 * no ELF file with loadable segments. Free with snare_symbol_file_free.
 */
typedef struct snare_symbol_file snare_symbol_file;
SNARE_API snare_status snare_symbol_file_read(const char *path,
                                              uint64_t mapped_at,
                                              snare_symbol_file **out);
/* Where the file's own bytes are mapped: [start, file_end), the .bss
   past its last page of file content excluded. */
SNARE_API void snare_symbol_file_span(const snare_symbol_file *f,
                                      uint64_t *start, uint64_t *file_end);
/* Its symbols in address order, one per address (the preferred name, a
   function's over an object's), as snare_library_functions: up to cap
   into out (names owned by f), returning how many there are. */
SNARE_API size_t snare_symbol_file_symbols(const snare_symbol_file *f,
                                           snare_symbol *out, size_t cap);
SNARE_API void snare_symbol_file_free(snare_symbol_file *f);
/* A mangled C++ symbol name as snare names the function (its qualified
   name: "_ZNSt6localeC1Ev" -> "std::locale::locale"), to free(); NULL
   when name is not mangled or cannot be demangled. */
SNARE_API char *snare_symbol_demangle(const char *name);
/* The demangler's whole text of a mangled name ("int ns::sum<int>(int,
   int)", gdb's minimal symbol name), to free(); NULL as above. */
SNARE_API char *snare_symbol_demangle_full(const char *name);
/* The signature of a mangled function name: the demangler's text without
   a template's return type ("ns::sum<int>(int, int)", gdb's DWARF
   symbol name), to free(); NULL as above. */
SNARE_API char *snare_symbol_signature(const char *name);

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
/* Unregisters the region starting at start, removing the breakpoints
   and function hooks in it; NOT_FOUND. */
SNARE_API snare_status snare_code_unregister(uint64_t start);

/* ------------------------------------------------------------------ */
/* Source lines and functions (DWARF)                                  */

/*
 * Read from the DWARF of libraries opened with snare_library_open, loaded
 * on the first question about a library and kept until it is closed.
 * Every address is a run-time address. Strings and arrays in the structs
 * below belong to the library and stay valid until snare_library_close.
 * A library without DWARF (not built with -g, or stripped) answers
 * NOT_FOUND; its ELF symbols keep working. Line semantics follow gdb's.
 * Controller thread only.
 */

/*
 * Separate debug files: a library stripped of its DWARF is read from its
 * debug file, found as gdb finds it: by build ID under each debug-file
 * directory (DIR/.build-id/xx/yyyy.debug), then by .gnu_debuglink next to
 * the library, in its .debug/ directory and under each DIR (CRC checked).
 * The directories are gdb's `set debug-file-directory`: colon-separated,
 * "/usr/lib/debug" by default (NULL restores it). A change applies to
 * libraries whose DWARF is read afterwards.
 */
SNARE_API snare_status snare_debug_file_directory_set(const char *dirs);
SNARE_API const char *snare_debug_file_directory(void);

/* Where an address is in the source. */
typedef struct snare_line_info {
  const char *file;     /* path as recorded in DWARF */
  unsigned line;
  unsigned column;      /* 0 when unknown */
  uint64_t start, end;  /* the address range of this line-table row */
  const char *function; /* innermost function, inlined or not; may be NULL */
  const char *function_linkage; /* its linkage_name (snare_function_info) */
  bool not_stmt; /* DWARF says is_stmt false: no statement starts here */
  /* The line of the first row at start when rows of several lines share
     that address (a naked function's opening line and its body's: gdb's
     `break LINE` before it names the first); else line. 0: unknown. */
  unsigned first_line;
} snare_line_info;

/* The code of a source line as gdb's `info line FILE:LINE` reports it. */
typedef struct snare_line_span {
  const char *file; /* the recorded path of the file's table answering */
  bool in_range;    /* false: no statement of the file is at line or later
                       ("Line number N is out of range") */
  uint64_t start;   /* the line's first instruction, or the next line's;
                       out of range, the file's first row (its unit) */
  uint64_t end;     /* == start when the line has no code of its own
                       ("is at address START but contains no code") */
} snare_line_span;

typedef struct snare_address_range {
  uint64_t low, high; /* [low, high) */
} snare_address_range;

/* What a function returns, as far as its calling convention goes. */
typedef enum snare_return_kind {
  SNARE_RETURNS_UNKNOWN, /* no type information, or a struct/union */
  SNARE_RETURNS_NOTHING, /* void */
  SNARE_RETURNS_INTEGER, /* integers, enums, pointers: in rax */
  SNARE_RETURNS_FLOAT    /* float or double: in xmm0 */
} snare_return_kind;

typedef struct snare_function_info {
  const char *name;
  /* A C++ function's mangled name (its DW_AT_linkage_name, gdb's
     symbol linkage name), NULL for a C function or where DWARF has none */
  const char *linkage_name;
  snare_return_kind returns;
  unsigned return_size;  /* bytes of the returned scalar, 0 if unknown */
  bool inlined;          /* an inlined instance, named by its abstract origin */
  uint64_t entry;        /* first instruction executed */
  uint64_t after_prologue; /* where gdb's `break name` stops */
  uint64_t step_start;   /* where gdb's `step` into the function stops */
  const snare_address_range *ranges; /* sorted, at least one */
  size_t range_count;
  const char *decl_file; /* NULL when DWARF does not say */
  unsigned decl_line;
  const char *call_file; /* inlined instances: where the call was */
  unsigned call_line;
  const char *const *params; /* parameter names in order */
  size_t param_count;
  /* Two characters per parameter, in order: its kind, 'd' signed
     integer, 'u' unsigned (bool too), 'e' enum, 'f' floating point, 'p'
     pointer, 's' pointer to (plain or signed) char, '?' other (a
     struct); then its size in
     bytes as a digit ('0' unknown). NULL without parameters. */
  const char *param_formats;
  /* Per parameter: an enum's enumerators, "RED=0;GREEN=5", else NULL. */
  const char *const *param_enums;
  const char *return_format; /* the same two characters for the return
                                value; "?0" for void */
  const char *return_enums;  /* an enum return type's enumerators, as
                                param_enums', else NULL */
} snare_function_info;

/* The source frame `outward` levels out from the innermost at addr (an
   inlined call is a frame): its function, file and line (of the call,
   for outer frames) in out's function, file and line; NOT_FOUND. */
SNARE_API snare_status snare_source_frame_at(uint64_t addr, unsigned outward,
                                             snare_line_info *out);

/* The line-table row covering addr in lib; NOT_FOUND. */
SNARE_API snare_status snare_library_line_at(snare_library *lib, uint64_t addr,
                                             snare_line_info *out);

/*
 * Breakpoint addresses of file:line, as gdb's `break file:line` picks them
 * (one per inlined copy, lexical block or split piece; a function's first
 * line moved past its prologue), in address order. file matches a
 * recorded path equal to it or ending in "/" + file. Writes up to cap
 * addresses (addrs may be NULL when cap is 0) and stores the total in
 * *count. NOT_FOUND when the line has no code or the file is unknown.
 */
SNARE_API snare_status snare_library_line_addresses(snare_library *lib,
                                                    const char *file,
                                                    unsigned line,
                                                    uint64_t *addrs,
                                                    size_t cap, size_t *count);

/*
 * Where line of file is, as gdb's `info line FILE:LINE` says (its
 * statement rows only, so at -O2 a line may be out of range though rows
 * name it); file matches as for snare_library_line_addresses. NOT_FOUND
 * when lib does not know file.
 */
SNARE_API snare_status snare_library_line_span(snare_library *lib,
                                               const char *file,
                                               unsigned line,
                                               snare_line_span *out);

/*
 * For error messages: the nearest lines of file before and after line
 * that have code (0 for none). NOT_FOUND when lib does not know file.
 */
SNARE_API snare_status snare_library_line_nearest(snare_library *lib,
                                                  const char *file,
                                                  unsigned line,
                                                  unsigned *before,
                                                  unsigned *after);

/* A function by name: its out-of-line definition, else its first inlined
   instance; NOT_FOUND. */
SNARE_API snare_status snare_library_function_info(snare_library *lib,
                                                   const char *name,
                                                   snare_function_info *out);

/*
 * Breakpoint addresses of a function, as gdb's `break name`: past the
 * prologue of its definition and at the entry of every inlined instance,
 * in address order. cap/count as snare_library_line_addresses; NOT_FOUND.
 */
SNARE_API snare_status snare_library_function_addresses(snare_library *lib,
                                                        const char *name,
                                                        uint64_t *addrs,
                                                        size_t cap,
                                                        size_t *count);
/* As snare_library_function_addresses, for the functions of source file
   `file` alone (a path or its last components, as snare_library_line_
   addresses takes it), as gdb's `break FILE:FUNCTION`: a static function
   of that name in another file is not one, nor is an inlined copy (the
   definition out of line alone). NOT_FOUND. */
SNARE_API snare_status snare_library_file_function_addresses(
    snare_library *lib, const char *file, const char *name, uint64_t *addrs,
    size_t cap, size_t *count);

/* Process-wide: the line / innermost function at addr, in whichever open
   library maps it; NOT_FOUND. */
SNARE_API snare_status snare_line_at(uint64_t addr, snare_line_info *out);
/* As snare_line_at, for a function (or inlined copy) that starts at addr,
   as gdb 13 names a breakpoint there: NOT_FOUND, no line, where the row
   holding addr starts before it in a unit whose producer gdb does not
   trust for variable locations from a function's first instruction
   (clang's; gcc's with location lists and assembler units it trusts). */
SNARE_API snare_status snare_function_start_line_at(uint64_t addr,
                                                    snare_line_info *out);
/*
 * The smallest line, `line` or after, of the statement rows at the
 * address of the row holding addr (its file's): where gdb's `break
 * FILE:LINE` found that line's code at a place several lines share (a
 * function's entry, its opening lines and first statements at one
 * address), it names the breakpoint by it, not by the last of them;
 * NOT_FOUND where none is.
 */
SNARE_API snare_status snare_statement_line_from(uint64_t addr, unsigned line,
                                                 unsigned *out);
SNARE_API snare_status snare_function_at(uint64_t addr,
                                         snare_function_info *out);
/* The source language of the compilation unit holding addr: its DWARF
   DW_AT_language code (DW_LANG_C99, DW_LANG_C_plus_plus_14, ...);
   NOT_FOUND when no unit with one holds it. */
SNARE_API snare_status snare_language_at(uint64_t addr, unsigned *language);
/* The name gdb gives source file `path` (the file of a line at addr) in
   frames and breakpoints: as the DWARF writes it, the unit's DW_AT_name
   for its own file, else the line table's directory entry and name
   ("../src/x.c" where the path is "/build/../src/x.c"), not joined to
   the compilation directory; *name lives as long as the library's
   debug information. NOT_FOUND where no unit holds addr. */
SNARE_API snare_status snare_source_name_at(uint64_t addr, const char *path,
                                            const char **name);

/* What the DWARF of the compilation unit holding addr says of it (gdb's
   `info source`). The strings belong to the library's debug info (valid
   while it is open); NULL where the unit does not say. */
typedef struct snare_unit_info {
  const char *name;     /* DW_AT_name, as the compiler wrote it */
  const char *comp_dir; /* DW_AT_comp_dir */
  const char *producer; /* DW_AT_producer */
  unsigned language;    /* DW_AT_language (DW_LANG_*), 0 if none */
  unsigned version;     /* of its DWARF (2 to 5) */
  bool macros;          /* it has macro info (DW_AT_macros, ...) */
} snare_unit_info;

/* The unit holding addr, in whichever open library maps it; NOT_FOUND. */
SNARE_API snare_status snare_unit_at(uint64_t addr, snare_unit_info *out);

/* ------------------------------------------------------------------ */
/* Disassembly                                                         */

/* The syntax instructions are shown in, as gdb's `set disassembly-flavor`. */
typedef enum {
  /* GNU binutils' AT&T, gdb's default: "mov    %rsp,%rbp", "call   0x401136",
     a rip-relative operand followed by "        # 0x404010" */
  SNARE_DISASSEMBLY_ATT,
  /* GNU binutils' Intel (gdb's `set disassembly-flavor intel`):
     "mov    DWORD PTR [rbp-0x14],edi", "lea    rax,[rip+0xe9b]        # 0x2004" */
  SNARE_DISASSEMBLY_INTEL,
} snare_disassembly_flavor;

/*
 * Formats the one instruction at addr in `flavor` (relative branch
 * targets as absolute addresses) into text, cap bytes including the NUL
 * (UNSUPPORTED if too small; 128 always suffices). *length receives the
 * instruction's length in bytes. The program's own bytes are decoded: a
 * breakpoint snare placed there does not show. BAD_ADDRESS if
 * unreadable, UNDECODABLE if not an instruction, INVALID_ARGUMENT for
 * NULL text/length, cap 0 or an unknown flavor. Any thread.
 */
SNARE_API snare_status snare_disassemble(uint64_t addr,
                                         snare_disassembly_flavor flavor,
                                         char *text, size_t cap,
                                         size_t *length);

/*
 * As snare_disassemble, for the first instruction of `bytes` (avail of
 * them) as they would sit at addr: another process's code, read by its
 * tracer (starti's held stop). UNDECODABLE if they hold no whole
 * instruction; INVALID_ARGUMENT as snare_disassemble, or for NULL bytes
 * with avail > 0. Any thread.
 */
SNARE_API snare_status snare_disassemble_bytes(uint64_t addr,
                                               snare_disassembly_flavor flavor,
                                               const uint8_t *bytes,
                                               size_t avail, char *text,
                                               size_t cap, size_t *length);

/* ------------------------------------------------------------------ */
/* Backtraces and variables                                            */

/*
 * Frames of a stopped worker, innermost first, unwound from its saved
 * context with the objects' call frame information (frame pointers are
 * not needed). An inlined call shows as a frame of its own, as in gdb,
 * sharing pc, sp and cfa with the frame it was inlined into. Names,
 * files and lines come from the DWARF of libraries opened with
 * snare_library_open, else from ELF symbols; strings belong to those
 * libraries and stay valid until they are closed.
 */
typedef struct snare_backtrace_frame {
  uint64_t pc;  /* frame 0: where it stopped; callers: the return address */
  uint64_t sp;
  uint64_t cfa; /* canonical frame address (sp before the call) */
  const char *function; /* NULL when unknown */
  const char *file;     /* NULL without line information */
  unsigned line;        /* of pc, or of pc-1 for callers (the call) */
  bool inlined;         /* an inlined call: pc/sp/cfa are its host's */
  /* A function left by a tail call (gdb's tail-call frame, found from
     the call sites DWARF describes): pc is the return pc of its tail
     call site, cfa the callee's, sp cfa - 8 (where the jump left it). */
  bool tail_call;
} snare_backtrace_frame;

/*
 * Writes up to cap frames of the stopped worker and stores how many it
 * has (at most 256 physical frames are walked) in *count. frames may be
 * NULL when cap is 0. WRONG_STATE unless stopped. Controller thread.
 */
SNARE_API snare_status snare_backtrace(snare_session *session,
                                       snare_backtrace_frame *frames,
                                       size_t cap, size_t *count);

/*
 * The registers of frame `frame` of the stopped worker (as snare_backtrace
 * counts), as gdb shows them: frame 0 has its own; an outer frame has its
 * pc (the return address), sp (the callee's cfa) and the callee-saved
 * registers as the call frame information restores them, and every other
 * register as the next inner frame has it (DWARF's "same value" for what
 * the CFI leaves unspecified). saved_at says where this frame saved its
 * caller's registers (gdb's "Saved registers"; 0: not saved here); rip is
 * always saved at cfa - 8. WRONG_STATE unless stopped; INVALID_ARGUMENT
 * past the outermost frame. Controller thread.
 */
typedef struct snare_frame_registers {
  uint64_t value[SNARE_REG_COUNT];
  uint64_t saved_at[SNARE_REG_COUNT];
  uint8_t xmm[16][16];
  uint64_t cfa;
  uint64_t caller_cfa; /* 0 for the outermost frame */
  uint64_t callee_cfa; /* 0 for frame 0 */
} snare_frame_registers;

SNARE_API snare_status snare_frame_registers_read(snare_session *session,
                                                  size_t frame,
                                                  snare_frame_registers *out);
/* The same for frame `frame` of thread id parked at a stop (see
   snare_thread_backtrace); NOT_FOUND or WRONG_STATE as there. */
SNARE_API snare_status snare_thread_frame_registers_read(
    snare_session *session, int id, size_t frame, snare_frame_registers *out);

/*
 * The registers of thread `id` parked at a stop (the worker's id: the
 * stopped worker) beyond the general ones, as gdb's `info all-registers`
 * shows them: the same in every frame of the thread (gdb does not unwind
 * them either). Read from the signal frame's saved state: segment
 * selectors (ds and es are the process's, the same in every thread),
 * fs_base (the thread pointer), x87 in gdb's i387 form (ftag the full
 * two-bit-per-register tag word, fop its 11 bits), mxcsr, and the vector
 * registers at the width the CPU and OS enable: vector_bits 128 (xmm0..15),
 * 256 (ymm0..15) or 512 (zmm0..31 and the opmask registers k0..k7), and
 * the protection-key rights register pkru where the OS enables it.
 * WRONG_STATE or NOT_FOUND as snare_thread_backtrace. Controller thread.
 */
typedef struct snare_machine_state {
  uint16_t cs, ss, ds, es, fs, gs;
  uint64_t fs_base, gs_base;
  uint8_t st[8][10]; /* st0..st7: 80-bit values, little-endian */
  uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
  uint32_t mxcsr;
  unsigned vector_bits;  /* 128, 256 or 512 */
  unsigned vector_count; /* 16, or 32 with AVX-512 */
  uint8_t vector[32][64]; /* each register's low vector_bits / 8 bytes */
  uint64_t k[8];          /* vector_bits 512 only */
  bool has_pkru;          /* XCR0 enables PKRU (the CPU has OSPKE) */
  uint32_t pkru;          /* has_pkru only */
} snare_machine_state;

SNARE_API snare_status snare_thread_machine_state_read(
    snare_session *session, int id, snare_machine_state *out);

typedef enum snare_value_kind {
  SNARE_VALUE_SIGNED,   /* integer types, char included: i */
  SNARE_VALUE_UNSIGNED, /* u */
  SNARE_VALUE_FLOAT,    /* f */
  SNARE_VALUE_BOOL,     /* u (0 or 1) */
  SNARE_VALUE_POINTER,  /* u; string when asked for and it is a char * */
  SNARE_VALUE_ENUM,     /* i; enumerator names the value, or NULL */
  SNARE_VALUE_STRUCT,   /* children: the members */
  SNARE_VALUE_UNION,    /* children: the members */
  SNARE_VALUE_ARRAY,    /* children: the elements, length the full count */
  SNARE_VALUE_OPTIMIZED_OUT, /* the compiler kept no location at this pc */
  SNARE_VALUE_UNREADABLE,    /* its memory cannot be read */
  SNARE_VALUE_OTHER,         /* a type snare does not decode */
  /* a pointer the compiler optimised away while what it points to is
     known (DW_OP_implicit_pointer): gdb's <synthetic pointer>;
     snare_variable_locate tells what it points to */
  SNARE_VALUE_SYNTHETIC_POINTER
} snare_value_kind;

/* A variable's value as a tree. Every string and child is owned by the
   root and freed with it by snare_value_free. */
typedef struct snare_value {
  snare_value_kind kind;
  char *name;   /* variable or member; NULL for array elements */
  char *type;   /* C spelling: "int", "struct point", "const char *" */
  uint64_t address; /* where it lives, 0 when not in memory */
  size_t size;      /* bytes */
  int64_t i;
  uint64_t u;
  double f;
  char *enumerator; /* ENUM */
  char *string;     /* POINTER to char, with options.strings */
  struct snare_value *children;
  size_t child_count;
  size_t length; /* ARRAY: elements in the type (children may be fewer) */
} snare_value;

typedef struct snare_value_options {
  unsigned max_depth;  /* levels of members/elements; 0 means 4 */
  size_t max_elements; /* per array; 0 means 64 */
  size_t max_string;   /* bytes of a string; 0 means 256 */
  bool strings;        /* read what char pointers point to */
} snare_value_options;

/* Frees a value tree from snare_variable_read; NULL is accepted. */
SNARE_API void snare_value_free(snare_value *value);

/* One variable visible in a frame. name belongs to the library. */
typedef struct snare_variable_info {
  const char *name;
  bool is_param;
} snare_variable_info;

/*
 * The parameters (in order) then the locals of frame `frame` (an index
 * into snare_backtrace's list) visible at its pc, innermost block first;
 * as gdb's `info locals`, a variable an inner one of its name shadows is
 * listed too (snare_variable_read_listed reads it). cap/count as
 * snare_backtrace. NOT_FOUND when the frame has no DWARF; INVALID_ARGUMENT
 * for a frame past the outermost.
 */
SNARE_API snare_status snare_variable_list(snare_session *session,
                                           size_t frame,
                                           snare_variable_info *vars,
                                           size_t cap, size_t *count);

/*
 * Reads variable `name` of a frame into a tree the caller owns (*out,
 * freed with snare_value_free). opts may be NULL. A variable the compiler
 * dropped at this pc is read successfully with kind OPTIMIZED_OUT.
 * NOT_FOUND when no visible variable has that name.
 */
SNARE_API snare_status snare_variable_read(snare_session *session,
                                           size_t frame, const char *name,
                                           const snare_value_options *opts,
                                           snare_value **out);

/* As snare_variable_read, the variable `index` of snare_variable_list's
   list of that frame (which tells shadowed variables apart). */
SNARE_API snare_status snare_variable_read_listed(
    snare_session *session, size_t frame, size_t index,
    const snare_value_options *opts, snare_value **out);

/*
 * Stores a scalar (integer, enum, bool, pointer or floating-point)
 * variable, converting value to its type. In memory: any frame; in a
 * register: frame 0 only (the change takes effect on resume), else
 * UNSUPPORTED, as for aggregates, values split into pieces and values the
 * compiler computes. OPTIMIZED_OUT variables give UNSUPPORTED too.
 */
SNARE_API snare_status snare_variable_write_int(snare_session *session,
                                                size_t frame, const char *name,
                                                int64_t value);
SNARE_API snare_status snare_variable_write_float(snare_session *session,
                                                  size_t frame,
                                                  const char *name,
                                                  double value);

/* As snare_variable_read, for frame 0 of a breakpoint condition's frame
   (on the trapped thread, during the callback). */
SNARE_API snare_status snare_frame_variable_read(const snare_frame *frame,
                                                 const char *name,
                                                 const snare_value_options *opts,
                                                 snare_value **out);

/*
 * The fast way to a scalar variable (integer, bool, pointer, float or
 * double) of a breakpoint condition's frame: its location at the
 * breakpoint's address is compiled at the first read (per breakpoint and
 * name, a few names each) and each later read runs that program, with no
 * DWARF lookup, unwinding, allocation or system call. *out gets kind,
 * size and i, u or f (no name, nothing to free). UNSUPPORTED when the
 * variable needs the general reader (snare_frame_variable_read, which
 * also gives NOT_FOUND, optimised-out and unreadable answers).
 */
SNARE_API snare_status snare_frame_variable_scalar(const snare_frame *frame,
                                                   const char *name,
                                                   snare_value *out);

/* ------------------------------------------------------------------ */
/* Native condition programs                                           */

/*
 * A C condition lowered to a small stack program that runs on the thread
 * that hit the breakpoint, with no Lua, no allocation and no system call
 * on the good path. Values are 64-bit words; every conversion (C's
 * promotions and usual arithmetic conversions) is an explicit WRAP made
 * by whoever lowered the expression, so a value of a type narrower than
 * 64 bits is always held sign-extended (signed) or zero-extended
 * (unsigned). `size` is the bytes of the type a step works in; `operand`
 * is a constant, a variable's index in `names`, or how many steps a jump
 * skips forward.
 */
#define SNARE_CONDITION_OP_LIST(X)                                             \
  X(CONSTANT)   /* push operand */                                             \
  X(VARIABLE)   /* push names[operand] (compiled read, DWARF's sign) */        \
  X(LOAD)       /* pop an address, push the size bytes there, extended */      \
  X(WRAP)       /* convert the top to size bytes, is_signed */                 \
  X(TRUTH)      /* top != 0: 1 or 0 */                                         \
  X(NOT)        /* top == 0: 1 or 0 */                                         \
  X(NEGATE)                                                                    \
  X(COMPLEMENT)                                                                \
  X(ADD)                                                                       \
  X(SUBTRACT)                                                                  \
  X(MULTIPLY)                                                                  \
  X(DIVIDE)     /* C's truncating division, is_signed; by 0: an error */       \
  X(REMAINDER)                                                                 \
  X(SHIFT_LEFT) /* in size bytes; a count < 0 or >= its bits gives 0 */        \
  X(SHIFT_RIGHT) /* arithmetic when is_signed */                               \
  X(AND)                                                                       \
  X(OR)                                                                        \
  X(XOR)                                                                       \
  X(EQUAL)                                                                     \
  X(NOT_EQUAL)                                                                 \
  X(LESS)       /* is_signed or unsigned, 64-bit */                            \
  X(LESS_EQUAL)                                                                \
  X(GREATER)                                                                   \
  X(GREATER_EQUAL)                                                             \
  X(AND_THEN)   /* pop; 0: push 0 and skip operand steps (&&) */               \
  X(OR_ELSE)    /* pop; not 0: push 1 and skip operand steps (||) */           \
  X(JUMP_IF_ZERO) /* pop; 0: skip operand steps (?:) */                        \
  X(JUMP)       /* skip operand steps */

typedef enum snare_condition_op {
#define SNARE_CONDITION_OP_ENUM(code) SNARE_CONDITION_##code,
  SNARE_CONDITION_OP_LIST(SNARE_CONDITION_OP_ENUM)
#undef SNARE_CONDITION_OP_ENUM
  SNARE_CONDITION_OP_COUNT
} snare_condition_op;

#define SNARE_CONDITION_STEPS 48
#define SNARE_CONDITION_NAMES 8
#define SNARE_CONDITION_NAME_MAX 32 /* with its NUL */
#define SNARE_CONDITION_STACK 16

typedef struct snare_condition_step {
  uint8_t op; /* snare_condition_op */
  uint8_t size;
  bool is_signed;
  int64_t operand;
} snare_condition_step;

typedef struct snare_condition_program {
  size_t step_count;
  snare_condition_step steps[SNARE_CONDITION_STEPS];
  size_t name_count;
  char names[SNARE_CONDITION_NAMES][SNARE_CONDITION_NAME_MAX];
} snare_condition_program;

/* The op's name ("SHIFT_LEFT"), NULL for none; static storage. */
SNARE_API const char *snare_condition_op_name(int op);

/*
 * Runs program p in a condition's frame (NULL for a program that reads no
 * variable): the value left on its stack into *result. BAD_ADDRESS when
 * a LOAD's memory is unreadable (its address into *fault_address, which
 * may be NULL), INVALID_ARGUMENT for a division by zero or a malformed
 * program (stack depth, jump or name out of range), UNSUPPORTED when a
 * variable has no compiled read at this hit. Signal-safe.
 */
SNARE_API snare_status snare_condition_program_run(
    const snare_condition_program *p, const snare_frame *frame,
    uint64_t *result, uint64_t *fault_address);

/*
 * Gives the breakpoint of a condition's frame (during its condition)
 * program p (copied) as a pre-filter: at each later hit p runs first,
 * and a hit where it gives 0 is rejected without calling the condition;
 * anything else (not 0, an error) calls the condition as before, which
 * must then decide exactly as p would have. EXISTS once it has one
 * (until snare_breakpoint_condition_program_drop), UNSUPPORTED for a
 * watchpoint's frame or a breakpoint set without a condition.
 */
SNARE_API snare_status snare_frame_condition_program_set(
    const snare_frame *frame, const snare_condition_program *p);

/* Stops using the native program of breakpoint id for good (its
   condition changed meaning); the condition decides every hit again,
   and may give the breakpoint a new program at a later hit (NO_MEMORY:
   the old one is dropped, but none can be given). Controller thread
   only. */
SNARE_API snare_status snare_breakpoint_condition_program_drop(
    snare_session *session, int id);

/* ------------------------------------------------------------------ */
/* DWARF types and places, for expression evaluators                   */

/*
 * A type of a library's DWARF, valid while that library is open: its DIE
 * and, for an array type, the dimension it starts at (int [2][3] at dim
 * 1 is int [3]). owner NULL is void.
 */
typedef struct snare_type {
  const void *owner;
  uint64_t die;
  unsigned dim;
} snare_type;

typedef enum snare_type_kind {
  SNARE_TYPE_VOID,
  SNARE_TYPE_SIGNED,   /* integers, signed char and plain char included */
  SNARE_TYPE_UNSIGNED,
  SNARE_TYPE_FLOAT,
  SNARE_TYPE_BOOL,
  SNARE_TYPE_POINTER,
  SNARE_TYPE_ARRAY,
  SNARE_TYPE_STRUCT,
  SNARE_TYPE_UNION,
  SNARE_TYPE_ENUM,
  SNARE_TYPE_FUNCTION, /* a subprogram or subroutine type */
  SNARE_TYPE_TYPEDEF,
  SNARE_TYPE_CONST,
  SNARE_TYPE_VOLATILE,
  SNARE_TYPE_RESTRICT,
  SNARE_TYPE_OTHER,
  SNARE_TYPE_REFERENCE,       /* C++ T & */
  SNARE_TYPE_RVALUE_REFERENCE /* C++ T && */
} snare_type_kind;

typedef struct snare_type_info {
  snare_type_kind kind;
  const char *name; /* NULL when anonymous; belongs to the library */
  size_t size;      /* bytes; 0 when unknown (void, functions, incomplete) */
  bool is_char;     /* a one-byte integer meant as a character */
  bool declaration; /* an incomplete struct, union or enum */
  bool prototyped;  /* FUNCTION: declared with its parameters */
  bool varargs;     /* FUNCTION: ends in "..." */
  bool object_param; /* FUNCTION: a C++ method's, its first parameter the
                        object (artificial: `this`) */
  snare_type target; /* pointee, element, aliased or qualified type,
                        return type, enum's underlying type */
  size_t count;    /* ARRAY: elements of this dimension (0: unknown) */
  bool vector;     /* ARRAY: a GNU vector (DW_AT_GNU_vector: __m128i) */
  size_t children; /* members, enumerators or parameters */
  bool cplus;      /* declared in a C++ unit */
  bool class_tag;  /* STRUCT: declared `class` (DW_TAG_class_type) */
  bool enum_class; /* ENUM: a scoped enum (enum class) */
  const char *linkage; /* a nameless C++ struct's DW_AT_linkage_name (its
                          typedef's name for linkage: "6div_t"), or NULL */
} snare_type_info;

typedef struct snare_type_member {
  const char *name; /* NULL for an anonymous struct or union member */
  snare_type type;
  size_t offset;       /* bytes from the start of the aggregate */
  unsigned bit_size;   /* a bitfield's width, else 0 */
  unsigned bit_offset; /* a bitfield: bits past offset (little-endian) */
} snare_type_member;

SNARE_API snare_status snare_type_describe(snare_type type,
                                           snare_type_info *out);
/* Member i of a struct or union, in declaration order; NOT_FOUND. */
SNARE_API snare_status snare_type_member_at(snare_type type, size_t i,
                                            snare_type_member *out);
/* Enumerator i of an enum; NOT_FOUND. */
SNARE_API snare_status snare_type_enumerator(snare_type type, size_t i,
                                             const char **name,
                                             int64_t *value);
/*
 * The namespaces and classes a type is declared in, outermost first and
 * joined by "::" as C++ writes them ("ns::K", "(anonymous namespace)"),
 * into buf (cap bytes, cut short if it must); "" at a unit's top level.
 */
SNARE_API snare_status snare_type_scope(snare_type type, char *buf,
                                        size_t cap);

typedef enum snare_type_part_kind {
  SNARE_PART_MEMBER,        /* a data member (type, offset) */
  SNARE_PART_STATIC_MEMBER, /* a static data member (its declaration) */
  SNARE_PART_METHOD,        /* a member function (type: its own) */
  SNARE_PART_TEMPLATE_TYPE, /* a template's type parameter (type: its value) */
  SNARE_PART_BASE,          /* a base class (type, offset) */
  SNARE_PART_TYPEDEF        /* a typedef declared in it (type: its target) */
} snare_type_part_kind;

typedef enum snare_access {
  SNARE_ACCESS_PUBLIC,
  SNARE_ACCESS_PROTECTED,
  SNARE_ACCESS_PRIVATE
} snare_access;

typedef struct snare_type_part {
  snare_type_part_kind kind;
  const char *name; /* NULL when anonymous; belongs to the library */
  snare_type type;
  snare_access access; /* as declared, else the tag's default */
  bool artificial;     /* METHOD: made by the compiler */
  bool is_virtual;     /* METHOD: has a vtable slot that DWARF gives (what
                          gdb calls virtual: gcc gives none to a virtual
                          destructor); BASE: a virtual base */
  bool is_static;      /* METHOD: has no `this` */
  uint64_t offset;     /* BASE: where it starts in the object (0 when
                          DWARF gives no constant: a virtual base) */
  /* STATIC_MEMBER: the value its declaration gives (DW_AT_const_value:
     a static const member with no definition of its own): an integer
     (has_value), or the bytes of a block (value_bytes, value_size; they
     belong to the library) */
  bool has_value;
  uint64_t value;
  const uint8_t *value_bytes;
  size_t value_size;
} snare_type_part;

/* Part i of a C++ struct, class or union (members, static members,
   methods, template parameters, bases, typedefs) in declaration order; NOT_FOUND
   past the last. */
SNARE_API snare_status snare_type_part_at(snare_type type, size_t i,
                                          snare_type_part *out);

/* The type of parameter i of a function type; NOT_FOUND. */
SNARE_API snare_status snare_type_param(snare_type type, size_t i,
                                        snare_type *out);

/*
 * A type by the name C gives it ("int", "size_t", "struct node",
 * "union u", "enum color"), a complete definition preferred; NOT_FOUND.
 */
SNARE_API snare_status snare_library_type(snare_library *lib,
                                          const char *name, snare_type *out);
/* A variable of file scope (global or static) defined in lib: its type
   and run-time address; NOT_FOUND. */
SNARE_API snare_status snare_library_global(snare_library *lib,
                                            const char *name,
                                            snare_type *type,
                                            uint64_t *address);
/* As snare_library_global, among the variables of source file `file`
   (its name, or the end of its path after a '/': gdb's 'file.c'::name)
   alone. */
SNARE_API snare_status snare_library_file_global(snare_library *lib,
                                                 const char *file,
                                                 const char *name,
                                                 snare_type *type,
                                                 uint64_t *address);
/* Variable `name` of the function whose code holds run-time address
   addr, seen from its outermost block (gdb's 'func'::name): its type and
   address when it has static storage (a static local); NOT_FOUND when
   the function has none of that name (its file's are not looked at),
   UNSUPPORTED when it lives in a frame (a local, a parameter). */
SNARE_API snare_status snare_library_function_static(snare_library *lib,
                                                     uint64_t addr,
                                                     const char *name,
                                                     snare_type *type,
                                                     uint64_t *address);
/* An enumerator of a file-scope enum of lib: its enum and value. */
SNARE_API snare_status snare_library_enumerator(snare_library *lib,
                                                const char *name,
                                                snare_type *type,
                                                int64_t *value);
/*
 * The parameters and locals visible at run-time address addr of lib's
 * code, as snare_variable_list lists them for a frame stopped there, for
 * each source frame at addr (an inlined call's, then its callers'), so
 * that a breakpoint's condition can be checked when it is set. cap/count
 * as snare_variable_list. NOT_FOUND when no DWARF function covers addr.
 */
SNARE_API snare_status snare_library_variables_at(snare_library *lib,
                                                  uint64_t addr,
                                                  snare_variable_info *vars,
                                                  size_t cap, size_t *count);
/* The type of the function whose code holds addr (its prototype);
   NOT_FOUND. */
SNARE_API snare_status snare_library_function_type(snare_library *lib,
                                                   uint64_t addr,
                                                   snare_type *out);

/* The file lib's DWARF is read from: the object itself, or its separate
   debug file (whose ELF symbol table gdb reads too); NOT_FOUND without
   DWARF. The string belongs to lib. */
SNARE_API snare_status snare_library_debug_file(snare_library *lib,
                                                const char **path);

/*
 * What gdb's `info variables` and `info types` list of a library: its
 * names of file scope as gdb's DWARF reader makes symbols of them.
 * VARIABLE: a variable with a place, a constant value or none (optimised
 * out); DECLARATION: an extern variable declared but defined elsewhere
 * (gdb lists none, but knows the name); TYPE: a named base type,
 * typedef, struct, union, enum or class, complete or with a size.
 */
typedef enum snare_file_symbol_kind {
  SNARE_FILE_VARIABLE,
  SNARE_FILE_DECLARATION,
  SNARE_FILE_TYPE,
  SNARE_FILE_NAMESPACE /* a C++ namespace (gdb lists it among the types) */
} snare_file_symbol_kind;

typedef struct snare_file_symbol {
  snare_file_symbol_kind kind;
  const char *name;    /* as the DWARF names it, in C++ in its namespaces
                          and classes ("ns::K::made") */
  const char *linkage; /* a variable's DW_AT_linkage_name, a nameless C++
                          struct's (see snare_type_info), or NULL */
  const char *file;    /* gdb's name of the file declaring it (its unit's
                          primary file when the DWARF names none) */
  const char *codeless_file; /* its unit's primary file where the unit has
                                no code (where gdb 13 puts the unit's
                                symbols before the program runs), or NULL */
  unsigned line;       /* DW_AT_decl_line, 0 when there is none */
  bool global;         /* in gdb's global block (else its static block):
                          an external variable, a C++ aggregate type */
  snare_type type;     /* the variable's type, or the type itself */
} snare_file_symbol;

/*
 * The names of file scope of lib's DWARF (every unit's top level), in
 * DWARF order; read at the first call, then kept with the library: the
 * array and its strings stay valid while lib is open. NOT_FOUND without
 * DWARF; NO_MEMORY.
 */
SNARE_API snare_status
snare_library_file_symbols(snare_library *lib,
                           const snare_file_symbol **symbols, size_t *count);

/* Where a variable of a frame is: in memory, or its bytes (a register,
   a computed value). */
typedef struct snare_variable_location {
  snare_type type;
  bool optimized_out;
  bool in_memory;   /* at address; else bytes holds its value */
  uint64_t address;
  uint8_t bytes[64];
  size_t size;      /* of the type; bytes holds at most 64 of them */
  /* a synthetic pointer (SNARE_VALUE_SYNTHETIC_POINTER): optimized_out,
     in_memory, address, bytes and size are those of what it points to */
  bool synthetic;
} snare_variable_location;

/* As snare_variable_read, the variable's type and place instead of a
   value tree. */
SNARE_API snare_status snare_variable_locate(snare_session *session,
                                             size_t frame, const char *name,
                                             snare_variable_location *out);
SNARE_API snare_status
snare_frame_variable_locate(const snare_frame *frame, const char *name,
                            snare_variable_location *out);

/* ------------------------------------------------------------------ */
/* Threads and events                                                  */

/*
 * libjit's debugger model. Any thread of the process may attach itself to
 * a session; it gets a small id from the same counter as session workers
 * (1, 2, 3...). A session's worker is itself thread snare_session_thread()
 * of its session, but its stops keep going to snare_call/snare_resume;
 * every other attached thread that stops (at a breakpoint of its session,
 * after a per-thread step, on a break request, on a fault) parks and
 * posts an event instead, which snare_wait_event delivers in order. A
 * parked thread waits for snare_thread_resume. Threads that are not
 * attached, or are unbreakable, run through breakpoints untouched.
 *
 * Breakpoint conditions run on the attached thread that hit them, inside
 * its trap handler, possibly while the controller is running and several
 * threads at once: a condition used with attached threads must be
 * thread-safe (the Lua binding serialises its conditions, see
 * lua/snare.lua).
 *
 * A thread must detach before it exits, and every attached thread must
 * have detached before its session is freed; a session freed with threads
 * still attached resumes the parked ones and leaks their records.
 */

#define SNARE_EVENT_TYPE_LIST(X)                                               \
  X(QUIT, "quit")                       /* snare_session_quit was called */   \
  X(HARD_BREAKPOINT, "hard-breakpoint") /* a breakpoint of the session */     \
  X(SOFT_BREAKPOINT, "soft-breakpoint") /* a per-thread step ended */         \
  X(USER_BREAKPOINT, "user-breakpoint") /* stopped by snare_thread_break */   \
  X(ATTACH, "attach")                   /* data1 = stop_immediately */        \
  X(DETACH, "detach")                                                          \
  X(FAULT, "fault") /* a signal in the thread; data1 = signal number */      \
  X(WATCHPOINT, "watchpoint") /* see watchpoint, old_value, new_value */

typedef enum snare_event_type {
#define SNARE_EVENT_TYPE_ENUM(code, name) SNARE_EVENT_##code,
  SNARE_EVENT_TYPE_LIST(SNARE_EVENT_TYPE_ENUM)
#undef SNARE_EVENT_TYPE_ENUM
  SNARE_EVENT_TYPE_COUNT
} snare_event_type;

/* Name of an event type ("hard-breakpoint"); static storage. */
SNARE_API const char *snare_event_type_name(snare_event_type type);

/*
 * One event. Initialise with `snare_event ev = {0};` before the first
 * snare_wait_event. `stack` (return addresses, innermost first, starting
 * with pc; a frame-pointer walk, so frames without a frame pointer are
 * skipped) is owned by the event: the next snare_wait_event into the same
 * struct, or snare_event_free, frees it; copy it to keep it longer.
 * `function_name` belongs to the library or code region that defines it.
 */
typedef struct snare_event {
  snare_event_type type;
  int thread;        /* thread id; 0 for QUIT */
  uint64_t function; /* start of the function containing pc, 0 unknown */
  const char *function_name; /* NULL if unknown */
  int64_t data1, data2;      /* 0 unless the type says otherwise */
  int breakpoint;            /* HARD_BREAKPOINT: the breakpoint's id */
  uint64_t pc;               /* where the thread is parked; 0 if no frame */
  uint64_t *stack;
  size_t stack_depth;
  /* Events with a frame (breakpoints, faults): the thread's registers
     when it parked, a snapshot; snare_thread_register_get reads the live
     ones while it stays parked. */
  bool has_registers;
  snare_registers registers;
  /* WATCHPOINT (and a SOFT_BREAKPOINT whose step changed a watched
     value): as snare_stop's fields of the same names. */
  int watchpoint;
  snare_stop_reason reason;
  uint64_t old_value, new_value;
} snare_event;

/*
 * Attaches the calling thread to session and stores its id in *id. The
 * thread gets an alternate signal stack if it has none. Posts an ATTACH
 * event; with stop_immediately the call parks until snare_thread_resume.
 * EXISTS if the thread is already attached (to any session, or is a
 * worker).
 */
SNARE_API snare_status snare_thread_attach(snare_session *session,
                                           bool stop_immediately, int *id);
/* Detaches the calling thread and posts a DETACH event. NOT_FOUND if the
   thread is not attached to this session; a worker cannot detach. */
SNARE_API snare_status snare_thread_detach(snare_session *session);
/*
 * Attaches another, running thread of the process (snare attach adopts
 * the threads it finds): `native` is its pthread_t, `stack_low` the
 * lowest address of its stack (0 if unknown), `tid` its kernel thread id
 * (the session's watchpoints are armed there; 0 if unknown: unwatched).
 * It gets no alternate signal stack and is not stopped; an ATTACH event
 * is posted. EXISTS if that thread is attached already. The thread may
 * later detach itself (snare_thread_detach), or be forgotten with the
 * rest.
 */
SNARE_API snare_status snare_thread_adopt(snare_session *session,
                                          uintptr_t native,
                                          uint64_t stack_low, int tid,
                                          int *id);
/*
 * Makes thread id (0: the calling thread) breakable or not. An
 * unbreakable thread runs through breakpoints without counting hits or
 * running conditions. NOT_FOUND if no such live thread.
 */
SNARE_API snare_status snare_thread_set_breakable(snare_session *session,
                                                  int id, bool breakable);
/* True while thread id is the session's worker or attached to it. */
SNARE_API bool snare_thread_is_alive(snare_session *session, int id);
/* Id of the calling thread in the session, 0 if it is not attached
   (libjit's jit_debugger_get_self). */
SNARE_API int snare_thread_self(snare_session *session);
/* Id of the attached thread whose native handle (pthread_t) is `native`,
   0 if none (libjit's jit_debugger_get_thread). */
SNARE_API int snare_thread_from_native(snare_session *session,
                                       uintptr_t native);
/* Native handle (pthread_t) of thread id, 0 if no such live thread
   (libjit's jit_debugger_get_native_thread). */
SNARE_API uintptr_t snare_thread_native(snare_session *session, int id);
/* True while thread id runs target code (not parked, not idle). */
SNARE_API bool snare_thread_is_running(snare_session *session, int id);
/*
 * Ids of the session's live threads, the worker first: writes up to cap
 * ids and returns how many there are.
 */
SNARE_API size_t snare_thread_list(snare_session *session, int *ids,
                                   size_t cap);
/*
 * Resumes attached thread id, parked with an event, and returns at once.
 * CONTINUE runs it; STEP_INSTRUCTION executes one instruction and posts
 * a SOFT_BREAKPOINT event. new_pc (NULL: where it stopped) resumes
 * elsewhere. ABORT is refused (INVALID_ARGUMENT): only a worker has a
 * place to unwind to, with snare_resume. WRONG_STATE if the thread is
 * not parked, is the worker (use snare_resume), or was parked by
 * snare_thread_attach (no frame: a step or new_pc is refused there).
 */
SNARE_API snare_status snare_thread_resume(snare_session *session, int id,
                                           snare_resume_mode mode,
                                           const uint64_t *new_pc);
/*
 * Asks running thread id to stop: an attached thread posts a
 * USER_BREAKPOINT event, the worker stops its call as snare_interrupt
 * does. WRONG_STATE if it is not running.
 */
SNARE_API snare_status snare_thread_break(snare_session *session, int id);
/* Posts a QUIT event for whoever waits on the session's events, unless
   one is already waiting to be delivered (quits do not pile up). */
SNARE_API snare_status snare_session_quit(snare_session *session);
/*
 * Waits up to timeout_ms (negative: forever) for the session's next event
 * and moves it into *out (freeing the stack *out held). TIMEOUT if none
 * came. Events come in the order they were posted.
 */
SNARE_API snare_status snare_wait_event(snare_session *session,
                                        int timeout_ms, snare_event *out);
/* Frees the stack an event owns; the event may be reused. NULL is fine. */
SNARE_API void snare_event_free(snare_event *event);

/* ------------------------------------------------------------------ */
/* Function hooks: counting, timing, tracing                           */

/*
 * A hook runs at every entry (and, when asked, every exit) of a function,
 * on whatever thread calls it. Hooks are process-wide, not tied to a
 * session. Where the function's first instructions can move, a jump to a
 * generated trampoline replaces them (tens of nanoseconds a call); else a
 * trap does (microseconds). Exits are caught by redirecting the return
 * address to a stub and keeping the real one on a per-thread shadow
 * stack, which survives recursion, tail calls and longjmp (frames a
 * longjmp skips count as exited at the next hooked entry or exit on
 * their stack), and is cleared when its thread exits. Code that walks or
 * switches stacks must tell snare (see snare_hook_frames_reveal): the
 * LD_PRELOAD agent does so for C++ exceptions, backtrace(), libunwind,
 * ucontext switches and pthread_exit.
 *
 * A hook callback runs on the calling thread, never re-entrantly: calls
 * made while any hook callback of that thread runs are not hooked (so
 * hooking malloc while the callback allocates is safe).
 */
typedef struct snare_hook_call {
  int hook;
  uint64_t function;
  bool exit;               /* false at entry */
  unsigned depth;          /* hooked frames below this one on the thread */
  int thread;              /* attached snare thread id, 0 if not attached */
  unsigned hook_thread;    /* 1, 2, ... per thread that ran a hook */
  uint64_t timestamp_ns;   /* monotonic, when timing, tracing or called
                              back */
  uint64_t arguments[6];   /* integer argument registers, at entry */
  uint64_t return_value;   /* at exit */
  /* A recording hook's callback runs after the recording took the event:
     whether the record-time filters kept it (snare_record_config; false
     when not recording) and its depth among the thread's recorded calls
     (as a replay shows it). */
  bool recorded;
  unsigned record_depth;
} snare_hook_call;

typedef void (*snare_hook_fn)(const snare_hook_call *call, void *data);

typedef struct snare_hook_options {
  bool time;              /* inclusive and self time (catches exits) */
  bool trace;             /* entry/exit events into the trace buffer */
  bool record;            /* entry/exit events into the thread's recording
                             stream (snare_record_begin) */
  uint8_t record_args;    /* with record: the first N (up to 8: six
                             registers, then two words of the stack)
                             integer arguments go with each entry */
  uint8_t record_strings; /* of those, bit i: argument i+1 points to a
                             string, up to 64 bytes of which are read
                             (safely: a bad pointer is marked unreadable) */
  bool record_return;     /* with record: rax goes with each return */
  bool record_return_string; /* and it points to a string, read as
                                record_strings' are */
  uint8_t record_filter;  /* with record: SNARE_RECORD_ONLY... bits, the
                             record-time filters (snare_record_config) */
  uint8_t record_float_args; /* with record: the first N (up to 8)
                                floating-point arguments (the low 64 bits
                                of xmm0...) go with each entry */
  bool record_return_float;  /* the return value recorded is xmm0's low
                                64 bits, not rax */
  snare_hook_fn callback; /* NULL: count only */
  bool callback_on_exit;  /* also call it at exits */
  bool callback_recorded_only; /* with record: called only for the events
                                  the recording keeps (the calls the
                                  record-time filters leave out then
                                  cost what they cost without it) */
  void *data;             /* passed to callback, owned by the caller */
  void (*release)(void *data); /* called when the hook is removed */
} snare_hook_options;

/* Why a hook is a trap rather than a jump to a trampoline. */
typedef enum snare_hook_fallback {
  SNARE_HOOK_JUMP,                /* no fallback: the jump is used */
  SNARE_HOOK_NO_EXTENT,           /* the function's size is not known */
  SNARE_HOOK_TOO_SHORT,           /* the jump would pass the function's end */
  SNARE_HOOK_UNDECODABLE,         /* bytes of the function do not decode */
  SNARE_HOOK_UNRELOCATABLE,       /* a first instruction cannot move */
  SNARE_HOOK_BRANCH_INTO_WINDOW,  /* the function branches into the
                                     bytes the jump replaces */
  SNARE_HOOK_LOOPS_TO_ENTRY,      /* the function branches to its entry */
  SNARE_HOOK_ALTERNATE_ENTRY,     /* other code branches into those bytes */
  SNARE_HOOK_UNSCANNED,           /* the surrounding code could not be read */
  SNARE_HOOK_SITE_IN_WINDOW,      /* a breakpoint sits in those bytes */
  SNARE_HOOK_NO_TRAMPOLINE_ROOM,  /* no code memory within reach */
  SNARE_HOOK_JUMP_TABLE           /* (breakpoints inside a function) it
                                     jumps indirectly, as through a jump
                                     table: its branch targets are unknown */
} snare_hook_fallback;

/* A short text for a fallback reason ("loops to entry", ...). */
SNARE_API const char *snare_hook_fallback_name(snare_hook_fallback reason);

typedef struct snare_hook_stats {
  uint64_t function;
  uint64_t calls;        /* 0 for a hook that only records: its calls
                            are counted in the recording */
  uint64_t inclusive_ns; /* outermost activations only, so recursion is
                            not counted twice */
  uint64_t self_ns;      /* time not spent in hooked callees */
  bool trampoline;       /* false: the slower trap is used */
  snare_hook_fallback fallback; /* why not, when trampoline is false */
} snare_hook_stats;

/*
 * Hooks the function starting at fn. opts may be NULL (count only).
 * Refused: NOT_CODE/BAD_ADDRESS, EXISTS if fn is hooked already or a
 * breakpoint sits in the bytes a jump would replace. *id > 0.
 */
SNARE_API snare_status snare_hook_function(uint64_t fn,
                                           const snare_hook_options *opts,
                                           int *id);
/* Unhooks, restoring the original bytes; NOT_FOUND if no such hook. */
SNARE_API snare_status snare_hook_remove(int id);
SNARE_API snare_status snare_hook_stats_get(int id, snare_hook_stats *out);
/* Zeroes a hook's counters. */
SNARE_API snare_status snare_hook_reset(int id);

/*
 * For code about to walk the calling thread's stack (an unwinder, a
 * backtrace) whose own return address is at `sp`: puts the real return
 * addresses of the hooked frames back in their slots, so the walk sees
 * the stack as without hooks. Frames at or below sp have ended.
 */
SNARE_API void snare_hook_frames_reveal(uint64_t sp);
/*
 * After such a walk, or where a C++ exception is caught (the catching
 * code's call at `sp`): frames at or below sp have ended, the others
 * catch their exits again.
 */
SNARE_API void snare_hook_frames_rearm(uint64_t sp);
/*
 * The calling thread switches stacks (swapcontext): its hooked frames
 * belong to the context saved in `from` (NULL: the one they belong to
 * already), and those saved in `to` run again.
 */
SNARE_API void snare_hook_stack_switch(const void *from, const void *to);
/*
 * Hooks pass through the calling thread from now on, uncounted, untimed
 * and without callbacks: for a tool's own threads, such as the agent's
 * controller, whose Lua may run the very functions the program's hooks
 * watch (an interpreter that exports the Lua API). Call it before the
 * thread has hooked frames; it lasts until the thread exits.
 */
SNARE_API void snare_hook_ignore_thread(void);
/*
 * The calling thread is ending its process (exit()): its hooked frames,
 * which will never return, end now, so that their time counts (main's
 * inclusive time is the run's); to traces and exit callbacks they are
 * still running. Their return slots get the real return addresses back
 * for anything that walks the stack from here on.
 */
SNARE_API void snare_hook_frames_end(void);

typedef struct snare_trace_event {
  uint64_t timestamp_ns;
  uint64_t function;
  int hook;
  unsigned hook_thread;
  unsigned depth;
  bool exit;
} snare_trace_event;

/*
 * Copies the oldest trace events not yet read into out (up to cap) and
 * removes them from the buffer; *count receives how many. *dropped (may
 * be NULL) receives how many were overwritten unread since the last read
 * (the buffer keeps the newest 65536).
 */
SNARE_API snare_status snare_trace_read(snare_trace_event *out, size_t cap,
                                        size_t *count, uint64_t *dropped);

/* ------------------------------------------------------------------ */
/* Recordings: every traced call, per thread, for a writer to drain     */

/*
 * Hooks with the `record` option append their entries and exits to a
 * byte stream of the calling thread (a ring of config.buffer_bytes),
 * which a writer thread drains (snare_record_stream_peek/consume) while
 * the program runs. When a ring is full the thread waits for the writer
 * (config.lossless), or the event is dropped and counted (the stream's
 * `lost`; the next event then carries its absolute time). An event is
 * a LEB128 number V, V & 3 its kind: 0 an entry, 1 an exit (then the
 * hook id, LEB128; V >> 2 the nanoseconds since the stream's previous
 * event), 3 an entry with values (the hook id, a count N, N LEB128
 * register values, a count M of strings, M times: the argument's index,
 * its length + 1 (0: unreadable) and its bytes), 2 a marker (V >> 2: 0
 * the absolute time follows, 1 a count of lost events follows, 2 the
 * return value of the exit that follows, 3 the string it points to: its
 * length + 1, 0 if unreadable, and its bytes; 4 the floating-point
 * arguments of the entry that follows: a count N, N LEB128 raw 64-bit
 * values). A stream begins with an absolute time.
 */
typedef struct snare_record_config {
  size_t buffer_bytes; /* per thread, a power of two; 0: 1 MiB */
  bool lossless;       /* wait for room rather than drop */
  /* Record-time filters, as uftrace record's (-F, -N, -D, -T): with
     `filters`, a call is recorded when it lies at or below a hook with
     SNARE_RECORD_ONLY (if `only`: some hook has it), below none with
     SNARE_RECORD_HIDE, at most max_depth recorded calls deep counted
     from the nearest ONLY one or the thread's first (0: no limit), and
     while recording is on (off from the start if `disabled`). */
  bool filters;
  bool only;
  unsigned max_depth;
  bool disabled;
  /* A time filter, as uftrace record's -t: a call that took at most this
     long (ns) is left out, entry and exit, unless a callee of its was
     not (0: none). Independent of `filters`. */
  uint64_t min_duration_ns;
} snare_record_config;

/* snare_hook_options.record_filter bits. */
enum {
  SNARE_RECORD_ONLY = 1,      /* -F: the function and what it calls */
  SNARE_RECORD_HIDE = 2,      /* -N: neither, nor what it calls */
  SNARE_RECORD_TRACE_ON = 4,  /* recording is on from its entry on */
  SNARE_RECORD_TRACE_OFF = 8, /* off from its entry (itself unrecorded) */
  SNARE_RECORD_FINISH = 16,   /* ends for good after its entry */
  SNARE_RECORD_CONCEAL = 32   /* -H: not the function itself; its callees
                                 are recorded in its place */
};

/* Recording hooks record from now on, until snare_record_end. */
SNARE_API snare_status snare_record_begin(const snare_record_config *config);
/* They stop: no thread waits for the writer any more. */
SNARE_API void snare_record_end(void);

typedef struct snare_record_stream snare_record_stream;

typedef struct snare_record_stream_info {
  int pid, tid;      /* the OS's */
  char name[16];     /* the thread's, when last seen */
  uint64_t lost;     /* events dropped for want of room */
  uint64_t waits;    /* times the thread waited for room */
  bool ended;        /* the thread exited: nothing more will come */
} snare_record_stream_info;

/* The streams, newest first: NULL for the first, else the one after
   `after`; NULL at the end. Streams are never freed while the process
   lives (snare_record_stream_release frees their rings). */
SNARE_API snare_record_stream *snare_record_stream_next(
    snare_record_stream *after);
SNARE_API void snare_record_stream_info_get(snare_record_stream *stream,
                                            snare_record_stream_info *out);
/* The bytes written and not yet consumed, as one or two spans (the ring
   wraps); returns their total. The writer's alone. */
SNARE_API size_t snare_record_stream_peek(snare_record_stream *stream,
                                          const uint8_t **first,
                                          size_t *first_size,
                                          const uint8_t **second,
                                          size_t *second_size);
SNARE_API void snare_record_stream_consume(snare_record_stream *stream,
                                           size_t size);
/* An ended stream, drained: its ring is freed. */
SNARE_API void snare_record_stream_release(snare_record_stream *stream);
/* In a fork's child: the parent's unwritten events are dropped (its
   writer writes them), the streams of threads that did not cross the
   fork end, and the forking thread's stream is the child's. */
SNARE_API void snare_record_forked_child(void);

/* ------------------------------------------------------------------ */
/* Library calls: an object's calls through its PLT, as functions       */

typedef struct snare_plt_stub {
  const char *name; /* the slot's symbol (malloc, memcpy), no version */
  uint64_t address; /* the stub: hook it to hook these calls */
  uint64_t target;  /* the function the calls go to */
} snare_plt_stub;

/*
 * Makes the calls lib makes through its PLT (its jump-slot relocations)
 * hookable, and only those: each slot is bound now to what the dynamic
 * loader would bind it to (the symbol at its version, an IFUNC's
 * choice made) through a stub of generated code, registered as a
 * function named after the symbol, so that snare_hook_function on the
 * stub catches exactly the calls through that slot. Slots whose symbol
 * nothing defines stay as they are. *out (count entries) stays valid
 * while the process lives; stubs are never freed (a thread may be in
 * one). Once per library: EXISTS after; NOT_FOUND if it has no PLT;
 * SYSTEM if its file cannot be read or no code memory is left.
 * Controller thread.
 */
SNARE_API snare_status snare_plt_stubs(snare_library *lib,
                                       const snare_plt_stub **out,
                                       size_t *count);

/* ------------------------------------------------------------------ */
/* JIT code: executable memory, regions with symbols and line maps     */

/*
 * Executable memory for JIT authors, W^X: no page is ever writable and
 * executable at once. By default the memory is one memfd mapped twice,
 * a read+write view for the JIT and a read+execute view at another
 * address for running (and for snare's breakpoints, which are written
 * through the writable view). Where memfd_create is unavailable, or with
 * SNARE_JIT_SINGLE_MAPPING, there is one mapping: writable (not
 * executable) until snare_jit_commit, then read+execute for good (later
 * snare_jit_writes go through snare's code patching).
 *
 * x86-64 keeps instruction caches coherent with data writes, so
 * snare_jit_commit flushes nothing there; call it anyway before running
 * new code (it is where other architectures flush, and where a single
 * mapping becomes executable).
 *
 * Controller thread only, like the rest of the code map.
 */
typedef struct snare_jit snare_jit;

#define SNARE_JIT_SINGLE_MAPPING 1u /* no memfd: mprotect once at commit */

/*
 * Allocates size bytes (rounded up to whole pages) of JIT memory, zeroed.
 * The caller owns *out and frees it with snare_jit_free. flags: 0 or
 * SNARE_JIT_SINGLE_MAPPING. SYSTEM if the OS refuses.
 */
SNARE_API snare_status snare_jit_alloc(size_t size, unsigned flags,
                                       snare_jit **out);
/* Where the code runs (the executable view); 0 for NULL. */
SNARE_API uint64_t snare_jit_address(const snare_jit *jit);
/* Usable size in bytes (whole pages). */
SNARE_API size_t snare_jit_size(const snare_jit *jit);
/*
 * The writable view for direct stores: the second mapping of a dual
 * mapping (always), or a single mapping until snare_jit_commit (NULL
 * after). Direct stores bypass snare: over code that holds breakpoints or
 * hooks, use snare_jit_write, which keeps breakpoints in place.
 */
SNARE_API void *snare_jit_writable(const snare_jit *jit);
/* True when the memory is dual-mapped (memfd), false for a single map. */
SNARE_API bool snare_jit_dual_mapped(const snare_jit *jit);
/*
 * Copies n bytes to offset of the memory, at any time; breakpoints in
 * the range are re-planted over the new bytes (as snare_memory_write).
 * INVALID_ARGUMENT if the range is outside the memory.
 */
SNARE_API snare_status snare_jit_write(snare_jit *jit, size_t offset,
                                       const void *src, size_t n);
/*
 * Makes what was written runnable: flushes the instruction cache where
 * the architecture needs it and, for a single mapping, turns it from
 * read+write into read+execute (once; later calls only flush).
 */
SNARE_API snare_status snare_jit_commit(snare_jit *jit);
/*
 * Unregisters every code region inside the memory, removes breakpoints
 * and function hooks in it, then unmaps it. No thread may be running or
 * stopped in the code (resume or abort a worker stopped there first).
 * NULL is accepted.
 */
SNARE_API void snare_jit_free(snare_jit *jit);

/* One function (symbol) of a region. */
typedef struct snare_code_function {
  const char *name;
  uint64_t start, size;
} snare_code_function;

/* One row of a region's line map: code from address up to the next
   row's address (or the region's end) belongs to file:line. */
typedef struct snare_code_line {
  uint64_t address;
  const char *file;
  unsigned line;
} snare_code_line;

/*
 * A region of generated code: [start, start+size) named `name`, with its
 * functions, i.e. its symbols (inside the region, not overlapping; none:
 * the whole region is one function called `name`) and a line map (addresses inside the
 * region, any order). Everything is copied by snare_code_register_info.
 */
typedef struct snare_code_info {
  uint64_t start, size;
  const char *name;
  const snare_code_function *functions;
  size_t function_count;
  const snare_code_line *lines;
  size_t line_count;
} snare_code_info;

/*
 * Registers a region as snare_code_register does, with symbols and line
 * map: breakpoints in it are checked against the instructions of its
 * functions; snare_line_at, snare_function_at, backtraces and hooks
 * see its functions and lines; snare_code_symbol finds them by name.
 * INVALID_ARGUMENT for functions or lines outside the region, overlapping
 * functions or NULL names/files; NOT_CODE, EXISTS as snare_code_register.
 */
SNARE_API snare_status snare_code_register_info(const snare_code_info *info);
/*
 * A function of a registered region by exact name (the first registered
 * region that has it), or the one containing addr. out->name belongs to
 * the region; is_function is true. NOT_FOUND.
 */
SNARE_API snare_status snare_code_symbol(const char *name, snare_symbol *out);
SNARE_API snare_status snare_code_symbol_at(uint64_t addr, snare_symbol *out);

/* ------------------------------------------------------------------ */
/* Marks                                                               */

/*
 * libjit's potential breakpoint sites (jit_insn_mark_breakpoint): a mark
 * is an address with two values, data1 and data2, that costs nothing
 * until a breakpoint or hook arms it (only then is a trap written there).
 * data1 follows libjit's conventions (SNARE_MARK_LINE, _ENTER, _LEAVE,
 * _THROW from snare_mark.h; below SNARE_MARK_USER_LIMIT is the user's).
 * Either value may be computed when the mark is hit, from a register or
 * from memory at register + offset (jit_insn_mark_breakpoint_variable).
 *
 * Marks come from JITs (snare_mark_add), from SNARE_MARK() in native code
 * and from <sys/sdt.h> probes (USDT, `.note.stapsdt`) of libraries opened
 * with snare_library_open, which registers them and, when it closes the
 * library, removes every mark inside it. A probe is a mark with data1 =
 * its index among the library's probes, data2 = 0, and its arguments in
 * `args`.
 *
 * Marks, mark breakpoints and mark hooks are process-wide and controller
 * thread only (like libraries); arming writes traps through the same
 * patch sites as breakpoints.
 */
#include "snare_mark.h"

typedef enum snare_mark_value_kind {
  SNARE_MARK_CONSTANT, /* `constant` itself */
  SNARE_MARK_REGISTER, /* register `reg` at the hit */
  SNARE_MARK_MEMORY    /* the word at reg + offset at the hit */
} snare_mark_value_kind;

/* A mark's data, or a probe argument. width: bytes kept of the register
   or read from memory: 0 or 8 all; 1, 2, 4 zero-extended; -1, -2, -4
   sign-extended. rip reads as the mark's address. */
typedef struct snare_mark_value {
  snare_mark_value_kind kind;
  int64_t constant;
  snare_register reg;
  int64_t offset;
  int width;
} snare_mark_value;

#define SNARE_MARK_MAX_ARGS 12

/* A mark as snare keeps it. Strings belong to snare until the mark is
   removed. */
typedef struct snare_mark_info {
  int id;
  uint64_t address;
  uint64_t function; /* start of the containing function, 0 unknown */
  snare_mark_value data1, data2;
  const char *provider, *name; /* USDT probes; NULL for other marks */
  uint64_t semaphore;          /* USDT: its run-time address, 0 if none */
  unsigned arg_count;          /* USDT: arguments, in order */
  snare_mark_value args[SNARE_MARK_MAX_ARGS];
  unsigned armed; /* breakpoints and hooks placed on it now */
} snare_mark_info;

/*
 * Registers a mark at address, refused where a breakpoint would be
 * (NOT_CODE, BAD_ADDRESS, INSIDE_INSTRUCTION of a known function).
 * function is the start of the function containing it, or 0 to look it
 * up (libraries opened through snare, registered code). INVALID_ARGUMENT
 * for a bad kind, register or width. Marks added later are armed by
 * existing mark breakpoints and hooks they match. *id > 0.
 */
SNARE_API snare_status snare_mark_add(uint64_t address,
                                      snare_mark_value data1,
                                      snare_mark_value data2,
                                      uint64_t function, int *id);
/* Removes a mark, disarming it; NOT_FOUND. */
SNARE_API snare_status snare_mark_remove(int id);
/* Ids of all marks in the order they were added: writes up to cap and
   returns how many there are. */
SNARE_API size_t snare_mark_list(int *ids, size_t cap);
/* As snare_mark_list, for the marks inside a library's mapped extent. */
SNARE_API size_t snare_library_marks(const snare_library *lib, int *ids,
                                     size_t cap);
SNARE_API snare_status snare_mark_lookup(int id, snare_mark_info *out);
/* A value at a hit: for a mark hook's or a condition's frame. BAD_ADDRESS
   if its memory cannot be read. */
SNARE_API snare_status snare_mark_value_eval(const snare_frame *frame,
                                             const snare_mark_value *value,
                                             int64_t *out);
/*
 * Parses an operand as <sys/sdt.h> writes probe arguments ("-4@%edi",
 * "8@-16(%rbp)", "$5", "%rax"): INVALID_ARGUMENT if it is not one snare
 * can evaluate (RIP-relative symbols, index registers).
 */
SNARE_API snare_status snare_mark_value_parse(const char *text,
                                              snare_mark_value *out);

/* libjit's JIT_DEBUGGER_FLAG_* values; thread matching is
   snare_breakpoint_options.thread. */
#define SNARE_MARK_MATCH_FUNCTION (1u << 1)
#define SNARE_MARK_MATCH_DATA1 (1u << 2)
#define SNARE_MARK_MATCH_DATA2 (1u << 3)
#define SNARE_MARK_MATCH_MARK (1u << 4) /* only mark `mark` */

/* Which marks: a flag not set matches every value of its field. A
   computed value is compared when the mark is hit. */
typedef struct snare_mark_filter {
  unsigned flags;
  uint64_t function;
  int64_t data1, data2;
  int mark;
} snare_mark_filter;

/*
 * Sets a breakpoint of session (with opts, which may be NULL) on every
 * mark matching filter, now and as marks are added, until
 * snare_mark_breakpoint_clear. Stops there report at_mark, data1 and
 * data2 (evaluated); opts->condition runs after the filter accepted the
 * hit; skip and max_stops count per mark; opts->release runs once, at
 * the clear. Matching no mark is not an error. *id > 0, its own numbering.
 */
SNARE_API snare_status snare_breakpoint_on_marks(
    snare_session *session, const snare_mark_filter *filter,
    const snare_breakpoint_options *opts, int *id);
/* Clears a mark breakpoint and the breakpoints it set; NOT_FOUND. */
SNARE_API snare_status snare_mark_breakpoint_clear(int id);
/* Ids of the session breakpoints a mark breakpoint has set now. */
SNARE_API size_t snare_mark_breakpoint_ids(int id, int *ids, size_t cap);

/* One hit of a mark hook. */
typedef struct snare_mark_hit {
  int hook;
  int mark;
  uint64_t address;
  uint64_t function;
  int64_t data1, data2; /* evaluated */
  int thread;           /* attached snare thread id, 0 if not attached */
} snare_mark_hit;

/*
 * Runs on the thread that hit the mark, inside its trap handler, with the
 * frame (registers readable and writable; valid during the call). Never
 * re-entrant: marks hit while a mark hook of the thread runs pass.
 */
typedef void (*snare_mark_hook_fn)(const snare_mark_hit *hit,
                                   snare_frame *frame, void *data);

/*
 * libjit's jit_debugger_set_hook, per filter: calls fn at every hit of a
 * matching mark on any thread (a trap at each; NULL fn only counts). data
 * is the caller's; release (may be NULL) runs on it at removal. *id > 0.
 */
SNARE_API snare_status snare_mark_hook(const snare_mark_filter *filter,
                                       snare_mark_hook_fn fn, void *data,
                                       void (*release)(void *), int *id);
SNARE_API snare_status snare_mark_hook_remove(int id);
/* Hits that passed the filter (callback run or not); NOT_FOUND. */
SNARE_API snare_status snare_mark_hook_hits(int id, uint64_t *hits);

/* ------------------------------------------------------------------ */
/* Stepping                                                            */

/*
 * Source-level steps of a stopped worker, with gdb's rules. A line step
 * single-steps while the pc stays in the current line-table row and
 * stops at the first instruction that starts a statement row of another
 * line; when the function returns it goes on in the caller to the next
 * statement start. Calls are never single-stepped through: stepping over
 * one puts an internal breakpoint on its return address, taken only when
 * the stack pointer is back above the call (so recursion re-entering that
 * address deeper goes on). Anything else that stops the worker meanwhile
 * (a user breakpoint in a callee, a signal, an interrupt or the timeout,
 * the entry returning) ends the step with that stop. A step that ends by
 * itself stops with kind STEP and reason STEP_DONE. Controller thread,
 * session stopped (WRONG_STATE otherwise).
 */
typedef enum snare_step_mode {
  SNARE_STEP_INTO, /* gdb's step: into calls that have line information */
  SNARE_STEP_OVER, /* gdb's next */
  SNARE_STEP_OUT   /* gdb's finish: to just after the call of this frame */
} snare_step_mode;

/* A function a step is about to enter, as the policy sees it. */
typedef struct snare_step_function {
  const char *name; /* NULL when unknown */
  uint64_t address; /* its entry */
  const char *file; /* of its first line after the prologue */
  unsigned line;
} snare_step_function;

/*
 * Decisions a step delegates, called on the controller while the worker
 * is stopped (they may read registers, memory and variables, but must not
 * resume the session). Each returns 1 for yes, 0 for no, or -1 to end
 * the step where it is (for a callback that failed). NULL callbacks (or
 * a NULL policy) answer as gdb: enter every call with line information,
 * stop at every new line.
 */
typedef struct snare_step_policy {
  /* INTO: enter this call (else it is stepped over)? */
  int (*into)(const snare_step_function *fn, void *data);
  /* At the start of each new line: stop here (else keep stepping)? */
  int (*stop)(snare_session *session, void *data);
  void *data;
} snare_step_policy;

/*
 * Steps as mode says. OUT leaves stop->has_return_value set and the
 * result register (rax: integer and pointer results; a floating-point
 * result is in xmm0, see snare_vector_register_get) in
 * stop->return_value; out of the entry function itself, OUT runs to the
 * EXIT stop. NOT_FOUND: a line step from a pc without line information.
 */
SNARE_API snare_status snare_step(snare_session *session,
                                  snare_step_mode mode,
                                  const snare_step_policy *policy,
                                  snare_stop *stop);

typedef enum snare_run_to_mode {
  SNARE_RUN_TO_ANY_FRAME, /* gdb's advance: the first hit, at any depth */
  SNARE_RUN_TO_THIS_FRAME /* gdb's until LOCATION: not in deeper frames */
} snare_run_to_mode;

/*
 * Continues until the worker reaches one of addrs[0..count-1] (internal
 * breakpoints) or, as gdb does, the current function returns to its
 * caller; the stop is then a STEP_DONE one. THIS_FRAME ignores hits whose
 * stack pointer lies below the current one (deeper recursion). Refusals
 * of an address as snare_breakpoint_set's.
 */
SNARE_API snare_status snare_run_to(snare_session *session,
                                    const uint64_t *addrs, size_t count,
                                    snare_run_to_mode mode, snare_stop *stop);

/* ------------------------------------------------------------------ */
/* The main program as a library                                       */

/*
 * Opens the main program of the process as a library, without loading it
 * again: its symbols, DWARF, breakpoints and hooks work as a shared
 * object's. snare_library_path gives its file (from /proc/self/exe).
 * Closing it unloads nothing but clears its breakpoints and hooks.
 */
SNARE_API snare_status snare_library_open_program(snare_library **out);

/* ------------------------------------------------------------------ */
/* Per-thread registers, backtraces and steps                          */

/*
 * libjit's jit_debugger_step/next/finish acting on one thread. `id` is an
 * attached thread parked at a stop (a breakpoint, step, break or fault
 * event: not one parked by snare_thread_attach, which has no frame) or
 * the session's worker while it is stopped, for which each function is
 * its session counterpart (snare_register_get, snare_backtrace,
 * snare_step, snare_run_to). NOT_FOUND: no such live thread of the
 * session; WRONG_STATE: it is not parked with a frame. Controller side.
 */
SNARE_API snare_status snare_thread_register_get(snare_session *session,
                                                 int id, snare_register reg,
                                                 uint64_t *out);
/* Takes effect when the thread resumes. */
SNARE_API snare_status snare_thread_register_set(snare_session *session,
                                                 int id, snare_register reg,
                                                 uint64_t value);
SNARE_API snare_status snare_thread_vector_register_get(snare_session *session,
                                                        int id, unsigned index,
                                                        uint8_t out[16]);
/* As snare_backtrace, for that thread's stack. */
SNARE_API snare_status snare_thread_backtrace(snare_session *session, int id,
                                              snare_backtrace_frame *frames,
                                              size_t cap, size_t *count);

/*
 * Steps thread id as snare_step steps the worker, with the same rules,
 * policy and results, and returns its final stop synchronously in *stop
 * (kind STEP and reason STEP_DONE when the step ended by itself; a
 * breakpoint, fault or break that ended it first is that stop). The
 * thread is parked there again afterwards, and no event is posted for
 * any of the step's stops: they go to this call, never into the event
 * queue, so the events of other threads stay queued, in order, and a
 * thread waiting in snare_wait_event meanwhile cannot take them. Other
 * threads keep running and hitting their breakpoints: the step's
 * internal breakpoints stop only this thread. The session's timeout
 * bounds each run as for the worker (an INTERRUPT stop). If the thread
 * detaches meanwhile, *stop is an EXIT stop with no frame. The policy's
 * `stop` callback receives the session: read the thread with
 * snare_thread_register_get. Nobody else may resume the thread during
 * the step. WRONG_STATE also if it is being stepped already.
 */
SNARE_API snare_status snare_thread_step(snare_session *session, int id,
                                         snare_step_mode mode,
                                         const snare_step_policy *policy,
                                         snare_stop *stop);
/*
 * The variable functions (snare_variable_list, _read, _read_listed, _locate,
 * _write_int, _write_float) for the frames of thread id, as snare_thread_backtrace
 * counts them: an attached thread parked at a stop, or the stopped worker.
 * NOT_FOUND and WRONG_STATE as above, else as their session counterparts.
 */
SNARE_API snare_status
snare_thread_variable_list(snare_session *session, int id, size_t frame,
                           snare_variable_info *vars, size_t cap,
                           size_t *count);
SNARE_API snare_status
snare_thread_variable_read(snare_session *session, int id, size_t frame,
                           const char *name, const snare_value_options *opts,
                           snare_value **out);
SNARE_API snare_status snare_thread_variable_read_listed(
    snare_session *session, int id, size_t frame, size_t index,
    const snare_value_options *opts, snare_value **out);
SNARE_API snare_status
snare_thread_variable_locate(snare_session *session, int id, size_t frame,
                             const char *name, snare_variable_location *out);
/* Locates the variable `index` of snare_thread_variable_list's list: an
   outer one an inner one of its name shadows too. */
SNARE_API snare_status snare_thread_variable_locate_listed(
    snare_session *session, int id, size_t frame, size_t index,
    snare_variable_location *out);
SNARE_API snare_status
snare_thread_variable_write_int(snare_session *session, int id, size_t frame,
                                const char *name, int64_t value);
SNARE_API snare_status
snare_thread_variable_write_float(snare_session *session, int id,
                                  size_t frame, const char *name,
                                  double value);

/*
 * While on, a stop another attached thread posts to the event queue
 * after this call, during snare_thread_step or snare_thread_run_to, ends
 * that step (turn it on before resuming the other threads): the
 * stepped thread is asked to break, and the step returns that INTERRUPT
 * stop (the other stop stays queued). gdb ends a step so when other
 * threads run meanwhile (scheduler-locking off) and one of them hits a
 * breakpoint. Off by default. Any thread.
 */
SNARE_API snare_status snare_session_set_steps_yield(snare_session *session,
                                                     bool on);
/* snare_run_to for thread id, synchronous as snare_thread_step. */
SNARE_API snare_status snare_thread_run_to(snare_session *session, int id,
                                           const uint64_t *addrs, size_t count,
                                           snare_run_to_mode mode,
                                           snare_stop *stop);

/* ------------------------------------------------------------------ */
/* Process lifecycle: what an in-process agent needs at fork and at the  */
/* program's own signal calls                                            */

/*
 * Forgets every attached thread at once, posting no event and taking no
 * lock: for the child of a fork (where only the calling thread exists
 * and no controller waits on events) and for a process whose controller
 * has ended. A forgotten thread runs through breakpoints and faults as a
 * foreign thread does (faults go to the handlers before snare's).
 * Threads parked at that moment stay parked. Any thread; fork-safe.
 */
SNARE_API void snare_threads_forget_all(void);
/*
 * How many of snare's own signals (its interrupt, which break requests
 * and timeouts send; the signal that stops threads for a code write) the
 * calling thread has taken. A system call of the program that failed
 * with EINTR while this grew was cut short by snare, not by a signal of
 * the program's, and may be resumed as if nothing happened (the LD_PRELOAD
 * agent's sleeps do). Any thread; async-signal-safe.
 */
SNARE_API unsigned long snare_signals_taken(void);

/*
 * Around fork(), for pthread_atfork: snare_fork_prepare takes snare's
 * global lock (waiting for whoever holds it), snare_fork_parent releases
 * it, snare_fork_child releases it in the child and forgets every
 * attached thread there (snare_threads_forget_all). The child then finds
 * snare's state consistent: it may read and reset hook counters and the
 * trace buffer, and set hooks of its own.
 */
SNARE_API void snare_fork_prepare(void);
SNARE_API void snare_fork_parent(void);
SNARE_API void snare_fork_child(void);

/*
 * Signals snare's handlers own while a session or hook is live (traps,
 * faults, snare's interrupt signal): writes up to cap numbers into out
 * and returns how many there are.
 */
SNARE_API size_t snare_signals_reserved(int *out, size_t cap);

/*
 * The program's own handler for a reserved signal, kept behind snare's:
 * what the signal goes to when snare does not claim it. `action` and
 * `previous` are `struct sigaction *` on POSIX systems (either may be
 * NULL): previous receives the handler chained to so far, action (if
 * given) replaces it. NOT_FOUND when snare's handler is not installed on
 * that signal (the caller then uses the system's call itself). A fault
 * (not a trap of snare's) of an attached thread goes to a handler set
 * this way instead of stopping the thread: the program decides.
 */
SNARE_API snare_status snare_signal_chain(int signal, const void *action,
                                          void *previous);

/*
 * Stops the calling thread at a signal of the program's own, as a
 * debugger stops at the signals its program gets: called from a handler
 * of that signal with its signal frame (`context`, a ucontext_t * on
 * POSIX systems), the thread parks there with a SIGNAL stop (reason
 * SIGNAL_RECEIVED, `signal` and `code` its si_signo and si_code) and all
 * of it stays as for any stop (registers, frames, the resume's changes
 * to the context). Snare's interrupt signal stays blocked for the rest of
 * that handler. Returns true once the thread was resumed, false (nothing
 * done) when it cannot stop: not attached, not running, inside a
 * condition or hook callback. Async-signal-safe.
 */
SNARE_API bool snare_signal_stop(int signal, int code, void *context);

#ifdef __cplusplus
}
#endif

#endif /* SNARE_H */
