/* hook_regs_test.c - a hooked call hands back every register the caller
   had: hand-written callers keep sentinels in every general register,
   every vector register at the CPU's full width (xmm, ymm, zmm, k), the
   x87 and MXCSR control state and the flags across a call of a function
   that touches none of them, entered with rsp % 16 == 8 (the ABI) and
   == 0 (what gcc's IPA stack alignment does), hooked by jump and by trap,
   counted, timed, and with a callback that clobbers every vector
   register; the same across a breakpoint whose condition clobbers them,
   reached by jump and by trap. Also: a function that jumps back to its own entry is counted
   once per call, and exits are not caught inside a function. */
#include <cpuid.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "snare.h"

/* What regs_run saw after the call, in the order its stores use. */
typedef struct regs_out {
  uint64_t gpr[15]; /* rax rbx rcx rdx rsi rdi r8 ... r15 */
  uint64_t flags;
  uint16_t x87_control;
  uint8_t pad[2];
  uint32_t mxcsr;
  uint8_t st0[16];
  uint64_t k[8];
  uint8_t vector[32][64]; /* zmm0-31 (or ymm0-15, or xmm0-15) */
} regs_out;

/* Loaded before the call: general registers, vector registers. */
uint64_t regs_gpr_sentinel[15];
uint8_t regs_vector_sentinel[32][64];
uint64_t regs_k_sentinel[8];
/* 64: AVX-512, 32: AVX, 16: SSE only. */
int regs_width;

void regs_run(void (*fn)(void), regs_out *out, int misalign);
int regs_leaf(void);
int regs_leaf_trap(void);
int regs_countdown(int n);
int regs_countdown_trap(int n);
extern const char regs_leaf_end[], regs_countdown_end[];

#define GPR_LOADS                                                              \
  "  mov regs_gpr_sentinel+0(%rip), %rax\n"                                    \
  "  mov regs_gpr_sentinel+8(%rip), %rbx\n"                                    \
  "  mov regs_gpr_sentinel+16(%rip), %rcx\n"                                   \
  "  mov regs_gpr_sentinel+24(%rip), %rdx\n"                                   \
  "  mov regs_gpr_sentinel+32(%rip), %rsi\n"                                   \
  "  mov regs_gpr_sentinel+40(%rip), %rdi\n"                                   \
  "  mov regs_gpr_sentinel+48(%rip), %r8\n"                                    \
  "  mov regs_gpr_sentinel+56(%rip), %r9\n"                                    \
  "  mov regs_gpr_sentinel+64(%rip), %r10\n"                                   \
  "  mov regs_gpr_sentinel+72(%rip), %r11\n"                                   \
  "  mov regs_gpr_sentinel+80(%rip), %r12\n"                                   \
  "  mov regs_gpr_sentinel+88(%rip), %r13\n"                                   \
  "  mov regs_gpr_sentinel+96(%rip), %r14\n"                                   \
  "  mov regs_gpr_sentinel+104(%rip), %r15\n"

#define V16(op, a, b)                                                          \
  op(a, b, 0) op(a, b, 1) op(a, b, 2) op(a, b, 3) op(a, b, 4) op(a, b, 5)      \
  op(a, b, 6) op(a, b, 7) op(a, b, 8) op(a, b, 9) op(a, b, 10) op(a, b, 11)    \
  op(a, b, 12) op(a, b, 13) op(a, b, 14) op(a, b, 15)
#define V32(op, a, b)                                                          \
  V16(op, a, b) op(a, b, 16) op(a, b, 17) op(a, b, 18) op(a, b, 19)            \
  op(a, b, 20) op(a, b, 21) op(a, b, 22) op(a, b, 23) op(a, b, 24)             \
  op(a, b, 25) op(a, b, 26) op(a, b, 27) op(a, b, 28) op(a, b, 29)             \
  op(a, b, 30) op(a, b, 31)
#define STR(x) #x
#define LOAD(insn, reg, i)                                                     \
  "  " insn " regs_vector_sentinel+" STR(i) "*64(%rip), %" reg STR(i) "\n"
#define STORE(insn, reg, i)                                                    \
  "  " insn " %" reg STR(i) ", 216+" STR(i) "*64(%rax)\n"
