/*
 * jit_code_test.c - generated code as a first-class target: W^X memory
 * from snare_jit_alloc, regions with functions and line maps, and real
 * machine code made at run time (hand-assembled bytes, copies of a
 * compiled fixture function, libtcc output) that is then stopped in,
 * stepped, backtraced through by frame pointers, hooked and unregistered.
 */
#include <criterion/criterion.h>
#include <libtcc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "code/code.h"
#include "snare.h"

TestSuite(jit_code, .timeout = 30);

/* Permissions ("r-xs") of the mapping holding addr, from /proc/self/maps. */
static void permissions(uint64_t addr, char perms[5]) {
  FILE *maps = fopen("/proc/self/maps", "r");
  cr_assert_not_null(maps);
  unsigned long low, high;
  char p[5];
  strcpy(perms, "none");
  char line[512];
  while (fgets(line, sizeof line, maps))
    if (sscanf(line, "%lx-%lx %4s", &low, &high, p) == 3 && addr >= low &&
        addr < high)
      strcpy(perms, p);
  fclose(maps);
}

static void assert_never_writable_and_executable(const snare_jit *jit) {
  char perms[5];
  permissions(snare_jit_address(jit), perms);
  cr_assert_str_eq(perms, snare_jit_dual_mapped(jit) ? "r-xs" : "r-xp");
  if (snare_jit_dual_mapped(jit)) {
    permissions((uint64_t)(uintptr_t)snare_jit_writable(jit), perms);
    cr_assert_str_eq(perms, "rw-s");
  }
}

/*
 * inner(x) = x + 1 and outer(x) = 2 * inner(x), both with frame-pointer
 * prologues and no unwind information:
 *   0  inner: push rbp; mov rbp, rsp; lea eax, [rdi+1]; pop rbp; ret
 *   16 outer: push rbp; mov rbp, rsp; call inner; add eax, eax; pop rbp; ret
 */
enum { INNER = 0, INNER_BODY = 4, INNER_POP = 7, OUTER = 16, OUTER_AFTER = 25 };
static const uint8_t hand_code[] = {
    0x55, 0x48, 0x89, 0xe5, 0x8d, 0x47, 0x01, 0x5d, 0xc3, /* inner */
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,             /* padding */
    0x55, 0x48, 0x89, 0xe5, 0xe8, 0xe7, 0xff, 0xff, 0xff, /* outer */
    0x01, 0xc0, 0x5d, 0xc3};

static snare_jit *hand_assembled(unsigned flags) {
  snare_jit *jit = NULL;
  cr_assert_eq(snare_jit_alloc(sizeof hand_code, flags, &jit), SNARE_OK);
  cr_assert_eq(snare_jit_write(jit, 0, hand_code, sizeof hand_code), SNARE_OK);
  cr_assert_eq(snare_jit_commit(jit), SNARE_OK);
  return jit;
}

static void register_hand(uint64_t base) {
  snare_code_function functions[] = {{"jit_inner", base + INNER, 9},
                                     {"jit_outer", base + OUTER, 13}};
  snare_code_line lines[] = {{base + OUTER, "gen.js", 10},
                             {base + INNER, "gen.js", 2},
                             {base + INNER_BODY, "gen.js", 3},
                             {base + OUTER + 4, "gen.js", 11}};
  snare_code_info info = {.start = base, .size = sizeof hand_code,
                          .name = "hand", .functions = functions,
                          .function_count = 2, .lines = lines,
                          .line_count = 4};
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);
}

static uint64_t call1(snare_session *s, uint64_t fn, uint64_t arg,
                      snare_stop *stop) {
  cr_assert_eq(snare_call(s, fn, 1, &arg, stop), SNARE_OK);
  return stop->return_value;
}

