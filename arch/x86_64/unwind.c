/*
 * unwind.c - x86-64 stack walking with libunwind, from a saved
 * ucontext_t. libunwind's local unw_context_t is a ucontext_t on this
 * platform, and the stack being walked is in this process, so a parked
 * worker's stack can be read from the controller.
 */
#include <string.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal/arch.h"
#include "internal/unwind.h"

/* libunwind's number of each snare register it can recover. */
static const struct {
  snare_register reg;
  int unw;
} callee_saved[] = {
    {SNARE_REG_RBX, UNW_X86_64_RBX}, {SNARE_REG_RBP, UNW_X86_64_RBP},
    {SNARE_REG_R12, UNW_X86_64_R12}, {SNARE_REG_R13, UNW_X86_64_R13},
    {SNARE_REG_R14, UNW_X86_64_R14}, {SNARE_REG_R15, UNW_X86_64_R15},
};

static void read_frame(unw_cursor_t *cursor, snare_unwind_frame *f) {
  unw_word_t v = 0;
  for (size_t i = 0; i < sizeof callee_saved / sizeof *callee_saved; i++) {
    if (unw_get_reg(cursor, callee_saved[i].unw, &v) == 0) {
      f->regs[callee_saved[i].reg] = v;
      f->valid |= 1u << callee_saved[i].reg;
    }
  }
  unw_get_reg(cursor, UNW_REG_IP, &v);
  f->pc = f->regs[SNARE_REG_RIP] = v;
  unw_get_reg(cursor, UNW_REG_SP, &v);
  f->sp = f->regs[SNARE_REG_RSP] = v;
  f->valid |= 1u << SNARE_REG_RIP | 1u << SNARE_REG_RSP;
}

/*
 * libunwind needs a context it may treat as its own; a copy keeps the
 * parked thread's (which a resume will restore) untouched. Frame 0 takes
 * every register from the context itself, since a stop may be anywhere
 * and caller-saved registers are live there.
 */
snare_status snare_arch_unwind(const void *context, snare_unwind_frame *frames,
                               size_t cap, size_t *count) {
  *count = 0;
  if (cap == 0)
    return SNARE_OK;
  ucontext_t copy;
  memcpy(&copy, context, sizeof copy);
  unw_cursor_t cursor;
  if (unw_init_local2(&cursor, (unw_context_t *)&copy,
                      UNW_INIT_SIGNAL_FRAME) != 0)
    return SNARE_UNSUPPORTED;
  size_t n = 0;
  do {
    snare_unwind_frame *f = &frames[n];
    memset(f, 0, sizeof *f);
    read_frame(&cursor, f);
    if (n == 0) {
      for (int r = 0; r < SNARE_REG_COUNT; r++)
        f->regs[r] = snare_arch_register_get(context, (snare_register)r);
      f->valid = (1u << SNARE_REG_COUNT) - 1;
    }
    if (f->pc == 0)
      break;
    n++;
    if (unw_step(&cursor) <= 0)
      break;
    /* The CFA is the sp the caller had before the call: on x86-64, the
       caller's sp once this frame returns. The outermost frame's is 0. */
    unw_word_t caller_sp = 0;
    unw_get_reg(&cursor, UNW_REG_SP, &caller_sp);
    f->cfa = caller_sp;
  } while (n < cap);
  *count = n;
  return SNARE_OK;
}
