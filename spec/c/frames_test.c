/*
 * frames_test.c - backtraces and variables through the C API, over
 * spec/fixtures/frames.c: frame names and lines, a struct read as a
 * value tree, optimised-out variables at -O2, writes that change the
 * result, a C condition reading its frame, and refusals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

/* Line of the "MARK: name" comment of the fixture's source. */
static unsigned mark(const char *name)
{
  FILE *f = fopen("spec/fixtures/frames.c", "r");
  cr_assert_not_null(f, "run from the repository root");
  char text[256], needle[64];
  snprintf(needle, sizeof needle, "MARK: %s", name);
  unsigned line = 0, found = 0;
  while (!found && fgets(text, sizeof text, f))
    if (++line && strstr(text, needle))
      found = line;
  fclose(f);
  cr_assert_neq(found, 0, "no mark %s", name);
  return found;
}

typedef struct stopped {
  snare_library *lib;
  snare_session *session;
  uint64_t entry;
} stopped;

/* Calls frames_entry(2) at level with a breakpoint on the marked line. */
static stopped stop_at(const char *level, const char *where,
                       const snare_breakpoint_options *opts)
{
  stopped s;
  cr_assert_eq(snare_library_open(fixture_path(level, "frames"), &s.lib),
               SNARE_OK);
  cr_assert_eq(snare_session_new(&s.session), SNARE_OK);
  snare_session_set_timeout(s.session, 5000);
  uint64_t addrs[4];
  size_t n = 0;
  cr_assert_eq(snare_library_line_addresses(s.lib, "frames.c", mark(where),
                                            addrs, 4, &n),
               SNARE_OK);
  int id;
  cr_assert_eq(snare_breakpoint_set(s.session, addrs[0], opts, &id), SNARE_OK);
  snare_symbol sym;
  cr_assert_eq(snare_library_symbol(s.lib, "frames_entry", &sym), SNARE_OK);
  s.entry = sym.address;
  uint64_t arg = 2;
  snare_stop stop;
  cr_assert_eq(snare_call(s.session, s.entry, 1, &arg, &stop), SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_BREAKPOINT);
  return s;
}

static uint64_t finish(stopped *s)
{
  snare_stop stop;
  cr_assert_eq(snare_resume(s->session, SNARE_RESUME_CONTINUE, NULL, &stop),
               SNARE_OK);
  cr_assert_eq(stop.kind, SNARE_STOP_EXIT);
  snare_session_free(s->session);
  snare_library_close(s->lib);
  return stop.return_value;
}

static const snare_value *member(const snare_value *v, const char *name)
{
  for (size_t i = 0; i < v->child_count; i++)
    if (v->children[i].name && strcmp(v->children[i].name, name) == 0)
      return &v->children[i];
  cr_assert_fail("no member %s", name);
  return NULL;
}

Test(frames, backtrace_names_frames_with_and_without_frame_pointers)
{
  static const char *const levels[] = {"O0", "O2"};
  for (size_t l = 0; l < 2; l++) {
    stopped s = stop_at(levels[l], "leaf", NULL);
    snare_backtrace_frame frames[16];
    size_t n = 0;
    cr_assert_eq(snare_backtrace(s.session, frames, 16, &n), SNARE_OK);
    cr_assert_geq(n, 6);
    cr_assert_str_eq(frames[0].function, "leaf");
    cr_assert_eq(frames[0].line, mark("leaf"));
    cr_assert_str_eq(frames[1].function, "no_frame_pointer");
    cr_assert_eq(frames[1].line, mark("nfp-call"));
    cr_assert_str_eq(frames[2].function, "middle");
    cr_assert_eq(frames[2].line, mark("middle-call"));
    cr_assert_str_eq(frames[3].function, "recurse");
    cr_assert_eq(frames[1].cfa, frames[2].sp);
    size_t none = 0;
    cr_assert_eq(snare_backtrace(s.session, NULL, 0, &none), SNARE_OK);
    cr_assert_eq(none, n);
    finish(&s);
  }
}

