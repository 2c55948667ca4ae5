/*
 * badinput_test.c - the public C API given NULL pointers, bad ids, bad
 * addresses and wrong states: every call returns its documented status
 * (never crashes), changes nothing, and the session still computes
 * fib(10) afterwards. Prints "FIGURE badinput_c_inputs N". Then each
 * kind of callback (condition, hook callback, step policy) tries to run,
 * resume and interrupt its own session: IN_CALLBACK every time.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "debuginfo/debuginfo.h"
#include "snare.h"

/* What each case gets: a session idle or stopped at a breakpoint. */
typedef struct world {
  snare_session *session;
  uint64_t fib, count_to, inside, scratch;
  int bp; /* a live breakpoint id */
} world;

typedef struct bad_case {
  const char *what;
  bool stopped; /* run with the session stopped at count_to */
  snare_status expected;
  snare_status (*run)(world *w);
} bad_case;

/* A case's body; its expectations are in its ROW of the table below. */
#define CASE(name, ...)                                                        \
  static snare_status name(world *w) {                                         \
    (void)w;                                                                   \
    __VA_ARGS__                                                                \
  }
#define ROW(name, stopped, expected) {#name, stopped, SNARE_##expected, name}

static snare_stop scratch_stop;
static snare_breakpoint_info scratch_info;
static uint64_t scratch_value;
static uint8_t scratch_bytes[16];

CASE(call_null_session,
     return snare_call(NULL, w->fib, 0, NULL, &scratch_stop);)
CASE(call_null_stop,
     return snare_call(w->session, w->fib, 0, NULL, NULL);)
CASE(call_nine_args,
     uint64_t args[9] = {0};
     return snare_call(w->session, w->fib, 9, args, &scratch_stop);)
CASE(call_args_null,
     return snare_call(w->session, w->fib, 2, NULL, &scratch_stop);)
CASE(call_while_stopped,
     uint64_t n = 3;
     return snare_call(w->session, w->fib, 1, &n, &scratch_stop);)
CASE(call_main_negative_argc,
     return snare_call_main(w->session, w->fib, -1, NULL, &scratch_stop);)
CASE(call_main_null_argv,
     return snare_call_main(w->session, w->fib, 2, NULL, &scratch_stop);)
CASE(resume_null_session,
     return snare_resume(NULL, SNARE_RESUME_CONTINUE, NULL, &scratch_stop);)
CASE(resume_bad_mode,
     return snare_resume(w->session, (snare_resume_mode)99, NULL,
                         &scratch_stop);)
CASE(resume_while_idle,
     return snare_resume(w->session, SNARE_RESUME_CONTINUE, NULL,
                         &scratch_stop);)
CASE(interrupt_null, return snare_interrupt(NULL);)
CASE(interrupt_while_idle,
     return snare_interrupt(w->session);)
CASE(interrupt_while_stopped,
     return snare_interrupt(w->session);)
CASE(register_get_null_session,
     return snare_register_get(NULL, SNARE_REG_RAX, &scratch_value);)
CASE(register_get_null_out,
     return snare_register_get(w->session, SNARE_REG_RAX, NULL);)
CASE(register_get_bad_register,
     return snare_register_get(w->session, (snare_register)-1, &scratch_value);)
CASE(register_get_past_the_end,
     return snare_register_get(w->session, SNARE_REG_COUNT, &scratch_value);)
CASE(register_get_while_idle,
     return snare_register_get(w->session, SNARE_REG_RAX, &scratch_value);)
CASE(register_set_bad_register,
     return snare_register_set(w->session, (snare_register)1000, 0);)
CASE(register_set_while_idle,
     return snare_register_set(w->session, SNARE_REG_RAX, 0);)
CASE(vector_index_16,
     return snare_vector_register_get(w->session, 16, scratch_bytes);)
CASE(vector_null_out,
     return snare_vector_register_get(w->session, 0, NULL);)
CASE(vector_while_idle,
     return snare_vector_register_get(w->session, 0, scratch_bytes);)
CASE(register_lookup_unknown,
     snare_register reg;
     return snare_register_lookup("xyz", &reg);)
CASE(register_lookup_null,
     snare_register reg;
     return snare_register_lookup(NULL, &reg);)
CASE(read_null_destination,
     return snare_memory_read(w->scratch, NULL, 8);)
