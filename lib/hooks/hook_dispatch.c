/*
 * hook_dispatch.c - what runs at every hooked entry and exit: counting,
 * the per-thread shadow stack of redirected returns, timing and tracing,
 * and the hook's callback. This is the hot path: no locks, no malloc,
 * and, because the entry and exit stubs save only general registers, no
 * vector or x87 instruction: the file is compiled without them, and the
 * callback and any library code run through snare_arch_call_saving_state.
 * Every entry and exit costs O(1), whatever the depth of the stack.
 */
#include "internal/general_regs_only.h"

#include <string.h>

#include "hooks/hooks.h"
#include "internal/arch.h"
#include "internal/hook_arch.h"
#include "threads/threads.h"

#define SHADOW_DEPTH 1024
/* Hooks with frames on one thread's shadow stack, by open addressing: a
   power of two over twice the most there can be, so probes stay short. */
#define ACTIVE_SLOTS (2 * SHADOW_DEPTH)
/* Frames ended without their return kept for a late one. */
#define ENDED_KEPT 64
#define NO_FRAME UINT32_MAX

typedef struct shadow_entry {
  snare_hook_record *hook;
  uint64_t slot;        /* address of the return-address word */
  uint64_t real_return; /* what the slot held */
  uint64_t start_ns;
  uint64_t children_ns;
  bool recursive;       /* the hook is active lower on this thread */
  bool revealed;        /* the slot holds real_return (an unwinder walks) */
  uint64_t stack;       /* the context whose stack holds the slot */
} shadow_entry;

/* How many frames of one timed hook are on the thread's shadow stack. */
typedef struct active_hook {
  const snare_hook_record *hook; /* NULL: a free slot */
  unsigned frames;
} active_hook;

typedef struct hook_thread {
  unsigned serial;
  unsigned depth;
  /* Entries below `base` belong to stacks switched away from (coroutines,
     see snare_hook_stack_switch); those from base up to the running
     stack, tagged `stack`. */
  unsigned base;
  uint64_t stack;
  shadow_entry shadow[SHADOW_DEPTH];
  active_hook active[ACTIVE_SLOTS];
  /* The latest frames ended without their return: should one return
     after all (a stack switch snare did not see made a live frame look
     dead), it still goes where it must. */
  struct {
    uint64_t slot, real_return;
  } ended[ENDED_KEPT];
  unsigned ended_next;
} hook_thread;

/* Initial-exec TLS: reading it never allocates, so hooks may fire inside
   malloc or the dynamic loader. */
#define HOOK_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static HOOK_TLS bool busy;
static HOOK_TLS hook_thread *self;
static _Atomic unsigned last_serial;

static void thread_ended(void);

/* Runs through snare_arch_call_saving_state: mmap is library code. */
static void allocate_thread(void *unused) {
  (void)unused;
  self = snare_os_pages_alloc(sizeof *self);
  if (self != NULL) {
    self->serial = atomic_fetch_add(&last_serial, 1) + 1;
    snare_os_thread_at_exit(thread_ended);
  }
}

static hook_thread *this_thread(void) {
  if (self == NULL)
    snare_arch_call_saving_state(allocate_thread, NULL);
  return self;
}

/* Where a hook's probe starts: Fibonacci hashing of its address, whose
   low bits (records are 64-byte aligned) say nothing. */
static size_t home_of(const snare_hook_record *hook) {
  return (size_t)(((uint64_t)(uintptr_t)hook * 0x9E3779B97F4A7C15ull) >> 53);
}
_Static_assert(ACTIVE_SLOTS == 1u << (64 - 53), "home_of's shift");

static active_hook *active_slot(hook_thread *thread,
                                const snare_hook_record *hook) {
  size_t i = home_of(hook);
  while (thread->active[i].hook != NULL && thread->active[i].hook != hook)
    i = (i + 1) & (ACTIVE_SLOTS - 1);
  return &thread->active[i];
}

/* Counts a frame of hook in; true if it had one on the stack already. */
static bool activate(hook_thread *thread, const snare_hook_record *hook) {
  active_hook *slot = active_slot(thread, hook);
  slot->hook = hook;
  return slot->frames++ > 0;
}

/* Counts a frame of hook out; its last frame frees its slot, moving back
   the entries after it that probed past it (no tombstones). */
