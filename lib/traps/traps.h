/*
 * traps.h - the traps subsystem: patch sites (the addresses where snare's
 * trap replaces the program's instruction, with their out-of-line steps),
 * the breakpoint records a site carries, jumps written safely over live
 * code, and memory as the program sees it under the patches. Implemented
 * in sites.c, memory.c and disassembly.c.
 *
 * Concurrency: controller-side changes happen under the OS global lock.
 * Fault handlers never take it: they read the site table and the per-site
 * breakpoint lists through atomic pointers to immutable snapshots, and
 * count themselves in `snare_dispatch_depth` so retired snapshots are
 * freed only when no handler can still be reading them.
 *
 * Who uses the traps: sessions, hooks and mark hooks each count
 * themselves with snare_traps_use(); when the last use ends,
 * snare_traps_release_if_unused() removes the signal handlers and the
 * site table; the out-of-line slots stay mapped for later sessions (a
 * thread may still be in one). Breakpoint records belong to sessions
 * (lib/session/breakpoint.c); sites only read whether they are enabled.
 */
#ifndef SNARE_TRAPS_TRAPS_H
#define SNARE_TRAPS_TRAPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "debuginfo/compiled_variable.h"
#include "internal/arch.h"
#include "internal/hidden.h"
#include "internal/os.h"
#include "snare.h"

/* A variable a breakpoint's condition reads, compiled at its first read
   (lib/frames/frame_compiled_variables.c); filled once, never changed. */
#define SNARE_BREAKPOINT_VARIABLES 8
enum {
  SNARE_COMPILED_FREE,
  SNARE_COMPILED_BUSY, /* being compiled by the thread that took it */
  SNARE_COMPILED_READY,
  SNARE_COMPILED_REFUSED /* the general evaluator reads it */
};
typedef struct snare_breakpoint_variable {
  _Atomic int state;
  char name[32];
  snare_variable_program program;
} snare_breakpoint_variable;

/* A breakpoint's native condition program (snare_frame_condition_program_set):
   installed once by the thread that takes it (FREE -> BUSY -> READY, a
   compare and swap), dropped by the controller when the condition
   changes (DROPPED; the breakpoint gets a new, FREE one in its place and
   the old is retired); never written after READY, so a thread still
   running it reads it whole. */
enum {
  SNARE_NATIVE_FREE,
  SNARE_NATIVE_BUSY,
  SNARE_NATIVE_READY,
  SNARE_NATIVE_DROPPED
};
typedef struct snare_native_condition {
  _Atomic int state;
  snare_condition_program program;
  /* Each name's compiled-read slot once found (a ready slot never
     changes): a hit reads it with no name lookup. */
  const snare_breakpoint_variable *_Atomic slots[SNARE_CONDITION_NAMES];
} snare_native_condition;

/*
 * What a record whose condition runs on the thread that hit it (a
 * breakpoint; a watchpoint, lib/session/watchpoint.c) needs to outlive
 * its clear: the threads in its condition now, and whether it was
 * cleared. One cleared while they run waits on the late list
 * (lib/session/conditions.c), its condition data unreleased, until the
 * last returns; the rest is filled when it goes there.
 */
typedef struct snare_condition_guard {
  _Atomic unsigned evaluating;
  _Atomic bool cleared;
  struct snare_session *session;
  void (*release)(void *condition_data); /* NULL: nothing to release */
  void *condition_data;
  void *record; /* retired after the release */
  struct snare_condition_guard *next_late;
} snare_condition_guard;

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
  bool trap; /* never reached through a jump */
  unsigned inline_hidden; /* inlined frames its stops hide (options.function) */
  snare_condition_guard guard; /* its condition's threads, its clear */
  /* Only a breakpoint with a condition has slots (SNARE_BREAKPOINT_VARIABLES
     or 0): they are most of its size, and ten thousand plain breakpoints
     paid for them in page faults. */
  size_t variable_slots;
  /* Also a conditional breakpoint's only, first in the same block after
     its variables, replaced when its condition changes; NULL otherwise.
     A hit loads it once. */
  snare_native_condition *_Atomic native;
  _Atomic uint64_t native_rejected; /* hits its native programs rejected */
  snare_breakpoint_variable variables[];
} snare_breakpoint;

/* Immutable list of the breakpoints at one site, replaced as a whole. */
typedef struct snare_site_breakpoints {
  size_t count;
  snare_breakpoint *items[];
} snare_site_breakpoints;

/* The most bytes a jump to a breakpoint trampoline replaces. */
#define SNARE_JUMP_WINDOW_MAX 16

typedef struct snare_site {
  uint64_t address;
  bool patched;
  uint8_t original[SNARE_ARCH_MAX_INSTRUCTION]; /* bytes under the trap */
  snare_displaced plan;
  _Atomic(snare_site_breakpoints *) breakpoints;
  struct snare_hook_record *hook; /* a hook that had to use the trap */
  /* Mark hooks trapping here (lib/marks/mark_hook.c), immutable, replaced whole. */
  _Atomic(struct snare_mark_traps *) mark_traps;
  uint64_t redirect; /* nonzero while a jump is being written here */
  /* Nonzero: the site's breakpoints are reached through a jump to a
     trampoline (lib/session/breakpoint_jump.c) that covers this many
     bytes, instead of a trap; what they held. */
  size_t jump_length;
  uint8_t jump_original[SNARE_JUMP_WINDOW_MAX];
  uint8_t jump_bytes[SNARE_JUMP_WINDOW_MAX]; /* the jump written there */
  const void *jump_record; /* that trampoline's record */
  /* A trap was written here once: a thread may still be in its
     out-of-line slot, bound back into the bytes a jump would replace,
     so the site never takes a jump. */
  bool trapped;
  /* The stop trap of a breakpoint trampoline: that trampoline's record
     (the site is only a marker, never patched). */
  void *stop_of;
  /* The code under the site was unmapped (snare_sites_forget): nothing
     is written there any more, whatever the site's users ask. */
  bool gone;
} snare_site;

