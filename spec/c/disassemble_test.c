/* disassemble_test.c - snare_disassemble: AT&T (as GNU binutils spells
   it) and Intel text, lengths, the program's own bytes under breakpoints,
   instructions at the edge of a mapping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

static const char *att(const uint8_t *code, size_t *length) {
  static char text[128];
  cr_assert_eq(snare_disassemble((uint64_t)(uintptr_t)code,
                                 SNARE_DISASSEMBLY_ATT, text, sizeof text,
                                 length),
               SNARE_OK);
  return text;
}

Test(disassemble, formats_one_instruction_with_its_length) {
  /* push rbp; mov rbp, rsp; call rel32 -> target shown absolute */
  static const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xe8, 0x00, 0x01,
                                 0x00, 0x00};
  uint64_t at = (uint64_t)(uintptr_t)code;
  size_t length;
  cr_assert_str_eq(att(code, &length), "push   %rbp");
  cr_assert_eq(length, 1);
  cr_assert_str_eq(att(code + 1, &length), "mov    %rsp,%rbp");
  cr_assert_eq(length, 3);
  char expected[64];
  snprintf(expected, sizeof expected, "call   0x%llx",
           (unsigned long long)(at + 9 + 0x100));
  cr_assert_str_eq(att(code + 4, &length), expected);
  cr_assert_eq(length, 5);
  char text[96];
  cr_assert_eq(snare_disassemble(at + 1, SNARE_DISASSEMBLY_INTEL, text,
                                 sizeof text, &length),
               SNARE_OK);
  cr_assert_str_eq(text, "mov rbp, rsp");
  cr_assert_eq(snare_disassemble(at + 4, SNARE_DISASSEMBLY_INTEL, text,
                                 sizeof text, &length),
               SNARE_OK);
  snprintf(expected, sizeof expected, "call 0x%llx",
           (unsigned long long)(at + 9 + 0x100));
  cr_assert_str_eq(text, expected);
}

/* The spellings where Zydis's own AT&T formatter and binutils differ,
   each as objdump 2.40 and gdb 13 print it. */
