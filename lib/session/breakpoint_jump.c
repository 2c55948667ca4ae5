/*
 * breakpoint_jump.c - conditional breakpoints without a signal: where
 * every enabled breakpoint of a site has a condition or a skip count
 * (hits that mostly do not stop), the site's trap is replaced by a jump
 * to a trampoline that builds the machine context a trap handler gets,
 * runs the breakpoints there (hit counts, skips, conditions, max stops:
 * snare_breakpoints_evaluate, as at a trap) and goes on through the
 * relocated instructions the jump replaced. A breakpoint that says stop
 * makes the trampoline restore every register and run into a trap of its
 * own, whose signal handler parks the thread at the breakpoint's address
 * with the stop record and registers a trap there gives.
 *
 * Where a jump goes: whole instructions from the site covering the jump,
 * inside the function, none of them a target of the function's branches
 * past the first byte (arch: snare_arch_site_window, which also refuses
 * functions with indirect jumps) nor of other code's (the module sweep,
 * hooks/branch_targets.c), with no other site, hook or mark jump in them,
 * and not in a function with exception landing pads (the unwinder enters
 * those where no branch says).
 * A thread preempted inside those instructions is moved to their copy
 * while the jump is written (snare_sites_jump). A resumed thread whose pc
 * lies in them runs the copy instead (snare_breakpoint_jump_resume_pc);
 * a step or fault in the copy is reported at the original address.
 *
 * Trampolines are never freed (a thread may be inside one); a record
 * per trampoline keeps where its parts are, and is reused when the same
 * site gets its jump again.
 */
#include <stdlib.h>
#include <string.h>

#include "code/code.h"
#include "hooks/branch_targets.h"
#include "hooks/hooks.h"
#include "internal/hook_arch.h"
#include "internal/unwind.h"
#include "session/session.h"

#define TRAMPOLINE_ROOM 1024

typedef struct jump_record {
  uint64_t address;  /* the site */
  size_t length;     /* bytes the jump replaces */
  uint8_t original[SNARE_JUMP_WINDOW_MAX];
  uint64_t trampoline;
  uint64_t stop_trap;
  uint64_t copy, copy_end; /* the relocated instructions and jump back */
  uint64_t to[SNARE_JUMP_WINDOW_MAX]; /* copy of the instruction at byte k */
} jump_record;

/* Every record, sorted by trampoline address, replaced whole (the old
   array retired) so that signal handlers read it without a lock. */
typedef struct record_list {
  size_t count;
  jump_record *items[];
} record_list;

static _Atomic(record_list *) records;

/* ---- the handler the trampolines call ---- */

typedef struct evaluation {
  snare_thread *thread;
  snare_site *site;
  const snare_site_breakpoints *list; /* both passes go over the same */
  void *context;
  snare_hit_pass pass;
  snare_stopping stopping;
} evaluation;

static void evaluate(void *arg) {
  evaluation *e = arg;
  snare_breakpoints_evaluate(e->thread, e->list, e->site->address, e->context,
                             &e->pass, &e->stopping);
}

/* Stops decided in the trampoline's handler whose trap has not come yet
   (snare_breakpoint_jump_stopped): each keeps the thread counted as
   dispatching until then, so that the breakpoints in its jump_stop,
   cleared meanwhile, are not freed under it. A count, not a flag: a
   program's signal handler may run into another trampoline on the way.
   Read in signal handlers, as the initial-exec model allows. */
static _Thread_local __attribute__((tls_model("initial-exec"))) unsigned
    carried;

static bool runs_conditions(const snare_site_breakpoints *list) {
  for (size_t i = 0; list != NULL && i < list->count; i++)
    if (list->items[i]->condition != NULL)
      return true;
  return false;
}

/*
 * Runs on the program's thread, on its stack below the red zone, with
 * its registers saved in context. Conditions may run any code (Lua, the
 * C library, whose string functions use ymm16-31 and the upper halves):
 * they run with the whole extended register state saved, x87 and SSE
 * by the trampoline, the rest here (XSAVEC of those again cost a fifth
 * of the save, about 35 ns a hit).
 * Counted as dispatching, so that the site and its list, read from the
 * table, are not freed meanwhile.
 */
