/*
 * displaced_code.h - the hand-assembled functions of the displaced-step
 * tests (displaced_test.c), shared with the jump breakpoint tests
 * (jump_breakpoint_test.c): instructions that cannot simply run
 * elsewhere (RIP-relative operands, relative and conditional branches,
 * calls, loop).
 */
#ifndef SNARE_SPEC_DISPLACED_CODE_H
#define SNARE_SPEC_DISPLACED_CODE_H

#include <stdint.h>

/* Loads the quadword 64 bytes from the function's start. */
static const uint8_t rip_relative[] = {
    0x48, 0x8b, 0x05, 0x39, 0, 0, 0, /* 0: mov rax,[rip+57] */
    0xc3,                            /* 7: ret */
};

static const uint8_t branch[] = {
    0x48, 0x83, 0xff, 0x05,       /* 0: cmp rdi, 5 */
    0x7c, 0x06,                   /* 4: jl 12 */
    0xb8, 0x01, 0x00, 0x00, 0x00, /* 6: mov eax, 1 */
    0xc3,                         /* 11: ret */
    0xb8, 0x02, 0x00, 0x00, 0x00, /* 12: mov eax, 2 */
    0xc3,
};

static const uint8_t direct_call[] = {
    0xe8, 0x06, 0x00, 0x00, 0x00, /* 0: call 11 */
    0x83, 0xc0, 0x01,             /* 5: add eax, 1 */
    0xc3,                         /* 8: ret */
    0x90, 0x90,                   /* 9: nop; nop */
    0xb8, 0x29, 0x00, 0x00, 0x00, /* 11: mov eax, 41 */
    0xc3,
};

static const uint8_t indirect_call[] = {
    0xff, 0xd6,                   /* 0: call rsi */
    0x83, 0xc0, 0x01,             /* 2: add eax, 1 */
    0xc3,                         /* 5: ret */
    0xff, 0x56, 0x08,             /* 6: call [rsi+8] */
    0xc3,                         /* 9: ret */
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
    0xb8, 0x29, 0x00, 0x00, 0x00, /* 16: mov eax, 41 */
    0xc3,
};

static const uint8_t relative_jump[] = {
    0xeb, 0x02,                   /* 0: jmp 4 */
    0x0f, 0x0b,                   /* 2: ud2 */
    0xb8, 0x07, 0x00, 0x00, 0x00, /* 4: mov eax, 7 */
    0xc3,
};

static const uint8_t counted_loop[] = {
    0x31, 0xc0,       /* 0: xor eax, eax */
    0x48, 0x89, 0xf9, /* 2: mov rcx, rdi */
    0xff, 0xc0,       /* 5: inc eax */
    0xe2, 0xfc,       /* 7: loop 5 */
    0xc3,             /* 9: ret */
};

#endif
