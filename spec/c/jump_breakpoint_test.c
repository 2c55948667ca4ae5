/*
 * jump_breakpoint_test.c - conditional breakpoints reached through a
 * jump to a trampoline instead of a trap (snare_breakpoint_info's
 * mechanism): on every instruction of the displaced-step tests'
 * hand-assembled functions, of a leaf that keeps its data below rsp (the
 * red zone) and of a function with a jump table, results are unchanged,
 * conditions see every hit, a true condition stops exactly where and as
 * a trap stops, and stepping from there runs the same instructions;
 * eight threads run through while breakpoints are set and cleared.
 */
#include <cpuid.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "displaced_code.h"
#include "fixtures.h"
#include "snare.h"

static snare_session *session;
static uint8_t *page;

static void setup(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_session_set_timeout(session, 10000);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
  cr_assert_neq(page, MAP_FAILED);
}

static void teardown(void) {
  snare_session_free(session);
  munmap(page, 4096);
}

TestSuite(jump_breakpoint, .init = setup, .fini = teardown, .timeout = 60);

/* A red-zone leaf: (a + b) * a with both kept below rsp. */
static const uint8_t red_zone_leaf[] = {
    0x48, 0x89, 0x7c, 0x24, 0xf8,       /* 0: mov [rsp-8], rdi */
    0x48, 0x89, 0x74, 0x24, 0xf0,       /* 5: mov [rsp-16], rsi */
    0x48, 0x31, 0xff,                   /* 10: xor rdi, rdi */
    0x48, 0x31, 0xf6,                   /* 13: xor rsi, rsi */
    0x48, 0x8b, 0x44, 0x24, 0xf8,       /* 16: mov rax, [rsp-8] */
    0x48, 0x03, 0x44, 0x24, 0xf0,       /* 21: add rax, [rsp-16] */
    0x48, 0x0f, 0xaf, 0x44, 0x24, 0xf8, /* 26: imul rax, [rsp-8] */
    0xc3,                               /* 32: ret */
};

/* switch (rdi & 3) through a table of absolute addresses at +64
   (filled when loaded): 10, 20, 30, 40, plus rsi. */
static const uint8_t jump_table[] = {
    0x48, 0x89, 0xf8,                         /* 0: mov rax, rdi */
    0x48, 0x83, 0xe0, 0x03,                   /* 3: and rax, 3 */
    0x48, 0x8d, 0x0d, 0x32, 0x00, 0x00, 0x00, /* 7: lea rcx, [rip+50] */
    0xff, 0x24, 0xc1,                         /* 14: jmp [rcx+rax*8] */
    0xb8, 0x0a, 0x00, 0x00, 0x00,             /* 17: mov eax, 10 */
    0xeb, 0x14,                               /* 22: jmp 44 */
    0xb8, 0x14, 0x00, 0x00, 0x00,             /* 24: mov eax, 20 */
    0xeb, 0x0d,                               /* 29: jmp 44 */
    0xb8, 0x1e, 0x00, 0x00, 0x00,             /* 31: mov eax, 30 */
    0xeb, 0x06,                               /* 36: jmp 44 */
    0xb8, 0x28, 0x00, 0x00, 0x00,             /* 38: mov eax, 40 */
    0x90,                                     /* 43: nop */
    0x48, 0x01, 0xf0,                         /* 44: add rax, rsi */
    0xc3,                                     /* 47: ret */
};
static const unsigned jump_table_cases[] = {17, 24, 31, 38};

/* OF, SF, AF and PF from an addition that overflows, then DF: returns the
   flags (pushfq), which a handler that left any of them changed changes. */
static const uint8_t flags_state[] = {
    0xb8, 0xff, 0xff, 0xff, 0x7f, /* 0: mov eax, 0x7fffffff */
    0x83, 0xc0, 0x01,             /* 5: add eax, 1 */
    0xfd,                         /* 8: std */
    0x9c,                         /* 9: pushfq */
    0x58,                         /* 10: pop rax */
    0xfc,                         /* 11: cld */
    0xc3,                         /* 12: ret */
};

typedef struct hand_case {
  const char *name;
  const uint8_t *code;
  size_t size;
  uint64_t a, b; /* b relative to the function when b_relative */
  bool b_relative;
  size_t callee;  /* nonzero: a function of its own starts there */
} hand_case;

