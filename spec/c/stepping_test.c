/*
 * stepping_test.c - line steps through the C API over
 * spec/fixtures/stepping.c (its line numbers): next and step sequences,
 * a recursion-safe next, finish with its return value, run-to, C step
 * policies, internal breakpoints kept out of the user's list, refusals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

typedef struct stopped {
  snare_library *lib;
  snare_session *session;
  int breakpoint;
  snare_stop stop;
} stopped;

/* Calls stepping_main(4) at level to `break function`. */
static stopped stop_in(const char *level, const char *function)
{
  stopped s;
  cr_assert_eq(snare_library_open(fixture_path(level, "stepping"), &s.lib),
               SNARE_OK);
  cr_assert_eq(snare_session_new(&s.session), SNARE_OK);
  snare_session_set_timeout(s.session, 5000);
  uint64_t addr;
  size_t n = 0;
  cr_assert_eq(snare_library_function_addresses(s.lib, function, &addr, 1, &n),
               SNARE_OK);
  cr_assert_eq(snare_breakpoint_set(s.session, addr, NULL, &s.breakpoint),
               SNARE_OK);
  snare_symbol entry;
  cr_assert_eq(snare_library_symbol(s.lib, "stepping_main", &entry), SNARE_OK);
  uint64_t arg = 4;
  cr_assert_eq(snare_call(s.session, entry.address, 1, &arg, &s.stop),
               SNARE_OK);
  cr_assert_eq(s.stop.kind, SNARE_STOP_BREAKPOINT);
  return s;
}

static void done(stopped *s)
{
  snare_session_free(s->session);
  snare_library_close(s->lib);
}

static unsigned line_of(uint64_t pc)
{
  snare_line_info li;
  return snare_line_at(pc, &li) == SNARE_OK ? li.line : 0;
}

/* Lines after each of count steps in mode, 0 for an exit. */
static void walk(stopped *s, snare_step_mode mode, const snare_step_policy *p,
                 unsigned *lines, size_t count)
{
  for (size_t i = 0; i < count; i++) {
    cr_assert_eq(snare_step(s->session, mode, p, &s->stop), SNARE_OK);
    lines[i] = s->stop.kind == SNARE_STOP_EXIT ? 0 : line_of(s->stop.pc);
  }
}

Test(stepping, next_over_calls_to_the_exit)
{
  static const unsigned want[2][7] = {{66, 67, 68, 69, 70, 71, 0},
                                      {66, 67, 68, 69, 70, 0, 0}};
  const char *levels[] = {"O0", "O2"};
  for (int l = 0; l < 2; l++) {
    stopped s = stop_in(levels[l], "stepping_main");
    unsigned got[7] = {0};
    walk(&s, SNARE_STEP_OVER, NULL, got, l == 0 ? 7 : 6);
    cr_assert_arr_eq(got, want[l], sizeof got, "at -%s", levels[l]);
    cr_assert_eq(s.stop.kind, SNARE_STOP_EXIT);
    cr_assert_eq(s.stop.return_value, 74);
    done(&s);
  }
}

