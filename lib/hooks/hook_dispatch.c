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

typedef struct shadow_entry {
  snare_hook_record *hook;
  uint64_t slot;        /* address of the return-address word */
  uint64_t real_return; /* what the slot held */
  uint64_t start_ns;
  uint64_t children_ns;
  bool recursive;       /* the hook is active lower on this thread */
} shadow_entry;

/* How many frames of one timed hook are on the thread's shadow stack. */
typedef struct active_hook {
  const snare_hook_record *hook; /* NULL: a free slot */
  unsigned frames;
} active_hook;

typedef struct hook_thread {
  unsigned serial;
  unsigned depth;
  shadow_entry shadow[SHADOW_DEPTH];
  active_hook active[ACTIVE_SLOTS];
} hook_thread;

/* Initial-exec TLS: reading it never allocates, so hooks may fire inside
   malloc or the dynamic loader. */
#define HOOK_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static HOOK_TLS bool busy;
static HOOK_TLS hook_thread *self;
static _Atomic unsigned last_serial;

/* Runs through snare_arch_call_saving_state: mmap is library code. */
static void allocate_thread(void *unused) {
  (void)unused;
  self = snare_os_pages_alloc(sizeof *self);
  if (self != NULL)
    self->serial = atomic_fetch_add(&last_serial, 1) + 1;
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
                             thread->serial, thread->depth, exit};
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
  snare_hook_call call = {
      .hook = hook->id,
      .function = hook->function,
      .exit = run->exit,
      .depth = run->thread ? run->thread->depth : 0,
      .thread = attached ? attached->id : 0,
      .hook_thread = run->thread ? run->thread->serial : 0,
      .timestamp_ns = run->now,
      .return_value = run->return_value,
  };
  if (run->args != NULL)
    memcpy(call.arguments, run->args, sizeof call.arguments);
  hook->options.callback(&call, hook->options.data);
}

static void callback(const snare_hook_record *hook, const hook_thread *thread,
                     bool exit, uint64_t now, const uint64_t *args,
                     uint64_t return_value) {
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
  if (thread == NULL || thread->depth == 0)
    return false;
  const shadow_entry *top = &thread->shadow[thread->depth - 1];
  return top->hook == hook && top->slot == (uint64_t)(uintptr_t)slot &&
         *slot == stub;
}

static void enter(snare_hook_record *hook, const uint64_t args[6],
                  uint64_t *slot) {
  if (busy || !atomic_load_explicit(&hook->active, memory_order_relaxed))
    return;
  busy = true;
  hook_thread *thread = hook->catches_exit ? this_thread() : NULL;
  uint64_t stub = thread != NULL ? snare_hook_exit_stub() : 0;
  if (jumped_back_to_entry(thread, hook, slot, stub)) {
    busy = false;
    return;
  }
  atomic_fetch_add_explicit(&hook->calls, 1, memory_order_relaxed);
  uint64_t now = (hook->options.time || hook->options.trace)
                     ? snare_os_now_ns()
                     : 0;
  if (thread != NULL && hook->options.trace)
    trace(hook, thread, false, now);
  if (hook->options.callback != NULL)
    callback(hook, thread, false, now, args, 0);
  if (stub != 0 && thread->depth < SHADOW_DEPTH) {
    shadow_entry *entry = &thread->shadow[thread->depth];
    entry->hook = hook;
    entry->slot = (uint64_t)(uintptr_t)slot;
    entry->real_return = *slot;
    entry->start_ns = now;
    entry->children_ns = 0;
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
  enter(hook, args, &saved[SNARE_HOOK_SAVED_RETURN]);
}

void snare_hook_enter_trapped(snare_hook_record *hook, void *context) {
  static const snare_register order[6] = {SNARE_REG_RDI, SNARE_REG_RSI,
                                          SNARE_REG_RDX, SNARE_REG_RCX,
                                          SNARE_REG_R8,  SNARE_REG_R9};
  uint64_t args[6];
  for (int i = 0; i < 6; i++)
    args[i] = snare_arch_register_get(context, order[i]);
  uint64_t sp = snare_arch_register_get(context, SNARE_REG_RSP);
  enter(hook, args, (uint64_t *)(uintptr_t)sp); /* the thread's own stack */
}

/* The time of this exit, read at most once, and only for hooks that
   time, trace or call back: counting alone needs no clock. */
static uint64_t exit_time(const snare_hook_record *hook, uint64_t *now) {
  if (*now == 0 &&
      (hook->options.time || hook->options.trace || hook->options.callback))
    *now = snare_os_now_ns();
  return *now;
}

/* Accounts a frame as exited at *now (read when needed) and pops it. */
static void leave(hook_thread *thread, uint64_t *clock,
                  uint64_t return_value) {
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
    if (thread->depth > 0)
      thread->shadow[thread->depth - 1].children_ns += elapsed;
    deactivate(thread, hook);
  }
  if (hook->options.trace)
    trace(hook, thread, true, now);
  if (hook->options.callback != NULL && hook->options.callback_on_exit &&
      atomic_load_explicit(&hook->active, memory_order_relaxed))
    callback(hook, thread, true, now, NULL, return_value);
}

uint64_t snare_hook_real_return(uint64_t slot, uint64_t value) {
  const hook_thread *thread = self;
  for (unsigned i = thread != NULL ? thread->depth : 0; i-- > 0;)
    if (thread->shadow[i].slot == slot)
      return thread->shadow[i].real_return;
  return value;
}

uint64_t snare_hook_exit_saved(uint64_t *block) {
  hook_thread *thread = self;
  /* The hooked function's ret popped our stub's address from the very
     word the stub now keeps its return slot in. */
  uint64_t slot = (uint64_t)(uintptr_t)&block[SNARE_HOOK_EXIT_SLOT];
  if (thread == NULL || thread->depth == 0)
    snare_os_fatal("snare: a hooked return found no shadow stack entry\n");
  bool was_busy = busy;
  busy = true;
  uint64_t now = 0;
  /* Frames deeper than this one were left by longjmp: they end now. */
  while (thread->depth > 1 && thread->shadow[thread->depth - 1].slot < slot)
    leave(thread, &now, 0);
  uint64_t real_return = thread->shadow[thread->depth - 1].real_return;
  leave(thread, &now, block[SNARE_HOOK_SAVED_RAX]);
  busy = was_busy;
  return real_return;
}
