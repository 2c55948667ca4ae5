/*
 * frame_compiled_variables.h - a breakpoint's compiled variable reads as
 * frames/ uses them inside itself (frame_compiled_variables.c); the
 * public face is snare_frame_variable_scalar.
 */
#ifndef SNARE_FRAMES_FRAME_COMPILED_VARIABLES_H
#define SNARE_FRAMES_FRAME_COMPILED_VARIABLES_H

#include "internal/hidden.h"
#include "traps/traps.h"
#include "snare.h"

/* The ready slot of name's compiled read for frame's breakpoint,
   compiled now if a slot is free; NULL when there is none. A ready slot
   never changes. */
SNARE_HIDDEN const snare_breakpoint_variable *
snare_frame_variable_slot(const snare_frame *frame, const char *name);

#endif
