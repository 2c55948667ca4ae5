/*
 * context_trampoline.c - a trampoline for a site in the middle of code
 * (a mark), where any register may be live: it builds a full machine
 * context on the stack in the layout of a signal's ucontext_t (general
 * registers, flags, pc, and the x87/SSE state, through
 * snare_x86_save_float_state: extended_state.c), calls a handler with it
 * as a trap handler would be called, restores everything
 * the handler may have changed (except the pc) and jumps back. It leaves
 * the interrupted code's red zone alone.
 */
#include <cpuid.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <ucontext.h>

#include "internal/hook_arch.h"

typedef struct emitter {
  uint8_t *buf;
  size_t cap, at;
} emitter;

static void emit(emitter *e, const void *bytes, size_t n) {
  if (e->at + n <= e->cap)
    memcpy(e->buf + e->at, bytes, n);
  e->at += n;
}

static void emit32(emitter *e, int32_t v) { emit(e, &v, sizeof v); }
static void emit64(emitter *e, uint64_t v) { emit(e, &v, sizeof v); }

#define RED_ZONE 128
/* The FXSAVE image, room for an XSAVE header, the word saying how the
   image was written (extended_state.c), padding. */
#define FLOAT_AREA_SIZE (512 + 64 + 64)
#define ALIGN 64
#define CONTEXT_SPACE                                                          \
  ((sizeof(ucontext_t) + ALIGN - 1) / ALIGN * ALIGN)
#define FRAME_SIZE (CONTEXT_SPACE + FLOAT_AREA_SIZE)

SNARE_HIDDEN void snare_x86_save_float_state(void);    /* r11: the area */
SNARE_HIDDEN void snare_x86_save_vectors_x87_live(void); /* r11 */
SNARE_HIDDEN void snare_x86_restore_float_state(void); /* r11: the area */
SNARE_HIDDEN void snare_x86_restore_float_state_x87_kept(void); /* r11 */

/* How far above the handler's argument the float area of the trampoline
   that called the handler lies (extended_state.c): the context, and the
   handler's own frame below it (160 bytes for the breakpoint's). */
SNARE_HIDDEN const uint64_t snare_x86_trampoline_area_reach =
    CONTEXT_SPACE + 512;

/* x86 register numbers, as instructions encode them. */
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };

/* ucontext_t's gregs index of each register number. */
static const int greg_of[16] = {
    [RAX] = REG_RAX, [RCX] = REG_RCX, [RDX] = REG_RDX, [RBX] = REG_RBX,
    [RSP] = REG_RSP, [RBP] = REG_RBP, [RSI] = REG_RSI, [RDI] = REG_RDI,
    [R8] = REG_R8,   [R9] = REG_R9,   [R10] = REG_R10, [R11] = REG_R11,
    [R12] = REG_R12, [R13] = REG_R13, [R14] = REG_R14, [R15] = REG_R15,
};

static int32_t greg_offset(int greg) {
  return (int32_t)(offsetof(ucontext_t, uc_mcontext.gregs) +
                   (size_t)greg * sizeof(greg_t));
}

/* The flags as the program had them at the site, beside the context's
   (which a handler may change): in a word of mcontext_t no reader uses. */
static int32_t entry_flags_offset(void) {
  return (int32_t)offsetof(ucontext_t, uc_mcontext.__reserved1);
}

/* The flags SAHF and an addition that overflows or not put back (CF, PF,
   AF, ZF, SF; OF), and DF, which CLD and STD set: all that a handler's
   code changes. */
#define FLAGS_SET_WITHOUT_POPF 0xCD5u
#define DIRECTION_FLAG_BYTE1 0x04u /* DF, bit 10: bit 2 of the second byte */

/* SAHF in 64-bit mode (CPUID 0x80000001 ECX bit 0: LAHF/SAHF), which
   every x86-64 CPU but the first few has. */
static bool has_sahf(void) {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx) && (ecx & 1u);
}

/* mov [rsp+disp32], reg (store) or mov reg, [rsp+disp32] (load). */
static void emit_rsp_mov(emitter *e, int reg, int32_t disp, bool store) {
  uint8_t insn[] = {(uint8_t)(0x48 | (reg >= 8 ? 4 : 0)), store ? 0x89 : 0x8B,
                    (uint8_t)(0x84 | ((reg & 7) << 3)), 0x24};
  emit(e, insn, sizeof insn);
  emit32(e, disp);
}

static void emit_call(emitter *e, uint64_t handler) {
  emit(e, "\x48\xB8", 2); /* movabs rax, handler; call rax */
  emit64(e, handler);
  emit(e, "\xFF\xD0", 2);
}

/* Builds the context on the stack below the red zone and points rsi at
   it; the handler's first argument goes in rdi. save_float: one of the
   two above. */