static bool on_trampoline(jump_record *record, void *context) {
  atomic_fetch_add(&snare_dispatch_depth, 1);
  /* not zeroed whole: pass is written by the first pass before it is
     read, stopping by snare_breakpoints_evaluate */
  evaluation e;
  e.context = context;
  e.list = NULL;
  e.stopping.first = NULL;
  snare_thread *self = snare_threads_current();
  if (self != NULL)
    atomic_store_explicit(&self->in_jump_handler, true, memory_order_release);
  e.site = snare_sites_find(record->address);
  e.thread = snare_thread_stoppable(self);
  bool stop = false, carry = false;
  if (e.site != NULL && e.site->jump_length != 0 && e.thread != NULL) {
    const snare_site_breakpoints *list = atomic_load(&e.site->breakpoints);
    e.list = list;
    /* native programs that all say no run nothing else: nothing to save */
    bool rejected = snare_breakpoints_reject_natively(
        e.thread, list, e.site->address, context, &e.pass);
    if (!rejected && runs_conditions(list))
      /* the trampoline saved x87 and SSE (an FXSAVE image) and restores them */
      snare_arch_call_saving_vector_state(evaluate, &e);
    else if (!rejected)
      evaluate(&e); /* counts only: nothing here touches vector state */
    uint64_t pc = snare_arch_register_get(context, SNARE_REG_RIP);
    if (e.stopping.first != NULL || pc != record->address) {
      /* a stop, or a condition that moved the pc: through the trap,
         whose handler resumes wherever the context says */
      e.thread->jump_stop = e.stopping;
      e.thread->jump_resume_pc = pc != record->address ? pc : 0;
      carry = e.stopping.first != NULL;
      stop = true;
    }
  }
  if (self != NULL)
    atomic_store_explicit(&self->in_jump_handler, false, memory_order_release);
  if (carry)
    carried++;
  else
    atomic_fetch_sub(&snare_dispatch_depth, 1);
  return stop;
}

bool snare_breakpoint_jump_stopped(const snare_site *marker, void *context) {
  if (carried > 0) { /* the dispatch of this trap counts it now */
    carried--;
    atomic_fetch_sub(&snare_dispatch_depth, 1);
  }
  const jump_record *record = marker->stop_of;
  snare_thread *thread = snare_threads_current();
  if (thread == NULL || thread->jump_stop.first == NULL) {
    uint64_t moved = thread ? thread->jump_resume_pc : 0;
    snare_arch_register_set(context, SNARE_REG_RIP,
                            moved ? snare_breakpoint_jump_resume_pc(moved)
                                  : record->copy);
    return true;
  }
  snare_stopping stopping = thread->jump_stop;
  thread->jump_stop.first = NULL;
  snare_arch_register_set(context, SNARE_REG_RIP, record->address);
  snare_stop_at_breakpoints(thread, context, &stopping);
  /* Resumed: prepare_resume moved a pc in the jump's bytes to the copy. */
  return true;
}

/* ---- pcs in and out of the copies ---- */