static const hand_case cases[] = {
    {"rip_relative", rip_relative, sizeof rip_relative, 0, 0, false, 0},
    {"branch_low", branch, sizeof branch, 3, 0, false, 0},
    {"branch_high", branch, sizeof branch, 9, 0, false, 0},
    {"direct_call", direct_call, sizeof direct_call, 0, 0, false, 11},
    {"indirect_call", indirect_call, sizeof indirect_call, 0, 16, true,
     16},
    {"relative_jump", relative_jump, sizeof relative_jump, 0, 0, false, 0},
    {"counted_loop", counted_loop, sizeof counted_loop, 5, 0, false, 0},
    {"red_zone_leaf", red_zone_leaf, sizeof red_zone_leaf, 6, 7, false, 0},
    {"jump_table_0", jump_table, sizeof jump_table, 4, 100, false, 0},
    {"jump_table_3", jump_table, sizeof jump_table, 7, 100, false, 0},
    {"flags_state", flags_state, sizeof flags_state, 0, 0, false, 0},
};

/* Loads the case at the start of the page, registered as one function,
   with the data some of them read at +64. */
static uint64_t load(const hand_case *c) {
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
  memset(page, 0xcc, 4096);
  memcpy(page, c->code, c->size);
  uint64_t fn = (uint64_t)(uintptr_t)page;
  uint64_t value = 0x1122334455667788ull;
  if (c->code == jump_table)
    for (int k = 0; k < 4; k++) {
      value = fn + jump_table_cases[k];
      memcpy(page + 64 + 8 * k, &value, sizeof value);
    }
  else if (c->size <= 64) /* longer ones read no data */
    memcpy(page + 64, &value, sizeof value);
  mprotect(page, 4096, PROT_READ | PROT_EXEC);
  /* a callee is a function of its own: what an indirect call reaches */
  snare_code_function f[2] = {{c->name, fn, c->callee ? c->callee : c->size},
                              {"callee", fn + c->callee, c->size - c->callee}};
  snare_code_info info = {.start = fn, .size = 4096, .name = "hand",
                          .functions = f,
                          .function_count = c->callee ? 2 : 1};
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);
  return fn;
}

static uint64_t arg_b(const hand_case *c, uint64_t fn) {
  return c->b_relative ? fn + c->b : c->b;
}

typedef struct counting {
  atomic_int hits;
  bool stop;
} counting;

static bool count_hit(snare_frame *frame, void *data) {
  (void)frame;
  counting *c = data;
  atomic_fetch_add(&c->hits, 1);
  return c->stop;
}

static snare_stop call(uint64_t fn, uint64_t a, uint64_t b) {
  uint64_t args[2] = {a, b};
  snare_stop stop;
  cr_assert_eq(snare_call(session, fn, 2, args, &stop), SNARE_OK);
  return stop;
}

static snare_stop resume(snare_resume_mode mode) {
  snare_stop stop;
  cr_assert_eq(snare_resume(session, mode, NULL, &stop), SNARE_OK);
  return stop;
}

/* Every stop of a run at pc, continued; the exit's value. */
static uint64_t run_stopping(uint64_t fn, uint64_t a, uint64_t b, uint64_t pc,
                             int *stops) {
  snare_stop stop = call(fn, a, b);
  for (*stops = 0; stop.kind == SNARE_STOP_BREAKPOINT; ++*stops) {
    cr_assert_eq(stop.pc, pc);
    cr_assert_eq(stop.registers.value[SNARE_REG_RIP], pc);
    stop = resume(SNARE_RESUME_CONTINUE);
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "%s (signal %d) at +%ld",
               snare_stop_kind_name(stop.kind), stop.signal,
               (long)(stop.pc - fn));
  return stop.return_value;
}

/* The pcs single steps reach from the first stop at pc to the exit. */
static size_t step_trace(uint64_t fn, uint64_t a, uint64_t b, uint64_t *pcs,
                         size_t cap, uint64_t *result) {
  snare_stop stop = call(fn, a, b);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  snare_breakpoint_clear_all(session);
  size_t n = 0;
  for (; n < cap; n++) {
    stop = resume(SNARE_RESUME_STEP_INSTRUCTION);
    if (stop.kind != SNARE_STOP_STEP)
      break;
    pcs[n] = stop.pc;
  }
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  *result = stop.return_value;
  return n;
}

