/*
 * prologue_test.c - where `break FUNCTION` and `step` into a function
 * stop, as gdb 13 puts them (lib/debuginfo/prologue.c), on the frames
 * fixture: a function with a frame pointer skips its `push %rbp; mov
 * %rsp,%rbp` line, one without stops at its entry (the `{` line), and in
 * a gcc unit with location lists every function breaks at its entry.
 */
#include <criterion/criterion.h>

#include "debuginfo/debuginfo.h"
#include "fixtures.h"

static snare_debuginfo *open_frames(const char *level)
{
  snare_debuginfo *di = NULL;
  cr_assert_eq(snare_debuginfo_open(fixture_path(level, "frames"), 0, &di),
               SNARE_OK);
  return di;
}

static snare_function_info function(snare_debuginfo *di, const char *name)
{
  snare_function_info fn;
  cr_assert_eq(snare_debuginfo_function(di, name, &fn), SNARE_OK, "%s", name);
  return fn;
}

static unsigned line_at(snare_debuginfo *di, uint64_t addr)
{
  snare_line_info li;
  cr_assert_eq(snare_debuginfo_line_at(di, addr, &li), SNARE_OK);
  return li.line;
}

Test(prologue, frameless_function_breaks_at_its_entry)
{
  snare_debuginfo *di = open_frames("O0");
  snare_function_info fn = function(di, "no_frame_pointer");
  cr_assert_eq(fn.after_prologue, fn.entry);
  cr_assert_eq(fn.step_start, fn.entry);
  cr_assert_eq(line_at(di, fn.after_prologue), 43); /* its `{` */
  snare_debuginfo_close(di);
}

Test(prologue, framed_function_breaks_after_its_frame_setup)
{
  snare_debuginfo *di = open_frames("O0");
  snare_function_info fn = function(di, "middle");
  cr_assert_gt(fn.after_prologue, fn.entry);
  cr_assert_eq(fn.step_start, fn.after_prologue);
  cr_assert_eq(line_at(di, fn.after_prologue), 54); /* its first statement */
  snare_debuginfo_close(di);
}

Test(prologue, optimised_gcc_unit_breaks_at_entries)
{
  snare_debuginfo *di = open_frames("O2");
  const char *names[] = {"leaf", "no_frame_pointer", "middle", "recurse"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snare_function_info fn = function(di, names[i]);
    cr_assert_eq(fn.after_prologue, fn.entry, "%s", names[i]);
  }
  snare_debuginfo_close(di);
}