/* The functions of the innermost frames, which must be at least n. */
static void assert_backtrace(snare_session *s, const char *const *names,
                             size_t n) {
  snare_backtrace_frame frames[16];
  size_t count = 0;
  cr_assert_eq(snare_backtrace(s, frames, 16, &count), SNARE_OK);
  cr_assert_gt(count, n, "only %zu frames", count);
  for (size_t i = 0; i < n; i++) {
    cr_assert_not_null(frames[i].function, "frame %zu has no name", i);
    cr_assert_str_eq(frames[i].function, names[i], "frame %zu", i);
  }
}

Test(jit_code, memory_is_dual_mapped_and_never_writable_and_executable) {
  snare_jit *jit = hand_assembled(0);
  cr_assert(snare_jit_dual_mapped(jit));
  cr_assert_eq(snare_jit_size(jit) % 4096, 0);
  cr_assert_neq((uint64_t)(uintptr_t)snare_jit_writable(jit),
                snare_jit_address(jit));
  assert_never_writable_and_executable(jit);
  int (*outer)(int) = (int (*)(int))(uintptr_t)(snare_jit_address(jit) + OUTER);
  cr_assert_eq(outer(20), 42);
  /* Direct stores through the writable view show in the executable one. */
  ((uint8_t *)snare_jit_writable(jit))[INNER_BODY + 2] = 2; /* x + 2 */
  cr_assert_eq(snare_jit_commit(jit), SNARE_OK);
  cr_assert_eq(outer(20), 44);
  uint8_t byte = 0;
  cr_assert_eq(snare_jit_write(jit, snare_jit_size(jit), &byte, 1),
               SNARE_INVALID_ARGUMENT);
  snare_jit_free(jit);
}

Test(jit_code, a_single_mapping_turns_executable_once_at_commit) {
  snare_jit *jit = NULL;
  cr_assert_eq(snare_jit_alloc(100, SNARE_JIT_SINGLE_MAPPING, &jit), SNARE_OK);
  cr_assert_not(snare_jit_dual_mapped(jit));
  char perms[5];
  permissions(snare_jit_address(jit), perms);
  cr_assert_str_eq(perms, "rw-p");
  memcpy(snare_jit_writable(jit), hand_code, sizeof hand_code);
  cr_assert_eq(snare_jit_commit(jit), SNARE_OK);
  cr_assert_null(snare_jit_writable(jit));
  assert_never_writable_and_executable(jit);
  int (*outer)(int) = (int (*)(int))(uintptr_t)(snare_jit_address(jit) + OUTER);
  cr_assert_eq(outer(1), 4);
  uint8_t three = 3; /* after commit, through snare's code writes */
  cr_assert_eq(snare_jit_write(jit, INNER_BODY + 2, &three, 1), SNARE_OK);
  cr_assert_eq(outer(1), 8);
  assert_never_writable_and_executable(jit);
  snare_jit_free(jit);
}

/* Breakpoint, instruction step, backtrace, lines, hook, unregister: the
   whole tour over hand-assembled code in either kind of memory. */