/* The instruction at pc: its text into text, its length returned. */
static size_t disassemble_at(uint64_t pc, char *text, size_t cap) {
  size_t length;
  cr_assert_eq(snare_disassemble(pc, SNARE_DISASSEMBLY_ATT, text, cap, &length),
               SNARE_OK);
  return length;
}

static unsigned jumps_on_every_instruction(const hand_case *c) {
  uint64_t fn = load(c);
  uint64_t b = arg_b(c, fn);
  snare_stop plain = call(fn, c->a, b);
  cr_assert_eq(plain.kind, SNARE_STOP_EXIT);
  unsigned jumps = 0;
  for (uint64_t pc = fn; pc < fn + c->size;) {
    char text[128];
    size_t length = disassemble_at(pc, text, sizeof text);
    /* never stopping: conditions counted, results unchanged */
    counting quiet = {0};
    snare_breakpoint_options opts = {.condition = count_hit,
                                     .condition_data = &quiet};
    int id;
    cr_assert_eq(snare_breakpoint_set(session, pc, &opts, &id), SNARE_OK);
    snare_breakpoint_info info;
    cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
    jumps += info.mechanism == SNARE_BREAKPOINT_JUMP;
    int stops;
    cr_assert_eq(run_stopping(fn, c->a, b, pc, &stops), plain.return_value,
                 "%s+%lu (%s)", c->name, (unsigned long)(pc - fn), text);
    cr_assert_eq(stops, 0);
    int quiet_hits = atomic_load(&quiet.hits);
    cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
    cr_assert_eq(info.hits, (uint64_t)quiet_hits);
    cr_assert_eq(info.rejected, (uint64_t)quiet_hits);
    /* stopping at every hit, the same number of times */
    counting loud = {.stop = true};
    snare_breakpoint_clear(session, id);
    opts.condition_data = &loud;
    cr_assert_eq(snare_breakpoint_set(session, pc, &opts, &id), SNARE_OK);
    cr_assert_eq(run_stopping(fn, c->a, b, pc, &stops), plain.return_value);
    cr_assert_eq(stops, quiet_hits);
    /* single steps from the stop reach what they reach from a trap */
    uint64_t with_jump[64], with_trap[64], r1 = 0, r2 = 0;
    size_t n1 = quiet_hits ? step_trace(fn, c->a, b, with_jump, 64, &r1) : 0;
    snare_breakpoint_options plain_opts = {0};
    cr_assert_eq(snare_breakpoint_set(session, pc, &plain_opts, &id), SNARE_OK);
    size_t n2 = quiet_hits ? step_trace(fn, c->a, b, with_trap, 64, &r2) : 0;
    cr_assert_eq(n1, n2, "%s+%lu", c->name, (unsigned long)(pc - fn));
    cr_assert_arr_eq(with_jump, with_trap, n1 * sizeof with_jump[0]);
    cr_assert_eq(r1, r2);
    snare_breakpoint_clear_all(session);
    pc += length;
  }
  cr_assert_eq(snare_code_unregister(fn), SNARE_OK);
  return jumps;
}

Test(jump_breakpoint, on_every_instruction_of_the_hand_written_functions) {
  unsigned jumps = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (cases[i].code != jump_table)
      jumps += jumps_on_every_instruction(&cases[i]);
  cr_assert_gt(jumps, 10, "%u jumps", jumps);
}

Test(jump_breakpoint, leave_the_red_zone_alone) {
  cr_assert_gt(jumps_on_every_instruction(&cases[7]), 4);
}

/* Its targets unknown, a function with an indirect jump keeps traps. */
Test(jump_breakpoint, trap_in_a_function_with_a_jump_table) {
  cr_assert_eq(jumps_on_every_instruction(&cases[8]), 0);
  cr_assert_eq(jumps_on_every_instruction(&cases[9]), 0);
}

/* ---- threads running through ---- */

typedef struct runner {
  uint64_t fn;
  atomic_bool *done;
  unsigned wrong, calls;
} runner;

