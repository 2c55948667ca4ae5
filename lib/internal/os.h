/*
 * os.h - what the portable core asks of the operating system. Each OS
 * implements these prototypes in its own folder (os/linux/), picked by the
 * build. Functions marked "signal-safe" may run inside snare's fault
 * handler.
 */
#ifndef SNARE_INTERNAL_OS_H
#define SNARE_INTERNAL_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* ---- faults: what the signal handler tells the core ---- */

typedef enum snare_fault_kind {
  SNARE_FAULT_BREAKPOINT_TRAP, /* a trap instruction executed */
  SNARE_FAULT_STEP_TRAP,       /* single-step completed */
  SNARE_FAULT_OTHER_TRAP,      /* SIGTRAP raised some other way */
  SNARE_FAULT_WATCH_TRAP,      /* a watchpoint hit; address: its cookie */
  SNARE_FAULT_SEGV,
  SNARE_FAULT_BUS,
  SNARE_FAULT_ILL,
  SNARE_FAULT_FPE,
  SNARE_FAULT_ABORT,
  SNARE_FAULT_INTERRUPT /* snare's interrupt request */
} snare_fault_kind;

typedef struct snare_fault {
  snare_fault_kind kind;
  int signal;
  int code;
  uint64_t address; /* faulting data address where the OS gives one;
                       a WATCH_TRAP's cookie (internal/watch_registers.h) */
} snare_fault;

/*
 * Implemented by the core: decides what a fault means. context is the
 * thread's saved machine context (arch-specific). Returns true if snare
 * handled it (the thread resumes with the possibly modified context),
 * false if the OS layer must pass it to the handler installed before.
 */
SNARE_HIDDEN bool snare_fault_dispatch(const snare_fault *fault, void *context);

/* The OS signal number that carries a kind of fault. */
SNARE_HIDDEN int snare_os_fault_signal(snare_fault_kind kind);

/* Installs snare's handlers (first call) / restores the previous ones. */
SNARE_HIDDEN snare_status snare_os_signals_install(void);
SNARE_HIDDEN void snare_os_signals_restore(void);
/* Snare's signals the calling thread took (see snare_signals_taken). */
SNARE_HIDDEN unsigned long snare_os_signals_taken(void);
/* Signals the handlers own (see snare_signals_reserved). */
SNARE_HIDDEN size_t snare_os_signals_reserved(int *out, size_t cap);
/* Replaces or reads the handler chained to behind snare's (see
   snare_signal_chain); NOT_FOUND if snare's is not on that signal. */
SNARE_HIDDEN snare_status snare_os_signal_chain(int sig, const void *action,
                                                void *previous);
/* Whether a handler of the program's own, set through
   snare_os_signal_chain, is behind snare's on sig. */
SNARE_HIDDEN bool snare_os_signal_handled_behind(int sig);
/* Blocks snare's interrupt signal on the calling thread (inside a
   signal handler: until it returns). */
SNARE_HIDDEN void snare_os_interrupt_block(void);

/* ---- threads and events ---- */

typedef struct snare_os_thread snare_os_thread;
typedef struct snare_os_event snare_os_event;

/* Identity of the calling thread; signal-safe. */
SNARE_HIDDEN uintptr_t snare_os_thread_self(void);
/* The thread pointer (x86-64's fs_base) of the thread whose
   snare_os_thread_self is `self`; any thread may ask. */
SNARE_HIDDEN uint64_t snare_os_thread_pointer(uintptr_t self);

/*
 * Starts a thread running body(arg) with an alternate signal stack big
 * enough to run callbacks on. *out owned by caller, released by join.
 */
SNARE_HIDDEN snare_status snare_os_thread_start(void (*body)(void *), void *arg,
                                                snare_os_thread **out);
SNARE_HIDDEN void snare_os_thread_join(snare_os_thread *thread);
/* Gives the calling thread's CPU to another runnable thread, if any: a
   controller waiting for target threads to leave a callback. */
SNARE_HIDDEN void snare_os_thread_yield(void);
/* Lowest address of the calling thread's stack, for overflow detection. */
SNARE_HIDDEN uint64_t snare_os_stack_low(void);
/* Sends snare's interrupt signal to a thread started by snare. */
SNARE_HIDDEN snare_status snare_os_thread_interrupt(snare_os_thread *thread);

