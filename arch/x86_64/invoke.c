/* invoke.c - calling an entry with integer arguments (System V AMD64). */
#include "internal/arch.h"

typedef uint64_t (*entry8)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t);

/*
 * The first six integer arguments travel in registers and the last two on
 * the stack, where a callee declared with fewer parameters ignores them;
 * so one eight-argument call serves every arity from 0 to 8.
 */
uint64_t snare_arch_invoke(uint64_t fn, const uint64_t args[8]) {
  entry8 entry = (entry8)(uintptr_t)fn;
  return entry(args[0], args[1], args[2], args[3], args[4], args[5], args[6],
               args[7]);
}