static void *run_through(void *arg) {
  runner *r = arg;
  int id;
  cr_assert_eq(snare_thread_attach(session, false, &id), SNARE_OK);
  int (*count_to)(int) = (int (*)(int))(uintptr_t)r->fn;
  while (!atomic_load(r->done)) {
    r->wrong += count_to(200) != 20100;
    r->calls++;
  }
  snare_thread_detach(session);
  return NULL;
}

Test(jump_breakpoint, eight_threads_run_through_while_they_are_set) {
  snare_library *lib;
  cr_assert_eq(snare_library_open(fixture_path("O2", "loops"), &lib),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(lib, "count_to", &sym), SNARE_OK);
  atomic_bool done = false;
  runner runners[8];
  pthread_t threads[8];
  for (int t = 0; t < 8; t++) {
    runners[t] = (runner){sym.address, &done, 0, 0};
    pthread_create(&threads[t], NULL, run_through, &runners[t]);
  }
  counting quiet = {0};
  snare_breakpoint_options opts = {.condition = count_hit,
                                   .condition_data = &quiet};
  unsigned jumps = 0;
  /* Each jump written or removed stops all eight threads a moment. */
  for (uint64_t pc = sym.address; pc < sym.address + sym.size;) {
    char text[128];
    size_t length = disassemble_at(pc, text, sizeof text);
    int id;
    cr_assert_eq(snare_breakpoint_set(session, pc, &opts, &id), SNARE_OK);
    snare_breakpoint_info info;
    snare_breakpoint_info_get(session, id, &info);
    jumps += info.mechanism == SNARE_BREAKPOINT_JUMP;
    sched_yield();
    cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
    pc += length;
  }
  atomic_store(&done, true);
  unsigned wrong = 0, calls = 0;
  for (int t = 0; t < 8; t++) {
    pthread_join(threads[t], NULL);
    wrong += runners[t].wrong;
    calls += runners[t].calls;
  }
  cr_assert_eq(wrong, 0, "%u of %u calls wrong", wrong, calls);
  cr_assert_gt(jumps, 0);
  cr_assert_gt(atomic_load(&quiet.hits), 0);
  snare_library_close(lib);
}

static bool go_to_twelve(snare_frame *frame, void *data) {
  uint64_t fn = *(uint64_t *)data;
  snare_frame_register_set(frame, SNARE_REG_RIP, fn + 12);
  return false;
}

/* Sets the ID flag (bit 21, harmless) in the context's flags. */
static bool set_id_flag(snare_frame *frame, void *data) {
  (void)data;
  uint64_t flags;
  snare_frame_register_get(frame, SNARE_REG_EFLAGS, &flags);
  snare_frame_register_set(frame, SNARE_REG_EFLAGS, flags | (1u << 21));
  return false;
}

/* A condition that changes a flag no code of a handler changes gets it
   (the trampoline's POPF way), the others kept as the program had them. */
Test(jump_breakpoint, a_condition_may_change_the_flags) {
  const hand_case *c = &cases[sizeof cases / sizeof cases[0] - 1];
  uint64_t fn = load(c);
  uint64_t flags = call(fn, 0, 0).return_value & ~(uint64_t)(1u << 21);
  cr_assert_eq(flags & 0xCD5, 0xC94, "OF DF SF AF PF: %#lx", (long)flags);
  snare_breakpoint_options opts = {.condition = set_id_flag};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fn + 8, &opts, &id), SNARE_OK);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_JUMP);
  cr_assert_eq(call(fn, 0, 0).return_value, flags | (1u << 21));
  snare_breakpoint_clear_all(session);
  cr_assert_eq(snare_code_unregister(fn), SNARE_OK);
}

/* A condition that moves the pc resumes there, as at a trap. */
Test(jump_breakpoint, a_condition_may_move_the_pc) {
  uint64_t fn = load(&cases[2]); /* branch: 9 gives 1, unless sent to 12 */
  snare_breakpoint_options opts = {.condition = go_to_twelve,
                                   .condition_data = &fn};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fn, &opts, &id), SNARE_OK);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_JUMP);
  snare_stop stop = call(fn, 9, 0);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 2);
  cr_assert_eq(snare_code_unregister(fn), SNARE_OK);
}

/* ---- float state live across the jump ---- */

