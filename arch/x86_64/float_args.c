/*
 * float_args.c - the floating-point argument and return registers as
 * the hooked function left them. Called from the hook dispatcher, which
 * runs on general registers only, so xmm0-xmm7 still hold what the
 * caller passed (at an entry) or the function returned (at an exit).
 */
#include "internal/general_regs_only.h"

#include "internal/arch.h"

void snare_arch_float_args_live(uint64_t out[8]) {
  __asm__ volatile("movq %%xmm0, 0(%0)\n\t"
                   "movq %%xmm1, 8(%0)\n\t"
                   "movq %%xmm2, 16(%0)\n\t"
                   "movq %%xmm3, 24(%0)\n\t"
                   "movq %%xmm4, 32(%0)\n\t"
                   "movq %%xmm5, 40(%0)\n\t"
                   "movq %%xmm6, 48(%0)\n\t"
                   "movq %%xmm7, 56(%0)"
                   :
                   : "r"(out)
                   : "memory");
}

uint64_t snare_arch_float_return_live(void) {
  uint64_t value;
  __asm__ volatile("movq %%xmm0, %0" : "=r"(value));
  return value;
}