Test(disassemble, spells_att_as_binutils) {
  static const struct {
    uint8_t bytes[16];
    size_t length;
    const char *text;
  } cases[] = {
      {{0xc7, 0x45, 0xfc, 0x00, 0x00, 0x00, 0x00}, 7, "movl   $0x0,-0x4(%rbp)"},
      {{0x83, 0x45, 0xfc, 0x01}, 4, "addl   $0x1,-0x4(%rbp)"},
      {{0x88, 0x02}, 2, "mov    %al,(%rdx)"},
      {{0x0f, 0xb6, 0xc0}, 3, "movzbl %al,%eax"},
      {{0x0f, 0xbf, 0x06}, 3, "movswl (%rsi),%eax"},
      {{0x48, 0x63, 0xd0}, 3, "movslq %eax,%rdx"},
      {{0x48, 0x98}, 2, "cltq"},
      {{0x99}, 1, "cltd"},
      {{0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8}, 10, "movabs $0x807060504030201,%rax"},
      {{0x48, 0x83, 0xe4, 0xf0}, 4, "and    $0xfffffffffffffff0,%rsp"},
      {{0x83, 0xf8, 0xff}, 3, "cmp    $0xffffffff,%eax"},
      {{0xd1, 0xea}, 2, "shr    %edx"},
      {{0xd3, 0x20}, 2, "shll   %cl,(%rax)"},
      {{0x0f, 0x94, 0xc0}, 3, "sete   %al"},
      {{0x0f, 0x4f, 0xc2}, 3, "cmovg  %edx,%eax"},
      {{0x0f, 0x1f, 0x40, 0x00}, 4, "nopl   0x0(%rax)"},
      {{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, 6, "nopw   0x0(%rax,%rax,1)"},
      {{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, 10,
       "cs nopw 0x0(%rax,%rax,1)"},
      {{0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, 11,
       "data16 cs nopw 0x0(%rax,%rax,1)"},
      {{0x66, 0x90}, 2, "xchg   %ax,%ax"},
      {{0xf3, 0x0f, 0x1e, 0xfa}, 4, "endbr64"},
      {{0x3e, 0xff, 0xe0}, 3, "notrack jmp *%rax"},
      {{0xff, 0x24, 0xc5, 0x10, 0, 0, 0}, 7, "jmp    *0x10(,%rax,8)"},
      {{0xf3, 0x48, 0xab}, 3, "rep stos %rax,%es:(%rdi)"},
      {{0xf3, 0xa5}, 2, "rep movsl %ds:(%rsi),%es:(%rdi)"},
      {{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0}, 9, "mov    %fs:0x28,%rax"},
      {{0xf2, 0x0f, 0x2a, 0x45, 0xec}, 5, "cvtsi2sdl -0x14(%rbp),%xmm0"},
      {{0x66, 0x0f, 0xef, 0xc0}, 4, "pxor   %xmm0,%xmm0"},
      {{0x0f, 0x18, 0x08}, 3, "prefetcht0 (%rax)"},
      {{0xdd, 0xd8}, 2, "fstp   %st(0)"},
      {{0xde, 0xf9}, 2, "fdivrp %st,%st(1)"},
      {{0xdb, 0x6c, 0x24, 0x10}, 4, "fldt   0x10(%rsp)"},
      {{0xdf, 0x6c, 0x24, 0x18}, 4, "fildll 0x18(%rsp)"},
      {{0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x11}, 6, "pclmulhqhqdq %xmm1,%xmm0"},
      {{0x66, 0x0f, 0x38, 0x10, 0xd1}, 5, "pblendvb %xmm0,%xmm1,%xmm2"},
      {{0xf2, 0x0f, 0xc2, 0xc1, 0x01}, 5, "cmpltsd %xmm1,%xmm0"},
      {{0xc3}, 1, "ret"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t length;
    cr_expect_str_eq(att(cases[i].bytes, &length), cases[i].text);
    cr_expect_eq(length, cases[i].length, "%s", cases[i].text);
  }
}

Test(disassemble, rip_relative_operand_has_its_target_as_comment) {
  /* mov 0x10(%rip),%eax ; je to 0 bytes ahead */
  static const uint8_t code[] = {0x8b, 0x05, 0x10, 0x00, 0x00, 0x00,
                                 0x74, 0x00};
  uint64_t at = (uint64_t)(uintptr_t)code;
  size_t length;
  char expected[96];
  snprintf(expected, sizeof expected,
           "mov    0x10(%%rip),%%eax        # 0x%llx",
           (unsigned long long)(at + 6 + 0x10));
  cr_assert_str_eq(att(code, &length), expected);
  snprintf(expected, sizeof expected, "je     0x%llx",
           (unsigned long long)(at + 8));
  cr_assert_str_eq(att(code + 6, &length), expected);
}

Test(disassemble, shows_original_bytes_under_a_breakpoint) {
  uint64_t fib = fixture_symbol("O0", "loops", "fib");
  char before[96], after[96];
  size_t length;
  cr_assert_eq(snare_disassemble(fib, SNARE_DISASSEMBLY_ATT, before, sizeof before, &length),
               SNARE_OK);
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  int id;
  cr_assert_eq(snare_breakpoint_set(s, fib, NULL, &id), SNARE_OK);
  uint8_t raw;
  memcpy(&raw, (const void *)(uintptr_t)fib, 1);
  cr_assert_eq(raw, 0xcc, "the trap is in memory");
  cr_assert_eq(snare_disassemble(fib, SNARE_DISASSEMBLY_ATT, after, sizeof after, &length),
               SNARE_OK);
  cr_assert_str_eq(after, before);
  cr_assert_neq(strncmp(after, "int3", 4), 0);
  snare_session_free(s);
}

Test(disassemble, errors) {
  char text[96];
  size_t length;
  cr_assert_eq(snare_disassemble(0, SNARE_DISASSEMBLY_ATT, text, sizeof text, &length),
               SNARE_BAD_ADDRESS);
  cr_assert_eq(snare_disassemble(4096, SNARE_DISASSEMBLY_ATT, NULL, 8, &length),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble(4096, SNARE_DISASSEMBLY_ATT, text, 0, &length),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble(4096, SNARE_DISASSEMBLY_ATT, text,
                                 sizeof text, NULL),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble(4096, (snare_disassembly_flavor)7, text,
                                 sizeof text, &length),
               SNARE_INVALID_ARGUMENT);
  /* 0f 0b (ud2) decodes; a lone 0f at the end of a mapping does not. */
  uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(page, MAP_FAILED);
  mprotect(page + 4096, 4096, PROT_NONE);
  page[4094] = 0x90; /* nop, the last but one byte: still decodes */
  page[4095] = 0x0f;
  cr_assert_eq(snare_disassemble((uint64_t)(uintptr_t)page + 4094,
                                 SNARE_DISASSEMBLY_ATT, text,
                                 sizeof text, &length),
               SNARE_OK);
  cr_assert_str_eq(text, "nop");
  cr_assert_eq(snare_disassemble((uint64_t)(uintptr_t)page + 4095,
                                 SNARE_DISASSEMBLY_ATT, text,
                                 sizeof text, &length),
               SNARE_UNDECODABLE);
  munmap(page, 8192);
}