#define K8(op)                                                                 \
  op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)
#define KLOAD(i) "  kmovq regs_k_sentinel+" STR(i) "*8(%rip), %k" STR(i) "\n"
#define KSTORE(i) "  kmovq %k" STR(i) ", 152+" STR(i) "*8(%rax)\n"

/*
 * regs_run(fn, out, misalign): sentinels in, call fn (with rsp % 16 == 0
 * at its entry when misalign), everything stored to out. The frame: rbp,
 * callee-saved registers, out at [rbp-48], fn at [rbp-56].
 */
__asm__(
    ".text\n"
    ".globl regs_run\n"
    "regs_run:\n"
    "  push %rbp\n"
    "  mov %rsp, %rbp\n"
    "  push %rbx\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  push %rsi\n"
    "  push %rdi\n"
    "  and $-16, %rsp\n"
    "  test %edx, %edx\n"
    "  jz 1f\n"
    "  sub $8, %rsp\n"
    "1:\n"
    "  cmpl $64, regs_width(%rip)\n"
    "  je 2f\n"
    "  cmpl $32, regs_width(%rip)\n"
    "  je 3f\n" V16(LOAD, "movdqu", "xmm") "  jmp 4f\n"
    "2:\n" V32(LOAD, "vmovdqu64", "zmm") K8(KLOAD) "  jmp 4f\n"
    "3:\n" V16(LOAD, "vmovdqu", "ymm")
    "4:\n"
    "  fldcw regs_x87_control(%rip)\n"
    "  fldpi\n"
    "  ldmxcsr regs_mxcsr(%rip)\n" GPR_LOADS
    /* CF and ZF on, without an instruction that sets flags after. */
    "  pushfq\n"
    "  orq $0x41, (%rsp)\n"
    "  popfq\n"
    "  call *-56(%rbp)\n"
    "  pushfq\n"
    "  push %rax\n"
    "  mov -48(%rbp), %rax\n"
    "  pop 0(%rax)\n"
    "  mov %rbx, 8(%rax)\n  mov %rcx, 16(%rax)\n  mov %rdx, 24(%rax)\n"
    "  mov %rsi, 32(%rax)\n  mov %rdi, 40(%rax)\n  mov %r8, 48(%rax)\n"
    "  mov %r9, 56(%rax)\n  mov %r10, 64(%rax)\n  mov %r11, 72(%rax)\n"
    "  mov %r12, 80(%rax)\n  mov %r13, 88(%rax)\n  mov %r14, 96(%rax)\n"
    "  mov %r15, 104(%rax)\n"
    "  pop 120(%rax)\n"
    "  fnstcw 128(%rax)\n"
    "  stmxcsr 132(%rax)\n"
    "  fstpt 136(%rax)\n"
    "  cmpl $64, regs_width(%rip)\n"
    "  je 5f\n"
    "  cmpl $32, regs_width(%rip)\n"
    "  je 6f\n" V16(STORE, "movdqu", "xmm") "  jmp 7f\n"
    "5:\n" V32(STORE, "vmovdqu64", "zmm") K8(KSTORE) "  jmp 7f\n"
    "6:\n" V16(STORE, "vmovdqu", "ymm")
    "7:\n"
    "  fldcw regs_x87_default(%rip)\n"
    "  ldmxcsr regs_mxcsr_default(%rip)\n"
    "  lea -40(%rbp), %rsp\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbx\n"
    "  pop %rbp\n"
    "  ret\n"
    /* Touch nothing but rax: a jump fits over `mov eax, 42`. */
    ".globl regs_leaf\n"
    "regs_leaf:\n"
    "  mov $42, %eax\n"
    "  ret\n"
    ".globl regs_leaf_end\n"
    "regs_leaf_end:\n"
    ".globl regs_leaf_trap\n"
    "regs_leaf_trap:\n"
    "  mov $42, %eax\n"
    "  ret\n"
    /* Jumps back to its own first byte n times, then returns 7. */
    ".globl regs_countdown\n"
    "regs_countdown:\n"
    "10:\n"
    "  mov %edi, %ecx\n"
    "  mov $7, %eax\n"
    "  test %ecx, %ecx\n"
    "  jz 8f\n"
    "  lea -1(%rcx), %edi\n"
    "  jmp 10b\n"
    "8:\n"
    "  ret\n"
    ".globl regs_countdown_end\n"
    "regs_countdown_end:\n"
    ".globl regs_countdown_trap\n"
    "regs_countdown_trap:\n"
    "11:\n"
    "  mov %edi, %ecx\n"
    "  mov $7, %eax\n"
    "  test %ecx, %ecx\n"
    "  jz 9f\n"
    "  lea -1(%rcx), %edi\n"
    "  jmp 11b\n"
    "9:\n"
    "  ret\n"
    ".data\n"
    "regs_x87_control: .short 0x0e7f\n"  /* round up, not to nearest */
    "regs_x87_default: .short 0x037f\n"
    "regs_mxcsr: .long 0x5f80\n"         /* round down, not to nearest */
    "regs_mxcsr_default: .long 0x1f80\n"
    ".text\n");