static void deactivate(hook_thread *thread, const snare_hook_record *hook) {
  active_hook *slot = active_slot(thread, hook);
  if (--slot->frames > 0)
    return;
  size_t hole = (size_t)(slot - thread->active);
  for (size_t i = (hole + 1) & (ACTIVE_SLOTS - 1);
       thread->active[i].hook != NULL; i = (i + 1) & (ACTIVE_SLOTS - 1)) {
    size_t home = home_of(thread->active[i].hook);
    /* Movable unless its home lies cyclically in (hole, i]. */
    if (((i - home) & (ACTIVE_SLOTS - 1)) >= ((i - hole) & (ACTIVE_SLOTS - 1))) {
      thread->active[hole] = thread->active[i];
      hole = i;
    }
  }
  thread->active[hole] = (active_hook){NULL, 0};
}

static void trace(const snare_hook_record *hook, const hook_thread *thread,
                  bool exit, uint64_t now) {
  snare_trace_event event = {now, hook->function, hook->id,
                             thread->serial, thread->depth - thread->base,
                             exit};
  snare_trace_push(&event);
}

/* One callback invocation, carried through snare_arch_call_saving_state. */
typedef struct callback_run {
  const snare_hook_record *hook;
  const hook_thread *thread;
  bool exit;
  uint64_t now;
  const uint64_t *args; /* at entry */
  uint64_t return_value; /* at exit */
} callback_run;

static void run_callback(void *arg) {
  const callback_run *run = arg;
  const snare_hook_record *hook = run->hook;
  snare_thread *attached = snare_threads_current();
  unsigned depth = run->thread ? run->thread->depth - run->thread->base : 0;
  snare_hook_call call = {
      .hook = hook->id,
      .function = hook->function,
      .exit = run->exit,
      .depth = depth,
      .thread = attached ? attached->id : 0,
      .hook_thread = run->thread ? run->thread->serial : 0,
      .timestamp_ns = run->now,
      .return_value = run->return_value,
  };
  if (run->args != NULL)
    memcpy(call.arguments, run->args, sizeof call.arguments);
  if (hook->options.record)
    call.recorded = snare_record_decided(depth, &call.record_depth);
  /* Not stoppable meanwhile: an interrupt or breakpoint parking the thread
     inside the callback would leave the callback's Lua turn held. */
  bool quieted = attached && !atomic_exchange(&attached->in_callback, true);
  hook->options.callback(&call, hook->options.data);
  if (quieted)
    atomic_store(&attached->in_callback, false);
}

static void callback(const snare_hook_record *hook, const hook_thread *thread,
                     bool exit, uint64_t now, const uint64_t *args,
                     uint64_t return_value) {
  unsigned unused;
  if (hook->options.record && hook->options.callback_recorded_only &&
      !snare_record_decided(0, &unused))
    return;
  callback_run run = {hook, thread, exit, now, args, return_value};
  snare_arch_call_saving_state(run_callback, &run);
}

/*
 * A function whose code jumps back to its own first byte enters its
 * trampoline again without a call. A call pushes a fresh return address;
 * a jump back finds at rsp what our entry left there: the exit stub, in
 * the slot of the thread's top frame, which is this hook's.
 */
static bool jumped_back_to_entry(const hook_thread *thread,
                                 const snare_hook_record *hook,
                                 const uint64_t *slot, uint64_t stub) {
  if (thread == NULL || thread->depth == thread->base)
    return false;
  const shadow_entry *top = &thread->shadow[thread->depth - 1];
  return top->hook == hook && top->slot == (uint64_t)(uintptr_t)slot &&
         *slot == stub;
}

/* ---- frames that ended without their return: resynchronising by
   stack pointer, stack switches, unwinders, thread exit ---- */

static void leave(hook_thread *thread, uint64_t *clock, bool returned,
                  uint64_t return_value);

/* Makes the frames of `stack` the running ones: they move above the
   others, keeping their order. Element by element, not memmove: library
   code may use vector registers (see the top of the file). */
static void run_stack(hook_thread *thread, uint64_t stack) {
  unsigned top = thread->depth;
  for (unsigned i = thread->depth; i-- > 0;)
    if (thread->shadow[i].stack == stack) {
      shadow_entry moved = thread->shadow[i];
      for (unsigned j = i; j + 1 < top; j++)
        thread->shadow[j] = thread->shadow[j + 1];
      thread->shadow[--top] = moved;
    }
  thread->base = top;
  thread->stack = stack;
}

/* The frame whose return slot is `slot`, made running if its stack was
   switched away from without snare seeing it (a coroutine that returned
   to its uc_link); NO_FRAME if none is live. */
