/*
 * invoke_abi.c - calling an entry with arguments already placed by the
 * System V AMD64 classes (snare_call_abi): six integer registers, eight
 * vector registers, sixteen stack words.
 *
 * The call is made through a C prototype whose parameters land exactly
 * there: six uint64_t (rdi..r9), eight doubles (xmm0..xmm7, bits kept as
 * they are) and the stack words as variadic uint64_t (the integer
 * registers being full, they go to the stack in order). Being variadic,
 * the call sets al to the vector registers used, as a variadic callee
 * needs. The return type picks which registers are read back: a struct
 * of two eightbytes of the classes asked for.
 */
#include <string.h>

#include "internal/arch.h"

typedef struct { uint64_t first, second; } ret_integer;
typedef struct { double first, second; } ret_sse;
typedef struct { uint64_t first; double second; } ret_integer_sse;
typedef struct { double first; uint64_t second; } ret_sse_integer;

#define PARAMS uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, \
    double, double, double, double, double, double, double, double, ...

typedef ret_integer (*fn_integer)(PARAMS);
typedef ret_sse (*fn_sse)(PARAMS);
typedef ret_integer_sse (*fn_integer_sse)(PARAMS);
typedef ret_sse_integer (*fn_sse_integer)(PARAMS);

#define ARGS(a, x)                                                            \
  (a)->ints[0], (a)->ints[1], (a)->ints[2], (a)->ints[3], (a)->ints[4],       \
      (a)->ints[5], x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7],           \
      (a)->stack[0], (a)->stack[1], (a)->stack[2], (a)->stack[3],             \
      (a)->stack[4], (a)->stack[5], (a)->stack[6], (a)->stack[7],             \
      (a)->stack[8], (a)->stack[9], (a)->stack[10], (a)->stack[11],           \
      (a)->stack[12], (a)->stack[13], (a)->stack[14], (a)->stack[15]

static uint64_t bits_of(double d)
{
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

snare_call_result snare_arch_invoke_abi(uint64_t fn, const snare_call_args *a)
{
  double x[8];
  memcpy(x, a->sse, sizeof x);
  uintptr_t entry = (uintptr_t)fn;
  snare_call_result r = {0, 0};
  switch (a->ret) {
  case SNARE_RETURN_INTEGER: {
    ret_integer v = ((fn_integer)entry)(ARGS(a, x));
    r = (snare_call_result){v.first, v.second};
    break;
  }
  case SNARE_RETURN_SSE: {
    ret_sse v = ((fn_sse)entry)(ARGS(a, x));
    r = (snare_call_result){bits_of(v.first), bits_of(v.second)};
    break;
  }
  case SNARE_RETURN_INTEGER_SSE: {
    ret_integer_sse v = ((fn_integer_sse)entry)(ARGS(a, x));
    r = (snare_call_result){v.first, bits_of(v.second)};
    break;
  }
  case SNARE_RETURN_SSE_INTEGER: {
    ret_sse_integer v = ((fn_sse_integer)entry)(ARGS(a, x));
    r = (snare_call_result){bits_of(v.first), v.second};
    break;
  }
  }
  return r;
}
