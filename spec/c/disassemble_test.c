/* disassemble_test.c - snare_disassemble: AT&T (as GNU binutils spells
   it) and Intel text, lengths, the program's own bytes under breakpoints,
   instructions at the edge of a mapping. */
#include <criterion/criterion.h>
#include <inttypes.h>
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
  cr_assert_str_eq(text, "mov    rbp,rsp");
  cr_assert_eq(snare_disassemble(at + 4, SNARE_DISASSEMBLY_INTEL, text,
                                 sizeof text, &length),
               SNARE_OK);
  snprintf(expected, sizeof expected, "call   0x%llx",
           (unsigned long long)(at + 9 + 0x100));
  cr_assert_str_eq(text, expected);
}

/* The spellings where Zydis's own formatters and binutils differ, each
   as objdump 2.40 and gdb 13 print it in AT&T and in Intel syntax (the
   last ones what binutils makes of bytes that are data: prefixes that
   change nothing, a lone REX before a prefix). */
static const struct {
  uint8_t bytes[16];
  size_t length;
  const char *att;
  const char *intel;
} spellings[] = {
      {{0xc7, 0x45, 0xfc, 0x00, 0x00, 0x00, 0x00}, 7,
       "movl   $0x0,-0x4(%rbp)",
       "mov    DWORD PTR [rbp-0x4],0x0"},
      {{0x83, 0x45, 0xfc, 0x01}, 4,
       "addl   $0x1,-0x4(%rbp)",
       "add    DWORD PTR [rbp-0x4],0x1"},
      {{0x88, 0x02}, 2,
       "mov    %al,(%rdx)",
       "mov    BYTE PTR [rdx],al"},
      {{0x0f, 0xb6, 0xc0}, 3,
       "movzbl %al,%eax",
       "movzx  eax,al"},
      {{0x0f, 0xbf, 0x06}, 3,
       "movswl (%rsi),%eax",
       "movsx  eax,WORD PTR [rsi]"},
      {{0x48, 0x63, 0xd0}, 3,
       "movslq %eax,%rdx",
       "movsxd rdx,eax"},
      {{0x48, 0x98}, 2,
       "cltq",
       "cdqe"},
      {{0x99}, 1,
       "cltd",
       "cdq"},
      {{0x48, 0xb8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}, 10,
       "movabs $0x807060504030201,%rax",
       "movabs rax,0x807060504030201"},
      {{0x48, 0x83, 0xe4, 0xf0}, 4,
       "and    $0xfffffffffffffff0,%rsp",
       "and    rsp,0xfffffffffffffff0"},
      {{0x83, 0xf8, 0xff}, 3,
       "cmp    $0xffffffff,%eax",
       "cmp    eax,0xffffffff"},
      {{0xd1, 0xea}, 2,
       "shr    %edx",
       "shr    edx,1"},
      {{0xd3, 0x20}, 2,
       "shll   %cl,(%rax)",
       "shl    DWORD PTR [rax],cl"},
      {{0x0f, 0x94, 0xc0}, 3,
       "sete   %al",
       "sete   al"},
      {{0x0f, 0x4f, 0xc2}, 3,
       "cmovg  %edx,%eax",
       "cmovg  eax,edx"},
      {{0x0f, 0x1f, 0x40, 0x00}, 4,
       "nopl   0x0(%rax)",
       "nop    DWORD PTR [rax+0x0]"},
      {{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, 6,
       "nopw   0x0(%rax,%rax,1)",
       "nop    WORD PTR [rax+rax*1+0x0]"},
      {{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}, 10,
       "cs nopw 0x0(%rax,%rax,1)",
       "cs nop WORD PTR [rax+rax*1+0x0]"},
      {{0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}, 11,
       "data16 cs nopw 0x0(%rax,%rax,1)",
       "data16 cs nop WORD PTR [rax+rax*1+0x0]"},
      {{0x66, 0x90}, 2,
       "xchg   %ax,%ax",
       "xchg   ax,ax"},
      {{0xf3, 0x0f, 0x1e, 0xfa}, 4,
       "endbr64",
       "endbr64"},
      {{0x3e, 0xff, 0xe0}, 3,
       "notrack jmp *%rax",
       "notrack jmp rax"},
      {{0xff, 0x24, 0xc5, 0x10, 0x00, 0x00, 0x00}, 7,
       "jmp    *0x10(,%rax,8)",
       "jmp    QWORD PTR [rax*8+0x10]"},
      {{0xf3, 0x48, 0xab}, 3,
       "rep stos %rax,%es:(%rdi)",
       "rep stos QWORD PTR es:[rdi],rax"},
      {{0xf3, 0xa5}, 2,
       "rep movsl %ds:(%rsi),%es:(%rdi)",
       "rep movs DWORD PTR es:[rdi],DWORD PTR ds:[rsi]"},
      {{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00}, 9,
       "mov    %fs:0x28,%rax",
       "mov    rax,QWORD PTR fs:0x28"},
      {{0xf2, 0x0f, 0x2a, 0x45, 0xec}, 5,
       "cvtsi2sdl -0x14(%rbp),%xmm0",
       "cvtsi2sd xmm0,DWORD PTR [rbp-0x14]"},
      {{0x66, 0x0f, 0xef, 0xc0}, 4,
       "pxor   %xmm0,%xmm0",
       "pxor   xmm0,xmm0"},
      {{0x0f, 0x18, 0x08}, 3,
       "prefetcht0 (%rax)",
       "prefetcht0 BYTE PTR [rax]"},
      {{0xdd, 0xd8}, 2,
       "fstp   %st(0)",
       "fstp   st(0)"},
      {{0xde, 0xf9}, 2,
       "fdivrp %st,%st(1)",
       "fdivp  st(1),st"},
      {{0xdb, 0x6c, 0x24, 0x10}, 4,
       "fldt   0x10(%rsp)",
       "fld    TBYTE PTR [rsp+0x10]"},
      {{0xdf, 0x6c, 0x24, 0x18}, 4,
       "fildll 0x18(%rsp)",
       "fild   QWORD PTR [rsp+0x18]"},
      {{0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x11}, 6,
       "pclmulhqhqdq %xmm1,%xmm0",
       "pclmulhqhqdq xmm0,xmm1"},
      {{0x66, 0x0f, 0x38, 0x10, 0xd1}, 5,
       "pblendvb %xmm0,%xmm1,%xmm2",
       "pblendvb xmm2,xmm1,xmm0"},
      {{0xf2, 0x0f, 0xc2, 0xc1, 0x01}, 5,
       "cmpltsd %xmm1,%xmm0",
       "cmpltsd xmm0,xmm1"},
      {{0xc3}, 1,
       "ret",
       "ret"},
      {{0x62, 0xf1, 0x7f, 0xc9, 0x6f, 0x0f}, 6,
       "vmovdqu8 (%rdi),%zmm1{%k1}{z}",
       "vmovdqu8 zmm1{k1}{z},ZMMWORD PTR [rdi]"},
      {{0x62, 0xf2, 0x76, 0x49, 0x26, 0xe1}, 6,
       "vptestnmb %zmm1,%zmm1,%k4{%k1}",
       "vptestnmb k4{k1},zmm1,zmm1"},
      {{0x62, 0xf3, 0x7d, 0x49, 0x3f, 0xeb, 0x00}, 7,
       "vpcmpeqb %zmm3,%zmm0,%k5{%k1}",
       "vpcmpeqb k5{k1},zmm0,zmm3"},
      {{0x62, 0xf1, 0x74, 0x58, 0x58, 0x40, 0x01}, 7,
       "vaddps 0x4(%rax){1to16},%zmm1,%zmm0",
       "vaddps zmm0,zmm1,DWORD BCST [rax+0x4]"},
      {{0x62, 0xf1, 0x74, 0x18, 0x58, 0xc2}, 6,
       "vaddps {rn-sae},%zmm2,%zmm1,%zmm0",
       "vaddps zmm0,zmm1,zmm2{rn-sae}"},
      {{0x62, 0xf3, 0x7d, 0x18, 0x08, 0xc1, 0x04}, 7,
       "vrndscaleps $0x4,{sae},%zmm1,%zmm0",
       "vrndscaleps zmm0,zmm1{sae},0x4"},
      {{0x62, 0xf1, 0x7c, 0x49, 0x11, 0x00}, 6,
       "vmovups %zmm0,(%rax){%k1}",
       "vmovups ZMMWORD PTR [rax]{k1},zmm0"},
      {{0xc5, 0xf8, 0xc2, 0xc1, 0x11}, 5,
       "vcmplt_oqps %xmm1,%xmm0,%xmm0",
       "vcmplt_oqps xmm0,xmm0,xmm1"},
      {{0x0f, 0xae, 0x9f, 0xc0, 0x01, 0x00, 0x00}, 7,
       "stmxcsr 0x1c0(%rdi)",
       "stmxcsr DWORD PTR [rdi+0x1c0]"},
      {{0xf3, 0xc3}, 2,
       "repz ret",
       "repz ret"},
      {{0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00}, 7,
       "mov    0x10,%eax",
       "mov    eax,DWORD PTR ds:0x10"},
      {{0x9b, 0xd9, 0x7c, 0x24, 0x02}, 5,
       "fstcw  0x2(%rsp)",
       "fstcw  WORD PTR [rsp+0x2]"},
      {{0x9b, 0xdf, 0xe0}, 3,
       "fstsw  %ax",
       "fstsw  ax"},
      {{0x9c}, 1,
       "pushf",
       "pushf"},
      {{0x8b, 0x04, 0x20}, 3,
       "mov    (%rax,%riz,1),%eax",
       "mov    eax,DWORD PTR [rax+riz*1]"},
      {{0xd2, 0x2b}, 2,
       "shrb   %cl,(%rbx)",
       "shr    BYTE PTR [rbx],cl"},
      {{0x63, 0x63, 0xa5}, 3,
       "movsxd -0x5b(%rbx),%esp",
       "movsxd esp,DWORD PTR [rbx-0x5b]"},
      {{0xed}, 1,
       "in     (%dx),%eax",
       "in     eax,dx"},
      {{0x26, 0x48, 0x8b, 0x00}, 4,
       "es mov (%rax),%rax",
       "es mov rax,QWORD PTR [rax]"},
      {{0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00}, 12,
       "data16 data16 data16 mov %fs:0x0,%rax",
       "data16 data16 data16 mov rax,QWORD PTR fs:0x0"},
      {{0x0f, 0xb6, 0x04, 0x25, 0xff, 0xff, 0xff, 0xff}, 8,
       "movzbl 0xffffffffffffffff,%eax",
       "movzx  eax,BYTE PTR ds:0xffffffffffffffff"},
      {{0xf2, 0x0f, 0x2c, 0xb8, 0xc8, 0x00, 0x00, 0x00}, 8,
       "cvttsd2si 0xc8(%rax),%edi",
       "cvttsd2si edi,QWORD PTR [rax+0xc8]"},
      {{0xf2, 0x0f, 0x38, 0xf1, 0x06}, 5,
       "crc32l (%rsi),%eax",
       "crc32  eax,DWORD PTR [rsi]"},
      {{0x0f, 0x38, 0xcb, 0xd1}, 4,
       "sha256rnds2 %xmm0,%xmm1,%xmm2",
       "sha256rnds2 xmm2,xmm1,xmm0"},
      {{0x66, 0x0f, 0x1a, 0x00}, 4,
       "bndmov (%rax),%bnd0",
       "bndmov bnd0,[rax]"},
      {{0x0f, 0x00, 0x00}, 3,
       "sldt   (%rax)",
       "sldt   WORD PTR [rax]"},
      {{0xdf, 0x08}, 2,
       "fisttps (%rax)",
       "fisttp WORD PTR [rax]"},
      {{0xd7}, 1,
       "xlat   %ds:(%rbx)",
       "xlat   BYTE PTR ds:[rbx]"},
      {{0xf0, 0xc3}, 2,
       "lock ret",
       "lock ret"},
      {{0x4c, 0x67, 0xeb, 0x3c}, 1,
       "rex.WR",
       "rex.WR"},
      {{0x48, 0x9c}, 2,
       "rex.W pushf",
       "rex.W pushf"},
      {{0x66, 0x14, 0xfc}, 3,
       "data16 adc $0xfc,%al",
       "data16 adc al,0xfc"},
      {{0x4e, 0x28, 0xeb}, 3,
       "rex.WRX sub %r13b,%bl",
       "rex.WRX sub bl,r13b"},
      {{0x40, 0x08, 0xc3}, 3,
       "rex or %al,%bl",
       "rex or bl,al"},
      {{0x67, 0x15, 0x91, 0xa5, 0xca, 0x3b}, 6,
       "addr32 adc $0x3bcaa591,%eax",
       "addr32 adc eax,0x3bcaa591"},
};

static void expect_spellings(snare_disassembly_flavor flavor) {
  for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
    const char *expected = flavor == SNARE_DISASSEMBLY_INTEL
                               ? spellings[i].intel
                               : spellings[i].att;
    char text[128];
    size_t length = 0;
    cr_expect_eq(snare_disassemble((uint64_t)(uintptr_t)spellings[i].bytes,
                                   flavor, text, sizeof text, &length),
                 SNARE_OK, "%s", expected);
    cr_expect_str_eq(text, expected);
    cr_expect_eq(length, spellings[i].length, "%s", expected);
  }
}

