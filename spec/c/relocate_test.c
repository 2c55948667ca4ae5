/*
 * relocate_test.c - jump hooks on functions whose first instructions
 * branch, call or address memory relative to themselves: each shape is
 * hand-assembled into JIT memory, registered as a region with its
 * functions, hooked with a counting hook and called. Each test checks
 * what the function returns, that the hook counted exactly the calls, and
 * whether a jump or a trap was used (and why not a jump).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "../../arch/x86_64/relocate.h"
#include "snare.h"

TestSuite(relocate, .timeout = 30);

typedef int (*int_fn)(int);

typedef struct loaded {
  snare_jit *jit;
  uint64_t base;
} loaded;

/* Puts code into executable memory as one region whose functions start
   at offsets[i] and are sizes[i] long. */
static loaded load(const uint8_t *code, size_t n, const size_t *offsets,
                   const size_t *sizes, size_t count) {
  loaded l = {0};
  cr_assert_eq(snare_jit_alloc(4096, 0, &l.jit), SNARE_OK);
  cr_assert_eq(snare_jit_write(l.jit, 0, code, n), SNARE_OK);
  cr_assert_eq(snare_jit_commit(l.jit), SNARE_OK);
  l.base = snare_jit_address(l.jit);
  snare_code_function functions[4];
  static const char *const names[4] = {"f0", "f1", "f2", "f3"};
  cr_assert_leq(count, 4);
  for (size_t i = 0; i < count; i++)
    functions[i] = (snare_code_function){names[i], l.base + offsets[i],
                                         sizes[i]};
  snare_code_info info = {.start = l.base, .size = n, .name = "relocate",
                          .functions = functions, .function_count = count};
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);
  return l;
}

static loaded load_one(const uint8_t *code, size_t n) {
  return load(code, n, (size_t[]){0}, (size_t[]){n}, 1);
}

static int_fn as_fn(uint64_t addr) { return (int_fn)(uintptr_t)addr; }

static int hook(uint64_t fn, bool timed) {
  snare_hook_options opts = {.time = timed};
  int id = 0;
  cr_assert_eq(snare_hook_function(fn, &opts, &id), SNARE_OK);
  return id;
}

static snare_hook_stats stats_of(int id) {
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(id, &stats), SNARE_OK);
  return stats;
}

static void assert_jump(int id) {
  snare_hook_stats stats = stats_of(id);
  cr_assert(stats.trampoline, "fell back: %s",
            snare_hook_fallback_name(stats.fallback));
  cr_assert_eq(stats.fallback, SNARE_HOOK_JUMP);
}

static void assert_trap(int id, snare_hook_fallback why) {
  snare_hook_stats stats = stats_of(id);
  cr_assert_not(stats.trampoline);
  cr_assert_eq(stats.fallback, why, "fell back: %s",
               snare_hook_fallback_name(stats.fallback));
}

/* Calls f(args[i]) for each, checks it returns expected[i], then that
   the hook saw exactly those calls. */
static void assert_calls(int id, uint64_t fn, const int *args,
                         const int *expected, size_t n) {
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(as_fn(fn)(args[i]), expected[i], "f(%d)", args[i]);
  cr_assert_eq(stats_of(id).calls, n);
}

Test(relocate, je_rel8_at_byte_2) {
  static const uint8_t code[] = {
      0x85, 0xFF,                   /* 0: test edi, edi */
      0x74, 0x04,                   /* 2: je 8 */
      0x8D, 0x47, 0x01,             /* 4: lea eax, [rdi+1] */
      0xC3,                         /* 7: ret */
      0xB8, 0x2A, 0x00, 0x00, 0x00, /* 8: mov eax, 42 */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){0, 5, 0, -2}, (int[]){42, 6, 42, -1}, 4);
  snare_jit_free(l.jit);
}

Test(relocate, jne_rel32_at_byte_2) {
  static const uint8_t code[] = {
      0x85, 0xFF,                         /* 0: test edi, edi */
      0x0F, 0x85, 0x03, 0x00, 0x00, 0x00, /* 2: jne 11 */
      0x31, 0xC0,                         /* 8: xor eax, eax */
      0xC3,                               /* 10: ret */
      0x8D, 0x47, 0x02,                   /* 11: lea eax, [rdi+2] */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, true);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){0, 5, 7}, (int[]){0, 7, 9}, 3);
  snare_jit_free(l.jit);
}

