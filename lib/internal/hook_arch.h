/*
 * hook_arch.h - what function hooks ask of the architecture: how many
 * bytes of a function's start a jump replaces, and the code of the entry
 * trampoline and the shared exit stub. Implemented in
 * arch/x86_64/trampoline.c, the prologue analysis and relocation in
 * arch/x86_64/relocate.c, the branch sweep in arch/x86_64/branch_scan.c.
 */
#ifndef SNARE_INTERNAL_HOOK_ARCH_H
#define SNARE_INTERNAL_HOOK_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Bytes of code one entry trampoline and the exit stub may take. */
#define SNARE_ARCH_TRAMPOLINE_SIZE 256
/* Size of the jump patched over a function's first instructions. */
#define SNARE_ARCH_JUMP_SIZE 5

/*
 * The block of registers the entry and exit stubs save, lowest address
 * first: rbx (which the stubs use), the caller-saved general registers
 * and the flags. The C code they call keeps the other callee-saved
 * registers and, built without vector code, the vector, x87 and MXCSR
 * state (arch/x86_64/trampoline.c says why that is enough).
 */
enum {
  SNARE_HOOK_SAVED_RBX, SNARE_HOOK_SAVED_R10, SNARE_HOOK_SAVED_R9,
  SNARE_HOOK_SAVED_R8,  SNARE_HOOK_SAVED_RDI, SNARE_HOOK_SAVED_RSI,
  SNARE_HOOK_SAVED_RDX, SNARE_HOOK_SAVED_RCX, SNARE_HOOK_SAVED_FLAGS,
  SNARE_HOOK_SAVED_TRAMPOLINE, /* the entry stub's return (exit: a pad) */
  SNARE_HOOK_SAVED_R11, SNARE_HOOK_SAVED_RAX,
  /* Then, at the entry, the word at rsp at the function's entry (the
     caller's return address, or the exit stub's after a jump back to the
     entry); at the exit, the word the hooked function's ret popped,
     where the stub puts the real return address. */
  SNARE_HOOK_SAVED_RETURN,
  SNARE_HOOK_EXIT_SLOT = SNARE_HOOK_SAVED_RETURN,
};

/* Where the jump over a function's first instructions goes. */
typedef struct snare_hook_window {
  size_t offset; /* from the function's start: past an entry marker that
                    must stay first (endbr64, for indirect calls) */
  size_t length; /* bytes the jump replaces from there: whole instructions */
  bool loops_to_entry; /* a branch of the function goes back to its entry,
                          so an entry there is not always a call */
  snare_hook_fallback refusal; /* SNARE_HOOK_JUMP when a jump fits */
} snare_hook_window;

/*
 * Decides where a jump goes at the start of `code` (the function's
 * original bytes, `size` of them: the whole function, then `padding`
 * bytes up to the next known function): whole instructions covering
 * SNARE_ARCH_JUMP_SIZE bytes that can run relocated and that no branch of
 * the function targets, except at the window's first byte. A function
 * shorter than the jump may lend it the alignment padding after it.
 * UNSUPPORTED when that is impossible (out->refusal says why): the caller
 * falls back to a trap.
 */
SNARE_HIDDEN snare_status snare_arch_hook_prologue(uint64_t fn,
                                                   const uint8_t *code,
                                                   size_t size,
                                                   size_t padding,
                                                   snare_hook_window *out);

/*
 * Sweeps `size` bytes of code at addr linearly and calls found(from, to,
 * arg) for every direct branch and call, from the instruction's address
 * to its target. Bytes that do not decode are skipped one at a time.
 * False if the decoder cannot start.
 */
SNARE_HIDDEN bool snare_arch_direct_branches(
    uint64_t addr, const uint8_t *code, size_t size,
    void (*found)(uint64_t from, uint64_t to, void *arg), void *arg);

/*
 * Writes into buf (for address `at`) an entry trampoline that calls the
 * shared entry stub at `entry_stub` for `hook`, then runs the `length`
 * relocated original bytes at fn (the window's start) and jumps back to
 * fn+length. With `offsets` (length entries, or NULL): offsets[k] is where
 * the relocated instruction that began at byte k lies in the trampoline,
 * 0 where no instruction began (for threads caught inside the bytes the
 * jump replaces). Returns the bytes written, 0 if they do not fit or
 * relocation fails.
 */