static void tour_hand_assembled(unsigned flags) {
  snare_jit *jit = hand_assembled(flags);
  uint64_t base = snare_jit_address(jit);
  register_hand(base);
  snare_session *s = NULL;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  snare_session_set_timeout(s, 10000);
  int id = 0;
  cr_assert_eq(snare_breakpoint_set(s, base + INNER_BODY + 1, NULL, &id),
               SNARE_INSIDE_INSTRUCTION);
  cr_assert_eq(snare_breakpoint_set(s, base + INNER_BODY, NULL, &id), SNARE_OK);
  assert_never_writable_and_executable(jit);

  snare_stop stop;
  call1(s, base + OUTER, 5, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(stop.pc, base + INNER_BODY);
  assert_backtrace(s, (const char *const[]){"jit_inner", "jit_outer"}, 2);
  snare_backtrace_frame frames[2];
  size_t count;
  cr_assert_eq(snare_backtrace(s, frames, 2, &count), SNARE_OK);
  cr_assert_str_eq(frames[0].file, "gen.js");
  cr_assert_eq(frames[0].line, 3);
  cr_assert_eq(frames[1].pc, base + OUTER_AFTER);
  cr_assert_eq(frames[1].line, 11);

  cr_assert_eq(snare_resume(s, SNARE_RESUME_STEP_INSTRUCTION, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(stop.pc, base + INNER_POP);
  cr_assert_eq(stop.registers.value[SNARE_REG_RAX], 6);
  cr_assert_eq(snare_resume(s, SNARE_RESUME_CONTINUE, NULL, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  cr_assert_eq(stop.return_value, 12);

  /* A breakpoint at an entry, before the frame exists. */
  int entry = 0;
  cr_assert_eq(snare_breakpoint_set(s, base + INNER, NULL, &entry), SNARE_OK);
  call1(s, base + OUTER, 1, &stop);
  cr_assert_eq(stop.pc, base + INNER);
  assert_backtrace(s, (const char *const[]){"jit_inner", "jit_outer"}, 2);
  cr_assert_eq(snare_resume(s, SNARE_RESUME_ABORT, NULL, &stop), SNARE_OK);
  cr_assert_eq(snare_breakpoint_clear(s, entry), SNARE_OK);
  cr_assert_eq(snare_breakpoint_enable(s, id, false), SNARE_OK);

  /* inner by a trap: its (disabled) breakpoint sits where a jump would
     go; outer by a jump, its call moved into the trampoline. */
  int hooks[2] = {0};
  cr_assert_eq(snare_hook_function(base + OUTER, NULL, &hooks[0]), SNARE_OK);
  cr_assert_eq(snare_hook_function(base + INNER, NULL, &hooks[1]), SNARE_OK);
  int (*outer)(int) = (int (*)(int))(uintptr_t)(base + OUTER);
  for (int i = 0; i < 25; i++)
    cr_assert_eq(outer(i), 2 * (i + 1));
  snare_hook_stats stats;
  for (int h = 0; h < 2; h++) {
    cr_assert_eq(snare_hook_stats_get(hooks[h], &stats), SNARE_OK);
    cr_assert_eq(stats.calls, 25);
    cr_assert_eq(stats.trampoline, h == 0);
  }
  cr_assert_eq(stats.fallback, SNARE_HOOK_SITE_IN_WINDOW);
  assert_never_writable_and_executable(jit);

  cr_assert_eq(snare_breakpoint_enable(s, id, true), SNARE_OK);
  cr_assert_eq(snare_code_unregister(base), SNARE_OK);
  for (int h = 0; h < 2; h++)
    cr_assert_eq(snare_hook_stats_get(hooks[h], &stats), SNARE_NOT_FOUND);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(s, id, &info), SNARE_NOT_FOUND);
  cr_assert_eq(memcmp((void *)(uintptr_t)base, hand_code, sizeof hand_code),
               0, "the patches outlived the region");
  cr_assert_eq(call1(s, base + OUTER, 2, &stop), 6);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  snare_session_free(s);
  snare_jit_free(jit);
}

Test(jit_code, hand_assembled_code_in_dual_mapped_memory) {
  tour_hand_assembled(0);
}

Test(jit_code, hand_assembled_code_in_a_single_mapping) {
  tour_hand_assembled(SNARE_JIT_SINGLE_MAPPING);
}

Test(jit_code, regions_answer_lines_functions_and_symbols) {
  snare_jit *jit = hand_assembled(0);
  uint64_t base = snare_jit_address(jit);
  register_hand(base);
  snare_line_info line;
  cr_assert_eq(snare_line_at(base + INNER_POP, &line), SNARE_OK);
  cr_assert_str_eq(line.file, "gen.js");
  cr_assert_eq(line.line, 3);
  cr_assert_eq(line.start, base + INNER_BODY);
  cr_assert_eq(line.end, base + OUTER);
  cr_assert_str_eq(line.function, "jit_inner");
  cr_assert_eq(snare_line_at(base + sizeof hand_code - 1, &line), SNARE_OK);
  cr_assert_eq(line.end, base + sizeof hand_code);
  snare_function_info fn;
  cr_assert_eq(snare_function_at(base + OUTER + 5, &fn), SNARE_OK);
  cr_assert_str_eq(fn.name, "jit_outer");
  cr_assert_eq(fn.entry, base + OUTER);
  cr_assert_eq(fn.range_count, 1);
  cr_assert_eq(fn.ranges[0].high, base + OUTER + 13);
  cr_assert_eq(fn.decl_line, 10);
  cr_assert_eq(snare_function_at(base + 12, &fn), SNARE_NOT_FOUND); /* padding */
  snare_symbol sym;
  cr_assert_eq(snare_code_symbol("jit_outer", &sym), SNARE_OK);
  cr_assert_eq(sym.address, base + OUTER);
  cr_assert_eq(sym.size, 13);
  cr_assert_eq(snare_code_symbol_at(base + 3, &sym), SNARE_OK);
  cr_assert_str_eq(sym.name, "jit_inner");
  cr_assert_eq(snare_code_symbol("nothing", &sym), SNARE_NOT_FOUND);
  /* Freeing the memory takes its regions with it. */
  snare_jit_free(jit);
  cr_assert_eq(snare_code_symbol("jit_outer", &sym), SNARE_NOT_FOUND);
  cr_assert_eq(snare_line_at(base, &line), SNARE_NOT_FOUND);
}

Test(jit_code, bad_region_descriptions_are_refused) {
  snare_jit *jit = hand_assembled(0);
  uint64_t base = snare_jit_address(jit);
  snare_code_function overlap[] = {{"a", base, 10}, {"b", base + 9, 4}};
  snare_code_info info = {.start = base, .size = 32, .name = "r",
                          .functions = overlap, .function_count = 2};
  cr_assert_eq(snare_code_register_info(&info), SNARE_INVALID_ARGUMENT);
  snare_code_function outside[] = {{"a", base + 30, 4}};
  info.functions = outside;
  info.function_count = 1;
  cr_assert_eq(snare_code_register_info(&info), SNARE_INVALID_ARGUMENT);
  snare_code_line line[] = {{base + 32, "f", 1}};
  info.function_count = 0;
  info.lines = line;
  info.line_count = 1;
  cr_assert_eq(snare_code_register_info(&info), SNARE_INVALID_ARGUMENT);
  line[0] = (snare_code_line){base, NULL, 1};
  cr_assert_eq(snare_code_register_info(&info), SNARE_INVALID_ARGUMENT);
  line[0].file = "f";
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);
  uint64_t start, size;
  const char *name;
  cr_assert(snare_code_function_containing(base + 31, &start, &size, &name));
  cr_assert_str_eq(name, "r");
  snare_jit_free(jit);
}

/* A compiled -O2 leaf, copied byte for byte: it has no relative
   references, so the copy runs anywhere. */
Test(jit_code, copies_of_a_compiled_function) {
  snare_library *lib = NULL;
  cr_assert_eq(snare_library_open(fixture_path("O2", "jit_source"), &lib),
               SNARE_OK);
  snare_symbol mix;
  cr_assert_eq(snare_library_symbol(lib, "jit_mix", &mix), SNARE_OK);
  snare_jit *jit = NULL;
  cr_assert_eq(snare_jit_alloc(2 * mix.size, 0, &jit), SNARE_OK);
  uint64_t base = snare_jit_address(jit);
  const void *bytes = (const void *)(uintptr_t)mix.address;
  cr_assert_eq(snare_jit_write(jit, 0, bytes, mix.size), SNARE_OK);
  cr_assert_eq(snare_jit_write(jit, mix.size, bytes, mix.size), SNARE_OK);
  cr_assert_eq(snare_jit_commit(jit), SNARE_OK);
  snare_code_function copies[] = {{"mix_one", base, mix.size},
                                  {"mix_two", base + mix.size, mix.size}};
  snare_code_info info = {.start = base, .size = 2 * mix.size, .name = "copies",
                          .functions = copies, .function_count = 2};
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);

  snare_session *s = NULL;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  snare_session_set_timeout(s, 10000);
  int id;
  cr_assert_eq(snare_breakpoint_set(s, base + mix.size, NULL, &id), SNARE_OK);
  uint64_t args[2] = {4, 5};
  snare_stop stop;
  cr_assert_eq(snare_call(s, base + mix.size, 2, args, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  assert_backtrace(s, (const char *const[]){"mix_two"}, 1);
  size_t length;
  char text[96];
  cr_assert_eq(snare_disassemble(base + mix.size, SNARE_DISASSEMBLY_ATT, text, sizeof text, &length),
               SNARE_OK);
  cr_assert_eq(snare_resume(s, SNARE_RESUME_STEP_INSTRUCTION, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(stop.pc, base + mix.size + length);
  cr_assert_eq(snare_resume(s, SNARE_RESUME_CONTINUE, NULL, &stop), SNARE_OK);
  cr_assert_eq(stop.return_value, 4 * 7 + 5 * 3 - 1);

  int hook;
  cr_assert_eq(snare_hook_function(base, NULL, &hook), SNARE_OK);
  int (*one)(int, int) = (int (*)(int, int))(uintptr_t)base;
  for (int i = 0; i < 10; i++)
    cr_assert_eq(one(i, 1), i * 7 + 2);
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_OK);
  cr_assert_eq(stats.calls, 10);
  cr_assert(stats.trampoline); /* its jump written through the RW view */
  assert_never_writable_and_executable(jit);
  snare_jit_free(jit); /* unregisters, removes the breakpoint and hook */
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_NOT_FOUND);
  cr_assert_eq(snare_breakpoint_info_get(s, id, &(snare_breakpoint_info){0}),
               SNARE_NOT_FOUND);
  snare_session_free(s);
  snare_library_close(lib);
}

/* tcc calls a global function through a stub holding its absolute
   address; a static one is called directly, and stays first in .text. */
static const char tcc_source[] =
    "static int tcc_inner(int x) { return x * 3; }\n"
    "int tcc_outer(int x) { return tcc_inner(x) + 1; }\n"
    "void tcc_end(void) {}\n";

/*
 * Compiles tcc_source with libtcc into a scratch buffer, then copies the
 * relocated image into JIT memory (tcc's own memory would be writable
 * and executable); its code is position-independent within the image.
 * Stores the offsets of the three functions: the static tcc_inner has no
 * symbol, and is at 0, where .text starts.
 */
static snare_jit *tcc_compile(uint64_t offsets[3]) {
  TCCState *tcc = tcc_new();
  cr_assert_not_null(tcc);
  tcc_set_options(tcc, "-nostdlib");
  cr_assert_eq(tcc_set_output_type(tcc, TCC_OUTPUT_MEMORY), 0);
  cr_assert_eq(tcc_compile_string(tcc, tcc_source), 0);
  int size = tcc_relocate(tcc, NULL);
  cr_assert_gt(size, 0);
  size_t scratch_size = ((size_t)size + 4095) & ~(size_t)4095;
  void *scratch = mmap(NULL, scratch_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(scratch, MAP_FAILED);
  cr_assert_eq(tcc_relocate(tcc, scratch), 0);
  static const uint8_t prologue[] = {0x55, 0x48, 0x89, 0xe5};
  cr_assert_eq(memcmp(scratch, prologue, sizeof prologue), 0);
  const char *names[3] = {NULL, "tcc_outer", "tcc_end"};
  offsets[0] = 0;
  for (int i = 1; i < 3; i++)
    offsets[i] = (uint64_t)((char *)tcc_get_symbol(tcc, names[i]) -
                            (char *)scratch);
  snare_jit *jit = NULL;
  cr_assert_eq(snare_jit_alloc((size_t)size, 0, &jit), SNARE_OK);
  cr_assert_eq(snare_jit_write(jit, 0, scratch, (size_t)size), SNARE_OK);
  cr_assert_eq(snare_jit_commit(jit), SNARE_OK);
  tcc_delete(tcc);
  munmap(scratch, scratch_size);
  return jit;
}

Test(jit_code, code_compiled_by_libtcc) {
  uint64_t at[3];
  snare_jit *jit = tcc_compile(at);
  uint64_t base = snare_jit_address(jit);
  cr_assert(at[0] < at[1] && at[1] < at[2], "tcc laid out in source order");
  snare_code_function functions[] = {
      {"tcc_inner", base + at[0], at[1] - at[0]},
      {"tcc_outer", base + at[1], at[2] - at[1]}};
  snare_code_line lines[] = {{base + at[0], "tcc.c", 1},
                             {base + at[1], "tcc.c", 2}};
  snare_code_info info = {.start = base, .size = at[2], .name = "tcc",
                          .functions = functions, .function_count = 2,
                          .lines = lines, .line_count = 2};
  cr_assert_eq(snare_code_register_info(&info), SNARE_OK);
  int (*outer)(int) = (int (*)(int))(uintptr_t)(base + at[1]);
  cr_assert_eq(outer(5), 16);

  snare_session *s = NULL;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  snare_session_set_timeout(s, 10000);
  int id;
  cr_assert_eq(snare_breakpoint_set(s, base + at[0], NULL, &id), SNARE_OK);
  snare_stop stop;
  call1(s, base + at[1], 7, &stop);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  assert_backtrace(s, (const char *const[]){"tcc_inner", "tcc_outer"}, 2);
  /* Past the prologue, the frame chain is walked from rbp. */
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(snare_resume(s, SNARE_RESUME_STEP_INSTRUCTION, NULL, &stop),
                 SNARE_OK);
    cr_assert_eq(stop.kind, SNARE_STOP_STEP);
    assert_backtrace(s, (const char *const[]){"tcc_inner", "tcc_outer"}, 2);
  }
  snare_backtrace_frame frame;
  size_t count;
  cr_assert_eq(snare_backtrace(s, &frame, 1, &count), SNARE_OK);
  cr_assert_str_eq(frame.file, "tcc.c");
  cr_assert_eq(frame.line, 1);
  cr_assert_eq(snare_resume(s, SNARE_RESUME_CONTINUE, NULL, &stop), SNARE_OK);
  cr_assert_eq(stop.return_value, 22);

  int hook;
  cr_assert_eq(snare_hook_function(base + at[0], NULL, &hook), SNARE_OK);
  cr_assert_eq(snare_breakpoint_enable(s, id, false), SNARE_OK);
  for (int i = 0; i < 7; i++)
    cr_assert_eq(outer(i), 3 * i + 1);
  snare_hook_stats stats;
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_OK);
  cr_assert_eq(stats.calls, 7);
  assert_never_writable_and_executable(jit);
  uint8_t original[16];
  cr_assert_eq(snare_memory_read(base + at[0], original, sizeof original),
               SNARE_OK);
  cr_assert_eq(snare_code_unregister(base), SNARE_OK);
  cr_assert_eq(memcmp((void *)(uintptr_t)(base + at[0]), original,
                      sizeof original),
               0, "the hook's jump outlived the region");
  cr_assert_eq(snare_hook_stats_get(hook, &stats), SNARE_NOT_FOUND);
  cr_assert_eq(outer(2), 7);
  snare_session_free(s);
  snare_jit_free(jit);
}