CASE(read_unmapped,
     return snare_memory_read(0x10, scratch_bytes, 8);)
CASE(read_kernel,
     return snare_memory_read(0xffffffffff600000ull - 4096, scratch_bytes, 8);)
CASE(read_wrapping,
     return snare_memory_read(UINT64_MAX - 2, scratch_bytes, 8);)
CASE(write_null_source,
     return snare_memory_write(w->scratch, NULL, 8);)
CASE(write_unmapped,
     return snare_memory_write(0x10, scratch_bytes, 8);)
CASE(write_over_code,
     return snare_memory_write(w->fib, scratch_bytes, 2);)
CASE(write_wrapping,
     return snare_memory_write(UINT64_MAX, scratch_bytes, 2);)
CASE(breakpoint_null_session,
     int id;
     return snare_breakpoint_set(NULL, w->fib, NULL, &id);)
CASE(breakpoint_null_id,
     return snare_breakpoint_set(w->session, w->fib, NULL, NULL);)
CASE(breakpoint_unmapped,
     int id;
     return snare_breakpoint_set(w->session, 0x10, NULL, &id);)
CASE(breakpoint_on_data,
     int id;
     return snare_breakpoint_set(w->session, w->scratch + 1, NULL, &id);)
CASE(breakpoint_inside_instruction,
     int id;
     return snare_breakpoint_set(w->session, w->inside, NULL, &id);)
CASE(clear_unknown_id,
     return snare_breakpoint_clear(w->session, 1 << 30);)
CASE(clear_negative_id,
     return snare_breakpoint_clear(w->session, -1);)
CASE(clear_twice,
     int id;
     snare_breakpoint_set(w->session, w->fib, NULL, &id);
     snare_breakpoint_clear(w->session, id);
     return snare_breakpoint_clear(w->session, id);)
CASE(clear_null_session,
     return snare_breakpoint_clear(NULL, w->bp);)
CASE(enable_unknown_id,
     return snare_breakpoint_enable(w->session, 0, true);)
CASE(enable_null_session,
     return snare_breakpoint_enable(NULL, w->bp, false);)
CASE(info_unknown_id,
     return snare_breakpoint_info_get(w->session, 424242, &scratch_info);)
CASE(info_null_out,
     return snare_breakpoint_info_get(w->session, w->bp, NULL);)
CASE(list_null_session,
     return snare_breakpoint_list(NULL, NULL, 0) == 0 ? SNARE_OK
                                                     : SNARE_INVALID_ARGUMENT;)
CASE(library_open_null,
     snare_library *lib;
     return snare_library_open(NULL, &lib);)
CASE(library_open_null_out,
     return snare_library_open("/etc/passwd", NULL);)
CASE(library_open_not_elf,
     snare_library *lib;
     return snare_library_open("/etc/passwd", &lib);)
CASE(library_open_missing,
     snare_library *lib;
     return snare_library_open("/no/such/lib.so", &lib);)
CASE(library_symbol_null_library,
     snare_symbol sym;
     return snare_library_symbol(NULL, "fib", &sym);)
CASE(library_symbol_at_null_library,
     snare_symbol sym;
     return snare_library_symbol_at(NULL, w->fib, &sym);)
CASE(code_register_data,
     return snare_code_register(w->scratch, 16, "data");)
CASE(code_register_unmapped,
     return snare_code_register(0x10, 16, "nowhere");)
CASE(code_unregister_unknown,
     return snare_code_unregister(0x10);)