SNARE_HIDDEN size_t snare_arch_hook_trampoline(uint8_t *buf, size_t cap,
                                               uint64_t at, uint64_t fn,
                                               const uint8_t *original,
                                               size_t length, uint64_t hook,
                                               uint64_t entry_stub,
                                               size_t *offsets);

/*
 * Writes the shared entry stub every trampoline calls: it saves the
 * register block above, calls enter(hook, block) on an aligned stack,
 * restores and returns into the trampoline.
 */
SNARE_HIDDEN size_t snare_arch_hook_entry_stub(uint8_t *buf, size_t cap,
                                               uint64_t enter);

/*
 * Writes the exit stub: where redirected returns land. It saves the
 * register block, calls exit(block), which returns the real return
 * address, and returns there.
 */
SNARE_HIDDEN size_t snare_arch_hook_exit_stub(uint8_t *buf, size_t cap,
                                              uint64_t exit);

/*
 * Calls fn(arg) with the whole extended register state (vector registers
 * at full width, x87, MXCSR: every XSAVE component the OS enabled) saved
 * before and restored after, on a stack aligned for it. The hook
 * dispatcher, which touches no such register itself, runs everything
 * else through it: the user's callback, and any library code.
 */
SNARE_HIDDEN void snare_arch_call_saving_state(void (*fn)(void *arg),
                                               void *arg);
/* As snare_arch_call_saving_state, for a caller that saved and restores
   the x87 and SSE state itself (an FXSAVE image, by FXSAVE or by moves
   where the x87 is in its initial state): every other component (vector
   registers' upper parts, AVX-512's, mask registers...). */
SNARE_HIDDEN void snare_arch_call_saving_vector_state(void (*fn)(void *arg),
                                                      void *arg);

/*
 * Writes a trampoline for a site in the middle of code: it saves the
 * whole machine context (as a signal handler receives it, pc = site),
 * calls handler(arg, context), restores the context (registers the
 * handler changed included, the pc excepted) and jumps to `resume`.
 * Returns the bytes written, 0 if they do not fit in cap.
 */
SNARE_HIDDEN size_t snare_arch_context_trampoline(uint8_t *buf, size_t cap,
                                                  uint64_t site,
                                                  uint64_t resume,
                                                  uint64_t arg,
                                                  uint64_t handler);

/*
 * As snare_arch_context_trampoline, for a conditional breakpoint: the
 * handler returns true to stop the thread, which then runs into a trap at
 * buf + *stop_trap with every register as at the site (the signal
 * handler makes the stop); false resumes at `resume`.
 */
SNARE_HIDDEN size_t snare_arch_breakpoint_trampoline(uint8_t *buf, size_t cap,
                                                     uint64_t site,
                                                     uint64_t resume,
                                                     uint64_t arg,
                                                     uint64_t handler,
                                                     size_t *stop_trap);

/*
 * Where a jump may replace the instruction at fn + offset inside the
 * function (code: its `size` original bytes): whole instructions from
 * there covering SNARE_ARCH_JUMP_SIZE bytes, within the function, that
 * can run relocated, with no branch of the function into them past the
 * first byte and no indirect jump in the function (a jump table's
 * targets are not known). UNSUPPORTED with out->refusal saying why.
 */
SNARE_HIDDEN snare_status snare_arch_site_window(uint64_t fn,
                                                 const uint8_t *code,
                                                 size_t size, size_t offset,
                                                 snare_hook_window *out);

/*
 * Writes into buf (for address `at`) the `length` bytes of instructions
 * at `from` (their original bytes), relocated to run there as they did
 * at `from`, then a jump back to from+length. placed[k] (length entries,
 * or NULL) is the offset in buf of the instruction that began at byte k,
 * SIZE_MAX where none began. Returns the bytes written, 0 on failure.
 */
SNARE_HIDDEN size_t snare_arch_relocate(uint8_t *buf, size_t cap, uint64_t at,
                                        uint64_t from, const uint8_t *original,
                                        size_t length, size_t *placed);

/* The jump from `from` to `to` (which must be within +-2 GiB). */
SNARE_HIDDEN void snare_arch_hook_jump(uint8_t out[SNARE_ARCH_JUMP_SIZE],
                                       uint64_t from, uint64_t to);

#endif