/* A counting event: signal is signal-safe; wait blocks. */
SNARE_HIDDEN snare_status snare_os_event_new(snare_os_event **out);
SNARE_HIDDEN void snare_os_event_free(snare_os_event *event);
SNARE_HIDDEN void snare_os_event_signal(snare_os_event *event);
SNARE_HIDDEN void snare_os_event_wait(snare_os_event *event);
/* Returns false on timeout. */
SNARE_HIDDEN bool snare_os_event_wait_ms(snare_os_event *event, unsigned ms);

/* A process-wide lock for controller-side changes (not for handlers). */
SNARE_HIDDEN void snare_os_global_lock(void);
SNARE_HIDDEN void snare_os_global_unlock(void);

/*
 * Runs body(arg) so that snare_os_abort_to_catch(catch) from inside it
 * (typically from a signal handler on that thread) unwinds back here.
 * Returns true if body returned normally, false if aborted. The catch
 * record is owned by the thread and valid only during the call.
 */
typedef struct snare_os_catch snare_os_catch;
SNARE_HIDDEN bool snare_os_call_with_catch(snare_os_catch **slot,
                                           void (*body)(void *), void *arg);
SNARE_HIDDEN _Noreturn void snare_os_abort_to_catch(snare_os_catch *catch_);

/* ---- memory ---- */

/* Safe copies within this process; signal-safe; never fault. */
SNARE_HIDDEN bool snare_os_memory_read(uint64_t addr, void *dst, size_t n);
SNARE_HIDDEN bool snare_os_memory_write(uint64_t addr, const void *src,
                                        size_t n);
/* As snare_os_memory_read, without a system call when the memory is
   readable (an unreadable byte costs a caught fault), while snare's
   signal handlers are installed; for the reads a condition makes at
   every hit. */
SNARE_HIDDEN bool snare_os_memory_read_fast(uint64_t addr, void *dst,
                                            size_t n);
/*
 * The one primitive for every code write: writes n bytes at addr even if
 * the page is not writable, never leaving a page writable and executable.
 * Called under the global lock (JIT memory's writable views are looked
 * up under it).
 */
SNARE_HIDDEN bool snare_os_code_write(uint64_t addr, const void *src,
                                      size_t n);
/* One write of snare_os_code_write_pieces; `order` is its scratch. */
typedef struct snare_os_code_piece {
  uint64_t addr;
  const uint8_t *bytes;
  size_t n;
  size_t order;
} snare_os_code_piece;
/*
 * As snare_os_code_write of each piece in turn (a later piece wins where
 * two overlap), with one write per page: the bytes of a page between its
 * pieces are read and written back unchanged (as a debugger's word-sized
 * poke does), so they must not be changing meanwhile. Sorts the array.
 * False if some write failed. Under the global lock.
 */
SNARE_HIDDEN bool snare_os_code_write_pieces(snare_os_code_piece *pieces,
                                             size_t n);
/* Closes what code writes keep open between calls (the next write
   reopens it); under the global lock, when nothing is patched. */
SNARE_HIDDEN void snare_os_code_writes_end(void);
/*
 * Maps size bytes of read+execute memory within +-2 GiB of near (so
 * 32-bit displacements reach), to be filled with snare_os_code_write.
 * Returns 0 on failure.
 */
SNARE_HIDDEN uint64_t snare_os_code_alloc_near(uint64_t near, size_t size);
SNARE_HIDDEN void snare_os_code_free(uint64_t addr, size_t size);
/* True if every byte of [start, start+size) is mapped executable. */
SNARE_HIDDEN bool snare_os_range_executable(uint64_t start, uint64_t size);
/* True if every byte of [start, start+size) is mapped at all. */
SNARE_HIDDEN bool snare_os_range_mapped(uint64_t start, uint64_t size);

/* ---- JIT memory (os/linux/jit_pages.c); under the global lock ---- */

SNARE_HIDDEN size_t snare_os_page_size(void);
/*
 * Maps size bytes (whole pages) of zeroed JIT memory. dual: one memory
 * mapped twice, read+execute at *exec and read+write at *writable (and
 * remembered for snare_os_code_alias); when that is refused, or !dual,
 * one read+write mapping (*writable == *exec) for snare_os_jit_seal.
 */
SNARE_HIDDEN snare_status snare_os_jit_map(size_t size, bool dual,
                                           uint64_t *exec, void **writable);