static void fill_sentinels(void) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  bool avx = (ecx & bit_AVX) && (ecx & bit_OSXSAVE);
  __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
  bool avx512 = avx && (ebx & bit_AVX512F);
  if (avx) { /* the OS must have enabled the state too */
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    avx = (lo & 0x6) == 0x6;
    avx512 = avx512 && (lo & 0xe0) == 0xe0;
  }
  regs_width = avx512 ? 64 : avx ? 32 : 16;
  for (int i = 0; i < 15; i++)
    regs_gpr_sentinel[i] = 0x5e7e000000000000ull + 0x1111111111ull * (i + 1);
  for (int r = 0; r < 32; r++)
    for (int b = 0; b < 64; b++)
      regs_vector_sentinel[r][b] = (uint8_t)(r * 64 + b + 1);
  for (int k = 0; k < 8; k++)
    regs_k_sentinel[k] = 0x0101010101010101ull * (uint64_t)(k + 3);
}

/* What a call of regs_leaf leaves when nothing is hooked. */
static regs_out unhooked(int (*leaf)(void), int misalign) {
  regs_out out;
  memset(&out, 0, sizeof out);
  regs_run((void (*)(void))leaf, &out, misalign);
  return out;
}

static void check(const regs_out *seen, const regs_out *want,
                  const char *what) {
  static const char *const names[15] = {
      "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
      "r10", "r11", "r12", "r13", "r14", "r15", "?"};
  for (int i = 0; i < 14; i++)
    cr_expect_eq(seen->gpr[i], want->gpr[i], "%s: %s is 0x%lx, not 0x%lx",
                 what, names[i], (unsigned long)seen->gpr[i],
                 (unsigned long)want->gpr[i]);
  cr_expect_eq(seen->gpr[0], 42, "%s: the result", what);
  cr_expect_eq(seen->flags & 0xCD5, want->flags & 0xCD5,
               "%s: flags 0x%lx, not 0x%lx", what,
               (unsigned long)seen->flags, (unsigned long)want->flags);
  cr_expect_eq(seen->flags & 0x41, 0x41, "%s: CF and ZF", what);
  cr_expect_eq(seen->x87_control, 0x0e7f, "%s: x87 control word", what);
  cr_expect_eq(seen->mxcsr & ~0x3fu, 0x5f80u, "%s: MXCSR 0x%x", what,
               seen->mxcsr);
  cr_expect_eq(memcmp(seen->st0, want->st0, 10), 0, "%s: st0", what);
  int count = regs_width == 64 ? 32 : 16;
  for (int r = 0; r < count; r++)
    cr_expect_eq(memcmp(seen->vector[r], regs_vector_sentinel[r],
                        (size_t)regs_width),
                 0, "%s: vector register %d (%d bytes)", what, r, regs_width);
  if (regs_width == 64)
    for (int k = 1; k < 8; k++)
      cr_expect_eq(seen->k[k], regs_k_sentinel[k], "%s: k%d", what, k);
}