/* (a + b) * b in xmm0/xmm1 and a * b on the x87 stack, live across most
   of it, plus MXCSR's exception flags << 48 and the x87 status word << 32
   as the function ends: a breakpoint's handler that left any of them
   changed changes the result. */
static const uint8_t float_state[] = {
    0x0f, 0xae, 0x5c, 0x24, 0xec,       /* 0: stmxcsr [rsp-20] */
    0x83, 0x64, 0x24, 0xec, 0xc0,       /* 5: and dword [rsp-20], -64 */
    0x0f, 0xae, 0x54, 0x24, 0xec,       /* 10: ldmxcsr [rsp-20] */
    0x66, 0x48, 0x0f, 0x6e, 0xc7,       /* 15: movq xmm0, rdi */
    0x66, 0x48, 0x0f, 0x6e, 0xce,       /* 20: movq xmm1, rsi */
    0x66, 0x0f, 0xd4, 0xc1,             /* 25: paddq xmm0, xmm1 */
    0x48, 0x89, 0x7c, 0x24, 0xf8,       /* 29: mov [rsp-8], rdi */
    0xdf, 0x6c, 0x24, 0xf8,             /* 34: fild qword [rsp-8] */
    0x48, 0x89, 0x74, 0x24, 0xf8,       /* 38: mov [rsp-8], rsi */
    0xdf, 0x6c, 0x24, 0xf8,             /* 43: fild qword [rsp-8] */
    0xde, 0xc9,                         /* 47: fmulp st(1), st */
    0x66, 0x0f, 0xf4, 0xc1,             /* 49: pmuludq xmm0, xmm1 */
    0xdf, 0x7c, 0x24, 0xf0,             /* 53: fistp qword [rsp-16] */
    0x66, 0x48, 0x0f, 0x7e, 0xc0,       /* 57: movq rax, xmm0 */
    0x48, 0x03, 0x44, 0x24, 0xf0,       /* 62: add rax, [rsp-16] */
    0x0f, 0xae, 0x5c, 0x24, 0xec,       /* 67: stmxcsr [rsp-20] */
    0x8b, 0x4c, 0x24, 0xec,             /* 72: mov ecx, [rsp-20] */
    0x83, 0xe1, 0x3f,                   /* 76: and ecx, 63 */
    0x48, 0xc1, 0xe1, 0x30,             /* 79: shl rcx, 48 */
    0x48, 0x01, 0xc8,                   /* 83: add rax, rcx */
    0xdd, 0x7c, 0x24, 0xe8,             /* 86: fnstsw [rsp-24] */
    0x0f, 0xb7, 0x4c, 0x24, 0xe8,       /* 90: movzx ecx, word [rsp-24] */
    0x48, 0xc1, 0xe1, 0x20,             /* 95: shl rcx, 32 */
    0x48, 0x01, 0xc8,                   /* 99: add rax, rcx */
    0xc3,                               /* 102: ret */
};

/* Whether XGETBV reads XINUSE here, and then its x87 bit. */
static bool reads_in_use(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE) ||
      __get_cpuid_max(0, NULL) < 0xD)
    return false;
  __cpuid_count(0xD, 1, eax, ebx, ecx, edx);
  return eax & (1u << 2);
}

static bool x87_in_use(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
  return lo & 1;
}

/* Run on the worker before each call: its x87 state back to the initial
   one (XRSTOR of that component from an empty header), as a thread that
   never used the x87 unit has it. */
static uint64_t reset_x87(void) {
  _Alignas(64) uint8_t area[576] = {0};
  __asm__ volatile("xrstor64 %0" : : "m"(area), "a"(1), "d"(0));
  return 0;
}

typedef struct float_hits {
  atomic_int x87_initial, x87_live;
  bool stop;
} float_hits;

__attribute__((target("avx512bw"))) static void clobber_avx512_state(void) {
  __asm__ volatile("vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n"
                   "vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
                   "vpternlogd $0xff, %%zmm17, %%zmm17, %%zmm17\n"
                   "vpternlogd $0xff, %%zmm2, %%zmm2, %%zmm2\n"
                   "kxnorq %%k1, %%k1, %%k1\n kxnorq %%k2, %%k2, %%k2\n"
                   ::: "xmm16", "xmm31", "xmm17", "xmm2", "k1", "k2");
}