Test(stepping, step_into_and_back_out)
{
  stopped s = stop_in("O0", "middle");
  unsigned got[12];
  static const unsigned want[12] = {17, 18, 19, 20, 25, 17,
                                    18, 19, 20, 26, 27, 66};
  walk(&s, SNARE_STEP_INTO, NULL, got, 12);
  cr_assert_arr_eq(got, want, sizeof got);
  cr_assert_eq(s.stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(s.stop.reason, SNARE_REASON_STEP_DONE);
  done(&s);
}

Test(stepping, next_over_recursion_stays_in_the_frame)
{
  stopped s = stop_in("O2", "fact");
  cr_assert_eq(snare_breakpoint_clear(s.session, s.breakpoint), SNARE_OK);
  unsigned got[3];
  walk(&s, SNARE_STEP_OVER, NULL, got, 3);
  cr_assert_arr_eq(got, ((unsigned[]){33, 34, 35}), sizeof got);
  snare_value *n = NULL;
  cr_assert_eq(snare_variable_read(s.session, 0, "n", NULL, &n), SNARE_OK);
  cr_assert_eq(n->i, 4);
  snare_value_free(n);
  done(&s);
}

Test(stepping, breakpoint_in_a_stepped_over_call_ends_the_step)
{
  stopped s = stop_in("O0", "fact");
  unsigned got[2];
  walk(&s, SNARE_STEP_OVER, NULL, got, 2);
  cr_assert_eq(got[0], 33);
  cr_assert_eq(s.stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(s.stop.breakpoint, s.breakpoint);
  done(&s);
}

/* The return address of the first call at or after pc. */
static uint64_t return_of_next_call(uint64_t pc)
{
  for (int k = 0; k < 32; k++) {
    char text[128];
    size_t length;
    cr_assert_eq(snare_disassemble(pc, SNARE_DISASSEMBLY_ATT, text, sizeof text, &length), SNARE_OK);
    pc += length;
    if (strncmp(text, "call", 4) == 0)
      return pc;
  }
  cr_assert_fail("no call");
  return 0;
}

static bool never(snare_frame *frame, void *data)
{
  (void)frame;
  ++*(int *)data;
  return false;
}

/* next runs a call over to its return address and steps on from there,
   in the worker's handler where the return lies in the stepped line: a
   breakpoint of the user's at that address still stops there, and one
   whose condition is false is hit and passed. */
Test(stepping, next_over_a_call_meets_a_breakpoint_at_its_return)
{
  stopped s = stop_in("O0", "stepping_main");
  uint64_t ret = return_of_next_call(s.stop.pc);
  cr_assert_eq(line_of(ret), 65);
  int id;
  cr_assert_eq(snare_breakpoint_set(s.session, ret, NULL, &id), SNARE_OK);
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, NULL, &s.stop),
               SNARE_OK);
  cr_assert_eq(s.stop.kind, SNARE_STOP_BREAKPOINT);
  cr_assert_eq(s.stop.breakpoint, id);
  cr_assert_eq(s.stop.pc, ret);
  cr_assert_eq(snare_breakpoint_clear(s.session, id), SNARE_OK);
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, NULL, &s.stop),
               SNARE_OK);
  cr_assert_eq(line_of(s.stop.pc), 66);
  ret = return_of_next_call(s.stop.pc);
  int evaluated = 0;
  snare_breakpoint_options opts = {.condition = never,
                                   .condition_data = &evaluated};
  cr_assert_eq(snare_breakpoint_set(s.session, ret, &opts, &id), SNARE_OK);
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, NULL, &s.stop),
               SNARE_OK);
  cr_assert_eq(s.stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(s.stop.reason, SNARE_REASON_STEP_DONE);
  cr_assert_eq(line_of(s.stop.pc), 67);
  cr_assert_eq(evaluated, 1);
  done(&s);
}

Test(stepping, finish_reports_the_return_value)
{
  const char *levels[] = {"O0", "O2"};
  for (int l = 0; l < 2; l++) {
    stopped s = stop_in(levels[l], "leaf");
    cr_assert_eq(snare_breakpoint_clear(s.session, s.breakpoint), SNARE_OK);
    cr_assert_eq(snare_step(s.session, SNARE_STEP_OUT, NULL, &s.stop),
                 SNARE_OK);
    cr_assert_eq(s.stop.kind, SNARE_STOP_STEP);
    cr_assert(s.stop.has_return_value);
    cr_assert_eq(s.stop.return_value & 0xffffffff, 9);
    snare_line_info li;
    cr_assert_eq(snare_line_at(s.stop.pc, &li), SNARE_OK);
    cr_assert_str_eq(li.function, "middle");
    cr_assert_eq(snare_step(s.session, SNARE_STEP_OUT, NULL, &s.stop),
                 SNARE_OK);
    cr_assert_eq(s.stop.return_value & 0xffffffff, 28);
    cr_assert_eq(snare_step(s.session, SNARE_STEP_OUT, NULL, &s.stop),
                 SNARE_OK);
    cr_assert_eq(s.stop.kind, SNARE_STOP_EXIT, "out of the entry: its exit");
    cr_assert_eq(s.stop.return_value, 74);
    done(&s);
  }
}