/* A callback that leaves every vector register, x87 and MXCSR changed. */
static int clobbering_calls;
static void clobber(const snare_hook_call *call, void *data) {
  (void)call;
  (void)data;
  clobbering_calls++;
  __asm__ volatile("pxor %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n"
                   "pcmpeqd %%xmm2, %%xmm2\n pcmpeqd %%xmm7, %%xmm7\n"
                   "pcmpeqd %%xmm8, %%xmm8\n pcmpeqd %%xmm15, %%xmm15\n"
                   "fninit\n"
                   "ldmxcsr %0\n"
                   :
                   : "m"((uint32_t){0x1f80})
                   : "xmm0", "xmm1", "xmm2", "xmm7", "xmm8", "xmm15");
  if (regs_width >= 32)
    __asm__ volatile("vpcmpeqd %%ymm3, %%ymm3, %%ymm3\n"
                     "vpcmpeqd %%ymm9, %%ymm9, %%ymm9\n"
                     "vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n"
                     :
                     :
                     : "xmm3", "xmm9", "xmm14");
  if (regs_width == 64)
    __asm__ volatile("vpternlogd $0xff, %%zmm4, %%zmm4, %%zmm4\n"
                     "vpternlogd $0xff, %%zmm20, %%zmm20, %%zmm20\n"
                     "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
                     "kxnorw %%k1, %%k1, %%k1\n"
                     "kxnorw %%k7, %%k7, %%k7\n"
                     :
                     :
                     : "xmm4", "memory");
}

static void hook_and_compare(int (*leaf)(void), bool jump) {
  const snare_hook_options kinds[] = {
      {0},                                        /* tally */
      {.time = true},                             /* profile */
      {.trace = true},
      {.callback = clobber, .callback_on_exit = true},
  };
  const char *const kind_names[] = {"tally", "profile", "trace", "callback"};
  uint64_t fn = (uint64_t)(uintptr_t)leaf;
  for (size_t kind = 0; kind < 4; kind++)
    for (int misalign = 0; misalign < 2; misalign++) {
      regs_out want = unhooked(leaf, misalign);
      int id;
      cr_assert_eq(snare_hook_function(fn, &kinds[kind], &id), SNARE_OK);
      snare_hook_stats stats;
      snare_hook_stats_get(id, &stats);
      cr_assert_eq(stats.trampoline, jump);
      clobbering_calls = 0;
      regs_out seen;
      memset(&seen, 0, sizeof seen);
      regs_run((void (*)(void))leaf, &seen, misalign);
      char what[80];
      snprintf(what, sizeof what, "%s hook by %s, entry rsp %% 16 == %d",
               kind_names[kind], jump ? "jump" : "trap", misalign ? 0 : 8);
      check(&seen, &want, what);
      snare_hook_stats_get(id, &stats);
      cr_expect_eq(stats.calls, 1, "%s: counted", what);
      if (kind == 3)
        cr_expect_eq(clobbering_calls, 2, "%s: entry and exit", what);
      cr_assert_eq(snare_hook_remove(id), SNARE_OK);
    }
}

static void register_code(void) {
  fill_sentinels();
  cr_assert_eq(snare_code_register((uint64_t)(uintptr_t)regs_leaf,
                                   (uint64_t)(regs_leaf_end - (const char *)regs_leaf),
                                   "regs_leaf"),
               SNARE_OK);
  cr_assert_eq(
      snare_code_register((uint64_t)(uintptr_t)regs_countdown,
                          (uint64_t)(regs_countdown_end -
                                     (const char *)regs_countdown),
                          "regs_countdown"),
      SNARE_OK);
}
static void unregister_code(void) {
  snare_code_unregister((uint64_t)(uintptr_t)regs_leaf);
  snare_code_unregister((uint64_t)(uintptr_t)regs_countdown);
}
TestSuite(hook_regs, .init = register_code, .fini = unregister_code,
          .timeout = 30);

Test(hook_regs, the_sentinels_survive_an_unhooked_call) {
  regs_out out = unhooked(regs_leaf, 0);
  check(&out, &out, "unhooked");
  for (int i = 1; i < 14; i++)
    cr_expect_eq(out.gpr[i], regs_gpr_sentinel[i]);
}

Test(hook_regs, a_jump_hook_keeps_every_register) {
  hook_and_compare(regs_leaf, true);
}