static const jump_record *record_of_trampoline(uint64_t pc) {
  const record_list *list = atomic_load(&records);
  size_t lo = 0, hi = list ? list->count : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (list->items[mid]->trampoline <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const jump_record *r = list->items[lo - 1];
  return pc < r->copy_end ? r : NULL;
}

uint64_t snare_breakpoint_jump_original_pc(uint64_t pc) {
  const jump_record *r = record_of_trampoline(pc);
  if (r == NULL || pc < r->copy)
    return pc;
  if (pc == r->copy_end - SNARE_ARCH_JUMP_SIZE)
    return r->address + r->length; /* at the jump back */
  for (size_t k = 0; k < r->length; k++)
    if (r->to[k] == pc)
      return r->address + k;
  return pc; /* inside an instruction's expansion: where it is */
}

uint64_t snare_breakpoint_jump_resume_pc(uint64_t pc) {
  for (size_t k = 0; k < SNARE_JUMP_WINDOW_MAX && k <= pc; k++) {
    const snare_site *site = snare_sites_find(pc - k);
    if (site == NULL || site->jump_length <= k)
      continue;
    const jump_record *r = site->jump_record;
    return r->to[k] != 0 ? r->to[k] : pc;
  }
  return pc;
}

/* ---- placing and removing jumps (controller, global lock) ---- */

static bool publish(jump_record *record) {
  record_list *old = atomic_load(&records);
  size_t n = old ? old->count : 0;
  record_list *list = malloc(sizeof *list + (n + 1) * sizeof list->items[0]);
  if (list == NULL)
    return false;
  size_t at = 0;
  while (at < n && old->items[at]->trampoline < record->trampoline)
    at++;
  for (size_t i = 0; i < at; i++)
    list->items[i] = old->items[i];
  list->items[at] = record;
  for (size_t i = at; i < n; i++)
    list->items[i + 1] = old->items[i];
  list->count = n + 1;
  atomic_store(&records, list);
  snare_retire(old);
  return true;
}

static jump_record *reusable(uint64_t address, const uint8_t *original,
                             size_t length) {
  const record_list *list = atomic_load(&records);
  for (size_t i = 0; list != NULL && i < list->count; i++) {
    jump_record *r = list->items[i];
    if (r->address == address && r->length == length &&
        memcmp(r->original, original, length) == 0)
      return r;
  }
  return NULL;
}

/* A trampoline for the window of `length` original bytes at address. */
static jump_record *make_record(uint64_t address, const uint8_t *original,
                                size_t length) {
  jump_record *record = calloc(1, sizeof *record);
  uint64_t at = snare_code_take(address, TRAMPOLINE_ROOM);
  if (record == NULL || at == 0) {
    free(record);
    return NULL;
  }
  uint8_t code[TRAMPOLINE_ROOM];
  size_t stop = 0;
  uint64_t handler = (uint64_t)(uintptr_t)on_trampoline;
  /* The trampoline's size does not depend on where it resumes. */
  size_t n = snare_arch_breakpoint_trampoline(code, sizeof code, address, 0,
                                              (uint64_t)(uintptr_t)record,
                                              handler, &stop);
  n = n ? snare_arch_breakpoint_trampoline(code, sizeof code, address,
                                           at + n,
                                           (uint64_t)(uintptr_t)record,
                                           handler, &stop)
        : 0;
  size_t placed[SNARE_JUMP_WINDOW_MAX];
  size_t moved = n ? snare_arch_relocate(code + n, sizeof code - n, at + n,
                                         address, original, length, placed)
                   : 0;
  /* The room stays taken either way: it is never handed out twice. */
  if (moved == 0 || !snare_os_code_write(at, code, n + moved) ||
      snare_sites_mark(at + stop, record) != SNARE_OK) {
    free(record);
    return NULL;
  }
  record->address = address;
  record->length = length;
  memcpy(record->original, original, length);
  record->trampoline = at;
  record->stop_trap = at + stop;
  record->copy = at + n;
  record->copy_end = at + n + moved;
  for (size_t k = 0; k < length; k++)
    record->to[k] = placed[k] == SIZE_MAX ? 0 : at + n + placed[k];
  if (!publish(record)) {
    free(record);
    return NULL;
  }
  return record;
}

/* Whether every enabled breakpoint of the list mostly passes silently. */
static bool wants_jump(const snare_site *site,
                       const snare_site_breakpoints *list) {
  if (site->hook != NULL || atomic_load(&site->mark_traps) != NULL ||
      list == NULL)
    return false;
  bool any = false;
  for (size_t i = 0; i < list->count; i++) {
    const snare_breakpoint *bp = list->items[i];
    if (!atomic_load(&bp->enabled))
      continue;
    if (bp->id < 0 || bp->trap || (bp->condition == NULL && bp->skip == 0))
      return false; /* internal (stepping), asked for, or always stopping */
    any = true;
  }
  return any;
}

/* The window at the site, in a function of known extent outside JIT
   memory (whose owner rewrites it), with nothing else patched in it. */
static bool find_window(const snare_site *site, uint8_t *original,
                        size_t *length) {
  uint64_t start, size;
  if (snare_os_code_alias(site->address, 1) != NULL ||
      !snare_code_function_containing(site->address, &start, &size, NULL) ||
      size > (1u << 24) || snare_arch_has_landing_pads(site->address))
    return false;
  uint8_t *code = malloc((size_t)size);
  snare_hook_window window;
  bool ok = code != NULL &&
            snare_sites_read_original(start, code, (size_t)size) &&
            snare_arch_site_window(start, code, (size_t)size,
                                   (size_t)(site->address - start),
                                   &window) == SNARE_OK &&
            window.length <= SNARE_JUMP_WINDOW_MAX;
  if (ok)
    memcpy(original, code + window.offset, window.length);
  free(code);
  bool entered = false;
  ok = ok &&
       snare_branch_targets_entering(start, size, site->address + 1,
                                     site->address + window.length,
                                     &entered) == SNARE_OK &&
       !entered && !snare_sites_any_in(site->address + 1, window.length - 1) &&
       !snare_hooks_jump_in(site->address, window.length);
  *length = ok ? window.length : 0;
  return ok;
}

static void place_jump(snare_site *site) {
  uint8_t original[SNARE_JUMP_WINDOW_MAX];
  size_t length;
  if (site->trapped || !find_window(site, original, &length))
    return;
  jump_record *record = reusable(site->address, original, length);
  if (record == NULL)
    record = make_record(site->address, original, length);
  if (record == NULL)
    return;
  if (snare_sites_find(record->stop_trap) == NULL &&
      snare_sites_mark(record->stop_trap, record) != SNARE_OK)
    return; /* the site table was made anew since (all traps released) */
  uint8_t bytes[SNARE_JUMP_WINDOW_MAX];
  memcpy(bytes, original, length);
  snare_arch_hook_jump(bytes, site->address, record->trampoline);
  snare_moved_code moved = {.from = site->address, .length = length};
  memcpy(moved.to, record->to, length * sizeof moved.to[0]);
  snare_sites_jump(site, bytes, length, record->trampoline, &moved, record);
}

void snare_breakpoint_jump_settle(snare_site *site,
                                  const snare_site_breakpoints *list) {
  bool want = wants_jump(site, list);
  if (want && site->jump_length == 0)
    place_jump(site);
  else if (!want && site->jump_length != 0)
    snare_sites_unjump(site);
}

bool snare_breakpoint_jumped(const snare_breakpoint *bp) {
  const snare_site *site = snare_sites_find(bp->address);
  return site != NULL && site->jump_length != 0;
}
