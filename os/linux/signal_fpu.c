/*
 * signal_fpu.c - the x87 state a signal of snare's gives back.
 *
 * Linux marks the x87 and SSE components in use in every signal frame it
 * writes (XSTATE_BV bits 0 and 1, for handlers that know only FXRSTOR),
 * and sigreturn's XRSTOR then leaves XINUSE[0] set. So after one signal
 * of snare's (a trap, a world stop around a code write, an interrupt) a
 * thread's x87 state counts as in use for the rest of its life, though
 * the thread never ran an x87 instruction, and every breakpoint
 * condition on it then saves and restores the whole image (FXSAVE and
 * FXRSTOR: about 40 ns of a 215 ns hit on a Xeon; extended_state.c
 * skips both only for an initial x87 state). Where the frame's x87 part
 * is the initial state, its bit is cleared before the handler returns:
 * sigreturn loads the initial state, which is what the frame held, and
 * XINUSE says so again. (The stack registers are then zeros; with every
 * tag empty no instruction but FXSAVE and FSAVE can read them.)
 */
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "linux.h"

/* The FXSAVE image's words, the software bytes Linux puts in its spare
   part (struct _fpx_sw_bytes), and the XSAVE header after it. */
#define FX_CONTROL 0
#define FX_STATUS 2
#define FX_TAGS 4 /* abridged: one bit a register, 0 empty */
#define FX_OPCODE 6
#define FX_INSTRUCTION 8
#define FX_DATA 16
#define SW_MAGIC 464
#define SW_FEATURES 472
#define XSAVE_FEATURES 512
#define XSTATE_MAGIC1 0x46505853u /* FP_XSTATE_MAGIC1: an XSAVE frame */
#define X87_BIT 1u
#define X87_INITIAL_CONTROL 0x37f

static uint64_t word(const uint8_t *area, size_t at, size_t size) {
  uint64_t v = 0;
  memcpy(&v, area + at, size);
  return v;
}

void snare_linux_signal_x87_settle(void *context) {
  uint8_t *area = (uint8_t *)((ucontext_t *)context)->uc_mcontext.fpregs;
  if (area == NULL || word(area, SW_MAGIC, 4) != XSTATE_MAGIC1 ||
      !(word(area, SW_FEATURES, 8) & X87_BIT))
    return; /* no XSAVE frame, or one whose restore leaves x87 alone */
  uint64_t present = word(area, XSAVE_FEATURES, 8);
  if (!(present & X87_BIT) ||
      word(area, FX_CONTROL, 2) != X87_INITIAL_CONTROL ||
      word(area, FX_STATUS, 2) != 0 || word(area, FX_TAGS, 1) != 0 ||
      word(area, FX_OPCODE, 2) != 0 || word(area, FX_INSTRUCTION, 8) != 0 ||
      word(area, FX_DATA, 8) != 0)
    return;
  present &= ~(uint64_t)X87_BIT;
  memcpy(area + XSAVE_FEATURES, &present, sizeof present);
}
