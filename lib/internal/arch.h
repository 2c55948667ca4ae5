/*
 * arch.h - what the portable core asks of the processor architecture.
 * Each architecture implements these in its own folder (arch/x86_64/),
 * picked by the build. `context` is the saved machine context of a
 * stopped or trapped thread, as the OS layer hands it over. Functions
 * taking a context are signal-safe.
 */
#ifndef SNARE_INTERNAL_ARCH_H
#define SNARE_INTERNAL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

#define SNARE_ARCH_MAX_INSTRUCTION 15
/* Bytes of out-of-line code one displaced instruction may need. */
#define SNARE_ARCH_SLOT_SIZE 32

SNARE_HIDDEN uint64_t snare_arch_register_get(const void *context,
                                              snare_register reg);
SNARE_HIDDEN void snare_arch_register_set(void *context, snare_register reg,
                                          uint64_t value);
SNARE_HIDDEN bool snare_arch_vector_get(const void *context, unsigned index,
                                        uint8_t out[16]);
SNARE_HIDDEN void snare_arch_single_step(void *context, bool on);
/* What snare_thread_machine_state_read returns, from a trap's context
   (fs_base and gs_base left for the caller). */
SNARE_HIDDEN void snare_arch_machine_state(const void *context,
                                           snare_machine_state *out);

/* The low 64 bits of xmm0-xmm7 (the floating-point arguments), and of
   xmm0 (a floating-point return value), as they are now: only from code
   on general registers only that runs straight after the hooked
   function's entry or return (float_args.c). */
SNARE_HIDDEN void snare_arch_float_args_live(uint64_t out[8]);
SNARE_HIDDEN uint64_t snare_arch_float_return_live(void);

/* Library-call stubs (jump_stub.c): the ELF relocation type of a PLT
   slot, and code that jumps to target (written to out, at most
   SNARE_ARCH_JUMP_STUB_SIZE bytes; returns its length). */
#define SNARE_ARCH_JUMP_STUB_SIZE 32
SNARE_HIDDEN extern const unsigned snare_arch_jump_slot_relocation;
SNARE_HIDDEN size_t snare_arch_jump_stub(
    uint8_t out[SNARE_ARCH_JUMP_STUB_SIZE], uint64_t target);

/* PLT entries (arch/<arch>/plt_entry.c): the run-time address of the
   GOT slot the entry at addr (its `size` bytes in code) jumps through;
   false when it jumps through none (PLT0, a lazy IBT .plt entry). */
SNARE_HIDDEN bool snare_arch_plt_entry_slot(const uint8_t *code, size_t size,
                                            uint64_t addr, uint64_t *slot);

/* The trap instruction snare patches in, and its length. */
SNARE_HIDDEN extern const uint8_t snare_arch_trap_instruction[];
SNARE_HIDDEN extern const size_t snare_arch_trap_size;
/* Address of the trap instruction, given the pc the OS reports after it. */
SNARE_HIDDEN uint64_t snare_arch_trap_address(uint64_t reported_pc);

/*
 * How to execute one original instruction out of line, planned once when
 * a breakpoint is set. Either it is copied (relocated) into a slot that
 * ends in a jump back, or it is a branch/call emulated on the context.
 */
typedef enum snare_displaced_kind {
  SNARE_DISPLACED_COPY,
  SNARE_DISPLACED_JUMP,        /* relative jump: target fixed */
  SNARE_DISPLACED_CALL,        /* relative call: target fixed */
  SNARE_DISPLACED_CONDITIONAL, /* conditional relative branch */
  SNARE_DISPLACED_INDIRECT_CALL
} snare_displaced_kind;

typedef struct snare_displaced {
  uint64_t address;
  uint64_t slot;
  uint64_t target;
  snare_displaced_kind kind;
  uint8_t length;
  uint8_t condition; /* architecture's condition encoding */
  uint8_t original[SNARE_ARCH_MAX_INSTRUCTION];
  uint8_t code[SNARE_ARCH_SLOT_SIZE]; /* what goes in the slot (COPY) */
  uint8_t code_length;
} snare_displaced;

/*
 * Decodes the instruction whose bytes are `bytes` (avail readable) at
 * address addr and plans its out-of-line execution in the slot at `slot`.
 * UNDECODABLE if not an instruction; UNSUPPORTED if it cannot move (e.g.
 * a RIP-relative operand out of reach of the slot).
 */
SNARE_HIDDEN snare_status snare_arch_displaced_plan(uint64_t addr,
                                                    const uint8_t *bytes,
                                                    size_t avail,
                                                    uint64_t slot,
                                                    snare_displaced *out);

typedef enum snare_displaced_result {
  SNARE_DISPLACED_RUNS_IN_SLOT, /* context now points at the slot */
  SNARE_DISPLACED_DONE,         /* emulated: context is past the instruction */
  SNARE_DISPLACED_FAULTED       /* emulation touched bad memory */
} snare_displaced_result;

/*
 * Whether d (a COPY plan) always goes on to the instruction after it:
 * not a return, jump, call, system call, interrupt or system
 * instruction. Such an instruction can run alone out of line, its copy
 * followed by a trap instead of the jump back. Signal-safe.
 */
SNARE_HIDDEN bool snare_arch_falls_through(const snare_displaced *d);

/*
 * Whether d (a COPY plan) is a system call that returns to the
 * instruction after it, with the call number context holds: not one
 * that starts a thread or process there too (clone, fork), replaces the
 * program (execve), ends the thread (exit) or returns elsewhere
 * (rt_sigreturn). Such a call can run alone out of line, as
 * snare_arch_falls_through's instructions do: a trap-flag step over a
 * system call traps one instruction late (the kernel returns with the
 * flag restored, as by iret, so the instruction after the call runs
 * before the trap). Signal-safe.
 */
SNARE_HIDDEN bool snare_arch_returning_system_call(const snare_displaced *d,
                                                   const void *context);

/*
 * After an instruction d planned ran alone in its slot, followed by a
 * trap: puts the pc after the original instruction, and what the
 * instruction left that names the slot where the original would name its
 * own place (a system call's return address, in rcx) as it would be.
 */
SNARE_HIDDEN void snare_arch_slot_step_done(const snare_displaced *d,
                                            void *context);

/* Redirects context (at d->address) so it executes the instruction. */
SNARE_HIDDEN snare_displaced_result
snare_arch_displaced_start(const snare_displaced *d, void *context);

/*
 * After a single step begun in the slot: if the pc is where the copied
 * instruction fell through to, moves it back into the original code.
 * If the pc is on the slot's copied instruction (it faulted), moves it to
 * the original address. Returns true if the pc was in the slot.
 */
SNARE_HIDDEN bool snare_arch_displaced_finish(const snare_displaced *d,
                                              void *context);

/*
 * Checks that `offset` starts an instruction of `code` (size bytes, the
 * unpatched bytes of a function from its first instruction).
 * INSIDE_INSTRUCTION if not.
 */
SNARE_HIDDEN snare_status snare_arch_check_boundary(const uint8_t *code,
                                                    size_t size,
                                                    size_t offset);

/* Calls fn with eight integer arguments; extras are ignored by the ABI. */
SNARE_HIDDEN uint64_t snare_arch_invoke(uint64_t fn, const uint64_t args[8]);

/* Calls fn with arguments placed by class (snare_call_abi). */
SNARE_HIDDEN snare_call_result snare_arch_invoke_abi(uint64_t fn,
                                                     const snare_call_args *a);

#endif