Test(stepping, run_to_an_address_and_until_this_frame)
{
  stopped s = stop_in("O0", "stepping_main");
  uint64_t addrs[4];
  size_t n = 0;
  cr_assert_eq(snare_library_function_addresses(s.lib, "fact", addrs, 4, &n),
               SNARE_OK);
  cr_assert_eq(snare_run_to(s.session, addrs, n, SNARE_RUN_TO_ANY_FRAME,
                            &s.stop),
               SNARE_OK);
  cr_assert_eq(s.stop.kind, SNARE_STOP_STEP);
  cr_assert_eq(s.stop.pc, addrs[0]);
  /* until line 35 of fact(4): the deeper fact(3..1) pass it first */
  cr_assert_eq(snare_library_line_addresses(s.lib, "stepping.c", 35, addrs, 4,
                                            &n),
               SNARE_OK);
  cr_assert_eq(snare_run_to(s.session, addrs, n, SNARE_RUN_TO_THIS_FRAME,
                            &s.stop),
               SNARE_OK);
  cr_assert_eq(line_of(s.stop.pc), 35);
  snare_value *v = NULL;
  cr_assert_eq(snare_variable_read(s.session, 0, "n", NULL, &v), SNARE_OK);
  cr_assert_eq(v->i, 4);
  snare_value_free(v);
  done(&s);
}

typedef struct counts {
  int into_asked, stop_asked;
  int into_answer, stop_after;
  char first_into[32];
} counts;

static int never_into(const snare_step_function *fn, void *data)
{
  counts *c = data;
  if (c->into_asked++ == 0)
    snprintf(c->first_into, sizeof c->first_into, "%s", fn->name);
  return c->into_answer;
}

static int stop_late(snare_session *session, void *data)
{
  (void)session;
  counts *c = data;
  return ++c->stop_asked >= c->stop_after;
}

Test(stepping, policies_decide_calls_and_lines)
{
  stopped s = stop_in("O0", "middle");
  counts c = {.into_answer = 0, .stop_after = 1};
  snare_step_policy p = {never_into, stop_late, &c};
  unsigned got[1];
  walk(&s, SNARE_STEP_INTO, &p, got, 1);
  cr_assert_eq(got[0], 25, "into said no: over leaf");
  cr_assert_eq(c.into_asked, 1);
  cr_assert_str_eq(c.first_into, "leaf");
  c = (counts){.into_answer = 1, .stop_after = 3};
  walk(&s, SNARE_STEP_INTO, &p, got, 1);
  cr_assert_eq(got[0], 19, "the third new line: 17, 18, then 19");
  c = (counts){.into_answer = -1, .stop_after = 1};
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, &p, &s.stop), SNARE_OK);
  cr_assert_eq(line_of(s.stop.pc), 20);
  done(&s);
}

Test(stepping, internal_breakpoints_are_not_listed)
{
  stopped s = stop_in("O0", "middle");
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, NULL, &s.stop),
               SNARE_OK);
  int ids[4];
  cr_assert_eq(snare_breakpoint_list(s.session, ids, 4), 1);
  cr_assert_eq(ids[0], s.breakpoint);
  snare_breakpoint_options internal = {.internal = true};
  int id, user;
  cr_assert_eq(snare_breakpoint_set(s.session, s.stop.pc, &internal, &id),
               SNARE_OK);
  cr_assert_lt(id, 0);
  cr_assert_eq(snare_breakpoint_set(s.session, s.stop.pc, NULL, &user),
               SNARE_OK);
  cr_assert_eq(user, s.breakpoint + 1);
  cr_assert_eq(snare_breakpoint_list(s.session, ids, 4), 2);
  cr_assert_eq(snare_breakpoint_clear(s.session, id), SNARE_OK);
  done(&s);
}

Test(stepping, refusals)
{
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  snare_stop stop;
  uint64_t addr = 1;
  cr_assert_eq(snare_step(session, SNARE_STEP_OVER, NULL, &stop),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_step(session, (snare_step_mode)7, NULL, &stop),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_step(NULL, SNARE_STEP_OVER, NULL, &stop),
               SNARE_INVALID_ARGUMENT);
  cr_assert_eq(snare_run_to(session, &addr, 1, SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_WRONG_STATE);
  cr_assert_eq(snare_run_to(session, &addr, 0, SNARE_RUN_TO_ANY_FRAME, &stop),
               SNARE_INVALID_ARGUMENT);
  snare_session_free(session);
}

Test(stepping, line_step_without_line_information_is_refused)
{
  stopped s = stop_in("O0", "measure");
  /* move the stopped worker's pc into code with no DWARF: strlen */
  uint64_t pc = (uint64_t)(uintptr_t)strlen;
  cr_assert_eq(snare_register_set(s.session, SNARE_REG_RIP, pc), SNARE_OK);
  cr_assert_eq(snare_step(s.session, SNARE_STEP_OVER, NULL, &s.stop),
               SNARE_NOT_FOUND);
  done(&s);
}
