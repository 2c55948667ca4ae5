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
 *
 * Also the x87 and SSE part of a context trampoline's frame
 * (snare_x86_save_float_state, snare_x86_restore_float_state): FXSAVE
 * and FXRSTOR cost about 100 ns a hit together, and most code never
 * touches the x87 unit, so where XINUSE (XGETBV with ECX = 1) says the
 * x87 state is in its initial configuration only what code run in
 * between can change is kept, with plain moves: xmm0-15 and MXCSR.
 * snare_arch_call_saving_vector_state likewise moves the vector
 * registers' other parts and the mask registers where XCR0 enables
 * nothing else (AVX, AVX-512): XSAVEC and XRSTOR of them cost about
 * 150 ns, the moves 20.
 *
 * XGETBV costs about 16 ns here, as much as all those moves, so a
 * breakpoint's hit reads XINUSE once: the trampoline's save keeps what it
 * read in its area, which the vector save finds through a thread-local
 * pointer, and the vector save, which alone runs code that may use the
 * x87 unit, puts an initial x87 back itself, so that the breakpoint
 * trampoline's restore needs no XGETBV of its own.
 */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>

#include "internal/hook_arch.h"

enum { SAVE_FXSAVE, SAVE_XSAVE, SAVE_XSAVEC };

/* Read by the assembly below; written once, at load time. */
SNARE_HIDDEN uint32_t snare_x86_state_kind = SAVE_FXSAVE;
SNARE_HIDDEN uint32_t snare_x86_state_size = 512; /* bytes of the area */
SNARE_HIDDEN uint64_t snare_x86_state_mask;       /* XCR0: what to save */
/* Whether XGETBV reads XINUSE (CPUID.(EAX=0DH,ECX=1):EAX bit 2). */
SNARE_HIDDEN uint32_t snare_x86_reads_in_use;
/* The MXCSR_MASK FXSAVE stores, for an image written without it. */
SNARE_HIDDEN uint32_t snare_x86_mxcsr_mask = 0xffbf;
/* How snare_arch_call_saving_vector_state keeps what it keeps. */
enum { VECTORS_XSAVE, VECTORS_YMM, VECTORS_ZMM };
SNARE_HIDDEN uint32_t snare_x86_vector_moves = VECTORS_XSAVE;
#define VECTOR_MOVES_AREA 2112 /* zmm0-31, k0-7 */

/*
 * The float area of the innermost context trampoline running on this
 * thread, or NULL: each trampoline's save sets it and keeps the one it
 * replaces in its area, its restore puts that back. A trampoline left by
 * a longjmp from a signal handler leaves a stale pointer, so the vector
 * save takes the XINUSE its caller's trampoline read only from an area
 * just above its caller's frame (snare_x86_trampoline_area_reach): a
 * stale area lies below that frame (same stack) or in memory disjoint
 * from the trampoline's frame (another stack), never there.
 */
SNARE_HIDDEN _Thread_local __attribute__((tls_model("initial-exec"))) void
    *snare_x86_float_area;

__attribute__((constructor)) static void detect_state(void) {
  _Alignas(16) uint8_t legacy[512] = {0};
  __asm__ volatile("fxsave64 %0" : "=m"(legacy));
  uint32_t mask;
  memcpy(&mask, legacy + 28, sizeof mask);
  if (mask != 0) /* 0 means the default, 0xffbf */
    snare_x86_mxcsr_mask = mask;
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
  snare_x86_reads_in_use = (eax >> 2) & 1;
  /* kmovq needs AVX512BW (CPUID.7.0:EBX bit 30) */
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  /* What XCR0 enables beyond x87 and SSE, less the state no code run
     between a hit and its resume changes: PKRU (snare and Lua never call
     pkey_set) and the AMX tiles (usable only after a permission request
     made by the program, never by snare): it stays as the thread left
     it without being kept. */
  uint64_t kept_untouched = 1ull << 9 | 1ull << 17 | 1ull << 18;
  uint64_t vector = snare_x86_state_mask & ~(3ull | kept_untouched);
  if (!snare_x86_reads_in_use || snare_x86_state_size < VECTOR_MOVES_AREA)
    return;
  if (vector == 0x4)
    snare_x86_vector_moves = VECTORS_YMM;
  else if (vector == 0xe4 && (ebx & (1u << 30)))
    snare_x86_vector_moves = VECTORS_ZMM;
}

