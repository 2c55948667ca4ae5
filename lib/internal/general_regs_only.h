/*
 * general_regs_only.h - included first by the files whose code runs
 * between a hooked function and its caller (the hook dispatcher, the
 * trace buffer, the clock they read): the rest of the file is compiled
 * without vector, x87 or other extended-state instructions, so the
 * hooked code's vector registers, x87 and MXCSR state pass through it
 * untouched and the stubs need not save them (arch/x86_64/trampoline.c).
 * Whatever these files call outside themselves must be equally clean or
 * go through snare_arch_call_saving_state.
 *
 * GCC is told by pragma; other compilers must compile these files with
 * -mgeneral-regs-only, and the check below refuses them otherwise.
 */
#ifndef SNARE_INTERNAL_GENERAL_REGS_ONLY_H
#define SNARE_INTERNAL_GENERAL_REGS_ONLY_H

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("general-regs-only")
#endif
#if defined(__SSE__) || defined(__MMX__)
#error "this file must be compiled without vector registers (-mgeneral-regs-only)"
#endif

#endif
