/*
 * snare_mark.h - plants snare marks in native C code. No dependencies:
 * a program includes it without linking snare.
 *
 * SNARE_MARK(data1, data2) compiles to one 5-byte nop (nothing runs until
 * snare arms the mark) and records, in the non-loaded ELF section
 * `snare_marks`, the nop's address and how to find data1 and data2 when
 * the mark is hit: each is any integer expression, recorded as the
 * compiler's operand text (an immediate "$5", a register "%rdi" or memory
 * "-8(%rbp)") and evaluated by snare at the hit. snare_library_open
 * registers the marks of the objects it loads (snare.h, "Marks").
 *
 * Section layout, one record per mark, 8-byte aligned: the mark's
 * link-time address (8 bytes; the section is not loaded, so the linker
 * resolves it statically, as <sys/sdt.h> does for its notes), then the
 * two operand texts, NUL-terminated.
 */
#ifndef SNARE_MARK_H
#define SNARE_MARK_H

/* libjit's data1 conventions (JIT_DEBUGGER_DATA1_*); below 10000 is the
   user's. */
#define SNARE_MARK_LINE 10000  /* a source line */
#define SNARE_MARK_ENTER 10001 /* function entry */
#define SNARE_MARK_LEAVE 10002 /* function exit, before returning */
#define SNARE_MARK_THROW 10003 /* an exception is thrown */
#define SNARE_MARK_USER_LIMIT 10000

#if defined(__x86_64__) && defined(__GNUC__)
#define SNARE_MARK(data1, data2)                                               \
  __asm__ __volatile__("990: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"          \
                       ".pushsection snare_marks, \"\", @progbits\n\t"         \
                       ".balign 8\n\t"                                         \
                       ".8byte 990b\n\t"                                       \
                       ".asciz \"%0\"\n\t"                                     \
                       ".asciz \"%1\"\n\t"                                     \
                       ".popsection"                                           \
                       :                                                       \
                       : "nor"((long long)(data1)), "nor"((long long)(data2)))
#else
#define SNARE_MARK(data1, data2) ((void)(data1), (void)(data2))
#endif

#endif /* SNARE_MARK_H */
