/*
 * unwind.h - walking the call stack of a stopped or trapped thread from
 * its saved machine context. Implemented per architecture
 * (arch/x86_64/unwind.c) over the platform's unwinder and the objects'
 * call frame information.
 */
#ifndef SNARE_INTERNAL_UNWIND_H
#define SNARE_INTERNAL_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Registers of one physical frame as they were when it was executing. */
typedef struct snare_unwind_frame {
  uint64_t pc;  /* frame 0: where it stopped; callers: the return address */
  uint64_t sp;
  uint64_t cfa; /* canonical frame address: sp before the call into it */
  uint64_t regs[SNARE_REG_COUNT];
  uint32_t valid; /* bit (1u << reg) set when regs[reg] is known */
  /* Where the next inner frame saved this frame's value of reg (the
     memory regs[reg] was read from); 0 when it did not save it. */
  uint64_t saved_at[SNARE_REG_COUNT];
} snare_unwind_frame;

/*
 * Unwinds from context (a saved context as the OS layer hands it over,
 * not modified) outward. Writes up to cap frames, innermost first, and
 * stores how many were written in *count. Frame 0 has every register;
 * caller frames have pc, sp and the callee-saved registers. Stops at the
 * outermost frame or at the first frame it cannot unwind. Safe on the
 * thread the context belongs to (inside its handler) or on a controller
 * while that thread is parked.
 */
SNARE_HIDDEN snare_status snare_arch_unwind(const void *context,
                                            snare_unwind_frame *frames,
                                            size_t cap, size_t *count);

/* True if the function at pc has exception landing pads (language-
   specific data in its unwind entry): the unwinder may resume inside it
   at addresses no branch names. */
SNARE_HIDDEN bool snare_arch_has_landing_pads(uint64_t pc);

/*
 * Implemented by the core (lib/traps/memory.c) for the frame-pointer
 * fallback: the program's own code bytes at addr, as they are without
 * snare's breakpoints. Lock-free; false if unreadable.
 */
SNARE_HIDDEN bool snare_unwind_code_read(uint64_t addr, uint8_t *dst,
                                         size_t n);
/* Also by the core (lib/code/code_region.c): true if pc is the first
   instruction of a function snare knows (a registered JIT function or a library's symbol). */
SNARE_HIDDEN bool snare_unwind_function_entry(uint64_t pc);

#endif