static void emit_save(emitter *e, uint64_t site, uint64_t arg,
                      void (*save_float)(void)) {
  const int32_t fx = (int32_t)CONTEXT_SPACE;
  /* Below the red zone: flags, then rax, then align the frame. */
  emit(e, "\x48\x8D\x64\x24\x80", 5); /* lea rsp, [rsp-128] */
  emit(e, "\x9C\x50", 2);             /* pushfq; push rax */
  emit(e, "\x48\x89\xE0", 3);         /* mov rax, rsp */
  emit(e, "\x48\x83\xE4\xC0", 4);     /* and rsp, -64 */
  emit(e, "\x48\x81\xEC", 3);         /* sub rsp, FRAME_SIZE */
  emit32(e, (int32_t)FRAME_SIZE);
  emit_rsp_mov(e, R11, greg_offset(REG_R11), true);
  emit(e, "\x4C\x8B\x18", 3); /* mov r11, [rax]: the program's rax */
  emit_rsp_mov(e, R11, greg_offset(REG_RAX), true);
  emit(e, "\x4C\x8B\x58\x08", 4); /* mov r11, [rax+8]: its flags */
  emit_rsp_mov(e, R11, greg_offset(REG_EFL), true);
  emit_rsp_mov(e, R11, entry_flags_offset(), true);
  emit(e, "\x4C\x8D\x98", 3); /* lea r11, [rax+16+128]: its rsp */
  emit32(e, 16 + RED_ZONE);
  emit_rsp_mov(e, R11, greg_offset(REG_RSP), true);
  for (int reg = RCX; reg <= R15; reg++)
    if (reg != RSP && reg != R11)
      emit_rsp_mov(e, reg, greg_offset(greg_of[reg]), true);
  emit(e, "\x49\xBB", 2); /* movabs r11, site */
  emit64(e, site);
  emit_rsp_mov(e, R11, greg_offset(REG_RIP), true);
  emit(e, "\x4C\x8D\x9C\x24", 4); /* lea r11, [rsp+fx] */
  emit32(e, fx);
  emit_rsp_mov(e, R11, (int32_t)offsetof(ucontext_t, uc_mcontext.fpregs),
               true);
  emit_call(e, (uint64_t)(uintptr_t)save_float);
  emit(e, "\x48\xBF", 2); /* movabs rdi, arg */
  emit64(e, arg);
  emit(e, "\x48\x89\xE6", 3); /* mov rsi, rsp: the context */
}

/* rel32 of a jump whose displacement ends at `end`, to `to`. */
static void patch_rel32(emitter *e, size_t end, size_t to) {
  int32_t rel = (int32_t)(to - end);
  if (end <= e->cap)
    memcpy(e->buf + end - 4, &rel, sizeof rel);
}

/* Every general register but rsp and r11 from the context. */
static void emit_general_loads(emitter *e) {
  for (int reg = RAX; reg <= R15; reg++)
    if (reg != RSP && reg != R11)
      emit_rsp_mov(e, reg, greg_offset(greg_of[reg]), false);
}

/* rsp back to the program's, with its r11 through the word just below
   the red zone. Nothing here changes the flags. */
static void emit_stack_switch(emitter *e) {
  emit_rsp_mov(e, R11, greg_offset(REG_RSP), false);
  emit(e, "\x4D\x8D\x9B", 3); /* lea r11, [r11-144] */
  emit32(e, -(16 + RED_ZONE));
  emit(e, "\xFF\xB4\x24", 3); /* push qword [rsp+r11 slot] */
  emit32(e, greg_offset(REG_R11));
  emit(e, "\x41\x8F\x03", 3);  /* pop qword [r11] */
  emit(e, "\x4C\x89\xDC", 3);  /* mov rsp, r11 */
  emit(e, "\x41\x5B", 2);      /* pop r11 */
  emit(e, "\x48\x8D\xA4\x24", 4); /* lea rsp, [rsp+8+128]: past the */
  emit32(e, 8 + RED_ZONE);            /* flags the save pushed */
}

/* The context's flags with POPF, from the word pushed below the context. */
static void emit_popf(emitter *e) {
  emit(e, "\xFF\xB4\x24", 3); /* push qword [rsp+flags slot] */
  emit32(e, greg_offset(REG_EFL));
  emit(e, "\x9D", 1); /* popfq */
}

/*
 * The context's flags, before the general registers (which only moves
 * load). POPF costs 20-25 ns on a Xeon VM, a third of a natively
 * rejected breakpoint hit; so where the context's flags differ from the
 * entry's only in those a handler's code changes, they are put back
 * with SAHF, an addition that sets OF as it was, and STD where DF was
 * set. A handler that changed another flag in the context (TF, AC) gets
 * POPF. Uses rax.
 */
