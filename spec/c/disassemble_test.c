/* disassemble_test.c - snare_disassemble: text, lengths, the program's
   own bytes under breakpoints, instructions at the edge of a mapping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

Test(disassemble, formats_one_instruction_with_its_length) {
  /* push rbp; mov rbp, rsp; call rel32 -> target shown absolute */
  static const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xe8, 0x00, 0x01,
                                 0x00, 0x00};
  uint64_t at = (uint64_t)(uintptr_t)code;
  char text[96];
  size_t length;
  cr_assert_eq(snare_disassemble(at, text, sizeof text, &length), SNARE_OK);
  cr_assert_str_eq(text, "push rbp");
  cr_assert_eq(length, 1);
  cr_assert_eq(snare_disassemble(at + 1, text, sizeof text, &length),
               SNARE_OK);
  cr_assert_str_eq(text, "mov rbp, rsp");
  cr_assert_eq(length, 3);
  cr_assert_eq(snare_disassemble(at + 4, text, sizeof text, &length),
               SNARE_OK);
  char expected[64];
  snprintf(expected, sizeof expected, "call 0x%llx",
           (unsigned long long)(at + 9 + 0x100));
  cr_assert_str_eq(text, expected);
  cr_assert_eq(length, 5);
}

Test(disassemble, shows_original_bytes_under_a_breakpoint) {
  uint64_t fib = fixture_symbol("O0", "loops", "fib");
  char before[96], after[96];
  size_t length;
  cr_assert_eq(snare_disassemble(fib, before, sizeof before, &length),
               SNARE_OK);
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  int id;
  cr_assert_eq(snare_breakpoint_set(s, fib, NULL, &id), SNARE_OK);
  uint8_t raw;
  memcpy(&raw, (const void *)(uintptr_t)fib, 1);
  cr_assert_eq(raw, 0xcc, "the trap is in memory");
  cr_assert_eq(snare_disassemble(fib, after, sizeof after, &length),
               SNARE_OK);
  cr_assert_str_eq(after, before);
  cr_assert_neq(strcmp(after, "int3"), 0);
  snare_session_free(s);
}

Test(disassemble, errors) {
  char text[96];
  size_t length;
  cr_assert_eq(snare_disassemble(0, text, sizeof text, &length),
               SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_disassemble(4096, NULL, 8, &length),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble(4096, text, 0, &length),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble(4096, text, sizeof text, NULL),
               SNARE_INVALID_ARGUMENT);
  /* 0f 0b (ud2) decodes; a lone 0f at the end of a mapping does not. */
  uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(page, MAP_FAILED);
  mprotect(page + 4096, 4096, PROT_NONE);
  page[4094] = 0x90; /* nop, the last but one byte: still decodes */
  page[4095] = 0x0f;
  cr_assert_eq(snare_disassemble((uint64_t)(uintptr_t)page + 4094, text,
                                 sizeof text, &length),
               SNARE_OK);
  cr_assert_str_eq(text, "nop");
  cr_assert_eq(snare_disassemble((uint64_t)(uintptr_t)page + 4095, text,
                                 sizeof text, &length),
               SNARE_UNDECODABLE);
  munmap(page, 8192);
}