static unsigned frame_at(hook_thread *thread, uint64_t slot) {
  for (unsigned i = thread->depth; i-- > thread->base;)
    if (thread->shadow[i].slot == slot)
      return i;
  for (unsigned i = thread->base; i-- > 0;)
    if (thread->shadow[i].slot == slot) {
      run_stack(thread, thread->shadow[i].stack);
      return frame_at(thread, slot);
    }
  return NO_FRAME;
}

/* Ends the innermost frame, which did not return, keeping where it
   would have. */
static void end_early(hook_thread *thread, uint64_t *clock) {
  const shadow_entry *top = &thread->shadow[thread->depth - 1];
  unsigned at = thread->ended_next++ % ENDED_KEPT;
  thread->ended[at].slot = top->slot;
  thread->ended[at].real_return = top->real_return;
  leave(thread, clock, false, 0);
}

static uint64_t ended_return(const hook_thread *thread, uint64_t slot) {
  for (unsigned n = 0; n < ENDED_KEPT && n < thread->ended_next; n++) {
    unsigned at = (thread->ended_next - 1 - n) % ENDED_KEPT;
    if (thread->ended[at].slot == slot)
      return thread->ended[at].real_return;
  }
  snare_os_fatal("snare: a hooked return found no shadow stack entry\n");
}

/*
 * A call returning to `slot` is entered, so the frames of the running
 * stack deeper than it are no longer live (left by longjmp, an exception,
 * or a return an unwinder saw): they end now. So does one at the same
 * slot, unless our stub is still there (a tail call from that frame). A
 * signal handler on the alternate stack is another stack: the frames it
 * interrupted stay.
 */
static void end_dead_frames(hook_thread *thread, uint64_t slot, uint64_t stub,
                            uint64_t *clock) {
  while (thread->depth > thread->base) {
    const shadow_entry *top = &thread->shadow[thread->depth - 1];
    if (top->slot > slot ||
        (top->slot == slot && *(const uint64_t *)(uintptr_t)slot == stub))
      return;
    if (top->slot < slot && snare_os_on_alternate_stack(top->slot) !=
                                snare_os_on_alternate_stack(slot))
      return;
    end_early(thread, clock);
  }
}

/* context: the trapped context of a trap-based hook, NULL when the entry
   trampoline called (the vector registers are then the function's). */
static void enter(snare_hook_record *hook, const uint64_t args[6],
                  uint64_t *slot, const void *context) {
  if (busy || !atomic_load_explicit(&hook->active, memory_order_relaxed))
    return;
  busy = true;
  hook_thread *thread = hook->catches_exit ? this_thread() : NULL;
  uint64_t stub = thread != NULL ? snare_hook_exit_stub() : 0;
  if (jumped_back_to_entry(thread, hook, slot, stub)) {
    busy = false;
    return;
  }
  /* A hook that only records counts its calls in its stream. */
  if (!hook->counted_in_stream)
    atomic_fetch_add_explicit(&hook->calls, 1, memory_order_relaxed);
  /* Whether the clock is read here was decided with the hook (hook.c). */
  uint64_t now = hook->clock_at_entry ? snare_os_now_ns() : 0;
  if (stub != 0 && thread->depth > thread->base &&
      thread->shadow[thread->depth - 1].slot <= (uint64_t)(uintptr_t)slot) {
    uint64_t clock = now;
    end_dead_frames(thread, (uint64_t)(uintptr_t)slot, stub, &clock);
  }
  if (thread != NULL && hook->options.trace)
    trace(hook, thread, false, now);
  bool records_entry = hook->options.record && stub != 0 &&
                       thread->depth < SHADOW_DEPTH;
  /* A recording hook calls back after its recording's decision (below);
     when it cannot record this call, only if not just for recorded ones. */
  bool recorded_only =
      hook->options.record && hook->options.callback_recorded_only;
  if (hook->options.callback != NULL && !records_entry && !recorded_only)
    callback(hook, thread, false, now, args, 0);
  if (stub != 0 && thread->depth < SHADOW_DEPTH) {
    /* A call the record-time filters leave out, of a hook that does
       nothing else, is not worth its exit: the return stays as it is. */
    if (hook->options.record &&
        !snare_record_entry(hook, args, slot, context, hook->records_only)) {
      busy = false;
      return;
    }
    /* After the recording's decision, which it is told (as uftrace's
       scripts run on the calls its filters record). */
    if (hook->options.callback != NULL && hook->options.record) {
      unsigned unused;
      if (now == 0 && snare_record_decided(0, &unused))
        now = snare_os_now_ns();
      callback(hook, thread, false, now, args, 0);
    }
    shadow_entry *entry = &thread->shadow[thread->depth];
    entry->hook = hook;
    entry->slot = (uint64_t)(uintptr_t)slot;
    entry->real_return = *slot;
    entry->start_ns = now;
    entry->children_ns = 0;
    entry->revealed = false;
    entry->stack = thread->stack;
    /* Only timing needs to know; counting costs the others nothing. */
    entry->recursive = hook->options.time && activate(thread, hook);
    thread->depth++;
    *slot = stub;
  }
  busy = false;
}

