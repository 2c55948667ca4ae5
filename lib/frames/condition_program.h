/*
 * condition_program.h - the evaluator of native condition programs
 * (condition_program.c) with the variable reads its caller gives: the
 * public snare_condition_program_run reads through
 * snare_frame_variable_scalar; a breakpoint's own program
 * (session/native_conditions.c) through the compiled reads it keeps.
 */
#ifndef SNARE_FRAMES_CONDITION_PROGRAM_H
#define SNARE_FRAMES_CONDITION_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal/hidden.h"
#include "snare.h"

/* Reads variable names[index] of the program into *out, as the word a
   program holds; UNSUPPORTED when it has no compiled read here. */
typedef snare_status (*snare_condition_reader)(void *data, const char *name,
                                               size_t index, uint64_t *out);

/* Whether p is well formed: every step that can run finds the operands
   it pops, pushes within SNARE_CONDITION_STACK, names a name and jumps
   within the program, and every way into a step comes with the same
   stack depth, one at the end. Checked once, before the runs below. */
SNARE_HIDDEN bool snare_condition_program_valid(const snare_condition_program *p);

/* snare_condition_program_run with reads through read(reader_data...),
   of a program snare_condition_program_valid said is. */
SNARE_HIDDEN snare_status snare_condition_program_eval(
    const snare_condition_program *p, snare_condition_reader read,
    void *reader_data, uint64_t *result, uint64_t *fault_address);

/* A compiled read's value as a program's word (sign-extended when
   signed); false for a float. */
SNARE_HIDDEN bool snare_condition_word(const snare_value *v, uint64_t *out);

#endif