static const bad_case cases[] = {
    ROW(call_null_session, false, INVALID_ARGUMENT),
    ROW(call_null_stop, false, INVALID_ARGUMENT),
    ROW(call_nine_args, false, INVALID_ARGUMENT),
    ROW(call_args_null, false, INVALID_ARGUMENT),
    ROW(call_while_stopped, true, WRONG_STATE),
    ROW(call_main_negative_argc, false, INVALID_ARGUMENT),
    ROW(call_main_null_argv, false, INVALID_ARGUMENT),
    ROW(resume_null_session, true, INVALID_ARGUMENT),
    ROW(resume_bad_mode, true, INVALID_ARGUMENT),
    ROW(resume_while_idle, false, WRONG_STATE),
    ROW(interrupt_null, false, INVALID_ARGUMENT),
    ROW(interrupt_while_idle, false, WRONG_STATE),
    ROW(interrupt_while_stopped, true, WRONG_STATE),
    ROW(register_get_null_session, true, INVALID_ARGUMENT),
    ROW(register_get_null_out, true, INVALID_ARGUMENT),
    ROW(register_get_bad_register, true, INVALID_ARGUMENT),
    ROW(register_get_past_the_end, true, INVALID_ARGUMENT),
    ROW(register_get_while_idle, false, WRONG_STATE),
    ROW(register_set_bad_register, true, INVALID_ARGUMENT),
    ROW(register_set_while_idle, false, WRONG_STATE),
    ROW(vector_index_16, true, INVALID_ARGUMENT),
    ROW(vector_null_out, true, INVALID_ARGUMENT),
    ROW(vector_while_idle, false, WRONG_STATE),
    ROW(register_lookup_unknown, false, NOT_FOUND),
    ROW(register_lookup_null, false, INVALID_ARGUMENT),
    ROW(read_null_destination, false, INVALID_ARGUMENT),
    ROW(read_unmapped, false, BAD_ADDRESS),
    ROW(read_kernel, false, BAD_ADDRESS),
    ROW(read_wrapping, false, INVALID_ARGUMENT),
    ROW(write_null_source, false, INVALID_ARGUMENT),
    ROW(write_unmapped, false, BAD_ADDRESS),
    ROW(write_over_code, false, IS_CODE),
    ROW(write_wrapping, false, INVALID_ARGUMENT),
    ROW(breakpoint_null_session, false, INVALID_ARGUMENT),
    ROW(breakpoint_null_id, false, INVALID_ARGUMENT),
    ROW(breakpoint_unmapped, false, BAD_ADDRESS),
    ROW(breakpoint_on_data, false, NOT_CODE),
    ROW(breakpoint_inside_instruction, false, INSIDE_INSTRUCTION),
    ROW(clear_unknown_id, false, NOT_FOUND),
    ROW(clear_negative_id, false, NOT_FOUND),
    ROW(clear_twice, false, NOT_FOUND),
    ROW(clear_null_session, false, INVALID_ARGUMENT),
    ROW(enable_unknown_id, false, NOT_FOUND),
    ROW(enable_null_session, false, INVALID_ARGUMENT),
    ROW(info_unknown_id, false, NOT_FOUND),
    ROW(info_null_out, false, INVALID_ARGUMENT),
    ROW(list_null_session, false, OK),
    ROW(library_open_null, false, INVALID_ARGUMENT),
    ROW(library_open_null_out, false, INVALID_ARGUMENT),
    ROW(library_open_not_elf, false, LOAD_FAILED),
    ROW(library_open_missing, false, LOAD_FAILED),
    ROW(library_symbol_null_library, false, INVALID_ARGUMENT),
    ROW(library_symbol_at_null_library, false, INVALID_ARGUMENT),
    ROW(code_register_data, false, NOT_CODE),
    ROW(code_register_unmapped, false, NOT_CODE),
    ROW(code_unregister_unknown, false, NOT_FOUND),
};

