/*
 * compiled_variable.h - a scalar variable's DWARF location at one pc,
 * resolved once into a small program (a register, or an address that is
 * a register, the CFA or nothing plus an offset, in up to a few pieces)
 * that reads the variable at every hit of a condition with no libdwarf
 * call, no unwinding (the CFA is the register and offset of the call
 * frame information at that pc), no allocation and no system call on
 * the good path. Implemented in compiled_variable.c; what it cannot
 * compile the general evaluator (variables.c) reads.
 */
#ifndef SNARE_DEBUGINFO_COMPILED_VARIABLE_H
#define SNARE_DEBUGINFO_COMPILED_VARIABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "debuginfo/variables.h"
#include "internal/hidden.h"
#include "snare.h"

#define SNARE_VARIABLE_PIECES 4

typedef enum snare_piece_source {
  SNARE_PIECE_REGISTER, /* the low bytes of register `reg` */
  SNARE_PIECE_MEMORY,   /* bytes at base + offset */
  SNARE_PIECE_VALUE     /* the value base + offset itself (stack value) */
} snare_piece_source;

/* Where a piece's base comes from: a register number, or these. */
enum { SNARE_PIECE_BASE_NONE = -1, SNARE_PIECE_BASE_CFA = -2 };

typedef struct snare_variable_piece {
  uint8_t source; /* snare_piece_source */
  int8_t base;    /* snare_register, or SNARE_PIECE_BASE_* */
  uint8_t size;   /* bytes of the variable this piece holds */
  int64_t offset;
} snare_variable_piece;

typedef struct snare_variable_program {
  uint64_t pc;          /* valid at this pc only */
  snare_value_kind kind; /* SIGNED, UNSIGNED, BOOL, POINTER or FLOAT */
  uint8_t size;          /* bytes, at most 8 */
  uint8_t piece_count;
  int8_t cfa_register;   /* the CFA at pc: this register plus cfa_offset */
  int64_t cfa_offset;
  snare_variable_piece pieces[SNARE_VARIABLE_PIECES];
} snare_variable_program;

/*
 * Compiles the read of scalar `name`, visible from scope, at fs->pc.
 * NOT_FOUND when there is no such variable; UNSUPPORTED when its type or
 * location needs the general evaluator (aggregates, enums, long double,
 * constants, optimised out at pc, entry values, dereferences, vector
 * registers, a CFA the call frame information does not give as a
 * register and offset). Controller or trapped thread; allocates.
 */
SNARE_HIDDEN snare_status snare_variable_compile(const snare_debuginfo *di,
                                                 long scope,
                                                 const snare_frame_state *fs,
                                                 const char *name,
                                                 snare_variable_program *out);

/*
 * Runs a program on a thread's saved machine context (stopped there, at
 * the program's pc): the value into out (kind, size, i/u/f). False when
 * its memory is unreadable or the context is at another pc. Signal-safe;
 * no allocation, no system call when the memory is readable.
 */
SNARE_HIDDEN bool snare_variable_program_run(const snare_variable_program *p,
                                             const void *context,
                                             snare_value *out);

#endif
