/*
 * core.h - the objects the portable core shares among its files:
 * threads, sessions, breakpoints and patch sites, and the rules for
 * touching them from a fault handler.
 *
 * Concurrency: controller-side changes happen under the OS global lock.
 * Fault handlers never take it (an attached thread that parks takes only
 * its session's event-queue lock; see lib/events.c): they read the site table and the per-site
 * breakpoint lists through atomic pointers to immutable snapshots, and
 * count themselves in `snare_dispatch_depth` so retired snapshots are
 * freed only when no handler can still be reading them.
 */
#ifndef SNARE_INTERNAL_CORE_H
#define SNARE_INTERNAL_CORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal/arch.h"
#include "internal/hidden.h"
#include "internal/os.h"
#include "snare.h"

typedef enum snare_thread_state {
  SNARE_THREAD_IDLE,    /* waiting for a call */
  SNARE_THREAD_RUNNING, /* executing target code */
  SNARE_THREAD_STOPPED, /* parked in the fault handler */
  SNARE_THREAD_EXITING  /* entry returned, reporting */
} snare_thread_state;

typedef struct snare_thread {
  int id;
  uintptr_t os_self;
  struct snare_session *session;
  _Atomic int state;
  _Atomic bool in_callback;
  _Atomic bool interrupt_requested;
  bool stepping;
  uint64_t stack_low;
  void *context; /* saved machine context while stopped or in a callback */
  snare_os_catch *catch_point;
  snare_stop stop;
  snare_resume_mode resume_mode;
  bool resume_has_pc;
  uint64_t resume_pc;
  snare_os_event *resume_event;
  /* Threads and events (lib/attach.c): the worker is attached from its
     creation; other threads attach themselves. */
  _Atomic bool breakable;
  _Atomic bool alive;
  void *alt_stack; /* alternate signal stack snare installed, or NULL */
  /* Per-thread stepping (lib/step_subject.c): while `stepped`, the
     thread's stops wake the stepper through step_event instead of
     becoming events. Attached threads only. */
  _Atomic bool stepped;
  snare_os_event *step_event;
} snare_thread;

struct snare_frame {
  snare_thread *thread;
  void *context;
  int breakpoint;
};

typedef struct snare_breakpoint {
  int id;
  uint64_t address;
  struct snare_session *session;
  _Atomic bool enabled;
  _Atomic bool expired; /* reached max_stops; cleared by the controller */
  _Atomic uint64_t hits;
  _Atomic uint64_t stops;
  _Atomic uint64_t rejected;
  unsigned skip;
  unsigned max_stops;
  snare_condition_fn condition;
  void *condition_data;
  void (*release)(void *);
  int thread;                            /* 0: any thread of the session */
  uint64_t function_start, function_end; /* 0, 0: any pc */
} snare_breakpoint;

/* Immutable list of the breakpoints at one site, replaced as a whole. */
typedef struct snare_site_breakpoints {
  size_t count;
  snare_breakpoint *items[];
} snare_site_breakpoints;

typedef struct snare_site {
  uint64_t address;
  bool patched;
  uint8_t original[SNARE_ARCH_MAX_INSTRUCTION]; /* bytes under the trap */
  snare_displaced plan;
  _Atomic(snare_site_breakpoints *) breakpoints;
  struct snare_hook_record *hook; /* a hook that had to use the trap */
  /* Mark hooks trapping here (lib/mark_hook.c), immutable, replaced whole. */
  _Atomic(struct snare_mark_traps *) mark_traps;
  uint64_t redirect; /* nonzero while a jump is being written here */
} snare_site;

struct snare_session {
  snare_thread worker;
  snare_os_thread *os_thread;
  snare_os_event *stopped_event;
  unsigned timeout_ms;
  bool quit;
  bool in_call;
  uint64_t entry;
  uint64_t args[8];
  snare_breakpoint **breakpoints; /* creation order */
  size_t breakpoint_count;
  size_t breakpoint_capacity;
  int next_breakpoint_id;
  /* Threads that attached themselves (lib/attach.c), under threads_lock;
     records live until the session is freed. */
  snare_os_lock *threads_lock;
  snare_thread **attached;
  size_t attached_count, attached_capacity;
  struct snare_events *events; /* lib/events.c */
};

/* Handlers currently inside snare_fault_dispatch (not parked). */
SNARE_HIDDEN extern _Atomic int snare_dispatch_depth;

