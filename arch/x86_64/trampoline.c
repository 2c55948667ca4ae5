/*
 * trampoline.c - x86-64 code for function hooks: the per-hook entry
 * trampoline a function's first instructions jump to, the shared entry
 * stub it calls, and the shared exit stub redirected returns land on.
 *
 * Compilers see through calls to code they know (gcc's IPA register
 * allocation keeps values in caller-saved registers across a call that it
 * knows leaves them alone; IPA stack alignment enters local functions
 * with rsp % 16 == 0), so the stubs assume nothing the ABI lets a caller
 * assume: they hand the hooked code back every register as they found it.
 *  - General registers: the stubs save the caller-saved ones (rax, rcx,
 *    rdx, rsi, rdi, r8-r11) and rbx, which holds the stack pointer across
 *    the call; the C code they call keeps the other callee-saved ones, as
 *    the ABI obliges it to. rflags is saved first, before any instruction
 *    that changes it, and DF is cleared for the C code (cld).
 *  - Vector, x87 and MXCSR state: the C code the stubs call is built
 *    without vector or x87 instructions (internal/general_regs_only.h),
 *    and what it calls outside that code goes through
 *    snare_arch_call_saving_state, which saves the whole extended state
 *    with XSAVE (extended_state.c). Saving it here instead would cost
 *    each entry and exit an XSAVEC and an XRSTOR: about 150 ns together
 *    on the AMD EPYC (AVX-512) we measured, several times the rest.
 *  - The stack: the C code runs on a 16-byte aligned stack whatever the
 *    alignment at entry was (saved in rbx, `and rsp, -16`, restored).
 *  - The red zone: the entry stub runs at a function's entry, before the
 *    function can have put anything below rsp (the return address is at
 *    [rsp]); the exit stub runs right after a ret, where the callee's red
 *    zone is dead and the caller's frame lies above rsp (a caller cannot
 *    keep data below its rsp across a call, which writes there), so both
 *    may push below rsp freely.
 */
#include <string.h>

#include "internal/arch.h"
#include "internal/hook_arch.h"
#include "relocate.h"

typedef struct emitter {
  uint8_t *buf;
  size_t cap, at;
  bool overflow;
} emitter;

static void emit(emitter *e, const void *bytes, size_t n) {
  if (e->at + n > e->cap) {
    e->overflow = true;
    return;
  }
  memcpy(e->buf + e->at, bytes, n);
  e->at += n;
}

static void emit_u64(emitter *e, uint64_t v) { emit(e, &v, sizeof v); }

static void emit_call_absolute(emitter *e, uint64_t target) {
  emit(e, "\x48\xB8", 2); /* movabs rax, target */
  emit_u64(e, target);
  emit(e, "\xFF\xD0", 2); /* call rax */
}

/*
 * The register block both stubs build, lowest address first (the enum in
 * hook_arch.h names its words): rbx, r10 ... rcx, rflags, then, pushed
 * before the stub's own pushes, a return into the trampoline (a pad word
 * in the exit stub), r11 and rax. Then rbx holds the block's address and
 * rsp is aligned for the call.
 */
static const uint8_t save_registers[] = {
    0x9C,                                           /* pushfq */
    0x51, 0x52, 0x56, 0x57,                         /* rcx rdx rsi rdi */
    0x41, 0x50, 0x41, 0x51, 0x41, 0x52,             /* r8 r9 r10 */
    0x53,                                           /* push rbx */
    0x48, 0x89, 0xE3,                               /* mov rbx, rsp */
    0x48, 0x83, 0xE4, 0xF0,                         /* and rsp, -16 */
    0xFC,                                           /* cld */
};

static const uint8_t restore_registers[] = {
    0x48, 0x89, 0xDC,                               /* mov rsp, rbx */
    0x5B,                                           /* pop rbx */
    0x41, 0x5A, 0x41, 0x59, 0x41, 0x58,             /* r10 r9 r8 */
    0x5F, 0x5E, 0x5A, 0x59,                         /* rdi rsi rdx rcx */
    0x9D,                                           /* popfq */
};