/* A context trampoline's float area, past the FXSAVE image and the XSAVE
   header: how the image was written, the XINUSE the save read, and the
   area of the trampoline this one runs inside (snare_x86_float_area). */
#define AREA_HOW "576"
#define AREA_IN_USE "584"
#define AREA_OUTER "592"

/* Puts the x87 state back in its initial configuration, XINUSE included,
   by XRSTOR of the x87 component alone from an area at AREA (64-byte
   aligned, 576 bytes) whose header is zeroed first. */
#define X87_TO_INITIAL(AREA)                                                   \
  "  xor %eax, %eax\n"                                                         \
  "  mov %rax, 512+" AREA "\n"                                                 \
  "  mov %rax, 520+" AREA "\n"                                                 \
  "  mov %rax, 528+" AREA "\n"                                                 \
  "  mov %rax, 536+" AREA "\n"                                                 \
  "  mov %rax, 544+" AREA "\n"                                                 \
  "  mov %rax, 552+" AREA "\n"                                                 \
  "  mov %rax, 560+" AREA "\n"                                                 \
  "  mov %rax, 568+" AREA "\n"                                                 \
  "  mov $1, %eax\n"                                                           \
  "  xor %edx, %edx\n"                                                         \
  "  xrstor64 " AREA "\n"

/* The frame of the calls below: rbp frames it (the area's size varies),
   rbx and r12 keep fn and arg, and r13 is the body's to keep. */
#define CALL_FRAME_ENTER                                                       \
  "  push %rbp\n"                                                              \
  "  .cfi_def_cfa_offset 16\n"                                                 \
  "  .cfi_offset %rbp, -16\n"                                                  \
  "  mov %rsp, %rbp\n"                                                         \
  "  .cfi_def_cfa_register %rbp\n"                                             \
  "  push %rbx\n"                                                              \
  "  .cfi_offset %rbx, -24\n"                                                  \
  "  push %r12\n"                                                              \
  "  .cfi_offset %r12, -32\n"                                                  \
  "  push %r13\n"                                                              \
  "  .cfi_offset %r13, -40\n"                                                  \
  "  mov %rdi, %rbx\n"                                                         \
  "  mov %rsi, %r12\n"
#define CALL_FRAME_LEAVE                                                       \
  "  lea -24(%rbp), %rsp\n"                                                    \
  "  pop %r13\n"                                                               \
  "  pop %r12\n"                                                               \
  "  pop %rbx\n"                                                               \
  "  pop %rbp\n"                                                               \
  "  .cfi_def_cfa %rsp, 8\n"                                                   \
  "  ret\n"

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
    "  call snare_x86_complete_float_area\n"
    "  cmpl $0, snare_x86_vector_moves(%rip)\n" /* VECTORS_XSAVE */
    "  jne snare_x86_call_moving_vectors\n"
    "  mov snare_x86_state_mask(%rip), %r8\n"
    "  and $-3, %r8\n" /* x87 too: the trampoline's restore counts on it */
    "  jmp snare_x86_call_saving\n"
    "  .cfi_endproc\n"
    ".size snare_arch_call_saving_vector_state, "
    ".-snare_arch_call_saving_vector_state\n"
    ".type snare_x86_call_saving, @function\n"
    "snare_x86_call_saving:\n"
    "  .cfi_startproc\n"
    CALL_FRAME_ENTER
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
    CALL_FRAME_LEAVE
    "  .cfi_endproc\n"
    ".size snare_x86_call_saving, .-snare_x86_call_saving\n");

