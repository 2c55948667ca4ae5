/*
 * hook_dispatch.c - what runs at every hooked entry and exit: counting,
 * the per-thread shadow stack of redirected returns, timing and tracing,
 * and the hook's callback. This is the hot path: no locks, no malloc.
 */
#include <string.h>

#include "hooks/hooks.h"
#include "internal/arch.h"
#include "internal/hook_arch.h"
#include "threads/threads.h"

#define SHADOW_DEPTH 1024

typedef struct shadow_entry {
  snare_hook_record *hook;
  uint64_t slot;        /* address of the return-address word */
  uint64_t real_return; /* what the slot held */
  uint64_t start_ns;
  uint64_t children_ns;
  bool recursive;       /* the hook is active lower on this thread */
} shadow_entry;

typedef struct hook_thread {
  unsigned serial;
  unsigned depth;
  shadow_entry shadow[SHADOW_DEPTH];
} hook_thread;

/* Initial-exec TLS: reading it never allocates, so hooks may fire inside
   malloc or the dynamic loader. */
#define HOOK_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static HOOK_TLS bool busy;
static HOOK_TLS hook_thread *self;
static _Atomic unsigned last_serial;

static hook_thread *this_thread(void) {
  if (self == NULL) {
    self = snare_os_pages_alloc(sizeof *self);
    if (self != NULL)
      self->serial = atomic_fetch_add(&last_serial, 1) + 1;
  }
  return self;
}

static void describe(snare_hook_call *call, const snare_hook_record *hook,
                     const hook_thread *thread, bool exit, uint64_t now) {
  snare_thread *attached = snare_threads_current();
  call->hook = hook->id;
  call->function = hook->function;
  call->exit = exit;
  call->depth = thread ? thread->depth : 0;
  call->thread = attached ? attached->id : 0;
  call->hook_thread = thread ? thread->serial : 0;
  call->timestamp_ns = now;
}

static void trace(const snare_hook_record *hook, const hook_thread *thread,
                  bool exit, uint64_t now) {
  snare_trace_event event = {now, hook->function, hook->id,
                             thread->serial, thread->depth, exit};
  snare_trace_push(&event);
}

static bool on_stack(const hook_thread *thread, const snare_hook_record *hook) {
  for (unsigned i = 0; i < thread->depth; i++)
    if (thread->shadow[i].hook == hook)
      return true;
  return false;
}

static void enter(snare_hook_record *hook, const uint64_t args[6],
                  uint64_t *slot) {
  if (busy || !atomic_load_explicit(&hook->active, memory_order_relaxed))
    return;
  busy = true;
  atomic_fetch_add_explicit(&hook->calls, 1, memory_order_relaxed);
  hook_thread *thread = hook->catches_exit ? this_thread() : NULL;
  uint64_t now = (hook->options.time || hook->options.trace)
                     ? snare_os_now_ns()
                     : 0;
  if (thread != NULL && hook->options.trace)
    trace(hook, thread, false, now);
  if (hook->options.callback != NULL) {
    snare_hook_call call;
    describe(&call, hook, thread, false, now);
    memcpy(call.arguments, args, sizeof call.arguments);
    call.return_value = 0;
    hook->options.callback(&call, hook->options.data);
  }
  uint64_t stub = thread != NULL ? snare_hook_exit_stub() : 0;
  if (stub != 0 && thread->depth < SHADOW_DEPTH) {
    shadow_entry *entry = &thread->shadow[thread->depth];
    entry->hook = hook;
    entry->slot = (uint64_t)(uintptr_t)slot;
    entry->real_return = *slot;
    entry->start_ns = now;
    entry->children_ns = 0;
    entry->recursive = on_stack(thread, hook);
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

/* Accounts a frame as exited at `now` and pops it. */
static void leave(hook_thread *thread, uint64_t now, uint64_t return_value) {
  shadow_entry *entry = &thread->shadow[--thread->depth];
  snare_hook_record *hook = entry->hook;
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
  }
  if (hook->options.trace)
    trace(hook, thread, true, now);
  if (hook->options.callback != NULL && hook->options.callback_on_exit &&
      atomic_load_explicit(&hook->active, memory_order_relaxed)) {
    snare_hook_call call;
    describe(&call, hook, thread, true, now);
    memset(call.arguments, 0, sizeof call.arguments);
    call.return_value = return_value;
    hook->options.callback(&call, hook->options.data);
  }
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
  uint64_t now = snare_os_now_ns();
  /* Frames deeper than this one were left by longjmp: they end now. */
  while (thread->depth > 1 && thread->shadow[thread->depth - 1].slot < slot)
    leave(thread, now, 0);
  uint64_t real_return = thread->shadow[thread->depth - 1].real_return;
  leave(thread, now, block[SNARE_HOOK_EXIT_RAX]);
  busy = was_busy;
  return real_return;
}