static void emit_flags_restore(emitter *e) {
  if (!has_sahf()) {
    emit_popf(e);
    return;
  }
  const int32_t flags = greg_offset(REG_EFL);
  emit_rsp_mov(e, RAX, flags, false);
  emit(e, "\x48\x33\x84\x24", 4); /* xor rax, [rsp+entry flags] */
  emit32(e, entry_flags_offset());
  emit(e, "\x48\xA9", 2); /* test rax, ~FLAGS_SET_WITHOUT_POPF */
  emit32(e, (int32_t)~FLAGS_SET_WITHOUT_POPF);
  emit(e, "\x75", 1); /* jnz to POPF (rel8) */
  size_t to_popf = e->at + 1;
  emit(e, "\x00", 1);
  emit(e, "\xF6\x84\x24", 3); /* test byte [rsp+flags+1], DF */
  emit32(e, flags + 1);
  const uint8_t direction = DIRECTION_FLAG_BYTE1;
  emit(e, &direction, 1);
  emit(e, "\x74\x01\xFD", 3);     /* jz +1; std */
  emit(e, "\x0F\xB6\x84\x24", 4); /* movzx eax, byte [rsp+flags+1] */
  emit32(e, flags + 1);
  emit(e, "\xC0\xE8\x03\x24\x01", 5); /* shr al, 3; and al, 1: OF */
  emit(e, "\x04\x7F", 2);             /* add al, 0x7f: sets OF so */
  emit(e, "\x8A\xA4\x24", 3);         /* mov ah, [rsp+flags] */
  emit32(e, flags);
  emit(e, "\x9E", 1); /* sahf */
  emit(e, "\xEB", 1); /* jmp past POPF (rel8) */
  size_t to_end = e->at + 1;
  emit(e, "\x00", 1);
  size_t popf = e->at;
  emit_popf(e);
  if (to_end <= e->cap) {
    e->buf[to_popf - 1] = (uint8_t)(popf - to_popf);
    e->buf[to_end - 1] = (uint8_t)(e->at - to_end);
  }
}

/* Restores every register from the context (the pc excepted) and leaves
   rsp as the program had it; restore_float is one of the two above. */
static void emit_restore(emitter *e, void (*restore_float)(void)) {
  emit(e, "\x4C\x8D\x9C\x24", 4); /* lea r11, [rsp+fx] */
  emit32(e, (int32_t)CONTEXT_SPACE);
  emit_call(e, (uint64_t)(uintptr_t)restore_float);
  emit_flags_restore(e);
  emit_general_loads(e);
  emit_stack_switch(e);
}

static void emit_jump_absolute(emitter *e, uint64_t to) {
  emit(e, "\xFF\x25\x00\x00\x00\x00", 6); /* jmp [rip+0] */
  emit64(e, to);
}

size_t snare_arch_context_trampoline(uint8_t *buf, size_t cap,
                                     uint64_t site, uint64_t resume,
                                     uint64_t arg, uint64_t handler) {
  emitter e = {buf, cap, 0};
  emit_save(&e, site, arg, snare_x86_save_float_state);
  emit_call(&e, handler);
  emit_restore(&e, snare_x86_restore_float_state);
  emit_jump_absolute(&e, resume);
  return e.at <= cap ? e.at : 0;
}

/*
 * As the context trampoline, for a breakpoint: the handler (called with
 * the direction flag clear, as the ABI wants) returns whether the thread
 * stops. Going on, everything is restored and the thread jumps to
 * `resume` (the relocated instructions); stopping, everything is
 * restored as well and it runs into a trap, so that the stop is made by
 * the signal handler exactly as a trap at the site makes it. Only
 * xmm0-15 are saved at first (snare_x86_save_vectors_x87_live): the
 * handler runs code that may use the x87 unit, MXCSR or the rest only
 * through snare_arch_call_saving_vector_state, which completes the
 * context's image first and puts an initial x87 back after, so the
 * restore need not check it.
 */
size_t snare_arch_breakpoint_trampoline(uint8_t *buf, size_t cap,
                                        uint64_t site, uint64_t resume,
                                        uint64_t arg, uint64_t handler,
                                        size_t *stop_trap) {
  emitter e = {buf, cap, 0};
  emit_save(&e, site, arg, snare_x86_save_vectors_x87_live);
  emit(&e, "\xFC", 1); /* cld */
  emit_call(&e, handler);
  emit(&e, "\x84\xC0", 2); /* test al, al */
  emit(&e, "\x0F\x85", 2); /* jnz stop (rel32, patched below) */
  size_t jnz_end = e.at + 4;
  emit32(&e, 0);
  emit_restore(&e, snare_x86_restore_float_state_x87_kept);
  emit_jump_absolute(&e, resume);
  patch_rel32(&e, jnz_end, e.at);
  emit_restore(&e, snare_x86_restore_float_state_x87_kept);
  *stop_trap = e.at;
  emit(&e, "\xCC\x0F\x0B", 3); /* int3; ud2: never resumed past */
  return e.at <= cap ? e.at : 0;
}