static uint64_t call1(snare_session *session, uint64_t fn, uint64_t arg) {
  snare_stop stop;
  cr_assert_eq(snare_call(session, fn, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "stop kind %s",
               snare_stop_kind_name(stop.kind));
  return stop.return_value;
}

/* An address inside fib's instructions: the first offset refused so. */
static uint64_t inside_instruction(snare_session *session, uint64_t fn) {
  for (uint64_t off = 1; off < 16; off++) {
    int id;
    snare_status st = snare_breakpoint_set(session, fn + off, NULL, &id);
    if (st == SNARE_OK)
      snare_breakpoint_clear(session, id);
    else if (st == SNARE_INSIDE_INSTRUCTION)
      return fn + off;
  }
  cr_assert_fail("no offset of fib is inside an instruction");
  return 0;
}

TestSuite(badinput, .timeout = 60);

Test(badinput, every_c_function_refuses_bad_input_and_changes_nothing) {
  world w = {0};
  /* Opened through snare so that instruction boundaries are known. */
  snare_library *loops, *stress;
  cr_assert_eq(snare_library_open(fixture_path("O0", "loops"), &loops),
               SNARE_OK);
  cr_assert_eq(snare_library_open(fixture_path("O0", "stress"), &stress),
               SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(loops, "fib", &sym), SNARE_OK);
  w.fib = sym.address;
  cr_assert_eq(snare_library_symbol(loops, "count_to", &sym), SNARE_OK);
  w.count_to = sym.address;
  cr_assert_eq(snare_library_symbol(stress, "scratch", &sym), SNARE_OK);
  w.scratch = sym.address;
  cr_assert_eq(snare_session_new(&w.session), SNARE_OK);
  snare_session_set_timeout(w.session, 10000);
  w.inside = inside_instruction(w.session, w.fib);
  unsigned tried = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const bad_case *c = &cases[i];
    int stopper;
    cr_assert_eq(snare_breakpoint_set(w.session, w.count_to, NULL, &w.bp),
                 SNARE_OK);
    if (c->stopped) {
      uint64_t n = 3;
      snare_breakpoint_options once = {.max_stops = 1};
      cr_assert_eq(snare_breakpoint_set(w.session, w.count_to, &once, &stopper),
                   SNARE_OK);
      snare_call(w.session, w.count_to, 1, &n, &scratch_stop);
      cr_assert_eq(scratch_stop.kind, SNARE_STOP_BREAKPOINT, "%s", c->what);
    }
    snare_status st = c->run(&w);
    tried++;
    cr_expect_eq(st, c->expected, "%s: %s, expected %s", c->what,
                 snare_status_name(st), snare_status_name(c->expected));
    if (snare_session_stopped(w.session))
      snare_resume(w.session, SNARE_RESUME_ABORT, NULL, &scratch_stop);
    /* Clear everything, then the session must still work. */
    int ids[64];
    size_t n = snare_breakpoint_list(w.session, ids, 64);
    for (size_t k = 0; k < n && k < 64; k++)
      snare_breakpoint_clear(w.session, ids[k]);
    cr_assert_eq(call1(w.session, w.fib, 10), 55, "after %s", c->what);
  }
  /* Names of out-of-range codes are never NULL pointers to garbage. */
  cr_assert_not_null(snare_status_name((snare_status)-1));
  cr_assert_not_null(snare_status_message(SNARE_STATUS_COUNT));
  cr_assert_not_null(snare_stop_kind_name((snare_stop_kind)99));
  cr_assert_not_null(snare_stop_reason_text((snare_stop_reason)99));
  cr_assert_null(snare_register_name((snare_register)99));
  tried += 5;
  /* Freeing NULL and closing NULL are no-ops. */
  snare_session_free(NULL);
  snare_library_close(NULL);
  tried += 2;
  snare_session_free(w.session);
  snare_library_close(stress);
  snare_library_close(loops);
  printf("FIGURE badinput_c_inputs %u\n", tried);
}

/* What a callback tries from inside: call, resume, interrupt, step. */
typedef struct reentry {
  snare_session *session;
  uint64_t fib;
  int runs;
  snare_status call, resume, interrupt, step;
} reentry;

static void try_reentry(reentry *r) {
  if (r->runs++ > 0)
    return;
  uint64_t n = 1;
  snare_stop stop;
  r->call = snare_call(r->session, r->fib, 1, &n, &stop);
  r->resume = snare_resume(r->session, SNARE_RESUME_CONTINUE, NULL, &stop);
  r->interrupt = snare_interrupt(r->session);
  r->step = snare_step(r->session, SNARE_STEP_OVER, NULL, &stop);
}

static bool reentering_condition(snare_frame *frame, void *data) {
  (void)frame;
  try_reentry(data);
  return false;
}

static void reentering_hook(const snare_hook_call *call, void *data) {
  (void)call;
  try_reentry(data);
}

static int reentering_policy(snare_session *session, void *data) {
  (void)session;
  try_reentry(data);
  return 1;
}

