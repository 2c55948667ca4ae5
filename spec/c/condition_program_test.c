/*
 * condition_program_test.c - native condition programs
 * (snare_condition_program_run): every operator on constants, loads
 * that sign- or zero-extend by width, the conversions a lowering writes
 * for C's promotions (unsigned char against int, unsigned against
 * signed), short-circuits that leave the dead side's memory unread, a
 * fault on an unreadable pointer, division by zero, malformed programs;
 * and a breakpoint whose native program rejects its false hits without
 * its condition (snare_frame_condition_program_set): alone, after its
 * skip count, next to another conditional breakpoint at its jump site,
 * and given anew after its condition changed.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mman.h>

#include "fixtures.h"
#include "snare.h"

/* A program written as steps; run by run() in a session (the
   fault-safe reads need its handlers). */
typedef struct built {
  snare_condition_program p;
} built;

static void put(built *b, snare_condition_op op, unsigned size, bool is_signed,
                int64_t operand) {
  cr_assert_lt(b->p.step_count, SNARE_CONDITION_STEPS);
  b->p.steps[b->p.step_count++] = (snare_condition_step){
      .op = (uint8_t)op, .size = (uint8_t)size, .is_signed = is_signed,
      .operand = operand};
}

static void constant(built *b, int64_t n) {
  put(b, SNARE_CONDITION_CONSTANT, 0, false, n);
}

static void address(built *b, const void *p) {
  constant(b, (int64_t)(uintptr_t)p);
}

static snare_session *session;

static void open_session(void) {
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
}

static void close_session(void) {
  snare_session_free(session);
}

TestSuite(condition_program, .init = open_session, .fini = close_session);

static snare_status run(const built *b, uint64_t *out) {
  uint64_t fault = 0;
  return snare_condition_program_run(&b->p, NULL, out, &fault);
}

static uint64_t value_of(const built *b) {
  uint64_t out = 0xdead;
  cr_assert_eq(run(b, &out), SNARE_OK, "program of %zu steps",
               b->p.step_count);
  return out;
}

/* a OP b with the op's size and sign. */
static uint64_t binary(snare_condition_op op, unsigned size, bool is_signed,
                       int64_t a, int64_t b) {
  built p = {0};
  constant(&p, a);
  constant(&p, b);
  put(&p, op, size, is_signed, 0);
  return value_of(&p);
}

static uint64_t unary(snare_condition_op op, unsigned size, bool is_signed,
                      int64_t a) {
  built p = {0};
  constant(&p, a);
  put(&p, op, size, is_signed, 0);
  return value_of(&p);
}

Test(condition_program, arithmetic_and_bitwise_operators) {
  cr_expect_eq(binary(SNARE_CONDITION_ADD, 8, true, 40, 2), 42);
  cr_expect_eq(binary(SNARE_CONDITION_ADD, 8, false, -1, 1), 0); /* wraps */
  cr_expect_eq(binary(SNARE_CONDITION_SUBTRACT, 8, true, 2, 5), (uint64_t)-3);
  cr_expect_eq(binary(SNARE_CONDITION_MULTIPLY, 8, true, -6, 7),
               (uint64_t)-42);
  cr_expect_eq(binary(SNARE_CONDITION_DIVIDE, 8, true, -7, 2), (uint64_t)-3);
  cr_expect_eq(binary(SNARE_CONDITION_REMAINDER, 8, true, -7, 2),
               (uint64_t)-1);
  /* unsigned: -7 is 2^64 - 7 */
  cr_expect_eq(binary(SNARE_CONDITION_DIVIDE, 8, false, -7, 2),
               (UINT64_MAX - 6) / 2);
  cr_expect_eq(binary(SNARE_CONDITION_REMAINDER, 8, false, -7, 2), 1);
  cr_expect_eq(binary(SNARE_CONDITION_DIVIDE, 8, true, INT64_MIN, -1),
               (uint64_t)INT64_MIN);
  cr_expect_eq(binary(SNARE_CONDITION_REMAINDER, 8, true, INT64_MIN, -1), 0);
  cr_expect_eq(binary(SNARE_CONDITION_AND, 8, false, 0xf0f0, 0xff00), 0xf000);
  cr_expect_eq(binary(SNARE_CONDITION_OR, 8, false, 0xf0, 0x0f), 0xff);
  cr_expect_eq(binary(SNARE_CONDITION_XOR, 8, false, 0xff, 0x0f), 0xf0);
  cr_expect_eq(unary(SNARE_CONDITION_NEGATE, 8, true, 5), (uint64_t)-5);
  cr_expect_eq(unary(SNARE_CONDITION_COMPLEMENT, 8, true, 0), UINT64_MAX);
  cr_expect_eq(unary(SNARE_CONDITION_NOT, 0, false, 0), 1);
  cr_expect_eq(unary(SNARE_CONDITION_NOT, 0, false, -9), 0);
  cr_expect_eq(unary(SNARE_CONDITION_TRUTH, 0, false, -9), 1);
  cr_expect_eq(unary(SNARE_CONDITION_TRUTH, 0, false, 0), 0);
}

