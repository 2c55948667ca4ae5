/*
 * probe_read.c - a fault-safe read that costs no system call when the
 * memory is readable: plain loads in a routine whose faults the SIGSEGV
 * and SIGBUS handler recognises by their pc and turns into a return of
 * false. Compiled variable reads run it at every hit of a condition;
 * process_vm_readv (safe_memory.c) costs a system call each time.
 */
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "internal/os.h"
#include "linux.h"

/* bool snare_linux_probe_copy(void *dst, const void *src, size_t n):
   bytes one at a time (no string instruction: the direction flag of the
   interrupted code is not known), rdi = dst, rsi = src, rdx = n. */
__asm__(".text\n"
        ".p2align 4\n"
        ".type snare_linux_probe_copy, @function\n"
        "snare_linux_probe_copy:\n"
        "  test %rdx, %rdx\n"
        "  jz 2f\n"
        "snare_linux_probe_start:\n"
        "1: movb (%rsi), %al\n"
        "snare_linux_probe_end:\n"
        "  movb %al, (%rdi)\n"
        "  inc %rsi\n"
        "  inc %rdi\n"
        "  dec %rdx\n"
        "  jnz 1b\n"
        "2: mov $1, %eax\n"
        "  ret\n"
        "snare_linux_probe_failed:\n"
        "  xor %eax, %eax\n"
        "  ret\n"
        ".size snare_linux_probe_copy, .-snare_linux_probe_copy\n");

bool snare_linux_probe_copy(void *dst, const void *src, size_t n)
    __asm__("snare_linux_probe_copy") SNARE_HIDDEN;
extern const char snare_linux_probe_start[] SNARE_HIDDEN;
extern const char snare_linux_probe_end[] SNARE_HIDDEN;
extern const char snare_linux_probe_failed[] SNARE_HIDDEN;

bool snare_os_memory_read_fast(uint64_t addr, void *dst, size_t n) {
  return snare_linux_probe_copy(dst, (const void *)(uintptr_t)addr, n);
}

bool snare_linux_probe_recover(void *context) {
  greg_t *regs = ((ucontext_t *)context)->uc_mcontext.gregs;
  uintptr_t pc = (uintptr_t)regs[REG_RIP];
  if (pc < (uintptr_t)snare_linux_probe_start ||
      pc >= (uintptr_t)snare_linux_probe_end)
    return false;
  regs[REG_RIP] = (greg_t)(uintptr_t)snare_linux_probe_failed;
  return true;
}