SNARE_HIDDEN void snare_os_jit_unmap(uint64_t exec, void *writable,
                                     size_t size);
/* Turns a single mapping read+execute. */
SNARE_HIDDEN bool snare_os_jit_seal(uint64_t exec, size_t size);
/* The writable view of [addr, addr+n) when it lies in the executable
   view of a dual mapping, else NULL; used by snare_os_code_write. */
SNARE_HIDDEN void *snare_os_code_alias(uint64_t addr, size_t n);
/* Makes instruction fetch see bytes just written at addr. */
SNARE_HIDDEN void snare_os_code_flush(uint64_t addr, size_t n);

/* Monotonic clock in nanoseconds; signal-safe. */
SNARE_HIDDEN uint64_t snare_os_now_ns(void);
/* A cheaper clock in ns for recordings, near the monotonic one (the TSC
   scaled by a factor snare_os_cycle_clock_start measures, not on a hook
   path, else snare_os_now_ns). */
SNARE_HIDDEN void snare_os_cycle_clock_start(void);
SNARE_HIDDEN uint64_t snare_os_cycle_now_ns(void);

/* Zeroed private pages, not from malloc (so hooks on malloc may use
   them); signal-safe; NULL on failure. */
SNARE_HIDDEN void *snare_os_pages_alloc(size_t size);
SNARE_HIDDEN void snare_os_pages_free(void *pages, size_t size);
/* Whether addr lies on the calling thread's alternate signal stack. */
SNARE_HIDDEN bool snare_os_on_alternate_stack(uint64_t addr);
/* Has callback (always the same one) run when the calling thread exits,
   by returning or by pthread_exit. */
SNARE_HIDDEN void snare_os_thread_at_exit(void (*callback)(void));
/* The calling thread's OS id (gettid), its process's id, its name (up
   to 15 bytes), and a pause of some microseconds: for recording threads,
   signal-safe and clean of vector state (os/linux/recording.c). */
SNARE_HIDDEN int snare_os_thread_tid(void);
SNARE_HIDDEN int snare_os_process_id(void);
SNARE_HIDDEN void snare_os_thread_name(char name[16]);
SNARE_HIDDEN void snare_os_pause_briefly(void);
/* Writes message to standard error and aborts: for broken invariants
   where continuing would corrupt the program. */
SNARE_HIDDEN _Noreturn void snare_os_fatal(const char *message);

/*
 * Stops every other thread of the process for a code write: each parks
 * in a signal handler of snare's after adjust(context, arg) (if not NULL)
 * ran there on its saved machine context (signal-safe; it may move the
 * pc). Every thread has taken the signals pending for it before. Returns
 * once all have parked, or after a bounded wait for threads that block
 * the signal (they run on). false, with nothing to resume, when the
 * caller is the only thread or threads cannot be stopped at all. Until
 * snare_os_world_resume the caller must not allocate or take locks.
 */
SNARE_HIDDEN bool snare_os_world_stop(void (*adjust)(void *context, void *arg),
                                      void *arg);
/* Lets the stopped threads run on; none is left in the handler after. */
SNARE_HIDDEN void snare_os_world_resume(void);

/* ---- attached threads (os/linux/sync.c) ---- */

/* A plain mutual-exclusion lock; never held across a wait for a thread. */
typedef struct snare_os_lock snare_os_lock;
SNARE_HIDDEN snare_status snare_os_lock_new(snare_os_lock **out);
SNARE_HIDDEN void snare_os_lock_free(snare_os_lock *lock);
SNARE_HIDDEN void snare_os_lock_acquire(snare_os_lock *lock);
SNARE_HIDDEN void snare_os_lock_release(snare_os_lock *lock);

/*
 * Gives the calling thread an alternate signal stack if it has none, so
 * handlers (and conditions) have room. Returns the stack snare installed,
 * to pass to snare_os_altstack_release on the same thread, or NULL if the
 * thread already had one (or none could be made: handlers then run on the
 * thread's own stack).
 */
SNARE_HIDDEN void *snare_os_altstack_ensure(void);
SNARE_HIDDEN void snare_os_altstack_release(void *stack);
/* Sends snare's interrupt signal to the thread of that identity. */
SNARE_HIDDEN snare_status snare_os_thread_signal(uintptr_t os_self);

#endif