Test(disassemble, spells_att_as_binutils) {
  expect_spellings(SNARE_DISASSEMBLY_ATT);
}

Test(disassemble, spells_intel_as_binutils) {
  expect_spellings(SNARE_DISASSEMBLY_INTEL);
}

/* 0x67 before jrcxz makes it jecxz (binutils' name, no addr32 before). */
Test(disassemble, names_jecxz_without_its_address_size_prefix) {
  static const uint8_t bytes[] = {0x67, 0xe3, 0x00};
  uint64_t at = (uint64_t)(uintptr_t)bytes;
  char expected[64];
  snprintf(expected, sizeof expected, "jecxz  0x%" PRIx64, at + 3);
  for (int intel = 0; intel < 2; intel++) {
    char text[128];
    size_t length = 0;
    cr_assert_eq(snare_disassemble(at,
                                   intel ? SNARE_DISASSEMBLY_INTEL
                                         : SNARE_DISASSEMBLY_ATT,
                                   text, sizeof text, &length),
                 SNARE_OK);
    cr_expect_str_eq(text, expected);
    cr_expect_eq(length, 3);
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
  char intel[96];
  cr_assert_eq(snare_disassemble(at, SNARE_DISASSEMBLY_INTEL, intel,
                                 sizeof intel, &length),
               SNARE_OK);
  snprintf(expected, sizeof expected,
           "mov    eax,DWORD PTR [rip+0x10]        # 0x%llx",
           (unsigned long long)(at + 6 + 0x10));
  cr_assert_str_eq(intel, expected);
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

/* Another process's code (starti's held stop reads it through ptrace):
   decoded from the bytes given, targets relative to the address they sit
   at there, never read from this process. */
Test(disassemble, decodes_bytes_given_as_at_another_address) {
  static const uint8_t code[] = {0x48, 0x89, 0xe7, 0xe8, 0xf8, 0x0b, 0x00,
                                 0x00};
  const uint64_t at = 0x7ffff7fe4b70; /* the loader's _start there */
  char text[128];
  size_t length;
  cr_assert_eq(snare_disassemble_bytes(at, SNARE_DISASSEMBLY_ATT, code,
                                       sizeof code, text, sizeof text,
                                       &length),
               SNARE_OK);
  cr_assert_str_eq(text, "mov    %rsp,%rdi");
  cr_assert_eq(length, 3);
  cr_assert_eq(snare_disassemble_bytes(at + 3, SNARE_DISASSEMBLY_ATT,
                                       code + 3, sizeof code - 3, text,
                                       sizeof text, &length),
               SNARE_OK);
  cr_assert_str_eq(text, "call   0x7ffff7fe5770");
  /* a call cut short, no bytes, and bytes missing */
  cr_assert_eq(snare_disassemble_bytes(at + 3, SNARE_DISASSEMBLY_ATT,
                                       code + 3, 4, text, sizeof text,
                                       &length),
               SNARE_UNDECODABLE);
  cr_assert_eq(snare_disassemble_bytes(at, SNARE_DISASSEMBLY_ATT, code, 0,
                                       text, sizeof text, &length),
               SNARE_UNDECODABLE);
  cr_assert_eq(snare_disassemble_bytes(at, SNARE_DISASSEMBLY_ATT, NULL, 8,
                                       text, sizeof text, &length),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_disassemble_bytes(at, SNARE_DISASSEMBLY_ATT, code,
                                       sizeof code, NULL, sizeof text,
                                       &length),
               SNARE_INVALID_ARGUMENT);
}