Test(condition_program, shifts_in_their_width) {
  /* int: 1 << 31 is INT_MIN; a count past the width or negative gives 0 */
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_LEFT, 4, true, 1, 31),
               (uint64_t)(int64_t)INT32_MIN);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_LEFT, 4, true, 1, 32), 0);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_LEFT, 4, true, 1, -1), 0);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_LEFT, 4, false, 3, 31),
               0x80000000u);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_RIGHT, 4, true, -8, 1),
               (uint64_t)-4); /* arithmetic */
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_RIGHT, 4, false, 0xfffffff8, 1),
               0x7ffffffcu);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_RIGHT, 8, false, -8, 60), 0xf);
  cr_expect_eq(binary(SNARE_CONDITION_SHIFT_LEFT, 8, false, 1, 63),
               UINT64_C(1) << 63);
}

Test(condition_program, comparisons_signed_and_unsigned) {
  struct {
    snare_condition_op op;
    int64_t a, b;
    uint64_t as_signed, as_unsigned;
  } cases[] = {
      {SNARE_CONDITION_LESS, -1, 1, 1, 0},
      {SNARE_CONDITION_LESS, 1, 1, 0, 0},
      {SNARE_CONDITION_LESS_EQUAL, -1, 1, 1, 0},
      {SNARE_CONDITION_LESS_EQUAL, 1, 1, 1, 1},
      {SNARE_CONDITION_GREATER, -1, 1, 0, 1},
      {SNARE_CONDITION_GREATER, 1, 1, 0, 0},
      {SNARE_CONDITION_GREATER_EQUAL, -1, 1, 0, 1},
      {SNARE_CONDITION_GREATER_EQUAL, 1, 1, 1, 1},
      {SNARE_CONDITION_EQUAL, -1, -1, 1, 1},
      {SNARE_CONDITION_EQUAL, -1, 1, 0, 0},
      {SNARE_CONDITION_NOT_EQUAL, -1, 1, 1, 1},
      {SNARE_CONDITION_NOT_EQUAL, 7, 7, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *name = snare_condition_op_name(cases[i].op);
    cr_expect_eq(binary(cases[i].op, 0, true, cases[i].a, cases[i].b),
                 cases[i].as_signed, "%s signed", name);
    cr_expect_eq(binary(cases[i].op, 0, false, cases[i].a, cases[i].b),
                 cases[i].as_unsigned, "%s unsigned", name);
  }
}

Test(condition_program, loads_extend_by_width_and_sign) {
  const uint8_t byte = 200;
  const uint16_t half = 0xfffe;
  const uint32_t word = 0x80000000u;
  const uint64_t quad = UINT64_MAX;
  struct {
    const void *at;
    unsigned size;
    bool is_signed;
    uint64_t want;
  } cases[] = {
      {&byte, 1, false, 200},         {&byte, 1, true, (uint64_t)-56},
      {&half, 2, false, 0xfffe},      {&half, 2, true, (uint64_t)-2},
      {&word, 4, false, 0x80000000u}, {&word, 4, true, (uint64_t)INT32_MIN},
      {&quad, 8, false, UINT64_MAX},  {&quad, 8, true, UINT64_MAX},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    built p = {0};
    address(&p, cases[i].at);
    put(&p, SNARE_CONDITION_LOAD, cases[i].size, cases[i].is_signed, 0);
    cr_expect_eq(value_of(&p), cases[i].want, "size %u signed %d",
                 cases[i].size, cases[i].is_signed);
  }
  /* WRAP converts as a cast: (signed char)300 is 44, (unsigned short)-1 */
  cr_expect_eq(unary(SNARE_CONDITION_WRAP, 1, true, 300), 44);
  cr_expect_eq(unary(SNARE_CONDITION_WRAP, 1, true, 200), (uint64_t)-56);
  cr_expect_eq(unary(SNARE_CONDITION_WRAP, 2, false, -1), 0xffff);
  cr_expect_eq(unary(SNARE_CONDITION_WRAP, 8, false, -1), UINT64_MAX);
}

/* `uc > -1` as lowered: unsigned char promotes to int, true for 200;
   `u > -1` (unsigned int): -1 converts to UINT_MAX, false. */
Test(condition_program, promotions_a_lowering_writes) {
  const unsigned char uc = 200;
  const unsigned u = 5;
  built p = {0};
  address(&p, &uc);
  put(&p, SNARE_CONDITION_LOAD, 1, false, 0);
  put(&p, SNARE_CONDITION_WRAP, 4, true, 0);
  constant(&p, -1);
  put(&p, SNARE_CONDITION_GREATER, 0, true, 0);
  cr_expect_eq(value_of(&p), 1);
  built q = {0};
  address(&q, &u);
  put(&q, SNARE_CONDITION_LOAD, 4, false, 0);
  constant(&q, -1);
  put(&q, SNARE_CONDITION_WRAP, 4, false, 0);
  put(&q, SNARE_CONDITION_GREATER, 0, false, 0);
  cr_expect_eq(value_of(&q), 0);
  /* (unsigned char)(uc + 100) == 44: the wrap of the int sum */
  built r = {0};
  address(&r, &uc);
  put(&r, SNARE_CONDITION_LOAD, 1, false, 0);
  constant(&r, 100);
  put(&r, SNARE_CONDITION_ADD, 0, true, 0);
  put(&r, SNARE_CONDITION_WRAP, 1, false, 0);
  constant(&r, 44);
  put(&r, SNARE_CONDITION_EQUAL, 0, false, 0);
  cr_expect_eq(value_of(&r), 1);
}

static uint8_t *unreadable_page(void) {
  void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(page, MAP_FAILED);
  return page;
}

/* left OPERATOR *bad: the right side a load of an unreadable page. */
static snare_status logical_over_bad(snare_condition_op op, int64_t left,
                                     const uint8_t *bad, uint64_t *out,
                                     uint64_t *fault) {
  built p = {0};
  constant(&p, left);
  put(&p, op, 0, false, 3);
  address(&p, bad);
  put(&p, SNARE_CONDITION_LOAD, 4, true, 0);
  put(&p, SNARE_CONDITION_TRUTH, 0, false, 0);
  return snare_condition_program_run(&p.p, NULL, out, fault);
}

Test(condition_program, short_circuits_leave_the_dead_side_unread) {
  uint8_t *bad = unreadable_page();
  uint64_t out = 9, fault = 0;
  cr_expect_eq(logical_over_bad(SNARE_CONDITION_AND_THEN, 0, bad, &out, &fault),
               SNARE_OK);
  cr_expect_eq(out, 0);
  cr_expect_eq(logical_over_bad(SNARE_CONDITION_OR_ELSE, 5, bad, &out, &fault),
               SNARE_OK);
  cr_expect_eq(out, 1);
  /* the live side is read: the fault, at its address */
  cr_expect_eq(logical_over_bad(SNARE_CONDITION_AND_THEN, 1, bad, &out, &fault),
               SNARE_BAD_ADDRESS);
  cr_expect_eq(fault, (uint64_t)(uintptr_t)bad);
  cr_expect_eq(logical_over_bad(SNARE_CONDITION_OR_ELSE, 0, bad, &out, &fault),
               SNARE_BAD_ADDRESS);
  /* ?: reads only the branch taken */
  const int seven = 7;
  built p = {0};
  constant(&p, 0);
  put(&p, SNARE_CONDITION_JUMP_IF_ZERO, 0, false, 3);
  address(&p, bad);
  put(&p, SNARE_CONDITION_LOAD, 4, true, 0);
  put(&p, SNARE_CONDITION_JUMP, 0, false, 2);
  address(&p, &seven);
  put(&p, SNARE_CONDITION_LOAD, 4, true, 0);
  cr_expect_eq(value_of(&p), 7);
  p.p.steps[0].operand = 1;
  cr_expect_eq(run(&p, &out), SNARE_BAD_ADDRESS);
  munmap(bad, 4096);
}

Test(condition_program, faults_and_division_by_zero_are_errors) {
  uint64_t out = 0, fault = 0;
  built p = {0};
  constant(&p, 0); /* *(int *)0 */
  put(&p, SNARE_CONDITION_LOAD, 4, true, 0);
  cr_expect_eq(snare_condition_program_run(&p.p, NULL, &out, &fault),
               SNARE_BAD_ADDRESS);
  cr_expect_eq(fault, 0);
  built q = {0};
  constant(&q, 1);
  constant(&q, 0);
  put(&q, SNARE_CONDITION_DIVIDE, 4, true, 0);
  cr_expect_eq(run(&q, &out), SNARE_INVALID_ARGUMENT);
  q.p.steps[2].op = SNARE_CONDITION_REMAINDER;
  cr_expect_eq(run(&q, &out), SNARE_INVALID_ARGUMENT);
}

Test(condition_program, malformed_programs_are_refused) {
  uint64_t out;
  built underflow = {0};
  constant(&underflow, 1);
  put(&underflow, SNARE_CONDITION_ADD, 0, false, 0);
  cr_expect_eq(run(&underflow, &out), SNARE_INVALID_ARGUMENT);
  built two_left = {0};
  constant(&two_left, 1);
  constant(&two_left, 2);
  cr_expect_eq(run(&two_left, &out), SNARE_INVALID_ARGUMENT);
  built far_jump = {0};
  put(&far_jump, SNARE_CONDITION_JUMP, 0, false, 5);
  constant(&far_jump, 1);
  cr_expect_eq(run(&far_jump, &out), SNARE_INVALID_ARGUMENT);
  built deep = {0};
  for (int i = 0; i <= SNARE_CONDITION_STACK; i++)
    constant(&deep, i);
  cr_expect_eq(run(&deep, &out), SNARE_INVALID_ARGUMENT);
  built unknown = {0};
  put(&unknown, SNARE_CONDITION_OP_COUNT, 0, false, 0);
  cr_expect_eq(run(&unknown, &out), SNARE_INVALID_ARGUMENT);
  /* 1 ? (7) : (8 9): the two ways into the end leave 1 and 2 values */
  built uneven = {0};
  constant(&uneven, 1);
  put(&uneven, SNARE_CONDITION_JUMP_IF_ZERO, 0, false, 2);
  constant(&uneven, 7);
  put(&uneven, SNARE_CONDITION_JUMP, 0, false, 2);
  constant(&uneven, 8);
  constant(&uneven, 9);
  cr_expect_eq(run(&uneven, &out), SNARE_INVALID_ARGUMENT,
               "refused before it runs, whichever way it would take");
  uneven.p.step_count--; /* (8) alone: both ways leave one value */
  uneven.p.steps[3].operand = 1;
  cr_expect_eq(value_of(&uneven), 7);
  /* steps no way reaches are never run, so not judged */
  built dead = {0};
  constant(&dead, 5);
  put(&dead, SNARE_CONDITION_JUMP, 0, false, 1);
  put(&dead, SNARE_CONDITION_ADD, 0, false, 0);
  cr_expect_eq(value_of(&dead), 5);
  built no_name = {0};
  put(&no_name, SNARE_CONDITION_VARIABLE, 0, false, 0);
  cr_expect_eq(run(&no_name, &out), SNARE_INVALID_ARGUMENT);
  no_name.p.name_count = 1;
  strcpy(no_name.p.names[0], "i");
  cr_expect_eq(run(&no_name, &out), SNARE_UNSUPPORTED); /* no frame */
  cr_expect_eq(snare_condition_program_run(NULL, NULL, &out, NULL),
               SNARE_INVALID_ARGUMENT);
  cr_expect_str_eq(snare_condition_op_name(SNARE_CONDITION_SHIFT_LEFT),
                   "SHIFT_LEFT");
  cr_expect_null(snare_condition_op_name(SNARE_CONDITION_OP_COUNT));
}

/* A condition that, at its first call, gives its breakpoint the program
   `i % 3 == 0` and records every i it is called for (it never stops). */
typedef struct prefiltered {
  int calls;
  int64_t seen[64];
  snare_status installed;
} prefiltered;

static bool records_i(snare_frame *frame, void *data) {
  prefiltered *pf = data;
  snare_value v;
  snare_status st = snare_frame_variable_scalar(frame, "i", &v);
  cr_assert_eq(st, SNARE_OK, "call %d: %s", pf->calls, snare_status_name(st));
  if (pf->calls < 64)
    pf->seen[pf->calls] = v.i;
  if (pf->calls++ == 0) {
    built p = {0};
    p.p.name_count = 1;
    strcpy(p.p.names[0], "i");
    put(&p, SNARE_CONDITION_VARIABLE, 0, false, 0);
    constant(&p, 3);
    put(&p, SNARE_CONDITION_REMAINDER, 4, true, 0);
    constant(&p, 0);
    put(&p, SNARE_CONDITION_EQUAL, 0, true, 0);
    pf->installed = snare_frame_condition_program_set(frame, &p.p);
    /* once only */
    cr_expect_eq(snare_frame_condition_program_set(frame, &p.p), SNARE_EXISTS);
  }
  return false;
}

/* The fixture opened through snare, which reads its DWARF. */
static uint64_t loops_symbol(snare_library **lib, const char *name) {
  if (*lib == NULL)
    cr_assert_eq(snare_library_open(fixture_path("O2", "loops"), lib),
                 SNARE_OK);
  snare_symbol symbol;
  cr_assert_eq(snare_library_symbol(*lib, name, &symbol), SNARE_OK);
  return symbol.address;
}

static void call_visit_loop(snare_library **lib, int n) {
  uint64_t loop = loops_symbol(lib, "visit_loop");
  uint64_t arg = (uint64_t)n;
  snare_stop stop;
  cr_assert_eq(snare_call(session, loop, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
}

Test(condition_program, rejects_a_breakpoints_false_hits_without_its_condition) {
  snare_library *lib = NULL;
  uint64_t visit = loops_symbol(&lib, "visit");
  prefiltered pf = {0};
  snare_breakpoint_options opts = {.condition = records_i,
                                   .condition_data = &pf};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, visit, &opts, &id), SNARE_OK);
  call_visit_loop(&lib, 30);
  cr_assert_eq(pf.installed, SNARE_OK);
  /* the first hit (i = 0) installed it; then only multiples of 3 */
  cr_expect_eq(pf.calls, 10);
  for (int k = 0; k < pf.calls && k < 64; k++)
    cr_expect_eq(pf.seen[k], 3 * k, "call %d saw i = %lld", k,
                 (long long)pf.seen[k]);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_expect(info.native_condition);
  cr_expect_eq(info.hits, 30);
  cr_expect_eq(info.native_rejected, 20);
  cr_expect_eq(info.rejected, 30);
  /* dropped: the condition decides every hit again (one that gives no
     new program: calls is not 0) */
  cr_assert_eq(snare_breakpoint_condition_program_drop(session, id), SNARE_OK);
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_expect_not(info.native_condition);
  pf.calls = 1;
  call_visit_loop(&lib, 6);
  cr_expect_eq(pf.calls, 7);
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_expect_eq(info.native_rejected, 20);
  /* a new condition gives a new program at its first hit (i = 0), which
     rejects the hits it finds false from the next on; the count goes on */
  pf.calls = 0;
  pf.installed = SNARE_SYSTEM;
  call_visit_loop(&lib, 6);
  cr_expect_eq(pf.installed, SNARE_OK);
  cr_expect_eq(pf.calls, 2); /* i = 0, 3 */
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_expect(info.native_condition);
  cr_expect_eq(info.native_rejected, 24);
  cr_expect_eq(info.hits, 42);
  /* and again: each replaced program is retired, the last freed with
     the breakpoint (ASan's leak check) */
  cr_assert_eq(snare_breakpoint_condition_program_drop(session, id), SNARE_OK);
  pf.calls = 0;
  call_visit_loop(&lib, 6);
  cr_expect_eq(pf.calls, 2);
  cr_assert_eq(snare_breakpoint_condition_program_drop(session, id), SNARE_OK);
  snare_breakpoint_clear(session, id);
  snare_library_close(lib);
}

/* A condition that only counts its calls. */
static bool counts_calls(snare_frame *frame, void *data) {
  (void)frame;
  ++*(int *)data;
  return false;
}

/* Two breakpoints at one jump site, one with a native program, in both
   orders: each hit goes over the site once, every breakpoint counted
   once, the native one's false hits rejected without its condition
   whether it comes first or after one that always reaches its own. */
Test(condition_program, shares_a_jump_site_with_another_condition) {
  snare_library *lib = NULL;
  uint64_t visit = loops_symbol(&lib, "visit");
  for (int native_first = 1; native_first >= 0; native_first--) {
    prefiltered pf = {0};
    int plain_calls = 0, ids[2];
    snare_breakpoint_options native = {.condition = records_i,
                                       .condition_data = &pf};
    snare_breakpoint_options plain = {.condition = counts_calls,
                                      .condition_data = &plain_calls};
    const snare_breakpoint_options *order[2] = {
        native_first ? &native : &plain, native_first ? &plain : &native};
    for (int k = 0; k < 2; k++)
      cr_assert_eq(snare_breakpoint_set(session, visit, order[k], &ids[k]),
                   SNARE_OK);
    call_visit_loop(&lib, 30);
    cr_expect_eq(pf.installed, SNARE_OK);
    cr_expect_eq(pf.calls, 10, "native first: %d", native_first);
    cr_expect_eq(plain_calls, 30, "native first: %d", native_first);
    snare_breakpoint_info info[2];
    for (int k = 0; k < 2; k++) {
      cr_assert_eq(snare_breakpoint_info_get(session, ids[k], &info[k]),
                   SNARE_OK);
      cr_expect_eq(info[k].mechanism, SNARE_BREAKPOINT_JUMP);
      cr_expect_eq(info[k].hits, 30);
      cr_expect_eq(info[k].rejected, 30);
    }
    const snare_breakpoint_info *n = &info[native_first ? 0 : 1];
    const snare_breakpoint_info *c = &info[native_first ? 1 : 0];
    cr_expect(n->native_condition);
    cr_expect_eq(n->native_rejected, 20, "native first: %d", native_first);
    cr_expect_eq(c->native_rejected, 0);
    for (int k = 0; k < 2; k++)
      snare_breakpoint_clear(session, ids[k]);
  }
  snare_library_close(lib);
}

/* A skip count runs before the native program, on the jump path as at a
   trap: the skipped hits reach neither the program nor the condition. */
Test(condition_program, skips_before_its_native_program) {
  snare_library *lib = NULL;
  uint64_t visit = loops_symbol(&lib, "visit");
  prefiltered pf = {0};
  snare_breakpoint_options opts = {.condition = records_i,
                                   .condition_data = &pf, .skip = 5};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, visit, &opts, &id), SNARE_OK);
  call_visit_loop(&lib, 30);
  /* i = 5 installs it, then 6, 9, ..., 27 */
  cr_expect_eq(pf.calls, 9);
  cr_expect_eq(pf.seen[0], 5);
  snare_breakpoint_info info;
  cr_assert_eq(snare_breakpoint_info_get(session, id, &info), SNARE_OK);
  cr_expect_eq(info.mechanism, SNARE_BREAKPOINT_JUMP);
  cr_expect_eq(info.hits, 30);
  cr_expect_eq(info.rejected, 30);
  cr_expect_eq(info.native_rejected, 16);
  snare_breakpoint_clear(session, id);
  snare_library_close(lib);
}

/* A program goes to the breakpoint of a condition's frame, not to no frame. */
static bool installs(snare_frame *frame, void *data) {
  built p = {0};
  constant(&p, 0);
  *(snare_status *)data = snare_frame_condition_program_set(frame, &p.p);
  return false;
}

Test(condition_program, is_given_through_a_conditions_frame) {
  built p = {0};
  constant(&p, 0);
  cr_expect_eq(snare_frame_condition_program_set(NULL, &p.p),
               SNARE_INVALID_ARGUMENT);
  snare_status got = SNARE_SYSTEM;
  snare_library *lib = NULL;
  uint64_t visit = loops_symbol(&lib, "visit");
  snare_breakpoint_options opts = {.condition = installs,
                                   .condition_data = &got};
  int id;
  cr_assert_eq(snare_breakpoint_set(session, visit, &opts, &id), SNARE_OK);
  call_visit_loop(&lib, 1);
  cr_expect_eq(got, SNARE_OK);
  snare_breakpoint_clear(session, id);
  snare_library_close(lib);
}
