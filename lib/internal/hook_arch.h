/*
 * hook_arch.h - what function hooks ask of the architecture: how many
 * bytes of a function's start a jump replaces, and the code of the entry
 * trampoline and the shared exit stub. Implemented in
 * arch/x86_64/trampoline.c.
 */
#ifndef SNARE_INTERNAL_HOOK_ARCH_H
#define SNARE_INTERNAL_HOOK_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Bytes of code one entry trampoline and the exit stub may take. */
#define SNARE_ARCH_TRAMPOLINE_SIZE 256
/* Size of the jump patched over a function's first instructions. */
#define SNARE_ARCH_JUMP_SIZE 5

/*
 * The registers an entry trampoline saves, lowest address first, followed
 * by the caller's return-address slot (the stack word at entry).
 */
enum {
  SNARE_HOOK_SAVED_R11, SNARE_HOOK_SAVED_R10, SNARE_HOOK_SAVED_R9,
  SNARE_HOOK_SAVED_R8,  SNARE_HOOK_SAVED_RDI, SNARE_HOOK_SAVED_RSI,
  SNARE_HOOK_SAVED_RDX, SNARE_HOOK_SAVED_RCX, SNARE_HOOK_SAVED_RAX,
  SNARE_HOOK_SAVED_FLAGS, SNARE_HOOK_SAVED_RETURN
};
/* The exit stub's block: rdx, rax, then the slot for the real return. */
enum { SNARE_HOOK_EXIT_RDX, SNARE_HOOK_EXIT_RAX, SNARE_HOOK_EXIT_SLOT };

/*
 * Decides how many bytes at the start of `code` (the function's original
 * bytes, `size` of them: the whole function) a jump replaces: whole
 * instructions covering SNARE_ARCH_JUMP_SIZE bytes that can run elsewhere
 * and that no branch of the function targets (except its first byte).
 * UNSUPPORTED when that is impossible: the caller falls back to a trap.
 */
SNARE_HIDDEN snare_status snare_arch_hook_prologue(uint64_t fn,
                                                   const uint8_t *code,
                                                   size_t size,
                                                   size_t *length);

/*
 * Writes into buf (for address `at`) an entry trampoline that saves the
 * argument registers, calls enter(hook, saved) with the block above,
 * restores, runs the `length` relocated original bytes of fn and jumps
 * back to fn+length. Returns the bytes written, 0 if they do not fit or
 * relocation fails.
 */
SNARE_HIDDEN size_t snare_arch_hook_trampoline(uint8_t *buf, size_t cap,
                                               uint64_t at, uint64_t fn,
                                               const uint8_t *original,
                                               size_t length, uint64_t hook,
                                               uint64_t enter);

/*
 * For the trampoline snare_arch_hook_trampoline writes with the same
 * arguments: offsets[k] (k < length) is where the relocated instruction
 * that begins at byte k of the original lies in the trampoline, 0 where
 * no instruction begins. false if the bytes do not decode.
 */
SNARE_HIDDEN bool snare_arch_hook_relocated_offsets(uint64_t at, uint64_t fn,
                                                    const uint8_t *original,
                                                    size_t length,
                                                    uint64_t hook,
                                                    uint64_t enter,
                                                    size_t *offsets);

/*
 * Writes the exit stub: where redirected returns land. It saves the
 * return registers, calls exit(block) for the real return address and
 * returns there.
 */
SNARE_HIDDEN size_t snare_arch_hook_exit_stub(uint8_t *buf, size_t cap,
                                              uint64_t exit);

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

/* The jump from `from` to `to` (which must be within +-2 GiB). */
SNARE_HIDDEN void snare_arch_hook_jump(uint8_t out[SNARE_ARCH_JUMP_SIZE],
                                       uint64_t from, uint64_t to);

#endif