Test(relocate, jmp_rel8_at_byte_0) {
  static const uint8_t code[] = {
      0xEB, 0x03,       /* 0: jmp 5 */
      0xCC, 0xCC, 0xCC, /* 2: never run */
      0x8D, 0x47, 0x03, /* 5: lea eax, [rdi+3] */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){1, 2}, (int[]){4, 5}, 2);
  snare_jit_free(l.jit);
}

Test(relocate, jmp_within_the_window_goes_to_the_moved_copy) {
  static const uint8_t code[] = {
      0xEB, 0x01, /* 0: jmp 3 (over the int3) */
      0xCC,       /* 2: never run */
      0x31, 0xC0, /* 3: xor eax, eax */
      0x01, 0xF8, /* 5: add eax, edi */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){3, 9}, (int[]){3, 9}, 2);
  snare_jit_free(l.jit);
}

/*
 * f0(x) = twice(x) + 1 calls first thing; f2 returns its own return
 * address, so it shows the callee sees the original one, not the
 * trampoline's.
 */
Test(relocate, call_rel32_in_the_window_returns_where_it_would) {
  static const uint8_t code[] = {
      0xE8, 0x1B, 0x00, 0x00, 0x00, /* 0: f0: call twice (32) */
      0x83, 0xC0, 0x01,             /* 5: add eax, 1 */
      0xC3,                         /* 8: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0xE8, 0x0F, 0x00, 0x00, 0x00, /* 16: f1: call caller_pc (36) */
      0xC3,                         /* 21: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x8D, 0x04, 0x3F,             /* 32: twice: lea eax, [rdi+rdi] */
      0xC3,                         /* 35: ret */
      0x48, 0x8B, 0x04, 0x24,       /* 36: caller_pc: mov rax, [rsp] */
      0xC3};                        /* 40: ret */
  loaded l = load(code, sizeof code, (size_t[]){0, 16, 32, 36},
                  (size_t[]){9, 6, 4, 5}, 4);
  int id = hook(l.base, true);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){4, 10}, (int[]){9, 21}, 2);
  int pc_id = hook(l.base + 16, false);
  assert_jump(pc_id);
  uint64_t (*return_address)(void) =
      (uint64_t(*)(void))(uintptr_t)(l.base + 16);
  cr_assert_eq(return_address(), l.base + 21);
  cr_assert_eq(stats_of(pc_id).calls, 1);
  snare_jit_free(l.jit);
}

/* f0(g) = g(), f2 = f0 with rbx kept; f1 returns its return address. */
Test(relocate, indirect_call_ending_the_window_returns_where_it_would) {
  static const uint8_t code[] = {
      0x48, 0x83, 0xEC, 0x08, /* 0: f0: sub rsp, 8 */
      0xFF, 0xD7,             /* 4: call rdi */
      0x48, 0x83, 0xC4, 0x08, /* 6: add rsp, 8 */
      0xC3,                   /* 10: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x48, 0x8B, 0x04, 0x24, /* 16: f1: mov rax, [rsp] */
      0xC3,                   /* 20: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x53,                   /* 32: f2: push rbx */
      0xFF, 0xD7,             /* 33: call rdi */
      0x5B,                   /* 35: pop rbx */
      0xC3};                  /* 36: ret */
  loaded l = load(code, sizeof code, (size_t[]){0, 16, 32},
                  (size_t[]){11, 5, 5}, 3);
  typedef uint64_t (*calls_fn)(uint64_t (*)(void));
  uint64_t (*return_address)(void) =
      (uint64_t(*)(void))(uintptr_t)(l.base + 16);
  int id = hook(l.base, true);
  assert_jump(id);
  cr_assert_eq(((calls_fn)(uintptr_t)l.base)(return_address), l.base + 6);
  cr_assert_eq(stats_of(id).calls, 1);
  /* Returning into the window: a thread in the callee while the jump is
     written would land inside it. */
  int mid = hook(l.base + 32, false);
  assert_trap(mid, SNARE_HOOK_UNRELOCATABLE);
  cr_assert_eq(((calls_fn)(uintptr_t)(l.base + 32))(return_address),
               l.base + 35);
  cr_assert_eq(stats_of(mid).calls, 1);
  snare_jit_free(l.jit);
}