/* Returns how many of the four were refused. */
static unsigned expect_refused(const reentry *r, const char *kind) {
  cr_expect_eq(r->runs > 0, true, "%s did not run", kind);
  cr_expect_eq(r->call, SNARE_IN_CALLBACK, "%s: call %s", kind,
               snare_status_name(r->call));
  cr_expect_eq(r->resume, SNARE_IN_CALLBACK, "%s: resume %s", kind,
               snare_status_name(r->resume));
  cr_expect_eq(r->interrupt, SNARE_IN_CALLBACK, "%s: interrupt %s", kind,
               snare_status_name(r->interrupt));
  cr_expect_eq(r->step, SNARE_IN_CALLBACK, "%s: step %s", kind,
               snare_status_name(r->step));
  return (unsigned)(r->call == SNARE_IN_CALLBACK) +
         (r->resume == SNARE_IN_CALLBACK) +
         (r->interrupt == SNARE_IN_CALLBACK) + (r->step == SNARE_IN_CALLBACK);
}

Test(badinput, callbacks_cannot_run_resume_or_interrupt_their_session) {
  snare_library *loops;
  cr_assert_eq(snare_library_open(fixture_path("O0", "loops"), &loops),
               SNARE_OK);
  snare_symbol fib, count_to;
  cr_assert_eq(snare_library_symbol(loops, "fib", &fib), SNARE_OK);
  cr_assert_eq(snare_library_symbol(loops, "count_to", &count_to), SNARE_OK);
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_session_set_timeout(session, 10000);

  reentry cond = {session, fib.address, 0, SNARE_OK, SNARE_OK, SNARE_OK, SNARE_OK};
  snare_breakpoint_options opts = {.condition = reentering_condition,
                                   .condition_data = &cond};
  int bp;
  cr_assert_eq(snare_breakpoint_set(session, count_to.address, &opts, &bp),
               SNARE_OK);
  cr_assert_eq(call1(session, count_to.address, 3), 6);
  snare_breakpoint_clear(session, bp);
  unsigned refused = expect_refused(&cond, "condition");

  reentry hook = {session, fib.address, 0, SNARE_OK, SNARE_OK, SNARE_OK, SNARE_OK};
  snare_hook_options hopts = {.callback = reentering_hook, .data = &hook};
  int hook_id;
  cr_assert_eq(snare_hook_function(count_to.address, &hopts, &hook_id),
               SNARE_OK);
  cr_assert_eq(call1(session, count_to.address, 3), 6);
  snare_hook_remove(hook_id);
  refused += expect_refused(&hook, "hook callback");

  reentry policy = {session, fib.address, 0, SNARE_OK, SNARE_OK, SNARE_OK, SNARE_OK};
  snare_step_policy step = {NULL, reentering_policy, &policy};
  snare_breakpoint_options once = {.max_stops = 1};
  cr_assert_eq(snare_breakpoint_set(session, count_to.address, &once, &bp),
               SNARE_OK);
  uint64_t n = 3;
  snare_stop stop;
  cr_assert_eq(snare_call(session, count_to.address, 1, &n, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(snare_step(session, SNARE_STEP_OVER, &step, &stop), SNARE_OK);
  refused += expect_refused(&policy, "step policy");
  cr_assert_eq(snare_resume(session, SNARE_RESUME_ABORT, NULL, &stop),
               SNARE_OK);

  /* The refusal says what to do; the session still works. */
  cr_expect_not_null(strstr(snare_status_message(SNARE_IN_CALLBACK),
                            "inside a callback"));
  cr_assert_eq(call1(session, fib.address, 10), 55);
  snare_session_free(session);
  snare_library_close(loops);
  printf("FIGURE badinput_c_callback_reentries %u of 12 refused\n", refused);
}

/*
 * Regressions (found by fuzz/debuginfo_fuzz.c): a .debug_rnglists unit
 * header that Debian's libdwarf refuses (a length past its section, a
 * version other than 5) made it free twice and abort the process, also
 * where the section name table is not marked SHT_STRTAB (libelf gives no
 * names then; libdwarf reads them all the same). The inputs stay in
 * spec/fuzz_corpus/.
 */
Test(badinput, corrupted_range_lists_are_refused_not_fatal) {
  static const char *const inputs[] = {
      "spec/fuzz_corpus/debuginfo-rnglists-unit-past-end.so",
      "spec/fuzz_corpus/debuginfo-rnglists-unit-wrong-version.so",
      "spec/fuzz_corpus/debuginfo-rnglists-names-table-not-strtab.so"};
  for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
    snare_debuginfo *di = NULL;
    cr_assert_eq(snare_debuginfo_open(inputs[i], 0, &di), SNARE_LOAD_FAILED,
                 "%s", inputs[i]);
    cr_assert_null(di);
  }
}