Test(hook_regs, a_trap_hook_keeps_every_register) {
  hook_and_compare(regs_leaf_trap, false);
}

static bool clobbering_condition(snare_frame *frame, void *data) {
  (void)frame;
  clobber(NULL, data);
  return false;
}

/* A breakpoint's condition that clobbers every vector register, x87
   and MXCSR, run on the worker at regs_leaf (by the breakpoint's jump)
   and at regs_leaf_trap (by its trap), hands the worker back every
   register it had: what saving less of the extended state at a hit
   must keep. */
Test(hook_regs, a_breakpoint_whose_condition_clobbers_keeps_every_register) {
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  int (*const leaves[])(void) = {regs_leaf, regs_leaf_trap};
  for (int trap = 0; trap < 2; trap++)
    for (int misalign = 0; misalign < 2; misalign++) {
      regs_out want = unhooked(leaves[trap], misalign);
      snare_breakpoint_options opts = {.condition = clobbering_condition,
                                       .trap = trap};
      int id;
      cr_assert_eq(snare_breakpoint_set(session,
                                        (uint64_t)(uintptr_t)leaves[trap],
                                        &opts, &id),
                   SNARE_OK);
      snare_breakpoint_info info;
      cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
      cr_assert_eq(info.mechanism,
                   trap ? SNARE_BREAKPOINT_TRAP : SNARE_BREAKPOINT_JUMP);
      clobbering_calls = 0;
      regs_out seen;
      memset(&seen, 0, sizeof seen);
      uint64_t args[3] = {(uint64_t)(uintptr_t)leaves[trap],
                          (uint64_t)(uintptr_t)&seen, (uint64_t)misalign};
      snare_stop stop;
      cr_assert_eq(snare_call(session, (uint64_t)(uintptr_t)regs_run, 3, args,
                              &stop),
                   SNARE_OK);
      cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "stopped: %s",
                   snare_stop_kind_name(stop.kind));
      char what[80];
      snprintf(what, sizeof what, "condition by %s, entry rsp %% 16 == %d",
               trap ? "trap" : "jump", misalign ? 0 : 8);
      check(&seen, &want, what);
      cr_expect_eq(clobbering_calls, 1, "%s: the condition ran", what);
      cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
    }
  snare_session_free(session);
}

static int exits;
static void count_exit(const snare_hook_call *call, void *data) {
  (void)data;
  exits += call->exit;
}

Test(hook_regs, a_jump_back_to_the_entry_is_not_a_call) {
  int (*const variants[2])(int) = {regs_countdown, regs_countdown_trap};
  const snare_hook_options kinds[] = {
      {.time = true},
      {.callback = count_exit, .callback_on_exit = true},
  };
  for (int v = 0; v < 2; v++)
    for (size_t kind = 0; kind < 2; kind++) {
      int id;
      cr_assert_eq(snare_hook_function((uint64_t)(uintptr_t)variants[v],
                                       &kinds[kind], &id),
                   SNARE_OK);
      exits = 0;
      cr_assert_eq(variants[v](5), 7);
      cr_assert_eq(variants[v](0), 7);
      snare_hook_stats stats;
      snare_hook_stats_get(id, &stats);
      cr_expect_eq(stats.calls, 2, "variant %d kind %zu: %lu calls", v, kind,
                   (unsigned long)stats.calls);
      if (kind == 1)
        cr_expect_eq(exits, 2);
      cr_assert_eq(snare_hook_remove(id), SNARE_OK);
    }
}

Test(hook_regs, exits_are_not_caught_inside_a_function) {
  uint64_t inside = (uint64_t)(uintptr_t)regs_leaf + 5; /* the ret */
  const snare_hook_options catching[] = {
      {.time = true},
      {.trace = true},
      {.callback = count_exit, .callback_on_exit = true},
  };
  for (size_t i = 0; i < 3; i++) {
    int id = -1;
    cr_expect_eq(snare_hook_function(inside, &catching[i], &id),
                 SNARE_NOT_FUNCTION_ENTRY);
    cr_expect_eq(id, -1);
  }
  cr_expect_str_eq(snare_status_message(SNARE_NOT_FUNCTION_ENTRY),
                   "not a function's entry: cannot catch its return");
}
