/*
 * hook_dispatch.c - what runs at every hooked entry and exit: counting,
 * the per-thread shadow stack of redirected returns, timing and tracing,
 * and the hook's callback. This is the hot path: no locks, no malloc.
 */
#include <string.h>

#include "internal/arch.h"
#include "internal/core.h"
#include "internal/hook_arch.h"
#include "internal/hooks.h"

#define SHADOW_DEPTH 1024
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

typedef struct hook_thread {
  unsigned serial;
  unsigned depth;
  /* Entries below `base` belong to stacks switched away from (coroutines,
     see snare_hook_stack_switch); those from base up to the running
     stack, tagged `stack`. */
  unsigned base;
  uint64_t stack;
  shadow_entry shadow[SHADOW_DEPTH];
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

static hook_thread *this_thread(void) {
  if (self == NULL) {
    self = snare_os_pages_alloc(sizeof *self);
    if (self != NULL) {
      self->serial = atomic_fetch_add(&last_serial, 1) + 1;
      snare_os_thread_at_exit(thread_ended);
    }
  }
  return self;
}

static void describe(snare_hook_call *call, const snare_hook_record *hook,
                     const hook_thread *thread, bool exit, uint64_t now) {
  snare_thread *attached = snare_threads_current();
  call->hook = hook->id;
  call->function = hook->function;
  call->exit = exit;
  call->depth = thread ? thread->depth - thread->base : 0;
  call->thread = attached ? attached->id : 0;
  call->hook_thread = thread ? thread->serial : 0;
  call->timestamp_ns = now;
}

static void trace(const snare_hook_record *hook, const hook_thread *thread,
                  bool exit, uint64_t now) {
  snare_trace_event event = {now, hook->function, hook->id,
                             thread->serial, thread->depth - thread->base,
                             exit};
  snare_trace_push(&event);
}

static bool on_stack(const hook_thread *thread, const snare_hook_record *hook) {
  for (unsigned i = thread->base; i < thread->depth; i++)
    if (thread->shadow[i].hook == hook)
      return true;
  return false;
}

/* ---- frames that ended without their return: resynchronising by
   stack pointer, stack switches, unwinders, thread exit ---- */

static void leave(hook_thread *thread, uint64_t now, uint64_t return_value);

/* Makes the frames of `stack` the running ones: they move above the
   others, keeping their order. */
static void activate(hook_thread *thread, uint64_t stack) {
  unsigned top = thread->depth;
  for (unsigned i = thread->depth; i-- > 0;)
    if (thread->shadow[i].stack == stack) {
      shadow_entry moved = thread->shadow[i];
      memmove(&thread->shadow[i], &thread->shadow[i + 1],
              (top - 1 - i) * sizeof moved);
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
      activate(thread, thread->shadow[i].stack);
      return frame_at(thread, slot);
    }
  return NO_FRAME;
}

/* Ends the innermost frame, which did not return, keeping where it
   would have. */
static void end_early(hook_thread *thread, uint64_t now) {
  const shadow_entry *top = &thread->shadow[thread->depth - 1];
  unsigned at = thread->ended_next++ % ENDED_KEPT;
  thread->ended[at].slot = top->slot;
  thread->ended[at].real_return = top->real_return;
  leave(thread, now, 0);
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
                            uint64_t now) {
  while (thread->depth > thread->base) {
    const shadow_entry *top = &thread->shadow[thread->depth - 1];
    if (top->slot > slot ||
        (top->slot == slot && *(const uint64_t *)(uintptr_t)slot == stub))
      return;
    if (top->slot < slot && snare_os_on_alternate_stack(top->slot) !=
                                snare_os_on_alternate_stack(slot))
      return;
    end_early(thread, now);
  }
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
  uint64_t stub = thread != NULL ? snare_hook_exit_stub() : 0;
  if (stub != 0 && thread->depth > thread->base &&
      thread->shadow[thread->depth - 1].slot <= (uint64_t)(uintptr_t)slot)
    end_dead_frames(thread, (uint64_t)(uintptr_t)slot, stub,
                    now != 0 ? now : snare_os_now_ns());
  if (thread != NULL && hook->options.trace)
    trace(hook, thread, false, now);
  if (hook->options.callback != NULL) {
    snare_hook_call call;
    describe(&call, hook, thread, false, now);
    memcpy(call.arguments, args, sizeof call.arguments);
    call.return_value = 0;
    hook->options.callback(&call, hook->options.data);
  }
  if (stub != 0 && thread->depth < SHADOW_DEPTH) {
    shadow_entry *entry = &thread->shadow[thread->depth];
    entry->hook = hook;
    entry->slot = (uint64_t)(uintptr_t)slot;
    entry->real_return = *slot;
    entry->start_ns = now;
    entry->children_ns = 0;
    entry->recursive = on_stack(thread, hook);
    entry->revealed = false;
    entry->stack = thread->stack;
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
    if (thread->depth > thread->base)
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
  if (thread == NULL)
    snare_os_fatal("snare: a hooked return found no shadow stack entry\n");
  bool was_busy = busy;
  busy = true;
  uint64_t now = snare_os_now_ns();
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
    end_early(thread, now);
  uint64_t real_return = thread->shadow[thread->depth - 1].real_return;
  leave(thread, now, block[SNARE_HOOK_EXIT_RAX]);
  busy = was_busy;
  return real_return;
}

/* The caller's return slot is `sp`: frames of the running stack at or
   below it have ended. */
static void end_frames_below(hook_thread *thread, uint64_t sp) {
  end_dead_frames(thread, sp, 0, snare_os_now_ns());
}

void snare_hook_frames_reveal(uint64_t sp) {
  hook_thread *thread = self;
  if (thread == NULL || busy)
    return;
  busy = true;
  end_frames_below(thread, sp);
  for (unsigned i = thread->base; i < thread->depth; i++) {
    shadow_entry *entry = &thread->shadow[i];
    if (!entry->revealed)
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
  activate(thread, (uint64_t)(uintptr_t)to);
  busy = false;
}

/* At thread exit (pthread_exit included) every frame left ends. */
static void thread_ended(void) {
  hook_thread *thread = self;
  if (thread == NULL)
    return;
  bool was_busy = busy;
  busy = true;
  uint64_t now = snare_os_now_ns();
  thread->base = 0;
  while (thread->depth > 0)
    leave(thread, now, 0);
  self = NULL;
  snare_os_pages_free(thread, sizeof *thread);
  busy = was_busy;
}