Test(relocate, loop) {
  static const uint8_t code[] = {
      0x89, 0xF9,                   /* 0: mov ecx, edi */
      0xE2, 0x06,                   /* 2: loop 10 */
      0xB8, 0x01, 0x00, 0x00, 0x00, /* 4: mov eax, 1 */
      0xC3,                         /* 9: ret */
      0x89, 0xC8,                   /* 10: mov eax, ecx */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){1, 5, 9}, (int[]){1, 4, 8}, 3);
  snare_jit_free(l.jit);
}

Test(relocate, jrcxz) {
  static const uint8_t code[] = {
      0x89, 0xF9,                   /* 0: mov ecx, edi */
      0xE3, 0x06,                   /* 2: jrcxz 10 */
      0xB8, 0x01, 0x00, 0x00, 0x00, /* 4: mov eax, 1 */
      0xC3,                         /* 9: ret */
      0xB8, 0x02, 0x00, 0x00, 0x00, /* 10: mov eax, 2 */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_jump(id);
  assert_calls(id, l.base, (int[]){0, 5, 0}, (int[]){2, 1, 2}, 3);
  snare_jit_free(l.jit);
}

/* f0(x) = x + the word at 32; f1() = the address of that word. */
Test(relocate, rip_relative_mov_and_lea) {
  static const uint8_t code[] = {
      0x8B, 0x05, 0x1A, 0x00, 0x00, 0x00, /* 0: mov eax, [rip+26] (32) */
      0x01, 0xF8,                         /* 6: add eax, edi */
      0xC3,                               /* 8: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x48, 0x8D, 0x05, 0x09, 0x00, 0x00, 0x00, /* 16: lea rax, [rip+9] */
      0xC3,                                     /* 23: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x64, 0x00, 0x00, 0x00}; /* 32: 100 */
  loaded l = load(code, sizeof code, (size_t[]){0, 16}, (size_t[]){9, 8}, 2);
  int mov = hook(l.base, false);
  int lea = hook(l.base + 16, false);
  assert_jump(mov);
  assert_jump(lea);
  assert_calls(mov, l.base, (int[]){1, 2}, (int[]){101, 102}, 2);
  uint64_t (*address)(void) = (uint64_t(*)(void))(uintptr_t)(l.base + 16);
  cr_assert_eq(address(), l.base + 32);
  cr_assert_eq(stats_of(lea).calls, 1);
  snare_jit_free(l.jit);
}

Test(relocate, endbr64_stays_first) {
  static const uint8_t code[] = {
      0xF3, 0x0F, 0x1E, 0xFA,       /* 0: endbr64 */
      0x85, 0xFF,                   /* 4: test edi, edi */
      0x74, 0x04,                   /* 6: je 12 */
      0x8D, 0x47, 0x01,             /* 8: lea eax, [rdi+1] */
      0xC3,                         /* 11: ret */
      0xB8, 0x2A, 0x00, 0x00, 0x00, /* 12: mov eax, 42 */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, true);
  assert_jump(id);
  const uint8_t *live = (const uint8_t *)(uintptr_t)l.base;
  cr_assert_eq(memcmp(live, code, 4), 0, "indirect calls land on endbr64");
  cr_assert_eq(live[4], 0xE9, "the jump follows it");
  assert_calls(id, l.base, (int[]){0, 3}, (int[]){42, 4}, 2);
  cr_assert_eq(snare_hook_remove(id), SNARE_OK);
  cr_assert_eq(memcmp(live, code, sizeof code), 0);
  snare_jit_free(l.jit);
}

/* f0 = 7 and f2(x) = x are shorter than the jump: f0 lends it the
   padding up to f1, f2 has none (f3 follows at once). */
Test(relocate, a_short_function_borrows_its_alignment_padding) {
  static const uint8_t code[] = {
      0xB0, 0x07,             /* 0: f0: mov al, 7 */
      0xC3,                   /* 2: ret */
      0x0F, 0x1F, 0x40, 0x00, /* 3: nop dword [rax] */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x89, 0xF8,             /* 16: f1: mov eax, edi */
      0xC3,                   /* 18: ret */
      0x90,                   /* 19: f2: nop, then f3 at once */
      0x8D, 0x47, 0x01,       /* 20: f3: lea eax, [rdi+1] */
      0xC3};
  loaded l = load(code, sizeof code, (size_t[]){0, 16, 19, 20},
                  (size_t[]){3, 3, 1, 4}, 4);
  int padded = hook(l.base, true);
  assert_jump(padded);
  cr_assert_eq(as_fn(l.base)(0) & 0xFF, 7);
  cr_assert_eq(stats_of(padded).calls, 1);
  int bare = hook(l.base + 19, false);
  assert_trap(bare, SNARE_HOOK_TOO_SHORT);
  snare_jit_free(l.jit);
}

/* f(x) counts x down by jumping back to its own first byte. */
Test(relocate, a_loop_back_to_the_entry_is_refused) {
  static const uint8_t code[] = {
      0x85, 0xFF,                   /* 0: test edi, edi */
      0x74, 0x04,                   /* 2: je 8 */
      0xFF, 0xCF,                   /* 4: dec edi */
      0xEB, 0xF8,                   /* 6: jmp 0 */
      0xB8, 0x07, 0x00, 0x00, 0x00, /* 8: mov eax, 7 */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_trap(id, SNARE_HOOK_LOOPS_TO_ENTRY);
  assert_calls(id, l.base, (int[]){0, 0}, (int[]){7, 7}, 2);
  cr_assert_eq(as_fn(l.base)(3), 7);
  snare_jit_free(l.jit);
}

/* f(x) = x by recursion: a call back to the entry is a call. */
Test(relocate, a_recursive_call_counts_each_call) {
  static const uint8_t code[] = {
      0x85, 0xFF,                   /* 0: test edi, edi */
      0x7E, 0x12,                   /* 2: jle 22 */
      0x48, 0x83, 0xEC, 0x08,       /* 4: sub rsp, 8 */
      0xFF, 0xCF,                   /* 8: dec edi */
      0xE8, 0xF1, 0xFF, 0xFF, 0xFF, /* 10: call 0 */
      0xFF, 0xC0,                   /* 15: inc eax */
      0x48, 0x83, 0xC4, 0x08,       /* 17: add rsp, 8 */
      0xC3,                         /* 21: ret */
      0x31, 0xC0,                   /* 22: xor eax, eax */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, true);
  assert_jump(id);
  cr_assert_eq(as_fn(l.base)(0), 0);
  cr_assert_eq(as_fn(l.base)(3), 3);
  cr_assert_eq(stats_of(id).calls, 1 + 4);
  snare_jit_free(l.jit);
}

/* f(x) = max(x, 1): its loop goes back to byte 2. */
Test(relocate, a_branch_into_the_patched_bytes_is_refused) {
  static const uint8_t code[] = {
      0x31, 0xC0, /* 0: xor eax, eax */
      0xFF, 0xC0, /* 2: inc eax */
      0x39, 0xF8, /* 4: cmp eax, edi */
      0x7C, 0xFA, /* 6: jl 2 */
      0xC3};
  loaded l = load_one(code, sizeof code);
  int id = hook(l.base, false);
  assert_trap(id, SNARE_HOOK_BRANCH_INTO_WINDOW);
  assert_calls(id, l.base, (int[]){0, 4, 9}, (int[]){1, 4, 9}, 3);
  snare_jit_free(l.jit);
}

/* f1 ends by jumping into the middle of f0, as gcc's foo.cold parts and
   shared tails do. */
Test(relocate, an_entry_from_another_function_is_refused) {
  static const uint8_t code[] = {
      0x8D, 0x47, 0x01, /* 0: f0: lea eax, [rdi+1] */
      0x83, 0xC0, 0x01, /* 3: add eax, 1 */
      0xC3,             /* 6: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x8D, 0x47, 0x0A, /* 16: f1: lea eax, [rdi+10] */
      0xEB, 0xEE};      /* 19: jmp 3 */
  loaded l = load(code, sizeof code, (size_t[]){0, 16}, (size_t[]){7, 5}, 2);
  int id = hook(l.base, false);
  assert_trap(id, SNARE_HOOK_ALTERNATE_ENTRY);
  assert_calls(id, l.base, (int[]){1, 2}, (int[]){3, 4}, 2);
  cr_assert_eq(as_fn(l.base + 16)(1), 12);
  cr_assert_eq(stats_of(id).calls, 2);
  snare_jit_free(l.jit);
}

/* The sweep of a region is made again once its code changes: f1 starts
   jumping into f0 only after f0 was hooked (and unhooked) once. */
Test(relocate, rewritten_code_is_swept_again) {
  static const uint8_t code[] = {
      0x8D, 0x47, 0x01, /* 0: f0: lea eax, [rdi+1] */
      0x83, 0xC0, 0x01, /* 3: add eax, 1 */
      0xC3,             /* 6: ret */
      0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
      0x8D, 0x47, 0x0A, /* 16: f1: lea eax, [rdi+10] */
      0xC3, 0xCC};      /* 19: ret */
  static const uint8_t into_f0[] = {0xEB, 0xEE}; /* 19: jmp 3 */
  loaded l = load(code, sizeof code, (size_t[]){0, 16}, (size_t[]){7, 5}, 2);
  int id = hook(l.base, false);
  assert_jump(id);
  cr_assert_eq(snare_hook_remove(id), SNARE_OK);
  cr_assert_eq(snare_jit_write(l.jit, 19, into_f0, sizeof into_f0), SNARE_OK);
  id = hook(l.base, false);
  assert_trap(id, SNARE_HOOK_ALTERNATE_ENTRY);
  assert_calls(id, l.base, (int[]){1}, (int[]){3}, 1);
  cr_assert_eq(as_fn(l.base + 16)(1), 12);
  snare_jit_free(l.jit);
}

Test(relocate, fallback_reasons_have_names) {
  cr_assert_str_eq(snare_hook_fallback_name(SNARE_HOOK_LOOPS_TO_ENTRY),
                   "loops to entry");
  cr_assert_str_eq(snare_hook_fallback_name(SNARE_HOOK_BRANCH_INTO_WINDOW),
                   "branch target in patched bytes");
  cr_assert_str_eq(snare_hook_fallback_name(SNARE_HOOK_ALTERNATE_ENTRY),
                   "alternate entry from another function");
}

/*
 * A conditional branch moved more than 2 GiB away from its target: the
 * opposite condition hops over an absolute jump. The window of
 * `test edi, edi; je target; mov eax, 1` is moved to a page 4 GiB above
 * the original, and run there.
 */
Test(relocate, a_branch_out_of_rel32_reach_goes_through_an_absolute_jump) {
  uint8_t *near = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(near, MAP_FAILED);
  uint8_t *far = mmap(near + (4ull << 30), 4096,
                      PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  cr_assert_neq(far, MAP_FAILED);
  static const uint8_t code[] = {
      0x85, 0xFF,                   /* 0: test edi, edi */
      0x74, 0x06,                   /* 2: je 10 */
      0xB8, 0x01, 0x00, 0x00, 0x00, /* 4: mov eax, 1 */
      0xC3,                         /* 9: ret */
      0xB8, 0x2A, 0x00, 0x00, 0x00, /* 10: mov eax, 42 */
      0xC3};
  memcpy(near, code, sizeof code);
  size_t placed[9];
  size_t n = snare_x86_relocate(far, 4096, (uint64_t)(uintptr_t)far,
                                (uint64_t)(uintptr_t)near, code, 9, placed);
  cr_assert_gt(n, 0);
  /* Where each instruction went, for threads caught inside the window:
     test and the widened branch keep their places, mov comes after the
     branch's longer form. */
  cr_assert_eq(placed[0], 0);
  cr_assert_eq(placed[1], SIZE_MAX);
  cr_assert_eq(placed[2], 2);
  cr_assert_eq(placed[3], SIZE_MAX);
  cr_assert_gt(placed[4], 4);
  cr_assert_eq(far[0], 0x85);
  cr_assert_eq(far[2], 0x75, "jne over the absolute jump");
  int_fn moved = (int_fn)(uintptr_t)far;
  cr_assert_eq(moved(0), 42);
  cr_assert_eq(moved(3), 1);
  munmap(far, 4096);
  munmap(near, 4096);
}