void snare_hook_enter_saved(snare_hook_record *hook, uint64_t *saved) {
  const uint64_t args[6] = {
      saved[SNARE_HOOK_SAVED_RDI], saved[SNARE_HOOK_SAVED_RSI],
      saved[SNARE_HOOK_SAVED_RDX], saved[SNARE_HOOK_SAVED_RCX],
      saved[SNARE_HOOK_SAVED_R8],  saved[SNARE_HOOK_SAVED_R9],
  };
  enter(hook, args, &saved[SNARE_HOOK_SAVED_RETURN], NULL);
}

void snare_hook_enter_trapped(snare_hook_record *hook, void *context) {
  static const snare_register order[6] = {SNARE_REG_RDI, SNARE_REG_RSI,
                                          SNARE_REG_RDX, SNARE_REG_RCX,
                                          SNARE_REG_R8,  SNARE_REG_R9};
  uint64_t args[6];
  for (int i = 0; i < 6; i++)
    args[i] = snare_arch_register_get(context, order[i]);
  uint64_t sp = snare_arch_register_get(context, SNARE_REG_RSP);
  enter(hook, args, (uint64_t *)(uintptr_t)sp, context); /* its own stack */
}

/* The time of this exit, read at most once, and only for hooks that
   time, trace or call back: counting alone needs no clock, a recording
   reads its own. */
static uint64_t exit_time(const snare_hook_record *hook, uint64_t *now) {
  if (*now == 0 && hook->clock_at_exit)
    *now = snare_os_now_ns();
  return *now;
}

/* Pops the top frame and accounts its time up to *clock (read when
   needed); returns its hook. */
static snare_hook_record *pop_timed(hook_thread *thread, uint64_t *clock) {
  shadow_entry *entry = &thread->shadow[--thread->depth];
  snare_hook_record *hook = entry->hook;
  uint64_t now = exit_time(hook, clock);
  if (hook->options.time) {
    uint64_t elapsed = now - entry->start_ns;
    uint64_t self_ns = elapsed > entry->children_ns
                           ? elapsed - entry->children_ns
                           : 0;
    atomic_fetch_add_explicit(&hook->self_ns, self_ns, memory_order_relaxed);
    if (!entry->recursive)
      atomic_fetch_add_explicit(&hook->inclusive_ns, elapsed,
                                memory_order_relaxed);
    if (thread->depth > thread->base)
      thread->shadow[thread->depth - 1].children_ns += elapsed;
    deactivate(thread, hook);
  }
  return hook;
}

/* Accounts a frame as exited at *clock (read when needed) and pops it;
   `returned`: it returned return_value, else it ended without. */
static void leave(hook_thread *thread, uint64_t *clock, bool returned,
                  uint64_t return_value) {
  snare_hook_record *hook = pop_timed(thread, clock);
  uint64_t now = exit_time(hook, clock);
  if (hook->options.trace)
    trace(hook, thread, true, now);
  if (hook->options.record)
    snare_record_exit(hook, returned, return_value);
  if (hook->options.callback != NULL && hook->options.callback_on_exit &&
      atomic_load_explicit(&hook->active, memory_order_relaxed))
    callback(hook, thread, true, now, NULL, return_value);
}

/* A hooked function's tail call into another hooked one enters it at the
   same slot, which holds the stub already: that frame's real return is
   the stub (its exit runs the outer frame's), and the slot's real return
   is the one the outermost frame at it keeps. */
static bool tail_called(const shadow_entry *entry, uint64_t stub) {
  return entry->real_return == stub;
}