/* xmm0-15 to or from the FXSAVE image's vector part of the area at R. */
#define XMM_MOVES(FIRST, SECOND)                                               \
  "  movups " FIRST(0) ", " SECOND(0) "\n"                                     \
  "  movups " FIRST(1) ", " SECOND(1) "\n"                                     \
  "  movups " FIRST(2) ", " SECOND(2) "\n"                                     \
  "  movups " FIRST(3) ", " SECOND(3) "\n"                                     \
  "  movups " FIRST(4) ", " SECOND(4) "\n"                                     \
  "  movups " FIRST(5) ", " SECOND(5) "\n"                                     \
  "  movups " FIRST(6) ", " SECOND(6) "\n"                                     \
  "  movups " FIRST(7) ", " SECOND(7) "\n"                                     \
  "  movups " FIRST(8) ", " SECOND(8) "\n"                                     \
  "  movups " FIRST(9) ", " SECOND(9) "\n"                                     \
  "  movups " FIRST(10) ", " SECOND(10) "\n"                                   \
  "  movups " FIRST(11) ", " SECOND(11) "\n"                                   \
  "  movups " FIRST(12) ", " SECOND(12) "\n"                                   \
  "  movups " FIRST(13) ", " SECOND(13) "\n"                                   \
  "  movups " FIRST(14) ", " SECOND(14) "\n"                                   \
  "  movups " FIRST(15) ", " SECOND(15) "\n"
#define XMM_REGISTER(n) "%xmm" #n
#define XMM_SLOT_R11(n) #n "*16+160(%r11)"
#define XMM_TO_AREA XMM_MOVES(XMM_REGISTER, XMM_SLOT_R11)
#define AREA_TO_XMM XMM_MOVES(XMM_SLOT_R11, XMM_REGISTER)

/* The x87 part of the image at r11 as FXSAVE writes an initial x87 state
   (control word 0x37f, the rest zero), MXCSR and its mask, and AREA_HOW
   1; uses eax and xmm0. */
#define X87_INITIAL_IMAGE                                                      \
  "  movq $0x37f, (%r11)\n" /* FCW; FSW, tags and FOP 0 */                   \
  "  movq $0, 8(%r11)\n"    /* FIP */                                          \
  "  movq $0, 16(%r11)\n"   /* FDP */                                          \
  "  stmxcsr 24(%r11)\n"                                                       \
  "  mov snare_x86_mxcsr_mask(%rip), %eax\n"                                   \
  "  mov %eax, 28(%r11)\n"                                                     \
  "  xorps %xmm0, %xmm0\n" /* st0-7: zeros */                                  \
  "  movaps %xmm0, 32(%r11)\n"                                                 \
  "  movaps %xmm0, 48(%r11)\n"                                                 \
  "  movaps %xmm0, 64(%r11)\n"                                                 \
  "  movaps %xmm0, 80(%r11)\n"                                                 \
  "  movaps %xmm0, 96(%r11)\n"                                                 \
  "  movaps %xmm0, 112(%r11)\n"                                                \
  "  movaps %xmm0, 128(%r11)\n"                                                \
  "  movaps %xmm0, 144(%r11)\n"                                                \
  "  movl $0, 464(%r11)\n"                                                     \
  "  movq $1, " AREA_HOW "(%r11)\n"

/* Makes the area at r11 the innermost (snare_x86_float_area), keeping the
   one it replaces in AREA_OUTER; uses rcx and rdx. */
#define AREA_ENTER                                                             \
  "  mov snare_x86_float_area@gottpoff(%rip), %rdx\n"                         \
  "  mov %fs:(%rdx), %rcx\n"                                                   \
  "  mov %rcx, " AREA_OUTER "(%r11)\n"                                         \
  "  mov %r11, %fs:(%rdx)\n"

