/*
 * code_region_test.c - code registered by JITs: only executable ranges,
 * no overlaps, exact unregistering, and the code map names the regions.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "code/code.h"
#include "snare.h"

static uint64_t page;

/* Maps `pages` pages with protection prot; unmapped when the test ends,
   since Criterion runs each test in its own process. */
static uint64_t map_pages(size_t pages, int prot) {
  void *p = mmap(NULL, pages * page, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(p, MAP_FAILED);
  return (uint64_t)(uintptr_t)p;
}

static void init(void) { page = (uint64_t)sysconf(_SC_PAGESIZE); }

TestSuite(code_region, .init = init);

Test(code_region, an_executable_page_registers_and_is_named) {
  uint64_t code = map_pages(1, PROT_READ | PROT_EXEC);
  char name[] = "jit_function";
  cr_assert_eq(snare_code_register(code, page, name), SNARE_OK);
  name[0] = 'X'; /* the region keeps its own copy */
  uint64_t start = 0, size = 0;
  const char *found = NULL;
  cr_assert(snare_code_function_containing(code + 100, &start, &size, &found));
  cr_assert_eq(start, code);
  cr_assert_eq(size, page);
  cr_assert_str_eq(found, "jit_function");
  cr_assert_not(
      snare_code_function_containing(code + page, &start, &size, NULL));
}

Test(code_region, overlapping_regions_are_refused_and_neighbours_are_not) {
  uint64_t code = map_pages(3, PROT_READ | PROT_EXEC);
  cr_assert_eq(snare_code_register(code + page, page, "middle"), SNARE_OK);
  cr_assert_eq(snare_code_register(code + page, page, "same"), SNARE_EXISTS);
  cr_assert_eq(snare_code_register(code + page / 2, page, "below"),
               SNARE_EXISTS);
  cr_assert_eq(snare_code_register(code + page + 16, 16, "inside"),
               SNARE_EXISTS);
  cr_assert_eq(snare_code_register(code, 3 * page, "around"), SNARE_EXISTS);
  cr_assert_eq(snare_code_register(code + 2 * page - 1, 2, "above"),
               SNARE_EXISTS);
  cr_assert_eq(snare_code_register(code, page, "before"), SNARE_OK);
  cr_assert_eq(snare_code_register(code + 2 * page, page, "after"), SNARE_OK);
  const char *name = NULL;
  uint64_t start, size;
  cr_assert(snare_code_function_containing(code + 2 * page - 1, &start, &size,
                                           &name));
  cr_assert_str_eq(name, "middle");
  cr_assert(
      snare_code_function_containing(code + 2 * page, &start, &size, &name));
  cr_assert_str_eq(name, "after");
}

Test(code_region, memory_that_is_not_executable_is_refused) {
  uint64_t data = map_pages(1, PROT_READ | PROT_WRITE);
  cr_assert_eq(snare_code_register(data, page, "data"), SNARE_NOT_CODE);
  uint64_t code = map_pages(2, PROT_READ | PROT_EXEC);
  cr_assert_eq(mprotect((void *)(uintptr_t)(code + page), page, PROT_READ), 0);
  cr_assert_eq(snare_code_register(code, 2 * page, "half code"),
               SNARE_NOT_CODE);
  cr_assert_eq(snare_code_register(code + page - 8, 16, "straddles"),
               SNARE_NOT_CODE);
  cr_assert_eq(munmap((void *)(uintptr_t)(code + page), page), 0);
  cr_assert_eq(snare_code_register(code, 2 * page, "runs into a hole"),
               SNARE_NOT_CODE);
  uint64_t start, size;
  cr_assert_not(snare_code_function_containing(code, &start, &size, NULL));
}

Test(code_region, a_range_may_span_adjacent_executable_mappings) {
  uint64_t code = map_pages(2, PROT_READ | PROT_EXEC);
  /* Different permissions make the kernel list two mappings. */
  cr_assert_eq(mprotect((void *)(uintptr_t)(code + page), page,
                        PROT_READ | PROT_WRITE | PROT_EXEC),
               0);
  cr_assert_eq(snare_code_register(code + page - 8, 16, "straddles"), SNARE_OK);
  cr_assert_eq(snare_code_unregister(code + page - 8), SNARE_OK);
  cr_assert_eq(snare_code_register(code, 2 * page, "both"), SNARE_OK);
}

Test(code_region, bad_arguments_are_refused) {
  uint64_t code = map_pages(1, PROT_READ | PROT_EXEC);
  cr_assert_eq(snare_code_register(code, 0, "empty"), SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_code_register(code, page, NULL), SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_code_register(UINT64_MAX - 16, 64, "wraps"),
               SNARE_INVALID_ARGUMENT);
}

Test(code_region, unregistering_needs_the_exact_start) {
  uint64_t code = map_pages(1, PROT_READ | PROT_EXEC);
  cr_assert_eq(snare_code_unregister(code), SNARE_NOT_FOUND);
  cr_assert_eq(snare_code_register(code, page, "f"), SNARE_OK);
  cr_assert_eq(snare_code_unregister(code + 1), SNARE_NOT_FOUND);
  cr_assert_eq(snare_code_unregister(code), SNARE_OK);
  cr_assert_eq(snare_code_unregister(code), SNARE_NOT_FOUND);
  uint64_t start, size;
  cr_assert_not(snare_code_function_containing(code, &start, &size, NULL));
  cr_assert_eq(snare_code_register(code, page, "g"), SNARE_OK);
}

Test(code_region, many_regions_stay_ordered) {
  enum { count = 64 };
  uint64_t code = map_pages(1, PROT_READ | PROT_EXEC);
  uint64_t slot = page / count;
  char name[16];
  for (unsigned i = 0; i < count; i++) {
    unsigned k = (i * 37) % count; /* out of address order */
    snprintf(name, sizeof name, "f%u", k);
    cr_assert_eq(snare_code_register(code + k * slot, slot, name), SNARE_OK);
  }
  for (unsigned k = 0; k < count; k++) {
    uint64_t start, size;
    const char *found;
    snprintf(name, sizeof name, "f%u", k);
    cr_assert(snare_code_function_containing(code + k * slot + slot - 1, &start,
                                             &size, &found));
    cr_assert_eq(start, code + k * slot);
    cr_assert_str_eq(found, name);
  }
  for (unsigned k = 0; k < count; k += 2)
    cr_assert_eq(snare_code_unregister(code + k * slot), SNARE_OK);
  uint64_t start, size;
  cr_assert_not(snare_code_function_containing(code, &start, &size, NULL));
  cr_assert(snare_code_function_containing(code + slot, &start, &size, NULL));
}

/* mov eax, 42; ret */
static const uint8_t answer[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};

static uint64_t map_answer(void) {
  uint64_t code = map_pages(1, PROT_READ | PROT_WRITE);
  memcpy((void *)(uintptr_t)code, answer, sizeof answer);
  cr_assert_eq(mprotect((void *)(uintptr_t)code, page, PROT_READ | PROT_EXEC),
               0);
  return code;
}

Test(code_region, breakpoints_respect_its_instructions_and_go_with_it) {
  uint64_t code = map_answer();
  cr_assert_eq(snare_code_register(code, sizeof answer, "answer"), SNARE_OK);
  snare_session *session = NULL;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  int id = 0;
  cr_assert_eq(snare_breakpoint_set(session, code + 1, NULL, &id),
               SNARE_INSIDE_INSTRUCTION);
  cr_assert_eq(snare_breakpoint_set(session, code + 5, NULL, &id), SNARE_OK);
  cr_assert_eq(snare_code_unregister(code), SNARE_OK);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_NOT_FOUND);
  cr_assert_eq(memcmp((void *)(uintptr_t)code, answer, sizeof answer), 0,
               "the patch outlived the region");
  snare_session_free(session);
}