/* ---- threads (lib/threads.c) ---- */
SNARE_HIDDEN bool snare_threads_add(snare_thread *thread);
SNARE_HIDDEN void snare_threads_remove(snare_thread *thread);
/* The calling thread's record, or NULL; signal-safe. */
SNARE_HIDDEN snare_thread *snare_threads_current(void);
SNARE_HIDDEN int snare_threads_next_id(void);

/* ---- sessions (lib/session.c) ---- */
/* Removes snare's handlers and frees out-of-line code when no session or
   hook needs them any more; under the global lock. */
SNARE_HIDDEN void snare_release_if_unused(void);
/* Calls fn on every live session; controller, under the global lock. */
SNARE_HIDDEN void snare_sessions_each(void (*fn)(struct snare_session *, void *),
                                      void *arg);
/* OK if addr is mapped executable code, else BAD_ADDRESS or NOT_CODE. */
SNARE_HIDDEN snare_status snare_session_check_code(uint64_t addr);

/* ---- sites (lib/sites.c) ---- */
/* Site patched or pending at exactly addr; signal-safe. */
SNARE_HIDDEN snare_site *snare_sites_find(uint64_t addr);
/* Site whose out-of-line slot contains pc; signal-safe. */
SNARE_HIDDEN snare_site *snare_sites_find_slot(uint64_t pc);
/* Site at addr, created (unpatched, with a slot and plan) if needed. */
SNARE_HIDDEN snare_status snare_sites_acquire(uint64_t addr, snare_site **out);
/* Publishes a new breakpoint list for a site and patches or unpatches it
   to match; a site left with no breakpoints is removed and retired. */
SNARE_HIDDEN snare_status snare_sites_update(snare_site *site,
                                             snare_site_breakpoints *list);
/*
 * Instructions that now also run elsewhere (a hook's relocated copy of a
 * function's first instructions): a thread found at from+k, 0 < k <
 * length, goes on at to[k] (an instruction begins there when nonzero).
 */
#define SNARE_MOVED_CODE_MAX 16
typedef struct snare_moved_code {
  uint64_t from;
  size_t length;
  uint64_t to[SNARE_MOVED_CODE_MAX];
} snare_moved_code;
/*
 * Writes n bytes at addr (a jump) so that no thread ever runs a half-written
 * instruction: the first byte becomes a trap sending arriving threads to
 * `redirect`, then the rest is written, then the first byte. When the
 * bytes replace more than one instruction (`moved`, else NULL), a thread
 * may be stopped (preempted, or in a system call) past the first one:
 * the other threads are stopped meanwhile and those inside are moved to
 * the copy. EXISTS if a breakpoint site overlaps the bytes.
 */
SNARE_HIDDEN snare_status snare_sites_write_jump(uint64_t addr,
                                                 const uint8_t *bytes,
                                                 size_t n, uint64_t redirect,
                                                 const snare_moved_code *moved);
/* True if a site (breakpoint or trap hook) starts in [addr, addr+n). */
SNARE_HIDDEN bool snare_sites_any_in(uint64_t addr, size_t n);
/* Copies memory as it was before snare patched it. */
SNARE_HIDDEN bool snare_sites_read_original(uint64_t addr, uint8_t *dst,
                                            size_t n);
/* Re-applies traps over [addr, addr+n) after a write, taking the new
   bytes as the originals. */
SNARE_HIDDEN void snare_sites_rewritten(uint64_t addr, size_t n);
/* Defers freeing until no handler can hold the pointer. */
SNARE_HIDDEN void snare_retire(void *ptr);
/* Frees what was retired if no handler is dispatching. */
SNARE_HIDDEN void snare_reclaim(void);
/* Frees everything sites own; only when no session or site is left. */
SNARE_HIDDEN void snare_sites_shutdown(void);

/* ---- breakpoints (lib/breakpoint.c) ---- */
/* Checks addr can carry a patch: mapped, executable, not in snare's own
   slots, and the start of an instruction of the function it lies in. */
SNARE_HIDDEN snare_status snare_check_code_address(uint64_t addr);
/* Clears breakpoints of the session that reached their max stops. */
SNARE_HIDDEN void snare_breakpoints_clear_expired(struct snare_session *s);
SNARE_HIDDEN void snare_breakpoints_clear_all(struct snare_session *s);

/* ---- worker and stops (lib/worker.c) ---- */
SNARE_HIDDEN void snare_worker_body(void *session);
/*
 * Parks the calling (attached) thread with `stop` until the controller
 * resumes it, then prepares the context for the requested resume,
 * stopping again as long as the resume itself ends in a stop.
 */
SNARE_HIDDEN void snare_worker_stop(snare_thread *thread, void *context,
                                    snare_stop *stop);

#endif
