/*
 * hooks.h - function hooks inside the core: the record a trampoline or a
 * trap site points at, and the dispatchers they call.
 */
#ifndef SNARE_INTERNAL_HOOKS_H
#define SNARE_INTERNAL_HOOKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Allocated 64-byte aligned: what a call reads, from active through
   options, fits in the first cache line. */
typedef struct snare_hook_record {
  _Atomic bool active; /* false once removed: dispatchers do nothing */
  bool catches_exit;
  int id;
  _Atomic uint64_t calls;
  uint64_t function;
  snare_hook_options options;
  bool trampoline;
  bool loops_to_entry; /* the function branches back to its entry: set by
                          the prologue analysis (branch reloc), so that
                          such hooks catch exits */
  uint64_t entry; /* the trampoline, when there is one */
  _Atomic uint64_t inclusive_ns;
  _Atomic uint64_t self_ns;
  size_t patch_length;
  uint8_t original[16];
} snare_hook_record;

/* Called by entry trampolines with the block of saved registers
   (hook_arch.h); must have the address the generated code calls. */
SNARE_HIDDEN void snare_hook_enter_saved(snare_hook_record *hook,
                                         uint64_t *saved);
/* Called by the exit stub; returns where the function really returns. */
SNARE_HIDDEN uint64_t snare_hook_exit_saved(uint64_t *block);
/* A trap-based hook fired: runs the entry dispatch on the trapped
   context (the caller then steps the original instruction). */
SNARE_HIDDEN void snare_hook_enter_trapped(snare_hook_record *hook,
                                           void *context);
/*
 * What the return-address word at `slot` of the calling thread's stack,
 * holding `value`, really returns to: a hook redirects the return of a
 * hooked call to its exit stub and keeps the caller's address on the
 * thread's shadow stack. Stack walks of the thread itself (a fault's, in
 * its signal handler) use it to show callers, not the stub.
 */
SNARE_HIDDEN uint64_t snare_hook_real_return(uint64_t slot, uint64_t value);
/* Address of the shared exit stub, generated on first use; 0 on failure. */
SNARE_HIDDEN uint64_t snare_hook_exit_stub(void);

/* Removes every active hook on a function starting in [start,
   start+size), e.g. when that code is unregistered or unloaded.
   Controller side; takes the global lock. */
SNARE_HIDDEN void snare_hooks_remove_range(uint64_t start, uint64_t size);

/*
 * Room for `size` bytes of generated code within reach (+-2 GiB) of
 * `near`, never freed (threads may run in it long after its hook is
 * gone); 0 if none. Under the global lock.
 */
SNARE_HIDDEN uint64_t snare_code_take(uint64_t near, size_t size);

/* Hooks installed and not removed; under the global lock. */
SNARE_HIDDEN size_t snare_hooks_active(void);

/* Appends an event to the trace buffer; signal-safe. */
SNARE_HIDDEN void snare_trace_push(const snare_trace_event *event);

#endif