/* nop; nop; mov eax, 42; ret: code + 2 starts the mov here, and lies
   inside answer's mov. */
static const uint8_t padded_answer[] = {0x90, 0x90, 0xb8, 0x2a, 0x00,
                                        0x00, 0x00, 0xc3};

Test(code_region, an_instruction_start_found_once_goes_with_its_code) {
  uint64_t code = map_pages(1, PROT_READ | PROT_WRITE);
  memcpy((void *)(uintptr_t)code, padded_answer, sizeof padded_answer);
  cr_assert_eq(mprotect((void *)(uintptr_t)code, page, PROT_READ | PROT_EXEC),
               0);
  cr_assert_eq(snare_code_register(code, sizeof padded_answer, "padded"),
               SNARE_OK);
  snare_session *session = NULL;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  int id = 0;
  /* set twice: the second finds it known */
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(snare_breakpoint_set(session, code + 2, NULL, &id), SNARE_OK);
    cr_assert_eq(snare_breakpoint_clear(session, id), SNARE_OK);
  }
  /* the JIT puts other code there */
  cr_assert_eq(snare_code_unregister(code), SNARE_OK);
  cr_assert_eq(mprotect((void *)(uintptr_t)code, page, PROT_READ | PROT_WRITE),
               0);
  memcpy((void *)(uintptr_t)code, answer, sizeof answer);
  cr_assert_eq(mprotect((void *)(uintptr_t)code, page, PROT_READ | PROT_EXEC),
               0);
  cr_assert_eq(snare_code_register(code, sizeof answer, "answer"), SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(session, code + 2, NULL, &id),
               SNARE_INSIDE_INSTRUCTION);
  snare_session_free(session);
}
