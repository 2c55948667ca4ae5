/*
 * trampoline.c - x86-64 code for function hooks: the entry trampoline a
 * function's first instructions jump to, and the exit stub redirected
 * returns land on. Both save exactly what the System V ABI lets a call
 * clobber (argument and return registers, flags, xmm0-7), so the hooked
 * code sees no difference.
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

/* movdqu [rsp+disp8], xmm(i) or the reverse load. */
static void emit_xmm(emitter *e, unsigned i, uint8_t disp, bool store) {
  uint8_t insn[] = {0xF3, 0x0F, store ? 0x7F : 0x6F,
                    (uint8_t)(0x44 | (i << 3)), 0x24, disp};
  emit(e, insn, sizeof insn);
}

static void emit_call_absolute(emitter *e, uint64_t target) {
  emit(e, "\x48\xB8", 2); /* movabs rax, target */
  emit_u64(e, target);
  emit(e, "\xFF\xD0", 2); /* call rax */
}

static const uint8_t save_registers[] = {
    0x9C,                                           /* pushfq */
    0x50, 0x51, 0x52, 0x56, 0x57,                   /* rax rcx rdx rsi rdi */
    0x41, 0x50, 0x41, 0x51, 0x41, 0x52, 0x41, 0x53, /* r8 r9 r10 r11 */
    0x48, 0x89, 0xE6,                               /* mov rsi, rsp */
    0x48, 0x81, 0xEC, 0x88, 0x00, 0x00, 0x00,       /* sub rsp, 136 */
};

static const uint8_t restore_registers[] = {
    0x48, 0x81, 0xC4, 0x88, 0x00, 0x00, 0x00,       /* add rsp, 136 */
    0x41, 0x5B, 0x41, 0x5A, 0x41, 0x59, 0x41, 0x58, /* r11 r10 r9 r8 */
    0x5F, 0x5E, 0x5A, 0x59, 0x58,                   /* rdi rsi rdx rcx rax */
    0x9D,                                           /* popfq */
};

size_t snare_arch_hook_trampoline(uint8_t *buf, size_t cap, uint64_t at,
                                  uint64_t fn, const uint8_t *original,
                                  size_t length, uint64_t hook,
                                  uint64_t enter) {
  emitter e = {buf, cap, 0, false};
  /* Ten pushes after the return address leave rsp 8 off 16-byte
     alignment; the 136-byte xmm area restores it for the call. */
  emit(&e, save_registers, sizeof save_registers);
  for (unsigned i = 0; i < 8; i++)
    emit_xmm(&e, i, (uint8_t)(8 + 16 * i), true);
  emit(&e, "\x48\xBF", 2); /* movabs rdi, hook */
  emit_u64(&e, hook);
  emit_call_absolute(&e, enter);
  for (unsigned i = 0; i < 8; i++)
    emit_xmm(&e, i, (uint8_t)(8 + 16 * i), false);
  emit(&e, restore_registers, sizeof restore_registers);
  size_t moved = e.overflow ? 0
                            : snare_x86_relocate(buf + e.at, cap - e.at,
                                                 at + e.at, fn, original,
                                                 length);
  return moved == 0 ? 0 : e.at + moved;
}

size_t snare_arch_hook_exit_stub(uint8_t *buf, size_t cap, uint64_t exit) {
  static const uint8_t save[] = {
      0x48, 0x83, 0xEC, 0x08,                   /* sub rsp, 8: return slot */
      0x50, 0x52,                               /* push rax; push rdx */
      0x48, 0x83, 0xEC, 0x28,                   /* sub rsp, 40 */
      0xF3, 0x0F, 0x7F, 0x04, 0x24,             /* movdqu [rsp], xmm0 */
      0xF3, 0x0F, 0x7F, 0x4C, 0x24, 0x10,       /* movdqu [rsp+16], xmm1 */
      0x48, 0x8D, 0x7C, 0x24, 0x28,             /* lea rdi, [rsp+40] */
  };
  static const uint8_t restore[] = {
      0x48, 0x89, 0x44, 0x24, 0x38,             /* mov [rsp+56], rax */
      0xF3, 0x0F, 0x6F, 0x04, 0x24,             /* movdqu xmm0, [rsp] */
      0xF3, 0x0F, 0x6F, 0x4C, 0x24, 0x10,       /* movdqu xmm1, [rsp+16] */
      0x48, 0x83, 0xC4, 0x28,                   /* add rsp, 40 */
      0x5A, 0x58,                               /* pop rdx; pop rax */
      0xC3,                                     /* ret to the real caller */
  };
  emitter e = {buf, cap, 0, false};
  emit(&e, save, sizeof save);
  emit_call_absolute(&e, exit);
  emit(&e, restore, sizeof restore);
  return e.overflow ? 0 : e.at;
}

void snare_arch_hook_jump(uint8_t out[SNARE_ARCH_JUMP_SIZE], uint64_t from,
                          uint64_t to) {
  int32_t rel = (int32_t)(to - (from + SNARE_ARCH_JUMP_SIZE));
  out[0] = 0xE9;
  memcpy(out + 1, &rel, sizeof rel);
}
