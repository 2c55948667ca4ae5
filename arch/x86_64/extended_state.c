/*
 * extended_state.c - snare_arch_call_saving_state: runs a function with
 * the thread's whole extended register state (x87, MXCSR, every vector
 * register at the width the CPU has, and whatever else the OS enabled in
 * XCR0) saved before and restored after, so that code which may use any
 * of it can run between a hooked function and its caller; and
 * snare_arch_call_saving_vector_state, the same for a caller that saved
 * x87 and SSE itself (a breakpoint's trampoline, with FXSAVE).
 *
 * The save area lives on the stack, 64-byte aligned, sized at load time
 * from CPUID leaf 0xD. XSAVEC (compacted, skipping components in their
 * initial state) is used where the CPU has it, else XSAVE, else FXSAVE
 * (a CPU without XSAVE has no state beyond x87 and SSE). Not XSAVEOPT:
 * it may skip writing a component it believes unchanged since the last
 * XRSTOR from the same address, and a stack area is overwritten between
 * uses. glibc's lazy-binding trampoline makes the same choices.
 */
#include <cpuid.h>
#include <stdint.h>

#include "internal/hook_arch.h"

enum { SAVE_FXSAVE, SAVE_XSAVE, SAVE_XSAVEC };

/* Read by the assembly below; written once, at load time. */
SNARE_HIDDEN uint32_t snare_x86_state_kind = SAVE_FXSAVE;
SNARE_HIDDEN uint32_t snare_x86_state_size = 512; /* bytes of the area */
SNARE_HIDDEN uint64_t snare_x86_state_mask;       /* XCR0: what to save */

__attribute__((constructor)) static void detect_state(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE) ||
      __get_cpuid_max(0, NULL) < 0xD)
    return; /* FXSAVE covers all there is */
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  snare_x86_state_mask = (uint64_t)hi << 32 | lo;
  /* EBX: the standard-format size for what XCR0 enables, an upper bound
     for the compacted format too. */
  __cpuid_count(0xD, 0, eax, ebx, ecx, edx);
  snare_x86_state_size = ebx;
  __cpuid_count(0xD, 1, eax, ebx, ecx, edx);
  snare_x86_state_kind = (eax & (1u << 1)) ? SAVE_XSAVEC : SAVE_XSAVE;
}

/*
 * void snare_arch_call_saving_state(void (*fn)(void *), void *arg) and
 * snare_arch_call_saving_vector_state (the same without x87 and SSE)
 * share one body, which takes the components to save in r8. rbp frames
 * the call (the area's size varies), rbx, r12 and r13 keep fn, arg and
 * the components. XRSTOR faults on a header whose reserved bytes are
 * not zero and XSAVE/XSAVEC write only part of the header, so it is
 * zeroed first; MXCSR is stored first too, since XRSTOR loads it when
 * the AVX component is asked for even where XSAVE(C) did not save it.
 */
__asm__(
    ".text\n"
    ".globl snare_arch_call_saving_state\n"
    ".hidden snare_arch_call_saving_state\n"
    ".type snare_arch_call_saving_state, @function\n"
    "snare_arch_call_saving_state:\n"
    "  .cfi_startproc\n"
    "  mov snare_x86_state_mask(%rip), %r8\n"
    "  or $3, %r8\n" /* x87 and SSE, which FXSAVE alone saves too */
    "  jmp snare_x86_call_saving\n"
    "  .cfi_endproc\n"
    ".size snare_arch_call_saving_state, .-snare_arch_call_saving_state\n"
    ".globl snare_arch_call_saving_vector_state\n"
    ".hidden snare_arch_call_saving_vector_state\n"
    ".type snare_arch_call_saving_vector_state, @function\n"
    "snare_arch_call_saving_vector_state:\n"
    "  .cfi_startproc\n"
    "  mov snare_x86_state_mask(%rip), %r8\n"
    "  and $-4, %r8\n"
    "  jmp snare_x86_call_saving\n"
    "  .cfi_endproc\n"
    ".size snare_arch_call_saving_vector_state, "
    ".-snare_arch_call_saving_vector_state\n"
    ".type snare_x86_call_saving, @function\n"
    "snare_x86_call_saving:\n"
    "  .cfi_startproc\n"
    "  push %rbp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  .cfi_offset %rbp, -16\n"
    "  mov %rsp, %rbp\n"
    "  .cfi_def_cfa_register %rbp\n"
    "  push %rbx\n"
    "  .cfi_offset %rbx, -24\n"
    "  push %r12\n"
    "  .cfi_offset %r12, -32\n"
    "  push %r13\n"
    "  .cfi_offset %r13, -40\n"
    "  mov %rdi, %rbx\n"
    "  mov %rsi, %r12\n"
    "  mov %r8, %r13\n"
    "  mov snare_x86_state_size(%rip), %eax\n"
    "  sub %rax, %rsp\n"
    "  and $-64, %rsp\n"
    "  mov snare_x86_state_kind(%rip), %ecx\n"
    "  test %ecx, %ecx\n"
    "  jnz 1f\n"
    "  test $3, %r13\n"
    "  jz 3f\n"
    "  fxsave64 (%rsp)\n"
    "  jmp 3f\n"
    "1:\n"
    "  xor %eax, %eax\n"
    "  mov %rax, 512(%rsp)\n"
    "  mov %rax, 520(%rsp)\n"
    "  mov %rax, 528(%rsp)\n"
    "  mov %rax, 536(%rsp)\n"
    "  mov %rax, 544(%rsp)\n"
    "  mov %rax, 552(%rsp)\n"
    "  mov %rax, 560(%rsp)\n"
    "  mov %rax, 568(%rsp)\n"
    "  stmxcsr 24(%rsp)\n"
    "  mov %r13d, %eax\n"
    "  mov %r13, %rdx\n"
    "  shr $32, %rdx\n"
    "  cmp $2, %ecx\n" /* SAVE_XSAVEC */
    "  jne 2f\n"
    "  xsavec64 (%rsp)\n"
    "  jmp 3f\n"
    "2:\n"
    "  xsave64 (%rsp)\n"
    "3:\n"
    "  mov %r12, %rdi\n"
    "  call *%rbx\n"
    "  cmpl $0, snare_x86_state_kind(%rip)\n"
    "  jnz 4f\n"
    "  test $3, %r13\n"
    "  jz 5f\n"
    "  fxrstor64 (%rsp)\n"
    "  jmp 5f\n"
    "4:\n"
    "  mov %r13d, %eax\n"
    "  mov %r13, %rdx\n"
    "  shr $32, %rdx\n"
    "  xrstor64 (%rsp)\n"
    "5:\n"
    "  lea -24(%rbp), %rsp\n"
    "  pop %r13\n"
    "  pop %r12\n"
    "  pop %rbx\n"
    "  pop %rbp\n"
    "  .cfi_def_cfa %rsp, 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size snare_x86_call_saving, .-snare_x86_call_saving\n");