/*
 * A trampoline keeps rax and r11, puts its hook in rax and calls the
 * shared entry stub through r11, with immediates only (no data loaded
 * from code lines). The stub, shared by all hooks, stays hot in the
 * caches; the per-hook code is small (about 30 bytes and the relocated
 * instructions).
 */
size_t snare_arch_hook_trampoline(uint8_t *buf, size_t cap, uint64_t at,
                                  uint64_t fn, const uint8_t *original,
                                  size_t length, uint64_t hook,
                                  uint64_t entry_stub, size_t *offsets) {
  emitter e = {buf, cap, 0, false};
  emit(&e, "\x50\x41\x53", 3); /* push rax; push r11 */
  emit(&e, "\x48\xB8", 2);      /* movabs rax, hook */
  emit_u64(&e, hook);
  emit(&e, "\x49\xBB", 2);      /* movabs r11, entry_stub */
  emit_u64(&e, entry_stub);
  emit(&e, "\x41\xFF\xD3", 3); /* call r11 */
  emit(&e, "\x41\x5B\x58", 3); /* pop r11; pop rax */
  size_t moved = e.overflow ? 0
                            : snare_x86_relocate(buf + e.at, cap - e.at,
                                                 at + e.at, fn, original,
                                                 length, offsets);
  for (size_t k = 0; moved != 0 && offsets != NULL && k < length; k++)
    offsets[k] = offsets[k] == SIZE_MAX ? 0 : e.at + offsets[k];
  return moved == 0 ? 0 : e.at + moved;
}

size_t snare_arch_hook_entry_stub(uint8_t *buf, size_t cap, uint64_t enter) {
  emitter e = {buf, cap, 0, false};
  emit(&e, save_registers, sizeof save_registers);
  emit(&e, "\x48\x89\xC7", 3); /* mov rdi, rax: the hook */
  emit(&e, "\x48\x89\xDE", 3); /* mov rsi, rbx: the block */
  emit_call_absolute(&e, enter);
  emit(&e, restore_registers, sizeof restore_registers);
  emit(&e, "\xC3", 1); /* ret into the trampoline */
  return e.overflow ? 0 : e.at;
}

size_t snare_arch_hook_exit_stub(uint8_t *buf, size_t cap, uint64_t exit) {
  emitter e = {buf, cap, 0, false};
  /* The word the hooked function's ret popped becomes the slot for the
     real return address; lea, not sub, leaves the flags alone. Then the
     block's upper words as a trampoline leaves them. */
  emit(&e, "\x48\x8D\x64\x24\xF8", 5); /* lea rsp, [rsp-8] */
  emit(&e, "\x50\x41\x53", 3);           /* push rax; push r11 */
  emit(&e, "\x48\x8D\x64\x24\xF8", 5); /* lea rsp, [rsp-8]: pad */
  emit(&e, save_registers, sizeof save_registers);
  emit(&e, "\x48\x89\xDF", 3); /* mov rdi, rbx */
  emit_call_absolute(&e, exit);
  emit(&e, "\x48\x89\x43", 3); /* mov [rbx + slot], rax */
  emit(&e, &(uint8_t){8 * SNARE_HOOK_EXIT_SLOT}, 1);
  emit(&e, restore_registers, sizeof restore_registers);
  emit(&e, "\x48\x8D\x64\x24\x08", 5); /* lea rsp, [rsp+8] */
  emit(&e, "\x41\x5B\x58", 3);           /* pop r11; pop rax */
  emit(&e, "\xC3", 1); /* ret to the real caller */
  return e.overflow ? 0 : e.at;
}

void snare_arch_hook_jump(uint8_t out[SNARE_ARCH_JUMP_SIZE], uint64_t from,
                          uint64_t to) {
  int32_t rel = (int32_t)(to - (from + SNARE_ARCH_JUMP_SIZE));
  out[0] = 0xE9;
  memcpy(out + 1, &rel, sizeof rel);
}