/*
 * snare_x86_save_float_state and snare_x86_restore_float_state, called
 * by a mark's context trampoline with r11 at its area (64-byte aligned:
 * the 512-byte FXSAVE image, 64 bytes for an XSAVE header, then
 * AREA_HOW, AREA_IN_USE, AREA_OUTER), clobbering rax, rcx and rdx only.
 *
 * With the x87 state initial, the image is written as FXSAVE would
 * write it (control word 0x37f, the rest of the x87 part zero: readers
 * of the context see the state the thread has) and the word is 1; else
 * FXSAVE writes it and the word is 0. Either way its software bytes hold
 * no FP_XSTATE_MAGIC1: it is no kernel XSAVE area.
 *
 * A breakpoint's trampoline saves less (snare_x86_save_vectors_x87_live):
 * its handler decides most hits with native code alone, which uses no
 * x87 and leaves MXCSR as it is, but may use xmm0-15 (the compiler's SSE
 * moves). So only those are moved to the area, and the word is 2: the
 * x87 part, MXCSR and XINUSE are still in the CPU, untouched. XGETBV
 * (XINUSE) costs 20-35 ns here, and STMXCSR and LDMXCSR 10 each, half
 * the price of a natively rejected hit. A handler that runs other code
 * goes through snare_arch_call_saving_vector_state, which first writes
 * the rest of the image as the full save would (complete_float_area).
 *
 * Restoring after a plain save reloads xmm0-15 and MXCSR with legacy SSE
 * moves, which leave the upper parts of the vector registers as they
 * are (snare_arch_call_saving_vector_state restored those). If the
 * handler used the x87 unit, X87_TO_INITIAL puts it back; if it changed
 * the image's x87 part, FXRSTOR loads the image.
 * snare_x86_restore_float_state_x87_kept is the same without the XGETBV
 * that finds whether the handler used the x87 unit, for a breakpoint's
 * trampoline: its handler runs code that may only through
 * snare_arch_call_saving_vector_state, which puts an initial x87 back.
 * The first runs on into the second.
 */