Test(frames, struct_values_and_optimised_out)
{
  stopped s = stop_at("O2", "leaf", NULL);
  snare_value *v = NULL;
  snare_value_options opts = {.strings = true};
  cr_assert_eq(snare_variable_read(s.session, 2, "shape", &opts, &v),
               SNARE_OK);
  cr_assert_eq(v->kind, SNARE_VALUE_STRUCT);
  cr_assert_str_eq(v->type, "struct shape");
  cr_assert_eq(member(member(v, "corner"), "y")->i, 5);
  cr_assert_str_eq(member(v, "color")->enumerator, "GREEN");
  cr_assert_str_eq(member(v, "label")->string, "square");
  cr_assert_str_eq(member(v, "label")->type, "const char *");
  cr_assert_eq(member(v, "scale")->f, 1.5);
  cr_assert_eq(member(v, "weights")->length, 3);
  cr_assert_eq(member(v, "weights")->children[2].i, 9);
  snare_value_free(v);
  cr_assert_eq(snare_variable_read(s.session, 2, "bits", NULL, &v), SNARE_OK);
  cr_assert_eq(v->kind, SNARE_VALUE_OPTIMIZED_OUT);
  snare_value_free(v);
  cr_assert_eq(snare_variable_read(s.session, 2, "nosuch", NULL, &v),
               SNARE_NOT_FOUND);
  cr_assert_eq(snare_variable_read(s.session, 999, "shape", NULL, &v),
               SNARE_INVALID_ARGUMENT);
  snare_variable_info vars[8];
  size_t n = 0;
  cr_assert_eq(snare_variable_list(s.session, 2, vars, 8, &n), SNARE_OK);
  cr_assert_eq(n, 7);
  cr_assert_str_eq(vars[0].name, "depth");
  cr_assert(vars[0].is_param);
  cr_assert_str_eq(vars[1].name, "shape");
  cr_assert_not(vars[1].is_param);
  finish(&s);
}

Test(frames, writes_change_the_result)
{
  stopped s = stop_at("O0", "leaf", NULL);
  cr_assert_eq(snare_variable_write_int(s.session, 0, "local", 100), SNARE_OK);
  cr_assert_eq(snare_variable_write_int(s.session, 2, "count", 10), SNARE_OK);
  cr_assert_eq(snare_variable_write_int(s.session, 2, "shape", 1),
               SNARE_UNSUPPORTED);
  /* 29 untouched; local 5 -> 100 and count 7 -> 10 */
  cr_assert_eq(finish(&s), 29 + 95 + 3);
}

static bool depth_is_zero(snare_frame *frame, void *data)
{
  snare_value *v = NULL;
  bool stop = snare_frame_variable_read(frame, "n", NULL, &v) == SNARE_OK &&
              v->kind == SNARE_VALUE_SIGNED && v->i == 1;
  *(int *)data += 1;
  snare_value_free(v);
  return stop;
}

Test(frames, a_condition_reads_its_frame)
{
  int calls = 0;
  snare_breakpoint_options opts = {.condition = depth_is_zero,
                                   .condition_data = &calls};
  stopped s = stop_at("O0", "recurse-call", &opts);
  cr_assert_eq(calls, 2); /* n = 2 rejected, n = 1 stopped */
  snare_value *v = NULL;
  cr_assert_eq(snare_variable_read(s.session, 1, "n", NULL, &v), SNARE_OK);
  cr_assert_eq(v->i, 2);
  snare_value_free(v);
  finish(&s);
}

Test(frames, refuses_a_session_that_is_not_stopped)
{
  snare_session *session;
  cr_assert_eq(snare_session_new(&session), SNARE_OK);
  size_t n;
  snare_value *v;
  cr_assert_eq(snare_backtrace(session, NULL, 0, &n), SNARE_WRONG_STATE);
  cr_assert_eq(snare_variable_read(session, 0, "x", NULL, &v),
               SNARE_WRONG_STATE);
  snare_session_free(session);
}