/* Uses everything a condition running C or Lua may use: the x87 stack
   (leaving an inexact flag), every xmm register, MXCSR's flags, and
   where the CPU has them the vector registers' upper parts, zmm16-31 and
   the mask registers. */
static bool clobber_float_state(snare_frame *frame, void *data) {
  (void)frame;
  float_hits *h = data;
  if (reads_in_use())
    atomic_fetch_add(x87_in_use() ? &h->x87_live : &h->x87_initial, 1);
  volatile long double third = 1.0L;
  third /= 3.0L;
  volatile double narrow = 1.0;
  narrow /= 3.0;
  __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n"
                   "pcmpeqd %%xmm2, %%xmm2\n pcmpeqd %%xmm7, %%xmm7\n"
                   "pcmpeqd %%xmm8, %%xmm8\n pcmpeqd %%xmm15, %%xmm15\n"
                   ::: "xmm0", "xmm1", "xmm2", "xmm7", "xmm8", "xmm15");
  if (__builtin_cpu_supports("avx2"))
    __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n"
                     "vpcmpeqd %%ymm9, %%ymm9, %%ymm9\n" ::: "xmm0", "xmm9");
  if (__builtin_cpu_supports("avx512bw"))
    clobber_avx512_state();
  return h->stop;
}

/* a + b in zmm17's upper half, b in zmm2's and a in k2, summed from
   there: live across the jumps. */
static const uint8_t avx512_state[] = {
    0x62, 0xe2, 0xfd, 0x48, 0x7c, 0xcf,       /* 0: vpbroadcastq zmm17, rdi */
    0x62, 0xf2, 0xfd, 0x48, 0x7c, 0xd6,       /* 6: vpbroadcastq zmm2, rsi */
    0xc4, 0xe1, 0xfb, 0x92, 0xd7,             /* 12: kmovq k2, rdi */
    0x62, 0xe1, 0xf5, 0x40, 0xd4, 0xca,       /* 17: vpaddq zmm17, zmm17, zmm2 */
    0x62, 0xe3, 0xfd, 0x48, 0x3b, 0xc8, 0x01, /* 23: vextracti64x4 ymm0, zmm17, 1 */
    0xc4, 0xe3, 0x7d, 0x39, 0xc0, 0x01,       /* 30: vextracti128 xmm0, ymm0, 1 */
    0xc4, 0xe1, 0xf9, 0x7e, 0xc0,             /* 36: vmovq rax, xmm0 */
    0x62, 0xf3, 0xfd, 0x48, 0x3b, 0xd1, 0x01, /* 41: vextracti64x4 ymm1, zmm2, 1 */
    0xc4, 0xe3, 0x7d, 0x39, 0xc9, 0x01,       /* 48: vextracti128 xmm1, ymm1, 1 */
    0xc4, 0xe1, 0xf9, 0x7e, 0xc9,             /* 54: vmovq rcx, xmm1 */
    0x48, 0x01, 0xc8,                         /* 59: add rax, rcx */
    0xc4, 0xe1, 0xfb, 0x93, 0xca,             /* 62: kmovq rcx, k2 */
    0x48, 0x01, 0xc8,                         /* 67: add rax, rcx */
    0xc5, 0xf8, 0x77,                         /* 70: vzeroupper */
    0xc3,                                     /* 73: ret */
};

/* A breakpoint with clobber_float_state on each instruction, never
   stopping and stopping at every hit, the x87 state initial as each call
   begins: the result is the one without a breakpoint. Returns how many
   of them were jumps. */