__asm__(
    ".text\n"
    ".globl snare_x86_save_float_state\n"
    ".hidden snare_x86_save_float_state\n"
    ".type snare_x86_save_float_state, @function\n"
    "snare_x86_save_float_state:\n"
    "  .cfi_startproc\n"
    AREA_ENTER
    "  cmpl $0, snare_x86_reads_in_use(%rip)\n"
    "  je 1f\n"
    "  mov $1, %ecx\n"
    "  xgetbv\n"
    "  mov %rax, " AREA_IN_USE "(%r11)\n"
    "  test $1, %al\n" /* XINUSE[0]: the x87 state is not initial */
    "  jnz 1f\n"
    XMM_TO_AREA
    X87_INITIAL_IMAGE
    "  ret\n"
    "1:\n"
    "  fxsave64 (%r11)\n"
    "  movl $0, 464(%r11)\n"
    "  movq $0, " AREA_HOW "(%r11)\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size snare_x86_save_float_state, .-snare_x86_save_float_state\n"
    ".globl snare_x86_save_vectors_x87_live\n"
    ".hidden snare_x86_save_vectors_x87_live\n"
    ".type snare_x86_save_vectors_x87_live, @function\n"
    "snare_x86_save_vectors_x87_live:\n"
    "  .cfi_startproc\n"
    AREA_ENTER
    XMM_TO_AREA
    "  movq $2, " AREA_HOW "(%r11)\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size snare_x86_save_vectors_x87_live, .-snare_x86_save_vectors_x87_live\n"
    /* (fn in rdi, arg in rsi: kept) The area of the trampoline that
       called snare_arch_call_saving_vector_state, when it lies within
       snare_x86_trampoline_area_reach above arg and was saved x87-live,
       gets the rest of its image: XINUSE, MXCSR, and the x87 part, as the
       full save writes them. xmm0-15, which no caller keeps across a
       call, are loaded from the area first where FXSAVE writes it. */
    ".type snare_x86_complete_float_area, @function\n"
    "snare_x86_complete_float_area:\n"
    "  .cfi_startproc\n"
    "  mov snare_x86_float_area@gottpoff(%rip), %rax\n"
    "  mov %fs:(%rax), %r11\n"
    "  mov %r11, %rax\n"
    "  sub %rsi, %rax\n"
    "  dec %rax\n" /* unsigned: from arg + 1 to arg + reach */
    "  cmp snare_x86_trampoline_area_reach(%rip), %rax\n"
    "  jae 1f\n"
    "  cmpq $2, " AREA_HOW "(%r11)\n"
    "  jne 1f\n"
    "  cmpl $0, snare_x86_reads_in_use(%rip)\n" /* else: as in use */
    "  je 2f\n"
    "  mov $1, %ecx\n"
    "  xgetbv\n"
    "  mov %rax, " AREA_IN_USE "(%r11)\n"
    "  test $1, %al\n"
    "  jnz 2f\n"
    X87_INITIAL_IMAGE
    "  ret\n"
    "2:\n"
    AREA_TO_XMM
    "  fxsave64 (%r11)\n"
    "  movl $0, 464(%r11)\n"
    "  movq $0, " AREA_HOW "(%r11)\n"
    "1:\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size snare_x86_complete_float_area, .-snare_x86_complete_float_area\n"
    ".globl snare_x86_restore_float_state\n"
    ".hidden snare_x86_restore_float_state\n"
    ".type snare_x86_restore_float_state, @function\n"
    "snare_x86_restore_float_state:\n"
    "  .cfi_startproc\n"
    "  cmpq $0, " AREA_HOW "(%r11)\n"
    "  je 1f\n" /* FXRSTOR follows */
    "  mov $1, %ecx\n"
    "  xgetbv\n"
    "  test $1, %al\n"
    "  jz 1f\n"
    X87_TO_INITIAL("0(%r11)")
    "1:\n"
    "  .cfi_endproc\n"
    ".size snare_x86_restore_float_state, .-snare_x86_restore_float_state\n"
    ".globl snare_x86_restore_float_state_x87_kept\n"
    ".hidden snare_x86_restore_float_state_x87_kept\n"
    ".type snare_x86_restore_float_state_x87_kept, @function\n"
    "snare_x86_restore_float_state_x87_kept:\n"
    "  .cfi_startproc\n"
    "  mov snare_x86_float_area@gottpoff(%rip), %rdx\n"
    "  mov " AREA_OUTER "(%r11), %rcx\n"
    "  mov %rcx, %fs:(%rdx)\n"
    "  cmpq $2, " AREA_HOW "(%r11)\n"
    "  je 3f\n" /* x87 and MXCSR never left the CPU */
    "  cmpq $0, " AREA_HOW "(%r11)\n"
    "  je 2f\n"
    "  cmpq $0x37f, (%r11)\n"
    "  jne 2f\n"
    "  ldmxcsr 24(%r11)\n"
    "3:\n"
    AREA_TO_XMM
    "  ret\n"
    "2:\n"
    "  fxrstor64 (%r11)\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size snare_x86_restore_float_state_x87_kept, "
    ".-snare_x86_restore_float_state_x87_kept\n");

/*
 * snare_x86_call_moving_vectors(fn, arg): snare_arch_call_saving_vector_state
 * with plain moves, for VECTORS_YMM and VECTORS_ZMM. Only what XINUSE says
 * is not in its initial state (zeros) is stored: ymm/zmm0-15 whole (the
 * AVX or ZMM_Hi256 component: their upper parts), zmm16-31, k0-7. After
 * the call each stored group is loaded back, and each other one is made
 * zeros again: VZEROUPPER for the upper parts (XINUSE follows), and
 * VPXORD and KXORQ for zmm16-31 and the mask registers. r13 keeps XINUSE:
 * the one the caller's trampoline read (snare_x86_float_area) where its
 * area lies within snare_x86_trampoline_area_reach above arg, else read
 * here. With the x87 state initial before the call and not after it, the
 * call's frame holds an area for X87_TO_INITIAL past the vectors'.
 */
