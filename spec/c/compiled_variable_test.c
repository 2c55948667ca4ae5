/*
 * compiled_variable_test.c - compiled variable reads in conditions
 * (snare_frame_variable_scalar) against the general reader
 * (snare_frame_variable_read): at every instruction of the functions of
 * spec/fixtures/frames.c at -O0 and -O2, a condition reads each of the
 * fixture's variable names both ways; the two agree on every value, and
 * most reads do compile.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "fixtures.h"
#include "snare.h"

/* Each function's scalar parameters and locals. */
typedef struct function_names {
  const char *function;
  const char *names[5];
} function_names;

static const function_names functions[] = {
    {"leaf", {"depth", "local"}},
    {"no_frame_pointer", {"depth", "bias", "r"}},
    {"middle", {"depth", "limit", "count", "r"}},
    {"recurse", {"n", "below"}},
    {"frames_entry", {"n", "result"}},
};

typedef struct tally {
  const char *const *names;
  unsigned reads, compiled, mismatches;
} tally;

static bool scalar(snare_value_kind kind) {
  return kind == SNARE_VALUE_SIGNED || kind == SNARE_VALUE_UNSIGNED ||
         kind == SNARE_VALUE_BOOL || kind == SNARE_VALUE_POINTER ||
         kind == SNARE_VALUE_FLOAT;
}

static bool same(const snare_value *a, const snare_value *b) {
  if (a->kind != b->kind)
    return false;
  if (a->kind == SNARE_VALUE_FLOAT)
    return a->f == b->f;
  return a->kind == SNARE_VALUE_SIGNED ? a->i == b->i : a->u == b->u;
}

static bool compare_all(snare_frame *frame, void *data) {
  tally *t = data;
  for (size_t i = 0; i < 5 && t->names[i] != NULL; i++) {
    snare_value fast, *general = NULL;
    snare_status fast_st =
        snare_frame_variable_scalar(frame, t->names[i], &fast);
    snare_status st =
        snare_frame_variable_read(frame, t->names[i], NULL, &general);
    bool readable = st == SNARE_OK && scalar(general->kind);
    t->reads += readable;
    if (fast_st == SNARE_OK) {
      t->compiled++;
      if (!readable || !same(&fast, general))
        t->mismatches++;
    }
    snare_value_free(general);
  }
  return false;
}

static tally every_instruction(const char *level) {
  tally t = {0};
  snare_library *lib;
  cr_assert_eq(snare_library_open(fixture_path(level, "frames"), &lib),
               SNARE_OK);
  snare_session *s;
  cr_assert_eq(snare_session_new(&s), SNARE_OK);
  snare_session_set_timeout(s, 10000);
  snare_symbol entry;
  cr_assert_eq(snare_library_symbol(lib, "frames_entry", &entry), SNARE_OK);
  for (size_t f = 0; f < sizeof functions / sizeof *functions; f++) {
    snare_symbol fn;
    cr_assert_eq(snare_library_symbol(lib, functions[f].function, &fn),
                 SNARE_OK);
    t.names = functions[f].names;
    for (uint64_t pc = fn.address; pc < fn.address + fn.size;) {
      char text[128];
      size_t length = 0;
      cr_assert_eq(snare_disassemble(pc, SNARE_DISASSEMBLY_ATT, text, sizeof text, &length),
                   SNARE_OK);
      snare_breakpoint_options opts = {.condition = compare_all,
                                       .condition_data = &t};
      int id;
      cr_assert_eq(snare_breakpoint_set(s, pc, &opts, &id), SNARE_OK);
      uint64_t arg = 2;
      snare_stop stop;
      cr_assert_eq(snare_call(s, entry.address, 1, &arg, &stop), SNARE_OK);
      cr_assert_eq(stop.kind, SNARE_STOP_EXIT, "%s+%lu", functions[f].function,
                   (unsigned long)(pc - fn.address));
      cr_assert_eq(snare_breakpoint_clear(s, id), SNARE_OK);
      pc += length;
    }
  }
  snare_session_free(s);
  snare_library_close(lib);
  return t;
}

Test(compiled_variable, agrees_with_the_general_reader_at_O0) {
  tally t = every_instruction("O0");
  cr_assert_eq(t.mismatches, 0, "%u of %u compiled reads differ",
               t.mismatches, t.compiled);
  /* every -O0 variable lives at a frame offset (or a register early on) */
  cr_assert_eq(t.compiled, t.reads, "%u of %u compiled", t.compiled, t.reads);
}

/* Constants, entry values and the like stay with the general reader. */
Test(compiled_variable, agrees_with_the_general_reader_at_O2) {
  tally t = every_instruction("O2");
  cr_assert_eq(t.mismatches, 0, "%u of %u compiled reads differ",
               t.mismatches, t.compiled);
  cr_assert_gt(t.compiled, t.reads * 2 / 3, "%u of %u compiled", t.compiled,
               t.reads);
}