uint64_t snare_hook_real_return(uint64_t slot, uint64_t value) {
  const hook_thread *thread = self;
  uint64_t stub = snare_hook_exit_stub();
  for (unsigned i = thread != NULL ? thread->depth : 0; i-- > 0;)
    if (thread->shadow[i].slot == slot &&
        !tail_called(&thread->shadow[i], stub))
      return thread->shadow[i].real_return;
  return value;
}

uint64_t snare_hook_exit_saved(uint64_t *block) {
  hook_thread *thread = self;
  /* The hooked function's ret popped our stub's address from the very
     word the stub now keeps its return slot in. */
  uint64_t slot = (uint64_t)(uintptr_t)&block[SNARE_HOOK_EXIT_SLOT];
  if (thread == NULL)
    snare_os_fatal("snare: a hooked return found no shadow stack entry\n");
  bool was_busy = busy;
  busy = true;
  uint64_t now = 0;
  /* Frames deeper than this one were left by longjmp, an exception or a
     return an unwinder saw: they end now. */
  unsigned at =
      thread->depth > 0 && thread->shadow[thread->depth - 1].slot == slot
          ? thread->depth - 1
          : frame_at(thread, slot);
  if (at == NO_FRAME) {
    busy = was_busy;
    return ended_return(thread, slot);
  }
  while (thread->depth - 1 > at)
    end_early(thread, &now);
  uint64_t real_return = thread->shadow[thread->depth - 1].real_return;
  leave(thread, &now, true, block[SNARE_HOOK_SAVED_RAX]);
  busy = was_busy;
  return real_return;
}

/* The caller's return slot is `sp`: frames of the running stack at or
   below it have ended. */
static void end_frames_below(hook_thread *thread, uint64_t sp) {
  uint64_t clock = 0;
  end_dead_frames(thread, sp, 0, &clock);
}

void snare_hook_frames_reveal(uint64_t sp) {
  hook_thread *thread = self;
  uint64_t stub = snare_hook_exit_stub();
  if (thread == NULL || busy)
    return;
  busy = true;
  end_frames_below(thread, sp);
  for (unsigned i = thread->base; i < thread->depth; i++) {
    shadow_entry *entry = &thread->shadow[i];
    if (!entry->revealed && !tail_called(entry, stub))
      *(uint64_t *)(uintptr_t)entry->slot = entry->real_return;
    entry->revealed = true;
  }
  busy = false;
}

void snare_hook_frames_rearm(uint64_t sp) {
  hook_thread *thread = self;
  uint64_t stub = snare_hook_exit_stub();
  if (thread == NULL || busy || stub == 0)
    return;
  busy = true;
  end_frames_below(thread, sp);
  for (unsigned i = thread->base; i < thread->depth; i++) {
    shadow_entry *entry = &thread->shadow[i];
    if (entry->revealed)
      *(uint64_t *)(uintptr_t)entry->slot = stub;
    entry->revealed = false;
  }
  busy = false;
}

void snare_hook_stack_switch(const void *from, const void *to) {
  hook_thread *thread = self;
  if (thread == NULL || busy)
    return;
  busy = true;
  uint64_t saved = from != NULL ? (uint64_t)(uintptr_t)from : thread->stack;
  for (unsigned i = thread->base; i < thread->depth; i++)
    thread->shadow[i].stack = saved;
  thread->stack = saved;
  run_stack(thread, (uint64_t)(uintptr_t)to);
  busy = false;
}

void snare_hook_frames_end(void) {
  hook_thread *thread = self;
  if (thread == NULL || busy)
    return;
  busy = true;
  /* Only the running stack's slots are surely still there. */
  for (unsigned i = thread->base; i < thread->depth; i++)
    *(uint64_t *)(uintptr_t)thread->shadow[i].slot =
        thread->shadow[i].real_return;
  /* Their time counts; to traces and exit callbacks they never
     returned (they are still running when the process ends). */
  uint64_t now = 0;
  thread->base = 0;
  while (thread->depth > 0)
    pop_timed(thread, &now);
  busy = false;
}

/* Permanently busy: every hook's entry passes through at once. */
void snare_hook_ignore_thread(void) { busy = true; }

/* At thread exit (pthread_exit included) every frame left ends. */
static void thread_ended(void) {
  hook_thread *thread = self;
  if (thread == NULL)
    return;
  bool was_busy = busy;
  busy = true;
  uint64_t now = 0;
  thread->base = 0;
  while (thread->depth > 0)
    leave(thread, &now, false, 0);
  snare_record_thread_ended();
  self = NULL;
  snare_os_pages_free(thread, sizeof *thread);
  busy = was_busy;
}