static unsigned keeps_float_state(const hand_case *c, uint64_t expected,
                                  float_hits *hits) {
  uint64_t fn = load(c);
  uint64_t reset = (uint64_t)(uintptr_t)reset_x87;
  call(reset, 0, 0);
  snare_stop plain = call(fn, c->a, c->b);
  cr_assert_eq(plain.kind, SNARE_STOP_EXIT);
  cr_assert_eq(plain.return_value, expected);
  unsigned jumps = 0;
  for (uint64_t pc = fn; pc < fn + c->size;) {
    char text[128];
    size_t length = disassemble_at(pc, text, sizeof text);
    for (int stop = 0; stop < 2; stop++) {
      hits->stop = stop;
      snare_breakpoint_options opts = {.condition = clobber_float_state,
                                       .condition_data = hits};
      int id, stops;
      cr_assert_eq(snare_breakpoint_set(session, pc, &opts, &id), SNARE_OK);
      snare_breakpoint_info info;
      cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
      jumps += info.mechanism == SNARE_BREAKPOINT_JUMP;
      call(reset, 0, 0);
      cr_assert_eq(run_stopping(fn, c->a, c->b, pc, &stops), expected,
                   "%s+%lu (%s)%s", c->name, (unsigned long)(pc - fn), text,
                   stop ? ", stopping" : "");
      cr_assert_eq(stops, stop);
      snare_breakpoint_clear_all(session);
    }
    pc += length;
  }
  cr_assert_eq(snare_code_unregister(fn), SNARE_OK);
  return jumps;
}

/* The first instructions reach the trampoline with the x87 state
   initial, the later ones with x87 registers live. */
Test(jump_breakpoint, keep_live_float_and_x87_state) {
  static const hand_case c = {"float_state", float_state,
                              sizeof float_state, 6, 7, false, 0};
  float_hits hits = {0};
  unsigned jumps = keeps_float_state(&c, 13 * 7 + 6 * 7, &hits);
  cr_assert_gt(jumps, 20, "%u jumps", jumps);
  if (reads_in_use()) {
    cr_assert_gt(atomic_load(&hits.x87_initial), 4);
    cr_assert_gt(atomic_load(&hits.x87_live), 4);
  }
}

Test(jump_breakpoint, keep_live_avx512_state) {
  if (!__builtin_cpu_supports("avx512bw"))
    cr_skip_test("no AVX-512 here");
  static const hand_case c = {"avx512_state", avx512_state,
                              sizeof avx512_state, 6, 7, false, 0};
  float_hits hits = {0};
  cr_assert_gt(keeps_float_state(&c, 13 + 7 + 6, &hits), 10);
}

/* Calls fn(6, 7), where a trap breakpoint is that never stops, then says
   whether the x87 state is in use (XINUSE). */
static uint64_t x87_in_use_after_trap(uint64_t fn, uint64_t unused) {
  (void)unused;
  ((uint64_t(*)(uint64_t, uint64_t))(uintptr_t)fn)(6, 7);
  return x87_in_use();
}

/* The same with the x87 unit in use (a control word of its own) before
   the trap: returns the control word after it. */
static uint64_t x87_control_after_trap(uint64_t fn, uint64_t unused) {
  (void)unused;
  uint16_t control = 0x27f, after = 0;
  __asm__ volatile("fldcw %0" : : "m"(control));
  ((uint64_t(*)(uint64_t, uint64_t))(uintptr_t)fn)(6, 7);
  __asm__ volatile("fnstcw %0" : "=m"(after));
  control = 0x37f;
  __asm__ volatile("fldcw %0" : : "m"(control));
  return after;
}

/* Linux marks the x87 state in use in every signal frame; a trap of
   snare's in a thread that never used the unit leaves it initial (else
   every later condition saves and restores it whole), and one that used
   it gets its state back. */
Test(jump_breakpoint, trap_leaves_an_initial_x87_state_initial) {
  if (!reads_in_use())
    cr_skip_test("XGETBV does not read XINUSE here");
  uint64_t fn = load(&cases[0]);
  snare_breakpoint_options opts = {.skip = 1000, .trap = true};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, fn, &opts, &id), SNARE_OK);
  call((uint64_t)(uintptr_t)reset_x87, 0, 0);
  uint64_t uses = (uint64_t)(uintptr_t)x87_in_use_after_trap;
  cr_assert_eq(call(uses, fn, 0).return_value, 0,
               "x87 in use after a trap in a thread that never used it");
  uint64_t control = (uint64_t)(uintptr_t)x87_control_after_trap;
  cr_assert_eq(call(control, fn, 0).return_value, 0x27f);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_assert_eq(info.mechanism, SNARE_BREAKPOINT_TRAP);
  cr_assert_eq(info.hits, 2);
  snare_breakpoint_clear_all(session);
  cr_assert_eq(snare_code_unregister(fn), SNARE_OK);
}
