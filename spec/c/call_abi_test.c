/*
 * call_abi_test.c - snare_call_abi over spec/fixtures/abi.c (doubles in
 * vector registers, a ninth double on the stack, structs in registers,
 * in memory and returned both ways) and snare_frame_registers_read of
 * outer frames (callee-saved registers restored and where they were
 * saved, the caller's and callee's frame addresses).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

typedef struct abi_env {
  snare_library *lib;
  snare_session *session;
} abi_env;

static abi_env open_abi(const char *level)
{
  abi_env e;
  cr_assert_eq(snare_library_open(fixture_path(level, "abi"), &e.lib),
               SNARE_OK);
  cr_assert_eq(snare_session_new(&e.session), SNARE_OK);
  snare_session_set_timeout(e.session, 5000);
  return e;
}

static void close_abi(abi_env *e)
{
  snare_session_free(e->session);
  snare_library_close(e->lib);
}

static uint64_t symbol(const abi_env *e, const char *name)
{
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(e->lib, name, &sym), SNARE_OK, "%s",
               name);
  return sym.address;
}

static uint64_t bits(double d)
{
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static double as_double(uint64_t u)
{
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static uint64_t word_at(uint64_t addr)
{
  uint64_t w = 0;
  cr_assert_eq(snare_memory_read(addr, &w, sizeof w), SNARE_OK);
  return w;
}

/* Calls name with args and returns both eightbytes of its result. */
static snare_call_result call(abi_env *e, const char *name,
                              const snare_call_args *args)
{
  snare_stop stop;
  cr_assert_eq(snare_call_abi(e->session, symbol(e, name), args, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "%s did not return", name);
  snare_call_result r;
  cr_assert_eq(snare_call_result_get(e->session, &r), SNARE_OK);
  cr_assert_eq(stop.return_value, r.first);
  return r;
}

Test(call_abi, doubles_in_vector_registers_and_on_the_stack)
{
  abi_env e = open_abi("O2");
  snare_call_args a = {.ret = SNARE_RETURN_SSE};
  a.sse[0] = bits(1.5);
  a.sse[1] = bits(2.25);
  cr_assert_eq(as_double(call(&e, "add_doubles", &a).first), 3.75);
  snare_call_args nine = {.ret = SNARE_RETURN_SSE};
  for (int i = 0; i < 8; i++)
    nine.sse[i] = bits(i + 1);
  nine.stack[0] = bits(9.5);
  cr_assert_eq(as_double(call(&e, "sum9", &nine).first), 45.5);
  close_abi(&e);
}

Test(call_abi, structs_by_value_and_returned)
{
  abi_env e = open_abi("O0");
  /* struct vec2 {double, double}: SSE, SSE in and out */
  snare_call_args scale = {.ret = SNARE_RETURN_SSE};
  scale.sse[0] = bits(1.5);
  scale.sse[1] = bits(-2);
  scale.sse[2] = bits(2);
  snare_call_result v = call(&e, "vec2_scale", &scale);
  cr_assert_eq(as_double(v.first), 3.0);
  cr_assert_eq(as_double(v.second), -4.0);
  /* struct mixed {double, long}: SSE then INTEGER, both ways */
  snare_call_args make = {.ret = SNARE_RETURN_SSE_INTEGER};
  make.sse[0] = bits(0.25);
  make.ints[0] = 9;
  snare_call_result m = call(&e, "mixed_make", &make);
  cr_assert_eq(as_double(m.first), 0.25);
  cr_assert_eq(m.second, 9);
  /* struct triple: MEMORY, passed on the stack, returned through rdi */
  snare_call_args sum = {.ret = SNARE_RETURN_INTEGER};
  sum.stack[0] = 1;
  sum.stack[1] = 2;
  sum.stack[2] = 3;
  cr_assert_eq(call(&e, "triple_sum", &sum).first, 6);
  long out[3] = {0, 0, 0};
  snare_call_args triple = {.ret = SNARE_RETURN_INTEGER};
  triple.ints[0] = (uint64_t)(uintptr_t)out;
  triple.ints[1] = 5;
  cr_assert_eq(call(&e, "triple_make", &triple).first,
               (uint64_t)(uintptr_t)out);
  cr_assert(out[0] == 5 && out[1] == 10 && out[2] == 15);
  close_abi(&e);
}

Test(call_abi, refusals)
{
  abi_env e = open_abi("O0");
  snare_call_args a = {.ret = (snare_return_class)7};
  snare_stop stop;
  cr_assert_eq(snare_call_abi(e.session, symbol(&e, "add_doubles"), &a, &stop),
               SNARE_INVALID_ARGUMENT);
  snare_call_result r;
  cr_assert_eq(snare_call_result_get(e.session, &r), SNARE_WRONG_STATE);
  uint64_t arg = 1;
  cr_assert_eq(snare_call(e.session, symbol(&e, "abi_inner"), 1, &arg, &stop),
               SNARE_OK);
  cr_assert_eq(snare_call_result_get(e.session, &r), SNARE_WRONG_STATE,
               "a plain call has no abi result");
  close_abi(&e);
}

Test(frame_registers, outer_frames_restore_callee_saved_registers)
{
  abi_env e = open_abi("O2");
  int id;
  cr_assert_eq(snare_breakpoint_set(e.session, symbol(&e, "abi_inner"), NULL,
                                    &id),
               SNARE_OK);
  uint64_t arg = 3;
  snare_stop stop;
  cr_assert_eq(snare_call(e.session, symbol(&e, "abi_outer"), 1, &arg, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  snare_frame_registers f0, f1, f2;
  cr_assert_eq(snare_frame_registers_read(e.session, 0, &f0), SNARE_OK);
  cr_assert_eq(snare_frame_registers_read(e.session, 1, &f1), SNARE_OK);
  cr_assert_eq(snare_frame_registers_read(e.session, 2, &f2), SNARE_OK);
  /* abi_middle keeps a value in rbx across its call, so it pushed its
     caller's: frame 2's rbx comes back from there */
  cr_assert_eq(f0.value[SNARE_REG_RDI], 6);
  cr_assert_eq(f1.value[SNARE_REG_RSP], f0.cfa);
  cr_assert_eq(f1.callee_cfa, f0.cfa);
  cr_assert_eq(f0.caller_cfa, f1.cfa);
  cr_assert_eq(f1.value[SNARE_REG_RIP], word_at(f0.cfa - 8));
  cr_assert_neq(f1.saved_at[SNARE_REG_RBX], 0, "abi_middle saves rbx");
  cr_assert_eq(f2.value[SNARE_REG_RBX],
               word_at(f1.saved_at[SNARE_REG_RBX]));
  cr_assert_eq(f0.saved_at[SNARE_REG_RBX], 0, "abi_inner saves nothing");
  cr_assert_eq(f0.saved_at[SNARE_REG_RIP], f0.cfa - 8);
  cr_assert_eq(snare_frame_registers_read(e.session, 99, &f0),
               SNARE_INVALID_ARGUMENT);
  close_abi(&e);
}