__asm__(
    ".text\n"
    ".type snare_x86_call_moving_vectors, @function\n"
    "snare_x86_call_moving_vectors:\n"
    "  .cfi_startproc\n"
    CALL_FRAME_ENTER
    "  mov snare_x86_float_area@gottpoff(%rip), %rax\n"
    "  mov %fs:(%rax), %rcx\n"
    "  mov %rcx, %rax\n"
    "  sub %r12, %rax\n"
    "  dec %rax\n" /* unsigned: from arg + 1 to arg + reach */
    "  cmp snare_x86_trampoline_area_reach(%rip), %rax\n"
    "  jae 13f\n"
    "  mov " AREA_IN_USE "(%rcx), %r13d\n"
    "  jmp 14f\n"
    "13:\n"
    "  mov $1, %ecx\n"
    "  xgetbv\n"
    "  mov %eax, %r13d\n"
    "14:\n"
    "  sub $2112+576, %rsp\n"
    "  and $-64, %rsp\n"
    "  cmpl $2, snare_x86_vector_moves(%rip)\n" /* VECTORS_ZMM */
    "  je 1f\n"
    "  test $0x4, %r13d\n"
    "  jz 4f\n"
    "  vmovdqu %ymm0, 0(%rsp)\n"
    "  vmovdqu %ymm1, 32(%rsp)\n"
    "  vmovdqu %ymm2, 64(%rsp)\n"
    "  vmovdqu %ymm3, 96(%rsp)\n"
    "  vmovdqu %ymm4, 128(%rsp)\n"
    "  vmovdqu %ymm5, 160(%rsp)\n"
    "  vmovdqu %ymm6, 192(%rsp)\n"
    "  vmovdqu %ymm7, 224(%rsp)\n"
    "  vmovdqu %ymm8, 256(%rsp)\n"
    "  vmovdqu %ymm9, 288(%rsp)\n"
    "  vmovdqu %ymm10, 320(%rsp)\n"
    "  vmovdqu %ymm11, 352(%rsp)\n"
    "  vmovdqu %ymm12, 384(%rsp)\n"
    "  vmovdqu %ymm13, 416(%rsp)\n"
    "  vmovdqu %ymm14, 448(%rsp)\n"
    "  vmovdqu %ymm15, 480(%rsp)\n"
    "  jmp 4f\n"
    "1:\n"
    "  test $0x44, %r13d\n"
    "  jz 2f\n"
    "  vmovdqu64 %zmm0, 0(%rsp)\n"
    "  vmovdqu64 %zmm1, 64(%rsp)\n"
    "  vmovdqu64 %zmm2, 128(%rsp)\n"
    "  vmovdqu64 %zmm3, 192(%rsp)\n"
    "  vmovdqu64 %zmm4, 256(%rsp)\n"
    "  vmovdqu64 %zmm5, 320(%rsp)\n"
    "  vmovdqu64 %zmm6, 384(%rsp)\n"
    "  vmovdqu64 %zmm7, 448(%rsp)\n"
    "  vmovdqu64 %zmm8, 512(%rsp)\n"
    "  vmovdqu64 %zmm9, 576(%rsp)\n"
    "  vmovdqu64 %zmm10, 640(%rsp)\n"
    "  vmovdqu64 %zmm11, 704(%rsp)\n"
    "  vmovdqu64 %zmm12, 768(%rsp)\n"
    "  vmovdqu64 %zmm13, 832(%rsp)\n"
    "  vmovdqu64 %zmm14, 896(%rsp)\n"
    "  vmovdqu64 %zmm15, 960(%rsp)\n"
    "2:\n"
    "  test $0x80, %r13d\n"
    "  jz 3f\n"
    "  vmovdqu64 %zmm16, 1024(%rsp)\n"
    "  vmovdqu64 %zmm17, 1088(%rsp)\n"
    "  vmovdqu64 %zmm18, 1152(%rsp)\n"
    "  vmovdqu64 %zmm19, 1216(%rsp)\n"
    "  vmovdqu64 %zmm20, 1280(%rsp)\n"
    "  vmovdqu64 %zmm21, 1344(%rsp)\n"
    "  vmovdqu64 %zmm22, 1408(%rsp)\n"
    "  vmovdqu64 %zmm23, 1472(%rsp)\n"
    "  vmovdqu64 %zmm24, 1536(%rsp)\n"
    "  vmovdqu64 %zmm25, 1600(%rsp)\n"
    "  vmovdqu64 %zmm26, 1664(%rsp)\n"
    "  vmovdqu64 %zmm27, 1728(%rsp)\n"
    "  vmovdqu64 %zmm28, 1792(%rsp)\n"
    "  vmovdqu64 %zmm29, 1856(%rsp)\n"
    "  vmovdqu64 %zmm30, 1920(%rsp)\n"
    "  vmovdqu64 %zmm31, 1984(%rsp)\n"
    "3:\n"
    "  test $0x20, %r13d\n"
    "  jz 4f\n"
    "  kmovq %k0, 2048(%rsp)\n"
    "  kmovq %k1, 2056(%rsp)\n"
    "  kmovq %k2, 2064(%rsp)\n"
    "  kmovq %k3, 2072(%rsp)\n"
    "  kmovq %k4, 2080(%rsp)\n"
    "  kmovq %k5, 2088(%rsp)\n"
    "  kmovq %k6, 2096(%rsp)\n"
    "  kmovq %k7, 2104(%rsp)\n"
    "4:\n"
    "  mov %r12, %rdi\n"
    "  call *%rbx\n"
    "  test $1, %r13d\n"
    "  jnz 15f\n"
    "  mov $1, %ecx\n"
    "  xgetbv\n"
    "  test $1, %al\n"
    "  jz 15f\n"
    X87_TO_INITIAL("2112(%rsp)")
    "15:\n"
    "  cmpl $2, snare_x86_vector_moves(%rip)\n"
    "  je 6f\n"
    "  test $0x4, %r13d\n"
    "  jz 5f\n"
    "  vmovdqu 0(%rsp), %ymm0\n"
    "  vmovdqu 32(%rsp), %ymm1\n"
    "  vmovdqu 64(%rsp), %ymm2\n"
    "  vmovdqu 96(%rsp), %ymm3\n"
    "  vmovdqu 128(%rsp), %ymm4\n"
    "  vmovdqu 160(%rsp), %ymm5\n"
    "  vmovdqu 192(%rsp), %ymm6\n"
    "  vmovdqu 224(%rsp), %ymm7\n"
    "  vmovdqu 256(%rsp), %ymm8\n"
    "  vmovdqu 288(%rsp), %ymm9\n"
    "  vmovdqu 320(%rsp), %ymm10\n"
    "  vmovdqu 352(%rsp), %ymm11\n"
    "  vmovdqu 384(%rsp), %ymm12\n"
    "  vmovdqu 416(%rsp), %ymm13\n"
    "  vmovdqu 448(%rsp), %ymm14\n"
    "  vmovdqu 480(%rsp), %ymm15\n"
    "  jmp 12f\n"
    "5:\n"
    "  vzeroupper\n"
    "  jmp 12f\n"
    "6:\n"
    "  test $0x44, %r13d\n"
    "  jz 7f\n"
    "  vmovdqu64 0(%rsp), %zmm0\n"
    "  vmovdqu64 64(%rsp), %zmm1\n"
    "  vmovdqu64 128(%rsp), %zmm2\n"
    "  vmovdqu64 192(%rsp), %zmm3\n"
    "  vmovdqu64 256(%rsp), %zmm4\n"
    "  vmovdqu64 320(%rsp), %zmm5\n"
    "  vmovdqu64 384(%rsp), %zmm6\n"
    "  vmovdqu64 448(%rsp), %zmm7\n"
    "  vmovdqu64 512(%rsp), %zmm8\n"
    "  vmovdqu64 576(%rsp), %zmm9\n"
    "  vmovdqu64 640(%rsp), %zmm10\n"
    "  vmovdqu64 704(%rsp), %zmm11\n"
    "  vmovdqu64 768(%rsp), %zmm12\n"
    "  vmovdqu64 832(%rsp), %zmm13\n"
    "  vmovdqu64 896(%rsp), %zmm14\n"
    "  vmovdqu64 960(%rsp), %zmm15\n"
    "  jmp 8f\n"
    "7:\n"
    "  vzeroupper\n"
    "8:\n"
    "  test $0x80, %r13d\n"
    "  jz 9f\n"
    "  vmovdqu64 1024(%rsp), %zmm16\n"
    "  vmovdqu64 1088(%rsp), %zmm17\n"
    "  vmovdqu64 1152(%rsp), %zmm18\n"
    "  vmovdqu64 1216(%rsp), %zmm19\n"
    "  vmovdqu64 1280(%rsp), %zmm20\n"
    "  vmovdqu64 1344(%rsp), %zmm21\n"
    "  vmovdqu64 1408(%rsp), %zmm22\n"
    "  vmovdqu64 1472(%rsp), %zmm23\n"
    "  vmovdqu64 1536(%rsp), %zmm24\n"
    "  vmovdqu64 1600(%rsp), %zmm25\n"
    "  vmovdqu64 1664(%rsp), %zmm26\n"
    "  vmovdqu64 1728(%rsp), %zmm27\n"
    "  vmovdqu64 1792(%rsp), %zmm28\n"
    "  vmovdqu64 1856(%rsp), %zmm29\n"
    "  vmovdqu64 1920(%rsp), %zmm30\n"
    "  vmovdqu64 1984(%rsp), %zmm31\n"
    "  jmp 10f\n"
    "9:\n"
    "  vpxord %zmm16, %zmm16, %zmm16\n"
    "  vpxord %zmm17, %zmm17, %zmm17\n"
    "  vpxord %zmm18, %zmm18, %zmm18\n"
    "  vpxord %zmm19, %zmm19, %zmm19\n"
    "  vpxord %zmm20, %zmm20, %zmm20\n"
    "  vpxord %zmm21, %zmm21, %zmm21\n"
    "  vpxord %zmm22, %zmm22, %zmm22\n"
    "  vpxord %zmm23, %zmm23, %zmm23\n"
    "  vpxord %zmm24, %zmm24, %zmm24\n"
    "  vpxord %zmm25, %zmm25, %zmm25\n"
    "  vpxord %zmm26, %zmm26, %zmm26\n"
    "  vpxord %zmm27, %zmm27, %zmm27\n"
    "  vpxord %zmm28, %zmm28, %zmm28\n"
    "  vpxord %zmm29, %zmm29, %zmm29\n"
    "  vpxord %zmm30, %zmm30, %zmm30\n"
    "  vpxord %zmm31, %zmm31, %zmm31\n"
    "10:\n"
    "  test $0x20, %r13d\n"
    "  jz 11f\n"
    "  kmovq 2048(%rsp), %k0\n"
    "  kmovq 2056(%rsp), %k1\n"
    "  kmovq 2064(%rsp), %k2\n"
    "  kmovq 2072(%rsp), %k3\n"
    "  kmovq 2080(%rsp), %k4\n"
    "  kmovq 2088(%rsp), %k5\n"
    "  kmovq 2096(%rsp), %k6\n"
    "  kmovq 2104(%rsp), %k7\n"
    "  jmp 12f\n"
    "11:\n"
    "  kxorq %k0, %k0, %k0\n"
    "  kxorq %k1, %k1, %k1\n"
    "  kxorq %k2, %k2, %k2\n"
    "  kxorq %k3, %k3, %k3\n"
    "  kxorq %k4, %k4, %k4\n"
    "  kxorq %k5, %k5, %k5\n"
    "  kxorq %k6, %k6, %k6\n"
    "  kxorq %k7, %k7, %k7\n"
    "12:\n"
    CALL_FRAME_LEAVE
    "  .cfi_endproc\n"
    ".size snare_x86_call_moving_vectors, .-snare_x86_call_moving_vectors\n");
