/*
 * hooks.h - the hooks subsystem: function hooks (hook.c installs them,
 * hook_dispatch.c runs at every hooked entry and exit, trace_buffer.c
 * keeps their events): the record a trampoline or a trap site points
 * at, and the dispatchers they call.
 */
#ifndef SNARE_HOOKS_HOOKS_H
#define SNARE_HOOKS_HOOKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "internal/hook_arch.h"
#include "snare.h"

/* Allocated 64-byte aligned: what a call reads, from active through
   options, fits in the first cache line. */
typedef struct snare_hook_record {
  _Atomic bool active; /* false once removed: dispatchers do nothing */
  bool catches_exit;
  /* Derived from options when the hook is made (hook.c), one byte: */
  bool counted_in_stream : 1; /* it only records: its stream counts its
                                 calls */
  bool records_only : 1; /* nothing but the recording needs its exit */
  bool clock_at_entry : 1; /* its entry reads the clock (the time, trace
                              or callback needs it) */
  bool clock_at_exit : 1;  /* and its exit: it times, traces or calls back */
  int id;
  _Atomic uint64_t calls;
  uint64_t function;
  snare_hook_options options;
  bool trampoline;
  snare_hook_fallback fallback; /* why not, when not a trampoline */
  bool loops_to_entry; /* the function branches back to its entry: such
                          hooks catch exits (hook.c) */
  uint64_t entry; /* the trampoline, when there is one */
  _Atomic uint64_t inclusive_ns;
  _Atomic uint64_t self_ns;
  size_t patch_offset; /* the jump's place past the function's start */
  size_t patch_length;
  uint8_t original[16];
} snare_hook_record;

/* A call reads up to the options' data (the callback's): all in the
   first cache line. */
_Static_assert(offsetof(snare_hook_record, options) +
                       offsetof(snare_hook_options, data) + sizeof(void *) <=
                   64,
               "a hooked call reads one cache line of its record");

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

/*
 * Room for `size` bytes of generated code within reach (+-2 GiB) of
 * `near`, never freed (threads may run in it long after its hook is
 * gone); 0 if none. Under the global lock.
 */
SNARE_HIDDEN uint64_t snare_code_take(uint64_t near, size_t size);

/*
 * Bytes after a function's end (up to an instruction's worth) that no
 * known function claims: the padding a function shorter than the jump
 * may lend it.
 */
SNARE_HIDDEN size_t snare_hook_padding_after(uint64_t end);

/*
 * Decides where hook's jump goes in its function's original bytes (code:
 * size of them, then padding), then whether branches of other code or a
 * breakpoint forbid it. Returns SNARE_HOOK_JUMP, or why the hook must be
 * a trap; sets hook->loops_to_entry. Under the global lock.
 */
SNARE_HIDDEN snare_hook_fallback snare_hook_place_jump(
    snare_hook_record *hook, const uint8_t *code, uint64_t size,
    size_t padding, snare_hook_window *window);

/* True if a hook's jump covers part of [addr, addr+n). Under the global
   lock. */
SNARE_HIDDEN bool snare_hooks_jump_in(uint64_t addr, size_t n);
/* Append an entry (with the argument registers args, which may be NULL,
   and the return address's slot, above which lie stack arguments) or an
   exit (`returned`: with rax = value, else a frame that ended
   without returning) of hook's function, timed by the recordings' clock
   (snare_os_cycle_now_ns), to the calling
   thread's recording stream, while recording (record_buffer.c);
   signal-safe. context: a trap's, where the floating-point arguments
   are; NULL: they are in the vector registers still. With
   may_skip_exit, an entry returns false when its exit
   needs no recording (the record-time filters leave the call out, and
   what it calls is filtered as if it were not there): the caller then
   does not catch that exit. Otherwise it returns true. */
SNARE_HIDDEN bool snare_record_entry(const snare_hook_record *hook,
                                     const uint64_t *args,
                                     const uint64_t *slot,
                                     const void *context,
                                     bool may_skip_exit);
SNARE_HIDDEN void snare_record_exit(const snare_hook_record *hook,
                                    bool returned, uint64_t value);
/* The calling thread ends: its stream is complete. */
SNARE_HIDDEN void snare_record_thread_ended(void);
/* Whether the calling thread's last snare_record_entry or _exit recorded
   its event, and at which depth among its recorded calls (with
   record-time filters; else `depth`, the hooks' own). */
SNARE_HIDDEN bool snare_record_decided(unsigned depth, unsigned *record_depth);

/* Appends an event to the trace buffer; signal-safe. */
SNARE_HIDDEN void snare_trace_push(const snare_trace_event *event);

#endif