/* Handlers currently inside snare_fault_dispatch (not parked). */
SNARE_HIDDEN extern _Atomic int snare_dispatch_depth;

/* ---- users of the traps (sites.c) ---- */
/* One more (+1) or one fewer (-1) session, hook or mark hook needs the
   handlers and the out-of-line code; under the global lock. */
SNARE_HIDDEN void snare_traps_use(int delta);
/* Removes snare's handlers and the site table when nothing uses them
   any more; under the global lock. */
SNARE_HIDDEN void snare_traps_release_if_unused(void);

/* ---- sites (sites.c) ---- */
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
/*
 * Writes the n bytes of a jump to a breakpoint trampoline over a site
 * that never had a trap (site->trapped false): a trap first, sending
 * arriving threads to `trampoline`, then the rest of the bytes, then the
 * first. When they replace more than one instruction, the other threads
 * are stopped meanwhile and those inside are moved as `moved` says.
 * `record` becomes site->jump_record. Under the global lock.
 */
SNARE_HIDDEN snare_status snare_sites_jump(snare_site *site,
                                           const uint8_t *bytes, size_t n,
                                           uint64_t trampoline,
                                           const snare_moved_code *moved,
                                           const void *record);
/* Puts the site's trap back in place of its jump (the trap first, then
   the original bytes after it). Under the global lock. */
SNARE_HIDDEN snare_status snare_sites_unjump(snare_site *site);
/* Adds a marker site at addr (a breakpoint trampoline's stop trap) whose
   stop_of is owner; never patched, never removed. Under the global lock. */
SNARE_HIDDEN snare_status snare_sites_mark(uint64_t addr, void *owner);
/* True if a site (breakpoint or trap hook) starts in [addr, addr+n), or
   a breakpoint's jump covers part of it. */
SNARE_HIDDEN bool snare_sites_any_in(uint64_t addr, size_t n);
/*
 * A slot of one thread's own for steps out of line (lib/session/worker.c)
 * within reach of `near`: `old` if it is, else a fresh one (old, if any,
 * goes back). Its owner is `owner`, a site record never in the table
 * whose plan says what the slot holds, so a fault or stop in the slot
 * maps back as in a breakpoint's slot. 0 if none is left. Under the
 * global lock.
 */
SNARE_HIDDEN uint64_t snare_sites_step_slot(uint64_t near, snare_site *owner,
                                            uint64_t old);
/* Gives a step slot back (0: none). Under the global lock. */
SNARE_HIDDEN void snare_sites_step_slot_release(uint64_t slot);
/* Copies memory as it was before snare patched it. */
SNARE_HIDDEN bool snare_sites_read_original(uint64_t addr, uint8_t *dst,
                                            size_t n);
/* The bytes of the instruction at addr as the program sees them, up to
   the longest instruction and stopping at the end of readable memory:
   how many. Under the global lock, which keeps an open library's code
   mapped: that is read without a system call. */
SNARE_HIDDEN size_t snare_sites_read_instruction(uint64_t addr, uint8_t *dst);
/*
 * The code of [addr, addr+n) was unmapped (a library the program's
 * loader closed): its sites' saved bytes and jumps went with it. Each
 * site there is marked gone and holds no patch, so that its users
 * (breakpoints, hooks, mark hooks) drop it without a write: the address
 * may belong to another mapping by now. The sites themselves go as their
 * users let them go. Under the global lock; idempotent.
 */
SNARE_HIDDEN void snare_sites_forget(uint64_t addr, uint64_t n);
/* Re-applies traps over [addr, addr+n) after a write, taking the new
   bytes as the originals. */
SNARE_HIDDEN void snare_sites_rewritten(uint64_t addr, size_t n);
/* Defers freeing until no handler can hold the pointer. */
SNARE_HIDDEN void snare_retire(void *ptr);
/* Frees what was retired if no handler is dispatching. */
SNARE_HIDDEN void snare_reclaim(void);
/* Retires the site table (freed once no handler can read it); the
   slots' slabs stay mapped, their free and quarantined slots kept for
   the next session. Only when no session or site is left. */
SNARE_HIDDEN void snare_sites_shutdown(void);
/* A thread's batch (site_batch.c): whether the calling thread's arming
   writes wait for its end; queue a slot's code or a trap (false: write
   it now); write what waits (false if some write failed). */
SNARE_HIDDEN bool snare_sites_batch_defers(void);
SNARE_HIDDEN bool snare_sites_batch_slot(uint64_t slot, const uint8_t *code,
                                         size_t n);
SNARE_HIDDEN bool snare_sites_batch_trap(uint64_t addr);
SNARE_HIDDEN bool snare_sites_batch_flush(void);

/* Checks addr can carry a patch: mapped, executable, not in snare's own
   slots, and the start of an instruction of the function it lies in. */
SNARE_HIDDEN snare_status snare_check_code_address(uint64_t addr);

#endif
